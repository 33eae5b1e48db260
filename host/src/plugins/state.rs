//! What a plugin call's Store holds, and the host functions plugins import: logging, their
//! own configuration, the call's context, Schema Registry access. WASI is linked but grants nothing; what the
//! guest writes to stdout and stderr is captured for the log.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::host::{self, CallContext, Level};
use super::bindings::schema_registry::{self, Reference, RegistryError, Schema};
use super::output::{cut, GuestOutput, MAX_LINE};
use crate::schema_registry::client::{RegisteredSchema, RegistryClient, RegistryFailure};

pub struct CallState {
    plugin: Arc<str>,
    config: Arc<[(String, String)]>,
    schema_registry: Option<Arc<RegistryClient>>,
    limits: StoreLimits,
    output: GuestOutput,
    /// Whom the running call serves (set by calls that know it, cleared after each call).
    context: Option<CallContext>,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CallState {
    pub fn new(
        plugin: Arc<str>,
        config: Arc<[(String, String)]>,
        schema_registry: Option<Arc<RegistryClient>>,
        memory_max_bytes: usize,
    ) -> Self {
        let output = GuestOutput::default();
        CallState {
            plugin,
            config,
            schema_registry,
            limits: StoreLimitsBuilder::new()
                .memory_size(memory_max_bytes)
                .trap_on_grow_failure(true)
                .build(),
            // No preopened directories, environment, arguments or sockets.
            wasi: WasiCtx::builder()
                .stdout(output.clone())
                .stderr(output.clone())
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
            output,
            context: None,
            table: ResourceTable::new(),
        }
    }

    /// Sets (or with `None` clears) what `context` answers during the next call.
    pub fn set_context(&mut self, context: Option<CallContext>) {
        self.context = context;
    }

    pub fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }

    /// What the guest wrote to stdout and stderr.
    pub fn output(&self) -> &GuestOutput {
        &self.output
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
        let message = cut(&message, MAX_LINE);
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

    fn context(&mut self) -> CallContext {
        self.context.clone().unwrap_or_else(|| CallContext {
            principal: None,
            request_id: String::new(),
        })
    }
}

/// Schema formats reach the Schema Registry through the host, which caches its answers.
impl schema_registry::Host for CallState {
    async fn schema_by_id(&mut self, id: u32) -> Result<Schema, RegistryError> {
        let registry = self.registry()?;
        registry.schema_by_id(id).await.map(wit_schema).map_err(wit_error)
    }

    async fn register(
        &mut self,
        subject: String,
        schema_type: String,
        text: String,
    ) -> Result<u32, RegistryError> {
        let registry = self.registry()?;
        registry
            .register(&subject, &schema_type, &text)
            .await
            .map_err(wit_error)
    }

    async fn latest(&mut self, subject: String) -> Result<Schema, RegistryError> {
        let registry = self.registry()?;
        registry.latest(&subject).await.map(wit_schema).map_err(wit_error)
    }

    async fn references(&mut self, id: u32) -> Result<Vec<Reference>, RegistryError> {
        let registry = self.registry()?;
        let resolved = registry.references(id).await.map_err(wit_error)?;
        Ok(resolved
            .into_iter()
            .map(|r| Reference {
                name: r.reference.name,
                subject: r.reference.subject,
                version: r.reference.version,
                schema: wit_schema(r.schema),
            })
            .collect())
    }

    async fn version_in_subject(&mut self, subject: String, id: u32) -> Result<u32, RegistryError> {
        let registry = self.registry()?;
        registry.version_in_subject(&subject, id).await.map_err(wit_error)
    }
}

impl CallState {
    fn registry(&self) -> Result<Arc<RegistryClient>, RegistryError> {
        self.schema_registry.clone().ok_or(RegistryError::NotConfigured)
    }
}

fn wit_schema(schema: RegisteredSchema) -> Schema {
    Schema {
        id: schema.id,
        schema_type: schema.schema_type,
        text: schema.text,
    }
}

fn wit_error(failure: RegistryFailure) -> RegistryError {
    match failure {
        RegistryFailure::NotFound(m) => RegistryError::NotFound(m),
        RegistryFailure::Rejected(m) => RegistryError::Rejected(m),
        RegistryFailure::Unavailable(m) => RegistryError::Unavailable(m),
    }
}
