//! The built-in plugins, compiled from `plugins/` by `host/build.rs` and embedded here, so a
//! fresh build needs no plugin directory.

pub const BUILTINS: &[(&str, &[u8])] = &[
    ("binary", include_bytes!(concat!(env!("OUT_DIR"), "/binary.wasm"))),
    ("json", include_bytes!(concat!(env!("OUT_DIR"), "/json.wasm"))),
    ("avro", include_bytes!(concat!(env!("OUT_DIR"), "/avro.wasm"))),
    ("basic", include_bytes!(concat!(env!("OUT_DIR"), "/basic.wasm"))),
    ("acl", include_bytes!(concat!(env!("OUT_DIR"), "/acl.wasm"))),
    ("mtls", include_bytes!(concat!(env!("OUT_DIR"), "/mtls.wasm"))),
    ("jwt", include_bytes!(concat!(env!("OUT_DIR"), "/jwt.wasm"))),
    (
        "protobuf",
        include_bytes!(concat!(env!("OUT_DIR"), "/protobuf.wasm")),
    ),
    (
        "jsonschema",
        include_bytes!(concat!(env!("OUT_DIR"), "/jsonschema.wasm")),
    ),
    ("redact", include_bytes!(concat!(env!("OUT_DIR"), "/redact.wasm"))),
    (
        "headers",
        include_bytes!(concat!(env!("OUT_DIR"), "/headers.wasm")),
    ),
    ("filter", include_bytes!(concat!(env!("OUT_DIR"), "/filter.wasm"))),
    ("route", include_bytes!(concat!(env!("OUT_DIR"), "/route.wasm"))),
];
