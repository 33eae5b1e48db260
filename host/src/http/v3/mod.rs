//! REST API v3 (`/v3/clusters/…`): plain `application/json`, Confluent's resource shapes with
//! `self`/`related` links and resource names, and one cluster — the one krest connects to.

mod acls;
mod brokers;
mod clusters;
mod configs;
mod groups;
mod links;
mod partitions;
mod records;
mod records_batch;
mod topics;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use std::sync::Arc;

use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::http::state::AppState;
use crate::http::{json, media};

pub use links::{ClusterLinks, LinkSettings, Links};

type Clients = State<Arc<CallerClients>>;

/// The v3 routes, relative to `/v3`.
pub fn router() -> Router<AppState> {
    const C: &str = "/clusters/{cluster}";
    const TOPIC: &str = "/clusters/{cluster}/topics/{topic}";
    const PARTITION: &str = "/clusters/{cluster}/topics/{topic}/partitions/{partition}";
    const BROKER: &str = "/clusters/{cluster}/brokers/{broker}";
    let at = |base: &str, tail: &str| format!("{base}{tail}");
    let configs = || get(configs::list);
    let config = || get(configs::get).put(configs::update).delete(configs::reset);
    Router::new()
        .route("/clusters", get(clusters::list))
        .route(C, get(clusters::get))
        .route(&at(C, "/brokers"), get(brokers::list))
        .route(BROKER, get(brokers::get))
        .route(&at(BROKER, "/partition-replicas"), get(partitions::on_broker))
        .route(&at(C, "/brokers/-/configs"), get(configs::all_brokers))
        .route(&at(BROKER, "/configs"), configs())
        .route(&at(BROKER, "/configs:alter"), post(configs::alter))
        .route(&at(BROKER, "/configs/{name}"), config())
        .route(&at(C, "/broker-configs"), configs())
        .route(&at(C, "/broker-configs:alter"), post(configs::alter))
        .route(&at(C, "/broker-configs/{name}"), config())
        .route(&at(C, "/topics"), get(topics::list).post(topics::create))
        .route(
            TOPIC,
            get(topics::get).patch(topics::update).delete(topics::delete),
        )
        .route(&at(C, "/topics/-/configs"), get(configs::all_topics))
        .route(&at(C, "/topics/-/configs:alter"), post(configs::alter_topics))
        .route(&at(TOPIC, "/configs"), configs())
        .route(&at(TOPIC, "/configs:alter"), post(configs::alter))
        .route(&at(TOPIC, "/configs/{name}"), config())
        .route(&at(TOPIC, "/records"), post(records::produce))
        .route(&at(TOPIC, "/records:batch"), post(records_batch::produce))
        .route(&at(TOPIC, "/partitions"), get(partitions::list))
        .route(PARTITION, get(partitions::get))
        .route(&at(PARTITION, "/offset"), get(partitions::offset))
        .route(&at(PARTITION, "/replicas"), get(partitions::replicas))
        .route(&at(PARTITION, "/replicas/{broker}"), get(partitions::replica))
        .route(
            &at(C, "/acls"),
            get(acls::search).post(acls::create).delete(acls::delete),
        )
        .route(&at(C, "/acls:batch"), post(acls::create_batch))
        .merge(group_router())
        .route_layer(middleware::from_fn(media::v3_json))
}

fn group_router() -> Router<AppState> {
    const GROUP: &str = "/clusters/{cluster}/consumer-groups/{group}";
    const CONSUMER: &str = "/clusters/{cluster}/consumer-groups/{group}/consumers/{consumer}";
    let at = |base: &str, tail: &str| format!("{base}{tail}");
    Router::new()
        .route("/clusters/{cluster}/consumer-groups", get(groups::list))
        .route(GROUP, get(groups::get))
        .route(&at(GROUP, "/consumers"), get(groups::consumers))
        .route(CONSUMER, get(groups::consumer))
        .route(&at(CONSUMER, "/assignments"), get(groups::assignments))
        .route(
            &at(CONSUMER, "/assignments/{topic}/partitions/{partition}"),
            get(groups::assignment),
        )
        .route(&at(GROUP, "/lag-summary"), get(groups::lag_summary))
        .route(&at(GROUP, "/lags"), get(groups::lags))
        .route(
            &at(GROUP, "/lags/{topic}/partitions/{partition}"),
            get(groups::lag),
        )
}

/// The connected cluster's id when `cluster` names it; else 404, in Confluent's words.
pub async fn check_cluster(clients: &CallerClients, cluster: &str) -> Result<String, ApiError> {
    let id = clients.own().metadata.cluster_id().await?;
    if id == cluster {
        Ok(id.to_string())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            404,
            format!("Cluster {cluster} cannot be found."),
        ))
    }
}

/// Middleware on the whole application: every answer to a `/v3` path — errors of routing,
/// authentication and body limits included — is labelled `application/json`, not v2's type.
pub async fn json_media_type(request: Request, next: Next) -> Response {
    let is_v3 = request.uri().path() == "/v3" || request.uri().path().starts_with("/v3/");
    let mut response = next.run(request).await;
    if is_v3
        && response
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v == media::V2_JSON)
    {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(media::V3_JSON));
    }
    response
}

/// A required v3 request body: an empty one is 422/42206 as Confluent's v3 answers it; else as
/// [`json::parse`] (malformed JSON 400, wrong shape 422).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, 400, e.body_text()))?;
        json::parse_optional(&bytes)?.map(Body).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                42206,
                "Payload error. Request body is empty. Data is required.",
            )
        })
    }
}
