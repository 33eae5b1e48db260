//! `POST /plugins/{name}/test`: what a transform or format plugin would do with sample records,
//! touching no Kafka. Keys and values are written as the request's `format` reads them (for a
//! format plugin: as that plugin reads them), so an operator sees records as clients do.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::plugins::bindings::codec::{DecodeContext, Part};
use crate::plugins::bindings::host::CallContext;
use crate::plugins::bindings::transformer::{Direction, Header, KafkaRecord, Outcome};
use crate::plugins::catalog::PluginCatalog;
use crate::plugins::plugin::{Kind, Plugin};
use crate::produce::{plugin_failure, ProduceService};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRunRequest {
    /// `produce` (default) or `consume`; transforms only.
    #[serde(default)]
    pub direction: Option<String>,
    /// The format plugin the keys and values are written in (default `binary`); transforms only.
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default = "default_topic")]
    pub topic: String,
    pub records: Vec<SampleRecord>,
}

fn default_topic() -> String {
    "test".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRecord {
    #[serde(default)]
    pub key: Option<Box<RawValue>>,
    #[serde(default)]
    pub value: Option<Box<RawValue>>,
    #[serde(default)]
    pub partition: Option<i32>,
    /// Header values as base64 (or null).
    #[serde(default)]
    pub headers: Vec<SampleHeader>,
    #[serde(default)]
    pub timestamp: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SampleHeader {
    pub name: String,
    pub value: Option<String>,
}

/// Runs `name` on the sample: a transform's outcome per record, or a format's bytes per record
/// (base64) and what they decode back to.
pub async fn run(
    catalog: &PluginCatalog,
    produce: &ProduceService,
    name: &str,
    context: &CallContext,
    request: DryRunRequest,
) -> Result<Value, ApiError> {
    let plugin = catalog.get(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            404,
            format!("Plugin `{name}` is not loaded"),
        )
    })?;
    if request.records.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            422,
            "records may not be empty",
        ));
    }
    match plugin.kind {
        Kind::Transform => transform(catalog, produce, &plugin, context, request).await,
        Kind::Format => format(catalog, produce, &plugin, request).await,
        Kind::Auth => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            422,
            "only transform and format plugins can be tried on sample records",
        )),
    }
}

async fn transform(
    catalog: &PluginCatalog,
    produce: &ProduceService,
    plugin: &Plugin,
    context: &CallContext,
    request: DryRunRequest,
) -> Result<Value, ApiError> {
    let direction = match request.direction.as_deref().unwrap_or("produce") {
        "produce" => Direction::Produce,
        "consume" => Direction::Consume,
        other => {
            return Err(invalid(format!(
                "direction `{other}`: expected produce or consume"
            )))
        }
    };
    let format_name = request.format.as_deref().unwrap_or("binary");
    let format = catalog
        .format(format_name)
        .ok_or_else(|| invalid(format!("format `{format_name}` is not loaded")))?;
    let topic = request.topic.as_str();
    let (keys, values) = encode(produce, &format, topic, &request.records).await?;
    let mut records = Vec::with_capacity(request.records.len());
    for ((sample, key), value) in request.records.iter().zip(keys).zip(values) {
        records.push(KafkaRecord {
            topic: topic.to_string(),
            partition: sample.partition,
            offset: (direction == Direction::Consume).then_some(0),
            key,
            value,
            headers: sample.headers.iter().map(header).collect::<Result<_, _>>()?,
            timestamp: sample.timestamp,
        });
    }
    let outcomes = catalog
        .runtime()
        .transform(plugin, context, direction, &records)
        .await
        .map_err(plugin_failure)?;
    let mut results = Vec::with_capacity(outcomes.len());
    for (outcome, record) in outcomes.into_iter().zip(records) {
        results.push(match outcome {
            Outcome::Keep => json!({"outcome": "keep", "record": shown(catalog, &format, record).await?}),
            Outcome::Replace(new) => {
                json!({"outcome": "replace", "record": shown(catalog, &format, new).await?})
            }
            Outcome::Drop => json!({"outcome": "drop"}),
            Outcome::Error(message) => json!({"outcome": "error", "message": message}),
        });
    }
    Ok(json!({"plugin": plugin.name.as_ref(), "kind": "transform", "results": results}))
}

async fn format(
    catalog: &PluginCatalog,
    produce: &ProduceService,
    plugin: &Plugin,
    request: DryRunRequest,
) -> Result<Value, ApiError> {
    let (keys, values) = encode(produce, plugin, &request.topic, &request.records).await?;
    let mut results = Vec::with_capacity(keys.len());
    for (key, value) in keys.into_iter().zip(values) {
        let decoded_key = decode(catalog, plugin, &request.topic, Part::Key, key.as_deref()).await?;
        let decoded_value = decode(catalog, plugin, &request.topic, Part::Value, value.as_deref()).await?;
        results.push(json!({
            "key_bytes": key.map(|k| base64(&k)),
            "value_bytes": value.map(|v| base64(&v)),
            "key": decoded_key,
            "value": decoded_value,
        }));
    }
    Ok(json!({"plugin": plugin.name.as_ref(), "kind": "format", "results": results}))
}

type Sides = (Vec<Option<Vec<u8>>>, Vec<Option<Vec<u8>>>);

/// Keys and values through `format`, as a produce request would encode them.
async fn encode(
    produce: &ProduceService,
    format: &Plugin,
    topic: &str,
    records: &[SampleRecord],
) -> Result<Sides, ApiError> {
    let side = |part: Part| -> Vec<Option<&str>> {
        records
            .iter()
            .map(|r| match part {
                Part::Key => r.key.as_deref().map(RawValue::get),
                Part::Value => r.value.as_deref().map(RawValue::get),
            })
            .collect()
    };
    let (_, keys) = produce
        .encode(format, topic, Part::Key, None, side(Part::Key))
        .await?;
    let (_, values) = produce
        .encode(format, topic, Part::Value, None, side(Part::Value))
        .await?;
    Ok((keys, values))
}

/// A record as a client of `format` would read it; bytes the format cannot decode get 422.
async fn shown(catalog: &PluginCatalog, format: &Plugin, record: KafkaRecord) -> Result<Value, ApiError> {
    let key = decode(catalog, format, &record.topic, Part::Key, record.key.as_deref()).await?;
    let value = decode(
        catalog,
        format,
        &record.topic,
        Part::Value,
        record.value.as_deref(),
    )
    .await?;
    let headers: Vec<SampleHeader> = record
        .headers
        .into_iter()
        .map(|h| SampleHeader {
            name: h.name,
            value: h.value.map(|v| base64(&v)),
        })
        .collect();
    Ok(json!({
        "topic": record.topic,
        "partition": record.partition,
        "key": key,
        "value": value,
        "headers": headers,
        "timestamp": record.timestamp,
    }))
}

async fn decode(
    catalog: &PluginCatalog,
    format: &Plugin,
    topic: &str,
    part: Part,
    bytes: Option<&[u8]>,
) -> Result<Option<Box<RawValue>>, ApiError> {
    if bytes.is_none() {
        return Ok(None);
    }
    let context = DecodeContext { topic, part };
    let mut decoded = catalog
        .runtime()
        .decode(format, context, &[bytes])
        .await
        .map_err(plugin_failure)?;
    decoded.pop().unwrap_or(Ok(None)).map_err(|message| {
        invalid(format!(
            "the result is not readable as `{}`: {message}",
            format.name
        ))
    })
}

fn header(sample: &SampleHeader) -> Result<Header, ApiError> {
    let value = match &sample.value {
        Some(text) => Some(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text)
                .map_err(|e| invalid(format!("header `{}`: not base64: {e}", sample.name)))?,
        ),
        None => None,
    };
    Ok(Header {
        name: sample.name.clone(),
        value,
    })
}

fn base64(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, message)
}
