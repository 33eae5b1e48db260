//! The process's log output: `tracing` events on stderr, filtered by `RUST_LOG` (default
//! `info`), as text lines or, with `log.format=json`, one JSON object per line.

use tracing_subscriber::EnvFilter;

/// `log.format`: how each log line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line: the event's fields at the top level, the request's span
    /// (request id, method, route) under `span`.
    Json,
}

/// Installs the process-wide subscriber; call once, before anything logs.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
