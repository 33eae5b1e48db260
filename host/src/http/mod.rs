//! The HTTP front: routers per API version, content negotiation, error rendering, metrics,
//! krest's own endpoints (`/metrics`, `/plugins`), and serving connections with deadlines.

pub mod error;
pub(crate) mod health;
pub(crate) mod json;
mod json_stream;
pub mod media;
pub mod metrics;
mod openapi;
mod plugins;
mod routes;
pub mod serve;
mod state;
pub mod tls;
mod v2;
pub mod v3;

use axum::extract::DefaultBodyLimit;
use axum::{middleware, Router};
use tower_http::normalize_path::NormalizePath;
use tower_http::trace::TraceLayer;

pub use state::AppState;

use routes::Routes;

use crate::auth::middleware::{authenticate, AuthGate};

/// Largest request body accepted: produce batches carry Base64, so room for several
/// maximum-size Kafka records (librdkafka's `message.max.bytes` is 1 MB by default).
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

/// The whole HTTP application, trailing slashes tolerated.
pub type App = NormalizePath<Router>;

/// `gate` authenticates every request, unknown paths included, before routing.
pub fn app(state: AppState, gate: AuthGate) -> App {
    let router = routes()
        .into_router()
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(middleware::from_fn_with_state(gate, authenticate))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn(v3::json_media_type))
        .layer(middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    NormalizePath::trim_trailing_slash(router)
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
