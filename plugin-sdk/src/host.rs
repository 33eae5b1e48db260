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

#[cfg(target_arch = "wasm32")]
macro_rules! with_host {
    ($host:ident => $body:expr) => {{
        #[cfg(all(feature = "auth", not(feature = "format")))]
        use crate::auth::krest::plugin::host as $host;
        #[cfg(feature = "format")]
        use crate::format::krest::plugin::host as $host;
        #[cfg(all(feature = "transform", not(any(feature = "format", feature = "auth"))))]
        use crate::transform::krest::plugin::host as $host;
        $body
    }};
}

/// Writes one line to krest's log, tagged with this plugin's name.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    with_host!(host => {
        let level = match level {
            Level::Trace => host::Level::Trace,
            Level::Debug => host::Level::Debug,
            Level::Info => host::Level::Info,
            Level::Warn => host::Level::Warn,
            Level::Error => host::Level::Error,
        };
        host::log(level, message)
    });
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// This plugin's configuration (`NAME.toml`, flattened to dotted keys).
pub fn config() -> Vec<(String, String)> {
    #[cfg(target_arch = "wasm32")]
    return with_host!(host => host::config());
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::config()
}

/// One configuration value by its dotted key.
pub fn config_value(key: &str) -> Option<String> {
    config().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Whom the current call serves (WIT `host.call-context`, since krest:plugin 0.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's principal; `None` without auth. On consume, the consumer instance's owner.
    pub principal: Option<String>,
    /// The HTTP request's id (`x-request-id`, or one krest made up).
    pub request_id: String,
}

/// The context of the current call.
pub fn context() -> CallContext {
    #[cfg(target_arch = "wasm32")]
    return with_host!(host => {
        let context = host::context();
        CallContext {
            principal: context.principal,
            request_id: context.request_id,
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::context()
}
