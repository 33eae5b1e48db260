//! The hostile-input campaign: garbage on every documented route over raw connections (see
//! `hostile/`), megabyte bodies, slow senders and idle connections, while normal produce and
//! consume traffic runs. krest must stay up, answer every request with a 4xx and Confluent's
//! JSON error body (or a documented bodiless answer of the HTTP stack), keep RSS bounded and
//! serve the normal traffic throughout. Tens of thousands of requests by default;
//! `KREST_HOSTILE=full cargo test -p krest --test hostile_campaign -- --nocapture` sends over
//! a million (figures in docs/reliability.md).

mod hostile;
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hostile::wire::{Answer, Connection};
use hostile::{Class, Hostile, Rng, Targets};
use serde_json::{json, Value};
use support::{call_v3, cluster_id, create_topic, http, new_consumer, unique, Proxy, V2_JSON};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Hostile requests sent by the workers (large bodies, slow senders and idle connections
/// come on top).
fn scale() -> Scale {
    match std::env::var("KREST_HOSTILE").as_deref() {
        Ok("full") => Scale {
            requests: 1_000_000,
            large: 60,
            slow: 200,
            idle: 3000,
        },
        _ => Scale {
            requests: 30_000,
            large: 8,
            slow: 40,
            idle: 500,
        },
    }
}

struct Scale {
    requests: i64,
    large: usize,
    slow: usize,
    idle: usize,
}

/// Concurrent raw connections sending hostile requests.
const WORKERS: usize = 16;

/// Longest any answer may take: longer is a hang.
const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// Answers the HTTP stack (hyper) makes itself, with no body: a request it cannot parse (400),
/// headers over `max.request.header.size` (431). krest's own 406 has no body either (there
/// is no type the client accepts to write one in).
const BODILESS: &[u16] = &[400, 406, 431];

/// Request size beyond which a body the route does not read stays partly in the socket
/// (hyper reads ahead at most `max.request.header.size`, 8 KiB by default): closing such a
/// connection makes the kernel reset it, which may discard the answer already sent.
const UNREAD: usize = 8 * 1024;

/// What one class of requests got.
#[derive(Default)]
struct Tally {
    sent: u64,
    statuses: BTreeMap<u16, u64>,
    /// The server closed the connection without answering.
    unanswered: u64,
    violations: u64,
    samples: Vec<String>,
}

impl Tally {
    fn violation(&mut self, what: String) {
        self.violations += 1;
        if self.samples.len() < 10 {
            self.samples.push(what);
        }
    }
}

type Tallies = Arc<Mutex<BTreeMap<Class, Tally>>>;

/// The one 5xx a request may get: changing cluster-wide broker configs, which krest
/// documents it cannot do (librdkafka's admin API cannot address Kafka's default broker).
const NOT_IMPLEMENTED: &str = "krest cannot change cluster-wide broker configs";

/// Why `answer` is not what a hostile request must get, if it is not.
fn judge(answer: &Answer, head: bool) -> Option<String> {
    let status = answer.status;
    let text = String::from_utf8_lossy(&answer.body);
    if status == 501 && text.contains(NOT_IMPLEMENTED) {
        return None;
    }
    if status >= 500 {
        return Some(format!("{status}: {text}"));
    }
    if status < 400 {
        return None; // the request happened to be valid
    }
    if head {
        return None; // no body, by definition
    }
    let json_labelled = answer.content_type.as_deref().is_some_and(|t| t.contains("json"));
    if !json_labelled {
        return (!BODILESS.contains(&status) || !answer.body.is_empty())
            .then(|| format!("{status} without a JSON body: {:?}", answer.content_type));
    }
    let body: Value = match serde_json::from_slice(&answer.body) {
        Ok(body) => body,
        Err(e) => return Some(format!("{status}: body is not JSON ({e})")),
    };
    let shaped = body["error_code"].is_u64() && body["message"].is_string();
    (!shaped).then(|| format!("{status}: not Confluent's error body: {body}"))
}

/// Sends `request` on `connection` (opened if `None`, dropped unless reusable after) and
/// reads its answer.
async fn exchange(
    connection: &mut Option<Connection>,
    address: &str,
    request: &Hostile,
) -> std::io::Result<Option<Answer>> {
    let reused = connection.is_some();
    if connection.is_none() {
        *connection = Some(Connection::open(address).await?);
    }
    let open = connection.as_mut().expect("just opened");
    // A failed write still leaves an answer to read (e.g. a 413 before the whole body).
    let mut written = open.send(&request.bytes).await;
    if request.last && written.is_ok() {
        written = open.finish().await;
    }
    let answer = open.answer(request.head).await;
    let keep = !request.last && written.is_ok() && matches!(&answer, Ok(Some(a)) if !a.close);
    if !keep {
        *connection = None;
    }
    match answer {
        // A kept-alive connection the server had closed meanwhile: once more on a new one.
        Ok(None) | Err(_) if reused => Box::pin(exchange(connection, address, request)).await,
        answer => answer,
    }
}

/// Sends hostile requests until `remaining` runs out.
async fn worker(
    address: String,
    targets: Arc<Targets>,
    seed: u64,
    remaining: Arc<AtomicI64>,
    tallies: Tallies,
) {
    let mut rng = Rng::new(seed);
    let mut connection = None;
    while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
        let class = match rng.below(100) {
            0..=64 => Class::Random,
            65..=76 => Class::Headers,
            77..=88 => Class::Deep,
            _ => Class::Framing,
        };
        let request = targets.request(&mut rng, class);
        let started = Instant::now();
        let outcome = tokio::time::timeout(ANSWER_LIMIT, exchange(&mut connection, &address, &request)).await;
        if started.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "slow answer ({:?}): {:?}",
                started.elapsed(),
                String::from_utf8_lossy(&request.bytes[..request.bytes.len().min(300)])
            );
        }
        record(&tallies, &request, outcome);
    }
}

fn record(
    tallies: &Tallies,
    request: &Hostile,
    outcome: Result<std::io::Result<Option<Answer>>, tokio::time::error::Elapsed>,
) {
    let mut tallies = tallies.lock().unwrap();
    let tally = tallies.entry(request.class).or_default();
    tally.sent += 1;
    let start = String::from_utf8_lossy(&request.bytes[..request.bytes.len().min(120)]).into_owned();
    match outcome {
        Ok(Ok(Some(answer))) => {
            *tally.statuses.entry(answer.status).or_default() += 1;
            if let Some(problem) = judge(&answer, request.head) {
                tally.violation(format!("{problem} for {start:?}"));
            }
        }
        // Only broken HTTP may be dropped without an answer (hyper closes, e.g., an HTTP/2
        // preface followed by garbage), and a body left unread (see UNREAD).
        Ok(Ok(None)) | Ok(Err(_)) if request.class == Class::Framing || request.bytes.len() > UNREAD => {
            tally.unanswered += 1
        }
        Ok(Ok(None)) => tally.violation(format!("closed without an answer: {start:?}")),
        Ok(Err(e)) => tally.violation(format!("{e}: {start:?}")),
        Err(_) => tally.violation(format!("no answer within {ANSWER_LIMIT:?}: {start:?}")),
    }
}

/// Bodies of 1 to 100 MiB, one at a time, until `count` were sent.
async fn large_bodies(address: String, count: usize, tallies: Tallies) {
    let mut rng = Rng::new(7);
    for _ in 0..count {
        let size = *rng.pick(&[1 << 20, 16 << 20, (64 << 20) - 4096, (64 << 20) + 1, 100 << 20]);
        let request = Hostile {
            class: Class::Large,
            bytes: hostile::large(&mut rng, size),
            head: false,
            last: true,
        };
        let outcome = tokio::time::timeout(ANSWER_LIMIT, exchange(&mut None, &address, &request)).await;
        record(&tallies, &request, outcome);
    }
}

/// What the slow senders saw.
#[derive(Default)]
struct Slow {
    connections: AtomicU64,
    closed_by_server: AtomicU64,
    longest_held_ms: AtomicU64,
}

/// Trickles a request one byte every 200 ms (only the headers, or complete headers and then
/// the body) until the server closes the connection or `done`.
async fn slow_sender(address: String, seed: u64, done: Arc<AtomicBool>, slow: Arc<Slow>) {
    let mut rng = Rng::new(seed);
    while !done.load(Ordering::Relaxed) {
        let Ok(mut stream) = TcpStream::connect(&address).await else {
            continue;
        };
        slow.connections.fetch_add(1, Ordering::Relaxed);
        let (head, trickled): (&[u8], Vec<u8>) = if rng.chance(50) {
            (
                b"",
                format!(
                    "GET /brokers HTTP/1.1\r\nHost: krest\r\nX-Slow: {}",
                    "s".repeat(10_000)
                )
                .into_bytes(),
            )
        } else {
            let body = format!(r#"{{"records":[{{"value":"{}"}}]}}"#, "A".repeat(10_000));
            (
                b"POST /topics/hostile-0 HTTP/1.1\r\nHost: krest\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\nContent-Length: 10027\r\n\r\n",
                body.into_bytes(),
            )
        };
        let started = Instant::now();
        let mut closed = stream.write_all(head).await.is_err();
        for byte in trickled {
            if closed || done.load(Ordering::Relaxed) {
                break;
            }
            closed = stream.write_all(&[byte]).await.is_err();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if closed {
            slow.closed_by_server.fetch_add(1, Ordering::Relaxed);
        }
        slow.longest_held_ms
            .fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

/// A consumer instance assigned partition 0 of `topic`; its base URI. Made before the
/// campaign's consumer creates reach `consumer.instances.max`.
async fn normal_consumer(proxy: &Proxy, topic: &str) -> String {
    let base = new_consumer(proxy, &unique("normal"), json!({"auto.offset.reset": "earliest"})).await;
    let assign = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let assigned = http()
        .post(format!("{base}/assignments"))
        .header("Content-Type", V2_JSON)
        .body(assign.to_string())
        .send()
        .await
        .expect("assign");
    assert_eq!(assigned.status(), 204);
    base
}

/// Produces one record after another through krest and reads each back through the consumer
/// instance at `base`, until `done`; (round trips that succeeded, failures).
async fn normal_traffic(
    proxy: Arc<Proxy>,
    base: String,
    topic: String,
    done: Arc<AtomicBool>,
) -> (u64, Vec<String>) {
    let client = http();
    let (mut succeeded, mut failures) = (0, Vec::new());
    let mut next_offset = 0;
    while !done.load(Ordering::Relaxed) {
        match round_trip(&client, &proxy, &base, &topic, next_offset).await {
            Ok(()) => {
                succeeded += 1;
                next_offset += 1;
            }
            Err(failure) => {
                failures.push(failure);
                break;
            }
        }
    }
    (succeeded, failures)
}

/// Produces the record for `offset` and reads until it arrives.
async fn round_trip(
    client: &reqwest::Client,
    proxy: &Proxy,
    base: &str,
    topic: &str,
    offset: i64,
) -> Result<(), String> {
    let value = format!("normal-{offset}");
    let encoded = base64_of(value.as_bytes());
    let produced = client
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", "application/vnd.kafka.binary.v2+json")
        .body(json!({"records": [{"value": encoded}]}).to_string())
        .send()
        .await
        .map_err(|e| format!("produce: {e}"))?;
    let answer: Value = produced
        .json()
        .await
        .map_err(|e| format!("produce answer: {e}"))?;
    if answer["offsets"][0]["offset"] != offset {
        return Err(format!("produce of offset {offset}: {answer}"));
    }
    for _ in 0..30 {
        let read = client
            .get(format!("{base}/records"))
            .header("Accept", "application/vnd.kafka.binary.v2+json")
            .send()
            .await
            .map_err(|e| format!("read: {e}"))?;
        let records: Value = read.json().await.map_err(|e| format!("read answer: {e}"))?;
        let records = records.as_array().ok_or(format!("read: {records}"))?;
        if let Some(record) = records.iter().find(|r| r["offset"] == offset) {
            return (record["value"] == encoded)
                .then_some(())
                .ok_or(format!("read back {record}, wanted {encoded}"));
        }
    }
    Err(format!("offset {offset} never read back"))
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Opens `count` connections that send nothing.
async fn idle_connections(address: &str, count: usize) -> Vec<TcpStream> {
    let mut idle = Vec::with_capacity(count);
    for _ in 0..count {
        if let Ok(stream) = TcpStream::connect(address).await {
            idle.push(stream);
        }
    }
    idle
}

/// Idle connections the server has closed (a read finds the end of the stream or a reset).
fn closed_count(idle: &[TcpStream]) -> usize {
    let mut byte = [0u8; 1];
    idle.iter()
        .filter(|s| !matches!(s.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
        .count()
}

/// Samples krest's resident memory every 100 ms until `done`; the largest sample in KiB.
async fn sample_rss(proxy: Arc<Proxy>, done: Arc<AtomicBool>) -> u64 {
    let mut peak = 0;
    while !done.load(Ordering::Relaxed) {
        peak = peak.max(proxy.rss_kib());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak
}

/// Every documented `(METHOD, path)`, read from krest's own OpenAPI document.
async fn documented_routes(proxy: &Proxy) -> Vec<(String, String)> {
    let (_, _, document) = call_v3(reqwest::Method::GET, &proxy.url("/openapi.json"), None).await;
    let mut routes = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn krest_survives_a_hostile_campaign_and_keeps_serving() {
    let scale = scale();
    let (normal_topic, sink_topic) = (unique("hostile-normal"), unique("hostile-sink"));
    create_topic(&normal_topic, 1, &[]).await;
    create_topic(&sink_topic, 2, &[]).await;
    let bootstrap = support::bootstrap();
    let proxy = Arc::new(Proxy::spawn(
        &[
            "--bootstrap-servers",
            &bootstrap,
            // Valid consumer bodies create instances: bounded here, as an operator would.
            "--set",
            "consumer.instances.max=100",
            // Idle connections and tricklers closed within the short form too.
            "--set",
            "request.header.timeout.ms=5000",
            "--set",
            "request.body.timeout.ms=8000",
            "--set",
            "idle.timeout.ms=10000",
        ],
        // A log line per request would only measure the log.
        &[("RUST_LOG", "info,krest::access=off")],
    ));
    let address = proxy.base.trim_start_matches("http://").to_string();
    let routes = documented_routes(&proxy).await;
    assert!(
        routes.contains(&("POST".into(), "/topics/{topic_name}".into())) && routes.len() > 50,
        "{routes:?}"
    );
    let targets = Arc::new(Targets {
        routes,
        cluster_id: cluster_id(),
        sink_topic,
    });
    let idle = idle_connections(&address, scale.idle).await;

    let done = Arc::new(AtomicBool::new(false));
    let tallies: Tallies = Arc::default();
    let rss = tokio::spawn(sample_rss(Arc::clone(&proxy), Arc::clone(&done)));
    let base = normal_consumer(&proxy, &normal_topic).await;
    let normal = tokio::spawn(normal_traffic(
        Arc::clone(&proxy),
        base,
        normal_topic,
        Arc::clone(&done),
    ));
    let slow = Arc::new(Slow::default());
    let slow_senders: Vec<_> = (0..scale.slow)
        .map(|i| {
            tokio::spawn(slow_sender(
                address.clone(),
                1000 + i as u64,
                Arc::clone(&done),
                Arc::clone(&slow),
            ))
        })
        .collect();
    let started = Instant::now();
    let remaining = Arc::new(AtomicI64::new(scale.requests));
    let mut work: Vec<_> = (0..WORKERS)
        .map(|i| {
            tokio::spawn(worker(
                address.clone(),
                Arc::clone(&targets),
                i as u64,
                Arc::clone(&remaining),
                Arc::clone(&tallies),
            ))
        })
        .collect();
    let progress = {
        let (tallies, done) = (Arc::clone(&tallies), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let sent: u64 = tallies.lock().unwrap().values().map(|t| t.sent).sum();
                eprintln!("{:.0} s: {sent} answered", started.elapsed().as_secs_f64());
            }
        })
    };
    work.push(tokio::spawn(large_bodies(
        address.clone(),
        scale.large,
        Arc::clone(&tallies),
    )));
    for task in work {
        task.await.expect("a campaign task");
    }
    let elapsed = started.elapsed();
    println!(
        "large bodies and requests done after {:.0} s",
        elapsed.as_secs_f64()
    );
    let idle_closed = closed_count(&idle);
    done.store(true, Ordering::Relaxed);
    for sender in slow_senders {
        sender.await.unwrap();
    }
    progress.await.unwrap();
    let (round_trips, failures) = normal.await.unwrap();
    let peak_sampled = rss.await.unwrap();
    let peak_kib = proxy.peak_rss_kib();

    // The figures docs/reliability.md records.
    let tallies = std::mem::take(&mut *tallies.lock().unwrap());
    let total: u64 = tallies.values().map(|t| t.sent).sum();
    println!("hostile requests: {total} in {:.0} s", elapsed.as_secs_f64());
    for (class, tally) in tallies.iter() {
        println!(
            "{class:?}: sent {}, unanswered {}, violations {}, statuses {:?}",
            tally.sent, tally.unanswered, tally.violations, tally.statuses
        );
        for sample in &tally.samples {
            println!("  {sample}");
        }
    }
    println!(
        "slow senders: {} connections, {} closed by krest, longest held {} ms",
        slow.connections.load(Ordering::Relaxed),
        slow.closed_by_server.load(Ordering::Relaxed),
        slow.longest_held_ms.load(Ordering::Relaxed)
    );
    println!(
        "idle connections: {} opened, {idle_closed} closed by krest",
        idle.len()
    );
    println!("normal traffic: {round_trips} produce+read round trips, failures {failures:?}");
    println!("krest RSS: peak sampled {peak_sampled} KiB, VmHWM {peak_kib} KiB");

    let violations: u64 = tallies.values().map(|t| t.violations).sum();
    assert_eq!(violations, 0, "answers that break the rules (samples above)");
    assert!(failures.is_empty(), "normal traffic failed: {failures:?}");
    assert!(round_trips > 0, "no normal traffic went through");
    assert!(
        !proxy.stderr().contains("panicked"),
        "krest panicked:\n{}",
        proxy.stderr()
    );
    // 100 MiB bodies are refused past the first 64 MiB (request.body.max.bytes) and one is
    // read at a time; 100 consumer instances at ≈0.5 MiB, the rest is krest at rest.
    assert!(peak_kib < 1024 * 1024, "peak RSS {peak_kib} KiB");
    let (status, _, body) = support::call(reqwest::Method::GET, &proxy.url("/brokers"), None, V2_JSON).await;
    assert_eq!(status, 200, "still serving: {body}");
}
