//! `krest plugin compile`: the built-ins and the files in `plugins.dir` compiled ahead of time
//! into `plugins.cache.dir` (e.g. while a container image is built), so `krest serve` loads them
//! from there instead of compiling.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{install_plugin, plugin_wasm, temp_dir, Proxy};

fn compile(settings: &[String]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_krest"));
    command.args(["plugin", "compile"]);
    for setting in settings {
        command.args(["--set", setting]);
    }
    command
        .env_remove("KAFKA_REST_BOOTSTRAP_SERVERS")
        .output()
        .unwrap()
}

/// The cache's entries, sorted, with their modification times.
fn entries(cache: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut entries: Vec<_> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect();
    entries.sort();
    entries
}

#[test]
fn compiles_every_plugin_into_the_cache_that_serve_then_loads() {
    let plugins = temp_dir("krest-compile-plugins");
    install_plugin(&plugins, "allowlist", &plugin_wasm("krest-example-allowlist"));
    let cache = temp_dir("krest-compile-cache");
    let settings = [
        format!("plugins.dir={}", plugins.display()),
        format!("plugins.cache.dir={}", cache.display()),
    ];
    let output = compile(&settings);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let compiled: Vec<&str> = stdout.lines().filter(|l| l.ends_with(": compiled")).collect();
    for name in ["binary", "json", "avro", "allowlist"] {
        assert!(
            compiled.contains(&format!("{name}: compiled").as_str()),
            "{stdout}"
        );
    }
    let cached = entries(&cache);
    assert_eq!(cached.len(), compiled.len(), "one entry per plugin: {cached:?}");
    assert!(
        cached.iter().all(|(name, _)| name.ends_with(".cwasm")),
        "{cached:?}"
    );

    // krest serve finds all of them: it writes nothing new into the cache.
    let mut args: Vec<&str> = vec!["--dev"];
    for setting in &settings {
        args.extend(["--set", setting]);
    }
    let proxy = Proxy::spawn(&args, &[]);
    assert_eq!(entries(&cache), cached);
    drop(proxy);
}

#[test]
fn a_plugin_that_does_not_compile_or_no_cache_fails_the_command() {
    let plugins = temp_dir("krest-compile-bad");
    std::fs::write(plugins.join("broken.wasm"), b"not wasm").unwrap();
    let cache = temp_dir("krest-compile-bad-cache");
    let output = compile(&[
        format!("plugins.dir={}", plugins.display()),
        format!("plugins.cache.dir={}", cache.display()),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("broken: not compiled"), "{stdout}");
    assert!(stdout.contains("binary: compiled"), "{stdout}");

    let output = compile(&["plugins.cache.dir=none".to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plugins.cache.dir is `none`"), "{stderr}");
}
