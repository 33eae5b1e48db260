//! The `host` interface for any world: logging, the plugin's configuration and the call's
//! context. Outside Wasm (native unit tests) logs go to stderr, configuration and context
//! come from [`crate::testing`].

/// Log levels, as in the WIT `host.level` enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Whom the current call serves (WIT `host.call-context`, since krest:plugin 0.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's principal; `None` without auth. On consume, the consumer instance's owner.
    pub principal: Option<String>,
    /// The HTTP request's id (`x-request-id`, or one krest made up).
    pub request_id: String,
}

/// Writes one line to krest's log, tagged with this plugin's name.
pub fn log(level: Level, message: &str) {
    imports::log(level, message)
}

/// This plugin's configuration (`NAME.toml`, flattened to dotted keys).
pub fn config() -> Vec<(String, String)> {
    crate::configured::pairs().to_vec()
}

/// One configuration value by its dotted key.
pub fn config_value(key: &str) -> Option<String> {
    let pairs = crate::configured::pairs();
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// A configuration value written in `NAME.toml` as an array of strings (`fields = ["a", "b"]`),
/// which reaches the plugin as the array's TOML text; `None` when it is not such an array.
pub fn config_strings(text: &str) -> Option<Vec<String>> {
    match text.parse::<toml::Value>() {
        Ok(toml::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(text) => Some(text),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The configuration as the host has it (asked once per instance, see [`crate::configured`]).
pub(crate) fn fetch_config() -> Vec<(String, String)> {
    imports::config()
}

/// Counts configuration changes (only native tests have any): see [`crate::configured`].
pub(crate) fn config_generation() -> u64 {
    imports::config_generation()
}

/// The context of the current call.
pub fn context() -> CallContext {
    imports::context()
}

/// The host's imports, through the bindings of the world the plugin enabled.
#[cfg(all(
    target_arch = "wasm32",
    any(feature = "format", feature = "auth", feature = "transform")
))]
mod imports {
    use super::{CallContext, Level};
    #[cfg(all(feature = "auth", not(feature = "format")))]
    use crate::auth::krest::plugin::host;
    #[cfg(feature = "format")]
    use crate::format::krest::plugin::host;
    #[cfg(all(feature = "transform", not(any(feature = "format", feature = "auth"))))]
    use crate::transform::krest::plugin::host;

    pub fn log(level: Level, message: &str) {
        let level = match level {
            Level::Trace => host::Level::Trace,
            Level::Debug => host::Level::Debug,
            Level::Info => host::Level::Info,
            Level::Warn => host::Level::Warn,
            Level::Error => host::Level::Error,
        };
        host::log(level, message)
    }

    pub fn config() -> Vec<(String, String)> {
        host::config()
    }

    /// An instance's configuration never changes.
    pub fn config_generation() -> u64 {
        0
    }

    pub fn context() -> CallContext {
        let context = host::context();
        CallContext {
            principal: context.principal,
            request_id: context.request_id,
        }
    }
}

/// Natively (unit tests): stderr and what [`crate::testing`] set.
#[cfg(not(all(
    target_arch = "wasm32",
    any(feature = "format", feature = "auth", feature = "transform")
)))]
mod imports {
    use super::{CallContext, Level};

    pub fn log(level: Level, message: &str) {
        eprintln!("[{level:?}] {message}");
    }

    pub fn config() -> Vec<(String, String)> {
        crate::testing::config()
    }

    pub fn config_generation() -> u64 {
        crate::testing::config_generation()
    }

    pub fn context() -> CallContext {
        crate::testing::context()
    }
}
