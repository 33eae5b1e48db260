//! The `krest` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use krest::config::{self, Config, Origin, RawConfig};
use krest::kafka::dev::DevCluster;
use krest::logging::{self, LogFormat};
use krest::scaffold::{NewPlugin, Sdk, World};
use tracing::warn;

/// mimalloc: glibc's malloc and free were ≈17% of a produce request's CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit` (4 in its v2 and v3 headers; not among the crate's
/// named options).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Arenas committed as they are used, so memory freed after start-up goes back to the system
/// (≈20 MiB less RSS when idle, no measurable CPU cost). Set from a constructor because
/// mimalloc reads it when it reserves its first arena, at the first allocation before `main`.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static SET_ALLOCATOR_OPTIONS: extern "C" fn() = set_allocator_options;

#[cfg(target_os = "linux")]
extern "C" fn set_allocator_options() {
    // SAFETY: sets an allocator option; constructors run on the only thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
}

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
    /// Write plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Create a plugin project: Cargo.toml, src/lib.rs (a working plugin with a unit test),
    /// NAME.toml and a README with the build and install commands.
    New(NewPluginArgs),
    /// Compile the built-in plugins and those in `plugins.dir` into `plugins.cache.dir`, so
    /// that `krest serve` starts without compiling (e.g. in a container image's build).
    Compile(ConfigArgs),
}

/// The configuration `krest serve` would read: the file, `KAFKA_REST_*`, then `--set`.
#[derive(Args)]
struct ConfigArgs {
    /// Java properties file with Confluent REST Proxy keys.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Sets any configuration key; repeatable.
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    set: Vec<String>,
}

#[derive(Args)]
struct NewPluginArgs {
    /// The plugin's name: the file krest loads is NAME.wasm.
    name: String,
    /// The world it implements.
    #[arg(long, value_enum)]
    world: World,
    /// The project's folder (default ./NAME); must not exist or be empty.
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Depend on the SDK in this folder of a krest checkout (`…/plugin-sdk`) instead of crates.io.
    #[arg(long, value_name = "PATH", conflicts_with = "sdk_git")]
    sdk_path: Option<PathBuf>,
    /// Depend on the SDK from this git repository of krest instead of crates.io.
    #[arg(long, value_name = "URL")]
    sdk_git: Option<String>,
}

/// Configuration is read from the file, then `KAFKA_REST_*` environment variables, then
/// these flags; later sources win. Keys are Confluent's (`bootstrap.servers`, `listeners`, …).
#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    source: ConfigArgs,
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
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::Plugin(PluginCommand::New(args)) => {
            logging::init(LogFormat::Text);
            new_plugin(args)
        }
        Command::Plugin(PluginCommand::Compile(args)) => compile_plugins(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("krest: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn new_plugin(args: NewPluginArgs) -> anyhow::Result<()> {
    let sdk = match (args.sdk_path, args.sdk_git) {
        (Some(path), _) => Sdk::Path(path),
        (None, Some(url)) => Sdk::Git(url),
        (None, None) => Sdk::Registry,
    };
    let plugin = NewPlugin {
        dir: args.dir.unwrap_or_else(|| PathBuf::from(&args.name)),
        name: args.name,
        world: args.world,
        sdk,
    };
    krest::scaffold::create(&plugin)?;
    print!("{}", krest::scaffold::next_steps(&plugin));
    Ok(())
}

fn compile_plugins(args: ConfigArgs) -> anyhow::Result<()> {
    let mut raw = read_config(args.config.as_deref())?;
    raw.read_flags(&args.set)?;
    logging::init(config::log_format(&raw)?);
    // Compiling needs no Kafka: `bootstrap.servers` may be missing, as with --dev.
    let (config, warnings) = Config::from_raw(&raw, true)?;
    warnings.iter().for_each(|w| warn!("{w}"));
    let Some(cache) = &config.plugins.cache_dir else {
        anyhow::bail!("plugins.cache.dir is `none`: compiled plugins would not be kept");
    };
    let catalog = {
        // Loading checks each plugin instantiates, which runs on the async runtime.
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let config = config.clone();
        let loading = runtime.spawn_blocking(move || krest::app::load_plugins(&config));
        runtime.block_on(loading)??
    };
    let mut failed = false;
    for plugin in catalog.list() {
        match plugin.last_error {
            Some(error) => {
                failed = true;
                println!("{}: not compiled: {error}", plugin.name);
            }
            None => println!("{}: compiled", plugin.name),
        }
    }
    println!("into {}", cache.display());
    match failed {
        true => anyhow::bail!("some plugins did not compile"),
        false => Ok(()),
    }
}

/// The configuration file, if any, then the `KAFKA_REST_*` environment.
fn read_config(file: Option<&std::path::Path>) -> anyhow::Result<RawConfig> {
    let mut raw = RawConfig::default();
    if let Some(path) = file {
        raw.read_file(path)?;
    }
    raw.read_env(std::env::vars());
    Ok(raw)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut raw = read_config(args.source.config.as_deref())?;
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
    raw.read_flags(&args.source.set)?;
    logging::init(config::log_format(&raw)?);
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
