//! Concurrent v2 produce clients (batches of 1 and of 100, a unique id per record as its JSON
//! value) that remember where krest said each record landed, and the check of Kafka against it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::{json, Value};

use crate::load::{answer, client, PhaseClock, Tally};

const JSON: &str = "application/vnd.kafka.json.v2+json";

/// Produce clients running until [`ProduceLoad::stop`].
pub struct ProduceLoad {
    pub tally: Arc<Tally>,
    /// Record id → (partition, offset) krest answered.
    acknowledged: Arc<Mutex<HashMap<String, (i32, i64)>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ProduceLoad {
    /// Starts `clients` producers to `url` (a v2 topic URL); client `n` sends batches of 1 if
    /// `n` is even, of 100 if odd.
    pub fn start(url: &str, clients: usize, phase: Arc<PhaseClock>) -> ProduceLoad {
        let tally = Arc::new(Tally::default());
        let acknowledged = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let http = client();
        let tasks = (0..clients)
            .map(|n| {
                let producer = Producer {
                    name: format!("c{n}"),
                    batch: if n % 2 == 0 { 1 } else { 100 },
                    url: url.to_string(),
                    http: http.clone(),
                    phase: Arc::clone(&phase),
                    tally: Arc::clone(&tally),
                    acknowledged: Arc::clone(&acknowledged),
                };
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    let mut sequence = 0;
                    while !stop.load(Ordering::Relaxed) {
                        producer.send(sequence).await;
                        sequence += producer.batch;
                    }
                })
            })
            .collect();
        ProduceLoad {
            tally,
            acknowledged,
            stop,
            tasks,
        }
    }

    /// Lets each client finish its request in flight; returns what krest acknowledged.
    pub async fn stop(self) -> HashMap<String, (i32, i64)> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a produce client");
        }
        Arc::try_unwrap(self.acknowledged)
            .expect("the clients ended")
            .into_inner()
            .unwrap()
    }
}

struct Producer {
    name: String,
    batch: usize,
    url: String,
    http: reqwest::Client,
    phase: Arc<PhaseClock>,
    tally: Arc<Tally>,
    acknowledged: Arc<Mutex<HashMap<String, (i32, i64)>>>,
}

impl Producer {
    /// Sends one batch of records `sequence..sequence + batch` and counts its outcome.
    async fn send(&self, sequence: usize) {
        let ids: Vec<String> = (sequence..sequence + self.batch)
            .map(|i| format!("{}-{i}", self.name))
            .collect();
        let records: Vec<Value> = ids.iter().map(|id| json!({ "value": id })).collect();
        let what = format!("produce batch {}", self.batch);
        let (phase, started) = (self.phase.now(), Instant::now());
        let sent = self
            .http
            .post(&self.url)
            .header("Content-Type", JSON)
            .header("Accept", crate::support::V2_JSON)
            .body(json!({ "records": records }).to_string())
            .send()
            .await;
        let (status, body) = match answer(sent).await {
            Ok(answer) => answer,
            Err(error) => {
                self.tally.transport_error(phase, started, &what, &error);
                // A client whose request got no answer (krest gone) does not spin.
                return tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        if status != 200 {
            return self.tally.error_answer(phase, started, &what, status, &body);
        }
        let Some(results) = body["offsets"].as_array().filter(|r| r.len() == ids.len()) else {
            self.tally
                .problem(format!("{what}: 200 without one result per record: {body}"));
            return;
        };
        let mut failed: HashMap<u64, usize> = HashMap::new();
        for (id, result) in ids.into_iter().zip(results) {
            match (result["partition"].as_i64(), result["offset"].as_i64()) {
                (Some(partition), Some(offset)) => {
                    let previous = self
                        .acknowledged
                        .lock()
                        .unwrap()
                        .insert(id, (partition as i32, offset));
                    assert!(previous.is_none(), "an id acknowledged twice");
                }
                _ => match result["error_code"].as_u64() {
                    Some(code @ (50002 | 50003)) if result["error"].is_string() => {
                        *failed.entry(code).or_default() += 1
                    }
                    _ => self
                        .tally
                        .problem(format!("{what}: unclear record result {result}")),
                },
            }
        }
        let outcome = match failed.is_empty() {
            true => format!("ok: {what}"),
            false => {
                let mut codes: Vec<_> = failed.into_iter().collect();
                codes.sort();
                let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{n}×{c}")).collect();
                format!("{what}: 200 with record errors {}", codes.join(", "))
            }
        };
        self.tally.count(phase, started, outcome);
    }
}

/// Every record of `topic` in Kafka: its value (a JSON string, the id) → where it is stored.
pub fn stored(bootstrap: &str, topic: &str, partitions: i32) -> HashMap<String, Vec<(i32, i64)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", crate::support::unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut ends = HashMap::new();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(30))
            .expect("watermarks");
        if high > low {
            ends.insert(partition, high);
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&assignment).unwrap();
    let mut stored: HashMap<String, Vec<(i32, i64)>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ends.is_empty() {
        assert!(
            Instant::now() < deadline,
            "reading {topic} back took over 2 minutes"
        );
        let Some(message) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let message = message.expect("a record");
        let id: String = serde_json::from_slice(message.payload().unwrap()).expect("a JSON id");
        stored
            .entry(id)
            .or_default()
            .push((message.partition(), message.offset()));
        if ends.get(&message.partition()) == Some(&(message.offset() + 1)) {
            ends.remove(&message.partition());
        }
    }
    stored
}

/// Acknowledged records against what Kafka holds.
#[derive(Default)]
pub struct Check {
    pub acknowledged: usize,
    /// Acknowledged, and in Kafka exactly once at the answered partition and offset.
    pub found: usize,
    pub missing: usize,
    pub misplaced: usize,
    /// Ids stored more than once.
    pub duplicated: usize,
    /// In Kafka though krest never answered them with an offset (their request failed).
    pub unacknowledged_stored: usize,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "records acknowledged {}, found exactly once where answered {}, missing {}, \
             elsewhere {}, stored twice {}, stored though not acknowledged {}",
            self.acknowledged,
            self.found,
            self.missing,
            self.misplaced,
            self.duplicated,
            self.unacknowledged_stored
        )
    }
}

pub fn check(acknowledged: &HashMap<String, (i32, i64)>, stored: &HashMap<String, Vec<(i32, i64)>>) -> Check {
    let mut check = Check {
        acknowledged: acknowledged.len(),
        duplicated: stored.values().filter(|at| at.len() > 1).count(),
        unacknowledged_stored: stored.keys().filter(|id| !acknowledged.contains_key(*id)).count(),
        ..Check::default()
    };
    for (id, at) in acknowledged {
        match stored.get(id).map(Vec::as_slice) {
            None => check.missing += 1,
            Some([only]) if only == at => check.found += 1,
            Some(_) => check.misplaced += 1,
        }
    }
    check
}
