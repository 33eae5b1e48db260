//! Reads while the broker is down: each waits its timeout and answers an empty list, as
//! Confluent's proxy does (they once failed at once with 500/50003, so clients spun), and the
//! consumer resumes on its own when the broker is back. Uses a broker of its own, which it
//! stops and restarts.

mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    call, create_topic_on, new_consumer, produce_direct_on, unique, PrivateBroker, Proxy, V2_JSON,
};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

async fn read(base: &str, timeout_ms: u64) -> (u16, Value) {
    let url = format!("{base}/records?timeout={timeout_ms}");
    let (status, _, body) = call(Method::GET, &url, None, BINARY).await;
    (status, body)
}

#[tokio::test]
async fn reads_wait_out_a_broker_outage_and_resume() {
    let broker = PrivateBroker::start();
    let bootstrap = broker.bootstrap();
    let topic = unique("outage");
    create_topic_on(&bootstrap, &topic, 1, &[]).await;
    let proxy = Proxy::spawn(&["--bootstrap-servers", &bootstrap], &[]);
    let base = new_consumer(&proxy, &unique("group"), json!({"auto.offset.reset": "earliest"})).await;
    let assign = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let (status, _, body) = call(
        Method::POST,
        &format!("{base}/assignments"),
        Some(assign),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    // The consumer is fetching before the outage.
    produce_direct_on(&bootstrap, &topic, 0, &[(None, b"before the outage")]).await;
    assert_eq!(read_until_one(&base).await["offset"], 0);

    broker.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = read(&base, 1000).await;
        assert_eq!((status, &body), (200, &json!([])), "a read during the outage");
        // Waited its timeout rather than failing at once (a lower bound cannot flake).
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "answered after {:?}",
            started.elapsed()
        );
    }

    broker.restart();
    produce_direct_on(&bootstrap, &topic, 0, &[(None, b"after the outage")]).await;
    let record = read_until_one(&base).await;
    assert_eq!(
        record["value"], "YWZ0ZXIgdGhlIG91dGFnZQ==",
        "the consumer resumes after the outage"
    );
    assert_eq!(record["offset"], 1);
}

/// Reads until exactly one record arrived (within a minute).
async fn read_until_one(base: &str) -> Value {
    let mut records = Vec::new();
    for _ in 0..60 {
        let (status, body) = read(base, 1000).await;
        assert_eq!(status, 200, "{body}");
        records.extend(body.as_array().unwrap().clone());
        if !records.is_empty() {
            break;
        }
    }
    assert_eq!(records.len(), 1, "{records:?}");
    records.remove(0)
}
