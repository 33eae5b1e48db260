//! API v3 conventions against a real Kafka broker: the cluster resource, links and resource
//! names, `application/json` on every answer, and Confluent's v3 error bodies.

mod support;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use reqwest::Method;
use serde_json::json;
use support::{call_as, call_v3, Proxy};

/// The cluster id Kafka itself reports.
fn kafka_cluster_id() -> String {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .create()
        .unwrap();
    consumer
        .client()
        .fetch_cluster_id(Duration::from_secs(10))
        .unwrap()
}

#[tokio::test]
async fn the_connected_cluster_is_the_only_cluster() {
    let proxy = Proxy::start(&[]);
    let id = kafka_cluster_id();
    let base = format!("{}/v3/clusters/{id}", proxy.base);

    let (status, content_type, list) = call_v3(Method::GET, &proxy.url("/v3/clusters"), None).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(list["kind"], "KafkaClusterList");
    assert_eq!(
        list["metadata"],
        json!({"self": proxy.url("/v3/clusters"), "next": null})
    );
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let (status, _, cluster) = call_v3(Method::GET, &base, None).await;
    assert_eq!(status, 200);
    assert_eq!(cluster, list["data"][0]);
    assert_eq!(cluster["kind"], "KafkaCluster");
    assert_eq!(cluster["cluster_id"], id.as_str());
    assert_eq!(cluster["metadata"]["self"], base.as_str());
    assert_eq!(cluster["metadata"]["resource_name"], format!("crn:///kafka={id}"));
    for (field, tail) in [
        ("acls", "/acls"),
        ("brokers", "/brokers"),
        ("broker_configs", "/broker-configs"),
        ("consumer_groups", "/consumer-groups"),
        ("topics", "/topics"),
        ("partition_reassignments", "/topics/-/partitions/-/reassignment"),
    ] {
        assert_eq!(cluster[field]["related"], format!("{base}{tail}"), "{field}");
    }
    let controller = cluster["controller"]["related"].as_str().unwrap();
    assert!(
        controller.starts_with(&format!("{base}/brokers/")),
        "{controller}"
    );
}

#[tokio::test]
async fn links_and_names_follow_the_configuration() {
    let proxy = Proxy::start(&[
        "--set",
        "advertised.listeners=http://rest.example.com:9999",
        "--set",
        "confluent.resource.name.authority=kafka.example.com",
    ]);
    let id = kafka_cluster_id();
    let (status, _, cluster) = call_v3(Method::GET, &proxy.url(&format!("/v3/clusters/{id}")), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cluster["metadata"],
        json!({
            "self": format!("http://rest.example.com:9999/v3/clusters/{id}"),
            "resource_name": format!("crn://kafka.example.com/kafka={id}"),
        })
    );
}

#[tokio::test]
async fn v3_errors_are_plain_json_in_confluents_shape() {
    let proxy = Proxy::start(&[]);
    let (status, content_type, body) =
        call_v3(Method::GET, &proxy.url("/v3/clusters/no-such-cluster"), None).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    assert_eq!(
        body,
        json!({"error_code": 404, "message": "Cluster no-such-cluster cannot be found."})
    );

    let (status, content_type, body) = call_v3(Method::GET, &proxy.url("/v3/nothing/here"), None).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    assert_eq!(body["error_code"], 404);

    let (status, content_type, body) = call_as(
        Method::GET,
        &proxy.url("/v3/clusters"),
        Some(("application/vnd.kafka.v2+json", "{}".into())),
        "application/json",
    )
    .await;
    assert_eq!((status, content_type.as_str()), (415, "application/json"));
    assert_eq!(body["error_code"], 415);

    let (status, _, _) = call_as(Method::GET, &proxy.url("/v3/clusters"), None, "text/html").await;
    assert_eq!(status, 406);
}
