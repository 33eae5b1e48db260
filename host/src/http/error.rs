//! Renders [`ApiError`] as Confluent's error body, answers unknown paths and methods, and
//! turns the plain-text rejections of the HTTP stack (body too large, bad query string, …)
//! into the same JSON body.

use axum::body::to_bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{body_deadline, max_request_bytes, media};

/// Longest plain-text rejection carried over into a JSON message.
const MAX_REJECTION_TEXT: usize = 4096;

impl ApiError {
    /// Confluent's error body: `{"error_code": …, "message": …}`.
    pub fn body(&self) -> Value {
        json!({ "error_code": self.code, "message": self.message })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, [(CONTENT_TYPE, media::V2_JSON)], Json(self.body())).into_response()
    }
}

/// Fallback for paths no route matches.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Fallback for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// An error answered as plain text becomes `{"error_code": STATUS, "message"}`, as
/// Confluent's proxy reports errors it has no specific code for (error_code = HTTP status).
pub async fn json_errors(response: Response) -> Response {
    match plain_text_error(response).await {
        Ok(error) => error.into_response(),
        Err(response) => response,
    }
}

/// The error a plain-text 4xx/5xx response of the HTTP stack (a body over the limit, a query
/// string that does not parse, …) stands for; any other response is handed back as is.
pub async fn plain_text_error(response: Response) -> Result<ApiError, Response> {
    let plain_text = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let status = response.status();
    if !plain_text || !(status.is_client_error() || status.is_server_error()) {
        return Err(response);
    }
    let text = match to_bytes(response.into_body(), MAX_REJECTION_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    Ok(rejection(status, text))
}

/// The error a rejection of the HTTP stack (`status`, plain `text`) stands for: a body that
/// missed `request.body.timeout.ms` is 408, whatever the stack called it.
pub(crate) fn rejection(status: StatusCode, text: String) -> ApiError {
    if text.contains(body_deadline::TIMED_OUT) {
        let message = format!("Request timeout: {}", body_deadline::TIMED_OUT);
        return ApiError::new(StatusCode::REQUEST_TIMEOUT, 408, message);
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!(
                "Request body too large: krest accepts at most {} bytes (request.body.max.bytes)",
                max_request_bytes()
            )
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_string(),
        _ => text,
    };
    ApiError::new(status, u32::from(status.as_u16()), message)
}
