//! The framing of a streamed `GET .../records`: Server-Sent Events (one event per record, its
//! id `topic/partition/offset`, resumable with `Last-Event-ID`) or newline-delimited JSON,
//! one chunk per batch so that the client's reading paces the reads from Kafka.

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use crate::consumers::Streamed;
use crate::error::ApiError;
use crate::http::media::{EVENT_STREAM, NDJSON};

/// How records are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `text/event-stream`; heartbeats are `: keep-alive` comments, an error the last event
    /// (`event: error`).
    Sse,
    /// `application/x-ndjson`; heartbeats are empty lines, an error the last line.
    Ndjson,
}

impl Framing {
    /// The framing of a negotiated media type, if it is a stream's.
    pub fn of(media_type: &str) -> Option<Self> {
        match media_type {
            EVENT_STREAM => Some(Framing::Sse),
            NDJSON => Some(Framing::Ndjson),
            _ => None,
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Framing::Sse => EVENT_STREAM,
            Framing::Ndjson => NDJSON,
        }
    }

    /// One chunk of the body: a batch of records, a heartbeat, or the error that ends it.
    fn chunk(self, item: Result<Streamed, ApiError>) -> Bytes {
        let mut out = Vec::new();
        match item {
            Ok(Streamed::Records(records)) => {
                out.reserve(records.iter().map(|r| r.json_len() + 32).sum());
                for record in &records {
                    if self == Framing::Sse {
                        out.extend_from_slice(
                            format!("id: {}/{}/{}\n", record.topic, record.partition, record.offset)
                                .as_bytes(),
                        );
                    }
                    self.line(&mut out, record);
                }
            }
            Ok(Streamed::Heartbeat) if self == Framing::Sse => out.extend_from_slice(b": keep-alive\n\n"),
            Ok(Streamed::Heartbeat) => out.push(b'\n'),
            Err(error) => {
                if self == Framing::Sse {
                    out.extend_from_slice(b"event: error\n");
                }
                self.line(&mut out, &error.body());
            }
        }
        Bytes::from(out)
    }

    /// `value` as one line of JSON (an SSE `data:` line): line breaks a format plugin left
    /// between JSON tokens become spaces, which changes no value.
    fn line(self, out: &mut Vec<u8>, value: &impl Serialize) {
        if self == Framing::Sse {
            out.extend_from_slice(b"data: ");
        }
        let start = out.len();
        if serde_json::to_writer(&mut *out, value).is_err() {
            out.truncate(start);
            out.extend_from_slice(b"null");
        }
        // Inside JSON strings line breaks are escaped: a raw one is whitespace.
        for byte in &mut out[start..] {
            if matches!(*byte, b'\n' | b'\r') {
                *byte = b' ';
            }
        }
        out.extend_from_slice(if self == Framing::Sse { b"\n\n" } else { b"\n" });
    }
}

/// The record after which a reconnecting `EventSource` resumes: its `Last-Event-ID` header,
/// `topic/partition/offset` as this stream named the event; 400 when it has another shape.
pub fn last_event_id(headers: &HeaderMap) -> Result<Option<(String, i32, i64)>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            400,
            "Last-Event-ID must be TOPIC/PARTITION/OFFSET, as a record's event id",
        )
    };
    let text = value.to_str().map_err(|_| malformed())?;
    let mut parts = text.rsplitn(3, '/');
    let (Some(offset), Some(partition), Some(topic)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    match (partition.parse(), offset.parse()) {
        (Ok(partition), Ok(offset)) if !topic.is_empty() => Ok(Some((topic.to_string(), partition, offset))),
        _ => Err(malformed()),
    }
}

/// The streamed answer: chunked, never cached, the next batch read when hyper asks for it.
pub fn response(
    framing: Framing,
    stream: impl Stream<Item = Result<Streamed, ApiError>> + Send + 'static,
) -> Response {
    let body =
        Body::from_stream(stream.map(move |item| Ok::<_, std::convert::Infallible>(framing.chunk(item))));
    (
        [(CONTENT_TYPE, framing.media_type()), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumers::ReadRecord;

    fn record(value: &str) -> ReadRecord {
        ReadRecord {
            topic: "t".into(),
            key: None,
            value: Some(serde_json::value::RawValue::from_string(value.into()).unwrap()),
            partition: 2,
            offset: 7,
        }
    }

    #[test]
    fn sse_events_name_the_record_and_keep_one_data_line() {
        let chunk = Framing::Sse.chunk(Ok(Streamed::Records(vec![record("{\"a\":\n1}")])));
        assert_eq!(
            std::str::from_utf8(&chunk).unwrap(),
            "id: t/2/7\ndata: {\"topic\":\"t\",\"key\":null,\"value\":{\"a\": 1},\"partition\":2,\"offset\":7}\n\n"
        );
    }

    #[test]
    fn ndjson_lines_heartbeats_and_errors() {
        let chunk = Framing::Ndjson.chunk(Ok(Streamed::Records(vec![record("\"x\\ny\""), record("1")])));
        let lines: Vec<&str> = std::str::from_utf8(&chunk).unwrap().lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("\"value\":\"x\\ny\""));
        assert_eq!(&Framing::Ndjson.chunk(Ok(Streamed::Heartbeat))[..], b"\n");
        let error = ApiError::new(StatusCode::REQUEST_TIMEOUT, 40801, "bad record");
        assert_eq!(
            &Framing::Sse.chunk(Err(error))[..],
            b"event: error\ndata: {\"error_code\":40801,\"message\":\"bad record\"}\n\n"
        );
    }

    #[test]
    fn last_event_ids_parse_or_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(last_event_id(&headers).unwrap(), None);
        headers.insert("last-event-id", "my.topic-1/3/42".parse().unwrap());
        assert_eq!(
            last_event_id(&headers).unwrap(),
            Some(("my.topic-1".into(), 3, 42))
        );
        for bad in ["", "t/1", "/1/2", "t/x/2", "t/1/y", "t/1/2/"] {
            headers.insert("last-event-id", bad.parse().unwrap());
            assert_eq!(last_event_id(&headers).unwrap_err().code, 400, "{bad}");
        }
    }
}
