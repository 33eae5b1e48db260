//! The Schema Registry krest serves, against a real broker: registration latency, and schema
//! look-ups by id per second, from the registry over HTTP and through the proxy's cached
//! client (what schema-format plugins call), side by side in one run.
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 cargo bench -p krest --bench schema_registry`

use std::sync::Arc;
use std::time::{Duration, Instant};

use krest::schema_registry::client::RegistryClient;
use serde_json::json;
use support::{drive, percentile_ms, Krest, CONCURRENCY, RUN_FOR};

mod support;

const SCHEMAS: usize = 200;

/// krest with a registry in a topic of its own; returns the registry's URL once it answers.
async fn start_krest() -> (Krest, String) {
    let bootstrap = support::bootstrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let topic = format!("_schemas-bench-{}", std::process::id());
    let settings = [
        format!("schema.registry.listeners={url}"),
        format!("kafkastore.topic={topic}"),
        format!("schema.registry.group.id={topic}"),
    ];
    let krest = Krest::start(&bootstrap, &settings);
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{url}/subjects"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (krest, url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the registry did not answer");
}

/// Registers SCHEMAS distinct schemas one after another; returns their ids.
async fn bench_register(url: &str) -> Vec<u32> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    let mut ids = Vec::new();
    for i in 0..SCHEMAS {
        let schema =
            json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": "f", "type": "string"}]});
        let started = Instant::now();
        let response: serde_json::Value = client
            .post(format!("{url}/subjects/bench-{i}-value/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .json(&json!({ "schema": schema.to_string() }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        latencies.push(started.elapsed());
        ids.push(response["id"].as_u64().expect("an id") as u32);
    }
    latencies.sort();
    println!("## Registration ({SCHEMAS} new schemas, one at a time)\n");
    println!("| p50 ms | p99 ms |\n|---|---|");
    println!(
        "| {:.2} | {:.2} |\n",
        percentile_ms(&latencies, 0.5),
        percentile_ms(&latencies, 0.99)
    );
    ids
}

async fn bench_lookups(url: &str, ids: Vec<u32>) {
    println!(
        "## Schema look-ups by id ({} ids, {CONCURRENCY} concurrent callers, {RUN_FOR:?} each)\n",
        ids.len()
    );
    println!("| Path | look-ups/s | p50 ms | p99 ms |\n|---|---|---|---|");
    let ids = Arc::new(ids);
    let http = reqwest::Client::new();
    let direct = {
        let (ids, url) = (Arc::clone(&ids), url.to_string());
        drive(1, move |n| {
            let request = http.get(format!("{url}/schemas/ids/{}", ids[n % ids.len()]));
            async move {
                let response = request.send().await.unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
            }
        })
        .await
    };
    println!(
        "| registry over HTTP (`GET /schemas/ids/{{id}}`) | {:.0} | {:.3} | {:.3} |",
        direct.per_second(),
        direct.percentile_ms(0.5),
        direct.percentile_ms(0.99)
    );
    // Cached look-ups never wait, so they are timed in one loop (workers that never yield
    // would starve the timer that stops them).
    let cached = RegistryClient::new(url.parse().unwrap(), None);
    for id in ids.iter() {
        cached.schema_by_id(*id).await.unwrap();
    }
    const CACHED_LOOKUPS: usize = 1_000_000;
    let started = Instant::now();
    for n in 0..CACHED_LOOKUPS {
        std::hint::black_box(cached.schema_by_id(ids[n % ids.len()]).await.unwrap());
    }
    let elapsed = started.elapsed();
    println!(
        "| proxy's cached client (plugins' `schema-by-id`), one caller | {:.0} | {:.4} (mean) | |\n",
        CACHED_LOOKUPS as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / CACHED_LOOKUPS as f64
    );
}

#[tokio::main]
async fn main() {
    let (_krest, url) = start_krest().await;
    let ids = bench_register(&url).await;
    bench_lookups(&url, ids).await;
}
