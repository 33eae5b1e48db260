//! Host-side bindings of the `krest:plugin` worlds, generated from `wit/`.

pub mod format {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "format",
        imports: { "krest:plugin/schema-registry": async },
        exports: { default: async },
        // Produce hands the request's JSON texts to the plugin without copying them.
        ownership: Borrowing { duplicate_if_necessary: true },
    });
}

pub mod auth {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "auth",
        exports: { default: async },
        with: { "krest:plugin/host": super::format::krest::plugin::host },
    });
}

pub mod transform {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "transform",
        exports: { default: async },
        with: { "krest:plugin/host": super::format::krest::plugin::host },
    });
}

pub use auth::exports::krest::plugin::policy;
pub use format::exports::krest::plugin::codec;
pub use format::krest::plugin::{host, schema_registry};
pub use transform::exports::krest::plugin::transformer;
