//! Shared test harness: a running `krest` process on a free port, the real Kafka broker that
//! `scripts/test.sh` started (KREST_TEST_BOOTSTRAP), and Kafka admin helpers.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

pub const V2_JSON: &str = "application/vnd.kafka.v2+json";

/// Bootstrap address of the real broker; tests refuse to run without one.
pub fn bootstrap() -> String {
    std::env::var("KREST_TEST_BOOTSTRAP").unwrap_or_else(|_| {
        panic!(
            "KREST_TEST_BOOTSTRAP is not set: run the suite with scripts/test.sh, which starts a \
             real Kafka broker, or point KREST_TEST_BOOTSTRAP at one"
        )
    })
}

/// The broker's SASL listener: two ports above its unauthenticated one.
pub fn sasl_bootstrap() -> String {
    let plain = bootstrap();
    let (host, port) = plain.rsplit_once(':').expect("HOST:PORT");
    format!("{host}:{}", port.parse::<u16>().unwrap() + 2)
}

/// The cluster id Kafka itself reports.
pub fn cluster_id() -> String {
    let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("consumer");
    rdkafka::consumer::Consumer::client(&consumer)
        .fetch_cluster_id(Duration::from_secs(10))
        .expect("cluster id")
}

/// Posts `body` (v3 records as concatenated JSON) to `path` in one go; the status and every
/// answer.
pub async fn post_v3_stream(proxy: &Proxy, path: &str, body: String) -> (u16, Vec<serde_json::Value>) {
    let response = http()
        .post(proxy.url(path))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    if status != 200 {
        return (status, vec![serde_json::from_str(&text).unwrap()]);
    }
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    let answers = text
        .split_terminator("\r\n")
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (status, answers)
}

/// The URL of the connected cluster's v3 resource on `proxy`.
pub fn v3_cluster(proxy: &Proxy) -> String {
    proxy.url(&format!("/v3/clusters/{}", cluster_id()))
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn admin() -> AdminClient<DefaultClientContext> {
    admin_on(&bootstrap())
}

pub fn admin_on(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client")
}

/// Creates a topic through the Kafka admin API and waits until the broker reports it.
pub async fn create_topic(name: &str, partitions: i32, configs: &[(&str, &str)]) {
    create_topic_on(&bootstrap(), name, partitions, configs).await;
}

/// Creates a topic with a fixed name (one partition) unless the broker has it already.
pub async fn ensure_topic(name: &str) {
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let topic = NewTopic::new(name, 1, TopicReplication::Fixed(1));
    let results = admin_on(&bootstrap())
        .create_topics(&[topic], &options)
        .await
        .expect("create_topics");
    for result in results {
        match result {
            Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => panic!("cannot create {topic}: {code}"),
        }
    }
}

/// [`create_topic`] on the broker at `bootstrap`.
pub async fn create_topic_on(bootstrap: &str, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin_on(bootstrap)
        .create_topics(&[topic], &options)
        .await
        .expect("create_topics");
    for result in results {
        result.expect("topic created");
    }
    wait_for_partitions(bootstrap, name, partitions);
}

/// Waits (up to 10 s) until the broker's metadata shows `topic` with `partitions` partitions:
/// a topic just created may take a moment to appear on a busy machine.
fn wait_for_partitions(bootstrap: &str, topic: &str, partitions: i32) {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let shown = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .ok()
            .and_then(|m| {
                m.topics()
                    .iter()
                    .find(|t| t.name() == topic && t.error().is_none())
                    .map(|t| t.partitions().iter().filter(|p| p.leader() >= 0).count())
            });
        if shown == Some(partitions as usize) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("topic {topic} did not show {partitions} partitions within 10 s");
}

/// A `krest serve` child process, killed on drop.
pub struct Proxy {
    child: Child,
    pub base: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Proxy {
    /// Serves against the real broker on a free loopback port.
    pub fn start(extra: &[&str]) -> Proxy {
        let bootstrap = bootstrap();
        let mut args = vec!["--bootstrap-servers", &bootstrap];
        args.extend_from_slice(extra);
        Proxy::spawn(&args, &[])
    }

    /// Starts `krest serve ARGS --listeners http://127.0.0.1:0` and waits for its banner.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Proxy {
        Proxy::run(krest(args, env))
    }

    /// Runs a command made by [`krest`] or [`krest_as_written`] and waits for its banner.
    pub fn run(mut command: Command) -> Proxy {
        let mut child = command.spawn().expect("spawn krest");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        let out_buf = Arc::clone(&stdout);
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("krest listening on ") {
                    tx.send(address.to_string()).ok();
                }
                out_buf.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut err = child.stderr.take().unwrap();
        let err_buf = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut chunk) {
                err_buf
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        // Generous: a krest with an empty compile cache compiles every plugin before it listens
        // (seconds each for Python or JavaScript ones), while other tests load the machine.
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                child.kill().ok();
                panic!("krest did not start; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        Proxy {
            child,
            base,
            stdout,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        http()
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of the series `name` (labels including every one of `labels`) in the
    /// metrics now; `None` when there is no such series.
    pub async fn metric(&self, name: &str, labels: &[&str]) -> Option<f64> {
        metric(&self.metrics().await, name, labels)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The process's peak resident memory so far in KiB (`VmHWM` of /proc/PID/status).
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_field("VmHWM:")
    }

    /// The process's resident memory now in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        self.status_field("VmRSS:")
    }

    /// The process's threads now (`Threads` of /proc/PID/status).
    pub fn threads(&self) -> u64 {
        self.status_field("Threads:")
    }

    /// The process's open file descriptors now.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc/PID/fd")
            .count()
    }

    /// A number field of /proc/PID/status (a size in KiB, or a count).
    fn status_field(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until stdout or stderr contains `needle`; panics after 10 s.
    pub fn wait_for_output(&self, needle: &str) {
        for _ in 0..200 {
            if self.stdout().contains(needle) || self.stderr().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "`{needle}` never appeared; stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "krest still running; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The value of the series `name` in a Prometheus text whose labels include every one of `labels`.
pub fn metric(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let rest = series.strip_prefix(name)?;
            let ours = (rest.is_empty() || rest.starts_with('{')) && labels.iter().all(|l| rest.contains(l));
            ours.then(|| value.parse().expect("a number"))
        })
}

/// `krest serve ARGS` on a free loopback port, environment cleared of `KAFKA_REST_*`.
pub fn krest(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut full = vec!["--listeners", "http://127.0.0.1:0"];
    full.extend_from_slice(args);
    if args.contains(&"--dev") {
        // --dev serves a Schema Registry on :8081; tests run side by side.
        full.extend(["--set", "schema.registry.listeners=http://127.0.0.1:0"]);
    }
    krest_as_written(&full, env)
}

/// `krest serve ARGS` with nothing added (no test listener), output piped, `KAFKA_REST_*` of
/// the test's environment removed, `RUST_LOG=info` and `env` set (which may override it).
pub fn krest_as_written(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_krest"));
    command.arg("serve").args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("KAFKA_REST_")) {
        command.env_remove(key);
    }
    command.env("RUST_LOG", "info").envs(env.iter().copied());
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// GETs `url` with the v2 Accept header and returns status, Content-Type and JSON body.
pub async fn get_v2(url: &str) -> (u16, String, serde_json::Value) {
    call(reqwest::Method::GET, url, None, V2_JSON).await
}

/// Builds a plugin crate of this workspace for wasm32-wasip2 (once per test process) and
/// returns the `.wasm` path. Uses the same target dir as `host/build.rs`.
pub fn plugin_wasm(package: &str) -> std::path::PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("test binary in <target>/<profile>/deps")
        .to_path_buf();
    let wasm_target = target.join("wasm-plugins");
    let path = wasm_target
        .join("wasm32-wasip2/plugin")
        .join(format!("{}.wasm", package.replace('-', "_")));
    let mut built = BUILT.lock().unwrap();
    if !built.iter().any(|p| p == package) {
        let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "--target",
                "wasm32-wasip2",
                "--profile",
                "plugin",
            ])
            .arg("--target-dir")
            .arg(&wasm_target)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building {package} for wasm32-wasip2 failed");
        built.push(package.to_string());
    }
    path
}

/// Places `wasm` in `dir` as `NAME.wasm` the way operators should: write aside, then rename.
pub fn install_plugin(dir: &std::path::Path, name: &str, wasm: &std::path::Path) {
    let temporary = dir.join(format!("{name}.wasm.tmp"));
    std::fs::copy(wasm, &temporary).unwrap();
    std::fs::rename(&temporary, dir.join(format!("{name}.wasm"))).unwrap();
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The value bytes of the record at `offset` of partition 0 of `topic`, read from Kafka.
pub fn read_value(topic: &str, offset: i64) -> Option<Vec<u8>> {
    use rdkafka::Message;
    let consumer = reader(topic, rdkafka::Offset::Offset(offset));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            return message.payload().map(<[u8]>::to_vec);
        }
    }
    panic!("no record at {topic}/0@{offset}");
}

/// Sends `request` with the v2 Accept header and an optional JSON body as `content_type`;
/// returns the status and the answer (a non-JSON answer as a JSON string).
pub async fn send_json(
    request: reqwest::RequestBuilder,
    body: Option<serde_json::Value>,
    content_type: &str,
) -> (u16, serde_json::Value) {
    let mut request = request.header("Accept", V2_JSON);
    if let Some(body) = body {
        request = request
            .header("Content-Type", content_type)
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// The end offset of `topic`/`partition`, asked of Kafka directly.
pub fn end_offset_direct(topic: &str, partition: i32) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let (_, end) = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .expect("watermarks");
    end
}

/// A Kafka consumer (no group commits) assigned partition 0 of `topic` from `offset`.
pub fn reader(topic: &str, offset: rdkafka::Offset) -> rdkafka::consumer::BaseConsumer {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = rdkafka::TopicPartitionList::new();
    assignment.add_partition_offset(topic, 0, offset).unwrap();
    consumer.assign(&assignment).unwrap();
    consumer
}

/// What Kafka holds in partition 0 of `topic`: value, headers and timestamp of each record.
pub type Stored = Vec<(String, Vec<(String, String)>, Option<i64>)>;

/// The `count` records of partition 0 of `topic`, read directly from Kafka; fails if there
/// are fewer or more.
pub fn stored(topic: &str, count: usize) -> Stored {
    use rdkafka::message::Headers;
    use rdkafka::Message;
    let consumer = reader(topic, rdkafka::Offset::Beginning);
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while records.len() < count && std::time::Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            let headers = message
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            (
                                h.key.to_string(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let value = String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned();
            records.push((value, headers, message.timestamp().to_millis()));
        }
    }
    assert_eq!(records.len(), count, "{topic}: {records:?}");
    // Nothing more than expected.
    assert!(
        consumer.poll(Duration::from_millis(500)).is_none(),
        "{topic} holds more records"
    );
    records
}

/// A proxy whose only auth plugin is `allowlist`: `alice-key` may use `alice-*` topics,
/// `bob-key` `bob-*` topics.
pub fn allowlist_proxy(extra: &[&str]) -> Proxy {
    let dir = temp_dir("krest-auth");
    install_plugin(&dir, "allowlist", &plugin_wasm("krest-example-allowlist"));
    std::fs::write(
        dir.join("allowlist.toml"),
        "[keys]\nalice-key = \"alice-\"\nbob-key = \"bob-\"\n",
    )
    .unwrap();
    let mut args = vec![
        "--set".to_string(),
        format!("plugins.dir={}", dir.display()),
        "--set".to_string(),
        "auth.plugins=allowlist".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A JSON-speaking HTTP call: `method path` with an optional body (sent as v2 JSON) and an
/// Accept header; returns status, Content-Type and the body (`null` when empty).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    body: Option<serde_json::Value>,
    accept: &str,
) -> (u16, String, serde_json::Value) {
    call_as(method, url, body.map(|b| (V2_JSON, b.to_string())), accept).await
}

/// An API v3 call: `application/json` both ways; returns status, Content-Type and the body.
pub async fn call_v3(
    method: reqwest::Method,
    url: &str,
    body: Option<serde_json::Value>,
) -> (u16, String, serde_json::Value) {
    call_as(
        method,
        url,
        body.map(|b| ("application/json", b.to_string())),
        "application/json",
    )
    .await
}

/// [`call`] with the body's Content-Type given: `body` is `(content type, text)`.
pub async fn call_as(
    method: reqwest::Method,
    url: &str,
    body: Option<(&str, String)>,
    accept: &str,
) -> (u16, String, serde_json::Value) {
    let mut request = http().request(method, url).header("Accept", accept);
    if let Some((content_type, body)) = body {
        request = request.header("Content-Type", content_type).body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, content_type, body)
}

/// Produces records `(key, value)` of raw bytes to one partition of `topic`, through Kafka directly.
pub async fn produce_direct(topic: &str, partition: i32, records: &[(Option<&[u8]>, &[u8])]) {
    produce_direct_on(&bootstrap(), topic, partition, records).await;
}

/// [`produce_direct`] on the broker at `bootstrap`.
pub async fn produce_direct_on(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    records: &[(Option<&[u8]>, &[u8])],
) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for (key, value) in records {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic)
            .partition(partition)
            .payload(*value);
        record.key = *key;
        producer
            .send(record, Duration::from_secs(10))
            .await
            .expect("acknowledged");
    }
}

/// A Kafka broker of the test's own (scripts/kafka.sh on a free port with its own log dir),
/// for tests that stop and restart it; stopped and deleted on drop.
pub struct PrivateBroker {
    pub port: u16,
    state: std::path::PathBuf,
}

impl PrivateBroker {
    pub fn start() -> PrivateBroker {
        // Below Linux's ephemeral range (32768+): while the broker is stopped, a client's
        // outgoing connection could otherwise take one of its ports and fail its restart.
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let port = (0..)
            .map(|n: u32| 20_000 + ((seed / 3 + n * 7) % 4_000) as u16 * 3)
            .find(|&port| {
                // The controller listens on port + 1, SASL clients on port + 2.
                (port..port + 3).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
            })
            .unwrap();
        let broker = PrivateBroker {
            port,
            state: temp_dir("broker"),
        };
        broker.run("start");
        broker
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn stop(&self) {
        self.run("stop");
    }

    pub fn restart(&self) {
        self.run("start");
    }

    /// SIGSTOPs the broker's JVM (the pid scripts/kafka.sh recorded): its connections stay
    /// open and nothing answers until [`PrivateBroker::resume`].
    pub fn pause(&self) {
        self.signal(nix::sys::signal::Signal::SIGSTOP)
            .expect("pause the broker");
    }

    /// SIGCONTs a paused broker.
    pub fn resume(&self) {
        self.signal(nix::sys::signal::Signal::SIGCONT)
            .expect("resume the broker");
    }

    fn signal(&self, signal: nix::sys::signal::Signal) -> Result<(), String> {
        let pid = std::fs::read_to_string(self.state.join("broker.pid")).map_err(|e| e.to_string())?;
        let pid = pid
            .trim()
            .parse()
            .map_err(|_| format!("no pid in broker.pid: {pid}"))?;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).map_err(|e| e.to_string())
    }

    fn run(&self, action: &str) {
        let status = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/kafka.sh"))
            .arg(action)
            .env("KREST_KAFKA_PORT", self.port.to_string())
            .env("KREST_KAFKA_STATE", &self.state)
            .stdout(Stdio::null())
            .status()
            .expect("run scripts/kafka.sh");
        assert!(status.success(), "scripts/kafka.sh {action} failed");
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        // A paused JVM would ignore the SIGTERM of `stop`; a dead one needs nothing.
        self.signal(nix::sys::signal::Signal::SIGCONT).ok();
        self.run("stop");
        std::fs::remove_dir_all(&self.state).ok();
    }
}

/// Creates a v2 consumer instance in `group` with `settings`; returns its `base_uri`.
pub async fn new_consumer(proxy: &Proxy, group: &str, settings: serde_json::Value) -> String {
    let url = proxy.url(&format!("/consumers/{group}"));
    let (status, _, created) = call(reqwest::Method::POST, &url, Some(settings), V2_JSON).await;
    assert_eq!(status, 200, "{created}");
    created["base_uri"].as_str().expect("base_uri").to_string()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Settings for a krest that serves a Schema Registry of its own on `port`, stored in
/// `topic` (a topic per test: ids then start at 1), with the proxy pointed at it.
pub fn registry_args(port: u16, topic: &str) -> Vec<String> {
    [
        format!("schema.registry.listeners=http://127.0.0.1:{port}"),
        format!("schema.registry.url=http://127.0.0.1:{port}"),
        format!("kafkastore.topic={topic}"),
        format!("schema.registry.group.id={topic}-writers"),
    ]
    .into_iter()
    .flat_map(|setting| ["--set".to_string(), setting])
    .collect()
}

/// A proxy serving its own Schema Registry on `port` (its store a fresh topic), which its
/// schema formats use; consumer reads wait at most 300 ms.
pub fn proxy_with_registry_on(port: u16) -> Proxy {
    let mut args = registry_args(port, &unique("_schemas"));
    args.extend(["--set", "consumer.request.timeout.ms=300"].map(String::from));
    Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

pub fn proxy_with_registry() -> Proxy {
    proxy_with_registry_on(free_port())
}

/// The end offset of partition 0 of `topic`, asked through the proxy.
pub async fn end_offset(proxy: &Proxy, topic: &str) -> i64 {
    let url = proxy.url(&format!("/topics/{topic}/partitions/0/offsets"));
    let (status, _, offsets) = call(reqwest::Method::GET, &url, None, V2_JSON).await;
    assert_eq!(status, 200, "{offsets}");
    offsets["end_offset"].as_i64().unwrap()
}

/// Registers `body` (`schema`, optional `schemaType` and `references`) under `subject` through
/// the registry's REST API at `registry` (a base URL); returns the schema id.
pub async fn register_schema(registry: &str, subject: &str, body: serde_json::Value) -> u32 {
    let response = http()
        .post(format!("{registry}/subjects/{subject}/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_string())
        .send()
        .await
        .expect("the registry answers");
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.expect("a JSON answer");
    assert_eq!(status, 200, "register under {subject}: {answer}");
    answer["id"].as_u64().expect("an id") as u32
}

/// A consumer of `format` subscribed to `topic` from the beginning; its base URI.
pub async fn subscribed_consumer(proxy: &Proxy, format: &str, topic: &str) -> String {
    let settings = serde_json::json!({"format": format, "auto.offset.reset": "earliest"});
    let base = new_consumer(proxy, &unique(&format!("{format}-group")), settings).await;
    let subscription = serde_json::json!({"topics": [topic]});
    let (status, _, body) = call(
        reqwest::Method::POST,
        &format!("{base}/subscription"),
        Some(subscription),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    base
}

/// Reads with `accept` until `count` records arrived (or a read fails: that answer is
/// returned); every answer must have the content type asked for.
pub async fn read_records_as(
    base: &str,
    accept: &str,
    count: usize,
) -> Result<Vec<serde_json::Value>, (u16, serde_json::Value)> {
    let mut records = Vec::new();
    for _ in 0..60 {
        let (status, content_type, body) =
            call(reqwest::Method::GET, &format!("{base}/records"), None, accept).await;
        if status != 200 {
            return Err((status, body));
        }
        assert_eq!(content_type, accept);
        records.extend(body.as_array().unwrap().iter().cloned());
        if records.len() >= count {
            break;
        }
    }
    Ok(records)
}

/// The `offset` of each result of a produce answer, in order.
pub fn produced_offsets(response: &serde_json::Value) -> Vec<serde_json::Value> {
    let results = response["offsets"].as_array().expect("a produce answer");
    results.iter().map(|o| o["offset"].clone()).collect()
}

/// Kafka's `Utils.murmur2` (seed 0x9747b28c): the hash Java's default partitioner gives a key.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h = 0x9747_b28c ^ data.len() as u32;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes(chunk.try_into().unwrap()).wrapping_mul(M);
        k ^= k >> 24;
        h = h.wrapping_mul(M) ^ k.wrapping_mul(M);
    }
    if !tail.is_empty() {
        for (i, byte) in tail.iter().enumerate() {
            h ^= u32::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    (h ^ (h >> 15)) as i32
}

/// The partition Java's default partitioner picks for a non-null key:
/// `toPositive(murmur2(key)) % partitions`.
pub fn java_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// Consumed records reduced to `{"key", "value"}`, as the interop tests compare them.
pub fn keys_and_values(records: Vec<serde_json::Value>) -> serde_json::Value {
    let pairs = records.into_iter();
    serde_json::Value::Array(
        pairs
            .map(|r| serde_json::json!({"key": r["key"], "value": r["value"]}))
            .collect(),
    )
}

/// `payload` in Confluent's wire format: magic byte 0, the 4-byte big-endian schema id.
pub fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    [&[0u8][..], &id.to_be_bytes(), payload].concat()
}

/// The venv interpreter scripts/test.sh prepares (scripts/python-env.sh, with Confluent's
/// Python client); tests refuse to run without one.
pub fn python() -> String {
    std::env::var("KREST_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "KREST_TEST_PYTHON is not set: run the suite with scripts/test.sh, which prepares it \
             (scripts/python-env.sh)"
        )
    })
}

/// Runs a script of tests/clients with the test venv's Python; returns its stdout, panicking
/// with its output when it fails.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let path = format!("{}/../tests/clients/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(python())
        .arg(&path)
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script}: {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// [`run_python`] on a blocking thread, for async tests.
pub async fn python_script(script: &str, args: &[&str]) -> String {
    let script = script.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_python(&script, &args)
    })
    .await
    .expect("the Python script ran")
}

/// POSTs a produce request `body` to `topic` as `content_type`; returns status and answer.
pub async fn produce_as(
    proxy: &Proxy,
    topic: &str,
    content_type: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", content_type)
        .header("Accept", V2_JSON)
        .body(body.to_string())
        .send()
        .await
        .expect("krest answers");
    (
        response.status().as_u16(),
        response.json().await.expect("a JSON answer"),
    )
}

/// Produce requests sent one after another until stopped, counting those whose answer
/// `accepted` refuses (a failed request is printed).
pub struct ProduceLoad {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(usize, usize)>,
}

impl ProduceLoad {
    pub fn start(
        proxy: Arc<Proxy>,
        topic: &str,
        content_type: &'static str,
        body: serde_json::Value,
        accepted: fn(u16, &serde_json::Value) -> bool,
    ) -> ProduceLoad {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (topic, stopped) = (topic.to_string(), Arc::clone(&stop));
        let task = tokio::spawn(async move {
            let (mut sent, mut failed) = (0, 0);
            while !stopped.load(Ordering::Relaxed) {
                let (status, answer) = produce_as(&proxy, &topic, content_type, &body).await;
                sent += 1;
                if !accepted(status, &answer) {
                    eprintln!("failed request: {status} {answer}");
                    failed += 1;
                }
            }
            (sent, failed)
        });
        ProduceLoad { stop, task }
    }

    /// Stops the load; returns how many requests were sent and how many failed.
    pub async fn stop(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("load task")
    }
}

/// The cargo target dir this test binary was built in (`<target>/<profile>/deps/TEST`).
pub fn target_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("test binary in <target>/<profile>/deps")
        .to_path_buf()
}

/// `GET /plugins`: one entry per plugin (`name`, `kind`, `last_error`, …).
pub async fn plugin_list(proxy: &Proxy) -> Vec<serde_json::Value> {
    let body: serde_json::Value = http()
        .get(proxy.url("/plugins"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_array().expect("a list of plugins").clone()
}
