//! Adapters over `rdkafka`: client configuration per role, consumers, cluster metadata, the shared
//! producer, Kafka's naming rules, and the in-process mock cluster behind `krest serve --dev`.

pub mod client_config;
pub mod consumer;
pub mod dev;
pub mod metadata;
pub mod names;
pub mod producer;
