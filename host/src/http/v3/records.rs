//! `POST /v3/clusters/{cluster_id}/topics/{topic}/records`: streaming produce. Records are
//! taken from the body as they arrive, produced in order and answered one JSON object per
//! record, each followed by `\r\n`, in a chunked 200 response. At most [`IN_FLIGHT`] records
//! wait for Kafka at a time: the body is read no faster than Kafka acknowledges.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, StreamExt};
use serde_json::error::Category;
use tokio::sync::mpsc;
use tracing::{Instrument, Span};

use crate::auth::{self, Caller};
use crate::clients::{CallerClients, KafkaClients};
use crate::error::ApiError;
use crate::http::json::shape_message;
use crate::http::json_stream::{JsonSplitter, SplitError};
use crate::http::{max_request_bytes, media};
use crate::plugins::bindings::host::CallContext;
use crate::plugins::bindings::policy::Action;
use crate::produce::v3::{PendingRecord, V3Answer};
use crate::produce::v3_request::V3Record;
use crate::produce::{ProduceService, Requester};
use crate::transforms::call_context;

/// Records of one stream queued at the producer and not yet answered, at most.
pub const IN_FLIGHT: usize = 1024;

/// A record's place in the answer: on its way to Kafka, or answered already.
type Slot = Result<PendingRecord, V3Answer>;

/// Who and where one stream produces.
struct RecordStream {
    service: Arc<ProduceService>,
    kafka: Arc<KafkaClients>,
    caller: Caller,
    context: CallContext,
    cluster_id: String,
    topic: String,
    /// When the request came, and how long its stream may take records
    /// (`streaming.connection.max.duration.ms`).
    started: Instant,
    max_duration: Duration,
}

pub async fn produce(
    State(service): State<Arc<ProduceService>>,
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    Path((cluster, topic)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let cluster_id = super::check_cluster(&clients, &cluster).await?;
    caller
        .authorize(Action::Write, auth::topics([topic.as_str()]))
        .await?;
    let started = Instant::now();
    let kafka = clients.for_caller(&caller).await?;
    let limits = service.v3_limits();
    let mut body = body.into_data_stream();
    let mut splitter = JsonSplitter::new(limits.max_record_bytes.unwrap_or_else(max_request_bytes));
    // An empty body is refused before the stream starts: wait for its first byte.
    while !splitter.has_content() {
        match body.next().await {
            Some(Ok(chunk)) => splitter.push(&chunk),
            Some(Err(e)) => return Err(ApiError::new(StatusCode::BAD_REQUEST, 400, e.to_string())),
            None => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    42206,
                    "Payload error. Request body is empty. Data is required.",
                ))
            }
        }
    }
    let records = RecordStream {
        service,
        kafka,
        context: call_context(caller.name(), &headers),
        caller,
        cluster_id,
        topic,
        started,
        max_duration: limits.max_stream_duration,
    };
    let (slots, receiver) = mpsc::channel::<Slot>(IN_FLIGHT);
    // In the request's span: what the records' plugins log names the request.
    tokio::spawn(records.read(body, splitter, slots).instrument(Span::current()));
    let answers = stream::unfold(receiver, |mut receiver| async move {
        let answer = match receiver.recv().await? {
            Ok(pending) => pending.answer().await,
            Err(answered) => answered,
        };
        Some((Ok::<_, Infallible>(line(&answer)), receiver))
    });
    Ok(([(CONTENT_TYPE, media::V3_JSON)], Body::from_stream(answers)).into_response())
}

impl RecordStream {
    /// Reads records off the body and queues each; ends with the body, with an error that
    /// ends the stream (answered in its place), or when the client is gone.
    async fn read(self, mut body: BodyDataStream, mut splitter: JsonSplitter, slots: mpsc::Sender<Slot>) {
        let requester = Requester {
            kafka: &self.kafka,
            caller: &self.caller,
            context: self.context.clone(),
        };
        loop {
            while let Some(object) = splitter.next_object() {
                if self.started.elapsed() > self.max_duration {
                    let _ = slots.send(Err(too_long())).await;
                    return;
                }
                let parsed = object
                    .map_err(split_error)
                    .and_then(|bytes| Ok((parse(&bytes)?, bytes.len())));
                let slot = match parsed {
                    Ok((Ok(record), size)) => {
                        self.service
                            .produce_v3(&requester, &self.cluster_id, &self.topic, record, size)
                            .await
                    }
                    Ok((Err(refused), _)) => Err(refused),
                    Err(fatal) => {
                        let _ = slots.send(Err(fatal)).await;
                        return;
                    }
                };
                if slots.send(slot).await.is_err() {
                    return;
                }
            }
            let fatal = match body.next().await {
                Some(Ok(chunk)) => {
                    splitter.push(&chunk);
                    continue;
                }
                Some(Err(e)) => error_processing(e.to_string()),
                None => match splitter.finish() {
                    Ok(()) => return,
                    Err(e) => split_error(e),
                },
            };
            let _ = slots.send(Err(fatal)).await;
            return;
        }
    }
}

/// One object of the stream as a record: `Ok(Err)` answers a record of the wrong shape and
/// the stream goes on; `Err` (JSON that does not parse) ends the stream.
fn parse(bytes: &[u8]) -> Result<Result<V3Record, V3Answer>, V3Answer> {
    match serde_json::from_slice::<V3Record>(bytes) {
        Ok(record) if record.id.is_some() => Ok(Err(V3Answer::bad_request("Unrecognized field: id"))),
        Ok(record) => Ok(Ok(record)),
        Err(e) if e.classify() == Category::Data => Ok(Err(V3Answer::bad_request(shape_message(&e)))),
        Err(e) => Err(error_processing(e.to_string())),
    }
}

fn split_error(error: SplitError) -> V3Answer {
    match error {
        SplitError::Malformed(message) => error_processing(message),
        SplitError::TooLarge(limit) => error_processing(format!(
            "Produce request size is larger than allowed threshold ({limit} bytes)"
        )),
    }
}

/// Confluent's answer to a record after `streaming.connection.max.duration.ms`.
fn too_long() -> V3Answer {
    V3Answer::Failed {
        error_code: 408,
        message: "Streaming connection open for longer than allowed: Connection will be closed.".into(),
    }
}

/// Confluent's answer to a stream it cannot read on.
fn error_processing(detail: String) -> V3Answer {
    V3Answer::bad_request(format!("Bad Request: Error processing message: {detail}"))
}

/// One answer as written to the response: its JSON and `\r\n`.
fn line(answer: &V3Answer) -> Bytes {
    let mut bytes = serde_json::to_vec(answer).unwrap_or_else(|e| {
        format!(r#"{{"error_code":500,"message":"cannot write the answer: {e}"}}"#).into_bytes()
    });
    bytes.extend_from_slice(b"\r\n");
    Bytes::from(bytes)
}
