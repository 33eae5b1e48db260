//! krest next to direct rdkafka, in one run, against a real broker:
//! produce throughput and latency (binary, batches of 1 and 100), consume throughput (consumer
//! instances polled, streamed and forwarded by a second process, and stateless partition
//! reads), Avro produce and consume next to binary and to native apache-avro, the latency a
//! forwarded consumer request adds, and RSS per idle consumer instance (100 and 1,000).
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 cargo bench -p krest --bench proxy`

use std::time::{Duration, Instant};

use base64::Engine;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::FutureRecord;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::de::IgnoredAny;
use serde_json::{json, Value};
use support::{
    bootstrap, cluster_id, consume_through_krest, cpu_time, create_consumer, create_topic, create_topic_with,
    drive, drive_with, post_records, produce_direct, producer, Krest, CONCURRENCY, RUN_FOR, V2,
};

mod support;

const VALUE_BYTES: usize = 100;
const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const AVRO: &str = "application/vnd.kafka.avro.v2+json";

/// krest with its own Schema Registry (for the Avro part).
fn start_krest() -> Krest {
    let registry = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let schemas = format!("_schemas-bench-{}-{registry}", std::process::id());
    let settings = [
        format!("schema.registry.listeners=http://127.0.0.1:{registry}"),
        format!("schema.registry.url=http://127.0.0.1:{registry}"),
        format!("kafkastore.topic={schemas}"),
        format!("schema.registry.group.id={schemas}"),
    ];
    Krest::start(&bootstrap(), &settings)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Concurrent clients of the produce part: the suite's usual number, and issue 13's
/// CPU-per-request measure (wrk with 64 connections).
const PRODUCE_CLIENTS: [usize; 2] = [CONCURRENCY, 64];

async fn bench_produce(krest: &Krest) {
    println!("## Produce: {VALUE_BYTES}-byte binary values, {RUN_FOR:?} each\n");
    println!("| path | clients | batch | records/s | p50 ms per request | p99 ms per request | CPU µs per request |");
    println!("|---|---|---|---|---|---|---|");
    let topic = format!("bench-produce-{}", std::process::id());
    create_topic(&topic).await;
    let value = base64::engine::general_purpose::STANDARD.encode(vec![b'x'; VALUE_BYTES]);
    let http = reqwest::Client::new();
    for clients in PRODUCE_CLIENTS {
        for batch in [1usize, 100] {
            let body = json!({ "records": vec![json!({ "value": value }); batch] }).to_string();
            let (http, url) = (http.clone(), format!("{}/topics/{topic}", krest.base));
            let cpu_before = cpu_time(krest.child.id());
            let sample = drive_with(clients, batch, move |_| {
                let (http, url, body) = (http.clone(), url.clone(), body.clone());
                async move { post_records(&http, &url, BINARY, body).await }
            })
            .await;
            let cpu = cpu_time(krest.child.id()) - cpu_before;
            let requests = sample.records() / batch as u64;
            println!(
                "{} {:.0} |",
                sample.row(&format!("krest HTTP | {clients}"), batch),
                cpu.as_secs_f64() * 1e6 / requests as f64
            );

            // The direct producer runs in this process: its CPU per batch is the baseline.
            let cpu_before = cpu_time(std::process::id());
            let sample = produce_direct(clients, &topic, batch, VALUE_BYTES).await;
            let cpu = cpu_time(std::process::id()) - cpu_before;
            println!(
                "{} {:.0} (this process) |",
                sample.row(&format!("direct rdkafka | {clients}"), batch),
                cpu.as_secs_f64() * 1e6 * batch as f64 / sample.records() as f64
            );
        }
    }
    println!();
}

/// Records of the consume part, spread over CONSUME_PARTITIONS partitions.
const CONSUME_RECORDS: usize = 300_000;
const CONSUME_PARTITIONS: i32 = 3;
/// Records one krest read returns: its consumer's `fetch.min.bytes` is one byte short of this
/// many values, so each read answers as soon as they are there (Confluent's read rule).
const RECORDS_PER_READ: usize = 10_000;

/// Consume throughput, partitions assigned (no group join), best of three runs each: a direct
/// librdkafka consumer with librdkafka's defaults (as kcat reads) and krest records GETs.
async fn bench_consume(krest: &Krest) {
    println!("## Consume: {CONSUME_RECORDS} records of {VALUE_BYTES} bytes, {CONSUME_PARTITIONS} partitions assigned, best of 3\n");
    let topic = format!("bench-consume-{}", std::process::id());
    create_topic_with(&topic, CONSUME_PARTITIONS).await;
    let producer = producer();
    let payload = vec![b'y'; VALUE_BYTES];
    for chunk in 0..CONSUME_RECORDS / 1000 {
        let sends = (0..1000).map(|i| {
            producer.send(
                FutureRecord::<(), _>::to(&topic)
                    .payload(&payload)
                    .partition(i % CONSUME_PARTITIONS),
                Duration::from_secs(30),
            )
        });
        for result in futures_util::future::join_all(sends).await {
            result.unwrap_or_else(|e| panic!("chunk {chunk}: {e:?}"));
        }
    }
    // A second process that holds no instance: its reads are forwarded to `krest`.
    let forwarder = Krest::start(&bootstrap(), &[]);
    let mut direct = Vec::new();
    let mut through_krest = Vec::new();
    let mut forwarded = Vec::new();
    let mut stateless = Vec::new();
    let mut streamed_sse = Vec::new();
    let mut streamed_ndjson = Vec::new();
    for _ in 0..3 {
        direct.push(read_directly(&topic).await);
        through_krest.push(read_through_krest(krest, krest, &topic).await);
        forwarded.push(read_through_krest(krest, &forwarder, &topic).await);
        stateless.push(read_stateless(krest, &topic).await);
        streamed_sse.push(read_streaming(krest, &topic, "text/event-stream").await);
        streamed_ndjson.push(read_streaming(krest, &topic, "application/x-ndjson").await);
    }
    let best = |rates: &[f64]| rates.iter().copied().fold(0.0, f64::max);
    let runs = |rates: &[f64]| {
        let each: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        each.join(", ")
    };
    println!("| path | best records/s | runs | of direct |");
    println!("|---|---|---|---|");
    println!(
        "| direct rdkafka (StreamConsumer, assigned) | {:.0} | {} | 100% |",
        best(&direct),
        runs(&direct)
    );
    println!(
        "| krest records GET (binary) | {:.0} | {} | {:.0}% |",
        best(&through_krest),
        runs(&through_krest),
        100.0 * best(&through_krest) / best(&direct)
    );
    println!(
        "| krest records GET (binary), forwarded by a second krest to the instance's | {:.0} | {} | {:.0}% |",
        best(&forwarded),
        runs(&forwarded),
        100.0 * best(&forwarded) / best(&direct)
    );
    println!(
        "| krest stateless partition reads (binary, `max_records={RECORDS_PER_READ}`, one client per partition) | {:.0} | {} | {:.0}% |",
        best(&stateless),
        runs(&stateless),
        100.0 * best(&stateless) / best(&direct)
    );
    for (framing, rates) in [("SSE", &streamed_sse), ("NDJSON", &streamed_ndjson)] {
        println!(
            "| krest streamed records ({framing}, binary) | {:.0} | {} | {:.0}% |",
            best(rates),
            runs(rates),
            100.0 * best(rates) / best(&direct)
        );
    }
    println!();
}

/// Every partition of `topic` assigned from the beginning.
fn assignment(topic: &str) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for partition in 0..CONSUME_PARTITIONS {
        list.add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    list
}

/// records/s of a fresh direct consumer reading all of `topic`.
async fn read_directly(topic: &str) -> f64 {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", format!("bench-direct-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let started = Instant::now();
    consumer.assign(&assignment(topic)).unwrap();
    for _ in 0..CONSUME_RECORDS {
        consumer.recv().await.unwrap();
    }
    CONSUME_RECORDS as f64 / started.elapsed().as_secs_f64()
}

/// Assigns every partition of `topic` to the consumer instance at `uri`.
async fn assign_all(http: &reqwest::Client, uri: &str, topic: &str) {
    let partitions: Vec<Value> = (0..CONSUME_PARTITIONS)
        .map(|p| json!({"topic": topic, "partition": p}))
        .collect();
    let assigned = http
        .post(format!("{uri}/assignments"))
        .header("Content-Type", V2)
        .body(json!({ "partitions": partitions }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(assigned.status(), 204);
}

/// records/s of a fresh consumer instance of `krest` reading all of `topic` (its records
/// counted from each answer's JSON), every request sent to `via`.
async fn read_through_krest(krest: &Krest, via: &Krest, topic: &str) -> f64 {
    let http = reqwest::Client::new();
    let min_bytes = RECORDS_PER_READ * VALUE_BYTES - 1;
    let settings = json!({"format": "binary", "auto.offset.reset": "earliest", "fetch.min.bytes": min_bytes});
    let uri = create_consumer(&http, krest, settings)
        .await
        .replacen(&krest.base, &via.base, 1);
    let started = Instant::now();
    assign_all(&http, &uri, topic).await;
    let mut read = 0;
    while read < CONSUME_RECORDS {
        let body = http
            .get(format!("{uri}/records"))
            .header("Accept", BINARY)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let records: Vec<IgnoredAny> = serde_json::from_slice(&body).unwrap();
        read += records.len();
    }
    let rate = read as f64 / started.elapsed().as_secs_f64();
    http.delete(uri).send().await.unwrap();
    rate
}

/// How many of the consume part's records partition `partition` holds: they are sent in
/// chunks of 1,000 spread round-robin, so the first partitions hold a few more.
fn records_in(partition: i32) -> usize {
    let per_chunk = (0..1000).filter(|i| i % CONSUME_PARTITIONS == partition).count();
    per_chunk * CONSUME_RECORDS / 1000
}

/// records/s of stateless reads of all of `topic`: one client per partition following
/// `metadata.next` from offset 0 (records counted from each answer's JSON).
async fn read_stateless(krest: &Krest, topic: &str) -> f64 {
    let http = reqwest::Client::new();
    let cluster = cluster_id(&http, krest).await;
    let started = Instant::now();
    let readers = (0..CONSUME_PARTITIONS).map(|partition| {
        let (http, cluster) = (http.clone(), cluster.clone());
        async move {
            #[derive(serde::Deserialize)]
            struct Page {
                data: Vec<IgnoredAny>,
                next_offset: usize,
            }
            let mut next = 0;
            while next < records_in(partition) {
                let url = format!(
                    "{}/v3/clusters/{cluster}/topics/{topic}/partitions/{partition}/records?offset={next}&max_records={RECORDS_PER_READ}",
                    krest.base
                );
                let body = http.get(url).send().await.unwrap().bytes().await.unwrap();
                let page: Page = serde_json::from_slice(&body).unwrap();
                assert!(!page.data.is_empty() || page.next_offset == next);
                next = page.next_offset;
            }
        }
    });
    futures_util::future::join_all(readers).await;
    CONSUME_RECORDS as f64 / started.elapsed().as_secs_f64()
}

/// records/s of a fresh krest consumer instance streaming all of `topic` as `accept` (SSE or
/// NDJSON); a record is a line ending in `}` (heartbeats end otherwise).
async fn read_streaming(krest: &Krest, topic: &str, accept: &str) -> f64 {
    let http = reqwest::Client::new();
    let settings = json!({"format": "binary", "auto.offset.reset": "earliest"});
    let uri = create_consumer(&http, krest, settings).await;
    let started = Instant::now();
    assign_all(&http, &uri, topic).await;
    let mut response = http
        .get(format!("{uri}/records"))
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (mut read, mut last) = (0, 0u8);
    while read < CONSUME_RECORDS {
        let chunk = response.chunk().await.unwrap().expect("the stream went on");
        for &byte in chunk.iter() {
            if byte == b'\n' && last == b'}' {
                read += 1;
            }
            last = byte;
        }
    }
    let rate = read as f64 / started.elapsed().as_secs_f64();
    drop(response);
    http.delete(uri).send().await.unwrap();
    rate
}

/// Records of the Avro consume part.
const AVRO_RECORDS: usize = 100_000;

/// An Avro record of about VALUE_BYTES bytes.
const AVRO_SCHEMA: &str = r#"{"type":"record","name":"Reading","fields":[
    {"name":"id","type":"long"},{"name":"sensor","type":"string"},
    {"name":"value","type":"double"},{"name":"ok","type":"boolean"}]}"#;

fn avro_reading(n: i64) -> Value {
    json!({"id": n, "sensor": "s".repeat(VALUE_BYTES - 20), "value": 21.5, "ok": true})
}

async fn bench_avro(krest: &Krest) {
    let schema = apache_avro::Schema::parse_str(AVRO_SCHEMA).unwrap();
    let topic = format!("bench-avro-{}", std::process::id());
    create_topic(&topic).await;
    let http = reqwest::Client::new();
    let url = format!("{}/topics/{topic}", krest.base);
    let registered: Value = http
        .post(&url)
        .header("Content-Type", AVRO)
        .header("Accept", V2)
        .body(json!({"value_schema": AVRO_SCHEMA, "records": [{"value": avro_reading(0)}]}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = registered["value_schema_id"].as_u64().expect("registered") as u32;

    println!(
        "## Avro: records of ≈{VALUE_BYTES} bytes, {CONCURRENCY} concurrent clients, {RUN_FOR:?} each\n"
    );
    println!("| path | batch | records/s | p50 ms per request | p99 ms per request |");
    println!("|---|---|---|---|---|");
    let binary_value = base64::engine::general_purpose::STANDARD.encode(vec![b'x'; VALUE_BYTES]);
    for batch in [1usize, 100] {
        let avro_body =
            json!({"value_schema_id": id, "records": vec![json!({"value": avro_reading(7)}); batch]})
                .to_string();
        let binary_body = json!({"records": vec![json!({"value": binary_value}); batch]}).to_string();
        for (label, content_type, body) in [
            ("krest HTTP avro", AVRO, avro_body),
            ("krest HTTP binary", BINARY, binary_body),
        ] {
            let (http, url) = (http.clone(), url.clone());
            let sample = drive(batch, move |_| {
                let (http, url, body) = (http.clone(), url.clone(), body.clone());
                async move { post_records(&http, &url, content_type, body).await }
            })
            .await;
            println!("{}", sample.row(label, batch));
        }
    }
    // The codec alone, natively: JSON value → Avro datum, framed as Confluent's serializer does.
    let value = apache_avro::types::Value::from(avro_reading(7));
    let value = value.resolve(&schema).unwrap();
    let started = Instant::now();
    const NATIVE: usize = 200_000;
    for _ in 0..NATIVE {
        let mut framed = vec![0u8];
        framed.extend_from_slice(&id.to_be_bytes());
        framed.extend(apache_avro::to_avro_datum(&schema, value.clone()).unwrap());
        std::hint::black_box(framed);
    }
    println!(
        "| native apache-avro encode (no Kafka, no HTTP) | – | {:.0} | | |\n",
        NATIVE as f64 / started.elapsed().as_secs_f64()
    );

    println!("## Avro consume: {AVRO_RECORDS} records, from the beginning\n");
    println!("| path | records/s |\n|---|---|");
    let topic = format!("bench-avro-consume-{}", std::process::id());
    create_topic(&topic).await;
    let producer = producer();
    let datum = [
        &[0u8][..],
        &id.to_be_bytes(),
        &apache_avro::to_avro_datum(&schema, value.clone()).unwrap(),
    ]
    .concat();
    for _ in 0..AVRO_RECORDS / 1000 {
        let sends = (0..1000).map(|_| {
            producer.send(
                FutureRecord::<(), _>::to(&topic).payload(&datum),
                Duration::from_secs(30),
            )
        });
        for result in futures_util::future::join_all(sends).await {
            result.unwrap();
        }
    }
    let total = AVRO_RECORDS;
    let avro = consume_through_krest(krest, &topic, "avro", total).await;
    println!("| krest records GET (avro) | {avro:.0} |");
    let binary = consume_through_krest(krest, &topic, "binary", total).await;
    println!("| krest records GET (binary, same records) | {binary:.0} |");
    let started = Instant::now();
    for _ in 0..NATIVE {
        let decoded = apache_avro::from_avro_datum(&schema, &mut &datum[5..], None).unwrap();
        std::hint::black_box(serde_json::Value::try_from(decoded).unwrap());
    }
    println!(
        "| native apache-avro decode to JSON (no Kafka, no HTTP) | {:.0} |\n",
        NATIVE as f64 / started.elapsed().as_secs_f64()
    );
}

/// Latency of one small consumer request (GET assignments), answered by the instance's
/// process and forwarded to it by another, one client.
async fn bench_forwarded(krest: &Krest) {
    println!("## Forwarded consumer requests: GET …/assignments, 1 client, {RUN_FOR:?} each\n");
    println!("| path | requests/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    let forwarder = Krest::start(&bootstrap(), &[]);
    let http = reqwest::Client::new();
    let uri = create_consumer(&http, krest, json!({})).await;
    let mut p50 = Vec::new();
    for (path, via) in [
        ("answered by its process", krest),
        ("forwarded by another", &forwarder),
    ] {
        let url = format!("{}/assignments", uri.replacen(&krest.base, &via.base, 1));
        let http = http.clone();
        let sample = drive_with(1, 1, move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let response = http.get(&url).header("Accept", V2).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        })
        .await;
        println!(
            "| {path} | {:.0} | {:.3} | {:.3} |",
            sample.per_second(),
            sample.percentile_ms(0.5),
            sample.percentile_ms(0.99)
        );
        p50.push(sample.percentile_ms(0.5));
    }
    println!(
        "\nAdded by forwarding (p50): {:.0} µs\n",
        (p50[1] - p50[0]) * 1000.0
    );
    http.delete(uri).send().await.unwrap();
}

async fn bench_idle_consumers() {
    println!("## RSS per idle consumer instance (created and subscribed, never read)\n");
    println!("| instances | krest RSS before | after | per instance |");
    println!("|---|---|---|---|");
    let topic = format!("bench-idle-{}", std::process::id());
    create_topic(&topic).await;
    for count in [100usize, 1000] {
        let krest = start_krest();
        let http = reqwest::Client::new();
        let pid = krest.child.id();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = rss_kib(pid);
        for i in 0..count {
            let created: Value = http
                .post(format!("{}/consumers/bench-idle-{count}-{i}", krest.base))
                .header("Content-Type", V2)
                .body("{}")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let uri = created["base_uri"].as_str().expect("created").to_string();
            http.post(format!("{uri}/subscription"))
                .header("Content-Type", V2)
                .body(json!({"topics": [topic]}).to_string())
                .send()
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        let after = rss_kib(pid);
        println!(
            "| {count} | {:.1} MiB | {:.1} MiB | {:.0} KiB |",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            (after - before) as f64 / count as f64
        );
    }
    println!();
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; the first other argument picks one part.
    let which = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let krest = start_krest();
    if which.is_empty() || which == "produce" {
        bench_produce(&krest).await;
    }
    if which.is_empty() || which == "consume" {
        bench_consume(&krest).await;
    }
    if which.is_empty() || which == "avro" {
        bench_avro(&krest).await;
    }
    if which.is_empty() || which == "forward" {
        bench_forwarded(&krest).await;
    }
    drop(krest);
    if which.is_empty() || which == "idle" {
        bench_idle_consumers().await;
    }
}
