//! `/v3/clusters/{cluster}/topics/{topic}/partitions[/{partition}[/offset|/replicas[/{broker}]]]`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::topics::{describable_topics, describe_topic};
use super::{brokers, check_cluster, Clients, ClusterLinks, Links};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::v2::metadata::partition_number;
use crate::kafka::metadata::PartitionMetadata;
use crate::plugins::bindings::policy::{Action, Target};

type PartitionPath = Path<(String, String, String)>;

pub async fn list(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let metadata = describe_topic(&clients, &caller, &topic).await?;
    let at = links.cluster(&id);
    let data = metadata
        .partitions
        .iter()
        .map(|p| partition_data(at, &id, &topic, p))
        .collect();
    Ok(Json(at.list(
        "KafkaPartitionList",
        &["topics", &topic, "partitions"],
        data,
    )))
}

pub async fn get(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic, partition)): PartitionPath,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let partition = find(&clients, &caller, &topic, &partition).await?;
    Ok(Json(partition_data(links.cluster(&id), &id, &topic, &partition)))
}

#[derive(Deserialize)]
pub struct OffsetQuery {
    offset_type: Option<String>,
}

/// The earliest and latest offsets (`offset_type=earliest_and_latest`, the only type).
pub async fn offset(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic, partition)): PartitionPath,
    Query(query): Query<OffsetQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let offset_type = query.offset_type.unwrap_or_else(|| "earliest_and_latest".into());
    if offset_type != "earliest_and_latest" {
        let message = format!("offset_type:{offset_type} is invalid");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, 400, message));
    }
    let partition = find(&clients, &caller, &topic, &partition).await?;
    let offsets = clients
        .for_caller(&caller)
        .await?
        .metadata
        .offsets(&topic, partition.id)
        .await?;
    let p = partition.id.to_string();
    Ok(Json(json!({
        "kind": "KafkaPartitionWithOffsets",
        "metadata": links.cluster(&id).metadata(
            &["topics", &topic, "partitions", &p, "offset"],
            &[("topic", &topic), ("partition", &p), ("offset_type", &offset_type)],
        ),
        "cluster_id": id,
        "topic_name": topic,
        "partition_id": partition.id,
        "earliest_offset": offsets.beginning_offset,
        "latest_offset": offsets.end_offset,
    })))
}

pub async fn replicas(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic, partition)): PartitionPath,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let partition = find(&clients, &caller, &topic, &partition).await?;
    let at = links.cluster(&id);
    let data = partition
        .replicas
        .iter()
        .map(|&broker| replica_data(at, &id, &topic, &partition, broker))
        .collect();
    let p = partition.id.to_string();
    Ok(Json(at.list(
        "KafkaReplicaList",
        &["topics", &topic, "partitions", &p, "replicas"],
        data,
    )))
}

pub async fn replica(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, topic, partition, broker)): Path<(String, String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let partition = find(&clients, &caller, &topic, &partition).await?;
    let broker = broker
        .parse::<i32>()
        .ok()
        .filter(|b| partition.replicas.contains(b))
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(replica_data(
        links.cluster(&id),
        &id,
        &topic,
        &partition,
        broker,
    )))
}

/// `GET brokers/{broker}/partition-replicas`: the replicas the broker hosts, of the topics the
/// caller may describe.
pub async fn on_broker(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, broker)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let broker = brokers::find(&clients, &caller, &broker).await?.id;
    let topics = describable_topics(&clients, &caller).await?;
    let at = links.cluster(&id);
    let data = topics
        .iter()
        .flat_map(|topic| {
            topic
                .partitions
                .iter()
                .filter(|p| p.replicas.contains(&broker))
                .map(|p| replica_data(at, &id, &topic.name, p, broker))
        })
        .collect();
    let b = broker.to_string();
    Ok(Json(at.list(
        "KafkaReplicaList",
        &["brokers", &b, "partition-replicas"],
        data,
    )))
}

/// The partition `text` names, after authorizing describe on the topic: 404/40403 for an
/// unknown topic, 404/40402 for a partition it does not have.
async fn find(
    clients: &crate::clients::CallerClients,
    caller: &Caller,
    topic: &str,
    text: &str,
) -> Result<PartitionMetadata, ApiError> {
    let wanted = partition_number(text)?;
    describe_topic(clients, caller, topic)
        .await?
        .partitions
        .into_iter()
        .find(|p| p.id == wanted)
        .ok_or_else(ApiError::partition_not_found)
}

fn partition_data(at: ClusterLinks, cluster: &str, topic: &str, partition: &PartitionMetadata) -> Value {
    let p = partition.id.to_string();
    let mut data = json!({
        "kind": "KafkaPartition",
        "metadata": at.metadata(&["topics", topic, "partitions", &p], &[("topic", topic), ("partition", &p)]),
        "cluster_id": cluster,
        "topic_name": topic,
        "partition_id": partition.id,
        "replicas": at.related(&["topics", topic, "partitions", &p, "replicas"]),
        "reassignment": at.related(&["topics", topic, "partitions", &p, "reassignment"]),
    });
    if partition.leader >= 0 {
        let leader = partition.leader.to_string();
        data["leader"] = at.related(&["topics", topic, "partitions", &p, "replicas", &leader]);
    }
    data
}

fn replica_data(
    at: ClusterLinks,
    cluster: &str,
    topic: &str,
    partition: &PartitionMetadata,
    broker: i32,
) -> Value {
    let (p, b) = (partition.id.to_string(), broker.to_string());
    json!({
        "kind": "KafkaReplica",
        "metadata": at.metadata(
            &["topics", topic, "partitions", &p, "replicas", &b],
            &[("topic", topic), ("partition", &p), ("replica", &b)],
        ),
        "cluster_id": cluster,
        "topic_name": topic,
        "partition_id": partition.id,
        "broker_id": broker,
        "is_leader": partition.leader == broker,
        "is_in_sync": partition.in_sync_replicas.contains(&broker),
        "broker": at.related(&["brokers", &b]),
    })
}
