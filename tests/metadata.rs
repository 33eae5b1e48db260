//! v2 metadata endpoints against a real Kafka broker: brokers, topics, partitions, offsets,
//! Confluent's 404 codes, and content negotiation (406/415).

mod support;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use support::{create_topic, get_v2, http, unique, Proxy, V2_JSON};

/// Broker ids as Kafka itself reports them.
fn kafka_broker_ids() -> Vec<i32> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .create()
        .unwrap();
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(10)).unwrap();
    metadata.brokers().iter().map(|b| b.id()).collect()
}

async fn produce(topic: &str, partition: i32, count: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .create()
        .unwrap();
    for i in 0..count {
        let value = format!("record-{i}");
        producer
            .send(
                FutureRecord::<(), _>::to(topic)
                    .partition(partition)
                    .payload(&value),
                Duration::from_secs(10),
            )
            .await
            .expect("record acknowledged");
    }
}

#[tokio::test]
async fn brokers_lists_the_cluster_broker_ids() {
    let proxy = Proxy::start(&[]);
    let (status, content_type, body) = get_v2(&proxy.url("/brokers")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, V2_JSON);
    assert_eq!(body, json!({ "brokers": kafka_broker_ids() }));
}

#[tokio::test]
async fn topics_lists_created_topics_without_internal_ones() {
    let (a, b) = (unique("meta-list-a"), unique("meta-list-b"));
    create_topic(&a, 1, &[]).await;
    create_topic(&b, 2, &[]).await;
    let proxy = Proxy::start(&[]);
    let (status, _, body) = get_v2(&proxy.url("/topics")).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&a.as_str()) && names.contains(&b.as_str()),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.starts_with("__")), "{names:?}");
}

#[tokio::test]
async fn topic_shows_partitions_leaders_replicas_and_all_configs() {
    let topic = unique("meta-topic");
    create_topic(&topic, 3, &[("retention.ms", "123456789")]).await;
    let broker = kafka_broker_ids()[0];
    let proxy = Proxy::start(&[]);

    let (status, content_type, body) = get_v2(&proxy.url(&format!("/topics/{topic}"))).await;
    assert_eq!((status, content_type.as_str()), (200, V2_JSON));
    assert_eq!(body["name"], json!(topic));
    assert_eq!(
        body["configs"]["retention.ms"],
        json!("123456789"),
        "per-topic override"
    );
    assert_eq!(
        body["configs"]["cleanup.policy"],
        json!("delete"),
        "defaults are included"
    );
    let replica = json!([{ "broker": broker, "leader": true, "in_sync": true }]);
    let expected: Vec<Value> = (0..3)
        .map(|p| json!({ "partition": p, "leader": broker, "replicas": replica }))
        .collect();
    assert_eq!(body["partitions"], json!(expected));

    let (status, _, partitions) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions"))).await;
    assert_eq!(status, 200);
    assert_eq!(partitions, json!(expected));

    let (status, _, partition) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions/2"))).await;
    assert_eq!(status, 200);
    assert_eq!(partition, expected[2]);
}

#[tokio::test]
async fn offsets_follow_what_was_produced() {
    let topic = unique("meta-offsets");
    create_topic(&topic, 2, &[]).await;
    produce(&topic, 1, 5).await;
    let proxy = Proxy::start(&[]);

    let (status, _, body) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions/1/offsets"))).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "beginning_offset": 0, "end_offset": 5 }));
    let (_, _, body) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions/0/offsets"))).await;
    assert_eq!(body, json!({ "beginning_offset": 0, "end_offset": 0 }));

    produce(&topic, 1, 2).await;
    let (_, _, body) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions/1/offsets/"))).await;
    assert_eq!(
        body,
        json!({ "beginning_offset": 0, "end_offset": 7 }),
        "trailing slash tolerated"
    );
}

#[tokio::test]
async fn missing_topics_and_partitions_get_confluents_404_codes() {
    let topic = unique("meta-404");
    create_topic(&topic, 1, &[]).await;
    let missing = unique("meta-missing");
    let proxy = Proxy::start(&[]);

    for path in [
        format!("/topics/{missing}"),
        format!("/topics/{missing}/partitions"),
        format!("/topics/{missing}/partitions/0"),
        format!("/topics/{missing}/partitions/0/offsets"),
    ] {
        let (status, content_type, body) = get_v2(&proxy.url(&path)).await;
        assert_eq!((status, content_type.as_str()), (404, V2_JSON), "{path}");
        assert_eq!(body["error_code"], 40403, "{path}: {body}");
    }
    for path in [
        format!("/topics/{topic}/partitions/7"),
        format!("/topics/{topic}/partitions/7/offsets"),
    ] {
        let (status, _, body) = get_v2(&proxy.url(&path)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            body,
            json!({ "error_code": 40402, "message": "Partition not found." }),
            "{path}"
        );
    }
    let (status, _, body) = get_v2(&proxy.url(&format!("/topics/{topic}/partitions/zero"))).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({ "error_code": 404, "message": "HTTP 404 Not Found" })
    );
    // The missing topic was not auto-created by looking at it.
    let (_, _, names) = get_v2(&proxy.url("/topics")).await;
    assert!(!names.as_array().unwrap().contains(&json!(missing)));
}

#[tokio::test]
async fn content_negotiation_gives_406_and_415() {
    let proxy = Proxy::start(&[]);
    for accept in [
        "text/plain",
        "application/xml, text/*",
        "application/vnd.kafka.binary.v2+json",
    ] {
        let response = http()
            .get(proxy.url("/topics"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 406, "Accept: {accept}");
        assert!(response.headers().get("content-type").is_none());
        assert!(response.bytes().await.unwrap().is_empty(), "406 has no body");
    }
    for accept in [
        "*/*",
        "application/*",
        "application/vnd.kafka.v2+json, application/json",
    ] {
        let response = http()
            .get(proxy.url("/brokers"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "Accept: {accept}");
        assert_eq!(response.headers()["content-type"], V2_JSON);
    }
    let unsupported = json!({ "error_code": 415, "message": "HTTP 415 Unsupported Media Type" });
    let response = http()
        .post(proxy.url("/"))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(response.json::<Value>().await.unwrap(), unsupported);
    let response = http()
        .get(proxy.url("/topics"))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(response.json::<Value>().await.unwrap(), unsupported);
}

#[tokio::test]
async fn less_specific_accept_types_are_answered_as_asked() {
    let topic = unique("accept-less-specific");
    create_topic(&topic, 2, &[]).await;
    let proxy = Proxy::start(&[]);
    let url = proxy.url(&format!("/topics/{topic}"));
    let (_, _, described) = get_v2(&url).await;
    for (accept, answered) in [
        ("application/json", "application/json"),
        ("application/vnd.kafka+json", "application/vnd.kafka+json"),
        (
            "application/json; q=0.5, application/vnd.kafka.v2+json; q=0.9",
            V2_JSON,
        ),
        ("*/*", V2_JSON),
        ("application/*", V2_JSON),
    ] {
        let (status, content_type, body) = support::call(reqwest::Method::GET, &url, None, accept).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, answered),
            "Accept: {accept}"
        );
        assert_eq!(body, described, "Accept: {accept}");
    }
}

#[tokio::test]
async fn root_unknown_paths_methods_and_metrics() {
    let proxy = Proxy::start(&[]);
    assert_eq!(
        get_v2(&proxy.url("/")).await,
        (200, V2_JSON.to_string(), json!({}))
    );
    let post = |body: &'static str| {
        http()
            .post(proxy.url("/"))
            .header("Content-Type", V2_JSON)
            .body(body)
            .send()
    };
    let response = post(r#"{"a":"b"}"#).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
    let response = post(r#"{"a":"#).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error_code"], 400);

    let (status, _, body) = get_v2(&proxy.url("/no/such/thing")).await;
    assert_eq!(
        (status, body),
        (404, json!({ "error_code": 404, "message": "HTTP 404 Not Found" }))
    );
    let response = http().delete(proxy.url("/brokers")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "error_code": 405, "message": "HTTP 405 Method Not Allowed" })
    );

    let metrics = proxy.metrics().await;
    assert!(
        metrics.contains(r#"krest_http_requests_total{method="GET",route="/",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"krest_http_requests_total{method="POST",route="/",status="400"} 1"#));
    assert!(metrics.contains(r#"krest_http_request_duration_seconds_count{method="GET",route="/"} 1"#));
}
