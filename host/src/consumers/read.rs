//! `GET .../records`: Confluent's read timing and size rules over an async consumer, the
//! transforms on the records' topics, and decoding through the instance's format plugin, keys
//! and values one batch call each. A record the format cannot decode, or that makes the plugin
//! fail, fails the read with 408/40801 naming it, so the client can seek past it. A record a
//! transform drops (or fails) is left out, and counts as read for commits. A streamed read
//! (`stream.rs`) takes its batches through the same path.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use rdkafka::error::KafkaError;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::instance::{not_reading, Instance, Mode};
use super::ConsumerManager;
use crate::error::ApiError;
use crate::kafka::consumer::FetchedRecord;
use crate::plugins::bindings::codec::{DecodeContext, Part};
use crate::plugins::bindings::host::CallContext;
use crate::plugins::bindings::transformer::{Direction, Header, KafkaRecord};
use crate::plugins::plugin::Plugin;
use crate::plugins::runtime::PluginFailure;
use crate::produce::plugin_failure;
use crate::transforms::Fate;

/// Whether a consumer error is one a read waits out (retriable, broker unavailable, topic
/// or partition unknown) rather than one that fails it (authorization, a broken instance).
pub(super) fn passing(error: &KafkaError) -> bool {
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

impl ReadRecord {
    /// About the length of this record's JSON, to size a response's buffer once.
    pub fn json_len(&self) -> usize {
        let raw = |v: &Option<Box<RawValue>>| v.as_ref().map_or(4, |v| v.get().len());
        self.topic.len() + raw(&self.key) + raw(&self.value) + 64
    }
}

/// The client's `timeout` and `max_bytes` query parameters.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadLimits {
    pub timeout_ms: Option<i64>,
    pub max_bytes: Option<i64>,
}

/// What one batch of a read may take: how long it waits, how many key+value bytes it returns
/// at most, when it returns early (`min_bytes`, -1 = never), and whether it returns as soon as
/// the records already there are taken once one arrived (`eager`: a stream's batches).
#[derive(Debug, Clone, Copy)]
pub(super) struct Batch {
    pub wait: Duration,
    pub max_bytes: usize,
    pub min_bytes: i64,
    pub eager: bool,
}

impl ConsumerManager {
    /// Reads what arrives within the wait (`min(timeout, consumer.request.timeout.ms)`),
    /// stopping early once `max_bytes` would be exceeded or more than `fetch.min.bytes`
    /// arrived. Records that do not fit stay buffered for the next read. `context` is what
    /// transforms see of the caller.
    pub async fn read(
        &self,
        instance: &Instance,
        limits: ReadLimits,
        context: &CallContext,
    ) -> Result<Vec<ReadRecord>, ApiError> {
        let mut wait = instance.request_timeout.unwrap_or(self.settings.request_timeout);
        if let Some(ms) = limits.timeout_ms.filter(|ms| *ms > 0) {
            wait = wait.min(Duration::from_millis(ms as u64));
        }
        let max_bytes = match limits.max_bytes.filter(|b| *b > 0) {
            Some(b) => (b as u64).min(self.settings.request_max_bytes),
            None => self.settings.request_max_bytes,
        } as usize;
        let batch = Batch {
            wait,
            max_bytes,
            min_bytes: instance.fetch_min_bytes.unwrap_or(self.settings.fetch_min_bytes),
            eager: false,
        };
        self.read_batch(instance, batch, context).await
    }

    /// The format plugin of `instance`; 500/50010 once it is no longer loaded.
    pub(super) fn format_of(&self, instance: &Instance) -> Result<Arc<Plugin>, ApiError> {
        self.plugins.format(&instance.format).ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                50010,
                format!(
                    "format plugin `{}` of this consumer is no longer loaded",
                    instance.format
                ),
            )
        })
    }

    /// One batch of records, decoded and transformed, marked as delivered; the instance's
    /// state is locked for this batch only.
    pub(super) async fn read_batch(
        &self,
        instance: &Instance,
        limits: Batch,
        context: &CallContext,
    ) -> Result<Vec<ReadRecord>, ApiError> {
        let Batch {
            wait,
            max_bytes,
            min_bytes,
            eager,
        } = limits;
        let plugin = self.format_of(instance)?;

        let mut state = instance.state.lock().await;
        if state.mode == Mode::Idle {
            return Err(not_reading());
        }
        let deadline = Instant::now() + wait;
        let mut arriving = instance
            .consumer
            .records()
            .map_err(|e| ApiError::from_kafka(&e))?;
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
            // A stream's batch takes what is there once a record came, without waiting more.
            let until = if eager && taken > 0 {
                Instant::now()
            } else {
                deadline
            };
            match tokio::time::timeout_at(until, arriving.next()).await {
                Err(_) | Ok(None) => break,
                Ok(Some(Ok(record))) => state.pending.push_back(record),
                Ok(Some(Err(_))) if taken > 0 => break,
                // A broker outage or a topic not there yet: wait on, as the Java consumer does.
                Ok(Some(Err(error))) if passing(&error) => {
                    debug!(group = %instance.group, instance = %instance.name, "read waits out: {error}")
                }
                Ok(Some(Err(error))) => return Err(ApiError::from_kafka(&error)),
            }
        }
        drop(arriving); // no wake-ups while decoding
        let batch: Vec<&FetchedRecord> = state.pending.iter().take(taken).collect();
        let delivery = self.deliver(&plugin, context, &batch).await?;
        // Only the positions and decoded sides are kept: the batch borrows `pending`.
        let read = delivery.read;
        let decoded: Vec<_> = delivery
            .records
            .into_iter()
            .map(|kept| (kept.index, kept.key, kept.value))
            .collect();
        let mut records = Vec::with_capacity(decoded.len());
        let mut decoded = decoded.into_iter().peekable();
        for (index, record) in state.pending.drain(..read).enumerate() {
            instance.consumer.delivered(&record).ok();
            if let Some((_, key, value)) = decoded.next_if(|(kept, _, _)| *kept == index) {
                records.push(ReadRecord {
                    topic: record.topic,
                    key,
                    value,
                    partition: record.partition,
                    offset: record.offset,
                });
            }
        }
        instance.touch();
        Ok(records)
    }

    /// What a read hands the client of `batch` (fetched records in order): the records the
    /// transforms keep, decoded by `plugin`. As Java's consumer does, the records before one
    /// that cannot be decoded are delivered and it fails the next read, naming its offset (or
    /// this one when it is the first). `read` counts the records delivered or dropped.
    pub(super) async fn deliver<'a>(
        &self,
        plugin: &Plugin,
        context: &CallContext,
        batch: &[&'a FetchedRecord],
    ) -> Result<Delivery<'a>, ApiError> {
        let transformed = self.transform(context, batch).await?;
        let kept: Vec<&FetchedRecord> = transformed.iter().flatten().map(|r| r.as_ref()).collect();
        let keys = self.decode(plugin, &kept, Part::Key).await?;
        let values = self.decode(plugin, &kept, Part::Value).await?;
        let mut decoded = Vec::with_capacity(keys.len());
        for (key, value) in keys.into_iter().zip(values) {
            match (key, value) {
                (Ok(key), Ok(value)) => decoded.push((key, value)),
                (Err(error), _) | (_, Err(error)) if decoded.is_empty() => return Err(error),
                _ => break,
            }
        }
        // Read: every record up to the last one decoded, dropped ones among them (and after
        // them too when all kept records decoded).
        let mut decoded = decoded.into_iter();
        let (mut records, mut read) = (Vec::with_capacity(decoded.len()), 0);
        for (index, record) in transformed.into_iter().enumerate() {
            if let Some(record) = record {
                let Some((key, value)) = decoded.next() else { break };
                records.push(Kept {
                    index,
                    record,
                    key,
                    value,
                });
            }
            read = index + 1;
        }
        Ok(Delivery { read, records })
    }

    /// The batch as the transforms on its topics leave it: `None` for a record dropped (or
    /// failed: logged) by one; a replaced record keeps its topic, partition and offset.
    async fn transform<'a>(
        &self,
        context: &CallContext,
        batch: &[&'a FetchedRecord],
    ) -> Result<Vec<Option<Cow<'a, FetchedRecord>>>, ApiError> {
        if !batch
            .iter()
            .any(|r| self.transforms.apply_to(Direction::Consume, &r.topic))
        {
            return Ok(batch.iter().map(|r| Some(Cow::Borrowed(*r))).collect());
        }
        let records = batch.iter().map(|r| kafka_record(r)).collect();
        let fates = self
            .transforms
            .apply(Direction::Consume, context, records)
            .await?;
        Ok(fates
            .into_iter()
            .zip(batch)
            .map(|(fate, original)| match fate {
                Fate::Kept(record) => Some(Cow::Owned(FetchedRecord {
                    topic: original.topic.clone(),
                    partition: original.partition,
                    offset: original.offset,
                    key: record.key,
                    value: record.value,
                    headers: record.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                    timestamp: record.timestamp,
                })),
                Fate::Dropped(_) => None,
                Fate::Failed(plugin, message) => {
                    warn!(
                        plugin,
                        "transform failed {}/{}@{} on consume, left out of the read: {message}",
                        original.topic,
                        original.partition,
                        original.offset
                    );
                    None
                }
            })
            .collect())
    }

    /// Decodes one side of the batch, one plugin call per run of records of one topic (the
    /// context names the topic, e.g. for a schema format's subject). A record the format
    /// cannot decode gets 408/40801 naming it; a failure no record can be blamed for fails
    /// the whole read.
    async fn decode(
        &self,
        plugin: &Plugin,
        batch: &[&FetchedRecord],
        part: Part,
    ) -> Result<Vec<Decoded>, ApiError> {
        let mut decoded = Vec::with_capacity(batch.len());
        // Records after the first failure are not delivered by this read: not decoded either.
        for run in batch.chunk_by(|a, b| a.topic == b.topic) {
            let results = self.decode_topic(plugin, run, part).await?;
            let failed = results.iter().any(Result::is_err);
            decoded.extend(results);
            if failed {
                break;
            }
        }
        Ok(decoded)
    }

    /// Decodes records of one topic; an all-null side needs no plugin call.
    async fn decode_topic(
        &self,
        plugin: &Plugin,
        batch: &[&FetchedRecord],
        part: Part,
    ) -> Result<Vec<Decoded>, ApiError> {
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
            return Ok(items.iter().map(|_| Ok(None)).collect());
        }
        let context = DecodeContext {
            topic: &batch[0].topic,
            part,
        };
        match self
            .plugins
            .runtime()
            .decode(plugin, context.clone(), &items)
            .await
        {
            Ok(decoded) => Ok(checked(plugin, decoded, batch)),
            Err(failure) if retry_per_record(&failure) => {
                self.decode_each(plugin, context, batch, &items).await
            }
            Err(failure) => Err(plugin_failure(failure)),
        }
    }

    /// After a batch call failed, decodes record by record up to the first record that makes
    /// the plugin fail: like a record it cannot decode, it gets 408/40801 naming it, and a
    /// seek past it gets the consumer going again. If every record decodes on its own, their
    /// results serve the read.
    async fn decode_each(
        &self,
        plugin: &Plugin,
        context: DecodeContext<'_>,
        batch: &[&FetchedRecord],
        items: &[Option<&[u8]>],
    ) -> Result<Vec<Decoded>, ApiError> {
        let mut decoded = Vec::with_capacity(items.len());
        for (item, record) in items.iter().zip(batch) {
            if item.is_none() {
                decoded.push(Ok(None));
                continue;
            }
            let results = match self
                .plugins
                .runtime()
                .decode(plugin, context.clone(), std::slice::from_ref(item))
                .await
            {
                Ok(results) => results,
                Err(failure) if retry_per_record(&failure) => vec![Err(failure.to_string())],
                Err(failure) => return Err(plugin_failure(failure)),
            };
            decoded.extend(checked(plugin, results, std::slice::from_ref(record)));
            if decoded.last().is_some_and(Result::is_err) {
                break;
            }
        }
        Ok(decoded)
    }
}

/// A fetched record as transforms see it.
fn kafka_record(record: &FetchedRecord) -> KafkaRecord {
    KafkaRecord {
        topic: record.topic.clone(),
        partition: Some(record.partition),
        offset: Some(record.offset),
        key: record.key.clone(),
        value: record.value.clone(),
        headers: record
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        timestamp: record.timestamp,
    }
}

/// Whether a failed batch decode is retried record by record. Not when the plugin was busy
/// (retrying adds load), nor after a timeout: a record that makes the plugin spin would then
/// cost one call timeout (`plugins.call.timeout.ms`) per record retried.
fn retry_per_record(failure: &PluginFailure) -> bool {
    !matches!(failure.outcome, "busy" | "timeout")
}

/// What one read delivers of a batch of fetched records.
pub(super) struct Delivery<'a> {
    /// How many records of the batch, from its start, count as read.
    pub read: usize,
    /// The records kept, in order, with their decoded key and value.
    pub records: Vec<Kept<'a>>,
}

/// A record delivered: as the transforms left it, at `index` in its batch.
pub(super) struct Kept<'a> {
    pub index: usize,
    pub record: Cow<'a, FetchedRecord>,
    pub key: Option<Box<RawValue>>,
    pub value: Option<Box<RawValue>>,
}

/// One decoded key or value (`None`: null), or 408/40801 naming the record.
type Decoded = Result<Option<Box<RawValue>>, ApiError>;

/// Pairs decode results with their records; a record the format could not decode gets
/// 408/40801 naming it.
fn checked(
    plugin: &Plugin,
    results: Vec<Result<Option<Box<RawValue>>, String>>,
    batch: &[&FetchedRecord],
) -> Vec<Decoded> {
    results
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
