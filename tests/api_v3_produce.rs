//! v3 produce (`POST /v3/clusters/{id}/topics/{topic}/records`) against the real broker: every
//! data type, headers and timestamps read back with a Kafka consumer, partitions, schema
//! formats through krest's own registry, the error cases, and a streaming request of 100,000
//! records answered in order while the body is still being written.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use support::post_v3_stream as post;
use support::{
    bootstrap, cluster_id, create_topic, framed, free_port, proxy_with_registry_on, register_schema, unique,
    Proxy,
};

fn records_path(cluster: &str, topic: &str) -> String {
    format!("/v3/clusters/{cluster}/topics/{topic}/records")
}

fn concatenated(records: &[Value]) -> String {
    records.iter().map(Value::to_string).collect()
}

/// The record at `offset` of `topic`/`partition`, read from Kafka.
fn read_at(topic: &str, partition: i32, offset: i64) -> OwnedMessage {
    let consumer = consumer();
    let mut assignment = rdkafka::TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))
        .unwrap();
    consumer.assign(&assignment).unwrap();
    for _ in 0..100 {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            return message.unwrap().detach();
        }
    }
    panic!("no record at {topic}/{partition}@{offset}");
}

fn consumer() -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("v3-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

fn headers_of(message: &OwnedMessage) -> Vec<(String, Option<Vec<u8>>)> {
    message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_simple_type_with_headers_and_timestamp_is_in_kafka() {
    let topic = unique("v3-types");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let proxy = Proxy::start(&[]);
    let records = [
        json!({
            "key": {"type": "BINARY", "data": STANDARD.encode(b"\x00k\xff")},
            "value": {"type": "BINARY", "data": STANDARD.encode(b"v\x01")},
            "headers": [
                {"name": "h", "value": STANDARD.encode(b"one")},
                {"name": "h", "value": STANDARD.encode(b"two")},
                {"name": "empty", "value": null}
            ],
            "timestamp": "2021-02-05T19:14:42.125Z"
        }),
        json!({"key": {"type": "STRING", "data": "clé"}, "value": {"type": "JSON", "data": {"a": [1, true]}}}),
        json!({"value": {"type": "STRING", "data": "only a value"}, "timestamp": "2022-01-01T00:00:00Z"}),
        json!({"key": {"type": "JSON", "data": null}}),
    ];
    let (status, answers) = post(&proxy, &records_path(&cluster, &topic), concatenated(&records)).await;
    assert_eq!(status, 200);
    assert_eq!(answers.len(), 4, "{answers:?}");
    for (index, answer) in answers.iter().enumerate() {
        assert_eq!(answer["error_code"], 200, "{answer}");
        assert_eq!(answer["cluster_id"], cluster.as_str());
        assert_eq!(answer["topic_name"], topic.as_str());
        assert_eq!(answer["partition_id"], 0);
        assert_eq!(answer["offset"], index as i64);
    }
    assert_eq!(answers[0]["timestamp"], "2021-02-05T19:14:42.125Z");
    assert_eq!(answers[0]["key"], json!({"type": "BINARY", "size": 3}));
    assert_eq!(answers[0]["value"], json!({"type": "BINARY", "size": 2}));
    assert_eq!(answers[1]["key"], json!({"type": "STRING", "size": 4}));
    assert_eq!(answers[1]["value"], json!({"type": "JSON", "size": 14}));
    assert!(answers[2].get("key").is_none(), "{}", answers[2]);
    assert_eq!(answers[2]["timestamp"], "2022-01-01T00:00:00Z");
    assert_eq!(answers[3]["key"], json!({"type": "JSON", "size": -1}));
    assert!(answers[3].get("value").is_none());

    let first = read_at(&topic, 0, 0);
    assert_eq!(first.key(), Some(&b"\x00k\xff"[..]));
    assert_eq!(first.payload(), Some(&b"v\x01"[..]));
    assert_eq!(first.timestamp().to_millis(), Some(1_612_552_482_125));
    assert_eq!(
        headers_of(&first),
        vec![
            ("h".to_string(), Some(b"one".to_vec())),
            ("h".to_string(), Some(b"two".to_vec())),
            ("empty".to_string(), None),
        ]
    );
    let second = read_at(&topic, 0, 1);
    assert_eq!(second.key(), Some("clé".as_bytes()));
    assert_eq!(second.payload(), Some(&br#"{"a":[1,true]}"#[..]));
    assert!(headers_of(&second).is_empty());
    let third = read_at(&topic, 0, 2);
    assert_eq!((third.key(), third.payload()), (None, Some(&b"only a value"[..])));
    assert_eq!(third.timestamp().to_millis(), Some(1_640_995_200_000));
    let fourth = read_at(&topic, 0, 3);
    assert_eq!((fourth.key(), fourth.payload()), (None, None));
}

#[tokio::test]
async fn partition_id_picks_the_partition() {
    let topic = unique("v3-partitions");
    create_topic(&topic, 3, &[]).await;
    let cluster = cluster_id();
    let proxy = Proxy::start(&[]);
    let records: Vec<Value> = [2, 1, 2]
        .iter()
        .map(|p| json!({"partition_id": p, "value": {"type": "STRING", "data": format!("to {p}")}}))
        .collect();
    let (status, answers) = post(&proxy, &records_path(&cluster, &topic), concatenated(&records)).await;
    assert_eq!(status, 200);
    let placed: Vec<(i64, i64)> = answers
        .iter()
        .map(|a| (a["partition_id"].as_i64().unwrap(), a["offset"].as_i64().unwrap()))
        .collect();
    assert_eq!(placed, vec![(2, 0), (1, 0), (2, 1)]);
    assert_eq!(read_at(&topic, 2, 1).payload(), Some(&b"to 2"[..]));
    assert_eq!(read_at(&topic, 1, 0).payload(), Some(&b"to 1"[..]));
}

#[tokio::test]
async fn schema_formats_by_raw_schema_id_version_and_latest() {
    let topic = unique("v3-avro");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    let path = records_path(&cluster, &topic);
    let schema = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;

    // A raw schema with its type: registered under TOPIC-value, as Confluent's proxy does.
    let raw = json!({"value": {"type": "AVRO", "schema": schema, "data": {"name": "ada"}}});
    let (status, answers) = post(&proxy, &path, raw.to_string()).await;
    assert_eq!(status, 200);
    let first = &answers[0];
    assert_eq!(first["error_code"], 200, "{first}");
    let id = first["value"]["schema_id"].as_u64().unwrap() as u32;
    assert_eq!(
        first["value"],
        json!({"type": "AVRO", "subject": format!("{topic}-value"), "schema_id": id, "schema_version": 1, "size": 9})
    );
    assert_eq!(read_at(&topic, 0, 0).payload().unwrap(), framed(id, b"\x06ada"));

    // A second version, then the three ways of naming a registered schema.
    let v2 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
    let id2 = register_schema(&registry, &format!("{topic}-value"), json!({"schema": v2})).await;
    let records = [
        json!({"value": {"schema_id": id, "data": {"name": "by id"}}}),
        json!({"value": {"schema_version": 1, "data": {"name": "by version"}}}),
        json!({"value": {"data": {"name": "latest", "age": 36}}}),
        json!({"value": {"subject_name_strategy": "TOPIC_NAME", "data": {"name": "strategy", "age": 1}}}),
    ];
    let (_, answers) = post(&proxy, &path, concatenated(&records)).await;
    let named: Vec<(Value, Value)> = answers
        .iter()
        .map(|a| {
            (
                a["value"]["schema_id"].clone(),
                a["value"]["schema_version"].clone(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (json!(id), json!(1)),
            (json!(id), json!(1)),
            (json!(id2), json!(2)),
            (json!(id2), json!(2))
        ],
        "{answers:?}"
    );
    assert_eq!(answers[2]["value"]["type"], "AVRO");
    assert_eq!(
        read_at(&topic, 0, 3).payload().unwrap(),
        framed(id2, b"\x0clatest\x48")
    );

    // Data that does not fit the schema fails its record only.
    let records = [
        json!({"value": {"schema_id": id, "data": {"nom": 1}}}),
        json!({"value": {"schema_id": id, "data": {"name": "fits"}}}),
    ];
    let (_, answers) = post(&proxy, &path, concatenated(&records)).await;
    assert_eq!(answers[0]["error_code"], 400, "{answers:?}");
    assert_eq!(answers[1]["error_code"], 200, "{answers:?}");
}

#[tokio::test]
async fn errors_are_answered_in_place() {
    let topic = unique("v3-errors");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let proxy = Proxy::start(&[]);
    let path = records_path(&cluster, &topic);
    let good = json!({"value": {"type": "STRING", "data": "fine"}});
    let records = [
        json!({"partition_id": 7, "value": {"type": "STRING", "data": "x"}}),
        json!({"partition_id": -1, "value": {"type": "STRING", "data": "x"}}),
        json!({"value": {"type": "BINARY", "data": "not base64!"}}),
        json!({"value": {"type": "BINARY", "subject": "s", "data": "AA=="}}),
        json!({"value": {"type": "BINARY", "schema_id": 1, "data": "AA=="}}),
        json!({"headers": [{"name": "h", "value": "%%%"}]}),
        json!({"records": []}),
        json!({"timestamp": "not a time"}),
        good.clone(),
    ];
    let (status, answers) = post(&proxy, &path, concatenated(&records)).await;
    assert_eq!(status, 200);
    let codes: Vec<i64> = answers
        .iter()
        .map(|a| a["error_code"].as_i64().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![40402, 40402, 400, 400, 400, 400, 400, 400, 200],
        "{answers:?}"
    );
    assert_eq!(answers[0]["message"], "Partition not found.");
    assert_eq!(
        answers[3]["message"],
        "'type=BINARY' cannot be used with 'subject'."
    );
    assert_eq!(
        answers[4]["message"],
        "'type=BINARY' cannot be used with 'schema_id'."
    );
    assert_eq!(answers[6]["message"], "Unrecognized field: records");
    assert_eq!(answers[8]["offset"], 0, "only the last record was written");

    // Malformed JSON ends the stream in place: what came before is answered, nothing after.
    let body = format!("{good}{{\"value\": nope}}{good}");
    let (status, answers) = post(&proxy, &path, body).await;
    assert_eq!(status, 200);
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0]["error_code"], 200);
    assert_eq!(answers[1]["error_code"], 400);
    assert!(answers[1]["message"]
        .as_str()
        .unwrap()
        .starts_with("Bad Request: Error processing message"));
    let (_, answers) = post(&proxy, &path, format!("{good} [1] {good}")).await;
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[1]["error_code"], 400);
    assert_eq!(support::end_offset_direct(&topic, 0), 3);

    // A topic Kafka does not have.
    let (status, answers) = post(
        &proxy,
        &records_path(&cluster, &unique("v3-missing")),
        good.to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answers[0]["error_code"], 40401, "{answers:?}");

    // A cluster krest is not connected to.
    let (status, answers) = post(&proxy, &records_path("no-such-cluster", &topic), good.to_string()).await;
    assert_eq!(status, 404);
    assert_eq!(
        answers[0],
        json!({"error_code": 404, "message": "Cluster no-such-cluster cannot be found."})
    );

    // An empty body is refused before any stream starts.
    for body in ["", " \r\n "] {
        let (status, answers) = post(&proxy, &path, body.to_string()).await;
        assert_eq!(status, 422);
        assert_eq!(
            answers[0],
            json!({"error_code": 42206, "message": "Payload error. Request body is empty. Data is required."})
        );
    }
}

/// Transforms see a v3 record with its headers; a dropped record is answered in its place
/// with v2's per-record code (42211).
#[tokio::test]
async fn transforms_apply_and_a_dropped_record_is_answered_in_place() {
    let topic = unique("v3-transforms");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let dir = support::temp_dir("krest-v3-transforms");
    std::fs::write(
        dir.join("filter.toml"),
        "[[drop]]\nheader = \"x-debug\"\nexists = true\n",
    )
    .unwrap();
    std::fs::write(dir.join("headers.toml"), "[add]\nx-source = \"krest\"\n").unwrap();
    let plugins_dir = format!("plugins.dir={}", dir.display());
    let proxy = Proxy::start(&[
        "--set",
        &plugins_dir,
        "--set",
        "transforms=filter,headers",
        "--set",
        "transforms.filter.on=produce",
        "--set",
        "transforms.headers.on=produce",
    ]);
    let records = [
        json!({"value": {"type": "STRING", "data": "debug"}, "headers": [{"name": "x-debug", "value": null}]}),
        json!({"value": {"type": "STRING", "data": "kept"}, "headers": [{"name": "h", "value": STANDARD.encode("1")}]}),
    ];
    let (status, answers) = post(&proxy, &records_path(&cluster, &topic), concatenated(&records)).await;
    assert_eq!(status, 200);
    assert_eq!(answers[0]["error_code"], 42211, "{answers:?}");
    assert_eq!(answers[0]["message"], "Record dropped by transform `filter`");
    assert_eq!(
        (&answers[1]["error_code"], &answers[1]["offset"]),
        (&json!(200), &json!(0))
    );
    let kept = read_at(&topic, 0, 0);
    assert_eq!(kept.payload(), Some(&b"kept"[..]));
    assert_eq!(
        headers_of(&kept),
        vec![
            ("h".to_string(), Some(b"1".to_vec())),
            ("x-source".to_string(), Some(b"krest".to_vec()))
        ]
    );
    assert_eq!(support::end_offset_direct(&topic, 0), 1);
}

#[tokio::test]
async fn confluents_stream_limits_end_the_stream() {
    let topic = unique("v3-limits");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let path = records_path(&cluster, &topic);
    let small = json!({"value": {"type": "STRING", "data": "small"}});
    let big = json!({"value": {"type": "STRING", "data": "x".repeat(200)}});

    let proxy = Proxy::start(&["--set", "api.v3.produce.request.size.limit.max.bytes=100"]);
    let (status, answers) = post(&proxy, &path, concatenated(&[small.clone(), big, small.clone()])).await;
    assert_eq!(status, 200);
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0]["error_code"], 200);
    assert_eq!(answers[1]["error_code"], 400);
    assert!(
        answers[1]["message"]
            .as_str()
            .unwrap()
            .contains("larger than allowed"),
        "{}",
        answers[1]
    );
    drop(proxy);

    let proxy = Proxy::start(&["--set", "streaming.connection.max.duration.ms=0"]);
    let (status, answers) = post(&proxy, &path, concatenated(&[small.clone(), small])).await;
    assert_eq!(status, 200);
    assert_eq!(
        answers,
        vec![
            json!({"error_code": 408, "message": "Streaming connection open for longer than allowed: Connection will be closed."})
        ]
    );
    assert_eq!(
        support::end_offset_direct(&topic, 0),
        1,
        "only the first stream's first record"
    );
}

#[tokio::test]
async fn records_batch_answers_207_with_successes_and_failures_by_id() {
    let topic = unique("v3-batch");
    create_topic(&topic, 1, &[]).await;
    let cluster = cluster_id();
    let proxy = Proxy::start(&[]);
    let url = proxy.url(&format!("{}:batch", records_path(&cluster, &topic)));
    let batch = json!({"entries": [
        {"id": "ok-1", "key": {"type": "STRING", "data": "k"}, "value": {"type": "JSON", "data": [1]}},
        {"id": "bad_2", "value": {"type": "BINARY", "data": "***"}},
        {"id": "gone-3", "partition_id": 9, "value": {"type": "STRING", "data": "v"}},
        {"id": "ok-4", "value": {"type": "STRING", "data": "second"}, "headers": [{"name": "h", "value": null}]}
    ]});
    let (status, _, answer) = support::call_v3(reqwest::Method::POST, &url, Some(batch)).await;
    assert_eq!(status, 207, "{answer}");
    let successes = answer["successes"].as_array().unwrap();
    let ids: Vec<&str> = successes.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ok-1", "ok-4"], "{answer}");
    assert_eq!(successes[0]["cluster_id"], cluster.as_str());
    assert_eq!(successes[0]["offset"], 0);
    assert_eq!(successes[0]["key"], json!({"type": "STRING", "size": 1}));
    assert!(successes[0].get("error_code").is_none());
    assert_eq!(successes[1]["offset"], 1);
    let failures: Vec<(&str, i64)> = answer["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["error_code"].as_i64().unwrap()))
        .collect();
    assert_eq!(failures, [("bad_2", 400), ("gone-3", 40402)]);
    assert_eq!(read_at(&topic, 0, 1).payload(), Some(&b"second"[..]));
    assert_eq!(headers_of(&read_at(&topic, 0, 1)), vec![("h".to_string(), None)]);

    let twice = json!({"entries": [{"id": "a", "value": null}, {"id": "a"}]});
    let (status, _, answer) = support::call_v3(reqwest::Method::POST, &url, Some(twice)).await;
    assert_eq!(status, 422);
    assert_eq!(
        answer,
        json!({"error_code": 42208, "message": "Batch entry IDs are not distinct."})
    );
}

/// Streams `records` as a chunked request body from a thread of its own while the answers
/// are read here; the rest of the body is only sent once the first record was answered, so
/// records are provably handled as they arrive. Returns every answer.
fn stream_produce(proxy: &Proxy, path: &str, records: Vec<String>) -> Vec<Value> {
    let address = proxy.base.strip_prefix("http://").unwrap().to_string();
    let stream = TcpStream::connect(&address).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let (first_answered, wait_first) = mpsc::channel::<()>();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    let sender = std::thread::spawn(move || {
        let chunk = |writer: &mut TcpStream, data: &str| {
            write!(writer, "{:x}\r\n{data}\r\n", data.len()).unwrap();
        };
        writer.write_all(head.as_bytes()).unwrap();
        let mut records = records.into_iter();
        chunk(&mut writer, &records.next().unwrap());
        wait_first
            .recv_timeout(Duration::from_secs(60))
            .expect("the first record is answered before the body ends");
        let mut buffer = String::new();
        for record in records {
            buffer.push_str(&record);
            buffer.push('\n');
            if buffer.len() >= 16 * 1024 {
                chunk(&mut writer, &buffer);
                buffer.clear();
            }
        }
        if !buffer.is_empty() {
            chunk(&mut writer, &buffer);
        }
        writer.write_all(b"0\r\n\r\n").unwrap();
    });

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        chunked |= line.eq_ignore_ascii_case("transfer-encoding: chunked\r\n");
    }
    assert!(chunked, "a chunked answer");
    let mut answers = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
        let mut data = vec![0; size + 2];
        reader.read_exact(&mut data).unwrap();
        if size == 0 {
            break;
        }
        pending.extend_from_slice(&data[..size]);
        while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
            let answer: Value = serde_json::from_slice(&pending[..end]).unwrap();
            pending.drain(..end + 2);
            if answers.is_empty() {
                first_answered.send(()).unwrap();
            }
            answers.push(answer);
        }
    }
    sender.join().unwrap();
    assert!(pending.is_empty());
    answers
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_100000_records_in_one_request_answered_in_order() {
    const RECORDS: usize = 100_000;
    const PARTITIONS: usize = 3;
    let topic = unique("v3-stream");
    create_topic(&topic, PARTITIONS as i32, &[]).await;
    let cluster = cluster_id();
    let proxy = Proxy::start(&[]);
    let path = records_path(&cluster, &topic);
    let records: Vec<String> = (0..RECORDS)
        .map(|i| {
            json!({"partition_id": i % PARTITIONS, "value": {"type": "STRING", "data": format!("record {i}")}})
                .to_string()
        })
        .collect();
    let answers = tokio::task::spawn_blocking(move || stream_produce(&proxy, &path, records))
        .await
        .unwrap();
    assert_eq!(answers.len(), RECORDS);
    // In input order: answer i is record i, the (i / 3)-th record of partition i % 3.
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["error_code"], 200, "record {i}: {answer}");
        assert_eq!(answer["partition_id"], i % PARTITIONS, "record {i}");
        assert_eq!(answer["offset"], (i / PARTITIONS) as i64, "record {i}");
    }
    // Every record is in Kafka, where its answer says.
    let consumer = consumer();
    let mut assignment = rdkafka::TopicPartitionList::new();
    for partition in 0..PARTITIONS as i32 {
        assignment
            .add_partition_offset(&topic, partition, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut seen = vec![false; RECORDS];
    let mut count = 0;
    let mut idle = 0;
    while count < RECORDS && idle < 100 {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            idle += 1;
            continue;
        };
        idle = 0;
        let message = message.unwrap();
        let text = std::str::from_utf8(message.payload().unwrap()).unwrap();
        let i: usize = text.strip_prefix("record ").unwrap().parse().unwrap();
        assert_eq!(message.partition() as usize, i % PARTITIONS);
        assert_eq!(message.offset(), (i / PARTITIONS) as i64);
        assert!(!seen[i], "record {i} twice");
        seen[i] = true;
        count += 1;
    }
    assert_eq!(count, RECORDS);
}
