//! `krest serve --dev` works with no Kafka installed: it answers metadata requests from an
//! in-process mock cluster and tells a newcomer what to try.

mod support;

use serde_json::json;
use support::{get_v2, Proxy};

#[tokio::test]
async fn dev_mode_answers_topics_and_brokers() {
    let proxy = Proxy::spawn(&["--dev"], &[]);
    proxy.wait_for_output("try: curl");

    let (status, _, topics) = get_v2(&proxy.url("/topics")).await;
    assert_eq!(status, 200);
    // The Schema Registry of --dev keeps its schemas in `_schemas`, a topic like any other.
    assert_eq!(topics, json!(["_schemas", "demo"]));

    let (status, _, brokers) = get_v2(&proxy.url("/brokers")).await;
    assert_eq!(status, 200);
    assert_eq!(brokers["brokers"].as_array().map(Vec::len), Some(1), "{brokers}");

    let (status, _, partition) = get_v2(&proxy.url("/topics/demo/partitions/0/offsets")).await;
    assert_eq!(status, 200);
    assert_eq!(partition, json!({ "beginning_offset": 0, "end_offset": 0 }));
}

#[tokio::test]
async fn dev_mode_describes_a_topic_without_configs() {
    let proxy = Proxy::spawn(&["--dev"], &[]);
    let (status, _, topic) = get_v2(&proxy.url("/topics/demo")).await;
    assert_eq!(status, 200);
    assert_eq!(topic["name"], "demo");
    assert_eq!(topic["configs"], json!({}));
    assert_eq!(topic["partitions"].as_array().map(Vec::len), Some(1), "{topic}");
}

#[tokio::test]
async fn dev_mode_serves_a_schema_registry_the_proxy_uses() {
    let proxy = Proxy::spawn(&["--dev"], &[]);
    proxy.wait_for_output("krest schema registry listening on ");
    let stdout = proxy.stdout();
    let registry = stdout
        .lines()
        .find_map(|l| l.strip_prefix("krest schema registry listening on "))
        .unwrap()
        .to_string();
    let (status, body) = support::produce_as(
        &proxy,
        "demo",
        "application/vnd.kafka.avro.v2+json",
        &json!({"value_schema": r#"{"type":"string"}"#, "records": [{"value": "hi"}]}),
    )
    .await;
    assert_eq!(
        (status, body["value_schema_id"].clone()),
        (200, json!(1)),
        "{body}"
    );
    let subjects: serde_json::Value = support::http()
        .get(format!("{registry}/subjects"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        subjects,
        json!(["demo-value"]),
        "the proxy registered in the registry of --dev"
    );
}

/// Secure by default: without `listeners`, the proxy and the registry of `--dev` listen on
/// loopback only.
#[tokio::test]
async fn dev_mode_listens_on_loopback_only_by_default() {
    let proxy = Proxy::spawn(&["--dev", "--set", "listeners=", "--set", "port=0"], &[]);
    proxy.wait_for_output("krest schema registry listening on ");
    assert!(
        proxy.url("/").starts_with("http://127.0.0.1:"),
        "{}",
        proxy.url("/")
    );
    assert!(
        proxy
            .stdout()
            .contains("krest schema registry listening on http://127.0.0.1:"),
        "{}",
        proxy.stdout()
    );
    let (status, _, _) = get_v2(&proxy.url("/topics")).await;
    assert_eq!(status, 200);
}
