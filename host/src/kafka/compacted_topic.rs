//! A compacted one-partition topic as a store: every process reads it from the start into its
//! [`TopicState`] and writes records whose latest value per key is the state. A write returns
//! once this process has read it back, so a client reads its own writes. The Schema Registry
//! (`_schemas`) and the consumer directory (`_krest_consumers`) are kept this way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::{watch, Mutex, MutexGuard};
use tracing::{info, warn};

/// What a store topic holds: the state its records build, applied in order.
pub trait TopicState: Default + Send + Sync + 'static {
    type Key: Send + Sync;
    /// Names the reader thread and its (never joined) consumer group.
    const ROLE: &'static str;
    /// The topic in messages, e.g. "schema topic".
    const DESCRIPTION: &'static str;
    /// A key that changes nothing, written to mark how far the topic has been read.
    fn noop() -> Self::Key;
    fn key_bytes(key: &Self::Key) -> Vec<u8>;
    /// The key, or why its record is skipped.
    fn parse_key(bytes: &[u8]) -> Result<Self::Key, String>;
    /// Applies one record (`None`: a tombstone), or says why it is skipped.
    fn apply(&mut self, key: &Self::Key, value: Option<&[u8]>) -> Result<(), String>;
}

/// The store topic's settings (for the registry, Confluent's `kafkastore.*` keys).
#[derive(Clone, Debug)]
pub struct TopicSettings {
    pub topic: String,
    /// At most this many replicas when the topic is created (fewer brokers, fewer).
    pub replication_factor: i32,
    /// How long a write may wait for Kafka and for its read-back.
    pub timeout: Duration,
    /// How long opening may take to read the topic.
    pub init_timeout: Duration,
}

/// Why a store operation failed: Confluent's 50002 (timed out) or 50001 (store error).
#[derive(Debug)]
pub enum StoreError {
    TimedOut(String),
    Failed(String),
}

pub struct CompactedTopic<S: TopicState> {
    config: TopicSettings,
    state: Arc<RwLock<S>>,
    producer: FutureProducer,
    /// Asks the topic's end offset.
    watermarks: Arc<BaseConsumer>,
    /// The next offset the reader will apply.
    read_up_to: watch::Receiver<i64>,
    writes: Mutex<()>,
    stop_reader: Arc<AtomicBool>,
}

impl<S: TopicState> CompactedTopic<S> {
    /// Creates (or checks) the topic, starts reading it and returns once the whole topic has
    /// been read. `kafka` is the client configuration (bootstrap servers and security).
    pub async fn open(config: TopicSettings, kafka: &ClientConfig) -> anyhow::Result<Arc<Self>> {
        ensure_topic::<S>(&config, kafka).await?;
        let state = Arc::new(RwLock::new(S::default()));
        let (read_tx, read_up_to) = watch::channel(0);
        let stop_reader = Arc::new(AtomicBool::new(false));
        // librdkafka assigns only with a group id; this one never joins or commits.
        let consumer: BaseConsumer = kafka
            .clone()
            .set("group.id", format!("krest-{}", S::ROLE))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()?;
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&config.topic, 0, Offset::Beginning)?;
        consumer.assign(&assignment)?;
        let reader = Reader::<S> {
            consumer,
            state: Arc::clone(&state),
            read_up_to: read_tx,
            stop: Arc::clone(&stop_reader),
        };
        std::thread::Builder::new()
            .name(format!("{}-reader", S::ROLE))
            .spawn(move || reader.run())?;
        // One record at a time, each awaited: batching (linger) would only add latency.
        let producer: FutureProducer = kafka
            .clone()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "0")
            .create()?;
        let watermarks: BaseConsumer = kafka.create()?;
        let store = Arc::new(CompactedTopic {
            config,
            state,
            producer,
            watermarks: Arc::new(watermarks),
            read_up_to,
            writes: Mutex::new(()),
            stop_reader,
        });
        let init_timeout = store.config.init_timeout;
        store.catch_up(init_timeout).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot read the {} `{}`: {e:?}",
                S::DESCRIPTION,
                store.config.topic
            )
        })?;
        info!(topic = %store.config.topic, "{} read", S::DESCRIPTION);
        Ok(store)
    }

    /// How long a write may wait ([`TopicSettings::timeout`]).
    pub fn timeout(&self) -> Duration {
        self.config.timeout
    }

    pub fn state(&self) -> RwLockReadGuard<'_, S> {
        self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serializes writers: hold it from reading the state to writing what follows from it.
    pub async fn lock(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Waits until this instance has read everything written to the topic so far (a NOOP
    /// record marks the end).
    pub async fn catch_up(&self, timeout: Duration) -> Result<(), StoreError> {
        let offset = self.send(&S::noop(), None, timeout).await?;
        self.wait_read(offset, timeout).await
    }

    /// Waits until this instance has read what the topic held when called (by its end
    /// offset, writing nothing): after another instance wrote, its writes are visible here.
    pub async fn read_to_end(&self) -> Result<(), StoreError> {
        let (consumer, topic, timeout) = (
            Arc::clone(&self.watermarks),
            self.config.topic.clone(),
            self.config.timeout,
        );
        let end = tokio::task::spawn_blocking(move || consumer.fetch_watermarks(&topic, 0, timeout))
            .await
            .map_err(|e| StoreError::Failed(e.to_string()))?
            .map_err(|e| StoreError::Failed(format!("Error reading the {}'s end: {e}", S::DESCRIPTION)))?
            .1;
        if end == 0 {
            return Ok(());
        }
        self.wait_read(end - 1, timeout).await
    }

    /// Writes records in order and returns once they are read back. A writer that decides
    /// what to write from the state (the registry) holds [`Self::lock`] meanwhile.
    pub async fn write(&self, records: Vec<(S::Key, Option<Vec<u8>>)>) -> Result<(), StoreError> {
        let timeout = self.config.timeout;
        let mut last = None;
        for (key, value) in &records {
            last = Some(self.send(key, value.as_deref(), timeout).await?);
        }
        match last {
            Some(offset) => self.wait_read(offset, timeout).await,
            None => Ok(()),
        }
    }

    async fn send(&self, key: &S::Key, value: Option<&[u8]>, timeout: Duration) -> Result<i64, StoreError> {
        let key = S::key_bytes(key);
        let mut record = FutureRecord::<[u8], [u8]>::to(&self.config.topic)
            .key(&key)
            .partition(0);
        record.payload = value;
        match self.producer.send(record, timeout).await {
            Ok(delivery) => Ok(delivery.offset),
            Err((error, _)) if error.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageTimedOut) => Err(
                StoreError::TimedOut(format!("Write to the {} timed out: {error}", S::DESCRIPTION)),
            ),
            Err((error, _)) => Err(StoreError::Failed(format!(
                "Error writing to the {}: {error}",
                S::DESCRIPTION
            ))),
        }
    }

    async fn wait_read(&self, offset: i64, timeout: Duration) -> Result<(), StoreError> {
        let mut read_up_to = self.read_up_to.clone();
        let read = async move { read_up_to.wait_for(|next| *next > offset).await.is_ok() };
        match tokio::time::timeout(timeout, read).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreError::Failed(format!(
                "the {} reader stopped",
                S::DESCRIPTION
            ))),
            Err(_) => Err(StoreError::TimedOut(format!(
                "Timed out waiting for the {} to be read up to offset {offset}",
                S::DESCRIPTION
            ))),
        }
    }
}

impl<S: TopicState> Drop for CompactedTopic<S> {
    fn drop(&mut self) {
        self.stop_reader.store(true, Ordering::Relaxed);
    }
}

/// Applies the topic's records to the state, in order, on a thread of its own.
struct Reader<S> {
    consumer: BaseConsumer,
    state: Arc<RwLock<S>>,
    read_up_to: watch::Sender<i64>,
    stop: Arc<AtomicBool>,
}

impl<S: TopicState> Reader<S> {
    fn run(self) {
        while !self.stop.load(Ordering::Relaxed) {
            let Some(polled) = self.consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let message = match polled {
                Ok(message) => message,
                Err(e) => {
                    warn!("{} read: {e}", S::DESCRIPTION);
                    continue;
                }
            };
            match S::parse_key(message.key().unwrap_or_default()) {
                Ok(key) => {
                    let mut state = self
                        .state
                        .write()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    if let Err(reason) = state.apply(&key, message.payload()) {
                        warn!(
                            offset = message.offset(),
                            "{} record skipped: {reason}",
                            S::DESCRIPTION
                        );
                    }
                }
                Err(reason) => warn!(
                    offset = message.offset(),
                    "{} record skipped: {reason}",
                    S::DESCRIPTION
                ),
            }
            self.read_up_to.send_replace(message.offset() + 1);
        }
    }
}

/// Creates the topic (compacted, one partition) or checks that the existing one has one
/// partition, as Confluent's registry requires of its topic.
async fn ensure_topic<S: TopicState>(config: &TopicSettings, kafka: &ClientConfig) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = kafka.create()?;
    let metadata_consumer: BaseConsumer = kafka.create()?;
    let topic = config.topic.clone();
    let (brokers, partitions) = tokio::task::spawn_blocking(move || {
        let metadata = metadata_consumer.fetch_metadata(None, Duration::from_secs(10))?;
        let partitions = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len());
        Ok::<_, rdkafka::error::KafkaError>((metadata.brokers().len(), partitions))
    })
    .await??;
    match partitions {
        Some(1) => Ok(()),
        Some(n) => anyhow::bail!(
            "the {} `{}` has {n} partitions; it must have exactly one",
            S::DESCRIPTION,
            config.topic
        ),
        None => {
            let replication = config.replication_factor.min(brokers.max(1) as i32);
            let topic = NewTopic::new(&config.topic, 1, TopicReplication::Fixed(replication))
                .set("cleanup.policy", "compact");
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
            for result in admin.create_topics(&[topic], &options).await? {
                match result {
                    Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((name, code)) => {
                        anyhow::bail!("cannot create the {} `{name}`: {code}", S::DESCRIPTION)
                    }
                }
            }
            info!(topic = %config.topic, replication, "created the {}", S::DESCRIPTION);
            Ok(())
        }
    }
}
