//! What handlers share: the service layer, one value per service.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::consumers::ConsumerManager;
use crate::metadata::MetadataService;
use crate::plugins::catalog::PluginCatalog;
use crate::produce::ProduceService;

#[derive(Clone)]
pub struct AppState {
    pub metadata: Arc<MetadataService>,
    pub produce: Arc<ProduceService>,
    pub plugins: Arc<PluginCatalog>,
    pub consumers: Arc<ConsumerManager>,
}

impl FromRef<AppState> for Arc<ConsumerManager> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.consumers)
    }
}

impl FromRef<AppState> for Arc<MetadataService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.metadata)
    }
}

impl FromRef<AppState> for Arc<ProduceService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.produce)
    }
}

impl FromRef<AppState> for Arc<PluginCatalog> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.plugins)
    }
}
