//! Builds the built-in plugins in `plugins/` for `wasm32-wasip2`, puts them in `OUT_DIR` to be
//! embedded in the binary, and copies them to `<target>/plugins/` for operators to reuse.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (plugin name, crate in `plugins/`)
const BUILTINS: &[(&str, &str)] = &[
    ("binary", "krest-format-binary"),
    ("json", "krest-format-json"),
    ("avro", "krest-format-avro"),
    ("basic", "krest-auth-basic"),
    ("acl", "krest-auth-acl"),
    ("mtls", "krest-auth-mtls"),
    ("jwt", "krest-auth-jwt"),
    ("protobuf", "krest-format-protobuf"),
    ("jsonschema", "krest-format-jsonschema"),
    ("redact", "krest-transform-redact"),
    ("headers", "krest-transform-headers"),
    ("filter", "krest-transform-filter"),
    ("route", "krest-transform-route"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host/ is inside the workspace");
    for watched in ["plugins", "plugin-sdk", "wit", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = target_dir(&out_dir);
    // A target dir of its own: the outer cargo holds the lock on ours while it runs us.
    let wasm_target_dir = target_dir.join("wasm-plugins");
    let operator_dir = target_dir.join("plugins");
    std::fs::create_dir_all(&operator_dir).expect("create target/plugins");

    for (name, package) in BUILTINS {
        let status = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args([
                "build",
                "--quiet",
                "--package",
                package,
                "--target",
                "wasm32-wasip2",
                "--profile",
                "plugin",
            ])
            .arg("--target-dir")
            .arg(&wasm_target_dir)
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("run cargo");
        if !status.success() {
            panic!(
                "building the built-in plugin `{name}` ({package}) for wasm32-wasip2 failed; \
                 if the target is missing, run `rustup target add wasm32-wasip2`"
            );
        }
        let built = wasm_target_dir
            .join("wasm32-wasip2/plugin")
            .join(format!("{}.wasm", package.replace('-', "_")));
        for destination in [
            out_dir.join(format!("{name}.wasm")),
            operator_dir.join(format!("{name}.wasm")),
        ] {
            std::fs::copy(&built, &destination)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", built.display(), destination.display()));
        }
    }
}

/// `<target>/<profile>/build/<pkg>-<hash>/out` → `<target>`.
fn target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .expect("OUT_DIR is inside the target dir")
        .to_path_buf()
}
