//! The `binary` format (`application/vnd.kafka.binary.v2+json`): each key or value is a JSON
//! string holding standard, padded Base64 of the Kafka bytes, as in Confluent's proxy.
//! Base64 is coded with SIMD (`base64-simd`; the built-in plugins are compiled with WebAssembly's
//! `simd128`, see `.cargo/config.toml`).

use base64_simd::STANDARD;
use krest_plugin_sdk::simple::SimpleFormat;

pub struct Binary;

impl SimpleFormat for Binary {
    fn encode(json: &str) -> Result<Vec<u8>, String> {
        // Base64 needs no escapes: the text between the quotes is decoded as it is, and only
        // when that fails (an escape, or not Base64) is the string unescaped and tried again.
        let literal = json.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'));
        if let Some(Ok(bytes)) = literal.map(|text| STANDARD.decode_to_vec(text.as_bytes())) {
            return Ok(bytes);
        }
        let Ok(text) = serde_json::from_str::<String>(json) else {
            return Err(format!("data={json} is not a base64 string."));
        };
        STANDARD
            .decode_to_vec(text.as_bytes())
            .map_err(|_| format!("data={json} is not a valid base64 string."))
    }

    fn decode(bytes: &[u8]) -> Result<String, String> {
        let mut json = String::with_capacity(bytes.len().div_ceil(3) * 4 + 2);
        json.push('"');
        STANDARD.encode_append(bytes, &mut json);
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

    #[test]
    fn unescapes_strings_with_escapes() {
        assert_eq!(Binary::encode(r#""AAEC\/w==""#).unwrap(), vec![0, 1, 2, 255]);
        assert_eq!(Binary::encode(r#""\u0041AEC/w==""#).unwrap(), vec![0, 1, 2, 255]);
        assert!(Binary::encode(r#""AAEC/w==\""#).is_err());
    }
}
