//! A loaded plugin: a compiled component checked against the `krest:plugin` worlds, ready
//! to instantiate, with the facts `GET /plugins` shows.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::Component;
use wasmtime::Engine;

use super::bindings::{auth::AuthPre, format::FormatPre, transform::TransformPre};
use super::linkers::Linkers;
use super::state::CallState;
use super::warm::WarmPool;

/// The `krest:plugin` version this host implements; plugins built against any `0.1.x` load.
pub const WIT_PACKAGE: &str = "krest:plugin";
const WIT_VERSION_PREFIX: &str = "0.1.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Format,
    Auth,
    Transform,
}

impl Kind {
    /// The interface a plugin of this kind exports.
    fn interface(self) -> &'static str {
        match self {
            Kind::Format => "codec",
            Kind::Auth => "policy",
            Kind::Transform => "transformer",
        }
    }

    pub fn world(self) -> &'static str {
        match self {
            Kind::Format => "format",
            Kind::Auth => "auth",
            Kind::Transform => "transform",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Builtin,
    File(PathBuf),
}

/// Ready-to-instantiate component, typed by world.
#[derive(Clone)]
pub enum Pre {
    Format(FormatPre<CallState>),
    Auth(AuthPre<CallState>),
    Transform(TransformPre<CallState>),
}

pub struct Plugin {
    pub name: Arc<str>,
    pub kind: Kind,
    pub source: Source,
    pub sha256: String,
    pub loaded_at: SystemTime,
    /// `NAME.toml`, flattened to dotted keys.
    pub config: Arc<[(String, String)]>,
    pub pre: Pre,
    /// Instances of this version (and configuration) idle between calls.
    pub warm: WarmPool,
}

impl Plugin {
    /// The same compiled plugin with another configuration (and no warm instances).
    pub fn with_config(&self, config: Vec<(String, String)>) -> Plugin {
        Plugin {
            name: Arc::clone(&self.name),
            kind: self.kind,
            source: self.source.clone(),
            sha256: self.sha256.clone(),
            loaded_at: SystemTime::now(),
            config: config.into(),
            pre: self.pre.clone(),
            warm: WarmPool::default(),
        }
    }
}

/// The hex SHA-256 of a plugin file, as `GET /plugins` shows it.
pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Checks which world a compiled `component` (of bytes whose [`sha256`] the caller has)
/// targets and prepares it for instantiation.
pub fn load(
    engine: &Engine,
    linkers: &Linkers,
    name: &str,
    component: Component,
    sha256: String,
    source: Source,
    config: Vec<(String, String)>,
) -> anyhow::Result<Plugin> {
    let kind = kind_of(engine, &component)?;
    let unlinkable = |e: wasmtime::Error| {
        anyhow::anyhow!(
            "cannot link the {} world (it imports something krest does not offer): {e:#}",
            kind.world()
        )
    };
    let pre = match kind {
        Kind::Format => Pre::Format(FormatPre::new(
            linkers.format.instantiate_pre(&component).map_err(unlinkable)?,
        )?),
        Kind::Auth => Pre::Auth(AuthPre::new(
            linkers.auth.instantiate_pre(&component).map_err(unlinkable)?,
        )?),
        Kind::Transform => Pre::Transform(TransformPre::new(
            linkers
                .transform
                .instantiate_pre(&component)
                .map_err(unlinkable)?,
        )?),
    };
    Ok(Plugin {
        name: name.into(),
        kind,
        source,
        sha256,
        loaded_at: SystemTime::now(),
        config: config.into(),
        pre,
        warm: WarmPool::default(),
    })
}

/// The kind follows from the one `krest:plugin/…` interface the component exports.
fn kind_of(engine: &Engine, component: &Component) -> anyhow::Result<Kind> {
    let mut found = Vec::new();
    for (export, item) in component.component_type().exports(engine) {
        let Some(rest) = export.strip_prefix(WIT_PACKAGE).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        if !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            continue;
        }
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let kind = [Kind::Format, Kind::Auth, Kind::Transform]
            .into_iter()
            .find(|k| k.interface() == interface)
            .ok_or_else(|| anyhow::anyhow!("exports unknown interface {export}"))?;
        if !version.starts_with(WIT_VERSION_PREFIX) {
            anyhow::bail!(
                "exports {export}, but this krest implements {WIT_PACKAGE}@{WIT_VERSION_PREFIX}x: rebuild the \
                 plugin against a compatible krest-plugin-sdk"
            );
        }
        found.push(kind);
    }
    match found.as_slice() {
        [kind] => Ok(*kind),
        [] => anyhow::bail!(
            "exports none of {WIT_PACKAGE}/codec, /policy or /transformer: not a krest plugin (build it with \
             krest-plugin-sdk for the format, auth or transform world)"
        ),
        _ => anyhow::bail!("exports several krest plugin interfaces; a plugin targets exactly one world"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PluginLimits;
    use crate::plugins::engine::new_engine;

    /// A component exporting one function `f` under the instance name `export`.
    fn component_exporting(export: &str) -> String {
        format!(
            r#"(component
                (core module $m (func (export "f")))
                (core instance $i (instantiate $m))
                (func $f (canon lift (core func $i "f")))
                (instance $api (export "f" (func $f)))
                (export "{export}" (instance $api)))"#
        )
    }

    fn load_text(text: &str) -> anyhow::Result<Plugin> {
        let limits = PluginLimits {
            call_timeout: std::time::Duration::from_secs(1),
            memory_max_bytes: 1 << 20,
            max_instances: 4,
            reuse_instances: true,
            fresh_plugins: Vec::new(),
        };
        let engine = new_engine(&limits)?;
        let linkers = Linkers::new(&engine)?;
        let component =
            Component::new(&engine, text).map_err(|e| anyhow::anyhow!("not a valid component: {e:#}"))?;
        load(
            &engine,
            &linkers,
            "t",
            component,
            sha256(text.as_bytes()),
            Source::Builtin,
            Vec::new(),
        )
    }

    fn error(text: &str) -> String {
        format!("{:#}", load_text(text).err().expect("load must fail"))
    }

    #[test]
    fn an_incompatible_package_version_is_refused() {
        let message = error(&component_exporting("krest:plugin/codec@0.2.0"));
        assert!(message.contains("exports krest:plugin/codec@0.2.0"), "{message}");
        assert!(message.contains("krest:plugin@0.1.x"), "{message}");
    }

    #[test]
    fn components_that_are_not_plugins_are_refused() {
        let message = error(&component_exporting("example:other/api@1.0.0"));
        assert!(message.contains("not a krest plugin"), "{message}");
        assert!(error("(module)").contains("not a valid component"));
    }

    #[test]
    fn the_right_interface_with_the_wrong_functions_does_not_link() {
        let message = error(&component_exporting("krest:plugin/codec@0.1.0"));
        assert!(message.contains("does not have export `encode`"), "{message}");
    }

    #[test]
    fn components_using_the_async_component_model_are_refused() {
        // An async function lifted with a callback: valid for wasmtime's default engine.
        let text = r#"(component
            (core module $m
                (func (export "f") (result i32) i32.const 0)
                (func (export "cb") (param i32 i32 i32) (result i32) i32.const 0))
            (core instance $i (instantiate $m))
            (type $ft (func async))
            (func $f (type $ft) (canon lift (core func $i "f") async (callback (core func $i "cb"))))
            (instance $api (export "f" (func $f)))
            (export "krest:plugin/codec@0.1.0" (instance $api)))"#;
        let default_engine = Engine::new(wasmtime::Config::new().wasm_component_model(true)).unwrap();
        Component::new(&default_engine, text).expect("valid with concurrency support");
        let message = error(text);
        assert!(message.contains("not a valid component"), "{message}");
        assert!(message.contains("async"), "{message}");
    }
}
