//! The `host` interface for any world: logging and the plugin's configuration. Outside Wasm
//! (native unit tests) logs go to stderr and configuration comes from [`crate::testing`].

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
