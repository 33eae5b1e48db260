//! v3 produce, one record at a time: key and value encoded by their `type` (the format
//! plugins; STRING as UTF-8; schema types with a registered schema), the transforms, then the
//! caller's producer. The record's answer is ready once Kafka acknowledged it.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::value::RawValue;

use super::send::{queue_all, Queued};
use super::v3_request::{format_timestamp, DataType, SubjectNameStrategy, V3Data, V3Record};
use super::{check_destination, ProduceService, Requester};
use crate::error::ApiError;
use crate::plugins::bindings::codec::{Part, SchemaRef};
use crate::plugins::bindings::transformer::{Direction, Header, KafkaRecord};
use crate::schema_registry::client::{RegistryClient, RegistryFailure};
use crate::transforms::Fate;

/// What Confluent reports about a produced key or value.
#[derive(Debug, Clone, Serialize)]
pub struct DataInfo {
    #[serde(rename = "type")]
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// Bytes written; -1 for a null, as Kafka's `RecordMetadata` says.
    pub size: i64,
}

/// Where a record landed, as Confluent reports it.
#[derive(Debug, Serialize)]
pub struct Produced {
    error_code: u16,
    cluster_id: String,
    topic_name: String,
    partition_id: i32,
    offset: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<DataInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<DataInfo>,
}

/// One record's answer: where it landed, or why it did not.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum V3Answer {
    Produced(Box<Produced>),
    Failed { error_code: u32, message: String },
}

impl V3Answer {
    /// An error inside the stream, as Confluent writes it: constraint violations (422 with
    /// a specific code) flattened to `error_code` 422, `"Error: CODE : message"`.
    pub fn failed(error: ApiError) -> Self {
        match error.status {
            StatusCode::UNPROCESSABLE_ENTITY if error.code != 422 => V3Answer::Failed {
                error_code: 422,
                message: format!("Error: {} : {}", error.code, error.message),
            },
            _ => V3Answer::Failed {
                error_code: error.code,
                message: error.message,
            },
        }
    }

    /// A 400 for a record that is not a valid produce request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        V3Answer::Failed {
            error_code: 400,
            message: message.into(),
        }
    }
}

/// A record on its way to Kafka, with what its answer will say.
pub struct PendingRecord {
    queued: Queued,
    cluster_id: String,
    topic: String,
    key: Option<DataInfo>,
    value: Option<DataInfo>,
}

impl PendingRecord {
    /// The answer, once Kafka acknowledged (or failed) the record.
    pub async fn answer(self) -> V3Answer {
        match self.queued.only_outcome().await {
            Ok(delivered) => V3Answer::Produced(Box::new(Produced {
                error_code: 200,
                cluster_id: self.cluster_id,
                topic_name: self.topic,
                partition_id: delivered.partition,
                offset: delivered.offset,
                timestamp: delivered.timestamp.map(format_timestamp),
                key: self.key,
                value: self.value,
            })),
            Err(refusal) => {
                let (error_code, message) = refusal.code_and_message();
                V3Answer::Failed { error_code, message }
            }
        }
    }
}

/// An encoded key or value with what the answer says about it.
type Encoded = (Option<Vec<u8>>, Option<DataInfo>);

impl ProduceService {
    /// Rate-limits, checks, encodes, transforms and queues one v3 record for `topic` of
    /// `cluster_id`; `size` is the bytes of its JSON in the request.
    pub async fn produce_v3(
        &self,
        requester: &Requester<'_>,
        cluster_id: &str,
        topic: &str,
        record: V3Record,
        size: usize,
    ) -> Result<PendingRecord, V3Answer> {
        self.v3_rate.admit(size).map_err(V3Answer::failed)?;
        let (headers, timestamp) = record.validate().map_err(V3Answer::bad_request)?;
        if record.partition_id.is_some_and(|p| p < 0) {
            return Err(V3Answer::failed(ApiError::partition_not_found()));
        }
        check_destination(requester.kafka, topic, record.partition_id, &[])
            .await
            .map_err(V3Answer::failed)?;
        let (key, key_info) = self
            .encode_v3(topic, Part::Key, record.key.as_ref())
            .await
            .map_err(V3Answer::failed)?;
        let (value, value_info) = self
            .encode_v3(topic, Part::Value, record.value.as_ref())
            .await
            .map_err(V3Answer::failed)?;
        let record = KafkaRecord {
            topic: topic.to_string(),
            partition: record.partition_id,
            offset: None,
            key,
            value,
            headers: headers
                .into_iter()
                .map(|(name, value)| Header { name, value })
                .collect(),
            timestamp,
        };
        let fates = match self.transforms.apply_to(Direction::Produce, topic) {
            true => self
                .transforms
                .apply(Direction::Produce, &requester.context, vec![record])
                .await
                .map_err(V3Answer::failed)?,
            false => vec![Fate::Kept(record)],
        };
        if fates.len() != 1 {
            return Err(V3Answer::bad_request("record lost by the transforms"));
        }
        let queued = queue_all(requester, topic, fates).await;
        Ok(PendingRecord {
            queued,
            cluster_id: cluster_id.to_string(),
            topic: topic.to_string(),
            key: key_info,
            value: value_info,
        })
    }

    /// Encodes a key or value by its type; absent: nothing written, nothing reported.
    async fn encode_v3(&self, topic: &str, part: Part, data: Option<&V3Data>) -> Result<Encoded, ApiError> {
        let Some(data) = data else {
            return Ok((None, None));
        };
        let text = data.data.as_deref().map(RawValue::get);
        match data.format {
            Some(DataType::String) => {
                let bytes = text.map(string_bytes).transpose()?;
                Ok(described(DataType::String, bytes, None))
            }
            Some(format @ (DataType::Binary | DataType::Json)) => {
                let bytes = self.encode_one(format, topic, part, None, text).await?.1;
                Ok(described(format, bytes, None))
            }
            Some(format) => {
                let subject = subject(topic, part, data)?;
                let schema = data.schema.as_deref().map(SchemaRef::Text);
                let (id, bytes) = self.encode_one(format, topic, part, schema, text).await?;
                let id = id.ok_or_else(|| no_schema_id(format))?;
                let version = self.registry()?.version_in_subject(&subject, id).await;
                let schema = (subject, id, version.map_err(registry_error)?);
                Ok(described(format, bytes, Some(schema)))
            }
            None => {
                let subject = subject(topic, part, data)?;
                let registry = self.registry()?;
                let named = match (data.schema_id, data.schema_version) {
                    (Some(id), _) => Ok(id),
                    (None, Some(version)) => {
                        registry.schema_by_version(&subject, version).await.map(|s| s.id)
                    }
                    (None, None) => registry.latest(&subject).await.map(|s| s.id),
                };
                let id = named.map_err(registry_error)?;
                let schema = registry.schema_by_id(id).await.map_err(registry_error)?;
                let format = DataType::of_schema_type(&schema.schema_type).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        400,
                        format!("Schema {id} has the unknown type {}", schema.schema_type),
                    )
                })?;
                let version = registry.version_in_subject(&subject, id).await;
                let version = version.map_err(registry_error)?;
                let bytes = self
                    .encode_one(format, topic, part, Some(SchemaRef::Id(id)), text)
                    .await?
                    .1;
                Ok(described(format, bytes, Some((subject, id, version))))
            }
        }
    }

    /// One key or value through the format plugin of `format`: the schema id it used and
    /// the bytes.
    async fn encode_one(
        &self,
        format: DataType,
        topic: &str,
        part: Part,
        schema: Option<SchemaRef<'_>>,
        text: Option<&str>,
    ) -> Result<(Option<u32>, Option<Vec<u8>>), ApiError> {
        let name = format.plugin_name();
        let plugin = self.format(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                50010,
                format!("format plugin `{name}` is not loaded"),
            )
        })?;
        let (id, records) = self.encode_each(&plugin, topic, part, schema, vec![text]).await?;
        match records.into_iter().next() {
            Some(Err(message)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                400,
                format!("Bad Request: {message}"),
            )),
            bytes => Ok((id, bytes.and_then(Result::ok).flatten())),
        }
    }

    fn registry(&self) -> Result<&std::sync::Arc<RegistryClient>, ApiError> {
        self.plugins.runtime().schema_registry().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                42206,
                "Payload error. Schema Registry must be configured when using schemas.",
            )
        })
    }
}

/// STRING data: a JSON string, written as its UTF-8 bytes.
fn string_bytes(text: &str) -> Result<Vec<u8>, ApiError> {
    serde_json::from_str::<String>(text)
        .map(String::into_bytes)
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                400,
                format!("data={text} is not a string."),
            )
        })
}

fn described(format: DataType, bytes: Option<Vec<u8>>, schema: Option<(String, u32, u32)>) -> Encoded {
    let size = bytes.as_ref().map_or(-1, |b| b.len() as i64);
    let (subject, schema_id, schema_version) = match schema {
        Some((subject, id, version)) => (Some(subject), Some(id), Some(version)),
        None => (None, None, None),
    };
    let info = DataInfo {
        format: format.name(),
        subject,
        schema_id,
        schema_version,
        size,
    };
    (bytes, Some(info))
}

/// The subject schema data is registered under. The format plugins register and check
/// schemas under the topic-name subject (`TOPIC-key`, `TOPIC-value`), so that is the one
/// krest supports; another `subject` or strategy is refused with a 400 that says so.
fn subject(topic: &str, part: Part, data: &V3Data) -> Result<String, ApiError> {
    let side = match part {
        Part::Key => "key",
        Part::Value => "value",
    };
    let default = format!("{topic}-{side}");
    let unsupported = |what: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            400,
            format!("{what} is not supported by krest: schema data is written under the subject `{default}` (TOPIC_NAME)"),
        )
    };
    match (&data.subject, data.subject_name_strategy) {
        (Some(subject), _) if *subject != default => Err(unsupported(format!("subject `{subject}`"))),
        (None, Some(SubjectNameStrategy::RecordName)) => {
            Err(unsupported("subject_name_strategy RECORD_NAME".into()))
        }
        (None, Some(SubjectNameStrategy::TopicRecordName)) => {
            Err(unsupported("subject_name_strategy TOPIC_RECORD_NAME".into()))
        }
        _ => Ok(default),
    }
}

fn registry_error(failure: RegistryFailure) -> ApiError {
    let message = match failure {
        RegistryFailure::NotFound(m) | RegistryFailure::Rejected(m) | RegistryFailure::Unavailable(m) => m,
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        42207,
        format!("Error serializing message. Schema Registry: {message}"),
    )
}

fn no_schema_id(format: DataType) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        50002,
        format!("the {} format plugin reported no schema id", format.name()),
    )
}
