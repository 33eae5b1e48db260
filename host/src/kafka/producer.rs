//! The one shared, idempotent (`acks=all`) producer every produce request goes through.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer as _};

/// Where one record landed, or why it did not.
pub type DeliveryResult = Result<(i32, i64), KafkaError>;

pub struct Producer {
    inner: FutureProducer,
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
    pub async fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<DeliveryFuture, KafkaError> {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic);
        record.partition = partition;
        record.key = key;
        record.payload = value;
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

    /// Waits until every record sent before is acknowledged or failed (used at shutdown).
    pub fn flush(&self, timeout: Duration) -> KafkaResult<()> {
        self.inner.flush(timeout)
    }
}

/// Resolves a queued record's delivery report.
pub async fn delivered(delivery: DeliveryFuture) -> DeliveryResult {
    match delivery.await {
        Ok(Ok(report)) => Ok((report.partition, report.offset)),
        Ok(Err((error, _))) => Err(error),
        Err(_) => Err(KafkaError::Canceled),
    }
}
