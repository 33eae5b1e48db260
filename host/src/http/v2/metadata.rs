//! Handlers of the v2 metadata endpoints: brokers, topics, partitions and their offsets.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;

use crate::error::ApiError;
use crate::metadata::{Brokers, MetadataService, Partition, PartitionOffsets, Topic};

type Service = State<Arc<MetadataService>>;

pub async fn brokers(State(service): Service) -> Result<Json<Brokers>, ApiError> {
    service.brokers().await.map(Json)
}

pub async fn topics(State(service): Service) -> Result<Json<Vec<String>>, ApiError> {
    service.topic_names().await.map(Json)
}

pub async fn topic(State(service): Service, Path(topic): Path<String>) -> Result<Json<Topic>, ApiError> {
    service.topic(&topic).await.map(Json)
}

pub async fn partitions(
    State(service): Service,
    Path(topic): Path<String>,
) -> Result<Json<Vec<Partition>>, ApiError> {
    service.partitions(&topic).await.map(Json)
}

pub async fn partition(
    State(service): Service,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<Partition>, ApiError> {
    service
        .partition(&topic, partition_number(&partition)?)
        .await
        .map(Json)
}

pub async fn offsets(
    State(service): Service,
    Path((topic, partition)): Path<(String, String)>,
) -> Result<Json<PartitionOffsets>, ApiError> {
    service
        .offsets(&topic, partition_number(&partition)?)
        .await
        .map(Json)
}

/// `{partition}` is an integer path parameter: anything else names no resource (404).
pub fn partition_number(text: &str) -> Result<i32, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}
