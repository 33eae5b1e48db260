//! Schema formats the way Confluent stores them: implement [`SchemaCodec`] for one parsed
//! schema and export it with [`export_schema_format!`](crate::export_schema_format). Framing
//! (magic byte 0, 4-byte big-endian schema id, payload), registration under the topic-name
//! strategy, look-ups by id with references and Confluent's error kinds are handled here.
//! A schema fetched by id is parsed once per instance: registry ids never change meaning, and
//! a warm instance keeps its parsed schemas for the calls after.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::format::exports::krest::plugin::codec::{EncodeContext, Encoded, FormatError, Part, SchemaRef};
use crate::format::krest::plugin::schema_registry::{self, Reference, RegistryError, Schema};

/// One schema, parsed, able to convert records between JSON text and the payload that
/// follows the 5-byte header in Kafka.
pub trait SchemaCodec: Sized + 'static {
    /// The registry's name of the schema type: `AVRO`, `JSON` or `PROTOBUF`.
    const SCHEMA_TYPE: &'static str;
    /// Parses a schema; `references` are the schemas it refers to, each before the schemas
    /// that refer to it (empty for a schema given as text in a produce request).
    fn parse(text: &str, references: &[Reference]) -> Result<Self, String>;
    /// One JSON text → the payload; `Err` says why the record does not fit the schema.
    fn encode(&self, json: &str) -> Result<Vec<u8>, String>;
    /// A payload → its JSON text.
    fn decode(&self, payload: &[u8]) -> Result<String, String>;
}

/// Encodes a produce request's batch for one part: the schema it names is registered under
/// `TOPIC-key`/`TOPIC-value` (text) or must be registered there (id), as Confluent's proxy
/// requires; a batch of nulls needs no schema.
pub fn encode<C: SchemaCodec>(
    context: EncodeContext,
    values: Vec<Option<String>>,
) -> Result<Encoded, FormatError> {
    let part = match context.part {
        Part::Key => "key",
        Part::Value => "value",
    };
    let Some(schema) = context.schema else {
        if values.iter().all(Option::is_none) {
            return Ok(Encoded {
                schema_id: None,
                records: values.iter().map(|_| Ok(None)).collect(),
            });
        }
        return Err(FormatError::SchemaRequired(format!(
            "Request includes {part}s but does not include {part} schema"
        )));
    };
    let subject = format!("{}-{part}", context.topic);
    let (id, codec) = match schema {
        SchemaRef::Text(text) => {
            let codec = Rc::new(C::parse(&text, &[]).map_err(FormatError::InvalidSchema)?);
            let id = schema_registry::register(&subject, C::SCHEMA_TYPE, &text).map_err(registry_error)?;
            (id, codec)
        }
        SchemaRef::Id(id) => {
            let codec = codec_by_id::<C>(id).map_err(|e| match e {
                Unusable::Registry(e) => registry_error(e),
                Unusable::Schema(message) => FormatError::InvalidSchema(message),
            })?;
            schema_registry::version_in_subject(&subject, id).map_err(|e| match e {
                RegistryError::NotFound(_) => FormatError::RegistryFailed(format!(
                    "Error when fetching schema version. subject = {subject}, schema id = {id}: \
                     the subject does not hold this schema"
                )),
                other => registry_error(other),
            })?;
            (id, codec)
        }
    };
    let records = values
        .into_iter()
        .map(|value| {
            value
                .map(|json| codec.encode(&json).map(|payload| frame(id, &payload)))
                .transpose()
        })
        .collect();
    Ok(Encoded {
        schema_id: Some(id),
        records,
    })
}

/// Decodes a batch of Kafka bytes, each by the schema id in its header; a writer schema that
/// cannot be used is asked for once per call.
pub fn decode<C: SchemaCodec>(values: Vec<Option<Vec<u8>>>) -> Vec<Result<Option<String>, String>> {
    let mut codecs: HashMap<u32, Result<Rc<C>, String>> = HashMap::new();
    values
        .into_iter()
        .map(|value| {
            let Some(bytes) = value else { return Ok(None) };
            let (id, payload) = unframe(&bytes)?;
            let codec = codecs.entry(id).or_insert_with(|| {
                codec_by_id::<C>(id).map_err(|e| {
                    let message = match e {
                        Unusable::Registry(e) => registry_message(&e),
                        Unusable::Schema(message) => message,
                    };
                    format!("writer schema {id}: {message}")
                })
            });
            match codec {
                Ok(codec) => codec.decode(payload).map(Some),
                Err(message) => Err(message.clone()),
            }
        })
        .collect()
}

enum Unusable {
    Registry(RegistryError),
    Schema(String),
}

/// Schemas parsed by id at most kept per instance; beyond, the memo starts over.
const PARSED_MAX: usize = 256;

thread_local! {
    static PARSED: RefCell<HashMap<u32, Rc<dyn Any>>> = RefCell::new(HashMap::new());
}

/// Schema `id` parsed: from this instance's memo, or from the registry with its references.
fn codec_by_id<C: SchemaCodec>(id: u32) -> Result<Rc<C>, Unusable> {
    let known = PARSED.with_borrow(|parsed| parsed.get(&id).cloned());
    if let Some(codec) = known.and_then(|any| any.downcast::<C>().ok()) {
        return Ok(codec);
    }
    let codec = Rc::new(fetch_and_parse::<C>(id)?);
    PARSED.with_borrow_mut(|parsed| {
        if parsed.len() >= PARSED_MAX {
            parsed.clear();
        }
        parsed.insert(id, Rc::clone(&codec) as Rc<dyn Any>);
    });
    Ok(codec)
}

fn fetch_and_parse<C: SchemaCodec>(id: u32) -> Result<C, Unusable> {
    let schema: Schema = schema_registry::schema_by_id(id).map_err(Unusable::Registry)?;
    if schema.schema_type != C::SCHEMA_TYPE {
        return Err(Unusable::Schema(format!(
            "schema {id} is a {} schema, not {}",
            schema.schema_type,
            C::SCHEMA_TYPE
        )));
    }
    let references = schema_registry::references(id).map_err(Unusable::Registry)?;
    C::parse(&schema.text, &references).map_err(Unusable::Schema)
}

/// Confluent's wire format: magic byte 0, the schema id (big-endian), then the payload.
pub fn frame(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(5 + payload.len());
    bytes.push(0);
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The schema id and payload of a Confluent-framed record.
pub fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    match bytes {
        [0, a, b, c, d, payload @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), payload)),
        _ => Err(format!(
            "not in Confluent's wire format (magic byte 0, 4-byte schema id, data): {} bytes{}",
            bytes.len(),
            bytes
                .first()
                .map(|m| format!(", first byte {m}"))
                .unwrap_or_default()
        )),
    }
}

fn registry_message(error: &RegistryError) -> String {
    match error {
        RegistryError::NotConfigured => "Schema Registry must be configured when using schemas.".into(),
        RegistryError::NotFound(m) | RegistryError::Rejected(m) | RegistryError::Unavailable(m) => {
            format!("Schema Registry: {m}")
        }
    }
}

fn registry_error(error: RegistryError) -> FormatError {
    let message = registry_message(&error);
    match error {
        RegistryError::NotConfigured => FormatError::RegistryNotConfigured(message),
        _ => FormatError::RegistryFailed(message),
    }
}

/// Implements the `format` world for a [`SchemaCodec`] and exports it.
#[macro_export]
macro_rules! export_schema_format {
    ($codec:ident) => {
        /// The exported format: [`SchemaCodec`]($crate::schema_format::SchemaCodec) batches.
        pub struct SchemaFormat;
        impl $crate::format::exports::krest::plugin::codec::Guest for SchemaFormat {
            fn encode(
                context: $crate::format::exports::krest::plugin::codec::EncodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::string::String>>,
            ) -> ::std::result::Result<
                $crate::format::exports::krest::plugin::codec::Encoded,
                $crate::format::exports::krest::plugin::codec::FormatError,
            > {
                $crate::schema_format::encode::<$codec>(context, values)
            }

            fn decode(
                _context: $crate::format::exports::krest::plugin::codec::DecodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::vec::Vec<u8>>>,
            ) -> ::std::vec::Vec<
                ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
            > {
                $crate::schema_format::decode::<$codec>(values)
            }
        }
        $crate::export_format!(SchemaFormat);
    };
}

#[cfg(test)]
mod tests {
    use super::{frame, unframe};

    #[test]
    fn frames_and_unframes_confluents_wire_format() {
        assert_eq!(frame(258, &[7]), [0, 0, 0, 1, 2, 7]);
        assert_eq!(unframe(&[0, 0, 0, 1, 2, 7]).unwrap(), (258, &[7u8][..]));
        assert_eq!(unframe(&[0, 0, 0, 0, 1]).unwrap(), (1, &[][..]));
        assert!(unframe(&[0, 0, 0, 1]).unwrap_err().contains("4 bytes"));
        assert!(unframe(&[1, 0, 0, 0, 1, 2]).unwrap_err().contains("first byte 1"));
        assert!(unframe(&[]).is_err());
    }
}
