//! The `avro` format (`application/vnd.kafka.avro.v2+json`): values in Avro's JSON encoding,
//! stored in Confluent's wire format (magic byte 0, 4-byte big-endian schema id, Avro binary),
//! schemas registered and looked up through the host's Schema Registry import.

mod codec;

use codec::Codec;
use krest_plugin_sdk::format::krest::plugin::schema_registry::Reference;
use krest_plugin_sdk::schema_format::SchemaCodec;

impl SchemaCodec for Codec {
    const SCHEMA_TYPE: &'static str = "AVRO";

    fn parse(text: &str, references: &[Reference]) -> Result<Self, String> {
        let referenced: Vec<&str> = references.iter().map(|r| r.schema.text.as_str()).collect();
        Codec::parse(text, &referenced)
    }

    fn encode(&self, json: &str) -> Result<Vec<u8>, String> {
        Codec::encode(self, json)
    }

    fn decode(&self, payload: &[u8]) -> Result<String, String> {
        Codec::decode(self, payload)
    }
}

krest_plugin_sdk::export_schema_format!(Codec);

#[cfg(test)]
mod tests;
