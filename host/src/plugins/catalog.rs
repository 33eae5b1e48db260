//! Plugins by name: the built-in ones, overridden by `NAME.wasm` files in `plugins.dir`.
//! The active set is swapped atomically, so in-flight calls finish on the version they
//! started with; a file that fails to load never replaces a working plugin. Files whose
//! content (and configuration) did not change since they were last loaded or rejected are
//! left alone, so a bad file is rejected and logged once, not at every touch.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;
use tracing::{info, warn};

use super::builtin::BUILTINS;
use super::plugin::{self, Kind, Plugin, Source};
use super::runtime::PluginRuntime;

/// One row of `GET /plugins`.
#[derive(Debug, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub kind: Option<Kind>,
    /// `builtin` or `file`.
    pub source: Option<&'static str>,
    pub path: Option<String>,
    pub sha256: Option<String>,
    /// RFC 3339.
    pub loaded_at: Option<String>,
    /// Why the newest file of this name was not loaded, if it was not.
    pub last_error: Option<String>,
}

pub struct PluginCatalog {
    runtime: Arc<PluginRuntime>,
    dir: Option<PathBuf>,
    builtins: BTreeMap<String, Arc<Plugin>>,
    active: ArcSwap<BTreeMap<String, Arc<Plugin>>>,
    errors: Mutex<BTreeMap<String, String>>,
    /// What each name's files held when they were last loaded or rejected. Its lock
    /// serializes updates; readers never wait on it.
    seen: Mutex<BTreeMap<String, Fingerprint>>,
}

impl PluginCatalog {
    /// Loads the built-in plugins and every `*.wasm` in `dir`. Blocking: call it from a
    /// blocking thread inside the tokio runtime.
    pub fn new(runtime: Arc<PluginRuntime>, dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut builtins = BTreeMap::new();
        for (name, bytes) in BUILTINS {
            let plugin = runtime.load(name, bytes, plugin::sha256(bytes), Source::Builtin, Vec::new())?;
            builtins.insert(name.to_string(), Arc::new(plugin));
        }
        let catalog = PluginCatalog {
            runtime,
            dir,
            active: ArcSwap::from_pointee(builtins.clone()),
            builtins,
            errors: Mutex::new(BTreeMap::new()),
            seen: Mutex::new(BTreeMap::new()),
        };
        if let Some(dir) = &catalog.dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| anyhow::anyhow!("cannot read plugins.dir {}: {e}", dir.display()))?;
            let mut names: Vec<String> = entries
                .filter_map(|entry| plugin_name(&entry.ok()?.path()))
                .collect();
            names.sort();
            names.dedup();
            for name in names {
                catalog.sync(&name);
            }
        }
        Ok(catalog)
    }

    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The active format plugin called `name`.
    pub fn format(&self, name: &str) -> Option<Arc<Plugin>> {
        self.of_kind(name, Kind::Format)
    }

    /// The active auth plugin called `name`.
    pub fn auth(&self, name: &str) -> Option<Arc<Plugin>> {
        self.of_kind(name, Kind::Auth)
    }

    /// The active plugin called `name`, of any kind.
    pub fn get(&self, name: &str) -> Option<Arc<Plugin>> {
        self.active.load().get(name).cloned()
    }

    /// The active transform plugin called `name`.
    pub fn transform(&self, name: &str) -> Option<Arc<Plugin>> {
        self.of_kind(name, Kind::Transform)
    }

    fn of_kind(&self, name: &str, kind: Kind) -> Option<Arc<Plugin>> {
        self.active.load().get(name).filter(|p| p.kind == kind).cloned()
    }

    pub fn list(&self) -> Vec<PluginInfo> {
        let active = self.active.load();
        let errors = self.errors.lock().expect("errors lock");
        let mut names: Vec<&String> = active.keys().chain(errors.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let plugin = active.get(name);
                PluginInfo {
                    name: name.clone(),
                    kind: plugin.map(|p| p.kind),
                    source: plugin.map(|p| match p.source {
                        Source::Builtin => "builtin",
                        Source::File(_) => "file",
                    }),
                    path: plugin.and_then(|p| match &p.source {
                        Source::File(path) => Some(path.display().to_string()),
                        Source::Builtin => None,
                    }),
                    sha256: plugin.map(|p| p.sha256.clone()),
                    loaded_at: plugin.map(|p| humantime::format_rfc3339_millis(p.loaded_at).to_string()),
                    last_error: errors.get(name).cloned(),
                }
            })
            .collect()
    }

    /// Brings plugin `name` in line with `plugins.dir`: loads a new or changed `NAME.wasm`
    /// (with `NAME.toml`), or falls back to the built-in (or nothing) when the file is gone.
    /// Files that hold what they held at the last attempt, loaded or rejected, are skipped.
    /// Blocking; call from a blocking thread inside the tokio runtime.
    pub fn sync(&self, name: &str) {
        let Some(dir) = &self.dir else { return };
        let mut seen = self.seen.lock().expect("update lock");
        let path = dir.join(format!("{name}.wasm"));
        let outcome = match PluginFiles::read(&path) {
            Ok(None) => match (
                self.builtins.get(name),
                read_optional(&path.with_extension("toml")),
            ) {
                // A built-in configured by `NAME.toml` alone.
                (Some(builtin), Ok(Some(config))) => {
                    let fingerprint = Fingerprint {
                        sha256: builtin.sha256.clone(),
                        config: Some(config),
                    };
                    if seen.get(name) == Some(&fingerprint) {
                        return;
                    }
                    let outcome = self.configure_builtin(builtin, &path.with_extension("toml"), &fingerprint);
                    seen.insert(name.to_string(), fingerprint);
                    outcome
                }
                (_, Err(message)) => Err(message),
                _ => {
                    seen.remove(name);
                    self.remove_file_plugin(name);
                    Ok(())
                }
            },
            Ok(Some(files)) => {
                if seen.get(name) == Some(&files.fingerprint) {
                    return;
                }
                let outcome = self.install(name, &path, &files);
                seen.insert(name.to_string(), files.fingerprint);
                outcome
            }
            Err(message) => Err(message),
        };
        self.record(name, outcome);
    }

    /// Clears or sets the error `GET /plugins` shows for `name`, logging a new one.
    fn record(&self, name: &str, outcome: Result<(), String>) {
        let mut errors = self.errors.lock().expect("errors lock");
        match outcome {
            Ok(()) => {
                errors.remove(name);
            }
            Err(message) => {
                let serving = match self.active.load().get(name) {
                    Some(plugin) => {
                        format!("the previous `{name}` ({}) keeps serving", short(&plugin.sha256))
                    }
                    None => format!("no plugin `{name}` is active"),
                };
                warn!(plugin = name, "{message}; {serving}");
                errors.insert(name.to_string(), message);
            }
        }
    }

    fn install(&self, name: &str, path: &Path, files: &PluginFiles) -> Result<(), String> {
        if !valid_name(name) {
            return Err(format!(
                "`{name}` is not a valid plugin name: use lower-case letters, digits, `-` and `_`"
            ));
        }
        let config = match &files.fingerprint.config {
            Some(bytes) => parse_config(&path.with_extension("toml"), bytes)?,
            None => Vec::new(),
        };
        let current = self.active.load().get(name).cloned();
        let sha256 = files.fingerprint.sha256.clone();
        if let Some(current) = &current {
            if current.source != Source::Builtin && current.sha256 == sha256 && *current.config == *config {
                return Ok(());
            }
        }
        let plugin = self
            .runtime
            .load(
                name,
                &files.bytes,
                sha256.clone(),
                Source::File(path.to_path_buf()),
                config,
            )
            .map_err(|e| format!("{} rejected: {e:#}", path.display()))?;
        let established = current.as_ref().or(self.builtins.get(name));
        if let Some(established) = established {
            if established.kind != plugin.kind {
                return Err(format!(
                    "{} rejected: it is a {} plugin but `{name}` is a {} plugin",
                    path.display(),
                    plugin.kind.world(),
                    established.kind.world()
                ));
            }
        }
        tokio::runtime::Handle::current()
            .block_on(self.runtime.check_instantiates(&plugin))
            .map_err(|e| format!("{} rejected: {e}", path.display()))?;
        info!(
            plugin = name,
            kind = plugin.kind.world(),
            sha256 = short(&sha256),
            "plugin loaded from {}",
            path.display()
        );
        self.swap(|plugins| {
            plugins.insert(name.to_string(), Arc::new(plugin));
        });
        Ok(())
    }

    /// Serves the built-in `builtin` with the configuration in `toml`.
    fn configure_builtin(
        &self,
        builtin: &Plugin,
        toml: &Path,
        fingerprint: &Fingerprint,
    ) -> Result<(), String> {
        let bytes = fingerprint.config.as_deref().unwrap_or_default();
        let configured = builtin.with_config(parse_config(toml, bytes)?);
        info!(
            plugin = &*builtin.name,
            "built-in plugin configured by {}",
            toml.display()
        );
        self.swap(|plugins| {
            plugins.insert(builtin.name.to_string(), Arc::new(configured));
        });
        Ok(())
    }

    /// Back to the built-in of this name as built (or nothing) after its files went away.
    fn remove_file_plugin(&self, name: &str) {
        let is_file = match (self.active.load().get(name), self.builtins.get(name)) {
            (Some(active), Some(builtin)) => !Arc::ptr_eq(active, builtin),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !is_file {
            return;
        }
        let builtin = self.builtins.get(name).cloned();
        match &builtin {
            Some(_) => info!(
                plugin = name,
                "plugin file removed; the built-in `{name}` serves again"
            ),
            None => info!(plugin = name, "plugin file removed; `{name}` unloaded"),
        }
        self.swap(|plugins| match builtin {
            Some(builtin) => {
                plugins.insert(name.to_string(), builtin);
            }
            None => {
                plugins.remove(name);
            }
        });
    }

    fn swap(&self, change: impl FnOnce(&mut BTreeMap<String, Arc<Plugin>>)) {
        let mut plugins = BTreeMap::clone(&self.active.load());
        change(&mut plugins);
        self.active.store(Arc::new(plugins));
    }
}

/// What a plugin's files held when the catalog read them.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    /// Of `NAME.wasm`.
    sha256: String,
    /// `NAME.toml`, if there is one.
    config: Option<Vec<u8>>,
}

/// `NAME.wasm` and the fingerprint of it and `NAME.toml`.
struct PluginFiles {
    bytes: Vec<u8>,
    fingerprint: Fingerprint,
}

impl PluginFiles {
    /// Reads `NAME.wasm` (at `path`) and `NAME.toml` beside it; `None` when `NAME.wasm` is gone.
    fn read(path: &Path) -> Result<Option<PluginFiles>, String> {
        let Some(bytes) = read_optional(path)? else {
            return Ok(None);
        };
        let config = read_optional(&path.with_extension("toml"))?;
        let sha256 = plugin::sha256(&bytes);
        Ok(Some(PluginFiles {
            bytes,
            fingerprint: Fingerprint { sha256, config },
        }))
    }
}

/// A file's bytes; `None` when there is no such file.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `dir/NAME.wasm` or `dir/NAME.toml` → `NAME`; other files (temporary files included) → none.
pub fn plugin_name(path: &Path) -> Option<String> {
    let extension = path.extension()?.to_str()?;
    if extension != "wasm" && extension != "toml" {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (!stem.starts_with('.')).then(|| stem.to_string())
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn short(sha256: &str) -> &str {
    &sha256[..12.min(sha256.len())]
}

/// `NAME.toml` (at `path`) flattened to dotted keys.
fn parse_config(path: &Path, bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?;
    let mut pairs = Vec::new();
    flatten("", &table, &mut pairs);
    Ok(pairs)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            toml::Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::bindings::host::CallContext;
    use crate::plugins::bindings::transformer;

    #[test]
    fn names_come_from_wasm_and_toml_files_only() {
        assert_eq!(plugin_name(Path::new("/p/json.wasm")).as_deref(), Some("json"));
        assert_eq!(plugin_name(Path::new("/p/json.toml")).as_deref(), Some("json"));
        assert_eq!(plugin_name(Path::new("/p/json.wasm.tmp")), None);
        assert_eq!(plugin_name(Path::new("/p/.json.wasm")), None);
        assert!(valid_name("my-format_2") && !valid_name("My") && !valid_name("a.b"));
    }

    #[test]
    fn toml_config_is_flattened_to_dotted_keys() {
        let table: toml::Table = "mode = \"x\"\n[codec]\nstrict = true\nlimit = 3\n"
            .parse()
            .unwrap();
        let mut pairs = Vec::new();
        flatten("", &table, &mut pairs);
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("codec.limit".to_string(), "3".to_string()),
                ("codec.strict".to_string(), "true".to_string()),
                ("mode".to_string(), "x".to_string())
            ]
        );
    }

    /// The built-in `name`, configured as a `NAME.toml` holding `toml` configures it, with a
    /// runtime to call it.
    fn load_builtin(name: &str, toml: &str) -> (PluginRuntime, Plugin) {
        let limits = crate::config::PluginLimits {
            call_timeout: std::time::Duration::from_secs(10),
            memory_max_bytes: 64 << 20,
            max_instances: 4,
            reuse_instances: false,
            fresh_plugins: Vec::new(),
        };
        let runtime = PluginRuntime::new(limits, None, None).unwrap();
        let (_, bytes) = BUILTINS.iter().find(|(n, _)| *n == name).expect("a built-in");
        let config = parse_config(Path::new(&format!("{name}.toml")), toml.as_bytes()).unwrap();
        let plugin = runtime
            .load(name, bytes, plugin::sha256(bytes), Source::Builtin, config)
            .unwrap();
        (runtime, plugin)
    }

    /// Runs the built-in transform `name` configured by `toml`.
    async fn apply_builtin(
        name: &str,
        toml: &str,
        direction: transformer::Direction,
        records: &[transformer::KafkaRecord],
    ) -> Vec<transformer::Outcome> {
        let (runtime, plugin) = load_builtin(name, toml);
        assert_eq!(plugin.kind, Kind::Transform, "{name}");
        let context = CallContext {
            principal: Some("alice".into()),
            request_id: "req-1".into(),
        };
        runtime
            .transform(&plugin, &context, direction, records)
            .await
            .unwrap()
    }

    /// The built-in `binary` format (Wasm SIMD Base64) accepts and refuses exactly what the
    /// `base64` crate's standard engine does, and codes the same bytes: random values of 0–300
    /// bytes, each encoding altered at every position (a character replaced; padding dropped
    /// or doubled).
    #[tokio::test]
    async fn the_built_in_binary_format_codes_base64_as_the_base64_crate() {
        use base64::Engine;

        use crate::plugins::bindings::codec::{DecodeContext, EncodeContext, Part};
        let reference = base64::engine::general_purpose::STANDARD;
        let (runtime, plugin) = load_builtin("binary", "");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let replacements = ["A", "/", "+", "=", "-", "_", " ", "\\n", "z", "é"];
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let encoded = reference.encode(&bytes);
            let mut variants = vec![
                encoded.clone(),
                encoded.trim_end_matches('=').to_string(),
                format!("{encoded}="),
                format!("{encoded}=="),
            ];
            for position in 0..encoded.len() {
                let replacement = replacements[next() as usize % replacements.len()];
                variants.push(format!(
                    "{}{replacement}{}",
                    &encoded[..position],
                    &encoded[position + 1..]
                ));
            }
            let texts: Vec<String> = variants.iter().map(|v| format!("\"{v}\"")).collect();
            let texts: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
            let context = EncodeContext {
                topic: "t",
                part: Part::Value,
                schema: None,
            };
            let encoded_records = runtime
                .encode(&plugin, context, &texts)
                .await
                .unwrap()
                .unwrap()
                .records;
            for (variant, ours) in variants.iter().zip(encoded_records) {
                let theirs = reference.decode(variant.replace("\\n", "\n")).ok();
                assert_eq!(ours.ok().flatten(), theirs, "decoding {variant:?}");
            }
            let context = DecodeContext {
                topic: "t",
                part: Part::Value,
            };
            let decoded = runtime.decode(&plugin, context, &[Some(&bytes)]).await.unwrap();
            let text = decoded[0].as_ref().unwrap().as_ref().unwrap().get().to_string();
            assert_eq!(text, format!("\"{encoded}\""));
        }
    }

    #[tokio::test]
    async fn the_built_in_transforms_follow_their_toml() {
        use transformer::{Direction, Header, KafkaRecord, Outcome};
        let record = |value: &str| KafkaRecord {
            topic: "orders".into(),
            partition: Some(1),
            offset: None,
            key: None,
            value: Some(value.as_bytes().to_vec()),
            headers: vec![Header {
                name: "x-principal".into(),
                value: Some(b"mallory".to_vec()),
            }],
            timestamp: Some(1),
        };
        let replaced = |outcome: &Outcome| match outcome {
            Outcome::Replace(record) => record.clone(),
            other => panic!("expected a replacement, got {other:?}"),
        };

        let redacted = apply_builtin(
            "redact",
            "fields = [\"ssn\", \"card.number\"]",
            Direction::Produce,
            &[
                record(r#"{"name":"a","ssn":"123-45-6789"}"#),
                record(r#"{"name":"b"}"#),
            ],
        )
        .await;
        assert_eq!(
            replaced(&redacted[0]).value.as_deref(),
            Some(&br#"{"name":"a","ssn":"***"}"#[..])
        );
        assert!(matches!(redacted[1], Outcome::Keep));

        let stamped = apply_builtin(
            "headers",
            r#"
            principal_header = "x-principal"
            request_id_header = "x-request-id"
            timestamp = "now"
            [add]
            x-via = "krest"
            "#,
            Direction::Produce,
            &[record("{}")],
        )
        .await;
        let stamped = replaced(&stamped[0]);
        let headers: Vec<(&str, &[u8])> = stamped
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_deref().unwrap()))
            .collect();
        assert_eq!(
            headers,
            [
                ("x-via", &b"krest"[..]),
                ("x-principal", b"alice"),
                ("x-request-id", b"req-1")
            ]
        );
        assert!(
            stamped.timestamp.unwrap() > 1_600_000_000_000,
            "the guest reads the clock"
        );

        let filtered = apply_builtin(
            "filter",
            "[[drop]]\npath = \"type\"\nequals = \"heartbeat\"\n[[drop]]\npath = \"n\"\nmatches = '^4\\d$'",
            Direction::Consume,
            &[
                record(r#"{"type":"heartbeat"}"#),
                record(r#"{"type":"order","n":7}"#),
                record(r#"{"n":42}"#),
            ],
        )
        .await;
        assert!(matches!(
            filtered[..],
            [Outcome::Drop, Outcome::Keep, Outcome::Drop]
        ));

        let routed = apply_builtin(
            "route",
            "field = \"region\"\ndefault = \"error\"\n[map]\neu = \"orders-eu\"",
            Direction::Produce,
            &[record(r#"{"region":"eu"}"#), record(r#"{"region":"us"}"#)],
        )
        .await;
        let eu = replaced(&routed[0]);
        assert_eq!((eu.topic.as_str(), eu.partition), ("orders-eu", None));
        assert!(matches!(&routed[1], Outcome::Error(m) if m.contains("`us` is not in [map]")));

        let broken = apply_builtin("route", "", Direction::Produce, &[record("{}")]).await;
        assert!(matches!(&broken[0], Outcome::Error(m) if m.starts_with("route.toml: ")));
    }
}
