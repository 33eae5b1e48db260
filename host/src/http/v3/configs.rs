//! Configs of topics (`topics/{topic}/configs`), brokers (`brokers/{broker}/configs`) and the
//! cluster-wide broker defaults (`broker-configs`): list, get, set, reset and batch alter.
//!
//! Changes go through IncrementalAlterConfigs, so a change to one config leaves the other
//! dynamic configs of the resource as they were (legacy AlterConfigs would reset them).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{brokers, check_cluster, Body, Clients, ClusterLinks, Links};
use crate::auth::{self, Caller};
use crate::clients::{CallerClients, KafkaClients};
use crate::error::ApiError;
use crate::kafka::admin_native::{ConfigChange, ConfigEntry, ConfigTarget};
use crate::plugins::bindings::policy::{Action, Target};

type Params = Path<HashMap<String, String>>;

const DYNAMIC_DEFAULT: &str = "DYNAMIC_DEFAULT_BROKER_CONFIG";

/// The resource whose configs a request addresses, from its path parameters.
enum Owner {
    Topic(String),
    Broker(i32),
    Cluster,
}

impl Owner {
    /// Checks the cluster and that the topic or broker exists (404 otherwise).
    async fn from_params(
        clients: &CallerClients,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<(String, Owner), ApiError> {
        let cluster = params.get("cluster").map(String::as_str).unwrap_or_default();
        let id = check_cluster(clients, cluster).await?;
        let owner = if let Some(topic) = params.get("topic") {
            ApiError::check_topics([topic.as_str()])?;
            Owner::Topic(topic.clone())
        } else if let Some(broker) = params.get("broker") {
            Owner::Broker(brokers::find(clients, caller, broker).await?.id)
        } else {
            Owner::Cluster
        };
        Ok((id, owner))
    }

    async fn authorize(&self, caller: &Caller, action: Action) -> Result<(), ApiError> {
        let targets = match self {
            Owner::Topic(topic) => auth::topics([topic.as_str()]),
            Owner::Broker(_) | Owner::Cluster => vec![Target::Cluster],
        };
        caller.authorize(action, targets).await
    }

    /// The Kafka resource; `None` for the cluster-wide defaults, which librdkafka cannot name.
    fn target(&self) -> Option<ConfigTarget> {
        match self {
            Owner::Topic(topic) => Some(ConfigTarget::Topic(topic.clone())),
            Owner::Broker(id) => Some(ConfigTarget::Broker(*id)),
            Owner::Cluster => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Owner::Topic(_) => "KafkaTopicConfig",
            Owner::Broker(_) => "KafkaBrokerConfig",
            Owner::Cluster => "KafkaClusterConfig",
        }
    }

    /// The path of the config collection, relative to the cluster.
    fn path(&self) -> Vec<String> {
        match self {
            Owner::Topic(topic) => vec!["topics".into(), topic.clone(), "configs".into()],
            Owner::Broker(id) => vec!["brokers".into(), id.to_string(), "configs".into()],
            Owner::Cluster => vec!["broker-configs".into()],
        }
    }

    fn config_data(&self, at: ClusterLinks, cluster: &str, entry: &ConfigEntry) -> Value {
        let mut path: Vec<&str> = Vec::new();
        let owned = self.path();
        path.extend(owned.iter().map(String::as_str));
        path.push(&entry.name);
        let broker_id = match self {
            Owner::Broker(id) => id.to_string(),
            _ => String::new(),
        };
        let crn: Vec<(&str, &str)> = match self {
            Owner::Topic(topic) => vec![("topic", topic), ("config", &entry.name)],
            Owner::Broker(_) => vec![("broker", &broker_id), ("config", &entry.name)],
            Owner::Cluster => vec![("broker-config", &entry.name)],
        };
        let mut data = json!({
            "kind": self.kind(),
            "metadata": at.metadata(&path, &crn),
            "cluster_id": cluster,
            "name": entry.name,
            "value": entry.value,
            "is_default": entry.is_default,
            "is_read_only": entry.is_read_only,
            "is_sensitive": entry.is_sensitive,
            "source": entry.source,
            "synonyms": entry.synonyms.iter().map(|s| json!({
                "name": s.name, "value": s.value, "source": s.source,
            })).collect::<Vec<_>>(),
        });
        match self {
            Owner::Topic(topic) => data["topic_name"] = json!(topic),
            Owner::Broker(id) => data["broker_id"] = json!(id),
            Owner::Cluster => data["config_type"] = json!("BROKER"),
        }
        data
    }

    /// The resource's configs, sorted by name.
    async fn entries(&self, clients: &CallerClients, caller: &Caller) -> Result<Vec<ConfigEntry>, ApiError> {
        let kafka = clients.for_caller(caller).await?;
        let mut entries = match self.target() {
            Some(target) => kafka.admin.describe_configs(target).await?,
            None => cluster_defaults(&kafka).await?,
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// 404 unless every config named exists. The cluster-wide defaults list only the configs
    /// set dynamically, so any name may be changed there.
    async fn check_names<'a>(
        &self,
        clients: &CallerClients,
        caller: &Caller,
        cluster: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), ApiError> {
        let (kind, owner) = match self {
            Owner::Cluster => return Ok(()),
            Owner::Topic(topic) => ("TOPIC", topic.clone()),
            Owner::Broker(id) => ("BROKER", id.to_string()),
        };
        let entries = self.entries(clients, caller).await?;
        match names.into_iter().find(|n| !entries.iter().any(|e| e.name == *n)) {
            None => Ok(()),
            Some(missing) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                404,
                format!("Config {missing} cannot be found for {kind} {owner} in cluster {cluster}."),
            )),
        }
    }

    async fn alter(
        &self,
        clients: &CallerClients,
        caller: &Caller,
        changes: Vec<ConfigChange>,
        validate_only: bool,
    ) -> Result<(), ApiError> {
        let Some(target) = self.target() else {
            return Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                501,
                "krest cannot change cluster-wide broker configs: librdkafka's admin API cannot \
                 address Kafka's default broker resource; change them per broker or with Kafka's tools",
            ));
        };
        let kafka = clients.for_caller(caller).await?;
        kafka.admin.alter_configs(target, changes, validate_only).await?;
        Ok(())
    }
}

/// The cluster-wide broker defaults as Kafka lists them for its default broker resource: the
/// configs set as `DYNAMIC_DEFAULT_BROKER_CONFIG`, found among the synonyms of a broker's
/// configs (librdkafka cannot describe that resource itself).
async fn cluster_defaults(kafka: &KafkaClients) -> Result<Vec<ConfigEntry>, ApiError> {
    let brokers = kafka.metadata.broker_list().await?;
    let Some(broker) = brokers.first() else {
        return Ok(Vec::new());
    };
    let entries = kafka
        .admin
        .describe_configs(ConfigTarget::Broker(broker.id))
        .await?;
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let at = entry.synonyms.iter().position(|s| s.source == DYNAMIC_DEFAULT)?;
            let synonyms = entry.synonyms.into_iter().skip(at).collect::<Vec<_>>();
            Some(ConfigEntry {
                name: entry.name,
                value: synonyms.first().and_then(|s| s.value.clone()),
                source: DYNAMIC_DEFAULT,
                is_default: false,
                is_read_only: false,
                is_sensitive: entry.is_sensitive,
                synonyms,
            })
        })
        .collect())
}

pub async fn list(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(params): Params,
) -> Result<Json<Value>, ApiError> {
    let (id, owner) = Owner::from_params(&clients, &caller, &params).await?;
    owner.authorize(&caller, Action::Describe).await?;
    let at = links.cluster(&id);
    let data = owner
        .entries(&clients, &caller)
        .await?
        .iter()
        .map(|e| owner.config_data(at, &id, e))
        .collect();
    let path = owner.path();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    Ok(Json(at.list(&format!("{}List", owner.kind()), &path, data)))
}

pub async fn get(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(params): Params,
) -> Result<Json<Value>, ApiError> {
    let (id, owner) = Owner::from_params(&clients, &caller, &params).await?;
    owner.authorize(&caller, Action::Describe).await?;
    let name = params.get("name").map(String::as_str).unwrap_or_default();
    let entries = owner.entries(&clients, &caller).await?;
    let entry = entries
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(owner.config_data(links.cluster(&id), &id, entry)))
}

#[derive(Deserialize)]
pub struct UpdateConfig {
    value: Option<String>,
}

/// `PUT …/configs/{name}` `{"value": …}`: sets one config (a null value resets it).
pub async fn update(
    State(clients): Clients,
    caller: Caller,
    Path(params): Params,
    Body(request): Body<UpdateConfig>,
) -> Result<StatusCode, ApiError> {
    let name = params.get("name").cloned().unwrap_or_default();
    change(
        &clients,
        &caller,
        &params,
        vec![ConfigChange {
            name,
            value: request.value,
        }],
        false,
    )
    .await
}

/// `DELETE …/configs/{name}`: back to the default.
pub async fn reset(
    State(clients): Clients,
    caller: Caller,
    Path(params): Params,
) -> Result<StatusCode, ApiError> {
    let name = params.get("name").cloned().unwrap_or_default();
    change(
        &clients,
        &caller,
        &params,
        vec![ConfigChange { name, value: None }],
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct AlterBatch {
    data: Vec<AlterEntry>,
    #[serde(default)]
    validate_only: bool,
}

#[derive(Deserialize)]
pub struct AlterEntry {
    name: String,
    value: Option<String>,
    operation: Option<String>,
}

/// `POST …/configs:alter`: several changes at once (`operation` SET, the default, or DELETE).
pub async fn alter(
    State(clients): Clients,
    caller: Caller,
    Path(params): Params,
    Body(request): Body<AlterBatch>,
) -> Result<StatusCode, ApiError> {
    let changes = changes(request.data)?;
    change(&clients, &caller, &params, changes, request.validate_only).await
}

#[derive(Deserialize)]
pub struct AlterTopics {
    data: Vec<TopicChanges>,
    #[serde(default)]
    validate_only: bool,
}

#[derive(Deserialize)]
pub struct TopicChanges {
    topic_name: String,
    configs: Vec<AlterEntry>,
}

/// `POST topics/-/configs:alter`: changes to several topics. Every topic and config name is
/// checked (and authorized) first — any failure there fails the whole request; then each
/// topic is changed on its own: 204 when all succeed, else 207 with the topics that failed.
pub async fn alter_topics(
    State(clients): Clients,
    caller: Caller,
    Path(cluster): Path<String>,
    Body(request): Body<AlterTopics>,
) -> Result<Response, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let mut plan = Vec::new();
    for entry in request.data {
        ApiError::check_topics([entry.topic_name.as_str()])?;
        let owner = Owner::Topic(entry.topic_name.clone());
        owner.authorize(&caller, Action::Alter).await?;
        let changes = changes(entry.configs)?;
        owner
            .check_names(&clients, &caller, &id, changes.iter().map(|c| c.name.as_str()))
            .await?;
        plan.push((entry.topic_name, owner, changes));
    }
    let mut failures = Vec::new();
    for (topic, owner, changes) in plan {
        if let Err(e) = owner
            .alter(&clients, &caller, changes, request.validate_only)
            .await
        {
            failures.push(json!({"topic_name": topic, "error_code": e.code, "message": e.message}));
        }
    }
    Ok(match failures.is_empty() {
        true => StatusCode::NO_CONTENT.into_response(),
        false => (StatusCode::MULTI_STATUS, Json(json!({ "failures": failures }))).into_response(),
    })
}

/// The changes a batch names; `operation` is SET (the default) or DELETE.
fn changes(entries: Vec<AlterEntry>) -> Result<Vec<ConfigChange>, ApiError> {
    entries
        .into_iter()
        .map(
            |entry| match entry.operation.as_deref().map(str::to_ascii_uppercase).as_deref() {
                None | Some("SET") => Ok(ConfigChange {
                    name: entry.name,
                    value: entry.value,
                }),
                Some("DELETE") => Ok(ConfigChange {
                    name: entry.name,
                    value: None,
                }),
                Some(other) => Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    400,
                    format!("Unknown config operation: {other} (expected SET or DELETE)"),
                )),
            },
        )
        .collect()
}

async fn change(
    clients: &CallerClients,
    caller: &Caller,
    params: &HashMap<String, String>,
    changes: Vec<ConfigChange>,
    validate_only: bool,
) -> Result<StatusCode, ApiError> {
    let (id, owner) = Owner::from_params(clients, caller, params).await?;
    owner.authorize(caller, Action::Alter).await?;
    owner
        .check_names(clients, caller, &id, changes.iter().map(|c| c.name.as_str()))
        .await?;
    owner.alter(clients, caller, changes, validate_only).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET topics/-/configs`: the configs of every topic the caller may describe.
pub async fn all_topics(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let names = clients.for_caller(&caller).await?.metadata.topic_names().await?;
    let allowed = caller
        .allowed(Action::Describe, auth::topics(names.iter().map(String::as_str)))
        .await?;
    let owners = names
        .into_iter()
        .zip(allowed)
        .filter(|(_, answer)| answer.is_ok())
        .map(|(name, _)| Owner::Topic(name));
    let data = all(&clients, &caller, links.cluster(&id), &id, owners).await?;
    Ok(Json(links.cluster(&id).list(
        "KafkaTopicConfigList",
        &["topics", "-", "configs"],
        data,
    )))
}

/// `GET brokers/-/configs`: the configs of every broker.
pub async fn all_brokers(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let brokers = clients.for_caller(&caller).await?.metadata.broker_list().await?;
    let owners = brokers.iter().map(|b| Owner::Broker(b.id));
    let data = all(&clients, &caller, links.cluster(&id), &id, owners).await?;
    Ok(Json(links.cluster(&id).list(
        "KafkaBrokerConfigList",
        &["brokers", "-", "configs"],
        data,
    )))
}

async fn all(
    clients: &CallerClients,
    caller: &Caller,
    at: ClusterLinks<'_>,
    cluster: &str,
    owners: impl Iterator<Item = Owner>,
) -> Result<Vec<Value>, ApiError> {
    let mut data = Vec::new();
    for owner in owners {
        let entries = owner.entries(clients, caller).await?;
        data.extend(entries.iter().map(|e| owner.config_data(at, cluster, e)));
    }
    Ok(data)
}
