//! One consumer instance: its Kafka consumer (started by the first operation that needs Kafka),
//! format, read settings and the records fetched but not yet returned. Operations on one
//! instance run one at a time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use rdkafka::error::KafkaError;
use rdkafka::Offset;

use crate::error::ApiError;
use crate::kafka::consumer::{FetchedRecord, KafkaConsumer, PartitionOffset};
use crate::kafka::names;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Idle,
    Subscribed,
    Assigned,
}

/// What an instance's operations share; held for the whole operation.
pub struct State {
    pub mode: Mode,
    /// Fetched from Kafka, not yet returned to the client, oldest first.
    pub pending: VecDeque<FetchedRecord>,
}

pub struct Instance {
    pub group: String,
    pub name: String,
    /// The principal that created it (`None` without auth); no other may use it.
    pub owner: Option<String>,
    /// Name of the format plugin that decodes this instance's records.
    pub format: String,
    /// Per-instance `fetch.min.bytes` and `consumer.request.timeout.ms`, if set at creation.
    pub fetch_min_bytes: Option<i64>,
    pub request_timeout: Option<Duration>,
    pub consumer: KafkaConsumer,
    pub state: tokio::sync::Mutex<State>,
    last_used: Mutex<Instant>,
    /// Set once the instance is deleted, expired or closed at shutdown: streams end.
    closed: AtomicBool,
}

/// What a subscription names: topics, or a regular expression over topic names.
pub enum Subscription {
    Topics(Vec<String>),
    Pattern(String),
}

/// A position request of `POST .../positions[/beginning|/end]`.
pub enum Seek {
    Offset(String, i32, i64),
    Timestamp(String, i32, i64),
    Beginning(String, i32),
    End(String, i32),
}

impl Seek {
    fn partition(&self) -> (&str, i32) {
        match self {
            Seek::Offset(t, p, _) | Seek::Timestamp(t, p, _) | Seek::Beginning(t, p) | Seek::End(t, p) => {
                (t, *p)
            }
        }
    }
}

impl Instance {
    pub fn new(
        group: String,
        name: String,
        owner: Option<String>,
        format: String,
        fetch_min_bytes: Option<i64>,
        request_timeout: Option<Duration>,
        consumer: KafkaConsumer,
    ) -> Self {
        Instance {
            group,
            name,
            owner,
            format,
            fetch_min_bytes,
            request_timeout,
            consumer,
            state: tokio::sync::Mutex::new(State {
                mode: Mode::Idle,
                pending: VecDeque::new(),
            }),
            last_used: Mutex::new(Instant::now()),
            closed: AtomicBool::new(false),
        }
    }

    pub fn touch(&self) {
        *self.last_used.lock().expect("last_used lock") = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        self.last_used.lock().expect("last_used lock").elapsed()
    }

    /// Whether the instance was removed (deleted, expired, or closed at shutdown).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Whether an operation is running right now.
    pub fn busy(&self) -> bool {
        self.state.try_lock().is_err()
    }

    /// 409/40903 unless the instance is subscribed or assigned: there is nothing to read.
    pub async fn check_reading(&self) -> Result<(), ApiError> {
        match self.state.lock().await.mode {
            Mode::Idle => Err(not_reading()),
            _ => Ok(()),
        }
    }

    pub async fn subscribe(&self, subscription: Subscription) -> Result<(), ApiError> {
        let topics = match subscription {
            Subscription::Topics(topics) => {
                ApiError::check_topics(topics.iter().map(String::as_str))?;
                topics
            }
            // librdkafka treats a leading `^` as a regex; anchor both ends as Java's `matches` does.
            Subscription::Pattern(pattern) => vec![format!("^({pattern})$")],
        };
        let mut state = self.state.lock().await;
        if state.mode == Mode::Assigned {
            return Err(ApiError::mutually_exclusive());
        }
        self.consumer
            .subscribe(topics)
            .await
            .map_err(|e| illegal_state(&e))?;
        state.mode = Mode::Subscribed;
        state.pending.clear();
        Ok(())
    }

    pub async fn unsubscribe(&self) {
        let mut state = self.state.lock().await;
        self.consumer.unsubscribe().await;
        state.mode = Mode::Idle;
        state.pending.clear();
    }

    pub async fn subscription(&self) -> Result<Vec<String>, ApiError> {
        let state = self.state.lock().await;
        if state.mode != Mode::Subscribed {
            return Ok(Vec::new());
        }
        self.consumer
            .subscription()
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    pub async fn assign(&self, partitions: Vec<(String, i32)>) -> Result<(), ApiError> {
        check_partitions(partitions.iter().map(|(t, p)| (t.as_str(), *p)))?;
        let mut state = self.state.lock().await;
        if state.mode == Mode::Subscribed {
            return Err(ApiError::mutually_exclusive());
        }
        let empty = partitions.is_empty();
        self.consumer
            .assign(partitions)
            .await
            .map_err(|e| match ApiError::from_kafka(&e) {
                unavailable if matches!(unavailable.code, 50003 | 50302) => unavailable,
                _ => illegal_state(&e),
            })?;
        state.mode = if empty { Mode::Idle } else { Mode::Assigned };
        state.pending.clear();
        Ok(())
    }

    pub async fn assignment(&self) -> Result<Vec<(String, i32)>, ApiError> {
        let _state = self.state.lock().await;
        self.consumer
            .assignment()
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    /// Moves read positions; every partition must be assigned to this instance (else 409/40903).
    pub async fn seek(&self, seeks: Vec<Seek>) -> Result<(), ApiError> {
        check_partitions(seeks.iter().map(Seek::partition))?;
        let mut state = self.state.lock().await;
        let assigned = self
            .consumer
            .assignment()
            .await
            .map_err(|e| ApiError::from_kafka(&e))?;
        let mut positions = Vec::new();
        let mut timestamps = Vec::new();
        for seek in seeks {
            let (topic, partition) = seek.partition();
            let topic = topic.to_string();
            if !assigned.contains(&(topic.clone(), partition)) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    40903,
                    format!("Illegal state: No current assignment for partition {topic}-{partition}"),
                ));
            }
            match seek {
                Seek::Offset(_, _, offset) => positions.push((topic, partition, Offset::Offset(offset))),
                // Resolved to absolute offsets now: a logical end would be resolved at the next
                // fetch, after records produced in between.
                Seek::Beginning(..) | Seek::End(..) => {
                    let (low, high) = self
                        .consumer
                        .watermarks(topic.clone(), partition)
                        .await
                        .map_err(|e| ApiError::from_kafka(&e))?;
                    let offset = if matches!(seek, Seek::Beginning(..)) {
                        low
                    } else {
                        high
                    };
                    positions.push((topic, partition, Offset::Offset(offset)));
                }
                Seek::Timestamp(_, _, ms) => timestamps.push((topic, partition, ms)),
            }
        }
        if !timestamps.is_empty() {
            let found = self
                .consumer
                .offsets_for_times(timestamps)
                .await
                .map_err(|e| ApiError::from_kafka(&e))?;
            positions.extend(found);
        }
        state.pending.retain(|r| {
            !positions
                .iter()
                .any(|(t, p, _)| *t == r.topic && *p == r.partition)
        });
        match state.mode {
            Mode::Assigned => self.consumer.reassign_at(positions).await,
            _ => self.consumer.seek(positions).await,
        }
        .map_err(|e| illegal_state(&e))
    }

    /// Commits `offset + 1` for each entry (Confluent's rule: clients name the last record
    /// they processed), synchronously.
    pub async fn commit(&self, offsets: Vec<PartitionOffset>) -> Result<(), ApiError> {
        check_partitions(offsets.iter().map(|(t, p, _, _)| (t.as_str(), *p)))?;
        if let Some(message) = offsets
            .iter()
            .find_map(|(_, _, _, m)| names::invalid_offset_metadata(m))
        {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, 40002, message));
        }
        let _state = self.state.lock().await;
        let next: Vec<PartitionOffset> = offsets
            .into_iter()
            .map(|(t, p, o, m)| (t, p, o.saturating_add(1), m))
            .collect();
        self.consumer.commit(next).await.map_err(|e| commit_failed(&e))
    }

    /// Commits everything returned to the client so far (asynchronously, as Confluent does).
    pub async fn commit_delivered(&self) -> Result<(), ApiError> {
        let _state = self.state.lock().await;
        self.consumer.commit_delivered().map_err(|e| commit_failed(&e))
    }

    pub async fn committed(&self, partitions: Vec<(String, i32)>) -> Result<Vec<PartitionOffset>, ApiError> {
        check_partitions(partitions.iter().map(|(t, p)| (t.as_str(), *p)))?;
        let _state = self.state.lock().await;
        self.consumer
            .committed(partitions)
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    /// Leaves the group and frees the Kafka client, once the running operation ended.
    pub async fn close(self: std::sync::Arc<Self>) {
        // After the running operation this is the last handle but for lookups that already
        // finished. An operation stuck inside librdkafka keeps its handle; it closes the
        // client when it ends. A stream sees the flag before its next batch and ends.
        self.closed.store(true, Ordering::Relaxed);
        drop(self.state.lock().await);
        match std::sync::Arc::try_unwrap(self) {
            Ok(instance) => instance.consumer.close().await,
            Err(shared) => drop(shared),
        }
    }
}

/// Topic names Kafka would refuse are 400/40002; negative partitions, which librdkafka reads
/// as "unassigned", are 404/40402.
fn check_partitions<'a>(partitions: impl Iterator<Item = (&'a str, i32)> + Clone) -> Result<(), ApiError> {
    ApiError::check_topics(partitions.clone().map(|(topic, _)| topic))?;
    match partitions.into_iter().any(|(_, partition)| partition < 0) {
        true => Err(ApiError::partition_not_found()),
        false => Ok(()),
    }
}

/// 409/40903 for a read of an instance neither subscribed nor assigned.
pub fn not_reading() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40903,
        "Illegal state: Consumer is not subscribed to any topics or assigned any partitions",
    )
}

/// 409/40903; but a Kafka client that could not be started (the instance's first call that
/// needs Kafka starts it) is the proxy's failure, 500/50002.
fn illegal_state(error: &KafkaError) -> ApiError {
    match error {
        KafkaError::ClientCreation(_) => ApiError::from_kafka(error),
        _ => ApiError::new(StatusCode::CONFLICT, 40903, format!("Illegal state: {error}")),
    }
}

fn commit_failed(error: &KafkaError) -> ApiError {
    let mapped = ApiError::from_kafka(error);
    match mapped.code {
        40101 | 40301 => mapped,
        _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, error.to_string()),
    }
}
