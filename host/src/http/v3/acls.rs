//! `/v3/clusters/{cluster}/acls` (search, create, delete) and `acls:batch`: Kafka's ACLs,
//! through the cluster's authorizer.

use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_cluster, Body, Clients, ClusterLinks, Links};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::kafka::admin_native::{Acl, OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES};
use crate::plugins::bindings::policy::{Action, Target};

/// The query of a search or delete; absent enums default to ANY (search) or UNKNOWN (delete).
#[derive(Deserialize, Default)]
pub struct AclQuery {
    resource_type: Option<String>,
    resource_name: Option<String>,
    pattern_type: Option<String>,
    principal: Option<String>,
    host: Option<String>,
    operation: Option<String>,
    permission: Option<String>,
}

#[derive(Deserialize)]
pub struct CreateAcl {
    resource_type: String,
    resource_name: String,
    pattern_type: String,
    principal: String,
    host: String,
    operation: String,
    permission: String,
}

#[derive(Deserialize)]
pub struct CreateAcls {
    data: Vec<CreateAcl>,
}

pub async fn search(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
    Query(query): Query<AclQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let filter = filter(query, "ANY", "")?;
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let acls = clients
        .for_caller(&caller)
        .await?
        .admin
        .describe_acls(filter.clone())
        .await?;
    let at = links.cluster(&id);
    let data: Vec<Value> = sorted(acls).iter().map(|acl| acl_data(at, &id, acl)).collect();
    Ok(Json(json!({
        "kind": "KafkaAclList",
        "metadata": {"self": search_url(at, &filter), "next": null},
        "data": data,
    })))
}

/// 201 without a body; `Location` searches for the new ACL.
pub async fn create(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
    Body(request): Body<CreateAcl>,
) -> Result<Response, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let acl = binding(request)?;
    caller.authorize(Action::Alter, vec![Target::Cluster]).await?;
    clients
        .for_caller(&caller)
        .await?
        .admin
        .create_acls(vec![acl.clone()])
        .await?;
    let location = search_url(links.cluster(&id), &acl);
    Ok((StatusCode::CREATED, [(LOCATION, location)]).into_response())
}

/// `acls:batch`: creates every ACL of `data` (none: nothing to do); 204.
pub async fn create_batch(
    State(clients): Clients,
    caller: Caller,
    Path(cluster): Path<String>,
    Body(request): Body<CreateAcls>,
) -> Result<StatusCode, ApiError> {
    check_cluster(&clients, &cluster).await?;
    let acls = request
        .data
        .into_iter()
        .map(binding)
        .collect::<Result<Vec<_>, _>>()?;
    caller.authorize(Action::Alter, vec![Target::Cluster]).await?;
    // Nothing to create is done at once, as by Kafka's Java admin client (librdkafka refuses
    // an empty batch with an error).
    if !acls.is_empty() {
        clients.for_caller(&caller).await?.admin.create_acls(acls).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the ACLs matching the query (which must name every enum); answers them.
pub async fn delete(
    State(clients): Clients,
    caller: Caller,
    links: Links,
    Path(cluster): Path<String>,
    Query(query): Query<AclQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let filter = filter(query, "UNKNOWN", "unspecified or ")?;
    caller.authorize(Action::Alter, vec![Target::Cluster]).await?;
    let deleted = clients
        .for_caller(&caller)
        .await?
        .admin
        .delete_acls(filter)
        .await?;
    let at = links.cluster(&id);
    let data: Vec<Value> = sorted(deleted).iter().map(|acl| acl_data(at, &id, acl)).collect();
    Ok(Json(json!({ "data": data })))
}

/// A search or delete filter: enums default to `default`, and none may be UNKNOWN (400,
/// "`field` cannot be `unknown_words`UNKNOWN"); empty strings match anything.
fn filter(query: AclQuery, default: &str, unknown_words: &str) -> Result<Acl, ApiError> {
    let field = |name: &'static str, value: Option<String>, table| {
        let value = value.unwrap_or_else(|| default.to_string()).to_ascii_uppercase();
        let found = enum_name(name, &value, table)?;
        if found == "UNKNOWN" {
            return Err(bad_request(format!("{name} cannot be {unknown_words}UNKNOWN")));
        }
        Ok(found)
    };
    let text = |value: Option<String>| value.filter(|v| !v.is_empty());
    Ok(Acl {
        resource_type: field("resource_type", query.resource_type, names(RESOURCE_TYPES))?,
        resource_name: text(query.resource_name),
        pattern_type: field("pattern_type", query.pattern_type, names(PATTERN_TYPES))?,
        principal: text(query.principal),
        host: text(query.host),
        operation: field("operation", query.operation, names(OPERATIONS))?,
        permission: field("permission", query.permission, names(PERMISSIONS))?,
    })
}

/// A binding to create: no wildcard enums (Confluent's words for the 400s).
fn binding(request: CreateAcl) -> Result<Acl, ApiError> {
    let upper = |v: &str| v.to_ascii_uppercase();
    let resource_type = enum_name(
        "resource_type",
        &upper(&request.resource_type),
        names(RESOURCE_TYPES),
    )?;
    if matches!(resource_type, "ANY" | "UNKNOWN") {
        return Err(bad_request("resource_type cannot be ANY"));
    }
    let pattern_type = enum_name(
        "pattern_type",
        &upper(&request.pattern_type),
        names(PATTERN_TYPES),
    )?;
    if matches!(pattern_type, "ANY" | "MATCH" | "UNKNOWN") {
        return Err(bad_request(format!("pattern_type cannot be {pattern_type}")));
    }
    let operation = enum_name("operation", &upper(&request.operation), names(OPERATIONS))?;
    if matches!(operation, "ANY" | "UNKNOWN") {
        return Err(bad_request("operation cannot be ANY"));
    }
    let permission = enum_name("permission", &upper(&request.permission), names(PERMISSIONS))?;
    if matches!(permission, "ANY" | "UNKNOWN") {
        return Err(bad_request("permission cannot be ANY"));
    }
    Ok(Acl {
        resource_type,
        resource_name: Some(request.resource_name),
        pattern_type,
        principal: Some(request.principal),
        host: Some(request.host),
        operation,
        permission,
    })
}

fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}

fn enum_name(field: &str, value: &str, names: Vec<&'static str>) -> Result<&'static str, ApiError> {
    names
        .into_iter()
        .find(|n| *n == value)
        .ok_or_else(|| bad_request(format!("Invalid {field}: {value}")))
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, 400, message)
}

/// In Confluent's order: by resource type, name, pattern, principal, host, operation, permission.
fn sorted(mut acls: Vec<Acl>) -> Vec<Acl> {
    acls.sort_by(|a, b| {
        let key = |x: &Acl| {
            (
                x.resource_type,
                x.resource_name.clone(),
                x.pattern_type,
                x.principal.clone(),
                x.host.clone(),
                x.operation,
                x.permission,
            )
        };
        key(a).cmp(&key(b))
    });
    acls
}

/// `…/acls?resource_type=…&…&permission=…`, the URL that finds `acl`.
fn search_url(at: ClusterLinks, acl: &Acl) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    at.url_with_query(
        &["acls"],
        &[
            ("resource_type", acl.resource_type.to_string()),
            ("resource_name", text(&acl.resource_name)),
            ("pattern_type", acl.pattern_type.to_string()),
            ("principal", text(&acl.principal)),
            ("host", text(&acl.host)),
            ("operation", acl.operation.to_string()),
            ("permission", acl.permission.to_string()),
        ],
    )
}

fn acl_data(at: ClusterLinks, cluster: &str, acl: &Acl) -> Value {
    json!({
        "kind": "KafkaAcl",
        "metadata": {"self": search_url(at, acl)},
        "cluster_id": cluster,
        "resource_type": acl.resource_type,
        "resource_name": acl.resource_name,
        "pattern_type": acl.pattern_type,
        "principal": acl.principal,
        "host": acl.host,
        "operation": acl.operation,
        "permission": acl.permission,
    })
}
