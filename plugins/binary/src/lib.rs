//! The `binary` format (`application/vnd.kafka.binary.v2+json`): each key or value is a JSON
//! string holding standard, padded Base64 of the Kafka bytes, as in Confluent's proxy.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use krest_plugin_sdk::simple::SimpleFormat;

pub struct Binary;

impl SimpleFormat for Binary {
    fn encode(json: &str) -> Result<Vec<u8>, String> {
        let Ok(text) = serde_json::from_str::<String>(json) else {
            return Err(format!("data={json} is not a base64 string."));
        };
        STANDARD
            .decode(&text)
            .map_err(|_| format!("data={json} is not a valid base64 string."))
    }

    fn decode(bytes: &[u8]) -> Result<String, String> {
        let mut json = String::with_capacity(bytes.len().div_ceil(3) * 4 + 2);
        json.push('"');
        STANDARD.encode_string(bytes, &mut json);
        json.push('"');
        Ok(json)
    }
}

krest_plugin_sdk::export_simple_format!(Binary);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bytes() {
        let bytes = Binary::encode("\"AAEC/w==\"").unwrap();
        assert_eq!(bytes, vec![0, 1, 2, 255]);
        assert_eq!(Binary::decode(&bytes).unwrap(), "\"AAEC/w==\"");
    }

    #[test]
    fn rejects_non_strings_and_bad_base64_like_confluent() {
        assert_eq!(
            Binary::encode("42").unwrap_err(),
            "data=42 is not a base64 string."
        );
        assert_eq!(
            Binary::encode("\"*\"").unwrap_err(),
            "data=\"*\" is not a valid base64 string."
        );
    }
}
