//! Plugins in other languages: the Python (componentize-py) and JavaScript (componentize-js)
//! example transforms build with their scripts, load into a running krest as transforms and,
//! called through the plugin runtime, stamp their header. Also prints their size and per-call
//! time, fresh and warm, beside the Rust example's (for docs/plugins.md; never asserted):
//! `cargo test -p krest --test plugin_languages -- --nocapture`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use krest::config::PluginLimits;
use krest::plugins::bindings::host::CallContext;
use krest::plugins::bindings::transformer::{Direction, Header, KafkaRecord, Outcome};
use krest::plugins::plugin::{Plugin, Source};
use krest::plugins::runtime::PluginRuntime;
use serde_json::json;
use sha2::{Digest, Sha256};
use support::{
    create_topic, http, install_plugin, plugin_list, plugin_wasm, send_json, stored, target_dir, temp_dir,
    unique, Proxy,
};

/// Runs `examples/EXAMPLE/build.sh OUT` (the test venv's componentize-py, npm's
/// componentize-js); returns the component.
fn build_example(example: &str, out: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}/build.sh"));
    let output = Command::new("bash")
        .arg(&script)
        .arg(out)
        .env("KREST_TEST_PYTHON", support::python())
        .output()
        .expect("run build.sh");
    assert!(
        output.status.success(),
        "{example}/build.sh: {}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert_eq!(Path::new(&printed), out, "build.sh prints the component's path");
    out.to_path_buf()
}

/// The two examples, built once per test process: (plugin name, header it adds, component).
fn examples() -> Vec<(&'static str, &'static str, PathBuf)> {
    static BUILT: std::sync::OnceLock<Vec<(&'static str, &'static str, PathBuf)>> =
        std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = target_dir().join("plugin-languages");
            vec![
                (
                    "py-stamp",
                    "x-python",
                    build_example("python-transform", &out.join("python-transform.wasm")),
                ),
                (
                    "js-stamp",
                    "x-javascript",
                    build_example("js-transform", &out.join("js-transform.wasm")),
                ),
            ]
        })
        .clone()
}

fn record(topic: &str) -> KafkaRecord {
    KafkaRecord {
        topic: topic.to_string(),
        partition: None,
        offset: None,
        key: Some(b"k".to_vec()),
        value: Some(
            br#"{"id":12345,"name":"krest","tags":["kafka","rest"],"price":12.5,"ok":true}"#.to_vec(),
        ),
        headers: vec![Header {
            name: "kept".into(),
            value: None,
        }],
        timestamp: Some(1_700_000_000_000),
    }
}

/// A runtime like krest's defaults; `cache` keeps compiled plugins (`None`: compile each load).
fn runtime(reuse_instances: bool, cache: Option<PathBuf>) -> PluginRuntime {
    let limits = PluginLimits {
        call_timeout: Duration::from_secs(10),
        memory_max_bytes: 64 << 20,
        max_instances: 128,
        reuse_instances,
        fresh_plugins: Vec::new(),
    };
    PluginRuntime::new(limits, cache, None).expect("a plugin runtime")
}

fn load(runtime: &PluginRuntime, name: &str, wasm: &Path) -> (Plugin, Duration) {
    let bytes = std::fs::read(wasm).unwrap();
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let started = Instant::now();
    let plugin = runtime
        .load(name, &bytes, sha256, Source::File(wasm.to_path_buf()), Vec::new())
        .unwrap_or_else(|e| panic!("{name} does not load: {e:#}"));
    (plugin, started.elapsed())
}

/// Mean time of one `apply` call of `batch` records, after a few unmeasured calls.
async fn per_call(runtime: &PluginRuntime, plugin: &Plugin, batch: usize, calls: u32) -> Duration {
    let context = CallContext {
        principal: None,
        request_id: "bench".into(),
    };
    let records = vec![record("bench"); batch];
    for _ in 0..3 {
        runtime
            .transform(plugin, &context, Direction::Produce, &records)
            .await
            .unwrap();
    }
    let started = Instant::now();
    for _ in 0..calls {
        runtime
            .transform(plugin, &context, Direction::Produce, &records)
            .await
            .unwrap();
    }
    started.elapsed() / calls
}

/// Both load into a running krest and, as its `transforms`, stamp a record produced through
/// it: Kafka holds the record with both headers.
#[tokio::test]
async fn python_and_javascript_transforms_load_into_krest_and_stamp_produced_records() {
    let topic = unique("languages");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-languages");
    // Compiling each takes 10–40 s: done here, into the cache krest starts from, so that krest
    // starts in seconds once the built-ins are compiled there too.
    let compiled = target_dir().join("plugin-languages/compiled");
    let runtime = runtime(true, Some(compiled.clone()));
    for (name, _, wasm) in examples() {
        load(&runtime, name, &wasm);
        install_plugin(&dir, name, &wasm);
    }
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        &format!("plugins.cache.dir={}", compiled.display()),
        "--set",
        "transforms=py-stamp,js-stamp",
    ]);
    let plugins = plugin_list(&proxy).await;
    for (name, _, _) in examples() {
        let entry = plugins.iter().find(|p| p["name"] == name);
        let entry = entry.unwrap_or_else(|| panic!("{name} not listed: {plugins:?}"));
        assert_eq!(
            (&entry["kind"], &entry["last_error"]),
            (&json!("transform"), &json!(null)),
            "{entry}"
        );
    }
    let (status, body) = send_json(
        http().post(proxy.url(&format!("/topics/{topic}"))),
        Some(json!({"records": [{"value": "a3Jlc3Q="}]})),
        "application/vnd.kafka.binary.v2+json",
    )
    .await;
    assert_eq!(
        (status, &body["offsets"][0]["error"]),
        (200, &json!(null)),
        "{body}"
    );
    let (value, headers, _) = stored(&topic, 1).remove(0);
    assert_eq!(value, "krest");
    let yes = |name: &str| (name.to_string(), "yes".to_string());
    assert_eq!(headers, [yes("x-python"), yes("x-javascript")]);
}

#[tokio::test]
async fn python_and_javascript_transforms_stamp_produced_records_and_keep_consumed_ones() {
    let runtime = runtime(true, Some(target_dir().join("plugin-languages/compiled")));
    let context = CallContext {
        principal: Some("alice".into()),
        request_id: "r-1".into(),
    };
    for (name, header, wasm) in examples() {
        let (plugin, _) = load(&runtime, name, &wasm);
        let records = vec![record("orders"), record("payments")];
        let outcomes = runtime
            .transform(&plugin, &context, Direction::Produce, &records)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outcomes.len(), 2, "{name}");
        for (outcome, original) in outcomes.iter().zip(&records) {
            let Outcome::Replace(out) = outcome else {
                panic!("{name}: expected a replacement, got {outcome:?}");
            };
            let mut expected = original.clone();
            expected.headers.push(Header {
                name: header.into(),
                value: Some(b"yes".to_vec()),
            });
            assert_eq!(format!("{out:?}"), format!("{expected:?}"), "{name}");
        }
        let outcomes = runtime
            .transform(&plugin, &context, Direction::Consume, &records)
            .await
            .unwrap();
        assert!(
            matches!(outcomes[..], [Outcome::Keep, Outcome::Keep]),
            "{name}: {outcomes:?}"
        );
    }
}

/// Size, compile time and per-call time of each language's transform, fresh instance per
/// call and warm; printed, not asserted.
#[tokio::test]
async fn per_call_cost_by_language() {
    let mut plugins = vec![("rust", plugin_wasm("krest-example-header"))];
    plugins.extend(examples().into_iter().map(|(name, _, wasm)| {
        (
            if name == "py-stamp" {
                "python"
            } else {
                "javascript"
            },
            wasm,
        )
    }));
    // One compile cache (empty at first) for both: the second load of each plugin is a restart's.
    let cache = temp_dir("krest-languages-cache");
    let warm = runtime(true, Some(cache.clone()));
    let fresh = runtime(false, Some(cache));
    let mut table = String::from(
        "| language | size | compile | load from cache | fresh: call of 1 | fresh: call of 100 | warm: call of 1 | warm: call of 100 |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (language, wasm) in plugins {
        let size = std::fs::metadata(&wasm).unwrap().len();
        let (_, compile) = load(&warm, language, &wasm);
        let (warm_plugin, cached_load) = load(&warm, language, &wasm);
        let (fresh_plugin, _) = load(&fresh, language, &wasm);
        let calls = if language == "rust" { 200 } else { 20 };
        let fresh_1 = per_call(&fresh, &fresh_plugin, 1, calls).await;
        let fresh_100 = per_call(&fresh, &fresh_plugin, 100, calls).await;
        let warm_1 = per_call(&warm, &warm_plugin, 1, calls * 5).await;
        let warm_100 = per_call(&warm, &warm_plugin, 100, calls).await;
        table.push_str(&format!(
            "| {language} | {:.1} MB | {compile:.1?} | {cached_load:.1?} | {fresh_1:.1?} | {fresh_100:.1?} | {warm_1:.1?} | {warm_100:.1?} |\n",
            size as f64 / 1e6
        ));
    }
    println!("{table}");
}
