//! v2 consumer instances on a real broker: records round-trip, commits, positions, groups,
//! `base_uri` rules, expiry and every error code of the reference.

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{call, create_topic, produce_direct, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const JSON: &str = "application/vnd.kafka.json.v2+json";

/// A consumer instance reached through its `base_uri`.
struct Consumer {
    base: String,
    accept: &'static str,
}

impl Consumer {
    async fn create(proxy: &Proxy, group: &str, body: Value) -> Consumer {
        let (status, _, created) = call(
            Method::POST,
            &proxy.url(&format!("/consumers/{group}")),
            Some(body),
            V2_JSON,
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let base = created["base_uri"].as_str().unwrap().to_string();
        assert!(base.ends_with(&format!(
            "/consumers/{group}/instances/{}",
            created["instance_id"].as_str().unwrap()
        )));
        Consumer { base, accept: BINARY }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, _, body) = call(method, &format!("{}{path}", self.base), body, V2_JSON).await;
        (status, body)
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, response) = self.call(method.clone(), path, body).await;
        assert!(
            status == 200 || status == 204,
            "{method} {path}: {status} {response}"
        );
        response
    }

    /// Status and `error_code` of a call expected to fail.
    async fn error(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Option<u64>) {
        let (status, response) = self.call(method, path, body).await;
        (status, response["error_code"].as_u64())
    }

    async fn read_once(&self, query: &str) -> Vec<Value> {
        let (status, content_type, body) = call(
            Method::GET,
            &format!("{}/records{query}", self.base),
            None,
            self.accept,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, self.accept);
        body.as_array().unwrap().clone()
    }

    /// Reads until `count` records arrived (the first reads may be empty while the group joins).
    async fn read(&self, count: usize) -> Vec<Value> {
        let mut records = Vec::new();
        for _ in 0..40 {
            records.extend(self.read_once("").await);
            if records.len() >= count {
                break;
            }
        }
        assert_eq!(records.len(), count, "{records:?}");
        records
    }
}

fn start() -> Proxy {
    Proxy::start(&["--set", "consumer.request.timeout.ms=300"])
}

#[tokio::test]
async fn binary_records_round_trip_with_offsets_and_commits() {
    let topic = unique("consume-binary");
    create_topic(&topic, 1, &[]).await;
    produce_direct(
        &topic,
        0,
        &[
            (Some(b"k1"), b"\x00\x01\xff"),
            (None, b"two"),
            (Some(b"k3"), b"three"),
        ],
    )
    .await;
    let proxy = start();
    let group = unique("group");
    let consumer = Consumer::create(
        &proxy,
        &group,
        json!({"auto.offset.reset": "earliest", "auto.commit.enable": "false"}),
    )
    .await;
    consumer
        .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
        .await;
    assert_eq!(
        consumer.ok(Method::GET, "/subscription", None).await,
        json!({"topics": [topic]})
    );

    let records = consumer.read(3).await;
    assert_eq!(
        records,
        vec![
            json!({"topic": topic, "key": "azE=", "value": "AAH/", "partition": 0, "offset": 0}),
            json!({"topic": topic, "key": null, "value": "dHdv", "partition": 0, "offset": 1}),
            json!({"topic": topic, "key": "azM=", "value": "dGhyZWU=", "partition": 0, "offset": 2}),
        ]
    );
    assert_eq!(
        consumer.ok(Method::GET, "/assignments", None).await,
        json!({"partitions": [{"topic": topic, "partition": 0}]})
    );

    // Explicit commit: Confluent commits offset + 1.
    let committed = consumer
        .ok(
            Method::POST,
            "/offsets",
            Some(json!({"offsets": [{"topic": topic, "partition": 0, "offset": 1}]})),
        )
        .await;
    assert_eq!(committed, json!([]));
    let query = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let (status, _, offsets) = call(
        Method::GET,
        &format!("{}/offsets", consumer.base),
        Some(query.clone()),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        offsets,
        json!({"offsets": [{"topic": topic, "partition": 0, "offset": 2, "metadata": ""}]})
    );

    // Commit without a body: everything returned so far (offset 2 → committed 3), asynchronously.
    consumer.ok(Method::POST, "/offsets", None).await;
    let mut committed_all = Value::Null;
    for _ in 0..50 {
        committed_all = call(
            Method::GET,
            &format!("{}/offsets", consumer.base),
            Some(query.clone()),
            V2_JSON,
        )
        .await
        .2;
        if committed_all["offsets"][0]["offset"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(committed_all["offsets"][0]["offset"], 3);
    let (status, _) = consumer.call(Method::DELETE, "", None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn json_consumer_returns_the_json_values() {
    let topic = unique("consume-json");
    create_topic(&topic, 1, &[]).await;
    produce_direct(
        &topic,
        0,
        &[
            (Some(br#"{"id":1}"#), br#"{"a":[1,"x"],"b":null}"#),
            (None, b"42"),
        ],
    )
    .await;
    let proxy = start();
    let mut consumer = Consumer::create(
        &proxy,
        &unique("group"),
        json!({"format": "json", "auto.offset.reset": "earliest"}),
    )
    .await;
    consumer.accept = JSON;
    consumer
        .ok(
            Method::POST,
            "/subscription",
            Some(json!({"topic_pattern": topic.replace("json", "j.on")})),
        )
        .await;
    let records = consumer.read(2).await;
    assert_eq!(records[0]["key"], json!({"id": 1}));
    assert_eq!(records[0]["value"], json!({"a": [1, "x"], "b": null}));
    assert_eq!(
        (records[1]["key"].clone(), records[1]["value"].clone()),
        (Value::Null, json!(42))
    );
    // A binary Accept on a json consumer is refused.
    let (status, _, body) = call(Method::GET, &format!("{}/records", consumer.base), None, BINARY).await;
    assert_eq!((status, body["error_code"].as_u64()), (406, Some(40601)));
}

#[tokio::test]
async fn commits_survive_a_consumer_restart() {
    let topic = unique("consume-restart");
    create_topic(&topic, 1, &[]).await;
    let values: Vec<Vec<u8>> = (0..5).map(|i| format!("v{i}").into_bytes()).collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_slice())).collect();
    produce_direct(&topic, 0, &records).await;
    let proxy = start();
    let group = unique("group");
    let settings = json!({"auto.offset.reset": "earliest", "auto.commit.enable": "false"});
    let first = Consumer::create(&proxy, &group, settings.clone()).await;
    first
        .ok(
            Method::POST,
            "/assignments",
            Some(json!({"partitions": [{"topic": topic, "partition": 0}]})),
        )
        .await;
    let read = first.read(5).await;
    assert_eq!(read[4]["offset"], 4);
    first
        .ok(
            Method::POST,
            "/offsets",
            Some(json!({"offsets": [{"topic": topic, "partition": 0, "offset": 2}]})),
        )
        .await;
    first.ok(Method::DELETE, "", None).await;

    let second = Consumer::create(&proxy, &group, settings).await;
    second
        .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
        .await;
    let resumed = second.read(2).await;
    let offsets: Vec<i64> = resumed.iter().map(|r| r["offset"].as_i64().unwrap()).collect();
    assert_eq!(offsets, vec![3, 4], "resumes after the committed offset");
}

#[tokio::test]
async fn two_consumers_in_one_group_share_the_partitions() {
    let topic = unique("consume-share");
    create_topic(&topic, 2, &[]).await;
    produce_direct(&topic, 0, &[(None, b"p0")]).await;
    produce_direct(&topic, 1, &[(None, b"p1")]).await;
    let proxy = start();
    let group = unique("group");
    let settings = json!({"auto.offset.reset": "earliest"});
    let a = Consumer::create(&proxy, &group, settings.clone()).await;
    let b = Consumer::create(&proxy, &group, settings).await;
    for consumer in [&a, &b] {
        consumer
            .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
            .await;
    }
    let (mut seen_a, mut seen_b) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let (ra, rb) = tokio::join!(a.read_once(""), b.read_once(""));
        seen_a.extend(ra);
        seen_b.extend(rb);
        let assigned_a = a.ok(Method::GET, "/assignments", None).await["partitions"]
            .as_array()
            .unwrap()
            .len();
        let assigned_b = b.ok(Method::GET, "/assignments", None).await["partitions"]
            .as_array()
            .unwrap()
            .len();
        if assigned_a == 1 && assigned_b == 1 && seen_a.len() + seen_b.len() == 2 {
            break;
        }
    }
    let pa = a.ok(Method::GET, "/assignments", None).await;
    let pb = b.ok(Method::GET, "/assignments", None).await;
    assert_eq!(pa["partitions"].as_array().unwrap().len(), 1, "{pa} {pb}");
    assert_eq!(pb["partitions"].as_array().unwrap().len(), 1, "{pa} {pb}");
    assert_ne!(pa["partitions"][0]["partition"], pb["partitions"][0]["partition"]);
    let mut values: Vec<Value> = seen_a.iter().chain(&seen_b).map(|r| r["value"].clone()).collect();
    values.sort_by_key(|v| v.to_string());
    assert_eq!(
        values,
        vec![json!("cDA="), json!("cDE=")],
        "each record read once"
    );
}

#[tokio::test]
async fn positions_seek_by_offset_timestamp_beginning_and_end() {
    let topic = unique("consume-seek");
    create_topic(&topic, 1, &[]).await;
    produce_direct(&topic, 0, &[(None, b"a"), (None, b"b"), (None, b"c")]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let boundary = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    tokio::time::sleep(Duration::from_millis(50)).await;
    produce_direct(&topic, 0, &[(None, b"d"), (None, b"e")]).await;
    let proxy = start();
    let consumer = Consumer::create(&proxy, &unique("group"), json!({"auto.offset.reset": "latest"})).await;
    let partition = json!({"partitions": [{"topic": topic, "partition": 0}]});
    consumer
        .ok(Method::POST, "/assignments", Some(partition.clone()))
        .await;

    consumer
        .ok(
            Method::POST,
            "/positions",
            Some(json!({"offsets": [{"topic": topic, "partition": 0, "offset": 3}]})),
        )
        .await;
    let read = consumer.read(2).await;
    assert_eq!(
        (read[0]["value"].clone(), read[1]["offset"].clone()),
        (json!("ZA=="), json!(4))
    );

    consumer
        .ok(Method::POST, "/positions/beginning", Some(partition.clone()))
        .await;
    assert_eq!(consumer.read(5).await[0]["offset"], 0);

    consumer
        .ok(
            Method::POST,
            "/positions",
            Some(json!({"timestamps": [{"topic": topic, "partition": 0, "timestamp": boundary}]})),
        )
        .await;
    let after: Vec<i64> = consumer
        .read(2)
        .await
        .iter()
        .map(|r| r["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(after, vec![3, 4], "only records after the timestamp");

    consumer.ok(Method::POST, "/positions/end", Some(partition)).await;
    produce_direct(&topic, 0, &[(None, b"f")]).await;
    assert_eq!(consumer.read(1).await[0]["offset"], 5, "end skips what was there");
}

#[tokio::test]
async fn max_bytes_splits_reads_and_keeps_the_rest_buffered() {
    let topic = unique("consume-max-bytes");
    create_topic(&topic, 1, &[]).await;
    produce_direct(
        &topic,
        0,
        &[
            (None, b"0123456789"),
            (None, b"0123456789"),
            (None, b"0123456789"),
        ],
    )
    .await;
    let proxy = start();
    let consumer = Consumer::create(&proxy, &unique("group"), json!({"auto.offset.reset": "earliest"})).await;
    consumer
        .ok(
            Method::POST,
            "/assignments",
            Some(json!({"partitions": [{"topic": topic, "partition": 0}]})),
        )
        .await;
    let mut batches = Vec::new();
    for _ in 0..20 {
        let batch = consumer.read_once("?max_bytes=25").await;
        if !batch.is_empty() {
            batches.push(batch.len());
        }
        if batches.iter().sum::<usize>() == 3 {
            break;
        }
    }
    assert_eq!(batches, vec![2, 1], "10 + 10 < 25 bytes fit, the third waits");
}

#[tokio::test]
async fn consumer_errors_use_confluents_codes() {
    let topic = unique("consume-errors");
    create_topic(&topic, 1, &[]).await;
    let proxy = start();
    let group = unique("group");
    let url = |path: &str| proxy.url(&format!("/consumers/{group}{path}"));
    let create_url = url("");
    let create = |body: Value| call(Method::POST, &create_url, Some(body), V2_JSON);

    let consumer = Consumer::create(&proxy, &group, json!({"name": "one"})).await;
    let cases = [
        (create(json!({"name": "one"})).await, 409, 40902),
        (
            create(json!({"auto.offset.reset": "bad-config"})).await,
            422,
            42204,
        ),
        (create(json!({"format": "nope"})).await, 422, 422),
        (create(json!({"fetch.min.bytes": 10_000_001})).await, 422, 40001),
        (create(json!({"unknown": 1})).await, 422, 422),
    ];
    for ((status, _, body), want_status, want_code) in cases {
        assert_eq!(
            (status, body["error_code"].as_u64()),
            (want_status, Some(want_code)),
            "{body}"
        );
    }

    let read_first = consumer.error(Method::GET, "/records", None).await;
    assert_eq!(read_first, (409, Some(40903)), "read before subscribing");
    let partition = json!({"partitions": [{"topic": topic, "partition": 0}]});
    consumer.ok(Method::POST, "/assignments", Some(partition)).await;
    let subscribe = json!({"topics": [topic]});
    assert_eq!(
        consumer
            .error(Method::POST, "/subscription", Some(subscribe))
            .await,
        (409, Some(40903))
    );
    let other = json!({"offsets": [{"topic": topic, "partition": 9, "offset": 0}]});
    assert_eq!(
        consumer.error(Method::POST, "/positions", Some(other)).await,
        (409, Some(40903))
    );
    assert_eq!(
        consumer.error(Method::GET, "/offsets", None).await,
        (404, Some(40402))
    );

    let gone = format!("/instances/{}", unique("nobody"));
    for (method, path) in [
        (Method::DELETE, ""),
        (Method::GET, "/subscription"),
        (Method::POST, "/subscription"),
        (Method::GET, "/assignments"),
        (Method::GET, "/records"),
        (Method::POST, "/offsets"),
    ] {
        let body = (method == Method::POST).then(|| json!({"topics": [topic]}));
        let (status, _, response) = call(method.clone(), &url(&format!("{gone}{path}")), body, V2_JSON).await;
        assert_eq!(
            (status, response["error_code"].as_u64()),
            (404, Some(40403)),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn records_answer_less_specific_accept_types_as_binary() {
    let topic = unique("consume-accept");
    create_topic(&topic, 1, &[]).await;
    produce_direct(&topic, 0, &[(Some(b"k"), b"v")]).await;
    let proxy = start();
    let mut consumer =
        Consumer::create(&proxy, &unique("group"), json!({"auto.offset.reset": "earliest"})).await;
    consumer
        .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
        .await;
    consumer.accept = "application/json";
    let records = consumer.read(1).await;
    assert_eq!(
        (&records[0]["key"], &records[0]["value"]),
        (&json!("aw=="), &json!("dg=="))
    );
    let url = format!("{}/records", consumer.base);
    for accept in ["*/*", "application/*"] {
        let (status, content_type, body) = call(Method::GET, &url, None, accept).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, BINARY),
            "Accept: {accept}: {body}"
        );
    }
    // A type without an embedded format asks for binary: a json consumer refuses it.
    let json_consumer = Consumer::create(&proxy, &unique("group"), json!({"format": "json"})).await;
    let url = format!("{}/records", json_consumer.base);
    let (status, _, body) = call(Method::GET, &url, None, "application/json").await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (406, Some(40601)),
        "{body}"
    );
}

#[tokio::test]
async fn topics_and_a_topic_pattern_together_are_refused_with_40903() {
    let topic = unique("consume-both");
    create_topic(&topic, 1, &[]).await;
    let proxy = start();
    let consumer = Consumer::create(&proxy, &unique("group"), json!({})).await;
    let both = json!({"topics": [topic], "topic_pattern": "consume-both-.*"});
    assert_eq!(
        consumer.call(Method::POST, "/subscription", Some(both)).await,
        (
            409,
            json!({
                "error_code": 40903,
                "message": "Illegal state: Subscription to topics, partitions and pattern are mutually exclusive"
            })
        )
    );
    assert_eq!(
        consumer.ok(Method::GET, "/subscription", None).await,
        json!({"topics": []}),
        "nothing was subscribed"
    );
    consumer
        .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
        .await;
    assert_eq!(
        consumer.ok(Method::GET, "/subscription", None).await,
        json!({"topics": [topic]})
    );
}

/// As Confluent's proxy: `{}` changes nothing and `{"topics": []}` unsubscribes (Java's
/// `subscribe` of an empty list), both 204.
#[tokio::test]
async fn an_empty_subscription_changes_nothing_and_empty_topics_unsubscribe() {
    let topic = unique("consume-empty-subscription");
    create_topic(&topic, 1, &[]).await;
    let proxy = start();
    let consumer = Consumer::create(&proxy, &unique("group"), json!({})).await;
    let subscribed = json!({"topics": [topic]});
    consumer
        .ok(Method::POST, "/subscription", Some(subscribed.clone()))
        .await;
    let (status, _) = consumer
        .call(Method::POST, "/subscription", Some(json!({})))
        .await;
    assert_eq!(status, 204);
    assert_eq!(consumer.ok(Method::GET, "/subscription", None).await, subscribed);

    let empty = json!({"topics": []});
    let (status, _) = consumer
        .call(Method::POST, "/subscription", Some(empty.clone()))
        .await;
    assert_eq!(status, 204);
    assert_eq!(consumer.ok(Method::GET, "/subscription", None).await, empty);
    assert_eq!(
        consumer.call(Method::GET, "/records", None).await.1["error_code"],
        40903,
        "not subscribed any more"
    );
}

#[tokio::test]
async fn base_uri_follows_advertised_listeners_then_host_name_then_the_request() {
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases: [(Vec<String>, String); 3] = [
        (
            vec![
                "--set".into(),
                "advertised.listeners=http://proxy-a.example.com:9999".into(),
                "--set".into(),
                "host.name=ignored".into(),
            ],
            "http://proxy-a.example.com:9999".into(),
        ),
        (
            vec![
                "--set".into(),
                "host.name=proxy-b.example.com".into(),
                "--set".into(),
                format!("listeners=http://127.0.0.1:{free_port}"),
            ],
            format!("http://proxy-b.example.com:{free_port}"),
        ),
        (vec![], String::new()),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let proxy = Proxy::start(&args);
        let expected = if expected.is_empty() {
            proxy.base.clone()
        } else {
            expected
        };
        let (status, _, created) = call(
            Method::POST,
            &proxy.url("/consumers/g"),
            Some(json!({"name": "c"})),
            V2_JSON,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            created["base_uri"],
            json!(format!("{expected}/consumers/g/instances/c")),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn idle_instances_expire() {
    let proxy = Proxy::start(&["--set", "consumer.instance.timeout.ms=1000"]);
    let group = unique("group");
    let consumer = Consumer::create(&proxy, &group, json!({})).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        consumer.ok(Method::GET, "/assignments", None).await; // use keeps it alive
    }
    // Idle for longer than the timeout plus the one-second expiry sweep.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let (status, _) = consumer.call(Method::GET, "/assignments", None).await;
    let metrics = proxy.metrics().await;
    assert!(metrics.contains("krest_consumer_instances 0"), "{metrics}");
    assert!(
        metrics.contains("krest_consumer_instances_expired_total 1"),
        "{metrics}"
    );
    assert_eq!(
        status, 404,
        "an idle instance is closed after consumer.instance.timeout.ms"
    );
}

#[tokio::test]
async fn id_names_the_instance_and_unsubscribe_clears_the_subscription() {
    let topic = unique("consume-unsubscribe");
    create_topic(&topic, 1, &[]).await;
    let proxy = start();
    let group = unique("group");
    let body = json!({"id": "legacy", "name": "ignored", "consumer.request.timeout.ms": "200"});
    let (status, _, created) = call(
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(body),
        V2_JSON,
    )
    .await;
    assert_eq!(
        (status, created["instance_id"].as_str()),
        (200, Some("legacy")),
        "`id` wins over `name`"
    );
    let consumer = Consumer {
        base: created["base_uri"].as_str().unwrap().to_string(),
        accept: BINARY,
    };
    consumer
        .ok(Method::POST, "/subscription", Some(json!({"topics": [topic]})))
        .await;
    assert_eq!(
        consumer.ok(Method::GET, "/subscription", None).await,
        json!({"topics": [topic]})
    );
    let (status, _) = consumer.call(Method::DELETE, "/subscription", None).await;
    assert_eq!(status, 204);
    assert_eq!(
        consumer.ok(Method::GET, "/subscription", None).await,
        json!({"topics": []})
    );
    // Not subscribed any more: a read is an illegal state, and assigning is allowed again.
    assert_eq!(
        consumer.call(Method::GET, "/records", None).await.1["error_code"],
        40903
    );
    consumer
        .ok(
            Method::POST,
            "/assignments",
            Some(json!({"partitions": [{"topic": topic, "partition": 0}]})),
        )
        .await;
}

#[tokio::test]
async fn one_read_returns_records_of_several_topics() {
    let prefix = unique("consume-multi");
    let (first, second) = (format!("{prefix}-a"), format!("{prefix}-b"));
    create_topic(&first, 1, &[]).await;
    create_topic(&second, 1, &[]).await;
    produce_direct(&first, 0, &[(None, br#"{"from":"a"}"#)]).await;
    produce_direct(&second, 0, &[(None, br#"{"from":"b"}"#)]).await;
    let proxy = start();
    let mut consumer = Consumer::create(
        &proxy,
        &unique("group"),
        json!({"format": "json", "auto.offset.reset": "earliest"}),
    )
    .await;
    consumer.accept = JSON;
    consumer
        .ok(
            Method::POST,
            "/subscription",
            Some(json!({"topic_pattern": format!("{prefix}-.*")})),
        )
        .await;
    let mut records = consumer.read(2).await;
    records.sort_by_key(|r| r["topic"].as_str().unwrap().to_string());
    assert_eq!(
        (records[0]["topic"].clone(), records[0]["value"].clone()),
        (json!(first), json!({"from": "a"}))
    );
    assert_eq!(
        (records[1]["topic"].clone(), records[1]["value"].clone()),
        (json!(second), json!({"from": "b"}))
    );
}

/// A created instance has no Kafka client until an operation needs one. Here no client can
/// start (its CA file is missing): everything a fresh instance answers without Kafka still
/// answers as for any fresh instance, and the first operation that needs Kafka gets 500/50002.
#[tokio::test]
async fn operations_without_kafka_start_no_client() {
    let proxy = Proxy::start(&[
        "--set",
        "consumer.security.protocol=SSL",
        "--set",
        "consumer.ssl.ca.location=/nonexistent/ca.pem",
    ]);
    let consumer = Consumer::create(&proxy, &unique("group"), json!({})).await;
    let subscription = consumer.ok(Method::GET, "/subscription", None).await;
    assert_eq!(subscription, json!({"topics": []}));
    let assignments = consumer.ok(Method::GET, "/assignments", None).await;
    assert_eq!(assignments, json!({"partitions": []}));
    consumer.ok(Method::DELETE, "/subscription", None).await;
    consumer.ok(Method::POST, "/offsets", None).await;
    let seek = json!({"offsets": [{"topic": "t", "partition": 0, "offset": 1}]});
    let sought = consumer.error(Method::POST, "/positions", Some(seek)).await;
    assert_eq!(sought, (409, Some(40903)), "no assignment to seek in");
    let read = consumer.error(Method::GET, "/records", None).await;
    assert_eq!(read, (409, Some(40903)), "read before subscribing");

    let (status, body) = consumer
        .call(Method::POST, "/subscription", Some(json!({"topics": ["t"]})))
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (500, json!(50002)),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("ssl.ca.location"),
        "{body}"
    );
    consumer.ok(Method::DELETE, "", None).await;
}
