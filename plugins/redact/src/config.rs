//! `redact.toml`, as the host passes it (dotted keys; arrays as TOML text), checked.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::path::Path;

pub struct Settings {
    pub paths: Vec<Path>,
    pub mode: Mode,
    pub non_json: NonJson,
}

/// What a matched member becomes.
pub enum Mode {
    /// This JSON string.
    Mask(String),
    /// The hex SHA-256 of the salt and the member's JSON text.
    Hash { salt: String },
}

/// What happens to a record whose value is not JSON.
pub enum NonJson {
    Keep,
    Drop,
    Error,
}

impl Settings {
    pub fn from_config(pairs: &[(String, String)]) -> Result<Settings, String> {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        if let Some((key, _)) = pairs
            .iter()
            .find(|(key, _)| !["fields", "mode", "mask", "salt", "non_json"].contains(&key.as_str()))
        {
            return Err(format!(
                "unknown setting `{key}` (known: fields, mode, mask, salt, non_json)"
            ));
        }
        let fields = get("fields").ok_or("`fields` is required")?;
        let fields = krest_plugin_sdk::config_strings(fields)
            .ok_or(r#"`fields` must be an array of strings, like fields = ["ssn", "card.number"]"#)?;
        if fields.is_empty() {
            return Err("`fields` is empty: name at least one field".into());
        }
        let paths = fields
            .iter()
            .map(|field| Path::parse(field).map_err(|e| format!("field `{field}`: {e}")))
            .collect::<Result<_, _>>()?;
        let mode = match (get("mode").unwrap_or("mask"), get("mask"), get("salt")) {
            ("mask", mask, None) => Mode::Mask(mask.unwrap_or("***").to_string()),
            ("hash", None, salt) => Mode::Hash {
                salt: salt.unwrap_or_default().to_string(),
            },
            ("mask", _, Some(_)) => return Err("`salt` applies to mode = \"hash\" only".into()),
            ("hash", Some(_), _) => return Err("`mask` applies to mode = \"mask\" only".into()),
            (other, _, _) => return Err(format!("`mode` must be \"mask\" or \"hash\", not \"{other}\"")),
        };
        let non_json = match get("non_json").unwrap_or("keep") {
            "keep" => NonJson::Keep,
            "drop" => NonJson::Drop,
            "error" => NonJson::Error,
            other => {
                return Err(format!(
                    "`non_json` must be \"keep\", \"drop\" or \"error\", not \"{other}\""
                ))
            }
        };
        Ok(Settings {
            paths,
            mode,
            non_json,
        })
    }
}

impl Mode {
    pub fn replacement(&self, member: &Value) -> Value {
        match self {
            Mode::Mask(mask) => Value::String(mask.clone()),
            Mode::Hash { salt } => {
                let text = serde_json::to_string(member).expect("a JSON value serializes");
                let digest = Sha256::new()
                    .chain_update(salt.as_bytes())
                    .chain_update(text.as_bytes())
                    .finalize();
                Value::String(digest.iter().map(|byte| format!("{byte:02x}")).collect())
            }
        }
    }
}
