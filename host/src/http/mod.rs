//! The HTTP front: routers per API version, content negotiation, error rendering, metrics,
//! request ids and access logs, krest's own endpoints (`/metrics`, `/plugins`), and serving
//! connections with deadlines.

mod body_deadline;
pub mod error;
mod forward;
pub(crate) mod health;
pub(crate) mod json;
mod json_stream;
pub mod media;
pub mod metrics;
pub mod observe;
mod openapi;
mod plugins;
mod routes;
pub mod serve;
mod state;
pub mod tls;
mod v2;
pub mod v3;

use std::sync::{Arc, OnceLock};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::normalize_path::NormalizePath;

pub use state::{AppState, Services};

use routes::Routes;

use crate::auth::middleware::{self as auth_middleware, AuthGate};
use crate::config::cors::CorsConfig;

/// Default of `request.body.max.bytes`: produce batches carry Base64, so room for several
/// maximum-size Kafka records (librdkafka's `message.max.bytes` is 1 MB by default).
const DEFAULT_MAX_REQUEST_BYTES: usize = 64 << 20;

/// `request.body.max.bytes`, set once at start-up (before any router is built).
static MAX_REQUEST_BYTES: OnceLock<usize> = OnceLock::new();

/// Sets the largest request body accepted; only the first call counts.
pub fn set_max_request_bytes(max: usize) {
    let _ = MAX_REQUEST_BYTES.set(max);
}

/// The largest request body accepted (a streamed v3 produce request is bounded per record).
pub fn max_request_bytes() -> usize {
    MAX_REQUEST_BYTES
        .get()
        .copied()
        .unwrap_or(DEFAULT_MAX_REQUEST_BYTES)
}

/// The whole HTTP application, observed, trailing slashes tolerated.
pub type App = NormalizePath<observe::Observed<Router>>;

/// `gate` authenticates every request, unknown paths included, before routing; a request for
/// a consumer instance another process holds is then forwarded there. With `cors`, every
/// answer carries CORS headers and preflight requests are answered before authentication
/// (browsers send them without credentials).
pub fn app(state: AppState, gate: AuthGate, cors: Option<&CorsConfig>) -> App {
    let door = FrontDoor {
        gate,
        consumers: state.consumers.clone(),
    };
    let mut router = routes()
        .into_router()
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_request_bytes()))
        .layer(middleware::from_fn_with_state(door, front_door))
        .with_state(state);
    if let Some(cors) = cors {
        router = router.layer(cors_layer(cors));
    }
    NormalizePath::trim_trailing_slash(observe::requests(router))
}

/// Confluent's `access.control.allow.*` as a tower-http CORS layer.
fn cors_layer(config: &CorsConfig) -> CorsLayer {
    let origins = match &config.origins {
        None => AllowOrigin::any(),
        Some(origins) => AllowOrigin::list(origins.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods(config.methods.clone())
        .allow_headers(config.headers.clone())
}

/// What the proxy's middleware needs: the auth settings and where consumer instances are.
#[derive(Clone)]
struct FrontDoor {
    gate: AuthGate,
    consumers: Arc<crate::consumers::ConsumerManager>,
}

/// What every request and answer of the proxy goes through, in one middleware (each layer
/// costs every request allocations): the caller authenticated, a request for a consumer
/// instance another process holds forwarded there; the answer counted and timed per route,
/// the HTTP stack's plain-text errors rendered as JSON, v3's answers labelled as v3's.
async fn front_door(State(door): State<FrontDoor>, request: Request, next: Next) -> Response {
    observe::name_route(&request);
    let counted = metrics::Counted::proxy(&request);
    let v3 = v3::is_v3(&request);
    let response = match auth_middleware::identify(&door.gate, request).await {
        Ok(request) => forward::to_owner(&door.consumers, request, next).await,
        Err(refusal) => refusal,
    };
    let mut response = error::json_errors(response).await;
    if v3 {
        response = v3::json_media_type(response);
    }
    counted.answered(&response);
    response
}

/// Every route of the proxy's listeners, as `/openapi.json` documents them.
fn routes() -> Routes<AppState> {
    Routes::new()
        .merge(v2::routes())
        .nest("/v3", v3::routes())
        .get("/metrics", metrics::export)
        .get("/plugins", plugins::list)
        .post("/plugins/{name}/test", plugins::test)
        .get("/openapi.json", openapi::document)
        .get("/livez", health::live)
        .get("/readyz", health::ready)
}
