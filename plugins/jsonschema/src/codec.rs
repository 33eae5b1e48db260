//! One JSON Schema, parsed: records are checked against it and written as Confluent's proxy
//! writes them; payloads are read back as its consumer shows them.

use jsonschema::{Draft, Validator};
use krest_plugin_sdk::format::krest::plugin::schema_registry::Reference;
use serde_json::Value;

use crate::everit::Everit;
use crate::jackson::{self, Floats};
use crate::references::References;

pub struct Codec {
    validator: Validator,
    /// Drafts 4–7, which Confluent validates with Everit.
    everit: Option<Everit>,
}

impl Codec {
    /// Parses a schema; `references` are the schemas its `$ref`s may name.
    pub fn parse(text: &str, references: &[Reference]) -> Result<Codec, String> {
        let schema: Value = serde_json::from_str(text).map_err(|e| format!("the schema is not JSON: {e}"))?;
        if !schema.is_object() && !schema.is_boolean() {
            return Err("a JSON Schema is an object or a boolean".to_owned());
        }
        let draft = draft(&schema);
        let (base, references) = References::new(&schema, draft, references)?;
        let validator = jsonschema::options()
            .with_draft(draft)
            .with_base_uri(base.as_str())
            .with_retriever(references.clone())
            .build(&schema)
            .map_err(|e| e.to_string())?;
        let everit = match draft {
            Draft::Draft4 | Draft::Draft6 | Draft::Draft7 => {
                Some(Everit::new(&schema, base, draft, &references)?)
            }
            _ => None,
        };
        Ok(Codec { validator, everit })
    }

    /// A record's JSON text → the payload Confluent's proxy writes for it, or why it does not
    /// fit the schema.
    pub fn encode(&self, json: &str) -> Result<Vec<u8>, String> {
        let value = jackson::read(json.as_bytes()).map_err(|e| format!("invalid JSON: {e}"))?;
        if let Err(error) = self.validator.validate(&value) {
            return Err(format!(
                "the value does not fit its JSON Schema at #{}: {error}",
                error.instance_path()
            ));
        }
        let (value, floats) = match &self.everit {
            Some(everit) => everit.convert(value)?,
            None => (value, Floats::Doubles),
        };
        Ok(jackson::write(&value, floats))
    }

    /// A payload → its JSON text as Confluent's consumer shows it (not validated: Confluent's
    /// deserializer does not validate by default).
    pub fn decode(&self, payload: &[u8]) -> Result<String, String> {
        let value = jackson::read(payload).map_err(|e| format!("the record is not JSON: {e}"))?;
        Ok(String::from_utf8(jackson::write(&value, Floats::Doubles)).expect("serde_json writes UTF-8"))
    }
}

/// The draft Confluent picks: the one `$schema` names (with or without a trailing `#`; the
/// version-less URI is draft 4), draft 7 for any other `$schema` and without one.
fn draft(schema: &Value) -> Draft {
    let named = schema.get("$schema").and_then(Value::as_str).unwrap_or_default();
    let named = named.strip_suffix('#').unwrap_or(named);
    let named = named
        .strip_prefix("http://")
        .or_else(|| named.strip_prefix("https://"))
        .unwrap_or_default();
    match named {
        "json-schema.org/draft-04/schema" | "json-schema.org/schema" => Draft::Draft4,
        "json-schema.org/draft-06/schema" => Draft::Draft6,
        "json-schema.org/draft/2019-09/schema" => Draft::Draft201909,
        "json-schema.org/draft/2020-12/schema" => Draft::Draft202012,
        _ => Draft::Draft7,
    }
}
