//! `POST /consumers/{group}`: validating the request, naming the instance (`id`, `name`, or
//! `rest-consumer-[<proxy id>-]<uuid>`) and checking its Kafka consumer's configuration (the
//! client itself starts with the first call that needs Kafka).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use rdkafka::error::KafkaError;
use serde::Deserialize;
use serde_json::Value;

use super::{ConsumerManager, Instance};
use crate::clients::SaslLogin;
use crate::config::secret::is_secret;
use crate::error::ApiError;
use crate::kafka::consumer::KafkaConsumer;
use crate::kafka::names;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    #[serde(default)]
    pub name: Option<String>,
    /// Deprecated; wins over `name`.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default, rename = "auto.offset.reset")]
    pub auto_offset_reset: Option<Value>,
    #[serde(default, rename = "auto.commit.enable")]
    pub auto_commit_enable: Option<Value>,
    #[serde(default, rename = "fetch.min.bytes", alias = "responseMinBytes")]
    pub fetch_min_bytes: Option<Value>,
    #[serde(default, rename = "consumer.request.timeout.ms", alias = "requestWaitMs")]
    pub request_timeout_ms: Option<Value>,
}

/// A JSON scalar as the string Jackson would coerce it to; `null` is absent.
fn scalar(value: &Option<Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

fn unprocessable(code: u32, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

impl ConsumerManager {
    /// Creates an instance in `group` that only `owner` (the caller's principal) may use,
    /// logged in to Kafka as `login` (principal propagation) or as the proxy; returns its name.
    pub async fn create(
        self: &Arc<Self>,
        group: &str,
        request: CreateRequest,
        owner: Option<String>,
        login: Option<SaslLogin>,
    ) -> Result<String, ApiError> {
        let format = request.format.as_deref().unwrap_or("binary").to_ascii_lowercase();
        if self.plugins.format(&format).is_none() {
            return Err(unprocessable(422, "Invalid format type."));
        }
        let fetch_min_bytes = match scalar(&request.fetch_min_bytes) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (-1..=10_000_000).contains(&n) => Some(n),
                _ => {
                    return Err(unprocessable(
                        40001,
                        format!(
                            "Invalid consumer configuration. It does not abide by the constraints: \
                             fetch.min.bytes={text} must be between -1 and 10000000"
                        ),
                    ))
                }
            },
        };
        let request_timeout = match scalar(&request.request_timeout_ms) {
            None => None,
            // An int in Confluent's request (and a read's deadline must stay representable).
            Some(text) => match text.parse::<i32>() {
                Ok(ms) if ms >= 0 => Some(Duration::from_millis(ms as u64)),
                _ => {
                    return Err(unprocessable(
                        42204,
                        format!("Invalid consumer configuration: consumer.request.timeout.ms={text}"),
                    ))
                }
            },
        };
        let mut overrides: Vec<(&str, String)> = Vec::new();
        if let Some(reset) = scalar(&request.auto_offset_reset) {
            overrides.push(("auto.offset.reset", reset));
        }
        if let Some(enable) = scalar(&request.auto_commit_enable) {
            overrides.push(("enable.auto.commit", enable));
        }
        for (key, value) in login.iter().flat_map(SaslLogin::properties) {
            overrides.push((key, value.to_string()));
        }
        let name = request
            .id
            .or(request.name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.generated_name());
        if self.exists(group, &name) {
            return Err(duplicate());
        }
        if let Some(message) = names::invalid_group(group) {
            return Err(unprocessable(
                42204,
                format!("Invalid consumer configuration: group.id: {message}"),
            ));
        }
        // Checked again, atomically, when the instance is inserted; checked here too so a
        // refused request costs no configuration check.
        self.check_room(group, owner.as_deref())?;
        let consumer = KafkaConsumer::new(&self.kafka, group, &overrides).map_err(|e| match e {
            KafkaError::ClientConfig(_, description, key, value) => {
                let value = if is_secret(&key) { "[hidden]" } else { &value };
                unprocessable(
                    42204,
                    format!("Invalid consumer configuration: {key}={value}: {description}"),
                )
            }
            KafkaError::Nul(_) => unprocessable(
                42204,
                "Invalid consumer configuration: a value contains a NUL character",
            ),
            other => ApiError::from_kafka(&other),
        })?;
        let instance = Arc::new(Instance::new(
            group.to_string(),
            name.clone(),
            owner,
            format,
            fetch_min_bytes,
            request_timeout,
            consumer,
        ));
        let listed = Arc::clone(&instance);
        match self.insert(instance) {
            Ok(()) => {
                if let Some(directory) = &self.directory {
                    // Busy while listed: not expired however long Kafka takes.
                    let _busy = listed.state.lock().await;
                    directory.add(group, &name).await;
                }
                listed.touch();
                Ok(name)
            }
            Err((refused, error)) => {
                self.close(refused).await;
                Err(error)
            }
        }
    }

    fn generated_name(&self) -> String {
        let uuid = uuid::Uuid::new_v4();
        if self.proxy_id.is_empty() {
            format!("rest-consumer-{uuid}")
        } else {
            format!("rest-consumer-{}-{uuid}", self.proxy_id)
        }
    }
}

pub(super) fn duplicate() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40902,
        "Consumer with specified consumer ID already exists in the specified consumer group.",
    )
}
