//! `POST /topics/{topic}[/partitions/{partition}]` through the built-in format plugins on a
//! real broker: bytes round-trip exactly, per-record results come in request order, and bad
//! requests get Confluent's codes.

mod support;

use std::time::Duration;

use base64::Engine;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::{create_topic, http, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const JSON: &str = "application/vnd.kafka.json.v2+json";

async fn post(proxy: &Proxy, path: &str, content_type: &str, body: &str) -> (u16, String, Value) {
    post_accepting(proxy, path, content_type, V2_JSON, body).await
}

async fn post_accepting(
    proxy: &Proxy,
    path: &str,
    content_type: &str,
    accept: &str,
    body: &str,
) -> (u16, String, Value) {
    let response = http()
        .post(proxy.url(path))
        .header("Content-Type", content_type)
        .header("Accept", accept)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (status, content_type, response.json().await.unwrap())
}

/// A record's key and value bytes.
type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// (key, value) of `count` records of one partition, read straight from Kafka.
fn read(topic: &str, partition: i32, count: usize) -> Vec<KeyValue> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .set("group.id", unique("produce-reader"))
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while records.len() < count && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            records.push((m.key().map(<[u8]>::to_vec), m.payload().map(<[u8]>::to_vec)));
        }
    }
    assert_eq!(records.len(), count, "records in {topic}/{partition}");
    records
}

#[tokio::test]
async fn binary_records_round_trip_byte_for_byte() {
    let topic = unique("produce-binary");
    create_topic(&topic, 3, &[]).await;
    let proxy = Proxy::start(&[]);
    // 0x00 0xff 0x10, "key", and a null value.
    let body = r#"{"records":[
        {"value":"AP8Q","partition":2},
        {"key":"a2V5","value":"aGVsbG8=","partition":2},
        {"key":"a2V5","value":null,"partition":1}
    ]}"#;
    let (status, content_type, response) = post(&proxy, &format!("/topics/{topic}"), BINARY, body).await;
    assert_eq!((status, content_type.as_str()), (200, V2_JSON), "{response}");
    assert_eq!(
        response,
        json!({
            "offsets": [
                {"partition": 2, "offset": 0, "error_code": null, "error": null},
                {"partition": 2, "offset": 1, "error_code": null, "error": null},
                {"partition": 1, "offset": 0, "error_code": null, "error": null}
            ],
            "key_schema_id": null,
            "value_schema_id": null
        })
    );
    assert_eq!(
        read(&topic, 2, 2),
        vec![
            (None, Some(vec![0x00, 0xff, 0x10])),
            (Some(b"key".to_vec()), Some(b"hello".to_vec()))
        ]
    );
    assert_eq!(read(&topic, 1, 1), vec![(Some(b"key".to_vec()), None)]);
}

#[tokio::test]
async fn json_records_to_a_partition_are_stored_as_compact_json() {
    let topic = unique("produce-json");
    create_topic(&topic, 2, &[]).await;
    let proxy = Proxy::start(&[]);
    let body = r#"{"records":[{"key":{"id": 7},"value":{ "b": [1, 2.50], "a": "x" }},{"value":"text"}]}"#;
    let (status, _, response) = post(&proxy, &format!("/topics/{topic}/partitions/1"), JSON, body).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        response["offsets"][1],
        json!({"partition": 1, "offset": 1, "error_code": null, "error": null})
    );
    assert_eq!(
        read(&topic, 1, 2),
        vec![
            (
                Some(br#"{"id":7}"#.to_vec()),
                Some(br#"{"b":[1,2.50],"a":"x"}"#.to_vec())
            ),
            (None, Some(br#""text""#.to_vec()))
        ]
    );
}

#[tokio::test]
async fn bad_produce_requests_get_confluents_codes() {
    let topic = unique("produce-errors");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[]);
    let path = format!("/topics/{topic}");
    let cases = [
        (BINARY, r#"{"records":[{"value":"***"}]}"#, 400, 400),
        (BINARY, r#"{"records":[{"value":42}]}"#, 400, 400),
        (BINARY, r#"{"records":[]}"#, 422, 422),
        (BINARY, r#"{"records":[{"value":"AA==","headers":[]}]}"#, 422, 422),
        (BINARY, r#"{"records":[{"value":"AA=="}"#, 400, 400),
        (BINARY, "", 422, 422),
        (
            JSON,
            r#"{"records":[{"value":"AA==","partition":5}]}"#,
            404,
            40402,
        ),
        (
            "application/vnd.kafka.nope.v2+json",
            r#"{"records":[{"value":1}]}"#,
            415,
            415,
        ),
        (V2_JSON, r#"{"records":[{"value":"AA=="}]}"#, 415, 415),
    ];
    for (content_type, body, status, code) in cases {
        let (got, _, response) = post(&proxy, &path, content_type, body).await;
        assert_eq!(
            (got, response["error_code"].as_u64()),
            (status, Some(code)),
            "{content_type} {body}: {response}"
        );
    }
    let missing = unique("produce-missing");
    let (status, _, response) = post(
        &proxy,
        &format!("/topics/{missing}"),
        BINARY,
        r#"{"records":[{"value":"AA=="}]}"#,
    )
    .await;
    assert_eq!(
        (status, response),
        (404, json!({"error_code": 40401, "message": "Topic not found."}))
    );
    // Nothing of the rejected requests reached Kafka.
    let offsets = support::get_v2(&proxy.url(&format!("/topics/{topic}/partitions/0/offsets")))
        .await
        .2;
    assert_eq!(offsets["end_offset"], 0);
}

#[tokio::test]
async fn produce_answers_less_specific_accept_types() {
    let topic = unique("produce-accept");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[]);
    let path = format!("/topics/{topic}");
    let answers = [
        ("application/json", "application/json"),
        ("*/*", V2_JSON),
        ("application/*", V2_JSON),
    ];
    for (offset, (accept, answered)) in answers.into_iter().enumerate() {
        let body = r#"{"records":[{"value":"AA=="}]}"#;
        let (status, content_type, response) = post_accepting(&proxy, &path, BINARY, accept, body).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, answered),
            "Accept: {accept}"
        );
        assert_eq!(
            response["offsets"],
            json!([{"partition": 0, "offset": offset, "error_code": null, "error": null}])
        );
    }
    let refused = http()
        .post(proxy.url(&path))
        .header("Content-Type", BINARY)
        .header("Accept", "text/plain")
        .body(r#"{"records":[{"value":"AA=="}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 406);
}

#[tokio::test]
async fn a_record_kafka_refuses_fails_alone_with_50002() {
    let topic = unique("produce-too-large");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[]);
    // 1.5 MB: over librdkafka's message.max.bytes (1 MB), under the HTTP body limit.
    let huge = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1_500_000]);
    let body = json!({"records": [{"value": "AQ=="}, {"value": huge}, {"value": "Ag=="}]}).to_string();
    let (status, _, response) = post(&proxy, &format!("/topics/{topic}"), BINARY, &body).await;
    assert_eq!(status, 200, "other records are still produced: {response}");
    let offsets = response["offsets"].as_array().unwrap();
    assert_eq!(
        (offsets[0]["offset"].as_i64(), offsets[2]["offset"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(offsets[1]["error_code"], 50002, "{response}");
    assert!(offsets[1]["partition"].is_null() && offsets[1]["offset"].is_null());
    assert!(
        offsets[1]["error"].as_str().unwrap().contains("too large"),
        "{response}"
    );
}

#[test]
fn murmur2_matches_kafkas_test_vectors() {
    // Kafka's own UtilsTest.testMurmur2.
    let cases: [(&[u8], i32); 6] = [
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        (b"abc", 479470107),
    ];
    for (key, hash) in cases {
        assert_eq!(support::murmur2(key), hash, "{}", String::from_utf8_lossy(key));
    }
}

#[tokio::test]
async fn keyed_records_land_where_javas_default_partitioner_puts_them() {
    let proxy = Proxy::start(&[]);
    // Keys of every length modulo 4 (murmur2 hashes a tail), bytes above 0x7f, and an empty key.
    let keys: Vec<Vec<u8>> = (0..200u32)
        .map(|i| {
            let mut key = format!("key-{i}").into_bytes();
            key.extend((0..i % 4).map(|j| (0x80 + 37 * j) as u8));
            key
        })
        .chain([Vec::new()])
        .collect();
    let base64 = base64::engine::general_purpose::STANDARD;
    let records: Vec<Value> = keys
        .iter()
        .map(|key| json!({"key": base64.encode(key), "value": "AA=="}))
        .collect();
    let body = json!({ "records": records }).to_string();
    for partitions in [1, 3, 7, 12] {
        let topic = unique(&format!("produce-keyed-{partitions}"));
        create_topic(&topic, partitions, &[]).await;
        let (status, _, response) = post(&proxy, &format!("/topics/{topic}"), BINARY, &body).await;
        assert_eq!(status, 200, "{response}");
        let landed: Vec<i32> = response["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| result["partition"].as_i64().expect("produced") as i32)
            .collect();
        let expected: Vec<i32> = keys
            .iter()
            .map(|key| support::java_partition(key, partitions))
            .collect();
        assert_eq!(landed, expected, "{partitions} partitions");
    }
}
