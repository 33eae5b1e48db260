//! Handlers of the v2 metadata endpoints: brokers, topics, partitions and their offsets.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use crate::auth::{self, Caller};
use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::metadata::{Brokers, Partition, PartitionOffsets, Topic};
use crate::plugins::bindings::policy::{Action, Target};

type Clients = State<Arc<CallerClients>>;

pub async fn brokers(State(clients): Clients, caller: Caller) -> Result<Json<Brokers>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka.metadata.brokers().await.map(Json)
}

/// Only the topics the caller may describe.
pub async fn topics(State(clients): Clients, caller: Caller) -> Result<Json<Vec<String>>, ApiError> {
    let kafka = clients.for_caller(&caller).await?;
    let names = kafka.metadata.topic_names().await?;
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
    State(clients): Clients,
    caller: Caller,
    Path(topic): Path<String>,
) -> Result<Json<Topic>, ApiError> {
    describe(&caller, &topic).await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka.metadata.topic(&topic).await.map(Json)
}

pub async fn partitions(
    State(clients): Clients,
    caller: Caller,
    Path(topic): Path<String>,
) -> Result<Json<Vec<Partition>>, ApiError> {
    describe(&caller, &topic).await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka.metadata.partitions(&topic).await.map(Json)
}

pub async fn partition(
    State(clients): Clients,
    caller: Caller,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<Partition>, ApiError> {
    describe(&caller, &topic).await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka
        .metadata
        .partition(&topic, partition_number(&partition)?)
        .await
        .map(Json)
}

pub async fn offsets(
    State(clients): Clients,
    caller: Caller,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<PartitionOffsets>, ApiError> {
    describe(&caller, &topic).await?;
    let kafka = clients.for_caller(&caller).await?;
    kafka
        .metadata
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
