//! `GET /plugins`: every plugin with its kind, source, sha256, load time and last error.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;

use crate::plugins::registry::{PluginInfo, PluginRegistry};

pub async fn list(State(registry): State<Arc<PluginRegistry>>) -> Json<Vec<PluginInfo>> {
    Json(registry.list())
}
