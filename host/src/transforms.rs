//! Transforms in the data path: the configured transform plugins, in the order of
//! `transforms`, each called once per batch with the records on its topics. A record a
//! transform drops or fails is out of the batch for the transforms after it.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use crate::config::transforms::TransformConfig;
use crate::error::ApiError;
use crate::plugins::bindings::host::CallContext;
use crate::plugins::bindings::transformer::{Direction, KafkaRecord, Outcome};
use crate::plugins::catalog::PluginCatalog;
use crate::produce::plugin_failure;

/// What became of one record.
#[derive(Debug)]
pub enum Fate {
    /// Still going: as it came, or as a transform replaced it.
    Kept(KafkaRecord),
    /// Dropped by the named transform.
    Dropped(String),
    /// Failed by the named transform, with its message.
    Failed(String, String),
}

impl Fate {
    /// The record, when it is still going and on `config`'s topics (left as a placeholder).
    fn take_for(&mut self, config: &TransformConfig) -> Option<KafkaRecord> {
        match self {
            Fate::Kept(record) if config.topics.matches(&record.topic) => {
                match std::mem::replace(self, Fate::Dropped(String::new())) {
                    Fate::Kept(record) => Some(record),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

pub struct Transforms {
    configs: Vec<TransformConfig>,
    plugins: Arc<PluginCatalog>,
}

impl Transforms {
    pub fn new(configs: Vec<TransformConfig>, plugins: Arc<PluginCatalog>) -> Self {
        Transforms { configs, plugins }
    }

    /// Whether any transform applies to `topic` in `direction` (else records skip this layer).
    pub fn apply_to(&self, direction: Direction, topic: &str) -> bool {
        self.configs
            .iter()
            .any(|c| runs(c, direction) && c.topics.matches(topic))
    }

    /// Applies the transforms to `records`; one fate per record, in order. A transform that
    /// is not loaded, traps or times out fails the whole batch (nothing of it goes further).
    pub async fn apply(
        &self,
        direction: Direction,
        context: &CallContext,
        records: Vec<KafkaRecord>,
    ) -> Result<Vec<Fate>, ApiError> {
        let mut fates: Vec<Fate> = records.into_iter().map(Fate::Kept).collect();
        for config in self.configs.iter().filter(|c| runs(c, direction)) {
            let (indices, batch): (Vec<usize>, Vec<KafkaRecord>) = fates
                .iter_mut()
                .enumerate()
                .filter_map(|(i, fate)| fate.take_for(config).map(|record| (i, record)))
                .unzip();
            if batch.is_empty() {
                continue;
            }
            let plugin = self.plugins.transform(&config.name).ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    50010,
                    format!("transform plugin `{}` is not loaded", config.name),
                )
            })?;
            let outcomes = self
                .plugins
                .runtime()
                .transform(&plugin, context, direction, &batch)
                .await
                .map_err(plugin_failure)?;
            for ((index, record), outcome) in indices.into_iter().zip(batch).zip(outcomes) {
                fates[index] = match outcome {
                    Outcome::Keep => Fate::Kept(record),
                    Outcome::Replace(replacement) => Fate::Kept(replacement),
                    Outcome::Drop => Fate::Dropped(config.name.clone()),
                    Outcome::Error(message) => Fate::Failed(config.name.clone(), message),
                };
            }
        }
        Ok(fates)
    }
}

fn runs(config: &TransformConfig, direction: Direction) -> bool {
    match direction {
        Direction::Produce => config.on_produce,
        Direction::Consume => config.on_consume,
    }
}

/// The context transforms see: the caller's principal and the request's `x-request-id`
/// (a new UUID when the client sent none).
pub fn call_context(principal: Option<&str>, headers: &HeaderMap) -> CallContext {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    CallContext {
        principal: principal.map(str::to_string),
        request_id,
    }
}
