//! The plugin runtime through the proxy: hot reload under load, rejected files, an idle
//! watcher, fault plugins on produce and consume, and the example plugins loading.

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::AccessKind;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use reqwest::Method;
use serde_json::{json, Value};
use support::{
    call, create_topic, http, install_plugin, plugin_wasm, produce_direct, read_value, temp_dir, unique,
    ProduceLoad, Proxy, V2_JSON,
};

const JSON: &str = "application/vnd.kafka.json.v2+json";

/// POSTs one JSON record; returns status and body.
async fn produce(proxy: &Proxy, topic: &str, content_type: &str, value: Value) -> (u16, Value) {
    let response = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", content_type)
        .header("Accept", V2_JSON)
        .json(&json!({ "records": [{ "value": value }] }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Produces a probe through the `json` content type and returns the bytes Kafka stored.
async fn stored_bytes(proxy: &Proxy, topic: &str) -> Vec<u8> {
    let (status, body) = produce(proxy, topic, JSON, json!({ "greeting": "hello" })).await;
    assert_eq!(status, 200, "{body}");
    let offset = body["offsets"][0]["offset"].as_i64().unwrap();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || read_value(&topic, offset).unwrap())
        .await
        .unwrap()
}

/// Waits until the `json` format stores `expected`; returns how long that took.
async fn until_stored(proxy: &Proxy, topic: &str, expected: &[u8]) -> Duration {
    let started = Instant::now();
    loop {
        if stored_bytes(proxy, topic).await == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "new plugin not serving after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn plugin(proxy: &Proxy, name: &str) -> Value {
    support::plugin_list(proxy)
        .await
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or(Value::Null)
}

/// Waits until `GET /plugins` shows `name` with a `last_error` containing `needle`.
async fn until_rejected(proxy: &Proxy, name: &str, needle: &str) -> Value {
    for _ in 0..100 {
        let entry = plugin(proxy, name).await;
        if entry["last_error"].as_str().is_some_and(|e| e.contains(needle)) {
            return entry;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{name} never rejected with `{needle}`: {:?}",
        plugin(proxy, name).await
    );
}

fn dir_arg(dir: &Path) -> String {
    format!("plugins.dir={}", dir.display())
}

/// Places `bytes` in `dir` as `NAME.wasm` the way operators should: write aside, then rename.
fn install_bytes(dir: &Path, name: &str, bytes: &[u8]) {
    let temporary = dir.join(format!("{name}.wasm.tmp"));
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, dir.join(format!("{name}.wasm"))).unwrap();
}

/// Counts how often any process opens a file in `dir` while the returned watcher lives.
fn count_opens(dir: &Path) -> (RecommendedWatcher, Arc<AtomicUsize>) {
    let opens = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opens);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(EventKind::Access(AccessKind::Open(_))) = event.map(|e| e.kind) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    })
    .unwrap();
    watcher.watch(dir, RecursiveMode::NonRecursive).unwrap();
    (watcher, opens)
}

/// Waits until `opens` counted an open; panics after 5 s.
async fn until_counted(opens: &AtomicUsize) {
    for _ in 0..100 {
        if opens.load(Ordering::Relaxed) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("an open of a file in the directory was not counted");
}

#[tokio::test]
async fn plugins_are_added_replaced_and_removed_under_load_without_failures() {
    let upper = plugin_wasm("krest-example-upper");
    let fixture = plugin_wasm("krest-fixture-fault");
    let topic = unique("plugins-reload");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-plugins");
    let proxy = Arc::new(Proxy::start(&["--set", &dir_arg(&dir)]));
    assert_eq!(
        stored_bytes(&proxy, &topic).await,
        br#"{"greeting":"hello"}"#,
        "built-in json"
    );

    let load = ProduceLoad::start(
        Arc::clone(&proxy),
        &topic,
        JSON,
        json!({ "records": [{ "value": { "n": "load" } }] }),
        |status, answer| status == 200 && answer["offsets"][0]["error_code"].is_null(),
    );

    install_plugin(&dir, "json", &upper);
    let added = until_stored(&proxy, &topic, br#"{"greeting":"HELLO"}"#).await;
    assert_eq!(plugin(&proxy, "json").await["source"], "file");

    install_plugin(&dir, "json", &fixture);
    let replaced = until_stored(&proxy, &topic, br#"fixture:{"greeting":"hello"}"#).await;

    std::fs::remove_file(dir.join("json.wasm")).unwrap();
    let removed = until_stored(&proxy, &topic, br#"{"greeting":"hello"}"#).await;
    let entry = plugin(&proxy, "json").await;
    assert_eq!(
        (entry["source"].as_str(), entry["last_error"].is_null()),
        (Some("builtin"), true)
    );

    let (sent, failed) = load.stop().await;
    eprintln!("visible after: add {added:?}, replace {replaced:?}, remove {removed:?}; {sent} requests during reloads");
    assert!(sent > 10, "the client kept sending");
    assert_eq!(failed, 0, "no request failed during reloads");
}

#[tokio::test]
async fn corrupt_and_wrong_world_files_never_replace_a_working_plugin() {
    let upper = plugin_wasm("krest-example-upper");
    let auth = plugin_wasm("krest-example-allowlist");
    let topic = unique("plugins-reject");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-plugins");
    install_plugin(&dir, "shout", &upper);
    let proxy = Proxy::start(&["--set", &dir_arg(&dir)]);
    let shout = "application/vnd.kafka.shout.v2+json";
    let original = plugin(&proxy, "shout").await;
    assert_eq!(
        (original["kind"].as_str(), original["source"].as_str()),
        (Some("format"), Some("file"))
    );

    let corrupt = dir.join("shout.wasm.tmp");
    std::fs::write(&corrupt, b"\0asm this is not a component").unwrap();
    std::fs::rename(&corrupt, dir.join("shout.wasm")).unwrap();
    let entry = until_rejected(&proxy, "shout", "not a valid component").await;
    assert_eq!(
        entry["sha256"], original["sha256"],
        "the old version keeps serving"
    );
    let (status, body) = produce(&proxy, &topic, shout, json!("still here")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        read_value(&topic, body["offsets"][0]["offset"].as_i64().unwrap()).unwrap(),
        br#""STILL HERE""#
    );

    install_plugin(&dir, "shout", &auth);
    until_rejected(&proxy, "shout", "is a auth plugin but `shout` is a format plugin").await;
    let (status, _) = produce(&proxy, &topic, shout, json!("x")).await;
    assert_eq!(status, 200);

    install_plugin(&dir, "json", &auth);
    until_rejected(&proxy, "json", "is a auth plugin but `json` is a format plugin").await;
    assert_eq!(plugin(&proxy, "json").await["source"], "builtin");
    let (status, _) = produce(&proxy, &topic, JSON, json!({ "ok": true })).await;
    assert_eq!(status, 200);
}

/// Once plugin files were dropped in, an idle proxy opens none of them and logs nothing (its
/// own reads used to schedule reloads forever), and files rewritten with the same bytes,
/// rejected ones included, are neither compiled nor logged again.
#[tokio::test]
async fn an_idle_proxy_neither_rereads_nor_relogs_its_plugin_files() {
    let upper = std::fs::read(plugin_wasm("krest-example-upper")).unwrap();
    let corrupt = b"\0asm this is not a component";
    let dir = temp_dir("krest-plugins");
    let proxy = Proxy::start(&["--set", &dir_arg(&dir)]);
    install_bytes(&dir, "broken", corrupt);
    install_bytes(&dir, "shout", &upper);
    let rejected = format!("{} rejected", dir.join("broken.wasm").display());
    let loaded = format!("plugin loaded from {}", dir.join("shout.wasm").display());
    proxy.wait_for_output(&rejected);
    proxy.wait_for_output(&loaded);

    // Idle: krest's own reads of the files must not schedule more reloads. (Log lines about
    // the directory are counted: the Kafka client may log about the broker meanwhile.)
    let (watcher, opens) = count_opens(&dir);
    let about_dir = || proxy.stderr().matches(&dir.display().to_string()).count();
    let logged = about_dir();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        opens.load(Ordering::Relaxed),
        0,
        "krest opened plugin files while idle"
    );
    assert_eq!(
        about_dir(),
        logged,
        "krest logged while idle:\n{}",
        proxy.stderr()
    );
    // The count does see opens, so the zero above means something.
    std::fs::read(dir.join("shout.wasm")).unwrap();
    until_counted(&opens).await;
    drop(watcher);

    // Rewritten with the same bytes, neither file is compiled or logged again. Files are
    // handled in event order (names of one debounce batch alphabetically), so once `zeta`
    // loaded, both rewrites were handled.
    install_bytes(&dir, "broken", corrupt);
    install_bytes(&dir, "shout", &upper);
    install_bytes(&dir, "zeta", &upper);
    proxy.wait_for_output(&format!("plugin loaded from {}", dir.join("zeta.wasm").display()));
    let log = proxy.stderr();
    assert_eq!(
        (log.matches(&rejected).count(), log.matches(&loaded).count()),
        (1, 1),
        "{log}"
    );
}

#[tokio::test]
async fn fault_plugins_fail_only_their_request() {
    let fixture = plugin_wasm("krest-fixture-fault");
    let topic = unique("plugins-fault");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-plugins");
    for (name, fault) in [
        ("spin", "loop"),
        ("crash", "trap"),
        ("hog", "memory"),
        ("junk", "garbage"),
    ] {
        std::fs::write(dir.join(format!("{name}.toml")), format!("fault = \"{fault}\"\n")).unwrap();
        install_plugin(&dir, name, &fixture);
    }
    let proxy = Proxy::start(&[
        "--set",
        &dir_arg(&dir),
        "--set",
        "plugins.call.timeout.ms=300",
        "--set",
        "plugins.memory.max.bytes=16777216",
    ]);

    for (name, outcome) in [
        ("spin", "timeout"),
        ("crash", "trap"),
        ("hog", "out_of_memory"),
        ("junk", "malformed"),
    ] {
        for attempt in 0..2 {
            let content_type = format!("application/vnd.kafka.{name}.v2+json");
            let (status, body) = produce(&proxy, &topic, &content_type, json!({ "a": 1 })).await;
            assert_eq!(status, 500, "{name} attempt {attempt}: {body}");
            assert_eq!(body["error_code"], 50010, "{body}");
            let message = body["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("plugin `{name}` failed ({outcome})")),
                "{message}"
            );
            if name == "crash" {
                assert!(
                    message.contains("panicked: fixture told to trap (wasm trap: wasm `unreachable`"),
                    "the panic message is in the response: {message}"
                );
            }
            // The proxy stays healthy: the next request through a good plugin works.
            let (status, body) = produce(&proxy, &topic, JSON, json!({ "after": name })).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let log = proxy.stderr();
    assert!(
        log.lines()
            .any(|line| line.contains("plugin output: fixture told to trap") && line.contains("\"crash\"")),
        "the guest's panic output is logged with the plugin's name:\n{log}"
    );
    let metrics = proxy.metrics().await;
    for (name, outcome) in [
        ("spin", "timeout"),
        ("crash", "trap"),
        ("hog", "out_of_memory"),
        ("junk", "malformed"),
    ] {
        let line = format!(r#"krest_plugin_calls_total{{outcome="{outcome}",plugin="{name}"}} 2"#);
        assert!(metrics.contains(&line), "missing {line}");
    }
}

#[tokio::test]
async fn example_plugins_of_every_world_load() {
    let dir = temp_dir("krest-plugins");
    install_plugin(&dir, "upper", &plugin_wasm("krest-example-upper"));
    install_plugin(&dir, "allowlist", &plugin_wasm("krest-example-allowlist"));
    install_plugin(&dir, "stamp", &plugin_wasm("krest-example-header"));
    let proxy = Proxy::start(&["--set", &dir_arg(&dir)]);
    let kinds: Vec<(String, String)> = support::plugin_list(&proxy)
        .await
        .into_iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("allowlist", "auth"),
        ("binary", "format"),
        ("json", "format"),
        ("stamp", "transform"),
        ("upper", "format"),
    ] {
        assert!(
            kinds.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{kinds:?}"
        );
    }
    let topic = unique("plugins-upper");
    create_topic(&topic, 1, &[]).await;
    let (status, body) = produce(
        &proxy,
        &topic,
        "application/vnd.kafka.upper.v2+json",
        json!(["quiet"]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(read_value(&topic, 0).unwrap(), br#"["QUIET"]"#);
}

/// Creates a v2 consumer instance of `format` reading from the earliest offset; its base URI.
async fn create_consumer(proxy: &Proxy, format: &str) -> String {
    let group = unique("group");
    let (status, _, created) = call(
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(json!({"format": format, "auto.offset.reset": "earliest"})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    created["base_uri"].as_str().unwrap().to_string()
}

/// POSTs `body` to `base` + `path` where 204 is the answer (assignments, positions).
async fn post_no_content(base: &str, path: &str, body: Value) {
    let (status, _, response) = call(Method::POST, &format!("{base}{path}"), Some(body), V2_JSON).await;
    assert_eq!(status, 204, "POST {path}: {response}");
}

/// A v2 consumer's read: status and body.
async fn read_records(base: &str, accept: &str, query: &str) -> (u16, Value) {
    let (status, _, body) = call(Method::GET, &format!("{base}/records{query}"), None, accept).await;
    (status, body)
}

/// The offsets of a successful read's records.
fn offsets(body: &Value) -> Vec<i64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|r| r["offset"].as_i64().unwrap())
        .collect()
}

/// Decode traps on consume fail the read naming the record, not the consumer for good: as
/// Java's consumer does, a read returns the records before the bad one, the next read fails
/// naming it (it stays buffered), and a seek past it lets the records after it through.
#[tokio::test]
async fn a_record_that_traps_the_decoder_fails_reads_until_the_client_seeks_past_it() {
    let topic = unique("plugins-decode-trap");
    create_topic(&topic, 1, &[]).await;
    produce_direct(&topic, 0, &[(None, b"ok-0"), (None, b"trap-me"), (None, b"ok-2")]).await;
    let dir = temp_dir("krest-plugins");
    std::fs::write(dir.join("faulty.toml"), "decode_fault = \"trap\"\n").unwrap();
    install_plugin(&dir, "faulty", &plugin_wasm("krest-fixture-fault"));
    let proxy = Proxy::start(&[
        "--set",
        &dir_arg(&dir),
        "--set",
        "consumer.request.timeout.ms=500",
    ]);
    let accept = "application/vnd.kafka.faulty.v2+json";
    let consumer = create_consumer(&proxy, "faulty").await;
    let base = consumer.as_str();
    let partition = json!({"partitions": [{"topic": topic, "partition": 0}]});
    post_no_content(base, "/assignments", partition).await;

    // Offset 0 is delivered; then a read fails naming offset 1.
    let mut delivered = Vec::new();
    let mut failure = Value::Null;
    for _ in 0..40 {
        let (status, body) = read_records(base, accept, "").await;
        if status != 200 {
            assert_eq!(status, 408, "{body}");
            failure = body;
            break;
        }
        delivered.extend(offsets(&body));
    }
    assert_eq!(failure["error_code"], 40801, "{failure}");
    let message = failure["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("Error deserializing {topic}/0@1 with format `faulty`: ")),
        "{message}"
    );
    assert!(message.contains("fixture told to trap on a record"), "{message}");
    assert_eq!(delivered, vec![0]);

    // Offset 1 stays buffered and fails every read until the client seeks past it.
    let (status, body) = read_records(base, accept, "").await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );
    let past = json!({"offsets": [{"topic": topic, "partition": 0, "offset": 2}]});
    post_no_content(base, "/positions", past).await;
    let mut after = Vec::new();
    for _ in 0..40 {
        let (status, body) = read_records(base, accept, "").await;
        assert_eq!(status, 200, "{body}");
        after.extend(body.as_array().unwrap().iter().cloned());
        if !after.is_empty() {
            break;
        }
    }
    assert_eq!(
        after
            .iter()
            .map(|r| (r["offset"].clone(), r["value"].clone()))
            .collect::<Vec<_>>(),
        vec![(json!(2), json!("ok-2"))]
    );
}

/// Warm instances (`plugins.instances.reuse`, on by default) carry a plugin's state from one
/// call to the next; one that trapped is dropped, not reused; with reuse off every call gets a
/// fresh instance. The `count` fixture stores how many calls its instance served.
#[tokio::test]
async fn warm_instances_are_reused_until_they_fail_and_reuse_can_be_turned_off_for_all_or_some() {
    let topic = unique("plugins-warm");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-plugins");
    std::fs::write(dir.join("counter.toml"), "fault = \"count\"\n").unwrap();
    install_plugin(&dir, "counter", &plugin_wasm("krest-fixture-fault"));
    let counter = "application/vnd.kafka.counter.v2+json";
    let stored_after = async |proxy: &Proxy, values: &[&str]| {
        let mut statuses = Vec::new();
        for value in values {
            let body = json!({"records": [{"value": value}]});
            statuses.push(support::produce_as(proxy, &topic, counter, &body).await.0);
        }
        statuses
    };

    let warm = Proxy::start(&["--set", &dir_arg(&dir)]);
    let statuses = stored_after(&warm, &["a", "b", "trap", "c", "d"]).await;
    assert_eq!(statuses, [200, 200, 500, 200, 200]);
    let stored: Vec<Vec<u8>> = (0..4).map(|offset| read_value(&topic, offset).unwrap()).collect();
    assert_eq!(
        stored,
        [&b"fixture:1"[..], b"fixture:2", b"fixture:1", b"fixture:2"],
        "state carried over, then a fresh instance after the trap"
    );

    let cold = Proxy::start(&["--set", &dir_arg(&dir), "--set", "plugins.instances.reuse=false"]);
    assert_eq!(stored_after(&cold, &["e", "f"]).await, [200, 200]);
    let stored: Vec<Vec<u8>> = (4..6).map(|offset| read_value(&topic, offset).unwrap()).collect();
    assert_eq!(
        stored,
        [&b"fixture:1"[..], b"fixture:1"],
        "a fresh instance per call"
    );

    // Only the plugin listed in plugins.instances.fresh loses its warm instances.
    let listed = Proxy::start(&[
        "--set",
        &dir_arg(&dir),
        "--set",
        "plugins.instances.fresh=json,counter",
    ]);
    assert_eq!(stored_after(&listed, &["g", "h"]).await, [200, 200]);
    let stored: Vec<Vec<u8>> = (6..8).map(|offset| read_value(&topic, offset).unwrap()).collect();
    assert_eq!(
        stored,
        [&b"fixture:1"[..], b"fixture:1"],
        "counter is called fresh"
    );
}
