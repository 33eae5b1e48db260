//! The `avro` format (`application/vnd.kafka.avro.v2+json`): values in Avro's JSON encoding,
//! stored in Confluent's wire format (magic byte 0, 4-byte big-endian schema id, Avro binary),
//! schemas registered and looked up through the host's Schema Registry import.

mod codec;

use std::collections::HashMap;

use codec::Codec;
use krest_plugin_sdk::format::exports::krest::plugin::codec::{
    DecodeContext, EncodeContext, Encoded, FormatError, Guest, Part, SchemaRef,
};
use krest_plugin_sdk::format::krest::plugin::schema_registry::{self, RegistryError, Schema};

pub struct Avro;

impl Guest for Avro {
    fn encode(context: EncodeContext, values: Vec<Option<String>>) -> Result<Encoded, FormatError> {
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
        let (id, codec) = match schema {
            SchemaRef::Text(text) => {
                let codec = Codec::parse(&text).map_err(FormatError::InvalidSchema)?;
                let subject = format!("{}-{part}", context.topic);
                let id = schema_registry::register(&subject, "AVRO", &text).map_err(registry_error)?;
                (id, codec)
            }
            SchemaRef::Id(id) => {
                let schema = schema_registry::schema_by_id(id).map_err(registry_error)?;
                (id, avro_codec(&schema).map_err(FormatError::InvalidSchema)?)
            }
        };
        let records = values
            .into_iter()
            .map(|value| {
                value
                    .map(|json| codec.encode(&json).map(|avro| frame(id, &avro)))
                    .transpose()
            })
            .collect();
        Ok(Encoded {
            schema_id: Some(id),
            records,
        })
    }

    fn decode(_context: DecodeContext, values: Vec<Option<Vec<u8>>>) -> Vec<Result<Option<String>, String>> {
        // Writer schemas of this call, each fetched and parsed once.
        let mut codecs: HashMap<u32, Result<Codec, String>> = HashMap::new();
        values
            .into_iter()
            .map(|value| {
                let Some(bytes) = value else { return Ok(None) };
                let (id, avro) = unframe(&bytes)?;
                let codec = codecs.entry(id).or_insert_with(|| {
                    schema_registry::schema_by_id(id)
                        .map_err(|e| registry_message(&e))
                        .and_then(|schema| avro_codec(&schema))
                        .map_err(|e| format!("writer schema {id}: {e}"))
                });
                match codec {
                    Ok(codec) => codec.decode(avro).map(Some),
                    Err(message) => Err(message.clone()),
                }
            })
            .collect()
    }
}

krest_plugin_sdk::export_format!(Avro);

/// Confluent's wire format: magic byte 0, the schema id (big-endian), then the Avro binary.
fn frame(id: u32, avro: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(5 + avro.len());
    bytes.push(0);
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(avro);
    bytes
}

/// The schema id and Avro binary of a Confluent-framed record.
fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), String> {
    match bytes {
        [0, a, b, c, d, avro @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), avro)),
        _ => Err(format!(
            "not in Confluent's wire format (magic byte 0, 4-byte schema id, Avro data): {} bytes{}",
            bytes.len(),
            bytes
                .first()
                .map(|m| format!(", first byte {m}"))
                .unwrap_or_default()
        )),
    }
}

/// A registry schema parsed as Avro.
fn avro_codec(schema: &Schema) -> Result<Codec, String> {
    if schema.schema_type != "AVRO" {
        return Err(format!(
            "schema {} is a {} schema, not Avro",
            schema.id, schema.schema_type
        ));
    }
    Codec::parse(&schema.text)
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

#[cfg(test)]
mod tests;
