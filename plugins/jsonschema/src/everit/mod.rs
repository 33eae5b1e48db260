//! Drafts 4, 6 and 7 (and a schema naming no draft Confluent knows): Confluent validates these
//! with Everit, on org.json's objects, and writes what comes back — with the schema's property
//! defaults filled in, keys in Java `HashMap` order and floating-point numbers as `BigDecimal`s.
//! A bare number, string, boolean or null is written as it came.

mod defaults;
mod org_json;

use jsonschema::{Draft, Uri};
use serde_json::Value;

use crate::jackson::Floats;
use crate::references::References;
use defaults::Defaults;

pub struct Everit {
    /// None when neither the schema nor its references have a `default`.
    defaults: Option<Defaults>,
}

impl Everit {
    pub fn new(
        schema: &Value,
        base: Uri<String>,
        draft: Draft,
        references: &References,
    ) -> Result<Everit, String> {
        let has_defaults =
            has_default(schema) || references.documents().any(|(_, schema)| has_default(schema));
        let defaults = has_defaults
            .then(|| Defaults::new(schema, base, draft, references))
            .transpose()?;
        Ok(Everit { defaults })
    }

    /// What Confluent writes for a value that fits the schema, and how its floating-point
    /// numbers print.
    pub fn convert(&self, mut value: Value) -> Result<(Value, Floats), String> {
        if !value.is_object() && !value.is_array() {
            return Ok((value, Floats::Doubles));
        }
        if let Some(defaults) = &self.defaults {
            defaults.fill(&mut value)?;
        }
        Ok((org_json::round_trip(value), Floats::BigDecimals))
    }
}

fn has_default(schema: &Value) -> bool {
    match schema {
        Value::Object(keywords) => keywords.contains_key("default") || keywords.values().any(has_default),
        Value::Array(items) => items.iter().any(has_default),
        _ => false,
    }
}
