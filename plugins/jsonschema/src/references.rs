//! The schemas a schema refers to, found under the URI its `$ref`s resolve to: each reference's
//! name resolved against the root schema's `$id` (as Confluent registers them with Everit) and
//! against `json-schema:///` (a relative name with no `$id` around it). Nothing is fetched.

use std::collections::HashMap;

use jsonschema::{Draft, Uri};
use krest_plugin_sdk::format::krest::plugin::schema_registry::Reference;
use serde_json::Value;

/// Where a schema without an `$id` is based.
const DEFAULT_BASE: &str = "json-schema:///";

/// Referenced schemas by absolute URI.
#[derive(Clone, Debug)]
pub struct References(HashMap<String, Value>);

impl References {
    /// The references of `root` (whose draft is `draft`) and the URI `root` is based at.
    pub fn new(
        root: &Value,
        draft: Draft,
        references: &[Reference],
    ) -> Result<(Uri<String>, References), String> {
        let default_base = jsonschema::uri::from_str(DEFAULT_BASE).map_err(|e| e.to_string())?;
        let base = match root.get(draft.id_keyword()).and_then(Value::as_str) {
            Some(id) => jsonschema::uri::resolve_against(&default_base.borrow(), id)
                .map_err(|e| format!("the schema's {}: {e}", draft.id_keyword()))?,
            None => default_base.clone(),
        };
        let mut by_uri = HashMap::new();
        for reference in references {
            if reference.schema.schema_type != "JSON" {
                return Err(format!(
                    "reference {} is a {} schema, not JSON",
                    reference.name, reference.schema.schema_type
                ));
            }
            let schema: Value = serde_json::from_str(&reference.schema.text)
                .map_err(|e| format!("reference {}: not JSON: {e}", reference.name))?;
            for against in [&base, &default_base] {
                let uri = jsonschema::uri::resolve_against(&against.borrow(), &reference.name)
                    .map_err(|e| format!("reference {}: {e}", reference.name))?;
                by_uri.insert(uri.as_str().to_owned(), schema.clone());
            }
        }
        Ok((base, References(by_uri)))
    }

    /// Every referenced schema under each URI it is known by.
    pub fn documents(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(uri, schema)| (uri.as_str(), schema))
    }
}

impl jsonschema::Retrieve for References {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("{uri} is not among the schema's references (nothing is fetched)").into())
    }
}
