//! Proxy configuration with Confluent REST Proxy key names, read once at start-up and
//! handed down as typed structs. `keys` lists what each key means to krest.

pub mod cors;
mod keys;
pub mod propagation;
pub mod secret;
mod sources;
pub mod tls;
pub mod transforms;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::kafka::compacted_topic::TopicSettings;
use crate::logging::LogFormat;
use keys::{Key, KeyUse};
use secret::Secret;
pub use sources::{Origin, RawConfig};

/// The whole typed configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `id`: this instance's name, used in generated consumer instance names.
    pub id: String,
    /// `listeners` (`http://127.0.0.1:<port>` when empty: loopback only unless configured).
    pub listeners: Vec<Url>,
    /// `advertised.listeners`: URLs other clients reach this instance at.
    pub advertised_listeners: Vec<Url>,
    /// `host.name`: host used in absolute URLs when no advertised listener matches.
    pub host_name: String,
    /// `confluent.resource.name.authority`: the authority of v3 resource names (CRNs).
    pub crn_authority: String,
    /// `port`: deprecated listener port, still used for `host.name` URLs.
    pub port: u16,
    /// `bootstrap.servers`, empty only in `--dev` mode.
    pub bootstrap_servers: String,
    /// `schema.registry.url`; `None` when set to the empty string.
    pub schema_registry_url: Option<Url>,
    /// HTTP Basic credentials for `schema.registry.url` (Confluent's
    /// `schema.registry.basic.auth.*`): the URL's own user info, or `USER_INFO`'s `user:password`.
    pub schema_registry_credentials: Option<(String, Secret)>,
    /// The Schema Registry krest serves itself; `None` unless `schema.registry.listeners`.
    pub registry_server: Option<RegistryServerConfig>,
    pub consumer: ConsumerConfig,
    pub produce_v3: ProduceV3Config,
    /// `shutdown.graceful.ms`: how long in-flight requests may run after SIGTERM.
    pub shutdown_graceful: Duration,
    /// `shutdown.delay.ms`: how long krest keeps serving, not ready, after SIGTERM before it
    /// stops accepting connections (so load balancers see it leave first).
    pub shutdown_delay: Duration,
    /// `request.body.max.bytes` (krest's own): the largest request body read into memory.
    pub request_max_bytes: usize,
    pub connections: ConnectionTimeouts,
    pub connection_limits: ConnectionLimits,
    pub auth: AuthConfig,
    /// `ssl.*`: for `https://` listeners; `None` without a keystore.
    pub tls: Option<tls::TlsConfig>,
    /// `client.*`, `producer.*`, `consumer.*`, `admin.*`, `schema.registry.*` pass-through.
    pub passthrough: Passthrough,
    pub plugins: PluginsConfig,
    /// `principal.propagation.*`: `None` unless requests act under their caller's Kafka login.
    pub propagation: Option<propagation::PropagationConfig>,
    /// `transforms` in order, with their `transforms.NAME.*` settings.
    pub transforms: Vec<transforms::TransformConfig>,
    /// `access.control.allow.*`: `None` when no CORS headers are sent.
    pub cors: Option<cors::CorsConfig>,
}

/// Who may call: the auth plugins every request meets.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// `auth.plugins` in order (from Confluent's `authentication.method` BASIC → `basic`,
    /// BEARER → `jwt`, when `auth.plugins` is not set); empty: no authentication.
    pub plugins: Vec<String>,
    /// `authentication.skip.paths`: paths served without authentication.
    pub skip_paths: Vec<String>,
}

/// The WebAssembly plugin runtime's settings (krest's own keys).
#[derive(Clone, Debug)]
pub struct PluginsConfig {
    /// `plugins.dir`: watched directory of `NAME.wasm` (+ `NAME.toml`); `None` = built-ins only.
    pub dir: Option<PathBuf>,
    /// `plugins.cache.dir`: where compiled plugins are kept across restarts; `None` = nowhere.
    pub cache_dir: Option<PathBuf>,
    pub limits: PluginLimits,
}

/// Resource bounds of plugin calls, and whether instances outlive a call.
#[derive(Clone, Debug)]
pub struct PluginLimits {
    /// `plugins.call.timeout.ms`: longest one plugin call may run.
    pub call_timeout: Duration,
    /// `plugins.memory.max.bytes`: largest linear memory one plugin call may use.
    pub memory_max_bytes: usize,
    /// `plugins.instances.max`: plugin calls that may run at once.
    pub max_instances: u32,
    /// `plugins.instances.reuse`: keep instances warm between calls (`false`: a fresh
    /// instance per call, nothing carried from one call to the next).
    pub reuse_instances: bool,
    /// `plugins.instances.fresh`: plugins given a fresh instance per call even when others
    /// are kept warm.
    pub fresh_plugins: Vec<String>,
}

/// The Schema Registry served by krest, with Confluent's key names.
#[derive(Clone, Debug)]
pub struct RegistryServerConfig {
    /// `schema.registry.listeners`: `http://HOST:PORT` URLs.
    pub listeners: Vec<Url>,
    /// `schema.registry.group.id`: the group whose member holding the topic's partition writes.
    pub group_id: String,
    /// `leader.eligibility`: whether this instance may be that writer.
    pub leader_eligible: bool,
    /// `schema.compatibility.level`: the level when none is configured.
    pub default_compatibility: String,
    pub store: TopicSettings,
}

/// Deadlines of client connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionTimeouts {
    /// `request.header.timeout.ms` (krest's own): longest a client may take to send a request's
    /// headers, counted from when the connection waits for them (so it also closes idle
    /// keep-alive connections).
    pub header: Duration,
    /// `idle.timeout.ms` (Confluent's): a connection that moves no bytes this long is closed.
    pub idle: Duration,
    /// `request.body.timeout.ms` (krest's own): longest a request body (other than a streamed
    /// v3 produce) may take to arrive after its headers; later is 408.
    pub body: Duration,
}

/// Bounds on client connections, with Confluent's (rest-utils') key names.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// `max.request.header.size`: most bytes of a request's line and headers.
    pub header_bytes: usize,
    /// `server.connection.limit`: open connections of all listeners together (`None`: no limit).
    pub server: Option<usize>,
    /// `connector.connection.limit`: open connections of each listener (`None`: no limit).
    pub per_listener: Option<usize>,
}

/// Limits of v3 produce.
#[derive(Clone, Copy, Debug)]
pub struct ProduceV3Config {
    /// `streaming.connection.max.duration.ms`: a stream older than this takes no more records.
    pub max_stream_duration: Duration,
    /// `api.v3.produce.request.size.limit.max.bytes`: largest record of a stream, in bytes of
    /// JSON (`None` for Confluent's 0: no limit but krest's request body limit).
    pub max_record_bytes: Option<usize>,
    /// `api.v3.produce.batch.maximum.entries`: most entries of one `records:batch`.
    pub batch_max_entries: usize,
    /// `api.v3.produce.rate.limit.*`: `None` unless `….enabled=true`.
    pub rate_limits: Option<ProduceRateLimits>,
}

/// Confluent's v3 produce rate limits, in records and bytes per second.
#[derive(Clone, Copy, Debug)]
pub struct ProduceRateLimits {
    /// `api.v3.produce.rate.limit.max.requests.per.sec` (per cluster).
    pub records: u64,
    /// `api.v3.produce.rate.limit.max.bytes.per.sec` (per cluster).
    pub bytes: u64,
    /// `api.v3.produce.rate.limit.max.requests.global.per.sec`.
    pub global_records: u64,
    /// `api.v3.produce.rate.limit.max.bytes.global.per.sec`.
    pub global_bytes: u64,
}

/// Settings of v2 consumer instances.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    /// `consumer.request.max.bytes`: most key+value bytes one records read returns.
    pub request_max_bytes: u64,
    /// `consumer.request.timeout.ms`: longest a records read waits for data.
    pub request_timeout: Duration,
    /// `consumer.instance.timeout.ms`: idle time after which an instance is closed.
    pub instance_timeout: Duration,
    /// `fetch.min.bytes`: a read returns early once more than this many bytes arrived (-1 = off).
    pub fetch_min_bytes: i64,
    /// `consumer.instances.max`: instances this process holds at most.
    pub max_instances: usize,
    /// `consumer.instances.max.per.group`: instances of one group this process holds at most
    /// (`None`: no limit beyond `max_instances`).
    pub max_instances_per_group: Option<usize>,
    /// `consumer.instances.max.per.principal`: instances one authenticated principal may hold
    /// in this process (`None`: no limit beyond `max_instances`).
    pub max_instances_per_principal: Option<usize>,
    /// `consumer.directory.topic` (krest's own): where processes find each other's instances;
    /// `None` when set empty.
    pub directory: Option<TopicSettings>,
    /// `consumer.directory.advertised.url` (krest's own): the http URL other krest processes
    /// reach this one at; `None`: its http listener's address.
    pub directory_url: Option<Url>,
    /// `simpleconsumer.pool.size.max`: Kafka consumers serving stateless partition reads at
    /// most (Confluent's v1 reads had this pool; its `0`, unbounded, is refused).
    pub reader_pool_size: usize,
    /// `simpleconsumer.pool.timeout.ms`: longest a stateless read waits for a pooled consumer.
    pub reader_pool_wait: Duration,
    /// `consumer.stream.heartbeat.ms` (krest's own): a streamed read with no records for this
    /// long sends a heartbeat.
    pub stream_heartbeat: Duration,
}

/// Kafka client properties passed through with their prefix stripped.
#[derive(Clone, Debug, Default)]
pub struct Passthrough {
    pub client: BTreeMap<String, String>,
    pub producer: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
    pub admin: BTreeMap<String, String>,
    pub schema_registry: BTreeMap<String, String>,
}

/// A value that stops start-up, naming the key, where it was set and what is allowed.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub origin: Origin,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration `{}={}` (from {}): {}",
            self.key, self.value, self.origin, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

/// How long a consumer directory write, read or (re)opening may wait for Kafka.
const DIRECTORY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where `krest serve --dev` serves its Schema Registry (Confluent's default port).
pub const DEV_REGISTRY: &str = "http://127.0.0.1:8081";

/// Non-fatal findings, logged at start-up.
pub type Warnings = Vec<String>;

impl Config {
    /// Types and checks `raw`. `dev` relaxes the `bootstrap.servers` requirement.
    pub fn from_raw(raw: &RawConfig, dev: bool) -> Result<(Config, Warnings), ConfigError> {
        let mut warnings = Warnings::new();
        let mut passthrough = Passthrough::default();
        for (key, (value, origin)) in raw.iter() {
            match keys::lookup(key) {
                Some(Key {
                    usage: KeyUse::Rejected(why),
                    ..
                }) if !value.is_empty() => {
                    return Err(error(key, value, origin, why));
                }
                Some(Key {
                    usage: KeyUse::Inert(why),
                    ..
                }) => {
                    tracing::info!("`{key}` (from {origin}) is accepted but has no effect: {why}")
                }
                Some(_) => {}
                // Read by `transforms::read`, which refuses the keys it does not know.
                None if key.starts_with("transforms.") => {}
                None => match keys::passthrough_target(key) {
                    Some((prefix, rest)) => {
                        let map = match prefix {
                            "client." => &mut passthrough.client,
                            "producer." => &mut passthrough.producer,
                            "consumer." => &mut passthrough.consumer,
                            "admin." => &mut passthrough.admin,
                            _ => &mut passthrough.schema_registry,
                        };
                        map.insert(rest.to_string(), value.clone());
                    }
                    None => warnings.push(format!(
                        "unknown configuration key `{key}` (from {origin}) is ignored"
                    )),
                },
            }
        }

        let r = Reader { raw };
        let port = r.port("port")?;
        let listeners = match r.url_list("listeners")? {
            list if list.is_empty() => {
                vec![Url::parse(&format!("http://127.0.0.1:{port}")).expect("valid URL")]
            }
            list => list,
        };
        for url in &listeners {
            r.check_listener("listeners", url)?;
        }
        let bootstrap_servers = r.string("bootstrap.servers");
        if bootstrap_servers.is_empty() && !dev {
            return Err(error(
                "bootstrap.servers",
                "",
                &r.origin("bootstrap.servers"),
                "required: the Kafka brokers to connect to, e.g. `bootstrap.servers=localhost:9092` \
                 (or KAFKA_REST_BOOTSTRAP_SERVERS, or --bootstrap-servers); \
                 run `krest serve --dev` to try krest without Kafka",
            ));
        }
        r.check_bootstrap(&bootstrap_servers)?;
        let schema_registry_url = match r.string("schema.registry.url") {
            s if s.is_empty() => None,
            s => Some(r.url("schema.registry.url", &s)?),
        };
        let mut registry_listeners = r.url_list("schema.registry.listeners")?;
        if dev && registry_listeners.is_empty() {
            registry_listeners.push(Url::parse(DEV_REGISTRY).expect("valid URL"));
        }
        for url in &registry_listeners {
            r.check_listener("schema.registry.listeners", url)?;
        }
        let https = |url: &Url| url.scheme() == "https";
        let tls = tls::read(&r, listeners.iter().chain(&registry_listeners).any(https))?;
        let default_compatibility = r.string("schema.compatibility.level");
        if crate::schema_registry::schema_types::Compatibility::parse(&default_compatibility).is_none() {
            return Err(r.invalid(
                "schema.compatibility.level",
                "expected none, backward, forward, full, backward_transitive, forward_transitive or full_transitive",
            ));
        }
        let registry_server = match registry_listeners.is_empty() {
            true => None,
            false => Some(RegistryServerConfig {
                listeners: registry_listeners,
                group_id: r.string("schema.registry.group.id"),
                leader_eligible: r.boolean("leader.eligibility")?,
                default_compatibility,
                store: TopicSettings {
                    topic: r.string("kafkastore.topic"),
                    replication_factor: r.int(
                        "kafkastore.topic.replication.factor",
                        1,
                        i64::from(i16::MAX),
                    )? as i32,
                    timeout: Duration::from_millis(r.int("kafkastore.timeout.ms", 1, 3_600_000)? as u64),
                    init_timeout: Duration::from_millis(
                        r.int("kafkastore.init.timeout.ms", 1, 3_600_000)? as u64
                    ),
                },
            }),
        };
        let schema_registry_url = match (dev, raw.get("schema.registry.url")) {
            // --dev points the proxy at its own registry unless told otherwise.
            (true, None) => registry_server.as_ref().map(|s| s.listeners[0].clone()),
            _ => schema_registry_url,
        };
        let schema_registry_credentials = registry_credentials(&r, schema_registry_url.as_ref())?;
        // The credentials go in a header, never in a URL that could be logged.
        let schema_registry_url = schema_registry_url.map(|mut url| {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url
        });
        let auth_plugins = auth_plugins(&r)?;
        let propagation = propagation::read(&r, &auth_plugins, &passthrough)?;
        let config = Config {
            id: r.string("id"),
            listeners,
            advertised_listeners: r.url_list("advertised.listeners")?,
            host_name: r.string("host.name"),
            crn_authority: r.string("confluent.resource.name.authority"),
            port,
            bootstrap_servers,
            schema_registry_url,
            schema_registry_credentials,
            registry_server,
            consumer: ConsumerConfig {
                request_max_bytes: r.int("consumer.request.max.bytes", 1, i64::MAX)? as u64,
                request_timeout: Duration::from_millis(r.int(
                    "consumer.request.timeout.ms",
                    0,
                    i64::from(i32::MAX),
                )? as u64),
                instance_timeout: r.millis("consumer.instance.timeout.ms")?,
                fetch_min_bytes: r.int("fetch.min.bytes", -1, 10_000_000)?,
                max_instances: r.int("consumer.instances.max", 1, 1_000_000)? as usize,
                max_instances_per_group: r.limit("consumer.instances.max.per.group", 1_000_000)?,
                max_instances_per_principal: r.limit("consumer.instances.max.per.principal", 1_000_000)?,
                directory: match r.string("consumer.directory.topic") {
                    topic if topic.is_empty() => None,
                    topic => Some(TopicSettings {
                        topic,
                        replication_factor: r.int(
                            "consumer.directory.topic.replication.factor",
                            1,
                            i64::from(i16::MAX),
                        )? as i32,
                        timeout: DIRECTORY_TIMEOUT,
                        init_timeout: DIRECTORY_TIMEOUT,
                    }),
                },
                directory_url: match r.string("consumer.directory.advertised.url") {
                    text if text.is_empty() => None,
                    text => Some(r.directory_url(&text)?),
                },
                reader_pool_size: r.int("simpleconsumer.pool.size.max", 1, 10_000)? as usize,
                reader_pool_wait: r.millis("simpleconsumer.pool.timeout.ms")?,
                stream_heartbeat: Duration::from_millis(
                    r.int("consumer.stream.heartbeat.ms", 1, 3_600_000)? as u64
                ),
            },
            produce_v3: ProduceV3Config {
                max_stream_duration: r.millis("streaming.connection.max.duration.ms")?,
                max_record_bytes: r
                    .limit("api.v3.produce.request.size.limit.max.bytes", i64::from(i32::MAX))?,
                batch_max_entries: r.int("api.v3.produce.batch.maximum.entries", 1, 50)? as usize,
                rate_limits: produce_rate_limits(&r)?,
            },
            shutdown_graceful: r.millis("shutdown.graceful.ms")?,
            shutdown_delay: r.millis("shutdown.delay.ms")?,
            request_max_bytes: r.int("request.body.max.bytes", 1, i64::from(i32::MAX))? as usize,
            connections: ConnectionTimeouts {
                header: Duration::from_millis(r.int("request.header.timeout.ms", 1, 3_600_000)? as u64),
                idle: Duration::from_millis(r.int("idle.timeout.ms", 1, i64::from(u32::MAX))? as u64),
                body: Duration::from_millis(r.int("request.body.timeout.ms", 1, i64::from(u32::MAX))? as u64),
            },
            connection_limits: ConnectionLimits {
                // hyper's smallest read buffer; Jetty accepts less, but no client sends so little.
                header_bytes: r.int("max.request.header.size", 8192, 16 << 20)? as usize,
                server: r.positive("server.connection.limit")?,
                per_listener: r.positive("connector.connection.limit")?,
            },
            auth: AuthConfig {
                plugins: auth_plugins,
                skip_paths: split_list(&r.string("authentication.skip.paths"))
                    .map(str::to_string)
                    .collect(),
            },
            tls,
            passthrough,
            cors: cors::read(&r)?,
            plugins: PluginsConfig {
                dir: match r.string("plugins.dir").is_empty() {
                    true => None,
                    false => Some(r.path("plugins.dir")),
                },
                cache_dir: cache_dir(&r.string("plugins.cache.dir")),
                limits: PluginLimits {
                    call_timeout: Duration::from_millis(
                        r.int("plugins.call.timeout.ms", 1, 3_600_000)? as u64
                    ),
                    memory_max_bytes: r.int("plugins.memory.max.bytes", 1 << 20, 4 << 30)? as usize,
                    max_instances: r.int("plugins.instances.max", 1, 10_000)? as u32,
                    reuse_instances: r.boolean("plugins.instances.reuse")?,
                    fresh_plugins: split_list(&r.string("plugins.instances.fresh"))
                        .map(str::to_string)
                        .collect(),
                },
            },
            propagation,
            transforms: transforms::read(&r)?,
        };
        // Inert numeric keys are still checked, so a typo does not go unnoticed.
        for key in ["consumer.iterator.backoff.ms", "consumer.iterator.timeout.ms"] {
            r.millis(key)?;
        }
        // Confluent's `-1` means an unbounded pool.
        r.int("consumer.threads", -1, i64::from(i32::MAX))?;
        Ok((config, warnings))
    }
}

/// `log.format`: read before the rest of the configuration, so that start-up messages
/// already come out in the chosen format.
pub fn log_format(raw: &RawConfig) -> Result<LogFormat, ConfigError> {
    let r = Reader { raw };
    match r.string("log.format").to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(r.invalid("log.format", "expected text or json")),
    }
}

/// `api.v3.produce.rate.limit.*`, with Confluent's ranges.
fn produce_rate_limits(r: &Reader) -> Result<Option<ProduceRateLimits>, ConfigError> {
    const PREFIX: &str = "api.v3.produce.rate.limit.";
    let per_sec = |name: &str, max: i64| r.int(&format!("{PREFIX}{name}"), 1, max).map(|n| n as u64);
    let limits = ProduceRateLimits {
        records: per_sec("max.requests.per.sec", i64::from(i32::MAX))?,
        bytes: per_sec("max.bytes.per.sec", i64::MAX)?,
        global_records: per_sec("max.requests.global.per.sec", i64::from(i32::MAX))?,
        global_bytes: per_sec("max.bytes.global.per.sec", i64::MAX)?,
    };
    r.millis("api.v3.produce.rate.limit.cache.expiry.ms")?;
    Ok(r.boolean("api.v3.produce.rate.limit.enabled")?.then_some(limits))
}

/// `schema.registry.basic.auth.credentials.source`: `URL` (the default: the user info of
/// `schema.registry.url`, if any) or `USER_INFO` (`schema.registry.basic.auth.user.info`).
fn registry_credentials(r: &Reader, url: Option<&Url>) -> Result<Option<(String, Secret)>, ConfigError> {
    const SOURCE: &str = "schema.registry.basic.auth.credentials.source";
    const USER_INFO: &str = "schema.registry.basic.auth.user.info";
    let decoded = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    match r.string(SOURCE).to_ascii_uppercase().as_str() {
        "URL" => Ok(url.filter(|u| !u.username().is_empty()).map(|u| {
            let password = decoded(u.password().unwrap_or_default());
            (decoded(u.username()), Secret::new(password))
        })),
        "USER_INFO" => match r.string(USER_INFO).split_once(':') {
            Some((user, password)) => Ok(Some((user.to_string(), Secret::new(password.to_string())))),
            None => Err(error(
                USER_INFO,
                "",
                &r.origin(USER_INFO),
                "required as `user:password` when the credentials source is USER_INFO",
            )),
        },
        _ => Err(error(
            SOURCE,
            &r.string(SOURCE),
            &r.origin(SOURCE),
            "must be URL or USER_INFO",
        )),
    }
}

fn error(key: &str, value: &str, origin: &Origin, problem: &str) -> ConfigError {
    ConfigError {
        key: key.to_string(),
        value: match secret::is_secret(key) {
            true => "[hidden]".to_string(),
            false => value.to_string(),
        },
        origin: origin.clone(),
        problem: problem.to_string(),
    }
}

/// Typed access to raw values, falling back to each key's documented default.
struct Reader<'a> {
    raw: &'a RawConfig,
}

impl Reader<'_> {
    fn string(&self, key: &str) -> String {
        match self.raw.get(key) {
            Some((value, _)) => value.clone(),
            None => keys::lookup(key)
                .and_then(|k| k.default)
                .unwrap_or("")
                .to_string(),
        }
    }

    /// A path value; one written in a properties file is relative to that file's folder.
    fn path(&self, key: &str) -> PathBuf {
        let value = PathBuf::from(self.string(key));
        match (self.origin(key), value.is_relative()) {
            (Origin::File(file), true) => match std::path::Path::new(&file).parent() {
                Some(folder) => folder.join(value),
                None => value,
            },
            _ => value,
        }
    }

    fn origin(&self, key: &str) -> Origin {
        self.raw
            .get(key)
            .map(|(_, o)| o.clone())
            .unwrap_or(Origin::Default)
    }

    fn invalid(&self, key: &str, problem: &str) -> ConfigError {
        error(key, &self.string(key), &self.origin(key), problem)
    }

    fn int(&self, key: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
        let expected = || format!("expected an integer from {min} to {max}");
        let n: i64 = self
            .string(key)
            .parse()
            .map_err(|_| self.invalid(key, &expected()))?;
        if n < min || n > max {
            return Err(self.invalid(key, &expected()));
        }
        Ok(n)
    }

    /// A limit where `0` (Confluent's convention) means none.
    fn limit(&self, key: &str, max: i64) -> Result<Option<usize>, ConfigError> {
        Ok(match self.int(key, 0, max)? {
            0 => None,
            n => Some(n as usize),
        })
    }

    /// A limit where any number below 1 means none (rest-utils' convention).
    fn positive(&self, key: &str) -> Result<Option<usize>, ConfigError> {
        let n = self.int(key, i64::from(i32::MIN), i64::from(i32::MAX))?;
        Ok((n > 0).then_some(n as usize))
    }

    fn millis(&self, key: &str) -> Result<Duration, ConfigError> {
        Ok(Duration::from_millis(self.int(key, 0, i64::MAX)? as u64))
    }

    fn boolean(&self, key: &str) -> Result<bool, ConfigError> {
        match self.string(key).to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.invalid(key, "expected true or false")),
        }
    }

    fn port(&self, key: &str) -> Result<u16, ConfigError> {
        Ok(self.int(key, 0, 65535)? as u16)
    }

    fn url(&self, key: &str, text: &str) -> Result<Url, ConfigError> {
        let url = Url::parse(text).map_err(|e| {
            self.invalid(
                key,
                &format!("`{text}` is not a URL ({e}); expected e.g. http://host:8082"),
            )
        })?;
        if url.host_str().is_none() {
            return Err(self.invalid(
                key,
                &format!("`{text}` has no host; expected e.g. http://host:8082"),
            ));
        }
        Ok(url)
    }

    /// `consumer.directory.advertised.url`: a plain http URL without a path.
    fn directory_url(&self, text: &str) -> Result<Url, ConfigError> {
        const KEY: &str = "consumer.directory.advertised.url";
        let url = self.url(KEY, text)?;
        if url.scheme() != "http" || url.path() != "/" {
            return Err(self.invalid(
                KEY,
                &format!("`{text}` is not http://HOST:PORT (processes forward to each other over http)"),
            ));
        }
        Ok(url)
    }

    fn url_list(&self, key: &str) -> Result<Vec<Url>, ConfigError> {
        split_list(&self.string(key))
            .map(|item| self.url(key, item))
            .collect()
    }

    fn check_listener(&self, key: &str, url: &Url) -> Result<(), ConfigError> {
        match url.scheme() {
            "http" | "https" => Ok(()),
            other => Err(self.invalid(
                key,
                &format!("unknown scheme `{other}`; expected http://HOST:PORT or https://HOST:PORT"),
            )),
        }
    }

    fn check_bootstrap(&self, servers: &str) -> Result<(), ConfigError> {
        for server in split_list(servers) {
            let address = server.split_once("://").map_or(server, |(_, rest)| rest);
            let port_ok = address
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(self.invalid(
                    "bootstrap.servers",
                    &format!("`{server}` is not HOST:PORT (optionally PROTOCOL://HOST:PORT)"),
                ));
            }
        }
        Ok(())
    }
}

/// `plugins.cache.dir`: `auto` is `$XDG_CACHE_HOME/krest/plugins` (or `~/.cache/krest/plugins`),
/// empty or `none` keeps nothing.
fn cache_dir(value: &str) -> Option<PathBuf> {
    match value {
        "" | "none" => None,
        "auto" => std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|cache| cache.join("krest").join("plugins")),
        dir => Some(PathBuf::from(dir)),
    }
}

/// `auth.plugins`, or the plugin standing for Confluent's `authentication.method`.
fn auth_plugins(r: &Reader) -> Result<Vec<String>, ConfigError> {
    let listed: Vec<String> = split_list(&r.string("auth.plugins"))
        .map(str::to_string)
        .collect();
    if !listed.is_empty() {
        return Ok(listed);
    }
    match r.string("authentication.method").to_ascii_uppercase().as_str() {
        "NONE" => Ok(Vec::new()),
        "BASIC" => Ok(vec!["basic".to_string()]),
        "BEARER" => Ok(vec!["jwt".to_string()]),
        _ => Err(r.invalid("authentication.method", "expected NONE, BASIC or BEARER")),
    }
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<(Config, Warnings), ConfigError> {
        let mut raw = RawConfig::default();
        for (k, v) in pairs {
            raw.set(k, v, Origin::Flag);
        }
        Config::from_raw(&raw, false)
    }

    #[test]
    fn defaults_match_confluent() {
        let (config, warnings) = load(&[("bootstrap.servers", "localhost:9092")]).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.listeners[0].as_str(), "http://127.0.0.1:8082/");
        assert_eq!(config.port, 8082);
        assert_eq!(config.consumer.request_max_bytes, 67_108_864);
        assert_eq!(config.consumer.request_timeout, Duration::from_millis(1000));
        assert_eq!(config.consumer.instance_timeout, Duration::from_millis(300_000));
        assert_eq!(config.consumer.fetch_min_bytes, -1);
        assert_eq!(
            config.schema_registry_url.unwrap().as_str(),
            "http://localhost:8081/"
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load(&[
            ("bootstrap.servers", "k:9092"),
            ("consumer.request.timeout.ms", "soon"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "consumer.request.timeout.ms");
        assert!(
            err.to_string().contains("consumer.request.timeout.ms=soon"),
            "{err}"
        );
        let err = load(&[("bootstrap.servers", "k:9092"), ("fetch.min.bytes", "10000001")]).unwrap_err();
        assert_eq!(err.key, "fetch.min.bytes");
        let err = load(&[("bootstrap.servers", "kafka")]).unwrap_err();
        assert_eq!(err.key, "bootstrap.servers");
        let err = load(&[]).unwrap_err();
        assert_eq!(err.key, "bootstrap.servers");
        let err = load(&[("bootstrap.servers", "k:1"), ("listeners", "ftp://0.0.0.0:21")]).unwrap_err();
        assert_eq!(err.key, "listeners");
    }

    #[test]
    fn registry_credentials_come_from_the_url_or_user_info_and_leave_the_url() {
        let (config, _) = load(&[
            ("bootstrap.servers", "k:1"),
            ("schema.registry.url", "http://proxy:p%40ss@registry:8081"),
        ])
        .unwrap();
        let (user, password) = config.schema_registry_credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("proxy", "p@ss"));
        assert_eq!(
            config.schema_registry_url.unwrap().as_str(),
            "http://registry:8081/"
        );

        let source = ("schema.registry.basic.auth.credentials.source", "USER_INFO");
        let (config, _) = load(&[
            ("bootstrap.servers", "k:1"),
            source,
            ("schema.registry.basic.auth.user.info", "proxy:a:b"),
        ])
        .unwrap();
        let (user, password) = config.schema_registry_credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("proxy", "a:b"));
        let err = load(&[("bootstrap.servers", "k:1"), source]).unwrap_err();
        assert_eq!(err.key, "schema.registry.basic.auth.user.info");
        let err = load(&[
            ("bootstrap.servers", "k:1"),
            ("schema.registry.basic.auth.credentials.source", "SASL_INHERIT"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "schema.registry.basic.auth.credentials.source");
        let err = error(
            "schema.registry.basic.auth.user.info",
            "proxy:hunter2",
            &Origin::Flag,
            "wrong",
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn https_listeners_need_a_keystore_and_passwords_never_show() {
        let https = ("listeners", "https://127.0.0.1:8443");
        let err = load(&[("bootstrap.servers", "k:1"), https]).unwrap_err();
        assert_eq!(err.key, "ssl.keystore.location");
        let keystore = ("ssl.keystore.location", "/etc/krest/server.pem");
        let (config, _) = load(&[("bootstrap.servers", "k:1"), https, keystore]).unwrap();
        let tls = config.tls.unwrap();
        assert_eq!(tls.keystore.kind, tls::StoreKind::Pem);
        assert_eq!(tls.client_auth, tls::ClientAuth::None);
        assert_eq!(tls.protocols, [tls::TlsVersion::Tls12, tls::TlsVersion::Tls13]);

        let err = load(&[
            ("bootstrap.servers", "k:1"),
            keystore,
            ("ssl.client.auth", "true"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "ssl.truststore.location", "REQUIRED needs a truststore");
        let err = load(&[
            ("bootstrap.servers", "k:1"),
            ("ssl.keystore.location", "k.jks"),
            ("ssl.keystore.type", "JKS"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("keytool -importkeystore"), "{err}");
        let err = load(&[
            ("bootstrap.servers", "k:1"),
            keystore,
            ("ssl.enabled.protocols", "TLSv1.1"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "ssl.enabled.protocols");

        let err = error("ssl.keystore.password", "hunter2", &Origin::Flag, "wrong");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let (config, _) = load(&[
            ("bootstrap.servers", "k:1"),
            keystore,
            ("ssl.key.password", "hunter2"),
        ])
        .unwrap();
        assert_eq!(
            config
                .tls
                .as_ref()
                .unwrap()
                .key_password
                .as_ref()
                .unwrap()
                .expose(),
            "hunter2"
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn inert_keys_accept_confluents_values_and_still_catch_typos() {
        assert!(load(&[("bootstrap.servers", "k:9092"), ("consumer.threads", "-1")]).is_ok());
        let err = load(&[("bootstrap.servers", "k:9092"), ("consumer.threads", "many")]).unwrap_err();
        assert_eq!(err.key, "consumer.threads");
        let err = load(&[
            ("bootstrap.servers", "k:9092"),
            ("consumer.iterator.backoff.ms", "-5"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "consumer.iterator.backoff.ms");
    }

    #[test]
    fn log_format_is_text_json_or_refused() {
        let mut raw = RawConfig::default();
        assert_eq!(log_format(&raw), Ok(LogFormat::Text));
        raw.set("log.format", "JSON", Origin::Flag);
        assert_eq!(log_format(&raw), Ok(LogFormat::Json));
        raw.set("log.format", "xml", Origin::Flag);
        let err = log_format(&raw).unwrap_err();
        assert_eq!(err.key, "log.format");
        assert!(err.to_string().contains("expected text or json"), "{err}");
    }

    #[test]
    fn zookeeper_connect_is_refused_with_advice() {
        let err = load(&[("bootstrap.servers", "k:9092"), ("zookeeper.connect", "zk:2181")]).unwrap_err();
        assert_eq!(err.key, "zookeeper.connect");
        assert!(err.problem.contains("bootstrap.servers"), "{err}");
    }

    #[test]
    fn passthrough_strips_prefixes_but_keeps_proxy_keys() {
        let (config, warnings) = load(&[
            ("bootstrap.servers", "k:9092"),
            ("client.security.protocol", "SASL_SSL"),
            ("producer.linger.ms", "5"),
            ("consumer.fetch.max.bytes", "1000"),
            ("consumer.request.timeout.ms", "500"),
            ("consumer.iterator.backoff.ms", "50"),
            ("frobnicate", "yes"),
        ])
        .unwrap();
        assert_eq!(config.passthrough.client["security.protocol"], "SASL_SSL");
        assert_eq!(config.passthrough.producer["linger.ms"], "5");
        assert_eq!(config.passthrough.consumer.len(), 1);
        assert_eq!(config.consumer.request_timeout, Duration::from_millis(500));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("frobnicate"));
    }
}
