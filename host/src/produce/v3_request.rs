//! One record of a v3 produce request (`POST /v3/clusters/{id}/topics/{topic}/records`) as
//! Confluent's `ProduceRequest` reads it, with its validation rules (a violation is a 400).

use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Kafka headers in order: name and value (`None`: no value).
pub type KafkaHeaders = Vec<(String, Option<Vec<u8>>)>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3Record {
    /// A `records:batch` entry's id (a streamed record has none).
    #[serde(default)]
    pub id: Option<Box<RawValue>>,
    #[serde(default)]
    pub partition_id: Option<i32>,
    #[serde(default)]
    pub headers: Option<Vec<V3Header>>,
    #[serde(default)]
    pub key: Option<V3Data>,
    #[serde(default)]
    pub value: Option<V3Data>,
    /// ISO-8601, e.g. `2021-02-05T19:14:42Z`.
    #[serde(default)]
    pub timestamp: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3Header {
    pub name: String,
    /// Base64 of the header's bytes; `null` or absent: a header without value.
    #[serde(default)]
    pub value: Option<String>,
}

/// A key or value (Confluent's `ProduceRequestData`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3Data {
    #[serde(default, rename = "type")]
    pub format: Option<DataType>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub subject_name_strategy: Option<SubjectNameStrategy>,
    #[serde(default)]
    pub schema_id: Option<u32>,
    #[serde(default)]
    pub schema_version: Option<u32>,
    #[serde(default)]
    pub schema: Option<String>,
    /// The data as JSON text; `None` for JSON `null` or no `data`.
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DataType {
    Binary,
    Json,
    String,
    Avro,
    Jsonschema,
    Protobuf,
}

impl DataType {
    /// The name Confluent uses in requests and responses.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Binary => "BINARY",
            DataType::Json => "JSON",
            DataType::String => "STRING",
            DataType::Avro => "AVRO",
            DataType::Jsonschema => "JSONSCHEMA",
            DataType::Protobuf => "PROTOBUF",
        }
    }

    /// The format plugin that writes data of this type (STRING needs none).
    pub fn plugin_name(self) -> &'static str {
        match self {
            DataType::Binary => "binary",
            DataType::Json => "json",
            DataType::String => "string",
            DataType::Avro => "avro",
            DataType::Jsonschema => "jsonschema",
            DataType::Protobuf => "protobuf",
        }
    }

    /// Whether data of this type is written with a registered schema.
    pub fn requires_schema(self) -> bool {
        matches!(self, DataType::Avro | DataType::Jsonschema | DataType::Protobuf)
    }

    /// The type of a schema as the Schema Registry names it (`AVRO`, `JSON`, `PROTOBUF`).
    pub fn of_schema_type(schema_type: &str) -> Option<DataType> {
        match schema_type {
            "AVRO" => Some(DataType::Avro),
            "JSON" => Some(DataType::Jsonschema),
            "PROTOBUF" => Some(DataType::Protobuf),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubjectNameStrategy {
    TopicName,
    RecordName,
    TopicRecordName,
}

impl V3Record {
    /// Confluent's checks of the parts, then the headers and timestamp decoded: the headers
    /// as Kafka bytes, the timestamp in milliseconds since the epoch.
    pub fn validate(&self) -> Result<(KafkaHeaders, Option<i64>), String> {
        for data in self.key.iter().chain(&self.value) {
            data.validate()?;
        }
        let headers = self
            .headers
            .iter()
            .flatten()
            .map(|header| {
                let value = header
                    .value
                    .as_deref()
                    .map(|text| {
                        STANDARD
                            .decode(text)
                            .map_err(|_| format!("Header `{}`: value is not valid base64", header.name))
                    })
                    .transpose()?;
                Ok((header.name.clone(), value))
            })
            .collect::<Result<_, String>>()?;
        let timestamp = self.timestamp.as_deref().map(parse_timestamp).transpose()?;
        Ok((headers, timestamp))
    }
}

impl V3Data {
    /// Confluent's rules for which schema fields go together (its messages).
    fn validate(&self) -> Result<(), String> {
        let check = |ok: bool, message: String| if ok { Ok(()) } else { Err(message) };
        check(
            self.subject_name_strategy.is_none() || self.subject.is_none(),
            "Only one of 'subject_name_strategy' or 'subject' can be used.".into(),
        )?;
        let schemas = [
            self.schema_id.is_some(),
            self.schema_version.is_some(),
            self.schema.is_some(),
        ];
        check(
            schemas.iter().filter(|named| **named).count() <= 1,
            "Only one of 'schema_id', 'schema_version' or 'schema' can be used.".into(),
        )?;
        let Some(format) = self.format else {
            return Ok(());
        };
        if format.requires_schema() {
            if let Some(id) = self.schema_id {
                return Err(format!("'schema_id={id}' cannot be used with 'serializer'."));
            }
            if let Some(version) = self.schema_version {
                return Err(format!(
                    "'schema_version={version}' cannot be used with 'serializer'."
                ));
            }
            return check(
                self.schema.is_some(),
                "'schema_version=latest' cannot be used with 'serializer'.".into(),
            );
        }
        let name = format.name();
        let refused = [
            (self.subject_name_strategy.is_some(), "subject_strategy"),
            (self.subject.is_some(), "subject"),
            (self.schema_id.is_some(), "schema_id"),
            (self.schema_version.is_some(), "schema_version"),
            (self.schema.is_some(), "schema"),
        ];
        match refused.iter().find(|(named, _)| *named) {
            Some((_, field)) => Err(format!("'type={name}' cannot be used with '{field}'.")),
            None => Ok(()),
        }
    }
}

/// An ISO-8601 instant (`2021-02-05T19:14:42Z`, fractions allowed) → milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let invalid = || format!("Invalid timestamp `{text}`: expected ISO-8601, e.g. 2021-02-05T19:14:42Z");
    let time = humantime::parse_rfc3339_weak(text).map_err(|_| invalid())?;
    let since = time.duration_since(UNIX_EPOCH).map_err(|_| invalid())?;
    i64::try_from(since.as_millis()).map_err(|_| invalid())
}

/// Milliseconds since the epoch as Java's `Instant.toString` writes them: whole seconds
/// without a fraction, else three digits.
pub fn format_timestamp(millis: i64) -> String {
    let Ok(millis) = u64::try_from(millis) else {
        return format!("{millis}");
    };
    let time = UNIX_EPOCH + Duration::from_millis(millis);
    match millis % 1000 {
        0 => humantime::format_rfc3339_seconds(time).to_string(),
        _ => humantime::format_rfc3339_millis(time).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> V3Record {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn confluents_schema_field_rules() {
        let error = |json: &str| record(json).validate().unwrap_err();
        assert_eq!(
            error(r#"{"value":{"type":"BINARY","subject":"s","data":"AA=="}}"#),
            "'type=BINARY' cannot be used with 'subject'."
        );
        assert_eq!(
            error(r#"{"key":{"type":"STRING","schema_id":1,"data":"a"}}"#),
            "'type=STRING' cannot be used with 'schema_id'."
        );
        assert_eq!(
            error(r#"{"value":{"subject":"s","subject_name_strategy":"TOPIC_NAME"}}"#),
            "Only one of 'subject_name_strategy' or 'subject' can be used."
        );
        assert_eq!(
            error(r#"{"value":{"schema_id":1,"schema_version":2}}"#),
            "Only one of 'schema_id', 'schema_version' or 'schema' can be used."
        );
        assert_eq!(
            error(r#"{"value":{"type":"AVRO","data":1}}"#),
            "'schema_version=latest' cannot be used with 'serializer'."
        );
        assert!(record(r#"{"value":{"type":"AVRO","schema":"\"int\"","data":1}}"#)
            .validate()
            .is_ok());
        assert!(record(r#"{"value":{"schema_version":3,"subject":"s","data":1}}"#)
            .validate()
            .is_ok());
    }

    #[test]
    fn headers_and_timestamps_decode() {
        let (headers, timestamp) = record(
            r#"{"headers":[{"name":"a","value":"AAE="},{"name":"a","value":null},{"name":"b"}],
                "timestamp":"2021-02-05T19:14:42.125Z"}"#,
        )
        .validate()
        .unwrap();
        assert_eq!(
            headers,
            vec![
                ("a".to_string(), Some(vec![0, 1])),
                ("a".to_string(), None),
                ("b".to_string(), None)
            ]
        );
        assert_eq!(timestamp, Some(1_612_552_482_125));
        assert!(record(r#"{"headers":[{"name":"a","value":"*"}]}"#)
            .validate()
            .unwrap_err()
            .contains("base64"));
        assert!(record(r#"{"timestamp":"yesterday"}"#).validate().is_err());
    }

    #[test]
    fn timestamps_print_as_java_instants() {
        assert_eq!(format_timestamp(1_612_552_482_000), "2021-02-05T19:14:42Z");
        assert_eq!(format_timestamp(1_612_552_482_125), "2021-02-05T19:14:42.125Z");
    }
}

/// Property tests: header values are Base64 or refused, timestamps are ISO-8601 or refused,
/// never a panic; what krest writes it reads back.
#[cfg(test)]
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    fn with_header(value: &str, timestamp: &str) -> V3Record {
        let json = serde_json::json!({"headers": [{"name": "h", "value": value}], "timestamp": timestamp});
        serde_json::from_value(json).unwrap()
    }

    proptest! {
        #[test]
        fn base64_header_values_round_trip(bytes in vec(any::<u8>(), 0..100)) {
            let (headers, _) = with_header(&STANDARD.encode(&bytes), "2021-02-05T19:14:42Z").validate().unwrap();
            prop_assert_eq!(headers, vec![("h".to_string(), Some(bytes))]);
        }

        #[test]
        fn any_header_value_and_timestamp_decode_or_are_refused(value in "\\PC{0,40}", timestamp in "\\PC{0,40}") {
            if let Err(message) = with_header(&value, &timestamp).validate() {
                prop_assert!(message.contains("base64") || message.contains("timestamp"), "{message}");
            }
        }

        #[test]
        fn written_timestamps_read_back(millis in 0i64..253_402_300_800_000) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(millis)), Ok(millis));
        }
    }
}
