//! The WebAssembly plugin runtime: the `krest:plugin` bindings, a wasmtime engine with
//! per-call limits, loaded plugins and their warm instances, their captured output, the
//! catalog of active plugins with its built-ins, the on-disk cache of compiled plugins and
//! the directory watcher.

pub mod bindings;
mod builtin;
pub mod catalog;
mod compiled;
pub mod engine;
mod linkers;
mod output;
pub mod plugin;
pub mod runtime;
mod state;
mod warm;
pub mod watcher;
