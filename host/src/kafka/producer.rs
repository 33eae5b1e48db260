//! An idempotent (`acks=all`) producer: the proxy's own, or a principal's under propagation.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer as _};

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
    inner: FutureProducer,
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
            inner: config.create()?,
        })
    }

    /// Queues one record; its delivery is awaited with [`delivered`]. When librdkafka's queue
    /// is full this waits briefly for room instead of failing at once.
    pub async fn send(&self, outgoing: Outgoing<'_>) -> Result<DeliveryFuture, KafkaError> {
        let mut record = FutureRecord::<[u8], [u8]>::to(outgoing.topic);
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
            match self.inner.send_result(record) {
                Ok(delivery) => return Ok(delivery),
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

/// Resolves a queued record's delivery report.
pub async fn delivered(delivery: DeliveryFuture) -> DeliveryResult {
    match delivery.await {
        Ok(Ok(report)) => Ok(Delivered {
            partition: report.partition,
            offset: report.offset,
            timestamp: report.timestamp.to_millis(),
        }),
        Ok(Err((error, _))) => Err(error),
        Err(_) => Err(KafkaError::Canceled),
    }
}
