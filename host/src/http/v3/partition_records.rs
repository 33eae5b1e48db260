//! `GET /v3/clusters/{cluster}/topics/{topic}/partitions/{partition}/records` (a krest
//! extension): a stateless read of one partition, answered as a `KafkaRecordList`.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{check_cluster, Clients, Links};
use crate::auth::{self, Caller};
use crate::consumers::{ConsumerManager, Page, PartitionRead, ReadAs, Start};
use crate::error::ApiError;
use crate::http::v2::metadata::partition_number;
use crate::plugins::bindings::policy::Action;
use crate::produce::v3_request::{format_timestamp, parse_timestamp};
use crate::transforms::call_context;

#[derive(Debug, Default, Deserialize)]
pub struct RecordsQuery {
    offset: Option<i64>,
    /// Milliseconds since the epoch or an ISO-8601 instant.
    timestamp: Option<String>,
    max_records: Option<i64>,
    max_bytes: Option<i64>,
    timeout_ms: Option<i64>,
    format: Option<String>,
}

#[derive(Serialize)]
struct RecordList<'a> {
    kind: &'static str,
    metadata: ListMetadata,
    cluster_id: &'a str,
    topic_name: &'a str,
    partition_id: i32,
    next_offset: i64,
    data: Vec<RecordData<'a>>,
}

#[derive(Serialize)]
struct ListMetadata {
    #[serde(rename = "self")]
    this: String,
    next: String,
}

#[derive(Serialize)]
struct RecordData<'a> {
    topic_name: &'a str,
    partition_id: i32,
    offset: i64,
    timestamp: Option<String>,
    headers: Vec<HeaderData>,
    key: Option<Box<RawValue>>,
    value: Option<Box<RawValue>>,
}

#[derive(Serialize)]
struct HeaderData {
    name: String,
    value: Option<String>,
}

/// A limit given in the query: at least 1.
fn positive(name: &str, value: Option<i64>) -> Result<Option<u64>, ApiError> {
    match value {
        Some(n) if n < 1 => Err(ApiError::bad_request(format_args!(
            "{name} must be at least 1, not {n}"
        ))),
        other => Ok(other.map(|n| n as u64)),
    }
}

impl RecordsQuery {
    fn start(&self) -> Result<Start, ApiError> {
        match (self.offset, &self.timestamp) {
            (Some(offset), None) if offset >= 0 => Ok(Start::Offset(offset)),
            (Some(offset), None) => Err(ApiError::bad_request(format_args!(
                "offset must be at least 0, not {offset}"
            ))),
            (None, Some(text)) => match text.parse::<i64>() {
                Ok(ms) if ms >= 0 => Ok(Start::Timestamp(ms)),
                Ok(ms) => Err(ApiError::bad_request(format_args!(
                    "timestamp must be at least 0, not {ms}"
                ))),
                Err(_) => parse_timestamp(text)
                    .map(Start::Timestamp)
                    .map_err(ApiError::bad_request),
            },
            _ => Err(ApiError::bad_request("give exactly one of offset and timestamp")),
        }
    }

    /// This query's limits and format after `start` (an offset or a timestamp).
    fn with_start(&self, start: (&'static str, String)) -> Vec<(&'static str, String)> {
        let mut query = vec![start];
        let limits = [
            ("max_records", self.max_records),
            ("max_bytes", self.max_bytes),
            ("timeout_ms", self.timeout_ms),
        ];
        query.extend(limits.iter().filter_map(|(k, v)| v.map(|v| (*k, v.to_string()))));
        query.extend(self.format.clone().map(|f| ("format", f)));
        query
    }
}

/// Reads the partition from `offset` or `timestamp` under the caller's READ permission on the
/// topic; 404/40403 for a topic Kafka lacks, 404/40402 for a partition the topic lacks,
/// 416/41601 for an offset the partition does not hold.
pub async fn read(
    State(clients): Clients,
    State(consumers): State<std::sync::Arc<ConsumerManager>>,
    caller: Caller,
    links: Links,
    Path((cluster, topic, partition)): Path<(String, String, String)>,
    Query(query): Query<RecordsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = check_cluster(&clients, &cluster).await?;
    let partition = partition_number(&partition)?;
    let start = query.start()?;
    let max_records = positive("max_records", query.max_records)?;
    let max_bytes = positive("max_bytes", query.max_bytes)?;
    let timeout = match query.timeout_ms {
        Some(ms) if ms < 0 => {
            return Err(ApiError::bad_request(format_args!(
                "timeout_ms must be at least 0, not {ms}"
            )))
        }
        other => other.map(|ms| Duration::from_millis(ms as u64)),
    };
    caller
        .authorize(Action::Read, auth::topics([topic.as_str()]))
        .await?;
    let count = clients
        .for_caller(&caller)
        .await?
        .metadata
        .partition_count(&topic, Some(partition))
        .await?;
    if partition < 0 || partition >= count {
        return Err(ApiError::partition_not_found());
    }
    let request = PartitionRead {
        topic: topic.clone(),
        partition,
        start,
        max_records: max_records.map(|n| n.min(usize::MAX as u64) as usize),
        max_bytes,
        timeout,
        format: query.format.as_deref().unwrap_or("binary").to_ascii_lowercase(),
    };
    let context = call_context(caller.name(), &headers);
    let reader = ReadAs {
        principal: caller.name(),
        login: clients.consumer_login(&caller)?,
        context: &context,
    };
    let page = consumers.read_partition(request, reader).await?;

    let p = partition.to_string();
    let at = links.cluster(&id);
    let tail = ["topics", topic.as_str(), "partitions", &p, "records"];
    let this = match &query.timestamp {
        Some(timestamp) => ("timestamp", timestamp.clone()),
        None => ("offset", query.offset.unwrap_or_default().to_string()),
    };
    let list = RecordList {
        kind: "KafkaRecordList",
        metadata: ListMetadata {
            this: at.url_with_query(&tail, &query.with_start(this)),
            next: at.url_with_query(&tail, &query.with_start(("offset", page.next_offset.to_string()))),
        },
        cluster_id: &id,
        topic_name: &topic,
        partition_id: partition,
        next_offset: page.next_offset,
        data: record_data(&topic, partition, page),
    };
    Ok(Json(list).into_response())
}

fn record_data(topic: &str, partition: i32, page: Page) -> Vec<RecordData<'_>> {
    page.records
        .into_iter()
        .map(|record| RecordData {
            topic_name: topic,
            partition_id: partition,
            offset: record.offset,
            timestamp: record.timestamp.map(format_timestamp),
            headers: record
                .headers
                .into_iter()
                .map(|(name, value)| HeaderData {
                    name,
                    value: value.map(|v| STANDARD.encode(v)),
                })
                .collect(),
            key: record.key,
            value: record.value,
        })
        .collect()
}
