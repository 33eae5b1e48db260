//! The built-in plugins, compiled from `plugins/` by `host/build.rs` and embedded here, so a
//! fresh build needs no plugin directory.

pub const BUILTINS: &[(&str, &[u8])] = &[
    ("binary", include_bytes!(concat!(env!("OUT_DIR"), "/binary.wasm"))),
    ("json", include_bytes!(concat!(env!("OUT_DIR"), "/json.wasm"))),
    ("avro", include_bytes!(concat!(env!("OUT_DIR"), "/avro.wasm"))),
    (
        "jsonschema",
        include_bytes!(concat!(env!("OUT_DIR"), "/jsonschema.wasm")),
    ),
];
