//! `GET /plugins`: every plugin with its kind, source, sha256, load time and last error;
//! `POST /plugins/{name}/test`: a dry run of a transform or format on sample records.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::Value;

use super::json;
use crate::auth::Caller;
use crate::dry_run::{self, DryRunRequest};
use crate::error::ApiError;
use crate::plugins::bindings::policy::{Action, Target};
use crate::plugins::catalog::{PluginCatalog, PluginInfo};
use crate::produce::ProduceService;
use crate::transforms::call_context;

pub async fn list(
    State(catalog): State<Arc<PluginCatalog>>,
    caller: Caller,
) -> Result<Json<Vec<PluginInfo>>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    Ok(Json(catalog.list()))
}

/// Runs a plugin on the sample records of the body; needs describe on the cluster, as the
/// listing does.
pub async fn test(
    State(catalog): State<Arc<PluginCatalog>>,
    State(produce): State<Arc<ProduceService>>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    let request: DryRunRequest = json::parse(&body)?;
    let context = call_context(caller.name(), &headers);
    dry_run::run(&catalog, &produce, &name, &context, request)
        .await
        .map(Json)
}
