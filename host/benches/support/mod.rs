//! What the benchmarks share: the broker and a krest process to measure, produce and consume
//! through it, load from concurrent workers for a fixed time, and the rate and latency
//! percentiles it measured.
#![allow(dead_code)] // each benchmark uses a different part

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

pub const CONCURRENCY: usize = 8;
pub const V2: &str = "application/vnd.kafka.v2+json";
pub const RUN_FOR: Duration = Duration::from_secs(5);

pub struct Sample {
    records: u64,
    /// Sorted.
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Sample {
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn per_second(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` latency percentile in milliseconds.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        percentile_ms(&self.latencies, q)
    }

    /// A markdown row: what, batch, records/s, p50 ms, p99 ms.
    pub fn row(&self, what: &str, batch: usize) -> String {
        format!(
            "| {what} | {batch} | {:.0} | {:.2} | {:.2} |",
            self.per_second(),
            self.percentile_ms(0.5),
            self.percentile_ms(0.99)
        )
    }
}

/// CPU time (user + system) process `pid` has used so far, threads that ended included.
pub fn cpu_time(pid: u32) -> Duration {
    static TICKS_PER_SECOND: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / *TICKS_PER_SECOND as f64)
}

/// The `q` percentile of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Runs `CONCURRENCY` workers calling `one` (one request of `batch` records; its argument
/// counts the calls of that worker) for RUN_FOR.
pub async fn drive<F, Fut>(batch: usize, one: F) -> Sample
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    drive_with(CONCURRENCY, batch, one).await
}

/// [`drive`] with `concurrency` workers.
pub async fn drive_with<F, Fut>(concurrency: usize, batch: usize, one: F) -> Sample
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let one = Arc::new(one);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (one, stop) = (Arc::clone(&one), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = worker;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    one(n).await;
                    latencies.push(t.elapsed());
                    n = n.wrapping_add(concurrency);
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(RUN_FOR).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Sample {
        records: (latencies.len() * batch) as u64,
        latencies,
        elapsed,
    }
}

/// A `krest serve` process on a free loopback port, killed on drop.
pub struct Krest {
    pub child: Child,
    pub base: String,
}

impl Krest {
    /// `krest serve --bootstrap-servers BOOTSTRAP --listeners http://127.0.0.1:PORT` with
    /// `--set` each of `settings`, once it accepts connections.
    pub fn start(bootstrap: &str, settings: &[String]) -> Krest {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_krest"))
            .args(["serve", "--bootstrap-servers", bootstrap])
            .args(["--listeners", &format!("http://127.0.0.1:{port}")])
            .args(settings.iter().flat_map(|s| ["--set", s.as_str()]))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let krest = Krest {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        // A minute: compiling a plugin in another language (Python, JavaScript) takes seconds.
        for _ in 0..600 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return krest;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("krest did not start");
    }
}

impl Drop for Krest {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The broker of the run (`KREST_TEST_BOOTSTRAP`).
pub fn bootstrap() -> String {
    std::env::var("KREST_TEST_BOOTSTRAP")
        .expect("set KREST_TEST_BOOTSTRAP to a running broker (scripts/kafka.sh start)")
}

/// Creates a one-partition topic and gives the broker a moment to know it.
pub async fn create_topic(name: &str) {
    create_topic_with(name, 1).await
}

/// Creates a topic of `partitions` partitions and gives the broker a moment to know it.
pub async fn create_topic_with(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    admin.create_topics(&[topic], &AdminOptions::new()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// An idempotent `acks=all` producer, configured as krest's own.
pub fn producer() -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
        .unwrap()
}

/// Direct rdkafka under [`drive_with`] `concurrency` workers: each call queues `batch` records
/// of `value_bytes` bytes to `topic`, then waits for each in turn (as krest does).
pub async fn produce_direct(concurrency: usize, topic: &str, batch: usize, value_bytes: usize) -> Sample {
    let (producer, topic) = (producer(), topic.to_string());
    drive_with(concurrency, batch, move |_| {
        let (producer, topic) = (producer.clone(), topic.clone());
        async move {
            let payload = vec![b'x'; value_bytes];
            let deliveries: Vec<_> = (0..batch)
                .map(|_| {
                    producer
                        .send_result(FutureRecord::<(), _>::to(&topic).payload(&payload))
                        .map_err(|(error, _)| error)
                        .unwrap()
                })
                .collect();
            for delivery in deliveries {
                delivery.await.unwrap().unwrap();
            }
        }
    })
    .await
}

/// POSTs one produce body as `content_type` and checks the answer.
pub async fn post_records(http: &reqwest::Client, url: &str, content_type: &str, body: String) {
    let response = http
        .post(url)
        .header("Content-Type", content_type)
        .header("Accept", V2)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
}

/// The id of the cluster `krest` serves, as API v3 names it.
pub async fn cluster_id(http: &reqwest::Client, krest: &Krest) -> String {
    let clusters: Value = http
        .get(format!("{}/v3/clusters", krest.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    clusters["data"][0]["cluster_id"].as_str().unwrap().to_string()
}

/// Creates a krest consumer instance with `settings` in a group of its own (an instance commits
/// its position when deleted, so groups are not reused); its `base_uri`.
pub async fn create_consumer(http: &reqwest::Client, krest: &Krest, settings: Value) -> String {
    static CONSUMERS: AtomicUsize = AtomicUsize::new(0);
    let n = CONSUMERS.fetch_add(1, Ordering::Relaxed);
    let group = format!("bench-{}-{n}", std::process::id());
    let created: Value = http
        .post(format!("{}/consumers/{group}", krest.base))
        .header("Content-Type", V2)
        .body(settings.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["base_uri"].as_str().unwrap().to_string()
}

/// Reads `count` records through a new krest consumer of `format`, in a group of its own (created with
/// `fetch.min.bytes` of 1 MiB, reading with `timeout=200`); records/s.
pub async fn consume_through_krest(krest: &Krest, topic: &str, format: &str, count: usize) -> f64 {
    let http = reqwest::Client::new();
    let settings = json!({"format": format, "auto.offset.reset": "earliest", "fetch.min.bytes": 1_048_576});
    let uri = create_consumer(&http, krest, settings).await;
    http.post(format!("{uri}/subscription"))
        .header("Content-Type", V2)
        .body(json!({"topics": [topic]}).to_string())
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let mut read = 0;
    while read < count {
        let records: Vec<Value> = http
            .get(format!("{uri}/records?timeout=200"))
            .header("Accept", format!("application/vnd.kafka.{format}.v2+json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        read += records.len();
    }
    let rate = read as f64 / started.elapsed().as_secs_f64();
    http.delete(uri).send().await.unwrap();
    rate
}
