//! Adapters over `rdkafka`: client configuration per role, consumers, cluster metadata,
//! compacted topics kept as state,
//! administration (API v3), the shared producer, Kafka's naming rules, and the in-process mock
//! cluster behind `krest serve --dev`.

pub mod admin;
pub mod admin_native;
pub mod client_config;
pub mod compacted_topic;
pub mod consumer;
pub mod dev;
pub mod metadata;
pub mod names;
pub mod producer;
