//! REST API v2 routes, served at the root path as Confluent's proxy does.

mod consumers;
pub(in crate::http) mod metadata;
mod produce;

use std::collections::HashMap;

use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::http::json::JsonBody;
use crate::http::media;
use crate::http::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root).post(post_root))
        .route("/brokers", get(metadata::brokers))
        .route("/topics", get(metadata::topics))
        .route("/topics/{topic}", get(metadata::topic).post(produce::to_topic))
        .route("/topics/{topic}/partitions", get(metadata::partitions))
        .route(
            "/topics/{topic}/partitions/{partition}",
            get(metadata::partition).post(produce::to_partition),
        )
        .route(
            "/topics/{topic}/partitions/{partition}/offsets",
            get(metadata::offsets),
        )
        .route_layer(middleware::from_fn(media::v2_json))
        .merge(consumer_router())
}

fn consumer_router() -> Router<AppState> {
    const INSTANCE: &str = "/consumers/{group}/instances/{instance}";
    let at = |suffix: &str| format!("{INSTANCE}{suffix}");
    Router::new()
        .route("/consumers/{group}", post(consumers::create))
        .route(INSTANCE, axum::routing::delete(consumers::delete))
        .route(
            &at("/subscription"),
            post(consumers::subscribe)
                .get(consumers::subscription)
                .delete(consumers::unsubscribe),
        )
        .route(
            &at("/assignments"),
            post(consumers::assign).get(consumers::assignments),
        )
        .route(&at("/positions"), post(consumers::seek))
        .route(&at("/positions/beginning"), post(consumers::seek_to_beginning))
        .route(&at("/positions/end"), post(consumers::seek_to_end))
        .route(&at("/records"), get(consumers::records))
        .route(&at("/offsets"), post(consumers::commit).get(consumers::committed))
        .route_layer(middleware::from_fn(media::v2_consumer))
}

/// `GET /`: liveness no-op answering `{}`.
async fn root() -> Json<Value> {
    Json(json!({}))
}

/// `POST /`: accepts a JSON object of strings and answers `{}`, as Confluent's proxy does.
async fn post_root(JsonBody(_): JsonBody<HashMap<String, String>>) -> Json<Value> {
    Json(json!({}))
}
