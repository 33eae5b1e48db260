//! One librdkafka consumer per v2 consumer instance, created by the first call that needs
//! Kafka: small fetch queues, offsets stored only for records handed to the client, blocking
//! calls moved off the async executor.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedMessage, Headers as _};
use rdkafka::{Message, Offset, TopicPartitionList};

/// How long a blocking Kafka call of a consumer may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long asking Kafka for partition ends may take when a metrics scrape wants the lag.
const LAG_TIMEOUT: Duration = Duration::from_secs(2);

/// Pause before asking a group coordinator that is not ready again.
const COORDINATOR_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// librdkafka settings every instance starts from (operators override them with `consumer.*`):
/// at most 1 MiB prefetched per instance instead of librdkafka's 64 MiB, and a short back-off
/// before fetching again once a read drained that small queue (librdkafka's default of 1 s
/// would cap a reader at one queue-full per second). `queued.min.messages` stays librdkafka's:
/// at 1,000, a partition stopped fetching at ≈100 KB of small records and reads waited on
/// fetches (30% of a direct consumer's rate instead of 75–100%).
const LEAN_DEFAULTS: &[(&str, &str)] = &[
    ("queued.max.messages.kbytes", "1024"),
    ("fetch.queue.backoff.ms", "10"),
    ("enable.auto.offset.store", "false"),
    ("enable.partition.eof", "false"),
];

/// A record as read from Kafka, detached from librdkafka's buffers.
#[derive(Debug, Clone, Default)]
pub struct FetchedRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// Kafka record headers, in order (a header's value may be null).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Milliseconds since the epoch, when the record has one.
    pub timestamp: Option<i64>,
}

impl FetchedRecord {
    /// Bytes counted against a read's size limits: key plus value, as Confluent counts.
    pub fn size(&self) -> usize {
        self.key.as_ref().map_or(0, Vec::len) + self.value.as_ref().map_or(0, Vec::len)
    }
}

/// A copy of `message` that outlives librdkafka's buffer.
fn detached(message: &BorrowedMessage<'_>) -> FetchedRecord {
    FetchedRecord {
        topic: message.topic().to_string(),
        partition: message.partition(),
        offset: message.offset(),
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers: message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default(),
        timestamp: message.timestamp().to_millis(),
    }
}

/// (topic, partition, offset, metadata)
pub type PartitionOffset = (String, i32, i64, String);

/// An instance's Kafka consumer; it holds no librdkafka client (no threads, no sockets) until
/// a call needs one.
pub struct KafkaConsumer {
    config: ClientConfig,
    client: OnceLock<Arc<StreamConsumer>>,
}

impl KafkaConsumer {
    /// `base` is the consumer role's configuration; `overrides` the instance's own settings.
    /// The configuration is checked as librdkafka would check it, but no client is started.
    pub fn new(base: &ClientConfig, group: &str, overrides: &[(&str, String)]) -> KafkaResult<Self> {
        let mut config = ClientConfig::new();
        for (key, value) in LEAN_DEFAULTS {
            config.set(*key, *value);
        }
        for (key, value) in base.config_map() {
            config.set(key, value);
        }
        config.set("group.id", group);
        for (key, value) in overrides {
            config.set(*key, value);
        }
        drop(config.create_native_config()?);
        Ok(KafkaConsumer {
            config,
            client: OnceLock::new(),
        })
    }

    /// The librdkafka client, started now if this is the first call that needs it.
    fn client(&self) -> KafkaResult<&Arc<StreamConsumer>> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let created = Arc::new(self.config.create()?);
        Ok(self.client.get_or_init(|| created))
    }

    /// The records as they arrive, for one read (cancel-safe: dropping a pending `next()` loses
    /// nothing). One stream registers its waker once, not once per record as `recv` does.
    pub fn records(&self) -> KafkaResult<impl Stream<Item = KafkaResult<FetchedRecord>> + Unpin + '_> {
        Ok(self
            .client()?
            .stream()
            .map(|message| message.map(|m| detached(&m))))
    }

    /// Marks `record` as delivered to the client: commits (auto or commit-all) include it.
    pub fn delivered(&self, record: &FetchedRecord) -> KafkaResult<()> {
        self.client()?
            .store_offset(&record.topic, record.partition, record.offset)
    }

    // Subscription and assignment calls wait for librdkafka's main thread: off the executor.

    pub async fn subscribe(&self, topics: Vec<String>) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&topics)
        })
        .await
    }

    pub async fn unsubscribe(&self) {
        if self.client.get().is_none() {
            return;
        }
        self.blocking(|consumer| {
            consumer.unsubscribe();
            Ok(())
        })
        .await
        .ok();
    }

    pub async fn subscription(&self) -> KafkaResult<Vec<String>> {
        self.blocking(|consumer| {
            let list = consumer.subscription()?;
            Ok(list.elements().iter().map(|e| e.topic().to_string()).collect())
        })
        .await
    }

    /// Assigns partitions at their committed offsets (or, without one, where
    /// `auto.offset.reset` says). The committed offsets are looked up here, with retries:
    /// librdkafka's own look-up gives up for good on a coordinator error, e.g. while the
    /// group coordinator loads after a broker start, and the partitions are then never fetched.
    /// The topics' metadata is asked for first ([`head_start`]).
    pub async fn assign(&self, partitions: Vec<(String, i32)>) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            let mut list = TopicPartitionList::new();
            for (topic, partition) in &partitions {
                list.add_partition(topic, *partition);
            }
            if list.count() > 0 {
                let topics: std::collections::BTreeSet<&str> =
                    partitions.iter().map(|(topic, _)| topic.as_str()).collect();
                for topic in topics {
                    head_start(consumer, topic);
                }
                list = committed_offsets(consumer, &list)?;
            }
            consumer.assign(&list)
        })
        .await
    }

    /// Assigns exactly one partition, to be read from `offset` on; `look_up` asks for the
    /// topic's metadata first, as [`Self::assign`] does (a client that read the topic before
    /// knows its leader).
    pub async fn assign_at(
        &self,
        topic: String,
        partition: i32,
        offset: i64,
        look_up: bool,
    ) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            if look_up {
                head_start(consumer, &topic);
            }
            let mut list = TopicPartitionList::new();
            list.add_partition_offset(&topic, partition, Offset::Offset(offset))?;
            consumer.assign(&list)
        })
        .await
    }

    /// The assigned partitions; none without a client.
    pub async fn assignment(&self) -> KafkaResult<Vec<(String, i32)>> {
        if self.client.get().is_none() {
            return Ok(Vec::new());
        }
        self.blocking(|consumer| {
            let list = consumer.assignment()?;
            let partitions = list
                .elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect();
            Ok(partitions)
        })
        .await
    }

    /// Moves the read position of each partition.
    pub async fn seek(&self, positions: Vec<(String, i32, Offset)>) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            for (topic, partition, offset) in positions {
                consumer.seek(&topic, partition, offset, CALL_TIMEOUT)?;
            }
            Ok(())
        })
        .await
    }

    /// Moves read positions of manually assigned partitions by assigning them again, each at
    /// its new offset or where it was; librdkafka cannot `seek` a partition before its first
    /// fetch, which is right after an assignment.
    pub async fn reassign_at(&self, positions: Vec<(String, i32, Offset)>) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            let current = consumer.assignment()?;
            let fetched = consumer.position()?;
            let mut list = TopicPartitionList::new();
            for element in current.elements() {
                let (topic, partition) = (element.topic(), element.partition());
                let offset = positions
                    .iter()
                    .find(|(t, p, _)| t == topic && *p == partition)
                    .map(|(_, _, o)| *o)
                    .or_else(|| fetched.find_partition(topic, partition).map(|e| e.offset()))
                    .unwrap_or(Offset::Invalid);
                list.add_partition_offset(topic, partition, offset)?;
            }
            consumer.assign(&list)
        })
        .await
    }

    /// The end of a partition (its high watermark) as the last fetch response reported it:
    /// no request, so it may be behind; `None` before a fetch or without a client.
    pub fn fetched_end(&self, topic: &str, partition: i32) -> Option<i64> {
        let client = self.client.get()?;
        let topic = std::ffi::CString::new(topic).ok()?;
        let (mut low, mut high) = (-1, -1);
        // SAFETY: a live client handle, a NUL-terminated topic name and two out-parameters;
        // librdkafka only reads its cached offsets under its own lock.
        let error = unsafe {
            rdkafka::bindings::rd_kafka_get_watermark_offsets(
                client.client().native_ptr(),
                topic.as_ptr(),
                partition,
                &mut low,
                &mut high,
            )
        };
        let fetched = error == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
        (fetched && high >= 0).then_some(high)
    }

    /// `(low, high)` watermarks of a partition.
    pub async fn watermarks(&self, topic: String, partition: i32) -> KafkaResult<(i64, i64)> {
        self.blocking(move |consumer| consumer.fetch_watermarks(&topic, partition, CALL_TIMEOUT))
            .await
    }

    /// Records between each assigned partition's read position (the next record librdkafka
    /// hands krest) and its end as Kafka reports it now (one ListOffsets request), summed
    /// over the partitions that have a position; `None` while none has one (or there is no
    /// client yet).
    pub async fn lag(&self) -> KafkaResult<Option<i64>> {
        if self.client.get().is_none() {
            return Ok(None);
        }
        self.blocking(|consumer| {
            let positions = consumer.position()?;
            let mut ends = TopicPartitionList::new();
            let mut read = Vec::new();
            for element in positions.elements() {
                if let Offset::Offset(position) = element.offset() {
                    ends.add_partition_offset(element.topic(), element.partition(), Offset::End)?;
                    read.push((element.topic().to_string(), element.partition(), position));
                }
            }
            if read.is_empty() {
                return Ok(None);
            }
            // A timestamp of -1 (Offset::End) asks for the latest offset.
            let ends = consumer.offsets_for_times(ends, LAG_TIMEOUT)?;
            let lag = read
                .iter()
                .filter_map(|(topic, partition, position)| {
                    match ends.find_partition(topic, *partition)?.offset() {
                        Offset::Offset(end) => Some((end - position).max(0)),
                        _ => None,
                    }
                })
                .sum();
            Ok(Some(lag))
        })
        .await
    }

    /// Offsets of the first records at or after each timestamp (ms); partitions without one
    /// resolve to their end.
    pub async fn offsets_for_times(
        &self,
        requests: Vec<(String, i32, i64)>,
    ) -> KafkaResult<Vec<(String, i32, Offset)>> {
        self.blocking(move |consumer| {
            let mut list = TopicPartitionList::new();
            for (topic, partition, timestamp) in &requests {
                list.add_partition_offset(topic, *partition, Offset::Offset(*timestamp))?;
            }
            let found = consumer.offsets_for_times(list, CALL_TIMEOUT)?;
            let resolved = found
                .elements()
                .iter()
                .map(|e| {
                    let offset = match e.offset() {
                        Offset::Offset(n) if n >= 0 => Offset::Offset(n),
                        _ => Offset::End,
                    };
                    (e.topic().to_string(), e.partition(), offset)
                })
                .collect();
            Ok(resolved)
        })
        .await
    }

    /// Commits exactly these offsets (already the next positions to read), synchronously.
    pub async fn commit(&self, offsets: Vec<PartitionOffset>) -> KafkaResult<()> {
        self.blocking(move |consumer| {
            let mut list = TopicPartitionList::new();
            for (topic, partition, offset, metadata) in &offsets {
                list.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
                if !metadata.is_empty() {
                    if let Some(mut element) = list.find_partition(topic, *partition) {
                        element.set_metadata(metadata);
                    }
                }
            }
            consumer.commit(&list, CommitMode::Sync)
        })
        .await
    }

    /// Commits the offsets of every record delivered so far, asynchronously (Confluent's
    /// commit without a body); without a client nothing was delivered.
    pub fn commit_delivered(&self) -> KafkaResult<()> {
        let Some(consumer) = self.client.get() else {
            return Ok(());
        };
        match consumer.commit_consumer_state(CommitMode::Async) {
            // Nothing delivered since the last commit.
            Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => Ok(()),
            other => other,
        }
    }

    /// Committed offsets of these partitions; partitions without one are left out.
    pub async fn committed(&self, partitions: Vec<(String, i32)>) -> KafkaResult<Vec<PartitionOffset>> {
        self.blocking(move |consumer| {
            let mut list = TopicPartitionList::new();
            for (topic, partition) in &partitions {
                list.add_partition(topic, *partition);
            }
            let committed = committed_offsets(consumer, &list)?;
            let offsets = committed
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(n) => {
                        Some((e.topic().to_string(), e.partition(), n, e.metadata().to_string()))
                    }
                    _ => None,
                })
                .collect();
            // Dropped here, before the consumer can be: see docs/toolchain-notes.md.
            drop(committed);
            Ok(offsets)
        })
        .await
    }

    /// Leaves the group and destroys the client, if there is one, on a blocking thread.
    pub async fn close(mut self) {
        if let Some(inner) = self.client.take() {
            tokio::task::spawn_blocking(move || drop(inner)).await.ok();
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&StreamConsumer) -> KafkaResult<T> + Send + 'static,
    ) -> KafkaResult<T> {
        let consumer = Arc::clone(self.client()?);
        tokio::task::spawn_blocking(move || call(&consumer))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }
}

/// Asks for `topic`'s metadata so that a fresh client fetches at once: it knows no leader for
/// the topic yet and would otherwise find one only at its next one-second scan. Only a head
/// start: a failure leaves librdkafka's own scan to find it.
fn head_start(consumer: &StreamConsumer, topic: &str) {
    consumer.fetch_metadata(Some(topic), CALL_TIMEOUT).ok();
}

/// Committed offsets of `partitions`, asked again while the group coordinator moves or loads
/// (right after a broker start), which librdkafka answers with an immediate error.
fn committed_offsets(
    consumer: &StreamConsumer,
    partitions: &TopicPartitionList,
) -> KafkaResult<TopicPartitionList> {
    let deadline = Instant::now() + CALL_TIMEOUT;
    loop {
        match consumer.committed_offsets(partitions.clone(), CALL_TIMEOUT) {
            Err(e) if coordinator_unavailable(&e) && Instant::now() < deadline => {
                std::thread::sleep(COORDINATOR_RETRY_BACKOFF)
            }
            other => return other,
        }
    }
}

fn coordinator_unavailable(error: &KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        error.rdkafka_error_code(),
        Some(C::NotCoordinator | C::CoordinatorLoadInProgress | C::CoordinatorNotAvailable)
    )
}

impl Drop for KafkaConsumer {
    /// Leaving the group and destroying the client block (for as long as the group takes):
    /// never on the async executor. A blocking call still running keeps its own handle.
    fn drop(&mut self) {
        let Some(inner) = self.client.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(move || drop(inner))),
            Err(_) => drop(inner),
        }
    }
}
