//! Handlers of the v2 produce endpoints. The Content-Type's embedded format picks the format
//! plugin: `application/vnd.kafka.NAME.v2+json` → plugin `NAME`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::metadata::partition_number;
use crate::auth::{self, Caller};
use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::http::json::{self, HeadersAndBody};
use crate::http::media;
use crate::plugins::bindings::policy::Action;
use crate::produce::{ProduceRequest, ProduceService, Requester};
use crate::transforms::call_context;

pub async fn to_topic(
    State(service): State<Arc<ProduceService>>,
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    Path(topic): Path<String>,
    HeadersAndBody(headers, body): HeadersAndBody,
) -> Result<Response, ApiError> {
    caller
        .authorize(Action::Write, auth::topics([topic.as_str()]))
        .await?;
    produce(&service, &clients, &caller, &topic, None, &headers, &body).await
}

pub async fn to_partition(
    State(service): State<Arc<ProduceService>>,
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    Path((topic, partition)): Path<(String, String)>,
    HeadersAndBody(headers, body): HeadersAndBody,
) -> Result<Response, ApiError> {
    let partition = partition_number(&partition)?;
    caller
        .authorize(Action::Write, auth::topics([topic.as_str()]))
        .await?;
    produce(
        &service,
        &clients,
        &caller,
        &topic,
        Some(partition),
        &headers,
        &body,
    )
    .await
}

async fn produce(
    service: &ProduceService,
    clients: &CallerClients,
    caller: &Caller,
    topic: &str,
    partition: Option<i32>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    // 415 before the body is looked at: only a loaded format plugin can read it. The
    // request keeps this plugin version even if the plugin is replaced meanwhile.
    let plugin = media::request_format(headers)
        .and_then(|name| service.format(&name))
        .ok_or_else(ApiError::unsupported_media_type)?;
    let request: ProduceRequest = json::parse(body)?;
    let kafka = clients.for_caller(caller).await?;
    let requester = Requester {
        kafka: &kafka,
        caller,
        context: call_context(caller.name(), headers),
    };
    let (status, response) = service
        .produce(&requester, &plugin, topic, partition, request)
        .await?;
    let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    Ok((status, json, response.to_json()).into_response())
}
