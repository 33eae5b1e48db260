//! Request ids and access logs: every request gets an `X-Request-ID` (the caller's when it is
//! a sane token, else a new UUID), echoed on the answer and carried by the request's tracing
//! span, so every log line written while serving it names it; one access-log event per request.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use axum::Router;
use tower::util::MapRequestLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-chosen request id kept; a longer one is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// `router` with request ids, a span per request and the access log.
pub fn requests(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(span)
        .on_request(())
        .on_response(access_log);
    router
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
        .layer(MapRequestLayer::new(drop_unusable_id))
}

/// A caller's id is kept when it is one header of 1–128 visible ASCII characters; anything
/// else (control characters, spaces, several headers) could forge or break log lines.
fn drop_unusable_id(mut request: Request) -> Request {
    let mut ids = request.headers().get_all(&X_REQUEST_ID).iter();
    let usable = match (ids.next(), ids.next()) {
        (Some(id), None) => sane(id),
        (None, _) => true,
        _ => false,
    };
    if !usable {
        request.headers_mut().remove(&X_REQUEST_ID);
    }
    request
}

fn sane(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_LEN && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// The request's span: its id, method and route template (never the path: it may carry names
/// of topics and groups a log reader should not see, and it has no bounded set of values).
fn span(request: &Request) -> Span {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route)
}

/// One line per answered request, at info under the `krest::access` target (so
/// `RUST_LOG=info,krest::access=off` silences it); the span adds id, method and route.
fn access_log(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        target: "krest::access",
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request served"
    );
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
            let kept = drop_unusable_id(request).headers().contains_key(&X_REQUEST_ID);
            let sane = !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic);
            prop_assert_eq!(kept, sane && !twice);
        }
    }
}
