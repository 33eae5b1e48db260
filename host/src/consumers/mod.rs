//! v2 consumer instances: the only state krest keeps. Instances are named per group, owned
//! by this process, closed when idle longer than `consumer.instance.timeout.ms`.

mod base_uri;
mod create;
mod instance;
mod read;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use prometheus::{register_int_counter, register_int_gauge, IntCounter, IntGauge};
use rdkafka::config::ClientConfig;
use tracing::info;

use crate::config::{Config, ConsumerConfig};
use crate::error::ApiError;
use crate::plugins::registry::PluginRegistry;

pub use base_uri::UrlSettings;
pub use create::CreateRequest;
pub use instance::{Instance, Seek};
pub use read::{ReadLimits, ReadRecord};

type Key = (String, String);

static INSTANCES: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_consumer_instances",
        "Consumer instances this process holds"
    )
    .expect("unique metric")
});

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
    plugins: Arc<PluginRegistry>,
    urls: UrlSettings,
    instances: Mutex<HashMap<Key, Arc<Instance>>>,
}

impl ConsumerManager {
    /// `kafka` is the consumer role's librdkafka configuration.
    pub fn new(config: &Config, kafka: ClientConfig, plugins: Arc<PluginRegistry>) -> Arc<Self> {
        Arc::new(ConsumerManager {
            settings: config.consumer.clone(),
            proxy_id: config.id.clone(),
            kafka,
            plugins,
            urls: UrlSettings::from_config(config),
            instances: Mutex::new(HashMap::new()),
        })
    }

    pub fn plugins(&self) -> &PluginRegistry {
        &self.plugins
    }

    pub fn settings(&self) -> &ConsumerConfig {
        &self.settings
    }

    pub fn urls(&self) -> &UrlSettings {
        &self.urls
    }

    /// The instance `(group, name)`, marked as used; 404/40403 when this process has none.
    pub fn get(&self, group: &str, name: &str) -> Result<Arc<Instance>, ApiError> {
        let instances = self.instances.lock().expect("instances lock");
        let instance = instances
            .get(&(group.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(not_found)?;
        instance.touch();
        Ok(instance)
    }

    pub async fn delete(&self, group: &str, name: &str) -> Result<(), ApiError> {
        let removed = self
            .instances
            .lock()
            .expect("instances lock")
            .remove(&(group.to_string(), name.to_string()));
        let instance = removed.ok_or_else(not_found)?;
        INSTANCES.dec();
        instance.close().await;
        Ok(())
    }

    fn insert(&self, instance: Arc<Instance>) -> Result<(), Arc<Instance>> {
        let mut instances = self.instances.lock().expect("instances lock");
        let key = (instance.group.clone(), instance.name.clone());
        if instances.contains_key(&key) {
            return Err(instance);
        }
        instances.insert(key, instance);
        INSTANCES.inc();
        Ok(())
    }

    /// Closes instances idle for longer than `consumer.instance.timeout.ms`, every second.
    pub async fn expire_idle(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
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
            for instance in expired {
                info!(group = %instance.group, instance = %instance.name, "consumer instance expired");
                instance.close().await;
            }
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
        futures_util::future::join_all(all.into_iter().map(|i| async move { i.close().await })).await;
        if count > 0 {
            info!("closed {count} consumer instances");
        }
    }
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 40403, "Consumer instance not found.")
}
