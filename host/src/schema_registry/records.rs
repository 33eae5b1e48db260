//! The records of the `_schemas` topic in Confluent's own JSON: keys byte for byte as
//! Confluent writes them (compaction and tombstones act on key bytes), values with the
//! fields Confluent's readers expect. Unknown key types are skipped by the reader.

use serde::{Deserialize, Serialize};

/// A reference of one schema to another, as stored and as the REST API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// What a key of the topic names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Schema {
        subject: String,
        version: i32,
    },
    /// `None`: the global setting.
    Config {
        subject: Option<String>,
    },
    Mode {
        subject: Option<String>,
    },
    DeleteSubject {
        subject: String,
    },
    ClearSubject {
        subject: String,
    },
    Noop,
}

/// Field order is Confluent's `@JsonPropertyOrder`; `magic` is always written.
#[derive(Serialize, Deserialize)]
struct RawKey {
    keytype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    #[serde(default)]
    magic: i32,
}

impl Key {
    pub fn to_bytes(&self) -> Vec<u8> {
        let (keytype, subject, version, magic) = match self {
            Key::Schema { subject, version } => ("SCHEMA", Some(subject.clone()), Some(*version), 1),
            Key::Config { subject } => ("CONFIG", subject.clone(), None, 0),
            Key::Mode { subject } => ("MODE", subject.clone(), None, 0),
            Key::DeleteSubject { subject } => ("DELETE_SUBJECT", Some(subject.clone()), None, 0),
            Key::ClearSubject { subject } => ("CLEAR_SUBJECT", Some(subject.clone()), None, 0),
            Key::Noop => ("NOOP", None, None, 0),
        };
        let raw = RawKey {
            keytype: keytype.to_string(),
            subject,
            version,
            magic,
        };
        serde_json::to_vec(&raw).unwrap_or_default()
    }

    /// The key, or why it is skipped (unknown type, bad magic, not JSON).
    pub fn parse(bytes: &[u8]) -> Result<Key, String> {
        let raw: RawKey = serde_json::from_slice(bytes).map_err(|e| format!("not a registry key: {e}"))?;
        let subject = || {
            raw.subject
                .clone()
                .ok_or_else(|| format!("{} key without subject", raw.keytype))
        };
        match raw.keytype.as_str() {
            "SCHEMA" => {
                if raw.magic != 0 && raw.magic != 1 {
                    return Err(format!(
                        "Can't deserialize schema for the magic byte {}",
                        raw.magic
                    ));
                }
                let version = raw.version.ok_or("SCHEMA key without version")?;
                Ok(Key::Schema {
                    subject: subject()?,
                    version,
                })
            }
            "CONFIG" => Ok(Key::Config { subject: raw.subject }),
            "MODE" => Ok(Key::Mode { subject: raw.subject }),
            "DELETE_SUBJECT" => Ok(Key::DeleteSubject { subject: subject()? }),
            "CLEAR_SUBJECT" => Ok(Key::ClearSubject { subject: subject()? }),
            "NOOP" => Ok(Key::Noop),
            other => Err(format!("unknown key type {other}")),
        }
    }
}

/// A SCHEMA value: one version of one subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaValue {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    /// Absent (writers before Confluent 8.0) means AVRO.
    #[serde(rename = "schemaType", default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    pub schema: String,
    #[serde(default)]
    pub deleted: bool,
}

impl SchemaValue {
    /// `AVRO`, `JSON` or `PROTOBUF`.
    pub fn schema_type(&self) -> &str {
        self.schema_type.as_deref().unwrap_or("AVRO")
    }
}

/// A CONFIG value; only the fields krest uses are kept (others are not rewritten).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(
        rename = "compatibilityLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compatibility_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// A MODE value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub mode: String,
}

/// A DELETE_SUBJECT value: every version up to `version` is soft-deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSubjectValue {
    pub subject: String,
    pub version: i32,
}

/// Serializes a value (they cannot fail: plain structs of strings and numbers).
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_byte_exact_as_confluent_writes_them() {
        let key = Key::Schema {
            subject: "s".into(),
            version: 1,
        };
        assert_eq!(
            String::from_utf8(key.to_bytes()).unwrap(),
            r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#
        );
        assert_eq!(
            Key::Config { subject: None }.to_bytes(),
            br#"{"keytype":"CONFIG","magic":0}"#
        );
        assert_eq!(
            Key::Mode {
                subject: Some("t".into())
            }
            .to_bytes(),
            br#"{"keytype":"MODE","subject":"t","magic":0}"#
        );
        assert_eq!(Key::Noop.to_bytes(), br#"{"keytype":"NOOP","magic":0}"#);
        assert_eq!(Key::parse(&key.to_bytes()).unwrap(), key);
    }

    #[test]
    fn unknown_and_bad_keys_are_refused() {
        assert!(Key::parse(br#"{"keytype":"CONTEXT","tenant":"default","magic":0}"#).is_err());
        assert!(Key::parse(br#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":2}"#).is_err());
        assert!(Key::parse(b"garbage").is_err());
    }

    #[test]
    fn schema_values_read_confluents_and_write_its_field_order() {
        let written = br#"{"subject":"test","version":1,"id":1,"schema":"\"string\"","deleted":false}"#;
        let value: SchemaValue = serde_json::from_slice(written).unwrap();
        assert_eq!(value.schema_type(), "AVRO");
        assert_eq!(to_bytes(&value), written.to_vec());
        let with_type = br#"{"subject":"t","version":2,"id":7,"schemaType":"JSON","references":[{"name":"r","subject":"x","version":1}],"schema":"{}","deleted":true,"md5":"abc"}"#;
        let value: SchemaValue = serde_json::from_slice(with_type).unwrap();
        assert_eq!(
            (value.schema_type(), value.deleted, value.references.len()),
            ("JSON", true, 1)
        );
    }
}
