//! What transforms add to produce and consume through a running krest, in one run: no
//! transform, one (`redact`), three (`redact`, `headers`, `filter`), and the same one-header
//! stamp written in Rust (the built-in `headers`) and in Python (examples/python-transform,
//! built with componentize-py), each on produce at batch 1 and 100 and on consume.
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 KREST_TEST_PYTHON=$(scripts/python-env.sh) cargo bench -p krest --bench transforms`

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::{
    bootstrap, consume_through_krest, create_topic, drive, post_records, Krest, CONCURRENCY, RUN_FOR,
};

mod support;

const JSON_V2: &str = "application/vnd.kafka.json.v2+json";
/// Records produced for the consume runs, and read back by each setup.
const CONSUME_RECORDS: usize = 50_000;

/// One set of transforms: a label and its `transforms` list.
struct Setup {
    name: &'static str,
    transforms: &'static str,
}

const SETUPS: &[Setup] = &[
    Setup {
        name: "none",
        transforms: "",
    },
    Setup {
        name: "1: redact",
        transforms: "redact",
    },
    Setup {
        name: "3: redact, headers, filter",
        transforms: "redact,headers,filter",
    },
    Setup {
        name: "1 header stamp in Rust (`headers`)",
        transforms: "stamp",
    },
    Setup {
        name: "1 header stamp in Python",
        transforms: "py-stamp",
    },
];

/// A 100-byte JSON value with a field `redact` masks and none that `filter` drops.
fn value() -> serde_json::Value {
    json!({"id": 12345, "name": "krest", "ssn": "123-45-6789", "tags": ["kafka", "rest"], "price": 12.5})
}

/// The plugins folder: configurations of the built-ins, `stamp` (the built-in `headers` adding
/// what the Python example adds) and the Python example, built here.
fn plugins_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("krest-bench-transforms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("redact.toml", "fields = [\"ssn\"]\n");
    write(
        "headers.toml",
        "request_id_header = \"x-request-id\"\n[add]\nx-source = \"krest\"\n",
    );
    write("filter.toml", "[[drop]]\npath = \"$.test\"\nequals = true\n");
    // The built-in `headers` as a plugin file of its own (host/build.rs leaves the built-ins in
    // <target>/plugins), so it can be configured apart from `headers`.
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("bench binary in <target>/<profile>/deps");
    std::fs::copy(target.join("plugins/headers.wasm"), dir.join("stamp.wasm")).unwrap();
    write("stamp.toml", "[add]\nx-python = \"yes\"\n");
    let python = build_python_example(&dir);
    std::fs::rename(python, dir.join("py-stamp.wasm")).unwrap();
    dir
}

/// `examples/python-transform/build.sh` into `dir`; the component's path.
fn build_python_example(dir: &Path) -> PathBuf {
    let out = dir.join("py-stamp.build.wasm");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/python-transform/build.sh"
    );
    let status = Command::new("bash").arg(script).arg(&out).status().unwrap();
    assert!(status.success(), "building the Python example failed");
    out
}

fn start_krest(dir: &Path, transforms: &str) -> Krest {
    let settings = [
        format!("plugins.dir={}", dir.display()),
        format!("transforms={transforms}"),
    ];
    Krest::start(&bootstrap(), &settings)
}

/// Produce through krest; the added median is against "none" in this run.
async fn bench_produce(dir: &Path) {
    let topic = format!("bench-transforms-produce-{}", std::process::id());
    create_topic(&topic).await;
    println!("## Produce through krest: JSON values (100 bytes), {CONCURRENCY} concurrent clients, {RUN_FOR:?} each\n");
    println!("| transforms | batch | records/s | p50 ms per request | p99 ms per request | p50 added vs none, µs per record |");
    println!("|---|---|---|---|---|---|");
    let mut baseline = [0.0f64; 2];
    for setup in SETUPS {
        let krest = start_krest(dir, setup.transforms);
        let http = reqwest::Client::new();
        for (slot, batch) in [1usize, 100].into_iter().enumerate() {
            let url = format!("{}/topics/{topic}", krest.base);
            let body = json!({ "records": vec![json!({ "value": value() }); batch] }).to_string();
            let http = http.clone();
            let sample = drive(batch, move |_| {
                let (http, url, body) = (http.clone(), url.clone(), body.clone());
                async move { post_records(&http, &url, JSON_V2, body).await }
            })
            .await;
            let p50 = sample.percentile_ms(0.5);
            if setup.transforms.is_empty() {
                baseline[slot] = p50;
            }
            println!(
                "| {} | {batch} | {:.0} | {p50:.2} | {:.2} | {:.1} |",
                setup.name,
                sample.per_second(),
                sample.percentile_ms(0.99),
                (p50 - baseline[slot]) * 1000.0 / batch as f64
            );
        }
    }
    println!();
}

/// Consume through krest: the same records read by a new consumer per setup.
async fn bench_consume(dir: &Path) {
    let topic = format!("bench-transforms-consume-{}", std::process::id());
    create_topic(&topic).await;
    {
        let krest = start_krest(dir, "");
        let http = reqwest::Client::new();
        let body = json!({ "records": vec![json!({ "value": value() }); 500] }).to_string();
        for _ in 0..CONSUME_RECORDS / 500 {
            post_records(
                &http,
                &format!("{}/topics/{topic}", krest.base),
                JSON_V2,
                body.clone(),
            )
            .await;
        }
    }
    println!("## Consume through krest: {CONSUME_RECORDS} JSON records, one consumer\n");
    println!("| transforms | records/s | vs none |");
    println!("|---|---|---|");
    let mut baseline = 0.0;
    for setup in SETUPS {
        let krest = start_krest(dir, setup.transforms);
        let rate = consume_through_krest(&krest, &topic, "json", CONSUME_RECORDS).await;
        if setup.transforms.is_empty() {
            baseline = rate;
        }
        println!("| {} | {rate:.0} | {:.2} |", setup.name, rate / baseline);
    }
    println!();
}

#[tokio::main]
async fn main() {
    let dir = plugins_dir();
    bench_produce(&dir).await;
    bench_consume(&dir).await;
    std::fs::remove_dir_all(&dir).ok();
}
