//! v3 produce next to v2 and direct rdkafka, in one run, against a real broker: v3 with one
//! record per request, v3 streaming (many records in one request per client), v2 batches of
//! 100 and direct rdkafka batches of 100; 100-byte values, CONCURRENCY clients.
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 cargo bench -p krest --bench produce_v3`

use std::time::Instant;

use base64::Engine;
use serde_json::json;
use support::{
    bootstrap, cluster_id, create_topic, drive, post_records, produce_direct, Krest, CONCURRENCY, RUN_FOR,
};

mod support;

const VALUE_BYTES: usize = 100;
/// Records each streaming client writes in its one request.
const STREAMED_PER_CLIENT: usize = 25_000;
const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// One v3 record of a `VALUE_BYTES` binary value, as JSON text.
fn v3_record(value: &str) -> String {
    json!({"value": {"type": "BINARY", "data": value}}).to_string()
}

/// POSTs a v3 produce body and checks that it answered `records` records, all 200.
async fn post_v3(http: &reqwest::Client, url: &str, body: String, records: usize) {
    let response = http
        .post(url)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let answers: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(answers.len(), records);
    assert!(
        answers.iter().all(|a| a.starts_with(r#"{"error_code":200,"#)),
        "{text}"
    );
}

#[tokio::main]
async fn main() {
    let krest = Krest::start(&bootstrap(), &[]);
    let http = reqwest::Client::new();
    let cluster = cluster_id(&http, &krest).await;
    let topic = format!("bench-produce-v3-{}", std::process::id());
    create_topic(&topic).await;
    let value = base64::engine::general_purpose::STANDARD.encode(vec![b'x'; VALUE_BYTES]);
    let v3_url = format!("{}/v3/clusters/{cluster}/topics/{topic}/records", krest.base);

    println!("## Produce v3 next to v2 and direct rdkafka: {VALUE_BYTES}-byte values, {CONCURRENCY} concurrent clients\n");
    println!("| path | records per request | records/s | p50 ms per request | p99 ms per request |");
    println!("|---|---|---|---|---|");

    let body = v3_record(&value);
    let (client, url) = (http.clone(), v3_url.clone());
    let sample = drive(1, move |_| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move { post_v3(&client, &url, body, 1).await }
    })
    .await;
    println!("{}", sample.row("krest v3, one record per request", 1));

    // Streaming: each client writes one request of STREAMED_PER_CLIENT records.
    let body: String = (0..STREAMED_PER_CLIENT)
        .map(|_| v3_record(&value) + "\n")
        .collect();
    let started = Instant::now();
    let streams = (0..CONCURRENCY).map(|_| post_v3(&http, &v3_url, body.clone(), STREAMED_PER_CLIENT));
    futures_util::future::join_all(streams).await;
    let elapsed = started.elapsed();
    println!(
        "| krest v3, streaming | {STREAMED_PER_CLIENT} | {:.0} | {:.0} (whole stream) | – |",
        (CONCURRENCY * STREAMED_PER_CLIENT) as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0
    );

    let body = json!({ "records": vec![json!({ "value": value }); 100] }).to_string();
    let (client, url) = (http.clone(), format!("{}/topics/{topic}", krest.base));
    let sample = drive(100, move |_| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move { post_records(&client, &url, BINARY, body).await }
    })
    .await;
    println!("{}", sample.row("krest v2, batch", 100));

    let sample = produce_direct(CONCURRENCY, &topic, 100, VALUE_BYTES).await;
    println!("{}", sample.row("direct rdkafka, batch", 100));
    println!("\n(each row but streaming ran {RUN_FOR:?})");
}
