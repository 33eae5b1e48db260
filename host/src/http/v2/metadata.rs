//! Handlers of the v2 metadata endpoints: brokers, topics, partitions and their offsets.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::metadata::{Brokers, MetadataService, Partition, PartitionOffsets, Topic};
use crate::plugins::bindings::policy::{Action, Target};

type Service = State<Arc<MetadataService>>;

pub async fn brokers(State(service): Service, caller: Caller) -> Result<Json<Brokers>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    service.brokers().await.map(Json)
}

/// Only the topics the caller may describe.
pub async fn topics(State(service): Service, caller: Caller) -> Result<Json<Vec<String>>, ApiError> {
    let names = service.topic_names().await?;
    let allowed = caller
        .allowed(Action::Describe, auth::topics(names.iter().map(String::as_str)))
        .await?;
    let visible = names
        .into_iter()
        .zip(allowed)
        .filter_map(|(name, answer)| answer.ok().map(|()| name))
        .collect();
    Ok(Json(visible))
}

pub async fn topic(
    State(service): Service,
    caller: Caller,
    Path(topic): Path<String>,
) -> Result<Json<Topic>, ApiError> {
    describe(&caller, &topic).await?;
    service.topic(&topic).await.map(Json)
}

pub async fn partitions(
    State(service): Service,
    caller: Caller,
    Path(topic): Path<String>,
) -> Result<Json<Vec<Partition>>, ApiError> {
    describe(&caller, &topic).await?;
    service.partitions(&topic).await.map(Json)
}

pub async fn partition(
    State(service): Service,
    caller: Caller,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<Partition>, ApiError> {
    describe(&caller, &topic).await?;
    service
        .partition(&topic, partition_number(&partition)?)
        .await
        .map(Json)
}

pub async fn offsets(
    State(service): Service,
    caller: Caller,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<PartitionOffsets>, ApiError> {
    describe(&caller, &topic).await?;
    service
        .offsets(&topic, partition_number(&partition)?)
        .await
        .map(Json)
}

async fn describe(caller: &Caller, topic: &str) -> Result<(), ApiError> {
    caller.authorize(Action::Describe, auth::topics([topic])).await
}

/// `{partition}` is an integer path parameter: anything else names no resource (404).
pub fn partition_number(text: &str) -> Result<i32, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}
