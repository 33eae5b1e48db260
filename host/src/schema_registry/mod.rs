//! Confluent's Schema Registry: the client schema-format plugins reach through the host's
//! `schema-registry` import (`client`), and the registry krest serves itself (`server`):
//! its REST API (`api`, `service`), its state replayed from the `_schemas` topic (`records`,
//! `state`, kept in a `kafka::compacted_topic`), the election of the one instance that writes (`leadership`), and
//! the schema types it parses, prints canonically and checks for compatibility
//! (`schema_types`: Avro, JSON Schema, Protobuf).

mod api;
pub mod client;
pub mod leadership;
mod records;
pub mod schema_types;
pub mod server;
mod service;
mod state;
