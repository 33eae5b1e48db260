//! `/v3/clusters/{cluster}/consumer-groups/…`: groups, their consumers and assignments, and
//! consumer lag — committed offsets against the latest offsets a read-committed consumer sees.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{check_cluster, Clients, ClusterLinks, Links};
use crate::auth::Caller;
use crate::clients::{CallerClients, KafkaClients};
use crate::error::ApiError;
use crate::http::v2::metadata::partition_number;
use crate::kafka::admin_native::{GroupDescription, Member};
use crate::kafka::names;
use crate::plugins::bindings::policy::{Action, Target};
use rdkafka::types::RDKafkaErrorCode;

/// Only the groups the caller may describe, sorted by id.
pub async fn list(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let kafka = clients.for_caller(&caller).await?;
    let mut groups = kafka.admin.list_groups().await?;
    groups.sort();
    let targets = groups.iter().map(|g| Target::Group(g.clone())).collect();
    let allowed = caller.allowed(Action::Describe, targets).await?;
    let visible = groups
        .into_iter()
        .zip(allowed)
        .filter(|(_, answer)| answer.is_ok())
        .map(|(group, _)| group)
        .collect();
    // A group gone between the listing and its description is left out.
    let described = kafka.admin.describe_groups(visible).await?;
    let at = links.cluster(&id);
    let data = described
        .iter()
        .filter_map(|group| group.as_ref().ok())
        .filter(|group| group.state != "DEAD")
        .map(|group| group_data(at, &id, group))
        .collect();
    Ok(Json(at.list(
        "KafkaConsumerGroupList",
        &["consumer-groups"],
        data,
    )))
}

pub async fn get(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let group = describe(&kafka, &group).await?;
    Ok(Json(group_data(links.cluster(&id), &id, &group)))
}

pub async fn consumers(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let described = describe(&kafka, &group).await?;
    let at = links.cluster(&id);
    let data = described
        .members
        .iter()
        .map(|m| consumer_data(at, &id, &group, m))
        .collect();
    Ok(Json(at.list(
        "KafkaConsumerList",
        &["consumer-groups", &group, "consumers"],
        data,
    )))
}

pub async fn consumer(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group, consumer)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let described = describe(&kafka, &group).await?;
    let member = find_member(&described, &consumer)?;
    Ok(Json(consumer_data(links.cluster(&id), &id, &group, member)))
}

pub async fn assignments(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group, consumer)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let described = describe(&kafka, &group).await?;
    let member = find_member(&described, &consumer)?;
    let at = links.cluster(&id);
    let data = member
        .assignment
        .iter()
        .map(|(topic, partition)| assignment_data(at, &id, &group, member, topic, *partition))
        .collect();
    let path = ["consumer-groups", &group, "consumers", &consumer, "assignments"];
    Ok(Json(at.list("KafkaConsumerAssignmentList", &path, data)))
}

pub async fn assignment(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group, consumer, topic, partition)): Path<(String, String, String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let partition = partition_number(&partition)?;
    let described = describe(&kafka, &group).await?;
    let member = find_member(&described, &consumer)?;
    if !member
        .assignment
        .iter()
        .any(|(t, p)| *t == topic && *p == partition)
    {
        return Err(ApiError::not_found());
    }
    Ok(Json(assignment_data(
        links.cluster(&id),
        &id,
        &group,
        member,
        &topic,
        partition,
    )))
}

/// Sorted as Confluent sorts them: largest lag first, then by topic and partition.
pub async fn lags(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let lags = group_lags(&kafka, &group).await?;
    let at = links.cluster(&id);
    let data = lags.iter().map(|lag| lag_data(at, &id, &group, lag)).collect();
    Ok(Json(at.list(
        "KafkaConsumerLagList",
        &["consumer-groups", &group, "lags"],
        data,
    )))
}

pub async fn lag(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group, topic, partition)): Path<(String, String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let partition = partition_number(&partition)?;
    let lags = group_lags(&kafka, &group).await?;
    let lag = lags
        .iter()
        .find(|l| l.topic == topic && l.partition == partition)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(lag_data(links.cluster(&id), &id, &group, lag)))
}

pub async fn lag_summary(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, group)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (id, kafka) = open(&clients, &caller, &cluster, &group).await?;
    let lags = group_lags(&kafka, &group).await?;
    let total: i64 = lags.iter().map(|l| l.lag).sum();
    let max = lags.first().ok_or_else(ApiError::not_found)?;
    let at = links.cluster(&id);
    let p = max.partition.to_string();
    Ok(Json(json!({
        "kind": "KafkaConsumerGroupLagSummary",
        "metadata": at.metadata(
            &["consumer-groups", &group, "lag-summary"],
            &[("consumer-group", &group), ("lag-summary", "")],
        ),
        "cluster_id": id,
        "consumer_group_id": group,
        "max_lag_consumer_id": max.consumer_id,
        "max_lag_instance_id": max.instance_id,
        "max_lag_client_id": max.client_id,
        "max_lag_topic_name": max.topic,
        "max_lag_partition_id": max.partition,
        "max_lag": max.lag,
        "total_lag": total,
        "max_lag_consumer": at.related(&["consumer-groups", &group, "consumers", &max.consumer_id]),
        "max_lag_partition": at.related(&["topics", &max.topic, "partitions", &p]),
    })))
}

/// Checks the cluster and authorizes describing the group; the caller's Kafka clients.
async fn open(
    clients: &CallerClients,
    caller: &Caller,
    cluster: &str,
    group: &str,
) -> Result<(String, Arc<KafkaClients>), ApiError> {
    let id = check_cluster(clients, cluster).await?;
    caller
        .authorize(Action::Describe, vec![Target::Group(group.to_string())])
        .await?;
    Ok((id, clients.for_caller(caller).await?))
}

/// The group; 404 when Kafka does not know it (an unknown group is reported dead) or the id
/// cannot name one (empty, over Kafka's length, a NUL), which librdkafka refuses with a 500.
async fn describe(kafka: &KafkaClients, group: &str) -> Result<GroupDescription, ApiError> {
    if names::invalid_group(group).is_some() {
        return Err(ApiError::not_found());
    }
    match kafka.admin.describe_group(group).await {
        Ok(described) if described.state != "DEAD" => Ok(described),
        Ok(_) => Err(ApiError::not_found()),
        Err(e) if e.code == RDKafkaErrorCode::GroupIdNotFound => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}

fn find_member<'a>(group: &'a GroupDescription, consumer: &str) -> Result<&'a Member, ApiError> {
    group
        .members
        .iter()
        .find(|m| m.consumer_id == consumer)
        .ok_or_else(ApiError::not_found)
}

/// One committed partition's lag, with the member it is assigned to (if any).
struct Lag {
    topic: String,
    partition: i32,
    current: i64,
    end: i64,
    lag: i64,
    consumer_id: String,
    instance_id: Option<String>,
    client_id: String,
}

/// Every partition the group has committed an offset for, largest lag first; 404 with
/// Confluent's message when there is none.
async fn group_lags(kafka: &KafkaClients, group: &str) -> Result<Vec<Lag>, ApiError> {
    let described = describe(kafka, group).await?;
    let committed = kafka.admin.committed_offsets(group).await?;
    if committed.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            404,
            "Consumer lags not found.",
        ));
    }
    let partitions = committed.iter().map(|(t, p, _)| (t.clone(), *p)).collect();
    let ends = kafka.admin.end_offsets(partitions).await?;
    let mut lags: Vec<Lag> = committed
        .into_iter()
        .zip(ends)
        .map(|((topic, partition, current), end)| {
            let member = described
                .members
                .iter()
                .find(|m| m.assignment.iter().any(|(t, p)| *t == topic && *p == partition));
            Lag {
                lag: (end - current).max(0),
                consumer_id: member.map(|m| m.consumer_id.clone()).unwrap_or_default(),
                instance_id: member.and_then(|m| m.instance_id.clone()),
                client_id: member.map(|m| m.client_id.clone()).unwrap_or_default(),
                topic,
                partition,
                current,
                end,
            }
        })
        .collect();
    lags.sort_by(|a, b| {
        b.lag
            .cmp(&a.lag)
            .then_with(|| a.topic.cmp(&b.topic))
            .then(a.partition.cmp(&b.partition))
    });
    Ok(lags)
}

fn group_data(at: ClusterLinks, cluster: &str, group: &GroupDescription) -> Value {
    let id = group.group_id.as_str();
    let mut data = json!({
        "kind": "KafkaConsumerGroup",
        "metadata": at.metadata(&["consumer-groups", id], &[("consumer-group", id)]),
        "cluster_id": cluster,
        "consumer_group_id": id,
        "is_simple": group.is_simple,
        "partition_assignor": group.partition_assignor,
        "state": group.state,
        "type": group.group_type,
        "is_mixed_consumer_group": false,
        "consumers": at.related(&["consumer-groups", id, "consumers"]),
        "lag_summary": at.related(&["consumer-groups", id, "lag-summary"]),
    });
    if let Some(broker) = group.coordinator {
        data["coordinator"] = at.related(&["brokers", &broker.to_string()]);
    }
    data
}

fn consumer_data(at: ClusterLinks, cluster: &str, group: &str, member: &Member) -> Value {
    let consumer = member.consumer_id.as_str();
    json!({
        "kind": "KafkaConsumer",
        "metadata": at.metadata(
            &["consumer-groups", group, "consumers", consumer],
            &[("consumer-group", group), ("consumer", consumer)],
        ),
        "cluster_id": cluster,
        "consumer_group_id": group,
        "consumer_id": consumer,
        "instance_id": member.instance_id,
        "client_id": member.client_id,
        "assignments": at.related(&["consumer-groups", group, "consumers", consumer, "assignments"]),
    })
}

fn assignment_data(
    at: ClusterLinks,
    cluster: &str,
    group: &str,
    member: &Member,
    topic: &str,
    partition: i32,
) -> Value {
    let (consumer, p) = (member.consumer_id.as_str(), partition.to_string());
    json!({
        "kind": "KafkaConsumerAssignment",
        "metadata": at.metadata(
            &["consumer-groups", group, "consumers", consumer, "assignments", topic, "partitions", &p],
            &[("consumer-group", group), ("consumer", consumer), ("assignment", topic), ("partition", &p)],
        ),
        "cluster_id": cluster,
        "consumer_group_id": group,
        "consumer_id": consumer,
        "topic_name": topic,
        "partition_id": partition,
        "partition": at.related(&["topics", topic, "partitions", &p]),
        "lag": at.related(&["consumer-groups", group, "lags", topic, "partitions", &p]),
    })
}

fn lag_data(at: ClusterLinks, cluster: &str, group: &str, lag: &Lag) -> Value {
    let p = lag.partition.to_string();
    json!({
        "kind": "KafkaConsumerLag",
        "metadata": at.metadata(
            &["consumer-groups", group, "lags", &lag.topic, "partitions", &p],
            &[("consumer-group", group), ("lag", &lag.topic), ("partition", &p)],
        ),
        "cluster_id": cluster,
        "consumer_group_id": group,
        "topic_name": lag.topic,
        "partition_id": lag.partition,
        "current_offset": lag.current,
        "log_end_offset": lag.end,
        "lag": lag.lag,
        "consumer_id": lag.consumer_id,
        "instance_id": lag.instance_id,
        "client_id": lag.client_id,
    })
}
