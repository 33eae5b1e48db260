//! REST API v3 (`/v3/clusters/…`): plain `application/json`, Confluent's resource shapes with
//! `self`/`related` links and resource names, and one cluster — the one krest connects to.

mod acls;
mod brokers;
mod clusters;
mod configs;
mod groups;
mod links;
mod partition_records;
mod partitions;
mod records;
mod records_batch;
mod topics;

use axum::extract::State;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use axum::response::Response;
use serde::de::DeserializeOwned;
use std::sync::Arc;

use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::http::routes::Routes;
use crate::http::state::AppState;
use crate::http::{json, media};

pub use links::{ClusterLinks, LinkSettings, Links};

type Clients = State<Arc<CallerClients>>;

/// The v3 routes, relative to `/v3`.
pub fn routes() -> Routes<AppState> {
    const C: &str = "/clusters/{cluster}";
    const TOPIC: &str = "/clusters/{cluster}/topics/{topic}";
    const PARTITION: &str = "/clusters/{cluster}/topics/{topic}/partitions/{partition}";
    const BROKER: &str = "/clusters/{cluster}/brokers/{broker}";
    let at = |base: &str, tail: &str| format!("{base}{tail}");
    Routes::new()
        .get("/clusters", clusters::list)
        .get(C, clusters::get)
        .get(&at(C, "/brokers"), brokers::list)
        .get(BROKER, brokers::get)
        .get(&at(BROKER, "/partition-replicas"), partitions::on_broker)
        .get(&at(C, "/brokers/-/configs"), configs::all_brokers)
        .merge(config_routes(&at(BROKER, "/configs")))
        .merge(config_routes(&at(C, "/broker-configs")))
        .get(&at(C, "/topics"), topics::list)
        .post(&at(C, "/topics"), topics::create)
        .get(TOPIC, topics::get)
        .patch(TOPIC, topics::update)
        .delete(TOPIC, topics::delete)
        .get(&at(C, "/topics/-/configs"), configs::all_topics)
        .post(&at(C, "/topics/-/configs:alter"), configs::alter_topics)
        .merge(config_routes(&at(TOPIC, "/configs")))
        .post(&at(TOPIC, "/records"), records::produce)
        .post(&at(TOPIC, "/records:batch"), records_batch::produce)
        .get(&at(TOPIC, "/partitions"), partitions::list)
        .get(PARTITION, partitions::get)
        .get(&at(PARTITION, "/offset"), partitions::offset)
        .get(&at(PARTITION, "/records"), partition_records::read)
        .get(&at(PARTITION, "/replicas"), partitions::replicas)
        .get(&at(PARTITION, "/replicas/{broker}"), partitions::replica)
        .get(&at(C, "/acls"), acls::search)
        .post(&at(C, "/acls"), acls::create)
        .delete(&at(C, "/acls"), acls::delete)
        .post(&at(C, "/acls:batch"), acls::create_batch)
        .merge(group_routes())
        .route_layer(middleware::from_fn(media::v3_json))
}

/// A configs collection at `base` (`…/configs`): list, batch alter, and one config's get, set
/// and reset.
fn config_routes(base: &str) -> Routes<AppState> {
    let one = format!("{base}/{{name}}");
    Routes::new()
        .get(base, configs::list)
        .post(&format!("{base}:alter"), configs::alter)
        .get(&one, configs::get)
        .put(&one, configs::update)
        .delete(&one, configs::reset)
}

fn group_routes() -> Routes<AppState> {
    const GROUP: &str = "/clusters/{cluster}/consumer-groups/{group}";
    const CONSUMER: &str = "/clusters/{cluster}/consumer-groups/{group}/consumers/{consumer}";
    let at = |base: &str, tail: &str| format!("{base}{tail}");
    Routes::new()
        .get("/clusters/{cluster}/consumer-groups", groups::list)
        .get(GROUP, groups::get)
        .get(&at(GROUP, "/consumers"), groups::consumers)
        .get(CONSUMER, groups::consumer)
        .get(&at(CONSUMER, "/assignments"), groups::assignments)
        .get(
            &at(CONSUMER, "/assignments/{topic}/partitions/{partition}"),
            groups::assignment,
        )
        .get(&at(GROUP, "/lag-summary"), groups::lag_summary)
        .get(&at(GROUP, "/lags"), groups::lags)
        .get(&at(GROUP, "/lags/{topic}/partitions/{partition}"), groups::lag)
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

/// Whether `request` is one of API v3's.
pub fn is_v3(request: &Request) -> bool {
    let path = request.uri().path();
    path == "/v3" || path.starts_with("/v3/")
}

/// Every answer to a `/v3` path — errors of routing, authentication and body limits
/// included — is labelled `application/json`, not v2's type.
pub fn json_media_type(mut response: Response) -> Response {
    if response
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
        let bytes = json::body_bytes(request, state).await?;
        json::parse_optional(&bytes)?.map(Body).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                42206,
                "Payload error. Request body is empty. Data is required.",
            )
        })
    }
}
