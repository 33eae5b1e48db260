//! `/v3/clusters/{cluster}/topics[/{topic}]`: list, describe, create, add partitions, delete.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_cluster, Body, Clients, ClusterLinks, Links};
use crate::auth::{self, Caller};
use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::kafka::admin_native::NewTopic;
use crate::kafka::metadata::{TopicMetadata, INTERNAL_TOPICS};
use crate::kafka::names;
use crate::plugins::bindings::policy::Action;

/// Only the topics the caller may describe, sorted by name.
pub async fn list(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let topics = describable_topics(&clients, &caller).await?;
    let at = links.cluster(&id);
    let data = topics
        .iter()
        .map(|topic| {
            topic_data(
                at,
                &id,
                &topic.name,
                replication_factor(topic),
                topic.partitions.len(),
            )
        })
        .collect();
    Ok(Json(at.list("KafkaTopicList", &["topics"], data)))
}

pub async fn get(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let metadata = describe_topic(&clients, &caller, &topic).await?;
    Ok(Json(described(links.cluster(&id), &id, &metadata)))
}

/// Every topic's metadata, leaving out those the caller may not describe.
pub(super) async fn describable_topics(
    clients: &CallerClients,
    caller: &Caller,
) -> Result<Vec<TopicMetadata>, ApiError> {
    let topics = clients.for_caller(caller).await?.metadata.topic_list().await?;
    let allowed = caller
        .allowed(
            Action::Describe,
            auth::topics(topics.iter().map(|t| t.name.as_str())),
        )
        .await?;
    Ok(topics
        .into_iter()
        .zip(allowed)
        .filter(|(_, answer)| answer.is_ok())
        .map(|(topic, _)| topic)
        .collect())
}

/// `topic`'s metadata, after authorizing `describe` on it (404/40403 when Kafka lacks it).
pub(super) async fn describe_topic(
    clients: &CallerClients,
    caller: &Caller,
    topic: &str,
) -> Result<TopicMetadata, ApiError> {
    caller.authorize(Action::Describe, auth::topics([topic])).await?;
    clients
        .for_caller(caller)
        .await?
        .metadata
        .topic_metadata(topic)
        .await
}

#[derive(Deserialize)]
pub struct CreateTopic {
    topic_name: String,
    partitions_count: Option<i32>,
    replication_factor: Option<i32>,
    #[serde(default)]
    replicas_assignments: BTreeMap<i32, Vec<i32>>,
    #[serde(default)]
    configs: Vec<NameValue>,
    #[serde(default)]
    validate_only: bool,
}

#[derive(Deserialize)]
pub struct NameValue {
    name: String,
    value: Option<String>,
}

/// 201 with `Location`, or 200 for `validate_only`. The answer echoes the request's counts
/// (0 when left to the broker), as Confluent's does.
pub async fn create(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
    Body(request): Body<CreateTopic>,
) -> Result<Response, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let name = request.topic_name;
    if names::invalid_topic(&name).is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42206,
            "Payload error. Invalid topic name.",
        ));
    }
    caller
        .authorize(Action::Create, auth::topics([name.as_str()]))
        .await?;
    // An assignment names every partition of the new topic: ids 0, 1, … with no gap.
    if request
        .replicas_assignments
        .keys()
        .copied()
        .ne(0..request.replicas_assignments.len() as i32)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            40002,
            "replicas_assignments must name partitions 0, 1, … without gaps",
        ));
    }
    let assignments: Vec<Vec<i32>> = request.replicas_assignments.into_values().collect();
    let (partitions, replication) = match assignments.first() {
        Some(first) => (Some(assignments.len() as i32), Some(first.len() as i32)),
        None => (request.partitions_count, request.replication_factor),
    };
    let topic = NewTopic {
        name: name.clone(),
        partitions,
        replication_factor: replication,
        assignments,
        configs: request
            .configs
            .into_iter()
            .filter_map(|c| c.value.map(|v| (c.name, v)))
            .collect(),
    };
    let kafka = clients.for_caller(&caller).await?;
    kafka.admin.create_topic(topic, request.validate_only).await?;
    let at = links.cluster(&id);
    let body = Json(topic_data(
        at,
        &id,
        &name,
        replication.unwrap_or(0),
        partitions.unwrap_or(0) as usize,
    ));
    if request.validate_only {
        return Ok(body.into_response());
    }
    let location = at.url(&["topics", &name]);
    Ok((StatusCode::CREATED, [(LOCATION, location)], body).into_response())
}

#[derive(Deserialize)]
pub struct UpdateTopic {
    partitions_count: i32,
}

/// Adds partitions up to `partitions_count`; answers the topic as it then is.
pub async fn update(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic)): Path<(String, String)>,
    Body(request): Body<UpdateTopic>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller
        .authorize(Action::Alter, auth::topics([topic.as_str()]))
        .await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka.metadata.topic_metadata(&topic).await?;
    let total = usize::try_from(request.partitions_count).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            40002,
            "Number of partitions must be larger than 0.",
        )
    })?;
    kafka.admin.create_partitions(&topic, total).await?;
    // The new partitions reach the metadata of every broker shortly after the call returns.
    let mut metadata = kafka.metadata.topic_metadata(&topic).await?;
    for _ in 0..50 {
        if metadata.partitions.len() >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        metadata = kafka.metadata.topic_metadata(&topic).await?;
    }
    Ok(Json(described(links.cluster(&id), &id, &metadata)))
}

pub async fn delete(
    State(clients): Clients,
    caller: Caller,
    Path((cluster, topic)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    check_cluster(&clients, &cluster).await?;
    caller
        .authorize(Action::Delete, auth::topics([topic.as_str()]))
        .await?;
    ApiError::check_topics([topic.as_str()])?;
    clients
        .for_caller(&caller)
        .await?
        .admin
        .delete_topic(&topic)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn described(at: ClusterLinks, cluster: &str, topic: &TopicMetadata) -> Value {
    topic_data(
        at,
        cluster,
        &topic.name,
        replication_factor(topic),
        topic.partitions.len(),
    )
}

/// The replica count of the first partition, as Confluent reports it.
fn replication_factor(topic: &TopicMetadata) -> i32 {
    topic.partitions.first().map_or(0, |p| p.replicas.len() as i32)
}

fn topic_data(
    at: ClusterLinks,
    cluster: &str,
    name: &str,
    replication_factor: i32,
    partitions: usize,
) -> Value {
    json!({
        "kind": "KafkaTopic",
        "metadata": at.metadata(&["topics", name], &[("topic", name)]),
        "cluster_id": cluster,
        "topic_name": name,
        "is_internal": INTERNAL_TOPICS.contains(&name),
        "replication_factor": replication_factor,
        "partitions_count": partitions,
        "partitions": at.related(&["topics", name, "partitions"]),
        "configs": at.related(&["topics", name, "configs"]),
        "partition_reassignments": at.related(&["topics", name, "partitions", "-", "reassignment"]),
        "authorized_operations": [],
    })
}
