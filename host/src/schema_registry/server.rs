//! Starts the Schema Registry krest serves: binds its listeners, reads the schema topic,
//! joins the leader election, and hands back the HTTP app to serve with the proxy's.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::{middleware, Router};
use rdkafka::config::ClientConfig;
use tower_http::normalize_path::NormalizePath;
use tracing::warn;
use url::Url;

use super::api::{self, Registry};
use super::leadership::Leadership;
use super::schema_types::Compatibility;
use super::service::RegistryService;
use super::state::KafkaStore;
use crate::auth::middleware::{authenticate, authorize_registry, AuthGate};
use crate::config::RegistryServerConfig;
use crate::http::observe;
use crate::http::serve::{bind, Listener};
use crate::http::tls::TlsServer;
use crate::http::App;

/// How long forwarding a write to the leader may take (Confluent's `leader.read.timeout.ms`).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(60);

pub struct RegistryServer {
    /// The registry's routes, before auth (see [`RegistryServer::app`]).
    router: Router,
    pub listeners: Vec<Listener>,
    /// How clients and the other instances reach this one.
    pub url: Url,
    /// Resign at shutdown, so another instance takes over writing at once.
    pub leadership: Arc<Leadership>,
}

/// `kafka` is the client configuration (bootstrap servers and security); `host_name` is
/// `host.name`, used in this instance's URL when set.
pub async fn start(
    config: &RegistryServerConfig,
    kafka: &ClientConfig,
    host_name: &str,
    tls: Option<&Arc<TlsServer>>,
) -> anyhow::Result<RegistryServer> {
    let mut listeners = Vec::new();
    for url in &config.listeners {
        listeners.push(bind(url, tls).await.context("schema.registry.listeners")?);
    }
    let url = instance_url(&listeners[0], host_name)?;
    let store = KafkaStore::open(config.store.clone(), kafka).await?;
    let leadership = Leadership::start(
        kafka,
        &config.store.topic,
        &config.group_id,
        url.as_str().trim_end_matches('/'),
        config.leader_eligible,
    )?;
    // An eligible instance serves once the first election is over, so its first writes do
    // not meet "Leader not known."; an ineligible one may start before any writer exists.
    if config.leader_eligible && !leadership.settle(config.store.init_timeout).await {
        warn!("no schema registry writer elected within kafkastore.init.timeout.ms; writes answer 50004 until one is");
    }
    let level = Compatibility::parse(&config.default_compatibility).unwrap_or(Compatibility::Backward);
    let leadership = Arc::new(leadership);
    let registry = Registry {
        service: Arc::new(RegistryService::new(store, level)),
        leadership: Arc::clone(&leadership),
        forwarder: reqwest::Client::builder().timeout(FORWARD_TIMEOUT).build()?,
    };
    Ok(RegistryServer {
        router: api::router(registry),
        listeners,
        url,
        leadership,
    })
}

impl RegistryServer {
    /// The app to serve: every request authenticated by `gate` (as the proxy's are) and
    /// authorized as a registry read or change.
    pub fn app(&self, gate: AuthGate) -> App {
        let router = self
            .router
            .clone()
            .layer(middleware::from_fn(authorize_registry))
            .layer(middleware::from_fn_with_state(gate, authenticate));
        NormalizePath::trim_trailing_slash(observe::requests(router))
    }
}

/// `SCHEME://HOST:PORT` of the first listener: `host.name` if set, else the bound address
/// (`localhost` for a wildcard address, which other instances cannot use: set `host.name`).
fn instance_url(listener: &Listener, host_name: &str) -> anyhow::Result<Url> {
    let address = listener.local_addr()?;
    let host = if !host_name.is_empty() {
        host_name.to_string()
    } else if address.ip().is_unspecified() {
        warn!("schema.registry.listeners binds a wildcard address; set host.name so other instances can forward writes here");
        "localhost".to_string()
    } else {
        address.ip().to_string()
    };
    let mut url = Url::parse(&listener.url()?)?;
    url.set_host(Some(&host))?;
    Ok(url)
}
