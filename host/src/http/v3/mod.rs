//! REST API v3 (`/v3/clusters/…`): plain `application/json`, Confluent's resource shapes with
//! `self`/`related` links and resource names, and one cluster — the one krest connects to.

mod clusters;
mod links;
mod records;
mod records_batch;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::http::state::AppState;
use crate::http::{json, media};

pub use links::{LinkSettings, Links};

/// The v3 routes, relative to `/v3`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters", get(clusters::list))
        .route("/clusters/{cluster}", get(clusters::get))
        .route(
            "/clusters/{cluster}/topics/{topic}/records",
            post(records::produce),
        )
        .route(
            "/clusters/{cluster}/topics/{topic}/records:batch",
            post(records_batch::produce),
        )
        .route_layer(middleware::from_fn(media::v3_json))
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
