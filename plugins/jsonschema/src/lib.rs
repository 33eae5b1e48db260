//! The `jsonschema` format (`application/vnd.kafka.jsonschema.v2+json`): JSON values checked
//! against a JSON Schema and stored as Confluent's proxy stores them — Confluent's wire format
//! (magic byte 0, 4-byte big-endian schema id) around the JSON its serializer writes.

mod codec;
mod everit;
mod jackson;
mod java;
mod references;

use codec::Codec;
use krest_plugin_sdk::format::krest::plugin::schema_registry::Reference;
use krest_plugin_sdk::schema_format::SchemaCodec;

impl SchemaCodec for Codec {
    const SCHEMA_TYPE: &'static str = "JSON";

    fn parse(text: &str, references: &[Reference]) -> Result<Self, String> {
        Codec::parse(text, references)
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
