//! What a plugin call's Store holds, and the host functions plugins import: logging, their
//! own configuration, Schema Registry access. WASI is linked but grants nothing.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::host::{self, Level};
use super::bindings::schema_registry::{self, RegistryError, Schema};

/// Longest log line a plugin may write; the rest is cut.
const MAX_LOG_LINE: usize = 4096;

pub struct CallState {
    plugin: Arc<str>,
    config: Arc<[(String, String)]>,
    schema_registry_url: Option<Arc<str>>,
    limits: StoreLimits,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CallState {
    pub fn new(
        plugin: Arc<str>,
        config: Arc<[(String, String)]>,
        schema_registry_url: Option<Arc<str>>,
        memory_max_bytes: usize,
    ) -> Self {
        CallState {
            plugin,
            config,
            schema_registry_url,
            limits: StoreLimitsBuilder::new()
                .memory_size(memory_max_bytes)
                .trap_on_grow_failure(true)
                .build(),
            // No preopened directories, environment, arguments or sockets.
            wasi: WasiCtx::builder()
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
            table: ResourceTable::new(),
        }
    }

    pub fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl host::Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
        }
    }

    fn config(&mut self) -> Vec<(String, String)> {
        self.config.to_vec()
    }
}

/// Schema Registry calls are answered once a schema format needs them (the avro issue);
/// until then a configured registry reports itself unavailable rather than guessing.
impl schema_registry::Host for CallState {
    fn schema_by_id(&mut self, _id: u32) -> Result<Schema, RegistryError> {
        Err(self.registry_unavailable())
    }

    fn register(
        &mut self,
        _subject: String,
        _schema_type: String,
        _text: String,
    ) -> Result<u32, RegistryError> {
        Err(self.registry_unavailable())
    }

    fn latest(&mut self, _subject: String) -> Result<Schema, RegistryError> {
        Err(self.registry_unavailable())
    }
}

impl CallState {
    fn registry_unavailable(&self) -> RegistryError {
        match &self.schema_registry_url {
            None => RegistryError::NotConfigured,
            Some(url) => {
                RegistryError::Unavailable(format!("krest does not talk to the Schema Registry at {url} yet"))
            }
        }
    }
}
