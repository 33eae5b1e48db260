//! Confluent's Schema Registry: the client schema-format plugins reach through the host's
//! `schema-registry` import (`client`), and the schema types the registry stores — parsing,
//! canonical text and compatibility for Avro, JSON Schema and Protobuf (`schema_types`).

pub mod client;
pub mod schema_types;
