//! Produce (`POST /topics/{topic}[/partitions/{partition}]`) with Confluent's semantics: the
//! request's format plugin encodes keys and values in one call each, the transforms on the
//! topic see the encoded batch, the caller's producer sends, and every record gets its own
//! result in request order.

pub mod rate_limit;
mod send;
pub mod v3;
pub mod v3_batch;
pub mod v3_request;

use std::sync::Arc;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::auth::Caller;
use crate::clients::KafkaClients;
use crate::config::ProduceV3Config;
use crate::error::ApiError;
use crate::plugins::bindings::codec::{EncodeContext, FormatError, Part, SchemaRef};
use crate::plugins::bindings::host::CallContext;
use crate::plugins::bindings::transformer::{Direction, KafkaRecord};
use crate::plugins::catalog::PluginCatalog;
use crate::plugins::plugin::Plugin;
use crate::plugins::runtime::PluginFailure;
use crate::transforms::{Fate, Transforms};
use rate_limit::ProduceRateLimiter;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProduceRequest<'a> {
    #[serde(default)]
    pub key_schema: Option<String>,
    #[serde(default)]
    pub key_schema_id: Option<u32>,
    #[serde(default)]
    pub value_schema: Option<String>,
    #[serde(default)]
    pub value_schema_id: Option<u32>,
    #[serde(borrow)]
    pub records: Vec<ProduceRecord<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// One record; its key and value are slices of the request body (no copy).
pub struct ProduceRecord<'a> {
    #[serde(default, borrow)]
    pub key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub value: Option<&'a RawValue>,
    #[serde(default)]
    pub partition: Option<i32>,
}

/// v2's produce answer; [`ProduceResponse::to_json`] writes it.
#[derive(Debug)]
pub struct ProduceResponse {
    pub offsets: Vec<RecordResult>,
    pub key_schema_id: Option<u32>,
    pub value_schema_id: Option<u32>,
}

#[derive(Debug)]
pub struct RecordResult {
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub error_code: Option<u32>,
    pub error: Option<String>,
}

impl ProduceResponse {
    /// The JSON body, written field by field: serde's derived serializer escaped every field
    /// name of every record, ≈5% of a 100-record request's CPU.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 80 * self.offsets.len());
        out.extend_from_slice(b"{\"offsets\":[");
        for (index, record) in self.offsets.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_json(&mut out, b"{\"partition\":", &record.partition);
            write_json(&mut out, b",\"offset\":", &record.offset);
            write_json(&mut out, b",\"error_code\":", &record.error_code);
            write_json(&mut out, b",\"error\":", &record.error);
            out.push(b'}');
        }
        write_json(&mut out, b"],\"key_schema_id\":", &self.key_schema_id);
        write_json(&mut out, b",\"value_schema_id\":", &self.value_schema_id);
        out.push(b'}');
        out
    }
}

/// Appends `prefix` (JSON text up to a field's value) and `value` as JSON.
fn write_json(out: &mut Vec<u8>, prefix: &[u8], value: &impl Serialize) {
    out.extend_from_slice(prefix);
    serde_json::to_writer(out, value).expect("numbers and strings serialize");
}

pub struct ProduceService {
    plugins: Arc<PluginCatalog>,
    transforms: Arc<Transforms>,
    v3_limits: ProduceV3Config,
    v3_rate: ProduceRateLimiter,
}

/// Who a produce request acts for: the caller, its Kafka clients and its transform context.
pub struct Requester<'a> {
    pub kafka: &'a KafkaClients,
    pub caller: &'a Caller,
    pub context: CallContext,
}

impl ProduceService {
    pub fn new(plugins: Arc<PluginCatalog>, transforms: Arc<Transforms>, v3_limits: ProduceV3Config) -> Self {
        ProduceService {
            plugins,
            transforms,
            v3_rate: ProduceRateLimiter::new(v3_limits.rate_limits),
            v3_limits,
        }
    }

    /// The limits of v3 produce requests.
    pub fn v3_limits(&self) -> ProduceV3Config {
        self.v3_limits
    }

    /// The format plugin of this name, if one is loaded.
    pub fn format(&self, name: &str) -> Option<Arc<Plugin>> {
        self.plugins.format(name)
    }

    /// Produces `request` to `topic` (and `partition`, unless a record names its own) for
    /// `requester`.
    pub async fn produce(
        &self,
        requester: &Requester<'_>,
        plugin: &Plugin,
        topic: &str,
        partition: Option<i32>,
        request: ProduceRequest<'_>,
    ) -> Result<(StatusCode, ProduceResponse), ApiError> {
        if request.records.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                422,
                "records may not be empty",
            ));
        }
        let kafka = requester.kafka;
        if let Err(error) = check_destination(kafka, topic, partition, &request.records).await {
            // Kafka refused the caller: every record fails as the producer would fail it.
            return match error.code {
                40101 | 40301 => Ok(refused(&error, request.records.len())),
                _ => Err(error),
            };
        }

        // The JSON texts go to the plugin as slices of the request body: no copy per record.
        let keys: Vec<Option<&str>> = request.records.iter().map(|r| r.key.map(RawValue::get)).collect();
        let values: Vec<Option<&str>> = request
            .records
            .iter()
            .map(|r| r.value.map(RawValue::get))
            .collect();
        let key_schema = schema_ref(request.key_schema.as_deref(), request.key_schema_id);
        let value_schema = schema_ref(request.value_schema.as_deref(), request.value_schema_id);
        let (key_schema_id, keys) = self.encode(plugin, topic, Part::Key, key_schema, keys).await?;
        let (value_schema_id, values) = self
            .encode(plugin, topic, Part::Value, value_schema, values)
            .await?;

        let records: Vec<KafkaRecord> = request
            .records
            .iter()
            .zip(keys)
            .zip(values)
            .map(|((record, key), value)| KafkaRecord {
                topic: topic.to_string(),
                partition: record.partition.or(partition),
                offset: None,
                key,
                value,
                headers: Vec::new(),
                timestamp: None,
            })
            .collect();
        let fates = match self.transforms.apply_to(Direction::Produce, topic) {
            true => {
                self.transforms
                    .apply(Direction::Produce, &requester.context, records)
                    .await?
            }
            false => records.into_iter().map(Fate::Kept).collect(),
        };
        let offsets = send::send_all(requester, topic, fates).await;
        Ok(answer(offsets, key_schema_id, value_schema_id))
    }

    /// Encodes one side (keys or values) of the batch; the first record that does not fit
    /// fails the whole batch (400), as in v2.
    pub(crate) async fn encode(
        &self,
        plugin: &Plugin,
        topic: &str,
        part: Part,
        schema: Option<SchemaRef<'_>>,
        items: Vec<Option<&str>>,
    ) -> Result<(Option<u32>, Vec<Option<Vec<u8>>>), ApiError> {
        let (schema_id, records) = self.encode_each(plugin, topic, part, schema, items).await?;
        let records = records
            .into_iter()
            .enumerate()
            .map(|(index, record)| {
                record.map_err(|message| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        400,
                        format!("Bad Request: record {index}: {message}"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((schema_id, records))
    }

    /// Encodes one side of the batch, with each record's bytes or why it does not fit; a
    /// batch of only nulls needs no call.
    pub(crate) async fn encode_each(
        &self,
        plugin: &Plugin,
        topic: &str,
        part: Part,
        schema: Option<SchemaRef<'_>>,
        items: Vec<Option<&str>>,
    ) -> Result<(Option<u32>, Vec<Result<Option<Vec<u8>>, String>>), ApiError> {
        if schema.is_none() && items.iter().all(Option::is_none) {
            return Ok((None, vec![Ok(None); items.len()]));
        }
        let context = EncodeContext { topic, part, schema };
        let encoded = self
            .plugins
            .runtime()
            .encode(plugin, context, &items)
            .await
            .map_err(plugin_failure)?
            .map_err(|e| format_error(e, part))?;
        Ok((encoded.schema_id, encoded.records))
    }
}

/// 404/40401 for a missing topic, 404/40402 for a missing partition, before anything is
/// sent. Partition counts come from a short-lived cache, refreshed when a partition is
/// not in it, so existing topics cost no metadata round trip per request.
async fn check_destination(
    kafka: &KafkaClients,
    topic: &str,
    partition: Option<i32>,
    records: &[ProduceRecord<'_>],
) -> Result<(), ApiError> {
    let wanted = partition
        .into_iter()
        .chain(records.iter().filter_map(|r| r.partition))
        .max();
    let count = kafka
        .metadata
        .partition_count(topic, wanted)
        .await
        .map_err(|e| match e.code {
            40403 => ApiError::new(StatusCode::NOT_FOUND, 40401, "Topic not found."),
            _ => e,
        })?;
    let lowest = partition
        .into_iter()
        .chain(records.iter().filter_map(|r| r.partition))
        .min();
    if wanted.is_some_and(|p| p >= count) || lowest.is_some_and(|p| p < 0) {
        return Err(ApiError::partition_not_found());
    }
    Ok(())
}

fn schema_ref(text: Option<&str>, id: Option<u32>) -> Option<SchemaRef<'_>> {
    id.map(SchemaRef::Id).or(text.map(SchemaRef::Text))
}

/// Confluent's answer: 200, unless a record failed with 40101 (then 401) or 40301 (403).
fn answer(
    offsets: Vec<RecordResult>,
    key_schema_id: Option<u32>,
    value_schema_id: Option<u32>,
) -> (StatusCode, ProduceResponse) {
    let status = offsets
        .iter()
        .find_map(|r| match r.error_code {
            Some(40101) => Some(StatusCode::UNAUTHORIZED),
            Some(40301) => Some(StatusCode::FORBIDDEN),
            _ => None,
        })
        .unwrap_or(StatusCode::OK);
    (
        status,
        ProduceResponse {
            offsets,
            key_schema_id,
            value_schema_id,
        },
    )
}

/// Every one of `count` records failed with `error` (Kafka refused the caller).
fn refused(error: &ApiError, count: usize) -> (StatusCode, ProduceResponse) {
    let offsets = (0..count)
        .map(|_| RecordResult {
            partition: None,
            offset: None,
            error_code: Some(error.code),
            error: Some(error.message.clone()),
        })
        .collect();
    answer(offsets, None, None)
}

/// Per-record codes of Confluent's produce response.
fn record_error_code(code: u32) -> u32 {
    match code {
        40101 | 40301 | 50003 => code,
        40403 => 50003,
        _ => 50002,
    }
}

pub fn plugin_failure(failure: PluginFailure) -> ApiError {
    let (status, code) = match failure.outcome {
        "busy" => (StatusCode::SERVICE_UNAVAILABLE, 50301),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, 50010),
    };
    ApiError::new(status, code, failure.to_string())
}

fn format_error(error: FormatError, part: Part) -> ApiError {
    let unprocessable =
        |code, message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
    match error {
        FormatError::InvalidData(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, 400, format!("Bad Request: {m}"))
        }
        FormatError::SchemaRequired(m) => unprocessable(if part == Part::Key { 42201 } else { 42202 }, m),
        FormatError::InvalidSchema(m) => unprocessable(42205, format!("Invalid schema: {m}")),
        FormatError::RegistryNotConfigured(m) => unprocessable(42206, format!("Payload error. {m}")),
        FormatError::RegistryFailed(m) => unprocessable(42207, format!("Error serializing message. {m}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{ProduceResponse, RecordResult};

    #[test]
    fn the_answer_is_confluents_json() {
        let response = ProduceResponse {
            offsets: vec![
                RecordResult {
                    partition: Some(2),
                    offset: Some(i64::MAX),
                    error_code: None,
                    error: None,
                },
                RecordResult {
                    partition: None,
                    offset: None,
                    error_code: Some(50002),
                    error: Some("Broker: \"quoted\"\n\u{1}é".into()),
                },
            ],
            key_schema_id: None,
            value_schema_id: Some(7),
        };
        let written: Value = serde_json::from_slice(&response.to_json()).unwrap();
        let expected = json!({
            "offsets": [
                {"partition": 2, "offset": i64::MAX, "error_code": null, "error": null},
                {"partition": null, "offset": null, "error_code": 50002, "error": "Broker: \"quoted\"\n\u{1}é"}
            ],
            "key_schema_id": null,
            "value_schema_id": 7
        });
        assert_eq!(written, expected);
    }
}
