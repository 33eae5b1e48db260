//! `GET .../records`: Confluent's read timing and size rules over an async consumer, and
//! decoding through the instance's format plugin, keys and values one batch call each.

use std::time::Duration;

use axum::http::StatusCode;
use rdkafka::error::KafkaError;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tracing::debug;

use super::instance::{Instance, Mode};
use super::ConsumerManager;
use crate::error::ApiError;
use crate::kafka::consumer::FetchedRecord;
use crate::plugins::bindings::codec::{DecodeContext, Part};
use crate::plugins::plugin::Plugin;
use crate::produce::plugin_failure;

/// Whether a consumer error is one a read waits out (retriable, broker unavailable, topic
/// or partition unknown) rather than one that fails it (authorization, a broken instance).
fn passing(error: &KafkaError) -> bool {
    matches!(ApiError::from_kafka(error).code, 50003 | 50302 | 40403)
}

/// One record of the response, fields in Confluent's order.
#[derive(Debug, Serialize)]
pub struct ReadRecord {
    pub topic: String,
    pub key: Option<Box<RawValue>>,
    pub value: Option<Box<RawValue>>,
    pub partition: i32,
    pub offset: i64,
}

/// The client's `timeout` and `max_bytes` query parameters.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadLimits {
    pub timeout_ms: Option<i64>,
    pub max_bytes: Option<i64>,
}

impl ConsumerManager {
    /// Reads what arrives within the wait (`min(timeout, consumer.request.timeout.ms)`),
    /// stopping early once `max_bytes` would be exceeded or more than `fetch.min.bytes`
    /// arrived. Records that do not fit stay buffered for the next read.
    pub async fn read(&self, instance: &Instance, limits: ReadLimits) -> Result<Vec<ReadRecord>, ApiError> {
        let mut wait = instance.request_timeout.unwrap_or(self.settings.request_timeout);
        if let Some(ms) = limits.timeout_ms.filter(|ms| *ms > 0) {
            wait = wait.min(Duration::from_millis(ms as u64));
        }
        let max_bytes = match limits.max_bytes.filter(|b| *b > 0) {
            Some(b) => (b as u64).min(self.settings.request_max_bytes),
            None => self.settings.request_max_bytes,
        } as usize;
        let min_bytes = instance.fetch_min_bytes.unwrap_or(self.settings.fetch_min_bytes);
        let plugin = self.plugins.format(&instance.format).ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                50010,
                format!(
                    "format plugin `{}` of this consumer is no longer loaded",
                    instance.format
                ),
            )
        })?;

        let mut state = instance.state.lock().await;
        if state.mode == Mode::Idle {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                40903,
                "Illegal state: Consumer is not subscribed to any topics or assigned any partitions",
            ));
        }
        let deadline = Instant::now() + wait;
        let (mut taken, mut bytes) = (0usize, 0usize);
        loop {
            if min_bytes >= 0 && bytes as i64 > min_bytes {
                break;
            }
            if let Some(record) = state.pending.get(taken) {
                let size = record.size();
                // The first record is returned even when alone it exceeds the limit.
                if taken > 0 && bytes + size >= max_bytes {
                    break;
                }
                bytes += size;
                taken += 1;
                continue;
            }
            match tokio::time::timeout_at(deadline, instance.consumer.next()).await {
                Err(_) => break,
                Ok(Ok(record)) => state.pending.push_back(record),
                Ok(Err(_)) if taken > 0 => break,
                // A broker outage or a topic not there yet: wait on, as the Java consumer does.
                Ok(Err(error)) if passing(&error) => {
                    debug!(group = %instance.group, instance = %instance.name, "read waits out: {error}")
                }
                Ok(Err(error)) => return Err(ApiError::from_kafka(&error)),
            }
        }
        let batch: Vec<&FetchedRecord> = state.pending.iter().take(taken).collect();
        let keys = self.decode(&plugin, &batch, Part::Key).await?;
        let values = self.decode(&plugin, &batch, Part::Value).await?;
        let records: Vec<ReadRecord> = state
            .pending
            .drain(..taken)
            .zip(keys.into_iter().zip(values))
            .map(|(record, (key, value))| {
                instance.consumer.delivered(&record).ok();
                ReadRecord {
                    topic: record.topic,
                    key,
                    value,
                    partition: record.partition,
                    offset: record.offset,
                }
            })
            .collect();
        instance.touch();
        Ok(records)
    }

    /// Decodes one side of the batch, one plugin call per run of records of one topic (the
    /// context names the topic, e.g. for a schema format's subject). A record the format
    /// cannot decode fails the read with 408/40801 and stays buffered.
    async fn decode(
        &self,
        plugin: &Plugin,
        batch: &[&FetchedRecord],
        part: Part,
    ) -> Result<Vec<Option<Box<RawValue>>>, ApiError> {
        let mut decoded = Vec::with_capacity(batch.len());
        for run in batch.chunk_by(|a, b| a.topic == b.topic) {
            decoded.extend(self.decode_topic(plugin, run, part).await?);
        }
        Ok(decoded)
    }

    /// Decodes records of one topic; an all-null side needs no plugin call.
    async fn decode_topic(
        &self,
        plugin: &Plugin,
        batch: &[&FetchedRecord],
        part: Part,
    ) -> Result<Vec<Option<Box<RawValue>>>, ApiError> {
        let items: Vec<Option<&[u8]>> = batch
            .iter()
            .map(|r| {
                if part == Part::Key {
                    r.key.as_deref()
                } else {
                    r.value.as_deref()
                }
            })
            .collect();
        if items.iter().all(Option::is_none) {
            return Ok(items.iter().map(|_| None).collect());
        }
        let context = DecodeContext {
            topic: &batch[0].topic,
            part,
        };
        let decoded = self
            .plugins
            .runtime()
            .decode(plugin, context, &items)
            .await
            .map_err(plugin_failure)?;
        decoded
            .into_iter()
            .zip(batch)
            .map(|(result, record)| {
                result.map_err(|message| {
                    ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        40801,
                        format!(
                            "Error deserializing {}/{}@{} with format `{}`: {message}",
                            record.topic, record.partition, record.offset, plugin.name
                        ),
                    )
                })
            })
            .collect()
    }
}
