//! Running plugins: one engine, per-call Stores with a memory cap and a deadline, a fresh
//! instance per call. A plugin that traps, loops, exhausts memory or answers nonsense fails
//! only the call that hit it. What the guest printed is logged under its name, and a Rust
//! panic's message becomes part of the failure.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use prometheus::{register_histogram_vec, register_int_counter_vec, HistogramVec, IntCounterVec};
use serde_json::value::RawValue;
use wasmtime::{Engine, Store, Trap};

use super::bindings::codec::{DecodeContext, EncodeContext, Encoded, FormatError};
use super::bindings::host::CallContext;
use super::bindings::policy::{Action, Denial, Principal, RequestFacts, Target};
use super::bindings::transformer::{Direction, KafkaRecord, Outcome};
use super::compiled::CompileCache;
use super::engine::new_engine;
use super::linkers::Linkers;
use super::output;
use super::plugin::{self, Plugin, Pre, Source};
use super::state::CallState;
use super::warm::{Instance, Warm};
use crate::config::PluginLimits;
use crate::schema_registry::client::RegistryClient;

static CALLS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "krest_plugin_calls_total",
        "Plugin calls by plugin and outcome (ok, trap, timeout, out_of_memory, malformed, busy)",
        &["plugin", "outcome"]
    )
    .expect("unique metric")
});

static DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "krest_plugin_call_duration_seconds",
        "Plugin call latency, instantiation included",
        &["plugin"],
        vec![0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1.0]
    )
    .expect("unique metric")
});

/// Why a plugin call failed; the request that made it gets a 5xx naming the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFailure {
    pub plugin: String,
    pub outcome: &'static str,
    pub detail: String,
}

impl std::fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "plugin `{}` failed ({}): {}",
            self.plugin, self.outcome, self.detail
        )
    }
}

pub struct PluginRuntime {
    engine: Engine,
    compiled: CompileCache,
    linkers: Linkers,
    limits: PluginLimits,
    schema_registry: Option<Arc<RegistryClient>>,
}

impl PluginRuntime {
    /// `cache_dir` keeps compiled plugins across restarts (`None`: compile every time);
    /// `schema_registry` is where schema formats find the registry (`None`: not configured).
    pub fn new(
        limits: PluginLimits,
        cache_dir: Option<PathBuf>,
        schema_registry: Option<RegistryClient>,
    ) -> anyhow::Result<Self> {
        let engine = new_engine(&limits)?;
        let linkers = Linkers::new(&engine)?;
        Ok(PluginRuntime {
            engine,
            compiled: CompileCache::new(cache_dir),
            linkers,
            limits,
            schema_registry: schema_registry.map(Arc::new),
        })
    }

    /// The Schema Registry client schema formats use; `None` when no registry is configured.
    pub fn schema_registry(&self) -> Option<&Arc<RegistryClient>> {
        self.schema_registry.as_ref()
    }

    /// Compiles (or finds compiled) and checks a plugin (see [`plugin::load`]); blocking,
    /// takes milliseconds from the cache, up to seconds to compile.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        sha256: String,
        source: Source,
        config: Vec<(String, String)>,
    ) -> anyhow::Result<Plugin> {
        let component = self
            .compiled
            .component(&self.engine, bytes, &sha256)
            .map_err(|e| anyhow::anyhow!("not a valid component: {e:#}"))?;
        plugin::load(
            &self.engine,
            &self.linkers,
            name,
            component,
            sha256,
            source,
            config,
        )
    }

    /// Encodes JSON texts with a format plugin. The outer error is a plugin failure, the
    /// inner one what the plugin reported about the data or schema.
    pub async fn encode(
        &self,
        plugin: &Plugin,
        context: EncodeContext<'_>,
        values: &[Option<&str>],
    ) -> Result<Result<Encoded, FormatError>, PluginFailure> {
        let result = self
            .call(
                plugin,
                async |store: &mut Store<CallState>, instance: &Instance| {
                    instance
                        .format()?
                        .krest_plugin_codec()
                        .call_encode(store, context, values)
                        .await
                },
            )
            .await?;
        if let Ok(encoded) = &result {
            self.expect_count(plugin, "encode", encoded.records.len(), values.len())?;
        }
        Ok(result)
    }

    /// Decodes Kafka bytes with a format plugin; every decoded text is checked to be JSON.
    pub async fn decode(
        &self,
        plugin: &Plugin,
        context: DecodeContext<'_>,
        values: &[Option<&[u8]>],
    ) -> Result<Vec<Result<Option<Box<RawValue>>, String>>, PluginFailure> {
        let decoded = self
            .call(
                plugin,
                async |store: &mut Store<CallState>, instance: &Instance| {
                    instance
                        .format()?
                        .krest_plugin_codec()
                        .call_decode(store, context, values)
                        .await
                },
            )
            .await?;
        self.expect_count(plugin, "decode", decoded.len(), values.len())?;
        decoded
            .into_iter()
            .map(|item| match item {
                Ok(Some(text)) => RawValue::from_string(text)
                    .map(|json| Ok(Some(json)))
                    .map_err(|e| self.fail(plugin, "malformed", format!("decode returned non-JSON: {e}"))),
                Ok(None) => Ok(Ok(None)),
                Err(message) => Ok(Err(message)),
            })
            .collect()
    }

    /// Applies a transform plugin to a batch of records for `context`'s caller; one outcome
    /// per record, in order.
    pub async fn transform(
        &self,
        plugin: &Plugin,
        context: &CallContext,
        direction: Direction,
        records: &[KafkaRecord],
    ) -> Result<Vec<Outcome>, PluginFailure> {
        let outcomes = self
            .call(
                plugin,
                async |store: &mut Store<CallState>, instance: &Instance| {
                    store.data_mut().set_context(Some(context.clone()));
                    instance
                        .transform()?
                        .krest_plugin_transformer()
                        .call_apply(store, direction, records)
                        .await
                },
            )
            .await?;
        self.expect_count(plugin, "apply", outcomes.len(), records.len())?;
        Ok(outcomes)
    }

    /// Asks an auth plugin who is calling.
    pub async fn authenticate(
        &self,
        plugin: &Plugin,
        facts: &RequestFacts,
    ) -> Result<Result<Principal, Denial>, PluginFailure> {
        self.call(
            plugin,
            async |store: &mut Store<CallState>, instance: &Instance| {
                instance
                    .auth()?
                    .krest_plugin_policy()
                    .call_authenticate(store, facts)
                    .await
            },
        )
        .await
    }

    /// Asks an auth plugin whether `who` may perform `action` on each target; one answer per
    /// target.
    pub async fn authorize(
        &self,
        plugin: &Plugin,
        who: &Principal,
        action: Action,
        targets: &[Target],
    ) -> Result<Vec<Result<(), Denial>>, PluginFailure> {
        let answers = self
            .call(
                plugin,
                async |store: &mut Store<CallState>, instance: &Instance| {
                    instance
                        .auth()?
                        .krest_plugin_policy()
                        .call_authorize(store, who, action, targets)
                        .await
                },
            )
            .await?;
        self.expect_count(plugin, "authorize", answers.len(), targets.len())?;
        Ok(answers)
    }

    /// Instantiates the plugin once with no call, proving it links and starts.
    pub async fn check_instantiates(&self, plugin: &Plugin) -> Result<(), PluginFailure> {
        self.call(plugin, async |_: &mut Store<CallState>, _: &Instance| Ok(()))
            .await
    }

    /// Runs `run` on an instance of `plugin` within the call deadline: a warm one when
    /// `plugins.instances.reuse` is on and one is idle, else a fresh one. The instance is kept
    /// for the next call only after a clean call.
    async fn call<T>(
        &self,
        plugin: &Plugin,
        run: impl AsyncFnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<T>,
    ) -> Result<T, PluginFailure> {
        let reuse = self.reuses(plugin);
        let mut warm = match reuse.then(|| plugin.warm.take()).flatten() {
            Some(warm) => warm,
            None => self.fresh(plugin),
        };
        // Yield to the executor every epoch tick; the timeout below then cancels a spinning guest.
        warm.store.set_epoch_deadline(1);
        let started = Instant::now();
        let result = tokio::time::timeout(self.limits.call_timeout, async {
            if warm.instance.is_none() {
                warm.instance = Some(instantiate(&plugin.pre, &mut warm.store).await?);
            }
            let instance = warm.instance.as_ref().expect("instantiated above");
            run(&mut warm.store, instance).await
        })
        .await;
        warm.store.data_mut().set_context(None);
        let printed = warm.store.data().output().take();
        output::log(&plugin.name, &printed);
        let outcome = match result {
            Err(_) => Err(failure(
                plugin,
                "timeout",
                format!(
                    "did not finish within plugins.call.timeout.ms={}",
                    self.limits.call_timeout.as_millis()
                ),
            )),
            Ok(Err(error)) => Err(classify(plugin, &error, &printed)),
            Ok(Ok(value)) => {
                if reuse {
                    plugin.warm.give_back(warm, self.idle_per_plugin());
                }
                Ok(value)
            }
        };
        DURATION
            .with_label_values(&[&plugin.name])
            .observe(started.elapsed().as_secs_f64());
        self.record(plugin, outcome)
    }

    /// Whether `plugin`'s instances outlive a call (`plugins.instances.reuse`, unless the plugin
    /// is listed in `plugins.instances.fresh`).
    fn reuses(&self, plugin: &Plugin) -> bool {
        self.limits.reuse_instances
            && !self
                .limits
                .fresh_plugins
                .iter()
                .any(|name| **name == *plugin.name)
    }

    /// A Store for `plugin` with nothing instantiated yet.
    fn fresh(&self, plugin: &Plugin) -> Warm {
        let state = CallState::new(
            Arc::clone(&plugin.name),
            Arc::clone(&plugin.config),
            self.schema_registry.clone(),
            self.limits.memory_max_bytes,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state.limits());
        store.epoch_deadline_async_yield_and_update(1);
        Warm {
            store,
            instance: None,
        }
    }

    /// Idle instances one plugin may keep: each holds a slot of `plugins.instances.max`.
    fn idle_per_plugin(&self) -> usize {
        (self.limits.max_instances as usize / 16).max(1)
    }

    /// A `malformed` failure unless a call answered once per input.
    fn expect_count(
        &self,
        plugin: &Plugin,
        call: &str,
        answers: usize,
        inputs: usize,
    ) -> Result<(), PluginFailure> {
        match answers == inputs {
            true => Ok(()),
            false => Err(self.fail(
                plugin,
                "malformed",
                format!("{call} returned {answers} answers for {inputs} inputs"),
            )),
        }
    }

    /// Records a failure found after the call returned (its call was counted as ok).
    fn fail(&self, plugin: &Plugin, outcome: &'static str, detail: String) -> PluginFailure {
        let failure = failure(plugin, outcome, detail);
        tracing::warn!(plugin = &*plugin.name, "{failure}");
        CALLS.with_label_values(&[&plugin.name, outcome]).inc();
        failure
    }

    fn record<T>(&self, plugin: &Plugin, outcome: Result<T, PluginFailure>) -> Result<T, PluginFailure> {
        let label = match &outcome {
            Ok(_) => "ok",
            Err(failure) => {
                tracing::warn!(plugin = &*plugin.name, "{failure}");
                failure.outcome
            }
        };
        CALLS.with_label_values(&[&plugin.name, label]).inc();
        outcome
    }
}

async fn instantiate(pre: &Pre, store: &mut Store<CallState>) -> wasmtime::Result<Instance> {
    Ok(match pre {
        Pre::Format(pre) => Instance::Format(pre.instantiate_async(store).await?),
        Pre::Auth(pre) => Instance::Auth(pre.instantiate_async(store).await?),
        Pre::Transform(pre) => Instance::Transform(pre.instantiate_async(store).await?),
    })
}

fn failure(plugin: &Plugin, outcome: &'static str, detail: String) -> PluginFailure {
    PluginFailure {
        plugin: plugin.name.to_string(),
        outcome,
        detail,
    }
}

/// Names the failure; a trap after a Rust panic carries the panic message from `printed`.
fn classify(plugin: &Plugin, error: &wasmtime::Error, printed: &[u8]) -> PluginFailure {
    let text = format!("{error:#}");
    if text.contains("growing memory") || text.contains("memory allocation") {
        return failure(
            plugin,
            "out_of_memory",
            "exceeded plugins.memory.max.bytes".to_string() + &format!(" ({text})"),
        );
    }
    if text.contains("concurrent") && text.contains("limit") {
        return failure(
            plugin,
            "busy",
            format!("too many plugin calls at once (plugins.instances.max): {text}"),
        );
    }
    match error.downcast_ref::<Trap>() {
        Some(trap) => match output::panic_message(printed) {
            Some(message) => failure(plugin, "trap", format!("panicked: {message} ({trap})")),
            None => failure(plugin, "trap", format!("trapped: {trap}")),
        },
        None => failure(plugin, "trap", text),
    }
}
