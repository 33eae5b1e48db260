//! One proxy process from start to exit: connect to Kafka, bind the listeners, serve until
//! SIGTERM or SIGINT, let in-flight requests finish, close the Kafka clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::auth::middleware::AuthGate;
use crate::auth::AuthChain;
use crate::clients::{CallerClients, ClientSettings};
use crate::config::Config;
use crate::consumers::{ConsumerDirectory, ConsumerManager, UrlSettings};
use crate::http::health::Lifecycle;
use crate::http::tls::TlsServer;
use crate::http::v3::LinkSettings;
use crate::http::{self, AppState, Services};
use crate::kafka::client_config::{self, Role};
use crate::plugins::catalog::PluginCatalog;
use crate::plugins::runtime::PluginRuntime;
use crate::plugins::watcher;
use crate::produce::ProduceService;
use crate::schema_registry;
use crate::schema_registry::client::RegistryClient;
use crate::transforms::Transforms;

/// How long one metadata call may wait for Kafka.
const KAFKA_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until a termination signal, then drains for at most `shutdown.graceful.ms`.
/// `dev` adds a try-it hint to the start-up banner.
pub async fn run(mut config: Config, dev: bool) -> anyhow::Result<()> {
    // Installed before the banner: a signal right after start-up must still drain gracefully.
    let signals = TerminationSignals::install()?;
    let admin_config = role_config(&config, Role::Admin)?;
    let producer_config = role_config(&config, Role::Producer)?;
    let consumer_config = role_config(&config, Role::Consumer)?;
    let clients = Arc::new(
        CallerClients::new(
            ClientSettings {
                admin: admin_config.clone(),
                producer: producer_config,
                timeout: KAFKA_CALL_TIMEOUT,
                describe_configs: !dev,
            },
            config.propagation.clone(),
        )
        .context("cannot create Kafka clients")?,
    );
    // Kept for the life of the process: it re-reads the TLS stores when their files change.
    let (tls, _tls_watcher) = match config.tls.clone() {
        Some(settings) => {
            let (server, watcher) = TlsServer::start(settings).context("TLS (ssl.*)")?;
            (Some(server), Some(watcher))
        }
        None => (None, None),
    };
    http::set_max_request_bytes(config.request_max_bytes);
    let registry = match &config.registry_server {
        Some(settings) => {
            let server =
                schema_registry::server::start(settings, &admin_config, &config.host_name, tls.as_ref())
                    .await
                    .context("cannot start the Schema Registry")?;
            // --dev's registry on a free port (port 0): the proxy uses the port it got.
            if config.schema_registry_url.as_ref() == Some(&settings.listeners[0]) {
                config.schema_registry_url = Some(server.url.clone());
            }
            Some(server)
        }
        None => None,
    };
    let plugins = start_plugins(&config).await?;
    let _watcher = watcher::watch(Arc::clone(&plugins))?;
    let transforms = Arc::new(Transforms::new(config.transforms.clone(), Arc::clone(&plugins)));
    let produce = Arc::new(ProduceService::new(
        Arc::clone(&plugins),
        Arc::clone(&transforms),
        config.produce_v3,
    ));
    let idle_clients = tokio::spawn(Arc::clone(&clients).close_idle());

    // Bound before serving, so the consumer directory can name this process's address.
    let mut listeners = Vec::new();
    for url in &config.listeners {
        let listener = http::serve::bind(url, tls.as_ref()).await.context("listeners")?;
        let address = listener.local_addr()?;
        println!("krest listening on {}", listener.url()?);
        listeners.push((listener, address));
    }
    let directory = consumer_directory(&config, &admin_config, &listeners);
    let consumers = ConsumerManager::new(
        &config,
        consumer_config,
        Arc::clone(&plugins),
        transforms,
        directory,
    );
    let expiry = tokio::spawn(Arc::clone(&consumers).expire_idle());
    let gate = AuthGate {
        chain: match config.auth.plugins.is_empty() {
            true => None,
            false => Some(Arc::new(AuthChain::new(
                config.auth.plugins.clone(),
                Arc::clone(&plugins),
            ))),
        },
        skip_paths: config.auth.skip_paths.clone().into(),
    };
    let registry_gate = gate.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let app = http::app(
        AppState::new(Services {
            clients: Arc::clone(&clients),
            produce,
            plugins,
            consumers: Arc::clone(&consumers),
            links: Arc::new(LinkSettings::from_config(&config)),
            lifecycle: Lifecycle {
                stopping: stopping_rx,
            },
        }),
        gate,
        config.cors.as_ref(),
    );

    if dev {
        let address = listeners[0].1;
        println!("krest --dev: serving an in-process mock Kafka cluster with the topic `demo`");
        println!("(the mock has no DescribeConfigs, so topic `configs` are empty in --dev)");
        println!(
            "try: curl -H 'Accept: application/vnd.kafka.v2+json' {}/topics",
            local_url(address)
        );
    }

    let limits = http::serve::Limits::new(config.connections, config.connection_limits);
    let mut servers: Vec<_> = listeners
        .into_iter()
        .map(|(listener, _)| {
            let serve = http::serve::serve(listener, app.clone(), limits.clone(), stop_rx.clone());
            tokio::spawn(serve)
        })
        .collect();
    let mut leadership = None;
    if let Some(registry) = registry {
        let app = registry.app(registry_gate);
        leadership = Some(registry.leadership);
        for listener in registry.listeners {
            println!("krest schema registry listening on {}", listener.url()?);
            let serve = http::serve::serve(listener, app.clone(), limits.clone(), stop_rx.clone());
            servers.push(tokio::spawn(serve));
        }
    }

    let signal = signals.recv().await;
    stopping_tx.send(true).ok();
    if !config.shutdown_delay.is_zero() {
        info!(
            "received {signal}: not ready; serving {} ms more (shutdown.delay.ms)",
            config.shutdown_delay.as_millis()
        );
        tokio::time::sleep(config.shutdown_delay).await;
    }
    info!("received {signal}: no new connections; finishing in-flight requests");
    stop_tx.send(true).ok();
    let drain = async {
        for server in servers {
            server.await.ok();
        }
    };
    if tokio::time::timeout(config.shutdown_graceful, drain)
        .await
        .is_err()
    {
        warn!(
            "requests still running after shutdown.graceful.ms={} ms are abandoned",
            config.shutdown_graceful.as_millis()
        );
    }
    expiry.abort();
    idle_clients.abort();
    if let Some(leadership) = leadership {
        tokio::task::spawn_blocking(move || leadership.resign())
            .await
            .ok();
    }
    // Every instance leaves its group now, so the groups rebalance at once.
    consumers.close_all().await;
    // Flushing and destroying librdkafka handles blocks; keep that off the executor.
    tokio::task::spawn_blocking(move || {
        clients.flush(config.shutdown_graceful);
        drop(clients);
    })
    .await
    .ok();
    info!("krest stopped");
    Ok(())
}

/// The consumer directory, unless `consumer.directory.topic` is empty or this process has no
/// plain http address to be forwarded to (processes forward to each other over http).
fn consumer_directory(
    config: &Config,
    kafka: &rdkafka::ClientConfig,
    listeners: &[(http::serve::Listener, SocketAddr)],
) -> Option<Arc<ConsumerDirectory>> {
    let settings = config.consumer.directory.clone()?;
    let http_listener = config
        .listeners
        .iter()
        .zip(listeners)
        .find(|(url, _)| url.scheme() == "http")
        .map(|(_, (_, address))| *address);
    let own_url = match (&config.consumer.directory_url, http_listener) {
        (Some(url), _) => url.as_str().trim_end_matches('/').to_string(),
        (None, Some(address)) => UrlSettings::from_config(config).peer_url(address),
        (None, None) => {
            warn!("no http listener: consumer instances are served only by the process holding them");
            return None;
        }
    };
    Some(ConsumerDirectory::start(settings, kafka.clone(), own_url))
}

fn role_config(config: &Config, role: Role) -> anyhow::Result<rdkafka::ClientConfig> {
    let (client, warnings) = client_config::for_role(config, role)?;
    warnings.iter().for_each(|w| warn!("{w}"));
    Ok(client)
}

/// The plugin runtime with the built-ins and the files in `plugins.dir` loaded.
async fn start_plugins(config: &Config) -> anyhow::Result<Arc<PluginCatalog>> {
    let config = config.clone();
    let catalog = tokio::task::spawn_blocking(move || load_plugins(&config)).await??;
    Ok(Arc::new(catalog))
}

/// Compiles (or loads from `plugins.cache.dir`) the built-ins and the files in `plugins.dir`;
/// blocking. `krest plugin compile` runs it ahead of time, e.g. when a container image is
/// built, so that krest starts in milliseconds instead of compiling for seconds.
pub fn load_plugins(config: &Config) -> anyhow::Result<PluginCatalog> {
    let runtime = Arc::new(PluginRuntime::new(
        config.plugins.limits.clone(),
        config.plugins.cache_dir.clone(),
        config
            .schema_registry_url
            .clone()
            .map(|url| RegistryClient::new(url, config.schema_registry_credentials.clone())),
    )?);
    PluginCatalog::new(runtime, config.plugins.dir.clone())
}

/// A URL a local user can paste: wildcard addresses become `localhost`.
fn local_url(address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        format!("http://localhost:{}", address.port())
    } else {
        format!("http://{address}")
    }
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct TerminationSignals {
    term: Signal,
    int: Signal,
}

impl TerminationSignals {
    fn install() -> anyhow::Result<Self> {
        Ok(TerminationSignals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    /// Waits for the first of them and names it.
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
