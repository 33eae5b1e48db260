//! An idempotent (`acks=all`) producer: the proxy's own, or a principal's under propagation.
//! A request's records are awaited together ([`Deliveries`]): one wake-up per request.

use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use futures_util::task::AtomicWaker;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

/// Where one record landed, or why it did not.
pub type DeliveryResult = Result<Delivered, KafkaError>;

/// Where Kafka stored one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub partition: i32,
    pub offset: i64,
    /// The record's timestamp in milliseconds since the epoch, when Kafka reported one.
    pub timestamp: Option<i64>,
}

pub struct Producer {
    inner: ThreadedProducer<Reports>,
}

/// One record to send.
#[derive(Clone, Copy, Default)]
pub struct Outgoing<'a> {
    pub topic: &'a str,
    /// `None`: Kafka's partitioner picks.
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
    /// Milliseconds since the epoch; `None`: the time of sending.
    pub timestamp: Option<i64>,
}

impl Producer {
    pub fn new(config: &ClientConfig) -> KafkaResult<Self> {
        let mut config = config.clone();
        config.set("enable.idempotence", "true").set("acks", "all");
        Ok(Producer {
            inner: config.create_with_context(Reports)?,
        })
    }

    /// Queues one record as record `index` of `deliveries`. When librdkafka's queue is full
    /// this waits briefly for room instead of failing at once.
    pub async fn send(
        &self,
        outgoing: Outgoing<'_>,
        deliveries: &Deliveries,
        index: usize,
    ) -> Result<(), KafkaError> {
        let mut record = BaseRecord::<[u8], [u8], Box<Pending>>::with_opaque_to(
            outgoing.topic,
            Box::new(Pending::new(&deliveries.shared, index)),
        );
        record.partition = outgoing.partition;
        record.key = outgoing.key;
        record.payload = outgoing.value;
        record.timestamp = outgoing.timestamp;
        if !outgoing.headers.is_empty() {
            let headers = outgoing.headers.iter().fold(
                OwnedHeaders::new_with_capacity(outgoing.headers.len()),
                |headers, (key, value)| {
                    headers.insert(Header {
                        key,
                        value: value.as_deref(),
                    })
                },
            );
            record.headers = Some(headers);
        }
        loop {
            match self.inner.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    record = returned;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// Records (and protocol requests) in librdkafka's queue: sent to this producer but not
    /// yet acknowledged by Kafka (`rd_kafka_outq_len`, read locally).
    pub fn queued(&self) -> i32 {
        self.inner.in_flight_count()
    }

    /// Waits until every record sent before is acknowledged or failed (used at shutdown).
    pub fn flush(&self, timeout: Duration) -> KafkaResult<()> {
        self.inner.flush(timeout)
    }
}

/// Hands each delivery report to the request its record came from.
struct Reports;

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<Pending>;

    fn delivery(&self, report: &rdkafka::producer::DeliveryResult<'_>, mut pending: Box<Pending>) {
        pending.report(match report {
            Ok(message) => Ok(Delivered {
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp().to_millis(),
            }),
            Err((error, _)) => Err(error.clone()),
        });
    }
}

/// The delivery reports of one request's records: each report fills its record's slot and
/// the last one wakes the request.
pub struct Deliveries {
    shared: Arc<Reported>,
}

struct Reported {
    slots: Box<[OnceLock<DeliveryResult>]>,
    /// Records queued and not yet reported, plus one until [`Deliveries::all`] is called (no
    /// more records then), so early reports cannot complete the batch.
    pending: AtomicUsize,
    waker: AtomicWaker,
}

impl Reported {
    fn fill(&self, index: usize, result: DeliveryResult) {
        let _ = self.slots[index].set(result);
        self.done_one();
    }

    fn done_one(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.waker.wake();
        }
    }
}

impl Deliveries {
    /// Room for the reports of `records` records.
    pub fn new(records: usize) -> Self {
        Deliveries {
            shared: Arc::new(Reported {
                slots: (0..records).map(|_| OnceLock::new()).collect(),
                pending: AtomicUsize::new(1),
                waker: AtomicWaker::new(),
            }),
        }
    }

    /// Every record's report, by index, once all queued records have one; `None` for an
    /// index never queued.
    pub async fn all(self) -> Vec<Option<DeliveryResult>> {
        let shared = self.shared;
        shared.done_one();
        poll_fn(|cx| {
            shared.waker.register(cx.waker());
            match shared.pending.load(Ordering::Acquire) {
                0 => Poll::Ready(()),
                _ => Poll::Pending,
            }
        })
        .await;
        shared.slots.iter().map(|slot| slot.get().cloned()).collect()
    }
}

/// One queued record's claim on its request's slot: reported by librdkafka's delivery
/// callback, or as cancelled if librdkafka gives the record back or drops it unreported.
struct Pending {
    shared: Option<Arc<Reported>>,
    index: usize,
}

impl Pending {
    fn new(shared: &Arc<Reported>, index: usize) -> Self {
        shared.pending.fetch_add(1, Ordering::AcqRel);
        Pending {
            shared: Some(Arc::clone(shared)),
            index,
        }
    }

    fn report(&mut self, result: DeliveryResult) {
        if let Some(shared) = self.shared.take() {
            shared.fill(self.index, result);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.report(Err(KafkaError::Canceled));
    }
}
