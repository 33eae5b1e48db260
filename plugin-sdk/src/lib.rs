//! The krest plugin SDK: bindings for the `krest:plugin` WIT worlds, host helpers that also
//! work in native unit tests, [`export_simple_format!`] for one-record-at-a-time formats
//! ([`simple::SimpleFormat`], or [`simple::RecordFormat`] with the batch's context) and
//! [`export_schema_format!`] for formats in Confluent's wire format with Schema Registry schemas.
//!
//! Enable the feature of the world your plugin implements (`format`, `auth` or `transform`),
//! implement its `Guest` trait and export it:
//!
//! ```ignore
//! use krest_plugin_sdk::format::exports::krest::plugin::codec::Guest;
//! struct MyFormat;
//! impl Guest for MyFormat { /* encode, decode */ }
//! krest_plugin_sdk::export_format!(MyFormat);
//! ```
//!
//! `krest plugin new NAME --world format|auth|transform` writes a project to start from. Build
//! with `cargo build --target wasm32-wasip2 --profile plugin` (the project's Cargo.toml
//! defines that profile: size-optimised, LTO, stripped) and drop the `.wasm` file into krest's
//! `plugins.dir`. The WIT the bindings come from ships in this crate (`wit/krest.wit`).
//!
//! The export macros only export on `wasm32`, so the same crate also compiles natively for
//! unit tests. In native `cargo test`, [`log`] prints to stderr, and [`config`] and
//! [`context`] return what [`testing::set_config`] (or [`testing::set_config_toml`]) and
//! [`testing::set_context`] set.
//!
//! An instance's configuration never changes (a changed `NAME.toml` gets new instances):
//! [`configured()`] builds what a plugin derives from it (parsed rules, keys) once per instance,
//! and [`config_strings`] reads a TOML array of strings.

// Without a world there is nothing to bind: one clear error instead of many inside the SDK.
// (The SDK's own tests: `cargo test -p krest-plugin-sdk --features format`.)
#[cfg(not(any(doc, feature = "format", feature = "auth", feature = "transform")))]
compile_error!(
    "krest-plugin-sdk: enable the feature of the world your plugin implements: `format`, `auth` \
     or `transform`, e.g. `krest-plugin-sdk = { version = \"0.1\", features = [\"transform\"] }`"
);

#[cfg(feature = "format")]
pub mod format {
    //! Bindings of the `format` world: implement `exports::krest::plugin::codec::Guest`.
    wit_bindgen::generate!({
        path: "wit",
        world: "format",
        pub_export_macro: true,
        export_macro_name: "wit_export_format",
        default_bindings_module: "krest_plugin_sdk::format",
    });
}

#[cfg(feature = "auth")]
pub mod auth {
    //! Bindings of the `auth` world: implement `exports::krest::plugin::policy::Guest`.
    wit_bindgen::generate!({
        path: "wit",
        world: "auth",
        pub_export_macro: true,
        export_macro_name: "wit_export_auth",
        default_bindings_module: "krest_plugin_sdk::auth",
    });
}

#[cfg(feature = "transform")]
pub mod transform {
    //! Bindings of the `transform` world: implement `exports::krest::plugin::transformer::Guest`.
    wit_bindgen::generate!({
        path: "wit",
        world: "transform",
        pub_export_macro: true,
        export_macro_name: "wit_export_transform",
        default_bindings_module: "krest_plugin_sdk::transform",
    });
}

/// Exports a `format` plugin (a type implementing `format::exports::krest::plugin::codec::Guest`).
#[cfg(feature = "format")]
#[macro_export]
macro_rules! export_format {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::format::wit_export_format!($plugin);
    };
}

/// Exports an `auth` plugin (a type implementing `auth::exports::krest::plugin::policy::Guest`).
#[cfg(feature = "auth")]
#[macro_export]
macro_rules! export_auth {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::auth::wit_export_auth!($plugin);
    };
}

/// Exports a `transform` plugin (a type implementing
/// `transform::exports::krest::plugin::transformer::Guest`).
#[cfg(feature = "transform")]
#[macro_export]
macro_rules! export_transform {
    ($plugin:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::transform::wit_export_transform!($plugin);
    };
}

pub mod configured;
mod host;
#[cfg(feature = "format")]
pub mod schema_format;
pub mod simple;
pub mod testing;

pub use configured::configured;
pub use host::{config, config_strings, config_value, context, log, CallContext, Level};
