//! Stateless partition reads (`GET /v3/clusters/{c}/topics/{t}/partitions/{p}/records`, a
//! krest extension) on the real broker: from an offset byte for byte (binary and JSON), from a
//! timestamp, record and byte limits, paging by `next_offset` that reads every record once,
//! unknown topics and partitions, offsets out of range, bad query values, READ authorization,
//! consume transforms, and the bounded consumer pool.

mod support;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rdkafka::admin::AdminOptions;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use reqwest::Method;
use serde_json::{json, Value};
use support::{
    admin, allowlist_proxy, bootstrap, call_v3, cluster_id, create_topic, http, temp_dir, unique, Proxy,
};

/// The records URL of `topic`'s `partition` with `query`.
fn records_url(proxy: &Proxy, topic: &str, partition: i32, query: &str) -> String {
    proxy.url(&format!(
        "/v3/clusters/{}/topics/{topic}/partitions/{partition}/records?{query}",
        cluster_id()
    ))
}

async fn read(proxy: &Proxy, topic: &str, partition: i32, query: &str) -> (u16, Value) {
    let (status, content_type, body) =
        call_v3(Method::GET, &records_url(proxy, topic, partition, query), None).await;
    assert_eq!(content_type, "application/json", "{body}");
    (status, body)
}

fn producer() -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap()
}

/// A record to produce: key, value and timestamp (ms).
type Produced<'a> = (Option<&'a [u8]>, &'a [u8], i64);

/// Produces records to one partition, with a header `n: <index>` each.
async fn produce(topic: &str, partition: i32, records: &[Produced<'_>]) {
    let producer = producer();
    for (i, (key, value, timestamp)) in records.iter().enumerate() {
        let index = i.to_string();
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "n",
                value: Some(index.as_bytes()),
            })
            .insert(Header::<&[u8]> {
                key: "empty",
                value: None,
            });
        let mut record = FutureRecord::<[u8], [u8]>::to(topic)
            .partition(partition)
            .payload(*value)
            .timestamp(*timestamp)
            .headers(headers);
        record.key = *key;
        producer.send(record, Duration::from_secs(10)).await.unwrap();
    }
}

fn offsets(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["offset"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn reads_from_an_offset_byte_for_byte_in_binary_and_json() {
    let topic = unique("sl-bytes");
    create_topic(&topic, 2, &[]).await;
    let junk: &[u8] = &[0, 159, 146, 150, 255, b'\n'];
    produce(
        &topic,
        0,
        &[
            (Some(b"k0"), b"v0", 1_612_552_482_000),
            (None, junk, 1_612_552_482_123),
            (Some(junk), b"x", 1_612_552_483_000),
        ],
    )
    .await;
    produce(
        &topic,
        1,
        &[
            (Some(b"\"id\""), br#"{"n":1,"s":"a\u00e9"}"#, 1000),
            (None, b"[1,2.5,null]", 2000),
        ],
    )
    .await;
    let proxy = Proxy::start(&[]);
    let cluster = cluster_id();

    let (status, list) = read(&proxy, &topic, 0, "offset=1").await;
    assert_eq!(status, 200, "{list}");
    let base = proxy.url(&format!(
        "/v3/clusters/{cluster}/topics/{topic}/partitions/0/records"
    ));
    assert_eq!(
        list,
        json!({
            "kind": "KafkaRecordList",
            "metadata": {"self": format!("{base}?offset=1"), "next": format!("{base}?offset=3")},
            "cluster_id": cluster,
            "topic_name": topic,
            "partition_id": 0,
            "next_offset": 3,
            "data": [
                {"topic_name": topic, "partition_id": 0, "offset": 1, "timestamp": "2021-02-05T19:14:42.123Z",
                 "headers": [{"name": "n", "value": STANDARD.encode("1")}, {"name": "empty", "value": null}],
                 "key": null, "value": STANDARD.encode(junk)},
                {"topic_name": topic, "partition_id": 0, "offset": 2, "timestamp": "2021-02-05T19:14:43Z",
                 "headers": [{"name": "n", "value": STANDARD.encode("2")}, {"name": "empty", "value": null}],
                 "key": STANDARD.encode(junk), "value": STANDARD.encode("x")},
            ]
        })
    );

    let (status, list) = read(&proxy, &topic, 1, "offset=0&format=json").await;
    assert_eq!(status, 200, "{list}");
    let decoded: Vec<(Value, Value)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        decoded,
        [
            (json!("id"), json!({"n": 1, "s": "aé"})),
            (json!(null), json!([1, 2.5, null]))
        ]
    );
    assert_eq!(list["data"][0]["timestamp"], "1970-01-01T00:00:01Z");
    // The same records in binary: the stored bytes.
    let (_, list) = read(&proxy, &topic, 1, "offset=0&format=binary").await;
    assert_eq!(
        list["data"][0]["value"],
        STANDARD.encode(br#"{"n":1,"s":"a\u00e9"}"#)
    );
    // JSON that is not JSON: 408/40801 naming the record, as a v2 read answers.
    let (status, error) = read(&proxy, &topic, 0, "offset=1&format=json").await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (408, json!(40801)),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{topic}/0@1")),
        "{error}"
    );
}

#[tokio::test]
async fn reads_from_a_timestamp() {
    let topic = unique("sl-time");
    create_topic(&topic, 1, &[]).await;
    produce(
        &topic,
        0,
        &[(None, b"a", 1000), (None, b"b", 2000), (None, b"c", 3000)],
    )
    .await;
    let proxy = Proxy::start(&[]);
    for (query, expected) in [
        ("timestamp=2000", vec![1, 2]),
        ("timestamp=1500", vec![1, 2]),
        ("timestamp=1970-01-01T00:00:02.5Z", vec![2]),
        ("timestamp=0", vec![0, 1, 2]),
    ] {
        let (status, list) = read(&proxy, &topic, 0, query).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(offsets(&list), expected, "{query}");
        assert_eq!(list["next_offset"], 3, "{query}");
    }
    // After the last record: nothing within the wait, and the next read starts at the end.
    let (status, list) = read(&proxy, &topic, 0, "timestamp=4000&timeout_ms=200").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!((offsets(&list), list["next_offset"].clone()), (vec![], json!(3)));
    assert!(list["metadata"]["self"]
        .as_str()
        .unwrap()
        .ends_with("?timestamp=4000&timeout_ms=200"));
    assert!(list["metadata"]["next"]
        .as_str()
        .unwrap()
        .ends_with("?offset=3&timeout_ms=200"));
}

#[tokio::test]
async fn limits_hold_and_paging_reads_every_record_once() {
    let topic = unique("sl-page");
    create_topic(&topic, 1, &[]).await;
    let values: Vec<String> = (0..50).map(|i| format!("value-{i:03}")).collect();
    let records: Vec<Produced> = values.iter().map(|v| (None, v.as_bytes(), 1000)).collect();
    produce(&topic, 0, &records).await;
    let proxy = Proxy::start(&["--set", "consumer.request.timeout.ms=5000"]);

    // Each value is 9 bytes: 25 bytes hold two records; a limit below one record returns one.
    let (_, list) = read(&proxy, &topic, 0, "offset=10&max_bytes=25").await;
    assert_eq!(
        (offsets(&list), list["next_offset"].clone()),
        (vec![10, 11], json!(12))
    );
    let (_, list) = read(&proxy, &topic, 0, "offset=10&max_bytes=5").await;
    assert_eq!(offsets(&list), vec![10]);
    let (_, list) = read(&proxy, &topic, 0, "offset=3&max_records=4").await;
    assert_eq!(offsets(&list), vec![3, 4, 5, 6]);

    // Following `metadata.next` reads every record once, in order, and stops at the end.
    let mut url = records_url(&proxy, &topic, 0, "offset=0&max_records=7&timeout_ms=300");
    let mut read_values = Vec::new();
    for _ in 0..20 {
        let (status, _, list) = call_v3(Method::GET, &url, None).await;
        assert_eq!(status, 200, "{list}");
        let page = list["data"].as_array().unwrap();
        assert!(page.len() <= 7);
        if page.is_empty() {
            assert_eq!(list["next_offset"], 50);
            break;
        }
        for record in page {
            let value = STANDARD.decode(record["value"].as_str().unwrap()).unwrap();
            read_values.push(String::from_utf8(value).unwrap());
        }
        url = list["metadata"]["next"].as_str().unwrap().to_string();
    }
    assert_eq!(read_values, values);

    // Two pages read at once, each from its own offset.
    let (first, second) = tokio::join!(
        read(&proxy, &topic, 0, "offset=0&max_records=5"),
        read(&proxy, &topic, 0, "offset=20&max_records=5")
    );
    assert_eq!(offsets(&first.1), vec![0, 1, 2, 3, 4]);
    assert_eq!(offsets(&second.1), vec![20, 21, 22, 23, 24]);

    // At the end a read waits for the next record and returns it.
    let waiting = read(&proxy, &topic, 0, "offset=50&timeout_ms=5000");
    let producing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        produce(&topic, 0, &[(None, b"late", 5000)]).await;
    };
    let ((status, list), ()) = tokio::join!(waiting, producing);
    assert_eq!((status, offsets(&list)), (200, vec![50]), "{list}");
}

#[tokio::test]
async fn unknown_topics_partitions_out_of_range_offsets_and_bad_queries_are_refused() {
    let topic = unique("sl-errors");
    create_topic(&topic, 1, &[]).await;
    produce(&topic, 0, &[(None, b"a", 1), (None, b"b", 2), (None, b"c", 3)]).await;
    let proxy = Proxy::start(&[]);

    let (status, error) = read(&proxy, &unique("sl-missing"), 0, "offset=0").await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (404, json!(40403)),
        "{error}"
    );
    for partition in [1, 7] {
        let (status, error) = read(&proxy, &topic, partition, "offset=0").await;
        assert_eq!(
            (status, error["error_code"].clone()),
            (404, json!(40402)),
            "{error}"
        );
    }
    let (status, error) = read(&proxy, &topic, -1, "offset=0").await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (404, json!(40402)),
        "{error}"
    );
    let (status, _, error) = call_v3(
        Method::GET,
        &proxy.url(&format!(
            "/v3/clusters/nope/topics/{topic}/partitions/0/records?offset=0"
        )),
        None,
    )
    .await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (404, json!(404)),
        "{error}"
    );

    // Beyond the end; the end itself is a read that waits.
    let (status, error) = read(&proxy, &topic, 0, "offset=4").await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (416, json!(41601)),
        "{error}"
    );
    assert!(error["message"].as_str().unwrap().contains("0 to 3"), "{error}");
    let (status, list) = read(&proxy, &topic, 0, "offset=3&timeout_ms=100").await;
    assert_eq!((status, offsets(&list)), (200, vec![]));

    // Below the start once records are deleted.
    let mut before = TopicPartitionList::new();
    before.add_partition_offset(&topic, 0, Offset::Offset(2)).unwrap();
    admin()
        .delete_records(&before, &AdminOptions::new())
        .await
        .expect("records deleted");
    let (status, error) = read(&proxy, &topic, 0, "offset=1").await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (416, json!(41601)),
        "{error}"
    );
    let (status, list) = read(&proxy, &topic, 0, "offset=2").await;
    assert_eq!((status, offsets(&list)), (200, vec![2]), "{list}");

    for query in [
        "offset=-1",
        "",
        "offset=0&timestamp=0",
        "timestamp=yesterday",
        "timestamp=-5",
        "offset=x",
        "offset=0&max_records=0",
        "offset=0&max_bytes=-1",
        "offset=0&timeout_ms=-1",
        "offset=0&format=nonesuch",
    ] {
        let (status, error) = read(&proxy, &topic, 0, query).await;
        assert_eq!(
            (status, error["error_code"].clone()),
            (400, json!(400)),
            "{query}: {error}"
        );
    }
}

#[tokio::test]
async fn only_callers_allowed_to_read_the_topic_read_it() {
    let topic = unique("alice-sl");
    create_topic(&topic, 1, &[]).await;
    produce(&topic, 0, &[(None, b"secret", 1)]).await;
    let proxy = allowlist_proxy(&[]);
    let url = records_url(&proxy, &topic, 0, "offset=0");
    let as_key = |key: Option<&'static str>| {
        let mut request = http().get(&url).header("Accept", "application/json");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, list) = as_key(Some("alice-key")).await;
    assert_eq!((status, offsets(&list)), (200, vec![0]), "{list}");
    let (status, error) = as_key(Some("bob-key")).await;
    assert_eq!(
        (status, error["error_code"].clone()),
        (403, json!(40301)),
        "{error}"
    );
    let (status, _) = as_key(None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn consume_transforms_apply_and_dropped_records_count_as_read() {
    let topic = unique("sl-transform");
    create_topic(&topic, 1, &[]).await;
    let values: [&[u8]; 3] = [
        br#"{"type":"heartbeat"}"#,
        br#"{"type":"x","ssn":"9"}"#,
        br#"{"type":"heartbeat"}"#,
    ];
    produce(&topic, 0, &values.map(|v| (None, v, 1))).await;
    let dir = temp_dir("krest-sl-transforms");
    std::fs::write(
        dir.join("filter.toml"),
        "[[drop]]\npath = \"type\"\nequals = \"heartbeat\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("redact.toml"), "fields = [\"ssn\"]\n").unwrap();
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "transforms=filter,redact",
        "--set",
        "transforms.filter.on=consume",
        "--set",
        "transforms.redact.on=consume",
    ]);
    let (status, list) = read(&proxy, &topic, 0, "offset=0&format=json").await;
    assert_eq!(status, 200, "{list}");
    let values: Vec<Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(values, [json!({"type": "x", "ssn": "***"})]);
    assert_eq!((offsets(&list), list["next_offset"].clone()), (vec![1], json!(3)));
}

/// The krest metric `name`'s value, 0 when absent.
async fn gauge(proxy: &Proxy, name: &str) -> i64 {
    proxy.metric(name, &[]).await.map_or(0, |v| v as i64)
}

#[tokio::test]
async fn the_consumer_pool_is_bounded_lazy_and_emptied_when_idle() {
    let topic = unique("sl-pool");
    create_topic(&topic, 1, &[]).await;
    produce(&topic, 0, &[(None, b"a", 1)]).await;
    let proxy = Proxy::start(&[
        "--set",
        "simpleconsumer.pool.size.max=1",
        "--set",
        "simpleconsumer.pool.timeout.ms=200",
        "--set",
        "consumer.request.timeout.ms=3000",
        "--set",
        "consumer.instance.timeout.ms=1500",
    ]);
    const GAUGE: &str = "krest_stateless_read_consumers";
    assert_eq!(gauge(&proxy, GAUGE).await, 0);
    // One read waits at the end with the only consumer; a second one finds none free.
    let waiting = read(&proxy, &topic, 0, "offset=1&timeout_ms=2000");
    let refused = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        read(&proxy, &topic, 0, "offset=0").await
    };
    let ((status, list), (refused_status, error)) = tokio::join!(waiting, refused);
    assert_eq!((status, offsets(&list)), (200, vec![]), "{list}");
    assert_eq!(
        (refused_status, error["error_code"].clone()),
        (503, json!(50301)),
        "{error}"
    );
    assert_eq!(gauge(&proxy, GAUGE).await, 1);
    let (status, list) = read(&proxy, &topic, 0, "offset=0").await;
    assert_eq!((status, offsets(&list)), (200, vec![0]), "{list}");
    // Unused for consumer.instance.timeout.ms, the consumer is closed.
    let mut closed = false;
    for _ in 0..50 {
        if gauge(&proxy, GAUGE).await == 0 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the idle consumer was not closed");
}
