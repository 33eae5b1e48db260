//! Request ids and access logs: every request gets an `X-Request-ID` (the caller's when it is
//! a sane token, else a new UUID), echoed on the answer and carried by the request's tracing
//! span, so every log line written while serving it names it; one access-log event per request.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::time::Instant;
use tracing::{Instrument, Span};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-chosen request id kept; a longer one is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// `router` with request ids, a span per request and the access log (one middleware: each
/// layer costs every request an allocation or two).
pub fn requests(router: Router) -> Router {
    router.layer(middleware::from_fn(observed))
}

async fn observed(mut request: Request, next: Next) -> Response {
    let id = match usable_id(&request) {
        Some(id) => id.clone(),
        None => new_id(),
    };
    request.headers_mut().insert(&X_REQUEST_ID, id.clone());
    let span = span(&request, &id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| access_log(&response, started.elapsed().as_secs_f64()));
    response.headers_mut().insert(&X_REQUEST_ID, id);
    response
}

/// The caller's id, when it is one header of 1–128 visible ASCII characters; anything else
/// (control characters, spaces, several headers) could forge or break log lines.
fn usable_id(request: &Request) -> Option<&HeaderValue> {
    let mut ids = request.headers().get_all(&X_REQUEST_ID).iter();
    match (ids.next(), ids.next()) {
        (Some(id), None) if sane(id) => Some(id),
        _ => None,
    }
}

fn new_id() -> HeaderValue {
    let mut text = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID is a valid header value")
}

fn sane(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_LEN && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// The request's span: its id, method and route template (never the path: it may carry names
/// of topics and groups a log reader should not see, and it has no bounded set of values).
fn span(request: &Request, id: &HeaderValue) -> Span {
    let id = id.to_str().unwrap_or_default();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route)
}

/// One line per answered request under the `krest::access` target (so
/// `RUST_LOG=info,krest::access=off` silences it), at error for a 5xx answer, else at info;
/// the span adds id, method and route.
fn access_log(response: &Response, seconds: f64) {
    let (status, latency_ms) = (response.status().as_u16(), seconds * 1000.0);
    if response.status().is_server_error() {
        tracing::error!(target: "krest::access", status, latency_ms, "request failed");
    } else {
        tracing::info!(target: "krest::access", status, latency_ms, "request served");
    }
}

/// Property test: a caller's request id is kept exactly when it is sane.
#[cfg(test)]
mod properties {
    use axum::body::Body;
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_caller_id_is_kept_only_when_1_to_128_visible_ascii(bytes in vec(any::<u8>(), 0..200), twice in any::<bool>()) {
            let Ok(id) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            let mut request = Request::new(Body::empty());
            request.headers_mut().append(&X_REQUEST_ID, id.clone());
            if twice {
                request.headers_mut().append(&X_REQUEST_ID, id);
            }
            let kept = usable_id(&request).is_some();
            let sane = !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic);
            prop_assert_eq!(kept, sane && !twice);
        }
    }
}
