//! The `krest` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use krest::config::{Config, Origin, RawConfig};
use krest::kafka::dev::DevCluster;
use tracing::warn;

/// How long the exit waits for blocking work that outlived the shutdown sequence.
const EXIT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Parser)]
#[command(
    name = "krest",
    version,
    about = "Kafka REST proxy, compatible with Confluent's REST Proxy API v2"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy.
    Serve(ServeArgs),
}

/// Configuration is read from the file, then `KAFKA_REST_*` environment variables, then
/// these flags; later sources win. Keys are Confluent's (`bootstrap.servers`, `listeners`, …).
#[derive(Args)]
struct ServeArgs {
    /// Java properties file with Confluent REST Proxy keys.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run against an in-process mock Kafka cluster (no Kafka needed).
    #[arg(long)]
    dev: bool,
    /// Sets `bootstrap.servers`.
    #[arg(long, value_name = "HOST:PORT,...")]
    bootstrap_servers: Option<String>,
    /// Sets `listeners`, e.g. http://0.0.0.0:8082 (default http://127.0.0.1:PORT).
    #[arg(long, value_name = "URL,...")]
    listeners: Option<String>,
    /// Sets `id`, this instance's name.
    #[arg(long)]
    id: Option<String>,
    /// Sets any configuration key; repeatable.
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    set: Vec<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let Command::Serve(args) = Cli::parse().command;
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("krest: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut raw = RawConfig::default();
    if let Some(path) = &args.config {
        raw.read_file(path)?;
    }
    raw.read_env(std::env::vars());
    let named = [
        ("bootstrap.servers", &args.bootstrap_servers),
        ("listeners", &args.listeners),
        ("id", &args.id),
    ];
    for (key, value) in named {
        if let Some(value) = value {
            raw.set(key, value, Origin::Flag);
        }
    }
    raw.read_flags(&args.set)?;
    let (mut config, warnings) = Config::from_raw(&raw, args.dev)?;
    warnings.iter().for_each(|w| warn!("{w}"));

    // The mock cluster must stay on this thread; it outlives the runtime below.
    let dev_cluster = if args.dev {
        if !config.bootstrap_servers.is_empty() {
            warn!("--dev ignores bootstrap.servers={}", config.bootstrap_servers);
        }
        let schema_topic = config.registry_server.as_ref().map(|r| r.store.topic.as_str());
        let cluster = DevCluster::start(schema_topic)?;
        config.bootstrap_servers = cluster.bootstrap_servers();
        Some(cluster)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(krest::app::run(config, args.dev));
    // A Kafka client still leaving its group on a blocking thread must not hold up the exit.
    runtime.shutdown_timeout(EXIT_TIMEOUT);
    drop(dev_cluster);
    result
}
