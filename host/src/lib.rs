//! krest: a Kafka REST proxy compatible with Confluent's REST Proxy (API v2), extended with
//! WebAssembly plugins.
//!
//! Requests flow `http` → service modules (`metadata`, `produce`, `consumers`, through the
//! caller's `clients`) → `kafka` and `plugins`;
//! `config` is read once at start-up, `logging` set up from it, and `app` runs one process
//! from start to exit;
//! `scaffold` is `krest plugin new`.

pub mod app;
pub mod auth;
pub mod clients;
pub mod config;
pub mod consumers;
pub mod dry_run;
pub mod error;
pub mod file_changes;
pub mod http;
pub mod kafka;
pub mod logging;
pub mod metadata;
pub mod plugins;
pub mod produce;
pub mod scaffold;
pub mod schema_registry;
pub mod transforms;
