//! Stateless partition reads (a krest extension): one partition from an offset or a timestamp,
//! through a pooled assign-only consumer, the transforms and a format plugin, as a v2 read
//! decodes; a read returns once its limits are full or it caught up with the partition's end.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::{FutureExt, StreamExt};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::Offset;
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::read::passing;
use super::ConsumerManager;
use crate::clients::SaslLogin;
use crate::error::ApiError;
use crate::kafka::consumer::{FetchedRecord, KafkaConsumer};
use crate::plugins::bindings::host::CallContext;

/// Records one read returns at most (and by default).
const MAX_RECORDS: usize = 10_000;

/// Where a read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Offset(i64),
    /// The first record at or after this time (ms since the epoch); the end without one.
    Timestamp(i64),
}

/// What a client asks to read; limits beyond the configured ones are lowered to them.
pub struct PartitionRead {
    pub topic: String,
    pub partition: i32,
    pub start: Start,
    pub max_records: Option<usize>,
    pub max_bytes: Option<u64>,
    pub timeout: Option<Duration>,
    /// The name of the format plugin that decodes keys and values.
    pub format: String,
}

/// One record as read, after the transforms, its key and value decoded.
pub struct PageRecord {
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub key: Option<Box<RawValue>>,
    pub value: Option<Box<RawValue>>,
}

/// A read's records and the offset the next read of the partition starts at.
pub struct Page {
    pub records: Vec<PageRecord>,
    pub next_offset: i64,
}

/// The identity a read acts as: the principal (`None` without auth) and, under principal
/// propagation, its Kafka login.
pub struct ReadAs<'a> {
    pub principal: Option<&'a str>,
    pub login: Option<SaslLogin>,
    pub context: &'a CallContext,
}

impl ConsumerManager {
    /// Reads `request.partition` (known to exist) from its start: up to the limits, until the
    /// end of the partition once a record was read, or for the wait (the smaller of the
    /// request's timeout and `consumer.request.timeout.ms`) when there is nothing to read yet.
    pub async fn read_partition(&self, request: PartitionRead, caller: ReadAs<'_>) -> Result<Page, ApiError> {
        let plugin = self.plugins.format(&request.format).ok_or_else(|| {
            ApiError::bad_request(format_args!("Invalid format type `{}`.", request.format))
        })?;
        let (topic, partition) = (request.topic.as_str(), request.partition);
        let mut wait = self.settings.request_timeout;
        if let Some(timeout) = request.timeout {
            wait = wait.min(timeout);
        }
        let max_bytes = request.max_bytes.map_or(self.settings.request_max_bytes, |b| {
            b.min(self.settings.request_max_bytes)
        });
        let max_records = request.max_records.map_or(MAX_RECORDS, |n| n.min(MAX_RECORDS));
        let deadline = Instant::now() + wait;

        let mut lease = self
            .readers
            .lease(caller.principal, caller.login, (topic, partition))
            .await?;
        // Unknown until this read ends well: a read that fails or is cancelled leaves none.
        let position = lease.position.take();
        let start = match request.start {
            Start::Offset(offset) => offset,
            Start::Timestamp(ms) => {
                let found = lease
                    .consumer
                    .offsets_for_times(vec![(topic.to_string(), partition, ms)])
                    .await
                    .map_err(|e| ApiError::from_kafka(&e))?;
                match found.first().map(|(_, _, offset)| *offset) {
                    Some(Offset::Offset(offset)) => offset,
                    _ => watermarks(&lease.consumer, topic, partition).await?.1,
                }
            }
        };
        let positioned = position
            .as_ref()
            .is_some_and(|(t, p, o)| t == topic && *p == partition && *o == start);
        if !positioned {
            let (low, high) = watermarks(&lease.consumer, topic, partition).await?;
            if start < low || start > high {
                return Err(out_of_range(topic, partition, start, Some((low, high))));
            }
            lease.pending.clear();
            if let Err(error) = move_to(&lease.consumer, position, topic, partition, start).await {
                lease.discard();
                return Err(ApiError::from_kafka(&error));
            }
        }

        let reader = &mut *lease;
        let mut arriving = reader.consumer.records().map_err(|e| ApiError::from_kafka(&e))?;
        let (mut taken, mut bytes, mut next) = (Vec::new(), 0u64, start);
        let mut failure = None;
        while taken.len() < max_records {
            let arrived = match reader.pending.pop_front() {
                Some(record) => Some(Ok(record)),
                None => match arriving.next().now_or_never() {
                    Some(arrived) => arrived,
                    // Nothing fetched waits: done when the records read reach the partition's
                    // end as last fetched, else wait for more.
                    None if !taken.is_empty()
                        && reader
                            .consumer
                            .fetched_end(topic, partition)
                            .is_some_and(|end| next >= end) =>
                    {
                        break
                    }
                    None => match tokio::time::timeout_at(deadline, arriving.next()).await {
                        Ok(arrived) => arrived,
                        Err(_) => break,
                    },
                },
            };
            let record = match arrived {
                None => break,
                Some(Ok(record)) => record,
                Some(Err(error)) if is_out_of_range(&error) => {
                    failure = Some(out_of_range(topic, partition, next, None));
                    break;
                }
                // The group coordinator's: the reader never uses its group (see `pool`).
                Some(Err(error)) if is_group_error(&error) => continue,
                Some(Err(_)) if !taken.is_empty() => break,
                // A leader moving or a broker restarting: wait on, as v2 reads do.
                Some(Err(error)) if passing(&error) => continue,
                Some(Err(error)) => {
                    failure = Some(ApiError::from_kafka(&error));
                    break;
                }
            };
            // What an earlier assignment fetched is not this read's.
            if record.topic != topic || record.partition != partition || record.offset < next {
                continue;
            }
            let size = record.size() as u64;
            // The first record is returned even when alone it exceeds the limit.
            if !taken.is_empty() && bytes + size > max_bytes {
                reader.pending.push_front(record);
                break;
            }
            bytes += size;
            next = record.offset + 1;
            taken.push(record);
        }
        drop(arriving);
        if let Some(error) = failure {
            lease.discard();
            return Err(error);
        }

        let batch: Vec<&FetchedRecord> = taken.iter().collect();
        let delivery = self.deliver(&plugin, caller.context, &batch).await?;
        let read = delivery.read;
        // A record a transform replaced is its own copy; the others are moved out of `taken`.
        let kept: Vec<_> = delivery
            .records
            .into_iter()
            .map(|kept| match kept.record {
                Cow::Owned(record) => (kept.index, Some(record), kept.key, kept.value),
                Cow::Borrowed(_) => (kept.index, None, kept.key, kept.value),
            })
            .collect();
        let next_offset = match read {
            0 => start,
            read => taken[read - 1].offset + 1,
        };
        let records = kept
            .into_iter()
            .map(|(index, replaced, key, value)| {
                let record = replaced.unwrap_or_else(|| std::mem::take(&mut taken[index]));
                PageRecord {
                    offset: record.offset,
                    timestamp: record.timestamp,
                    headers: record.headers,
                    key,
                    value,
                }
            })
            .collect();
        // After a record that cannot be decoded the position stays unknown: the next read
        // assigns afresh.
        if read == taken.len() {
            lease.position = Some((topic.to_string(), partition, next_offset));
        }
        Ok(Page { records, next_offset })
    }
}

/// Points `consumer`, whose last read ended at `position`, at `offset` of the partition: a
/// seek when it reads that partition already (re-assigning it would wait for librdkafka's
/// next assignment round), else an assignment.
async fn move_to(
    consumer: &KafkaConsumer,
    position: Option<(String, i32, i64)>,
    topic: &str,
    partition: i32,
    offset: i64,
) -> KafkaResult<()> {
    let on_topic = position.filter(|(t, _, _)| t == topic);
    if on_topic.as_ref().is_some_and(|(_, p, _)| *p == partition) {
        let seek = vec![(topic.to_string(), partition, Offset::Offset(offset))];
        // A partition not fetched yet cannot be sought: assigned afresh below.
        if consumer.seek(seek).await.is_ok() {
            return Ok(());
        }
    }
    consumer
        .assign_at(topic.to_string(), partition, offset, on_topic.is_none())
        .await
}

/// `(low, high)`: the partition's first offset and the one its next record will get.
async fn watermarks(consumer: &KafkaConsumer, topic: &str, partition: i32) -> Result<(i64, i64), ApiError> {
    consumer
        .watermarks(topic.to_string(), partition)
        .await
        .map_err(|e| ApiError::from_kafka(&e))
}

/// Kafka's OFFSET_OUT_OF_RANGE, as librdkafka reports it with `auto.offset.reset=error`.
fn is_out_of_range(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(RDKafkaErrorCode::OffsetOutOfRange | RDKafkaErrorCode::AutoOffsetReset)
    )
}

/// An error about the consumers' group (e.g. a principal without access to it under
/// principal propagation): librdkafka looks up the group's coordinator, fetches need none.
fn is_group_error(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::CoordinatorNotAvailable
                | RDKafkaErrorCode::NotCoordinator
                | RDKafkaErrorCode::CoordinatorLoadInProgress
        )
    )
}

/// 416/41601: an offset the partition does not hold (deleted, or beyond its end).
fn out_of_range(topic: &str, partition: i32, offset: i64, range: Option<(i64, i64)>) -> ApiError {
    let held = match range {
        Some((low, high)) => format!("; it holds offsets {low} to {high} (the next record's)"),
        None => String::new(),
    };
    ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        41601,
        format!("Offset {offset} is out of range for partition {topic}-{partition}{held}."),
    )
}
