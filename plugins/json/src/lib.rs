//! The `json` format (`application/vnd.kafka.json.v2+json`): any JSON value, written to Kafka
//! as compact JSON (key order and number text kept), read back as the JSON it holds.

use krest_plugin_sdk::simple::SimpleFormat;
use serde_json::Value;

pub struct Json;

impl SimpleFormat for Json {
    fn encode(json: &str) -> Result<Vec<u8>, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("invalid JSON: {e}"))?;
        serde_json::to_vec(&value).map_err(|e| e.to_string())
    }

    fn decode(bytes: &[u8]) -> Result<String, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("record is not JSON: {e}"))?;
        serde_json::to_string(&value).map_err(|e| e.to_string())
    }
}

krest_plugin_sdk::export_simple_format!(Json);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_but_keeps_order_and_numbers() {
        let bytes = Json::encode(r#"{ "b": 1.50, "a": [true, null, 12345678901234567890123] }"#).unwrap();
        assert_eq!(bytes, br#"{"b":1.50,"a":[true,null,12345678901234567890123]}"#);
        assert_eq!(Json::decode(&bytes).unwrap().as_bytes(), bytes.as_slice());
    }

    #[test]
    fn non_json_bytes_fail_to_decode() {
        assert!(Json::decode(b"\xff not json").is_err());
    }
}
