//! REST API v2 routes, served at the root path as Confluent's proxy does.

mod metadata;

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::http::json::JsonBody;
use crate::http::media;
use crate::metadata::MetadataService;

pub fn router(metadata: Arc<MetadataService>) -> Router {
    Router::new()
        .route("/", get(root).post(post_root))
        .route("/brokers", get(metadata::brokers))
        .route("/topics", get(metadata::topics))
        .route("/topics/{topic}", get(metadata::topic))
        .route("/topics/{topic}/partitions", get(metadata::partitions))
        .route("/topics/{topic}/partitions/{partition}", get(metadata::partition))
        .route(
            "/topics/{topic}/partitions/{partition}/offsets",
            get(metadata::offsets),
        )
        .route_layer(middleware::from_fn(media::v2_json))
        .with_state(metadata)
}

/// `GET /`: liveness no-op answering `{}`.
async fn root() -> Json<Value> {
    Json(json!({}))
}

/// `POST /`: accepts a JSON object of strings and answers `{}`, as Confluent's proxy does.
async fn post_root(JsonBody(_): JsonBody<HashMap<String, String>>) -> Json<Value> {
    Json(json!({}))
}
