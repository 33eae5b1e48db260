//! `request.body.timeout.ms`: a request body must arrive whole within this time of its
//! headers, so a client trickling its body cannot hold a connection and a buffer forever (the
//! idle timeout alone restarts with every byte). A streamed v3 produce request is exempt: its
//! body is a stream of records that may go on for as long as the client produces.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Request};
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// What a body past its deadline fails with; the HTTP stack's rejection text carries it, which
/// is how [`crate::http::error`] recognises the failure and answers 408.
pub const TIMED_OUT: &str = "request body not received within request.body.timeout.ms";

/// `request`'s body bounded by `limit`, unless it is a streamed v3 produce request.
pub fn bound<B: Body>(request: Request<B>, limit: Duration) -> Request<Deadline<B>> {
    let streamed = is_streamed_produce(request.method(), request.uri().path());
    request.map(|inner| Deadline {
        inner,
        deadline: (!streamed).then(|| Instant::now() + limit),
        sleep: None,
    })
}

/// `POST /v3/clusters/{cluster}/topics/{topic}/records` (a trailing slash tolerated).
fn is_streamed_produce(method: &Method, path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').split('/');
    let mut next = || segments.next();
    method == Method::POST
        && matches!(
            [next(), next(), next(), next(), next(), next(), next(), next()],
            [
                Some(""),
                Some("v3"),
                Some("clusters"),
                Some(_),
                Some("topics"),
                Some(_),
                Some("records"),
                None
            ]
        )
}

/// A request body that fails once its deadline passes (none: no deadline). The timer is made
/// only when the body is not there at once, as most bodies are.
pub struct Deadline<B> {
    inner: B,
    deadline: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> Body for Deadline<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(TIMED_OUT.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_streamed_v3_produce_is_exempt() {
        assert!(is_streamed_produce(
            &Method::POST,
            "/v3/clusters/c/topics/t/records"
        ));
        assert!(is_streamed_produce(
            &Method::POST,
            "/v3/clusters/c/topics/t/records/"
        ));
        assert!(!is_streamed_produce(
            &Method::GET,
            "/v3/clusters/c/topics/t/records"
        ));
        assert!(!is_streamed_produce(
            &Method::POST,
            "/v3/clusters/c/topics/t/records:batch"
        ));
        assert!(!is_streamed_produce(&Method::POST, "/topics/t"));
        assert!(!is_streamed_produce(
            &Method::POST,
            "/v3/clusters/c/topics/t/x/records"
        ));
    }
}
