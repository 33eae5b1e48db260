//! The assign-only Kafka consumers behind stateless partition reads: made when a read finds
//! none free, at most `simpleconsumer.pool.size.max`, lent to one read at a time, closed when
//! unused for `consumer.instance.timeout.ms`, so an idle proxy holds none.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use prometheus::{register_int_gauge, IntGauge};
use rdkafka::config::ClientConfig;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::CLOSED_SINCE_TRIM;
use crate::clients::SaslLogin;
use crate::error::ApiError;
use crate::kafka::consumer::{FetchedRecord, KafkaConsumer};

static READERS: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_stateless_read_consumers",
        "Kafka consumers this process holds for stateless partition reads"
    )
    .expect("unique metric")
});

/// The group id the pooled consumers carry: librdkafka assigns partitions only to a consumer
/// with one. They never subscribe, join or commit; the errors of librdkafka's look-ups of its
/// coordinator (a principal without access to the group) are ignored by reads.
const GROUP: &str = "krest-stateless-reads";

/// Settings of the pooled consumers on top of the consumer role's: no commits; an offset
/// Kafka no longer (or not yet) has is an error instead of a silent jump; and fetches at the
/// end of a partition wait 100 ms instead of 500 (a read at another offset waits for the
/// fetch in flight: ≈0.1–0.2 s instead of ≈1 s, for ten fetches a second while a pooled
/// consumer idles at the end of its partition).
const READER_SETTINGS: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("auto.offset.reset", "error"),
    ("fetch.wait.max.ms", "100"),
];

/// One pooled consumer and where its last read stopped.
pub struct Reader {
    pub consumer: KafkaConsumer,
    /// The principal whose Kafka login it uses (principal propagation); `None`: the proxy's.
    login: Option<String>,
    /// The partition it is assigned and the offset its next record has; `None` when unknown
    /// (e.g. a read ended half-way), so that the next read assigns afresh.
    pub position: Option<(String, i32, i64)>,
    /// Records fetched beyond the last read's limits, the first at `position`.
    pub pending: VecDeque<FetchedRecord>,
    last_used: Instant,
}

pub struct ReaderPool {
    kafka: ClientConfig,
    size: usize,
    wait: Duration,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Reader>>,
}

/// A reader lent to one read; it goes back to the pool when dropped.
pub struct Lease<'a> {
    pool: &'a ReaderPool,
    reader: Option<Reader>,
    _permit: OwnedSemaphorePermit,
}

impl ReaderPool {
    /// `kafka` is the consumer role's configuration.
    pub fn new(kafka: ClientConfig, size: usize, wait: Duration) -> Self {
        ReaderPool {
            kafka,
            size,
            wait,
            permits: Arc::new(Semaphore::new(size)),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A reader for `principal` (with its `login` under principal propagation), preferably one
    /// whose position is `at`; 503/50301 when none is free within `simpleconsumer.pool.timeout.ms`.
    pub async fn lease(
        &self,
        principal: Option<&str>,
        login: Option<SaslLogin>,
        at: (&str, i32),
    ) -> Result<Lease<'_>, ApiError> {
        let permit = tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    50301,
                    "No SimpleConsumer is available at the time in the pool. The request can be retried. \
                     You can increase the pool size or the pool timeout to avoid this error in the future.",
                )
            })?;
        let login_name = login.as_ref().and(principal).map(str::to_string);
        let (found, evicted) = {
            let mut idle = self.idle.lock().expect("pool lock");
            let on_partition = |r: &Reader| {
                r.position
                    .as_ref()
                    .is_some_and(|(t, p, _)| t == at.0 && *p == at.1)
            };
            let found = idle
                .iter()
                .position(|r| r.login == login_name && on_partition(r))
                .or_else(|| idle.iter().position(|r| r.login == login_name));
            let found = found.map(|i| idle.swap_remove(i));
            // A new reader must fit: the idle ones and the lent ones (this one included) count.
            let lent = self.size - self.permits.available_permits();
            let evicted = if found.is_none() && idle.len() + lent > self.size {
                oldest(&idle).map(|i| idle.swap_remove(i))
            } else {
                None
            };
            (found, evicted)
        };
        if let Some(evicted) = evicted {
            retire(vec![evicted]);
        }
        let reader = match found {
            Some(reader) => reader,
            None => {
                let mut settings: Vec<(&str, String)> =
                    READER_SETTINGS.iter().map(|(k, v)| (*k, v.to_string())).collect();
                for (key, value) in login.iter().flat_map(SaslLogin::properties) {
                    settings.push((key, value.to_string()));
                }
                let consumer = KafkaConsumer::new(&self.kafka, GROUP, &settings)
                    .map_err(|e| ApiError::from_kafka(&e))?;
                READERS.inc();
                Reader {
                    consumer,
                    login: login_name,
                    position: None,
                    pending: VecDeque::new(),
                    last_used: Instant::now(),
                }
            }
        };
        Ok(Lease {
            pool: self,
            reader: Some(reader),
            _permit: permit,
        })
    }

    /// Closes the readers not lent and unused for longer than `timeout`.
    pub fn close_idle(&self, timeout: Duration) {
        let expired: Vec<Reader> = {
            let mut idle = self.idle.lock().expect("pool lock");
            let (expired, kept) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|r| r.last_used.elapsed() >= timeout);
            *idle = kept;
            expired
        };
        retire(expired);
    }
}

/// The index of the reader unused the longest.
fn oldest(idle: &[Reader]) -> Option<usize> {
    idle.iter()
        .enumerate()
        .min_by_key(|(_, r)| r.last_used)
        .map(|(i, _)| i)
}

/// Destroys readers' Kafka clients (in the background: see `KafkaConsumer`'s `Drop`).
fn retire(readers: Vec<Reader>) {
    if readers.is_empty() {
        return;
    }
    READERS.sub(readers.len() as i64);
    CLOSED_SINCE_TRIM.fetch_add(readers.len(), Ordering::Relaxed);
    drop(readers);
}

impl Lease<'_> {
    /// Closes the reader instead of returning it (its state is unknown after a Kafka error).
    pub fn discard(mut self) {
        retire(self.reader.take().into_iter().collect());
    }
}

impl Deref for Lease<'_> {
    type Target = Reader;

    fn deref(&self) -> &Reader {
        self.reader
            .as_ref()
            .expect("a lease holds its reader until dropped")
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Reader {
        self.reader
            .as_mut()
            .expect("a lease holds its reader until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(mut reader) = self.reader.take() {
            reader.last_used = Instant::now();
            self.pool.idle.lock().expect("pool lock").push(reader);
        }
    }
}
