//! A request for a consumer instance that another krest process holds is sent on to that
//! process (found through the consumer directory) and its answer streamed back as it comes,
//! so any process behind a load balancer serves any instance. An unreachable owner is an
//! instance that is gone: 404/40403 at once.

use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONNECTION, TRANSFER_ENCODING, UPGRADE};
use axum::http::{HeaderName, HeaderValue, Uri, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::percent_decode_str;
use prometheus::{register_int_counter_vec, IntCounterVec};
use tracing::warn;

use crate::consumers::{self, ConsumerManager};

/// Marks a request one krest process sent to another: it is answered where it arrives,
/// never forwarded again.
pub const FORWARDED_BY: HeaderName = HeaderName::from_static("krest-forwarded");

/// How long reaching the owner may take before it counts as gone.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

static FORWARDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "krest_consumer_forwards_total",
        "Requests for consumer instances held by another krest process, by outcome (answered, unreachable)",
        &["outcome"]
    )
    .expect("unique metric")
});

static CLIENT: LazyLock<Client<HttpConnector, Body>> = LazyLock::new(|| {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
});

/// Forwards a request under `/consumers/{group}/instances/{instance}` for an instance this
/// process does not hold but another does; any other request goes on to `next`.
pub async fn to_owner(consumers: &ConsumerManager, request: Request, next: Next) -> Response {
    if request.headers().contains_key(&FORWARDED_BY) {
        return next.run(request).await;
    }
    let Some((group, instance)) = instance_of(request.uri().path()) else {
        return next.run(request).await;
    };
    match consumers.held_elsewhere(&group, &instance).await {
        Some(owner) => forward(&owner, request).await,
        None => next.run(request).await,
    }
}

/// The decoded `(group, instance)` of a path under `/consumers/{group}/instances/{instance}`.
fn instance_of(path: &str) -> Option<(String, String)> {
    let mut segments = path.strip_prefix("/consumers/")?.split('/');
    let group = segments.next()?;
    if segments.next()? != "instances" {
        return None;
    }
    let instance = segments.next()?;
    let decoded = |s: &str| percent_decode_str(s).decode_utf8().ok().map(|s| s.into_owned());
    Some((decoded(group)?, decoded(instance)?))
}

async fn forward(owner: &str, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match format!("{owner}{path}").parse::<Uri>() {
        Ok(uri) => uri,
        Err(e) => return unreachable(owner, &e),
    };
    parts.version = Version::HTTP_11;
    // The Host header stays: the owner builds its URLs from the authority the client used.
    for hop in [CONNECTION, TRANSFER_ENCODING, UPGRADE] {
        parts.headers.remove(hop);
    }
    parts.headers.insert(FORWARDED_BY, HeaderValue::from_static("1"));
    match CLIENT.request(Request::from_parts(parts, body)).await {
        Ok(mut response) => {
            FORWARDS.with_label_values(&["answered"]).inc();
            response.headers_mut().remove(CONNECTION);
            response.map(Body::new)
        }
        Err(e) => unreachable(owner, &e),
    }
}

fn unreachable(owner: &str, error: &dyn std::fmt::Display) -> Response {
    FORWARDS.with_label_values(&["unreachable"]).inc();
    warn!(%owner, "the process holding a consumer instance does not answer: {error}");
    consumers::not_found().into_response()
}

#[cfg(test)]
mod tests {
    use super::instance_of;

    #[test]
    fn instance_paths_are_recognised_and_decoded() {
        let pair = |g: &str, i: &str| Some((g.to_string(), i.to_string()));
        assert_eq!(instance_of("/consumers/g/instances/i"), pair("g", "i"));
        assert_eq!(
            instance_of("/consumers/g%20x/instances/i%2Fj/records"),
            pair("g x", "i/j")
        );
        assert_eq!(instance_of("/consumers/g"), None);
        assert_eq!(instance_of("/consumers/g/other/i"), None);
        assert_eq!(instance_of("/topics/t"), None);
        assert_eq!(instance_of("/consumers/g/instances/%ff"), None);
    }
}
