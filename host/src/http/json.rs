//! JSON request bodies with Confluent's error rules: malformed JSON is 400, JSON of the
//! wrong shape (unknown field, wrong type, missing field) is 422.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;
use crate::http::error::rejection;

/// Extractor for a request body parsed as `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| rejection(e.status(), e.body_text()))?;
        parse(&bytes).map(JsonBody)
    }
}

/// A required body: an empty one is 422.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_optional(bytes)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            422,
            "Request body is empty. Data is required.",
        )
    })
}

/// A body that may be left out: `None` when empty (or only white space).
pub fn parse_optional<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
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
