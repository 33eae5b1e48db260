//! The krest plugin SDK: bindings and helpers for writing krest plugins (filled by the plugin-runtime issue).
