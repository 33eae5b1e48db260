//! `/v3/clusters/{cluster}/brokers[/{broker}]`: the cluster's brokers.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::{check_cluster, Clients, ClusterLinks, Links};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::kafka::metadata::BrokerMetadata;
use crate::plugins::bindings::policy::{Action, Target};

pub async fn list(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let brokers = clients.for_caller(&caller).await?.metadata.broker_list().await?;
    let at = links.cluster(&id);
    let data = brokers.iter().map(|b| broker_data(at, &id, b)).collect();
    Ok(Json(at.list("KafkaBrokerList", &["brokers"], data)))
}

pub async fn get(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path((cluster, broker)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let broker = find(&clients, &caller, &broker).await?;
    Ok(Json(broker_data(links.cluster(&id), &id, &broker)))
}

/// The broker `text` names; 404 when it is no broker id of the cluster.
pub async fn find(
    clients: &crate::clients::CallerClients,
    caller: &Caller,
    text: &str,
) -> Result<BrokerMetadata, ApiError> {
    let wanted: i32 = text.parse().map_err(|_| ApiError::not_found())?;
    let brokers = clients.for_caller(caller).await?.metadata.broker_list().await?;
    brokers
        .into_iter()
        .find(|b| b.id == wanted)
        .ok_or_else(ApiError::not_found)
}

fn broker_data(at: ClusterLinks, cluster: &str, broker: &BrokerMetadata) -> Value {
    let id = broker.id.to_string();
    json!({
        "kind": "KafkaBroker",
        "metadata": at.metadata(&["brokers", &id], &[("broker", &id)]),
        "cluster_id": cluster,
        "broker_id": broker.id,
        "host": broker.host,
        "port": broker.port,
        // librdkafka's metadata does not carry the rack.
        "rack": null,
        "configs": at.related(&["brokers", &id, "configs"]),
        "partition_replicas": at.related(&["brokers", &id, "partition-replicas"]),
    })
}
