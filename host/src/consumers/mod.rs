//! v2 consumer instances: the only state krest keeps. Instances are named per group, held
//! by the process that created them (and listed in the consumer directory, so that other
//! processes forward to it), limited in number, closed when idle longer than
//! `consumer.instance.timeout.ms`; closing one never blocks a request or the process exit for
//! longer than [`CLOSE_TIMEOUT`].

mod base_uri;
mod create;
mod directory;
mod instance;
mod pool;
mod read;
mod stateless;
mod stream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use prometheus::{register_int_counter, register_int_gauge, IntCounter, IntGauge};
use rdkafka::config::ClientConfig;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::{Config, ConsumerConfig};
use crate::error::ApiError;
use crate::plugins::catalog::PluginCatalog;
use crate::transforms::Transforms;
use pool::ReaderPool;

pub use base_uri::UrlSettings;
pub use create::CreateRequest;
pub use directory::ConsumerDirectory;
pub use instance::{Instance, Seek, Subscription};
pub use read::{ReadLimits, ReadRecord};
pub use stateless::{Page, PartitionRead, ReadAs, Start};
pub use stream::Streamed;

type Key = (String, String);

static INSTANCES: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_consumer_instances",
        "Consumer instances this process holds"
    )
    .expect("unique metric")
});

static CLOSING: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_consumer_instances_closing",
        "Consumer instances removed but whose Kafka client is still leaving its group"
    )
    .expect("unique metric")
});

/// Instances whose lag a metrics scrape asks Kafka for at a time.
const LAG_QUERIES: usize = 16;

/// How long a request (or shutdown) waits for an instance's Kafka client to leave its group
/// and be destroyed; a client that takes longer finishes in the background.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

static EXPIRED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "krest_consumer_instances_expired_total",
        "Consumer instances closed after consumer.instance.timeout.ms of idleness"
    )
    .expect("unique metric")
});

pub struct ConsumerManager {
    settings: ConsumerConfig,
    proxy_id: String,
    kafka: ClientConfig,
    plugins: Arc<PluginCatalog>,
    transforms: Arc<Transforms>,
    urls: UrlSettings,
    instances: Mutex<HashMap<Key, Arc<Instance>>>,
    /// `None`: `consumer.directory.topic` is empty, instances are served by their process only.
    directory: Option<Arc<ConsumerDirectory>>,
    /// The consumers of stateless partition reads.
    readers: ReaderPool,
}

impl ConsumerManager {
    /// `kafka` is the consumer role's librdkafka configuration.
    pub fn new(
        config: &Config,
        kafka: ClientConfig,
        plugins: Arc<PluginCatalog>,
        transforms: Arc<Transforms>,
        directory: Option<Arc<ConsumerDirectory>>,
    ) -> Arc<Self> {
        let settings = &config.consumer;
        let readers = ReaderPool::new(
            kafka.clone(),
            settings.reader_pool_size,
            settings.reader_pool_wait,
        );
        Arc::new(ConsumerManager {
            readers,
            settings: config.consumer.clone(),
            proxy_id: config.id.clone(),
            kafka,
            plugins,
            transforms,
            urls: UrlSettings::from_config(config),
            instances: Mutex::new(HashMap::new()),
            directory,
        })
    }

    pub fn plugins(&self) -> &PluginCatalog {
        &self.plugins
    }

    pub fn settings(&self) -> &ConsumerConfig {
        &self.settings
    }

    pub fn urls(&self) -> &UrlSettings {
        &self.urls
    }

    /// The instance `(group, name)`, marked as used; 404/40403 when this process has none.
    /// The instance, when `caller` (a principal name, `None` without auth) owns it; another
    /// principal's instance is as absent as a missing one (404/40403).
    pub fn get(&self, group: &str, name: &str, caller: Option<&str>) -> Result<Arc<Instance>, ApiError> {
        let instances = self.instances.lock().expect("instances lock");
        let instance = instances
            .get(&(group.to_string(), name.to_string()))
            .filter(|instance| instance.owner.as_deref() == caller)
            .cloned()
            .ok_or_else(not_found)?;
        instance.touch();
        Ok(instance)
    }

    /// The URL of the other krest process that holds `(group, name)`, per the directory;
    /// `None` when this process holds it or no other does.
    pub async fn held_elsewhere(&self, group: &str, name: &str) -> Option<String> {
        match &self.directory {
            Some(directory) if !self.exists(group, name) => directory.owner(group, name).await,
            _ => None,
        }
    }

    fn exists(&self, group: &str, name: &str) -> bool {
        let key = (group.to_string(), name.to_string());
        self.instances.lock().expect("instances lock").contains_key(&key)
    }

    pub async fn delete(&self, group: &str, name: &str, caller: Option<&str>) -> Result<(), ApiError> {
        let removed = {
            let mut instances = self.instances.lock().expect("instances lock");
            let key = (group.to_string(), name.to_string());
            match instances.get(&key) {
                Some(instance) if instance.owner.as_deref() == caller => instances.remove(&key),
                _ => None,
            }
        };
        let instance = removed.ok_or_else(not_found)?;
        INSTANCES.dec();
        self.unlist(std::slice::from_ref(&instance));
        self.close(instance).await;
        Ok(())
    }

    /// Adds a created instance unless its name is taken or there is no room for it.
    fn insert(&self, instance: Arc<Instance>) -> Result<(), (Arc<Instance>, ApiError)> {
        let mut instances = self.instances.lock().expect("instances lock");
        let key = (instance.group.clone(), instance.name.clone());
        if instances.contains_key(&key) {
            return Err((instance, create::duplicate()));
        }
        if let Err(error) = self.room(&instances, &instance.group, instance.owner.as_deref()) {
            return Err((instance, error));
        }
        instances.insert(key, instance);
        INSTANCES.inc();
        Ok(())
    }

    /// 429/42902 unless one more instance of `group` created by `owner` fits
    /// `consumer.instances.max`, `consumer.instances.max.per.group` and
    /// `consumer.instances.max.per.principal`. Instances still closing count towards the
    /// first: they hold their Kafka client's threads and sockets until they are gone.
    fn check_room(&self, group: &str, owner: Option<&str>) -> Result<(), ApiError> {
        self.room(&self.instances.lock().expect("instances lock"), group, owner)
    }

    fn room(
        &self,
        instances: &HashMap<Key, Arc<Instance>>,
        group: &str,
        owner: Option<&str>,
    ) -> Result<(), ApiError> {
        let max = self.settings.max_instances;
        if instances.len() + CLOSING.get().max(0) as usize >= max {
            return Err(too_many(format!(
                "this proxy already holds consumer.instances.max={max} consumer instances"
            )));
        }
        if let Some(max) = self.settings.max_instances_per_group {
            if instances.keys().filter(|(g, _)| g == group).count() >= max {
                return Err(too_many(format!(
                    "this proxy already holds consumer.instances.max.per.group={max} instances \
                     of group {group}"
                )));
            }
        }
        // Without authentication there are no principals to tell apart.
        if let (Some(max), Some(owner)) = (self.settings.max_instances_per_principal, owner) {
            if instances
                .values()
                .filter(|i| i.owner.as_deref() == Some(owner))
                .count()
                >= max
            {
                return Err(too_many(format!(
                    "this proxy already holds consumer.instances.max.per.principal={max} instances \
                     created by {owner}"
                )));
            }
        }
        Ok(())
    }

    /// Removes instances from the directory in the background (other processes answer 404
    /// for them either way: this one no longer holds them).
    fn unlist(&self, removed: &[Arc<Instance>]) -> Option<JoinHandle<()>> {
        let directory = Arc::clone(self.directory.as_ref()?);
        let keys = removed
            .iter()
            .map(|i| (i.group.clone(), i.name.clone()))
            .collect();
        Some(tokio::spawn(async move { directory.remove(keys).await }))
    }

    /// Closes a removed instance within [`CLOSE_TIMEOUT`] (after its running operation).
    async fn close(&self, instance: Arc<Instance>) {
        CLOSING.inc();
        let (group, name) = (instance.group.clone(), instance.name.clone());
        let closed = tokio::spawn(async move {
            instance.close().await;
            CLOSING.dec();
            CLOSED_SINCE_TRIM.fetch_add(1, Ordering::Relaxed);
        });
        if tokio::time::timeout(CLOSE_TIMEOUT, closed).await.is_err() {
            warn!(%group, instance = %name, "consumer instance still closing after {CLOSE_TIMEOUT:?}; it finishes in the background");
        }
    }

    /// `(group, instance, lag)` of every instance that has read from its assignment (see
    /// [`KafkaConsumer::lag`](crate::kafka::consumer::KafkaConsumer::lag)); an instance
    /// Kafka does not answer for is left out.
    pub async fn lags(&self) -> Vec<(String, String, i64)> {
        let instances: Vec<Arc<Instance>> = self
            .instances
            .lock()
            .expect("instances lock")
            .values()
            .cloned()
            .collect();
        futures_util::stream::iter(instances)
            .map(|instance| async move {
                match instance.consumer.lag().await {
                    Ok(Some(lag)) => Some((instance.group.clone(), instance.name.clone(), lag)),
                    _ => None,
                }
            })
            .buffer_unordered(LAG_QUERIES)
            .filter_map(std::future::ready)
            .collect()
            .await
    }

    /// Closes instances idle for longer than `consumer.instance.timeout.ms`, every second;
    /// then gives memory of instances closed since back to the operating system.
    pub async fn expire_idle(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            self.readers.close_idle(self.settings.instance_timeout);
            if CLOSED_SINCE_TRIM.swap(0, Ordering::Relaxed) > 0 {
                tokio::task::spawn_blocking(release_freed_memory).await.ok();
            }
            let expired: Vec<Arc<Instance>> = {
                let mut instances = self.instances.lock().expect("instances lock");
                let timeout = self.settings.instance_timeout;
                let keys: Vec<Key> = instances
                    .iter()
                    .filter(|(_, i)| i.idle_for() > timeout && !i.busy())
                    .map(|(k, _)| k.clone())
                    .collect();
                keys.iter().filter_map(|k| instances.remove(k)).collect()
            };
            INSTANCES.sub(expired.len() as i64);
            EXPIRED.inc_by(expired.len() as u64);
            for instance in &expired {
                info!(group = %instance.group, instance = %instance.name, "consumer instance expired");
            }
            self.unlist(&expired);
            futures_util::future::join_all(expired.into_iter().map(|i| self.close(i))).await;
        }
    }

    /// Closes every instance: each leaves its group so the group rebalances at once.
    pub async fn close_all(&self) {
        let all: Vec<Arc<Instance>> = self
            .instances
            .lock()
            .expect("instances lock")
            .drain()
            .map(|(_, i)| i)
            .collect();
        let count = all.len();
        INSTANCES.sub(count as i64);
        // Awaited, within the bound of closing: the process is about to exit.
        if let Some(unlisted) = self.unlist(&all) {
            if tokio::time::timeout(CLOSE_TIMEOUT, unlisted).await.is_err() {
                warn!("consumer directory not updated within {CLOSE_TIMEOUT:?}; other processes will find this one gone");
            }
        }
        self.readers.close_idle(Duration::ZERO);
        futures_util::future::join_all(all.into_iter().map(|i| self.close(i))).await;
        if count > 0 {
            info!("closed {count} consumer instances");
        }
    }
}

/// Instances and pooled readers whose Kafka client was destroyed since memory was last
/// handed back.
static CLOSED_SINCE_TRIM: AtomicUsize = AtomicUsize::new(0);

/// Hands memory freed by destroyed Kafka clients back to the operating system: glibc keeps it
/// in the arenas of librdkafka's (now ended) threads, where it would go on counting as RSS.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_freed_memory() {
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

fn too_many(reason: String) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        42902,
        format!("Too many consumer instances: {reason}; delete unused instances or let them expire"),
    )
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 40403, "Consumer instance not found.")
}
