//! What handlers share: the service layer, one value per service.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::clients::CallerClients;
use crate::consumers::ConsumerManager;
use crate::plugins::catalog::PluginCatalog;
use crate::produce::ProduceService;

#[derive(Clone)]
pub struct AppState {
    pub clients: Arc<CallerClients>,
    pub produce: Arc<ProduceService>,
    pub plugins: Arc<PluginCatalog>,
    pub consumers: Arc<ConsumerManager>,
}

impl FromRef<AppState> for Arc<ConsumerManager> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.consumers)
    }
}

impl FromRef<AppState> for Arc<CallerClients> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.clients)
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
