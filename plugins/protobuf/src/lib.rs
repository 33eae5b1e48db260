//! The `protobuf` format (`application/vnd.kafka.protobuf.v2+json`): Protobuf's JSON mapping ⇄
//! Confluent's wire format (magic byte 0, schema id, message indexes, binary), schemas in the registry.

mod indexes;
mod json;
mod schema;

use krest_plugin_sdk::format::krest::plugin::schema_registry::Reference;
use krest_plugin_sdk::schema_format::SchemaCodec;
use prost_reflect::prost::Message as _;
use prost_reflect::DynamicMessage;
use schema::Schema;

impl SchemaCodec for Schema {
    const SCHEMA_TYPE: &'static str = "PROTOBUF";

    fn parse(text: &str, references: &[Reference]) -> Result<Self, String> {
        let schema = Schema::compile(
            text,
            references
                .iter()
                .map(|r| (r.name.as_str(), r.schema.text.as_str())),
        )?;
        schema.first_message()?;
        Ok(schema)
    }

    /// Confluent's proxy writes every record as the file's first message type.
    fn encode(&self, json: &str) -> Result<Vec<u8>, String> {
        let message = json::parse(self.first_message()?, json)?;
        let mut payload = indexes::write(&[0]);
        message.encode(&mut payload).map_err(|e| e.to_string())?;
        Ok(payload)
    }

    /// Reads each record as the message type its indexes name.
    fn decode(&self, payload: &[u8]) -> Result<String, String> {
        let (path, binary) = indexes::read(payload)?;
        let message = DynamicMessage::decode(self.message(&path)?, binary)
            .map_err(|e| format!("invalid Protobuf binary: {e}"))?;
        if let Some(field) = json::missing_required(&message) {
            return Err(format!(
                "invalid Protobuf binary: required field {field} is missing"
            ));
        }
        json::print(message)
    }
}

krest_plugin_sdk::export_schema_format!(Schema);

#[cfg(test)]
mod tests;
