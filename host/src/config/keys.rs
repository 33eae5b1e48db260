//! Every configuration key krest knows, with Confluent's default and what krest does with it.
//! `docs/configuration.md` is the prose version of this table.

/// What krest does with a key.
pub enum KeyUse {
    /// Read into [`super::Config`].
    Used,
    /// Accepted for compatibility with existing Confluent configs, but without effect (why).
    Inert(&'static str),
    /// Stops start-up when set to a non-empty value (why, and what to do instead).
    Rejected(&'static str),
}

pub struct Key {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub usage: KeyUse,
}

const fn used(name: &'static str, default: &'static str) -> Key {
    Key {
        name,
        default: Some(default),
        usage: KeyUse::Used,
    }
}

const fn inert(name: &'static str, default: &'static str, why: &'static str) -> Key {
    Key {
        name,
        default: Some(default),
        usage: KeyUse::Inert(why),
    }
}

const NO_JMX: &str = "krest exports Prometheus metrics at GET /metrics instead of JMX";
const NO_JAVA_EXTENSIONS: &str = "krest is extended with WebAssembly plugins, not Java classes";
const AUTH_IN_PLUGINS: &str =
    "realms and roles are set in the auth plugins' NAME.toml (see docs/security.md)";
const NO_JSSE: &str = "krest's TLS is rustls, configured by the other ssl.* keys";
const NO_THREAD_POOLS: &str = "krest serves requests on an async runtime without request thread pools";

const KEYS: &[Key] = &[
    used("id", ""),
    used("listeners", ""),
    used("advertised.listeners", ""),
    used("host.name", ""),
    used("confluent.resource.name.authority", ""),
    used("port", "8082"),
    used("bootstrap.servers", ""),
    used("schema.registry.url", "http://localhost:8081"),
    used("schema.registry.basic.auth.credentials.source", "URL"),
    used("schema.registry.basic.auth.user.info", ""),
    used("schema.registry.listeners", ""),
    used("schema.registry.group.id", "schema-registry"),
    used("schema.compatibility.level", "backward"),
    used("leader.eligibility", "true"),
    used("kafkastore.topic", "_schemas"),
    used("kafkastore.topic.replication.factor", "3"),
    used("kafkastore.timeout.ms", "5000"),
    used("kafkastore.init.timeout.ms", "60000"),
    used("consumer.request.max.bytes", "67108864"),
    used("consumer.request.timeout.ms", "1000"),
    used("consumer.instance.timeout.ms", "300000"),
    used("consumer.instances.max", "1000"),
    used("consumer.instances.max.per.group", "0"),
    used("consumer.instances.max.per.principal", "0"),
    used("consumer.directory.topic", "_krest_consumers"),
    used("consumer.directory.topic.replication.factor", "3"),
    used("consumer.directory.advertised.url", ""),
    used("simpleconsumer.pool.size.max", "25"),
    used("simpleconsumer.pool.timeout.ms", "1000"),
    used("consumer.stream.heartbeat.ms", "15000"),
    used("idle.timeout.ms", "30000"),
    used("streaming.connection.max.duration.ms", "86400000"),
    used("api.v3.produce.request.size.limit.max.bytes", "0"),
    used("api.v3.produce.batch.maximum.entries", "10"),
    used("api.v3.produce.rate.limit.enabled", "false"),
    used("api.v3.produce.rate.limit.max.requests.per.sec", "10000"),
    used("api.v3.produce.rate.limit.max.requests.global.per.sec", "10000"),
    used("api.v3.produce.rate.limit.max.bytes.per.sec", "10000000"),
    used("api.v3.produce.rate.limit.max.bytes.global.per.sec", "10000000"),
    inert(
        "api.v3.produce.rate.limit.cache.expiry.ms",
        "3600000",
        "krest serves one cluster, whose rate limits it keeps for its whole life",
    ),
    used("request.header.timeout.ms", "30000"),
    used("request.body.timeout.ms", "120000"),
    used("request.body.max.bytes", "67108864"),
    used("max.request.header.size", "8192"),
    used("server.connection.limit", "0"),
    used("connector.connection.limit", "0"),
    used("fetch.min.bytes", "-1"),
    used("shutdown.graceful.ms", "5000"),
    used("shutdown.delay.ms", "0"),
    used("log.format", "text"),
    used("ssl.keystore.location", ""),
    used("ssl.keystore.type", ""),
    used("ssl.keystore.password", ""),
    used("ssl.key.password", ""),
    used("ssl.truststore.location", ""),
    used("ssl.truststore.type", ""),
    used("ssl.truststore.password", ""),
    used("ssl.client.authentication", "NONE"),
    used("ssl.client.auth", "false"),
    used("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"),
    used("ssl.cipher.suites", ""),
    used("access.control.allow.origin", ""),
    used("access.control.allow.methods", ""),
    used("access.control.allow.headers", ""),
    used("auth.plugins", ""),
    used("authentication.method", "NONE"),
    used("authentication.skip.paths", ""),
    inert("authentication.realm", "", AUTH_IN_PLUGINS),
    inert("authentication.roles", "*", AUTH_IN_PLUGINS),
    used("principal.propagation.enabled", "false"),
    used("principal.propagation.credentials.file", ""),
    used("principal.propagation.sasl.mechanism", "PLAIN"),
    used("principal.propagation.clients.max", "32"),
    used("principal.propagation.clients.idle.ms", "300000"),
    used("transforms", ""),
    used("plugins.dir", ""),
    used("plugins.cache.dir", "auto"),
    used("plugins.call.timeout.ms", "1000"),
    used("plugins.memory.max.bytes", "67108864"),
    used("plugins.instances.max", "128"),
    used("plugins.instances.reuse", "true"),
    used("plugins.instances.fresh", ""),
    inert(
        "consumer.iterator.backoff.ms",
        "50",
        "records reads wake up when records arrive instead of polling with a back-off",
    ),
    inert(
        "consumer.iterator.timeout.ms",
        "1",
        "it tuned the old ZooKeeper consumer's iterator",
    ),
    inert(
        "consumer.threads",
        "50",
        "records reads are asynchronous and hold no thread while they wait",
    ),
    inert("debug", "false", "error messages always carry the whole cause"),
    inert(
        "producer.threads",
        "5",
        "one shared asynchronous producer serves every request",
    ),
    inert(
        "client.timeout.ms",
        "500",
        "Confluent's proxy does not read it either",
    ),
    inert(
        "client.init.timeout.ms",
        "60000",
        "Confluent's proxy does not read it either",
    ),
    inert("zookeeper.set.acl", "false", "krest never talks to ZooKeeper"),
    inert("kafka.rest.resource.extension.class", "", NO_JAVA_EXTENSIONS),
    inert("kafka.rest.extension.classes", "", NO_JAVA_EXTENSIONS),
    inert("resource.extension.classes", "", NO_JAVA_EXTENSIONS),
    inert("rest.servlet.initializor.classes", "", NO_JAVA_EXTENSIONS),
    inert("metrics.jmx.prefix", "kafka.rest", NO_JMX),
    inert("metric.reporters", "", NO_JMX),
    inert("metrics.num.samples", "2", NO_JMX),
    inert("metrics.sample.window.ms", "30000", NO_JMX),
    inert("metrics.tag.map", "", NO_JMX),
    inert(
        "request.logger.name",
        "",
        "request logs go through `tracing`; filter them with RUST_LOG",
    ),
    inert("ssl.protocol", "TLS", NO_JSSE),
    inert("ssl.provider", "", NO_JSSE),
    inert("ssl.keymanager.algorithm", "", NO_JSSE),
    inert("ssl.trustmanager.algorithm", "", NO_JSSE),
    inert("ssl.endpoint.identification.algorithm", "", NO_JSSE),
    inert(
        "ssl.keystore.reload",
        "false",
        "krest always re-reads its keystore and truststore when their files change",
    ),
    inert(
        "ssl.keystore.watch.location",
        "",
        "krest watches the keystore and truststore files themselves",
    ),
    inert("thread.pool.min", "8", NO_THREAD_POOLS),
    inert("thread.pool.max", "200", NO_THREAD_POOLS),
    inert("request.queue.capacity", "", NO_THREAD_POOLS),
    inert(
        "response.mediatype.preferred",
        "",
        "error responses always use application/vnd.kafka.v2+json",
    ),
    inert(
        "response.mediatype.default",
        "",
        "error responses always use application/vnd.kafka.v2+json",
    ),
    Key {
        name: "confluent.rest.auth.propagate.method",
        default: Some(""),
        usage: KeyUse::Rejected(
            "Confluent's commercial security plugin is not part of krest; krest propagates \
             principals itself: set principal.propagation.enabled=true and \
             principal.propagation.credentials.file (see docs/security.md)",
        ),
    },
    Key {
        name: "zookeeper.connect",
        default: Some(""),
        usage: KeyUse::Rejected(
            "krest reaches Kafka only through `bootstrap.servers` (Kafka 4 has no ZooKeeper and \
             Confluent's proxy stopped using it in 6.x): remove `zookeeper.connect` and set \
             `bootstrap.servers=BROKER_HOST:9092` (or KAFKA_REST_BOOTSTRAP_SERVERS)",
        ),
    },
];

/// Prefixes whose keys are handed, stripped, to Kafka clients or the Schema Registry client.
const PASSTHROUGH_PREFIXES: &[&str] = &["client.", "producer.", "consumer.", "admin.", "schema.registry."];

pub fn lookup(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// Splits a pass-through key into its prefix and the client property it sets.
pub fn passthrough_target(key: &str) -> Option<(&'static str, &str)> {
    PASSTHROUGH_PREFIXES.iter().find_map(|prefix| {
        key.strip_prefix(prefix)
            .filter(|rest| !rest.is_empty())
            .map(|rest| (*prefix, rest))
    })
}
