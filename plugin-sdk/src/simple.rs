//! Formats that convert one record at a time: implement [`SimpleFormat`] (or [`RecordFormat`]
//! to see the batch's topic, part and schema and to fail a whole batch) and call
//! [`export_simple_format!`](crate::export_simple_format); batching and nulls are handled here.

use std::fmt;

/// A format with a per-record codec. JSON `null` and Kafka null map to each other without
/// calling it. Every `SimpleFormat` is a [`RecordFormat`] that ignores its context.
pub trait SimpleFormat {
    /// JSON text → Kafka bytes; `Err` says why the record does not fit (a 400 for the client).
    fn encode(json: &str) -> Result<Vec<u8>, String>;
    /// Kafka bytes → JSON text.
    fn decode(bytes: &[u8]) -> Result<String, String>;
}

/// A per-record format that sees where its records go ([`EncodeContext`]) or come from
/// ([`DecodeContext`]) and can fail a whole produce batch ([`EncodeError::Batch`]). Implement
/// either this or [`SimpleFormat`], not both; JSON `null` and Kafka null never reach it.
pub trait RecordFormat {
    /// JSON text → Kafka bytes, for one record of a produce batch.
    fn encode_record(context: &EncodeContext, json: &str) -> Result<Vec<u8>, EncodeError>;
    /// Kafka bytes → JSON text, for one consumed record; `Err` fails that record.
    fn decode_record(context: &DecodeContext, bytes: &[u8]) -> Result<String, String>;
}

impl<F: SimpleFormat> RecordFormat for F {
    fn encode_record(_context: &EncodeContext, json: &str) -> Result<Vec<u8>, EncodeError> {
        F::encode(json).map_err(EncodeError::Record)
    }

    fn decode_record(_context: &DecodeContext, bytes: &[u8]) -> Result<String, String> {
        F::decode(bytes)
    }
}

/// Which half of a record a batch holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Key => "key",
            Part::Value => "value",
        })
    }
}

/// The schema a produce request named for the part being encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaRef {
    /// `key_schema_id` / `value_schema_id`.
    Id(u32),
    /// `key_schema` / `value_schema`.
    Text(String),
}

/// Where a produce batch goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeContext {
    pub topic: String,
    pub part: Part,
    pub schema: Option<SchemaRef>,
}

/// Where a consumed batch comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeContext {
    pub topic: String,
    pub part: Part,
}

/// Why a record could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// This record does not fit (the client gets a 400 naming it); the others are still encoded.
    Record(String),
    /// The whole batch fails: no record of the request is produced.
    Batch(BatchError),
}

impl From<String> for EncodeError {
    fn from(message: String) -> Self {
        EncodeError::Record(message)
    }
}

impl From<&str> for EncodeError {
    fn from(message: &str) -> Self {
        EncodeError::Record(message.to_string())
    }
}

impl From<BatchError> for EncodeError {
    fn from(error: BatchError) -> Self {
        EncodeError::Batch(error)
    }
}

/// What fails a whole produce batch; the kinds of WIT `codec.format-error`, each mapped by
/// krest to Confluent's error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// Data that does not fit the format (400).
    InvalidData(String),
    /// The request named no schema but the format needs one (42201 key / 42202 value).
    SchemaRequired(String),
    /// The named schema is unusable, or the format takes none (42205).
    InvalidSchema(String),
    /// Schema Registry is not configured (42206).
    RegistryNotConfigured(String),
    /// Schema Registry failed (42207).
    RegistryFailed(String),
}

/// One entry per input: the bytes (`None` = Kafka null) or why that record does not fit.
pub type EncodedRecords = Vec<Result<Option<Vec<u8>>, String>>;

/// Applies [`SimpleFormat::encode`] to a batch.
pub fn encode_batch<F: SimpleFormat>(values: Vec<Option<String>>) -> EncodedRecords {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(None),
            Some(json) => F::encode(&json).map(Some),
        })
        .collect()
}

/// Applies [`SimpleFormat::decode`] to a batch.
pub fn decode_batch<F: SimpleFormat>(values: Vec<Option<Vec<u8>>>) -> Vec<Result<Option<String>, String>> {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(None),
            Some(bytes) => F::decode(&bytes).map(Some),
        })
        .collect()
}

/// Applies [`RecordFormat::encode_record`] to a batch; the first [`EncodeError::Batch`] ends
/// it and fails it whole.
pub fn encode_records<F: RecordFormat>(
    context: &EncodeContext,
    values: Vec<Option<String>>,
) -> Result<EncodedRecords, BatchError> {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(Ok(None)),
            Some(json) => match F::encode_record(context, &json) {
                Ok(bytes) => Ok(Ok(Some(bytes))),
                Err(EncodeError::Record(message)) => Ok(Err(message)),
                Err(EncodeError::Batch(error)) => Err(error),
            },
        })
        .collect()
}

/// Applies [`RecordFormat::decode_record`] to a batch.
pub fn decode_records<F: RecordFormat>(
    context: &DecodeContext,
    values: Vec<Option<Vec<u8>>>,
) -> Vec<Result<Option<String>, String>> {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(None),
            Some(bytes) => F::decode_record(context, &bytes).map(Some),
        })
        .collect()
}

/// The `format` world's `codec` for a [`RecordFormat`]: what
/// [`export_simple_format!`](crate::export_simple_format) expands to.
#[cfg(feature = "format")]
pub mod codec {
    use super::{
        decode_records, encode_records, BatchError, DecodeContext, EncodeContext, Part, RecordFormat,
        SchemaRef,
    };
    use crate::format::exports::krest::plugin::codec as wit;

    fn part(part: wit::Part) -> Part {
        match part {
            wit::Part::Key => Part::Key,
            wit::Part::Value => Part::Value,
        }
    }

    /// WIT `codec.encode` for `F`.
    pub fn encode<F: RecordFormat>(
        context: wit::EncodeContext,
        values: Vec<Option<String>>,
    ) -> Result<wit::Encoded, wit::FormatError> {
        let context = EncodeContext {
            topic: context.topic,
            part: part(context.part),
            schema: context.schema.map(|schema| match schema {
                wit::SchemaRef::Id(id) => SchemaRef::Id(id),
                wit::SchemaRef::Text(text) => SchemaRef::Text(text),
            }),
        };
        let records = encode_records::<F>(&context, values).map_err(|error| match error {
            BatchError::InvalidData(m) => wit::FormatError::InvalidData(m),
            BatchError::SchemaRequired(m) => wit::FormatError::SchemaRequired(m),
            BatchError::InvalidSchema(m) => wit::FormatError::InvalidSchema(m),
            BatchError::RegistryNotConfigured(m) => wit::FormatError::RegistryNotConfigured(m),
            BatchError::RegistryFailed(m) => wit::FormatError::RegistryFailed(m),
        })?;
        Ok(wit::Encoded {
            schema_id: None,
            records,
        })
    }

    /// WIT `codec.decode` for `F`.
    pub fn decode<F: RecordFormat>(
        context: wit::DecodeContext,
        values: Vec<Option<Vec<u8>>>,
    ) -> Vec<Result<Option<String>, String>> {
        let context = DecodeContext {
            topic: context.topic,
            part: part(context.part),
        };
        decode_records::<F>(&context, values)
    }
}

/// Implements the `format` world for a [`SimpleFormat`] or a [`RecordFormat`] and exports it.
#[cfg(feature = "format")]
#[macro_export]
macro_rules! export_simple_format {
    ($format:ident) => {
        impl $crate::format::exports::krest::plugin::codec::Guest for $format {
            fn encode(
                context: $crate::format::exports::krest::plugin::codec::EncodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::string::String>>,
            ) -> ::std::result::Result<
                $crate::format::exports::krest::plugin::codec::Encoded,
                $crate::format::exports::krest::plugin::codec::FormatError,
            > {
                $crate::simple::codec::encode::<$format>(context, values)
            }

            fn decode(
                context: $crate::format::exports::krest::plugin::codec::DecodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::vec::Vec<u8>>>,
            ) -> ::std::vec::Vec<
                ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
            > {
                $crate::simple::codec::decode::<$format>(context, values)
            }
        }
        $crate::export_format!($format);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Reverse;
    impl SimpleFormat for Reverse {
        fn encode(json: &str) -> Result<Vec<u8>, String> {
            Ok(json.bytes().rev().collect())
        }
        fn decode(bytes: &[u8]) -> Result<String, String> {
            String::from_utf8(bytes.iter().rev().copied().collect()).map_err(|e| e.to_string())
        }
    }

    /// Keys become `TOPIC:json`; values that are not numbers fail the record; a schema or the
    /// value `"stop"` fails the whole batch.
    struct Tagged;
    impl RecordFormat for Tagged {
        fn encode_record(context: &EncodeContext, json: &str) -> Result<Vec<u8>, EncodeError> {
            if context.schema.is_some() {
                return Err(BatchError::InvalidSchema("Tagged takes no schema".into()).into());
            }
            match (context.part, json) {
                (_, "\"stop\"") => Err(BatchError::InvalidData(format!("stop on {}", context.topic)).into()),
                (Part::Key, _) => Ok(format!("{}:{json}", context.topic).into_bytes()),
                (Part::Value, _) if json.parse::<f64>().is_ok() => Ok(json.as_bytes().to_vec()),
                (Part::Value, _) => Err(format!("{} {json} is not a number", context.part).into()),
            }
        }
        fn decode_record(context: &DecodeContext, bytes: &[u8]) -> Result<String, String> {
            let text = String::from_utf8_lossy(bytes);
            match context.part {
                Part::Key => Ok(text
                    .trim_start_matches(&format!("{}:", context.topic))
                    .to_string()),
                Part::Value => Ok(text.into_owned()),
            }
        }
    }

    fn encode_context(part: Part, schema: Option<SchemaRef>) -> EncodeContext {
        EncodeContext {
            topic: "orders".into(),
            part,
            schema,
        }
    }

    #[test]
    fn nulls_pass_through_and_values_use_the_codec() {
        let encoded = encode_batch::<Reverse>(vec![Some("\"ab\"".into()), None]);
        assert_eq!(encoded, vec![Ok(Some(b"\"ba\"".to_vec())), Ok(None)]);
        let decoded = decode_batch::<Reverse>(vec![Some(b"\"ba\"".to_vec()), None]);
        assert_eq!(decoded, vec![Ok(Some("\"ab\"".to_string())), Ok(None)]);
    }

    #[test]
    fn a_simple_format_is_a_record_format_that_ignores_its_context() {
        let context = encode_context(Part::Key, Some(SchemaRef::Id(7)));
        let encoded = encode_records::<Reverse>(&context, vec![Some("\"ab\"".into()), None]);
        assert_eq!(encoded, Ok(vec![Ok(Some(b"\"ba\"".to_vec())), Ok(None)]));
        let context = DecodeContext {
            topic: "orders".into(),
            part: Part::Value,
        };
        let decoded = decode_records::<Reverse>(&context, vec![Some(b"\"ba\"".to_vec())]);
        assert_eq!(decoded, vec![Ok(Some("\"ab\"".to_string()))]);
    }

    #[test]
    fn a_record_format_sees_topic_and_part() {
        let keys = encode_records::<Tagged>(&encode_context(Part::Key, None), vec![Some("1".into()), None]);
        assert_eq!(keys, Ok(vec![Ok(Some(b"orders:1".to_vec())), Ok(None)]));
        let values = encode_records::<Tagged>(
            &encode_context(Part::Value, None),
            vec![Some("1".into()), Some("\"x\"".into())],
        );
        assert_eq!(
            values,
            Ok(vec![
                Ok(Some(b"1".to_vec())),
                Err("value \"x\" is not a number".into())
            ])
        );
        let context = DecodeContext {
            topic: "orders".into(),
            part: Part::Key,
        };
        let decoded = decode_records::<Tagged>(&context, vec![Some(b"orders:1".to_vec()), None]);
        assert_eq!(decoded, vec![Ok(Some("1".to_string())), Ok(None)]);
    }

    #[test]
    fn a_record_format_fails_a_whole_batch() {
        let with_schema = encode_context(Part::Value, Some(SchemaRef::Text("{}".into())));
        assert_eq!(
            encode_records::<Tagged>(&with_schema, vec![Some("1".into())]),
            Err(BatchError::InvalidSchema("Tagged takes no schema".into()))
        );
        let stopped = encode_records::<Tagged>(
            &encode_context(Part::Value, None),
            vec![Some("1".into()), Some("\"stop\"".into()), Some("\"x\"".into())],
        );
        assert_eq!(stopped, Err(BatchError::InvalidData("stop on orders".into())));
    }

    #[cfg(feature = "format")]
    #[test]
    fn the_wit_codec_maps_contexts_and_batch_errors() {
        use crate::format::exports::krest::plugin::codec as wit;
        let context = wit::EncodeContext {
            topic: "orders".into(),
            part: wit::Part::Key,
            schema: None,
        };
        let encoded = codec::encode::<Tagged>(context, vec![Some("2".into())]).unwrap();
        assert_eq!(encoded.records, vec![Ok(Some(b"orders:2".to_vec()))]);
        assert_eq!(encoded.schema_id, None);
        let context = wit::EncodeContext {
            topic: "orders".into(),
            part: wit::Part::Value,
            schema: Some(wit::SchemaRef::Id(3)),
        };
        match codec::encode::<Tagged>(context, vec![Some("2".into())]) {
            Err(wit::FormatError::InvalidSchema(message)) => assert_eq!(message, "Tagged takes no schema"),
            other => panic!("expected invalid-schema, got {other:?}"),
        }
        let context = wit::DecodeContext {
            topic: "orders".into(),
            part: wit::Part::Key,
        };
        assert_eq!(
            codec::decode::<Tagged>(context, vec![Some(b"orders:2".to_vec())]),
            vec![Ok(Some("2".to_string()))]
        );
    }
}
