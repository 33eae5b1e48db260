//! v2 consumer instances of one group reading binary records (each value a unique id) and
//! committing after every read; after each commit the committed offsets are read back and
//! must never be below one seen before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::Method;
use serde_json::{json, Value};

use crate::load::{answer, client, PhaseClock, Tally};
use crate::support::{Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// Writes records (value `r<n>`, round-robin over the partitions) directly to Kafka at a
/// steady pace until [`Feeder::stop`]; librdkafka queues them while the broker is away.
pub struct Feeder {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<String>>,
}

impl Feeder {
    pub fn start(bootstrap: &str, topic: &str, partitions: i32, per_second: usize) -> Feeder {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("linger.ms", "5")
            // Room for every record written while the broker is away.
            .set("queue.buffering.max.messages", "1000000")
            .create()
            .unwrap();
        let (topic, stop) = (topic.to_string(), Arc::new(AtomicBool::new(false)));
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut deliveries = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stopped.load(Ordering::Relaxed) {
                tick.tick().await;
                for _ in 0..per_second / 10 {
                    let n = deliveries.len();
                    let value = format!("r{n}");
                    let record = FutureRecord::<(), _>::to(&topic)
                        .partition(n as i32 % partitions)
                        .payload(&value);
                    deliveries.push((value.clone(), producer.send_result(record).expect("queued")));
                }
            }
            let mut acknowledged = Vec::new();
            for (value, delivery) in deliveries {
                delivery
                    .await
                    .expect("a delivery")
                    .expect("acknowledged by Kafka");
                acknowledged.push(value);
            }
            acknowledged
        });
        Feeder { stop, task }
    }

    /// Stops writing; returns every id Kafka acknowledged.
    pub async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the feeder")
    }
}

/// Consumer instances reading until [`ConsumeLoad::stop`].
pub struct ConsumeLoad {
    pub group: String,
    pub tally: Arc<Tally>,
    /// Every id read → how often.
    read: Arc<Mutex<HashMap<String, u32>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ConsumeLoad {
    /// Creates `instances` consumers in a new group on `proxy`, subscribed to `topic`.
    pub async fn start(proxy: &Proxy, topic: &str, instances: usize, phase: Arc<PhaseClock>) -> ConsumeLoad {
        let group = crate::support::unique("faults");
        let shared = Arc::new(Shared {
            http: client(),
            topic: topic.to_string(),
            phase,
            tally: Arc::new(Tally::default()),
            read: Arc::new(Mutex::new(HashMap::new())),
            committed_floor: Mutex::new(HashMap::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..instances {
            let settings =
                json!({"format": "binary", "auto.offset.reset": "earliest", "auto.commit.enable": "false"});
            let base = crate::support::new_consumer(proxy, &group, settings).await;
            let subscription = json!({ "topics": [topic] });
            let (status, body) = shared
                .call(Method::POST, &format!("{base}/subscription"), Some(subscription))
                .await
                .expect("subscribed");
            assert_eq!(status, 204, "{body}");
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    shared.read_and_commit(&base).await;
                }
                shared.call(Method::DELETE, &base, None).await.ok();
            }));
        }
        ConsumeLoad {
            group,
            tally: Arc::clone(&shared.tally),
            read: Arc::clone(&shared.read),
            stop,
            tasks,
        }
    }

    /// How many distinct ids were read so far.
    pub fn distinct(&self) -> usize {
        self.read.lock().unwrap().len()
    }

    /// Stops and deletes the instances; returns every id read → how often.
    pub async fn stop(self) -> HashMap<String, u32> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a consumer");
        }
        std::mem::take(&mut *self.read.lock().unwrap())
    }
}

struct Shared {
    http: reqwest::Client,
    topic: String,
    phase: Arc<PhaseClock>,
    tally: Arc<Tally>,
    read: Arc<Mutex<HashMap<String, u32>>>,
    /// Partition → the highest committed offset any instance has read back.
    committed_floor: Mutex<HashMap<i64, i64>>,
}

impl Shared {
    /// One records read; when it returned records, a commit of them and a read-back of the
    /// committed offsets.
    async fn read_and_commit(&self, base: &str) {
        let Some(records) = self
            .step("read", Method::GET, &format!("{base}/records?timeout=1000"), None)
            .await
        else {
            return;
        };
        let mut last: HashMap<i64, i64> = HashMap::new();
        for record in records.as_array().expect("a list of records") {
            let value = base64::engine::general_purpose::STANDARD
                .decode(record["value"].as_str().expect("a binary value"))
                .expect("base64");
            let id = String::from_utf8(value).unwrap();
            *self.read.lock().unwrap().entry(id).or_default() += 1;
            let (partition, offset) = (
                record["partition"].as_i64().unwrap(),
                record["offset"].as_i64().unwrap(),
            );
            let at = last.entry(partition).or_insert(offset);
            *at = (*at).max(offset);
        }
        if last.is_empty() {
            return;
        }
        let offsets: Vec<Value> = last
            .iter()
            .map(|(p, o)| json!({"topic": self.topic, "partition": p, "offset": o}))
            .collect();
        let url = format!("{base}/offsets");
        if self
            .step("commit", Method::POST, &url, Some(json!({ "offsets": offsets })))
            .await
            .is_none()
        {
            return;
        }
        let floor = self.committed_floor.lock().unwrap().clone();
        let partitions: Vec<Value> = last
            .keys()
            .map(|p| json!({"topic": self.topic, "partition": p}))
            .collect();
        let Some(committed) = self
            .step(
                "committed",
                Method::GET,
                &url,
                Some(json!({ "partitions": partitions })),
            )
            .await
        else {
            return;
        };
        for entry in committed["offsets"].as_array().expect("offsets") {
            let (partition, offset) = (
                entry["partition"].as_i64().unwrap(),
                entry["offset"].as_i64().unwrap(),
            );
            if offset < floor.get(&partition).copied().unwrap_or(0) || offset < last[&partition] + 1 {
                self.tally.problem(format!(
                    "partition {partition}: committed offset {offset} after committing {} (floor {:?})",
                    last[&partition] + 1,
                    floor.get(&partition)
                ));
            }
            let mut floors = self.committed_floor.lock().unwrap();
            let highest = floors.entry(partition).or_insert(offset);
            *highest = (*highest).max(offset);
        }
    }

    /// One counted request; the JSON answer if it succeeded.
    async fn step(&self, what: &str, method: Method, url: &str, body: Option<Value>) -> Option<Value> {
        let (phase, started) = (self.phase.now(), Instant::now());
        match self.call(method, url, body).await {
            Ok((200 | 204, body)) => {
                self.tally.count(phase, started, format!("ok: {what}"));
                Some(body)
            }
            Ok((status, body)) => {
                self.tally.error_answer(phase, started, what, status, &body);
                None
            }
            Err(error) => {
                self.tally.transport_error(phase, started, what, &error);
                // A consumer whose request failed without an answer does not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                None
            }
        }
    }

    /// A request with the Accept header of a records read (binary) or of the others (v2 JSON).
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let accept = if url.contains("/records") { BINARY } else { V2_JSON };
        let mut request = self.http.request(method, url).header("Accept", accept);
        if let Some(body) = body {
            request = request.header("Content-Type", V2_JSON).body(body.to_string());
        }
        answer(request.send().await).await
    }
}
