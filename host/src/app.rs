//! One proxy process from start to exit: connect to Kafka, bind the listeners, serve until
//! SIGTERM or SIGINT, let in-flight requests finish, close the Kafka clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;
use tracing::{info, warn};
use url::Url;

use crate::config::Config;
use crate::http::{self, Metrics};
use crate::kafka::client_config::{self, Role};
use crate::kafka::metadata::KafkaMetadata;
use crate::metadata::MetadataService;

/// How long one metadata call may wait for Kafka.
const KAFKA_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until a termination signal, then drains for at most `shutdown.graceful.ms`.
/// `dev` adds a try-it hint to the start-up banner.
pub async fn run(config: Config, dev: bool) -> anyhow::Result<()> {
    // Installed before the banner: a signal right after start-up must still drain gracefully.
    let signals = TerminationSignals::install()?;
    let mut admin_config = None;
    for role in Role::ALL {
        let (client, warnings) = client_config::for_role(&config, role)?;
        warnings.iter().for_each(|w| warn!("{w}"));
        if let Role::Admin = role {
            admin_config = Some(client);
        }
    }
    let admin_config = admin_config.expect("Role::ALL includes Admin");
    let kafka =
        KafkaMetadata::new(&admin_config, KAFKA_CALL_TIMEOUT, !dev).context("cannot create Kafka clients")?;
    let metadata = Arc::new(MetadataService::new(kafka));
    let app = http::app(Arc::clone(&metadata), Metrics::new());

    let mut listeners = Vec::new();
    for url in &config.listeners {
        let listener = bind(url).await?;
        let address = listener.local_addr()?;
        println!("krest listening on http://{address}");
        listeners.push((listener, address));
    }
    if dev {
        let address = listeners[0].1;
        println!("krest --dev: serving an in-process mock Kafka cluster with the topic `demo`");
        println!("(the mock has no DescribeConfigs, so topic `configs` are empty in --dev)");
        println!(
            "try: curl -H 'Accept: application/vnd.kafka.v2+json' {}/topics",
            local_url(address)
        );
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let servers: Vec<_> = listeners
        .into_iter()
        .map(|(listener, _)| {
            let mut stop = stop_rx.clone();
            let serve = axum::serve(listener, app.clone()).with_graceful_shutdown(async move {
                stop.wait_for(|stopped| *stopped).await.map(|_| ()).unwrap_or(())
            });
            tokio::spawn(async move { serve.await })
        })
        .collect();

    let signal = signals.recv().await;
    info!("received {signal}: no new connections; finishing in-flight requests");
    stop_tx.send(true).ok();
    let drain = async {
        for server in servers {
            if let Ok(Err(e)) = server.await {
                warn!("listener failed while draining: {e}");
            }
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
    // Destroying librdkafka handles blocks while they close; keep that off the executor.
    tokio::task::spawn_blocking(move || drop(metadata)).await.ok();
    info!("krest stopped");
    Ok(())
}

async fn bind(url: &Url) -> anyhow::Result<TcpListener> {
    let host = url.host_str().context("listener without host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().context("listener without port")?;
    TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {url} (listeners)"))
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
