//! REST API v2 routes, served at the root path as Confluent's proxy does.

mod consumers;
pub(in crate::http) mod metadata;
mod produce;
mod record_stream;

use std::collections::HashMap;

use axum::{middleware, Json};
use serde_json::{json, Value};

use crate::http::json::JsonBody;
use crate::http::media;
use crate::http::routes::Routes;
use crate::http::state::AppState;

pub fn routes() -> Routes<AppState> {
    const PARTITION: &str = "/topics/{topic}/partitions/{partition}";
    Routes::new()
        .get("/", root)
        .post("/", post_root)
        .get("/brokers", metadata::brokers)
        .get("/topics", metadata::topics)
        .get("/topics/{topic}", metadata::topic)
        .post("/topics/{topic}", produce::to_topic)
        .get("/topics/{topic}/partitions", metadata::partitions)
        .get(PARTITION, metadata::partition)
        .post(PARTITION, produce::to_partition)
        .get(&format!("{PARTITION}/offsets"), metadata::offsets)
        .route_layer(middleware::from_fn(media::v2_json))
        .merge(consumer_routes())
}

fn consumer_routes() -> Routes<AppState> {
    const INSTANCE: &str = "/consumers/{group}/instances/{instance}";
    let at = |suffix: &str| format!("{INSTANCE}{suffix}");
    Routes::new()
        .post("/consumers/{group}", consumers::create)
        .delete(INSTANCE, consumers::delete)
        .post(&at("/subscription"), consumers::subscribe)
        .get(&at("/subscription"), consumers::subscription)
        .delete(&at("/subscription"), consumers::unsubscribe)
        .post(&at("/assignments"), consumers::assign)
        .get(&at("/assignments"), consumers::assignments)
        .post(&at("/positions"), consumers::seek)
        .post(&at("/positions/beginning"), consumers::seek_to_beginning)
        .post(&at("/positions/end"), consumers::seek_to_end)
        .get(&at("/records"), consumers::records)
        .post(&at("/offsets"), consumers::commit)
        .get(&at("/offsets"), consumers::committed)
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
