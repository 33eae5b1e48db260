//! Confluent's Schema Registry: the client schema-format plugins reach through the host's
//! `schema-registry` import (`client`).

pub mod client;
