//! `GET /v3/clusters` and `/v3/clusters/{cluster}`: the one cluster krest connects to.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::{check_cluster, Links};
use crate::auth::Caller;
use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::plugins::bindings::policy::{Action, Target};

pub async fn list(
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    links: Links,
) -> Result<Json<Value>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let id = clients.own().metadata.cluster_id().await?.to_string();
    let cluster = cluster_data(&clients, &caller, &links, &id).await?;
    Ok(Json(links.list("KafkaClusterList", &["clusters"], vec![cluster])))
}

pub async fn get(
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    cluster_data(&clients, &caller, &links, &id).await.map(Json)
}

async fn cluster_data(
    clients: &CallerClients,
    caller: &Caller,
    links: &Links,
    id: &str,
) -> Result<Value, ApiError> {
    let controller = clients.for_caller(caller).await?.metadata.controller_id().await?;
    let at = links.cluster(id);
    let mut cluster = json!({
        "kind": "KafkaCluster",
        "metadata": at.metadata(&[], &[]),
        "cluster_id": id,
        "acls": at.related(&["acls"]),
        "brokers": at.related(&["brokers"]),
        "broker_configs": at.related(&["broker-configs"]),
        "consumer_groups": at.related(&["consumer-groups"]),
        "topics": at.related(&["topics"]),
        "partition_reassignments": at.related(&["topics", "-", "partitions", "-", "reassignment"]),
    });
    if let Some(broker) = controller {
        cluster["controller"] = at.related(&["brokers", &broker.to_string()]);
    }
    Ok(cluster)
}
