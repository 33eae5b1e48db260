//! The Kafka clients a request acts through: the proxy's own, or under principal propagation
//! the caller's, from a bounded pool of per-principal clients that close when unused.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use prometheus::{register_int_gauge, IntGauge};
use rdkafka::config::ClientConfig;
use tracing::{info, warn};

use crate::auth::Caller;
use crate::config::propagation::{Credentials, PropagationConfig};
use crate::config::secret::Secret;
use crate::error::ApiError;
use crate::kafka::admin::KafkaAdmin;
use crate::kafka::metadata::KafkaMetadata;
use crate::kafka::producer::Producer;
use crate::metadata::MetadataService;

static PRINCIPAL_CLIENTS: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_principal_clients",
        "Principals whose own Kafka clients krest holds (principal propagation)"
    )
    .expect("unique metric")
});

/// One Kafka identity's clients: a producer, the metadata clients and (sharing their admin
/// client) the administration of API v3.
pub struct KafkaClients {
    pub producer: Producer,
    pub metadata: MetadataService,
    pub admin: KafkaAdmin,
}

/// How the clients of one identity are made.
#[derive(Clone)]
pub struct ClientSettings {
    pub admin: ClientConfig,
    pub producer: ClientConfig,
    /// Bounds each metadata call.
    pub timeout: Duration,
    /// False for clusters without DescribeConfigs (the `--dev` mock).
    pub describe_configs: bool,
}

impl ClientSettings {
    fn create(&self, login: Option<&SaslLogin>) -> anyhow::Result<KafkaClients> {
        let (mut admin, mut producer) = (self.admin.clone(), self.producer.clone());
        if let Some(login) = login {
            login.apply(&mut admin);
            login.apply(&mut producer);
        }
        let metadata = KafkaMetadata::new(&admin, self.timeout, self.describe_configs)?;
        Ok(KafkaClients {
            producer: Producer::new(&producer)?,
            admin: KafkaAdmin::new(metadata.admin_client(), self.timeout),
            metadata: MetadataService::new(metadata),
        })
    }
}

/// A principal's Kafka login.
#[derive(Clone, Debug)]
pub struct SaslLogin {
    mechanism: String,
    username: String,
    password: Secret,
}

impl SaslLogin {
    /// The librdkafka properties that log in as this user (on top of a SASL_* protocol).
    pub fn properties(&self) -> [(&'static str, &str); 3] {
        [
            ("sasl.mechanism", &self.mechanism),
            ("sasl.username", &self.username),
            ("sasl.password", self.password.expose()),
        ]
    }

    fn apply(&self, config: &mut ClientConfig) {
        for (key, value) in self.properties() {
            config.set(key, value);
        }
    }
}

/// The proxy's own clients and, with propagation, the pool of the callers' clients.
pub struct CallerClients {
    own: Arc<KafkaClients>,
    pool: Option<PrincipalPool>,
}

struct PrincipalPool {
    settings: ClientSettings,
    propagation: PropagationConfig,
    entries: Mutex<HashMap<String, Pooled>>,
}

struct Pooled {
    clients: Arc<KafkaClients>,
    last_used: Instant,
}

impl CallerClients {
    pub fn new(settings: ClientSettings, propagation: Option<PropagationConfig>) -> anyhow::Result<Self> {
        Ok(CallerClients {
            own: Arc::new(settings.create(None)?),
            pool: propagation.map(|propagation| PrincipalPool {
                settings,
                propagation,
                entries: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The proxy's own clients.
    pub fn own(&self) -> &Arc<KafkaClients> {
        &self.own
    }

    /// The clients `caller` acts through: its own under propagation (made on first use),
    /// else the proxy's. A caller without a Kafka login is refused (403/40301).
    pub async fn for_caller(&self, caller: &Caller) -> Result<Arc<KafkaClients>, ApiError> {
        let (Some(pool), Some(name)) = (&self.pool, caller.name()) else {
            return Ok(Arc::clone(&self.own));
        };
        if let Some(clients) = pool.take_existing(name) {
            return Ok(clients);
        }
        let login = pool.login(name)?;
        let settings = pool.settings.clone();
        let created = tokio::task::spawn_blocking(move || settings.create(Some(&login)))
            .await
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, "client creation failed"))?
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    50002,
                    format!("cannot create Kafka clients for principal `{name}`: {e}"),
                )
            })?;
        Ok(pool.insert(name, Arc::new(created)))
    }

    /// The login a consumer instance created by `caller` uses; `None`: the proxy's own.
    pub fn consumer_login(&self, caller: &Caller) -> Result<Option<SaslLogin>, ApiError> {
        match (&self.pool, caller.name()) {
            (Some(pool), Some(name)) => pool.login(name).map(Some),
            _ => Ok(None),
        }
    }

    /// Records waiting in every producer's queue for Kafka's acknowledgement.
    pub fn queued_records(&self) -> i64 {
        self.all().iter().map(|c| i64::from(c.producer.queued())).sum()
    }

    /// Every producer's queue drained, for shutdown (blocking).
    pub fn flush(&self, timeout: Duration) {
        for clients in self.all() {
            if let Err(e) = clients.producer.flush(timeout) {
                warn!("producer flush at shutdown: {e}");
            }
        }
    }

    /// The proxy's own clients and every principal's.
    fn all(&self) -> Vec<Arc<KafkaClients>> {
        let mut all = vec![Arc::clone(&self.own)];
        if let Some(pool) = &self.pool {
            let entries = pool.entries.lock().expect("pool lock");
            all.extend(entries.values().map(|p| Arc::clone(&p.clients)));
        }
        all
    }

    /// Closes the clients of principals idle longer than `principal.propagation.clients.idle.ms`;
    /// runs until the process ends (nothing to do without propagation).
    pub async fn close_idle(self: Arc<Self>) {
        let Some(pool) = &self.pool else { return };
        let period = (pool.propagation.idle / 2).clamp(Duration::from_millis(100), Duration::from_secs(30));
        loop {
            tokio::time::sleep(period).await;
            let idle = pool.remove(|entry| entry.last_used.elapsed() >= pool.propagation.idle);
            if !idle.is_empty() {
                info!(count = idle.len(), "closing idle principals' Kafka clients");
                close(idle);
            }
        }
    }
}

impl PrincipalPool {
    fn take_existing(&self, name: &str) -> Option<Arc<KafkaClients>> {
        let mut entries = self.entries.lock().expect("pool lock");
        let entry = entries.get_mut(name)?;
        entry.last_used = Instant::now();
        Some(Arc::clone(&entry.clients))
    }

    /// Adds `clients` (unless another request added some meanwhile: those win) and closes
    /// the least recently used principal's clients when the pool is over its bound.
    fn insert(&self, name: &str, clients: Arc<KafkaClients>) -> Arc<KafkaClients> {
        let mut evicted = Vec::new();
        let chosen = {
            let mut entries = self.entries.lock().expect("pool lock");
            let chosen = match entries.get(name) {
                Some(existing) => {
                    evicted.push(clients);
                    Arc::clone(&existing.clients)
                }
                None => {
                    entries.insert(
                        name.to_string(),
                        Pooled {
                            clients: Arc::clone(&clients),
                            last_used: Instant::now(),
                        },
                    );
                    clients
                }
            };
            while entries.len() > self.propagation.max_clients {
                let oldest = entries
                    .iter()
                    .filter(|(key, _)| key.as_str() != name)
                    .min_by_key(|(_, entry)| entry.last_used)
                    .map(|(key, _)| key.clone())
                    .expect("more than one entry");
                evicted.extend(entries.remove(&oldest).map(|entry| entry.clients));
            }
            PRINCIPAL_CLIENTS.set(entries.len() as i64);
            chosen
        };
        close(evicted);
        chosen
    }

    fn remove(&self, evict: impl Fn(&Pooled) -> bool) -> Vec<Arc<KafkaClients>> {
        let mut entries = self.entries.lock().expect("pool lock");
        let names: Vec<String> = entries
            .iter()
            .filter(|(_, entry)| evict(entry))
            .map(|(name, _)| name.clone())
            .collect();
        let removed = names
            .iter()
            .filter_map(|name| entries.remove(name))
            .map(|entry| entry.clients)
            .collect();
        PRINCIPAL_CLIENTS.set(entries.len() as i64);
        removed
    }

    /// The principal's login from the credentials file, read afresh (it may have changed).
    fn login(&self, name: &str) -> Result<SaslLogin, ApiError> {
        let file = &self.propagation.credentials_file;
        let credentials = Credentials::load(file).map_err(|e| {
            warn!("principal propagation refuses requests: {e:#}");
            ApiError::new(
                StatusCode::FORBIDDEN,
                40301,
                "Not authorized: the Kafka credentials file cannot be read",
            )
        })?;
        let login = credentials.principals.get(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                40301,
                format!("Not authorized: principal `{name}` has no Kafka login"),
            )
        })?;
        Ok(SaslLogin {
            mechanism: self.propagation.sasl_mechanism.clone(),
            username: login.username.clone().unwrap_or_else(|| name.to_string()),
            password: login.password.clone(),
        })
    }
}

/// Destroying librdkafka handles blocks; requests still holding them finish first.
fn close(clients: Vec<Arc<KafkaClients>>) {
    if !clients.is_empty() {
        tokio::task::spawn_blocking(move || drop(clients));
    }
}
