//! `GET /plugins`: every plugin with its kind, source, sha256, load time and last error.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::plugins::bindings::policy::{Action, Target};
use crate::plugins::catalog::{PluginCatalog, PluginInfo};

pub async fn list(
    State(catalog): State<Arc<PluginCatalog>>,
    caller: Caller,
) -> Result<Json<Vec<PluginInfo>>, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    Ok(Json(catalog.list()))
}
