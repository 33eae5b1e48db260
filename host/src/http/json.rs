//! JSON request bodies with Confluent's error rules: malformed JSON is 400, JSON of the
//! wrong shape (unknown field, wrong type, missing field) is 422.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::error::Category;

use crate::error::ApiError;
use crate::http::error::rejection;

/// Extractor for a request body parsed as `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        parse(&body_bytes(request, state).await?).map(JsonBody)
    }
}

/// Extractor for the request's headers and whole body, the headers taken rather than copied
/// (axum's `HeaderMap` extractor clones them: a microsecond per produce request).
pub struct HeadersAndBody(pub HeaderMap, pub Bytes);

impl<S: Send + Sync> FromRequest<S> for HeadersAndBody {
    type Rejection = ApiError;

    async fn from_request(mut request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = std::mem::take(request.headers_mut());
        Ok(HeadersAndBody(headers, body_bytes(request, state).await?))
    }
}

/// The whole request body; what the HTTP stack refused it for (too large, too slow, …) as
/// the error it stands for.
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|e| rejection(e.status(), e.body_text()))
}

/// A required body: an empty one is 422.
pub fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    parse_optional(bytes)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            422,
            "Request body is empty. Data is required.",
        )
    })
}

/// A body that may be left out: `None` when empty (or only white space).
pub fn parse_optional<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| match e.classify() {
            Category::Data => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, shape_message(&e)),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(StatusCode::BAD_REQUEST, 400, format!("Malformed JSON: {e}"))
            }
        })
}

/// serde's "unknown field `x`, expected …" in Confluent's words: "Unrecognized field: x".
pub(crate) fn shape_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    {
        Some((field, _)) => format!("Unrecognized field: {field}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422() {
        assert_eq!(
            parse::<HashMap<String, String>>(b"{\"a\":").unwrap_err().code,
            400
        );
        assert_eq!(
            parse::<HashMap<String, String>>(b"{\"a\":1}").unwrap_err().code,
            422
        );
        assert_eq!(parse::<HashMap<String, String>>(b"  ").unwrap_err().code, 422);
        assert_eq!(
            parse::<HashMap<String, String>>(b"{\"a\":\"b\"}").unwrap()["a"],
            "b"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        records: Vec<u8>,
    }

    #[test]
    fn unknown_fields_are_named_as_confluent_does() {
        let error = parse::<Strict>(br#"{"records":[],"headers":[]}"#).unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            (422, "Unrecognized field: headers")
        );
    }
}

/// Property tests: any bytes given to the request-body parsers of produce (v2, v3) and consumer
/// creation are parsed or refused with Confluent's 400 (malformed) or 422 (wrong shape).
#[cfg(test)]
pub(crate) mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::consumers::CreateRequest;
    use crate::produce::v3_request::V3Record;
    use crate::produce::ProduceRequest;

    /// Parses `bytes` as `T`; an error must be 400/400 or 422/422.
    pub(crate) fn parsed_or_refused<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<(), TestCaseError> {
        if let Err(e) = parse::<T>(bytes) {
            let pair = (e.status.as_u16(), e.code);
            prop_assert!(
                pair == (400, 400) || pair == (422, 422),
                "{pair:?}: {}",
                e.message
            );
        }
        Ok(())
    }

    fn all_bodies(bytes: &[u8]) -> Result<(), TestCaseError> {
        parsed_or_refused::<ProduceRequest>(bytes)?;
        parsed_or_refused::<V3Record>(bytes)?;
        parsed_or_refused::<CreateRequest>(bytes)
    }

    /// JSON-ish text: the characters JSON is made of, so that parsers get past the first byte.
    const JSONISH: &str = r#"[\[\]{}":,0-9a-z .eE+\-\\]{0,300}"#;

    proptest! {
        #[test]
        fn any_bytes_are_parsed_or_refused_400_or_422(bytes in vec(any::<u8>(), 0..600)) {
            all_bodies(&bytes)?;
        }

        #[test]
        fn json_like_text_is_parsed_or_refused_400_or_422(text in JSONISH) {
            all_bodies(text.as_bytes())?;
        }

        #[test]
        fn deep_nesting_is_refused_or_kept_raw_never_a_crash(depth in 1usize..200_000, object in any::<bool>()) {
            let (open, close) = if object { (r#"{"a":"#, "}") } else { ("[", "]") };
            let deep = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            all_bodies(deep.as_bytes())?;
            // Inside a record's value the nesting is kept as raw JSON for the format plugin.
            let body = format!(r#"{{"records":[{{"value":{deep}}}]}}"#);
            prop_assert!(parse::<ProduceRequest>(body.as_bytes()).is_ok());
        }

        #[test]
        fn generated_produce_bodies_round_trip(
            records in vec((proptest::option::of("[A-Za-z0-9+/]{0,24}"), proptest::option::of(any::<i32>())), 0..20)
        ) {
            let body = serde_json::json!({"records": records.iter().map(|(value, partition)| {
                serde_json::json!({"value": value, "partition": partition})
            }).collect::<Vec<_>>()});
            let body = body.to_string();
            let parsed: ProduceRequest = parse(body.as_bytes()).unwrap();
            prop_assert_eq!(parsed.records.len(), records.len());
            for (record, (value, partition)) in parsed.records.iter().zip(&records) {
                prop_assert_eq!(record.partition, *partition);
                let raw = record.value.map(|v| v.get().to_string());
                let expected = value.as_ref().map_or("null".to_string(), |v| format!("\"{v}\""));
                prop_assert_eq!(raw.unwrap_or_else(|| "null".into()), expected);
            }
        }
    }
}
