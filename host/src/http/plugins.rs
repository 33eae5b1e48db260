//! `GET /plugins`: every plugin with its kind, source, sha256, load time and last error.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;

use crate::plugins::catalog::{PluginCatalog, PluginInfo};

pub async fn list(State(catalog): State<Arc<PluginCatalog>>) -> Json<Vec<PluginInfo>> {
    Json(catalog.list())
}
