//! Request ids and access logs: every request gets an `X-Request-ID` (the caller's when it is
//! a sane token, else a new UUID), echoed on the answer and carried by the request's tracing
//! span, so every log line written while serving it names it; one access-log event per request.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::Service;
use tracing::Span;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-chosen request id kept; a longer one is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// `app` (a whole router) with request ids, a span per request and the access log. It wraps
/// the router rather than each route (`Router::layer`), so a request gets no boxed service or
/// future for it; the route is named in the span once the router matched it ([`name_route`]).
pub fn requests<S>(app: S) -> Observed<S> {
    Observed { inner: app }
}

/// An app whose requests are observed; see [`requests`].
#[derive(Clone)]
pub struct Observed<S> {
    inner: S,
}

impl<S, B> Service<axum::http::Request<B>> for Observed<S>
where
    S: Service<axum::http::Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Answer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> Self::Future {
        let id = match usable_id(request.headers()) {
            Some(id) => id.clone(),
            None => new_id(),
        };
        request.headers_mut().insert(&X_REQUEST_ID, id.clone());
        let span = tracing::info_span!(
            "request",
            request_id = %id.to_str().unwrap_or_default(),
            method = %request.method(),
            route = tracing::field::Empty,
        );
        let started = Instant::now();
        let inner = span.in_scope(|| self.inner.call(request));
        Answer {
            inner,
            span,
            id: Some(id),
            started,
        }
    }
}

pin_project! {
    /// A request being answered in its span; the answer gets the request id and a log line.
    pub struct Answer<F> {
        #[pin]
        inner: F,
        span: Span,
        id: Option<HeaderValue>,
        started: Instant,
    }
}

impl<F, E> Future for Answer<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let mut response = ready!(this.inner.poll(cx))?;
        access_log(&response, this.started.elapsed().as_secs_f64());
        if let Some(id) = this.id.take() {
            response.headers_mut().insert(&X_REQUEST_ID, id);
        }
        Poll::Ready(Ok(response))
    }
}

/// Names the route template (never the path: it may carry names of topics and groups a log
/// reader should not see, and it has no bounded set of values) in the request's span; called
/// once the router matched the request.
pub fn name_route(request: &Request) {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    Span::current().record("route", tracing::field::display(route));
}

/// The caller's id, when it is one header of 1–128 visible ASCII characters; anything else
/// (control characters, spaces, several headers) could forge or break log lines.
fn usable_id(headers: &axum::http::HeaderMap) -> Option<&HeaderValue> {
    let mut ids = headers.get_all(&X_REQUEST_ID).iter();
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
            let kept = usable_id(request.headers()).is_some();
            let sane = !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic);
            prop_assert_eq!(kept, sane && !twice);
        }
    }
}
