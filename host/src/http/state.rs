//! What handlers share: the service layer, one value per service, behind one `Arc` so that
//! handing the state to a request costs one reference count.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;

use crate::clients::CallerClients;
use crate::consumers::ConsumerManager;
use crate::http::health::Lifecycle;
use crate::http::v3::LinkSettings;
use crate::plugins::catalog::PluginCatalog;
use crate::produce::ProduceService;

#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub clients: Arc<CallerClients>,
    pub produce: Arc<ProduceService>,
    pub plugins: Arc<PluginCatalog>,
    pub consumers: Arc<ConsumerManager>,
    /// What API v3 builds its resources' URLs and names from.
    pub links: Arc<LinkSettings>,
    pub lifecycle: Lifecycle,
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

impl FromRef<AppState> for Lifecycle {
    fn from_ref(state: &AppState) -> Self {
        state.lifecycle.clone()
    }
}
