//! Example `format` plugin `upper`: JSON in, JSON out, with every string upper-cased on the
//! way into Kafka. Serves `application/vnd.kafka.upper.v2+json` when saved as `upper.wasm`.
//!
//! Build: `cargo build -p krest-example-upper --target wasm32-wasip2 --profile plugin`

use krest_plugin_sdk::simple::SimpleFormat;
use serde_json::Value;

pub struct Upper;

fn shout(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_uppercase()),
        Value::Array(items) => Value::Array(items.into_iter().map(shout).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, shout(v))).collect()),
        other => other,
    }
}

impl SimpleFormat for Upper {
    fn encode(json: &str) -> Result<Vec<u8>, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        serde_json::to_vec(&shout(value)).map_err(|e| e.to_string())
    }

    fn decode(bytes: &[u8]) -> Result<String, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(value.to_string())
    }
}

krest_plugin_sdk::export_simple_format!(Upper);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_upper_cased_everywhere() {
        let bytes = Upper::encode(r#"{"greeting":"hello","list":["a",1]}"#).unwrap();
        assert_eq!(bytes, br#"{"greeting":"HELLO","list":["A",1]}"#);
    }
}
