//! The HTTP front: routers per API version, content negotiation, error rendering, metrics.

mod error;
mod json;
pub mod media;
mod metrics;
mod v2;

use std::sync::Arc;

use axum::extract::Request;
use axum::routing::get;
use axum::{middleware, Router, ServiceExt};
use tower_http::normalize_path::NormalizePath;
use tower_http::trace::TraceLayer;

use crate::metadata::MetadataService;

pub use metrics::Metrics;

/// The whole HTTP application, trailing slashes tolerated.
pub fn app(
    metadata: Arc<MetadataService>,
    metrics: Metrics,
) -> axum::routing::IntoMakeService<NormalizePath<Router>> {
    let router = Router::new()
        .merge(v2::router(metadata))
        .route("/metrics", get(metrics::export).with_state(metrics.clone()))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(metrics, metrics::track))
        .layer(TraceLayer::new_for_http());
    ServiceExt::<Request>::into_make_service(NormalizePath::trim_trailing_slash(router))
}
