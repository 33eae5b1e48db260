//! Three krest processes behind a round-robin client: every request for a consumer instance
//! is answered by whichever process it reaches (forwarded to the owner through the consumer
//! directory), and an owner that is gone gives the others a clean 404/40403.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call, call_as, create_topic, produce_direct, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// Processes sharing one directory topic, reached in turn as a round-robin balancer would.
struct Cluster {
    proxies: Vec<Proxy>,
    next: AtomicUsize,
}

impl Cluster {
    fn start(count: usize) -> Cluster {
        let directory = format!("consumer.directory.topic={}", unique("_krest_consumers"));
        let proxies = (0..count)
            .map(|n| {
                let id = format!("id=krest-{n}");
                Proxy::start(&[
                    "--set",
                    &id,
                    "--set",
                    &directory,
                    "--set",
                    "consumer.request.timeout.ms=300",
                ])
            })
            .collect();
        Cluster {
            proxies,
            next: AtomicUsize::new(0),
        }
    }

    /// The next process in turn.
    fn any(&self) -> &Proxy {
        &self.proxies[self.next.fetch_add(1, Ordering::Relaxed) % self.proxies.len()]
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>, accept: &str) -> (u16, Value) {
        let (status, _, body) = call(method, &self.any().url(path), body, accept).await;
        (status, body)
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method.clone(), path, body, V2_JSON).await;
        assert!(
            status == 200 || status == 204,
            "{method} {path}: {status} {answer}"
        );
        answer
    }
}

#[tokio::test]
async fn each_request_to_a_different_process_succeeds() {
    let topic = unique("forwarded");
    create_topic(&topic, 2, &[]).await;
    let sent: Vec<(i32, Vec<u8>)> = (0..20)
        .map(|n| (n % 2, format!("record-{n}").into_bytes()))
        .collect();
    for (partition, value) in &sent {
        produce_direct(&topic, *partition, &[(None, value)]).await;
    }
    let cluster = Cluster::start(3);
    let group = unique("group");

    let created = cluster
        .ok(
            Method::POST,
            &format!("/consumers/{group}"),
            Some(json!({"auto.offset.reset": "earliest", "auto.commit.enable": "false"})),
        )
        .await;
    let name = created["instance_id"].as_str().unwrap();
    let instance = format!("/consumers/{group}/instances/{name}");
    cluster
        .ok(
            Method::POST,
            &format!("{instance}/subscription"),
            Some(json!({"topics": [topic]})),
        )
        .await;
    assert_eq!(
        cluster
            .ok(Method::GET, &format!("{instance}/subscription"), None)
            .await,
        json!({"topics": [topic]})
    );

    let mut read = Vec::new();
    for _ in 0..60 {
        let (status, records) = cluster
            .call(Method::GET, &format!("{instance}/records"), None, BINARY)
            .await;
        assert_eq!(status, 200, "{records}");
        read.extend(records.as_array().unwrap().clone());
        if read.len() >= sent.len() {
            break;
        }
    }
    let mut got: Vec<(i32, Vec<u8>)> = read
        .iter()
        .map(|r| {
            let value = STANDARD.decode(r["value"].as_str().unwrap()).unwrap();
            (r["partition"].as_i64().unwrap() as i32, value)
        })
        .collect();
    let mut expected = sent.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "every record read once, byte for byte");

    cluster
        .ok(Method::POST, &format!("{instance}/offsets"), None)
        .await;
    let query = json!({"partitions": [{"topic": topic, "partition": 0}, {"topic": topic, "partition": 1}]});
    let mut committed = Value::Null;
    for _ in 0..50 {
        committed = cluster
            .ok(Method::GET, &format!("{instance}/offsets"), Some(query.clone()))
            .await;
        if committed["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["offset"] == 10)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        committed["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["offset"] == 10),
        "{committed}"
    );

    cluster.ok(Method::DELETE, &instance, None).await;
    for proxy in &cluster.proxies {
        let (status, _, body) = call(
            Method::GET,
            &proxy.url(&format!("{instance}/subscription")),
            None,
            V2_JSON,
        )
        .await;
        assert_eq!(
            (status, body["error_code"].as_u64()),
            (404, Some(40403)),
            "{body}"
        );
    }
    let mut total = 0;
    for proxy in &cluster.proxies {
        total += forwards(proxy, "answered").await;
    }
    // Create, then every later request but those reaching the owner: at least 2 in 3 of them.
    assert!(total >= 4, "only {total} requests were forwarded");
}

#[tokio::test]
async fn a_forwarded_request_is_never_forwarded_again() {
    let cluster = Cluster::start(2);
    let group = unique("group");
    let (status, _, created) = call(
        Method::POST,
        &cluster.proxies[0].url(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let path = format!(
        "/consumers/{group}/instances/{}/subscription",
        created["instance_id"].as_str().unwrap()
    );
    let other = &cluster.proxies[1];
    let (status, _, _) = call(Method::GET, &other.url(&path), None, V2_JSON).await;
    assert_eq!(status, 200, "forwarded to the owner");
    let request = support::http()
        .get(other.url(&path))
        .header("Accept", V2_JSON)
        .header("krest-forwarded", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(request.status(), 404, "answered where it arrived");
}

#[tokio::test]
async fn instances_of_a_stopped_owner_are_not_found_elsewhere() {
    let mut cluster = Cluster::start(3);
    let group = unique("group");
    let mut instances = Vec::new();
    for owner in [0, 1] {
        let (status, _, created) = call(
            Method::POST,
            &cluster.proxies[owner].url(&format!("/consumers/{group}")),
            Some(json!({})),
            V2_JSON,
        )
        .await;
        assert_eq!(status, 200, "{created}");
        instances.push(format!(
            "/consumers/{group}/instances/{}/subscription",
            created["instance_id"].as_str().unwrap()
        ));
    }
    for proxy in &cluster.proxies[1..] {
        let (status, _, _) = call(Method::GET, &proxy.url(&instances[0]), None, V2_JSON).await;
        assert_eq!(status, 200);
    }

    // SIGTERM: the owner leaves, removing its instances from the directory.
    let mut stopped = cluster.proxies.remove(0);
    kill(Pid::from_raw(stopped.pid()), Signal::SIGTERM).unwrap();
    assert!(stopped.wait(std::time::Duration::from_secs(30)).success());
    for proxy in &cluster.proxies {
        let (status, _, body) = call(Method::GET, &proxy.url(&instances[0]), None, V2_JSON).await;
        assert_eq!(
            (status, body["error_code"].as_u64()),
            (404, Some(40403)),
            "{body}"
        );
    }

    // SIGKILL: the directory still names the owner, which no longer answers.
    let killed = cluster.proxies.remove(0);
    kill(Pid::from_raw(killed.pid()), Signal::SIGKILL).unwrap();
    drop(killed);
    let (status, _, body) = call(Method::GET, &cluster.proxies[0].url(&instances[1]), None, V2_JSON).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (404, Some(40403)),
        "{body}"
    );
    let posted = call_as(
        Method::POST,
        &cluster.proxies[0].url(&instances[1]),
        Some((V2_JSON, json!({"topics": ["t"]}).to_string())),
        V2_JSON,
    )
    .await;
    assert_eq!((posted.0, posted.2["error_code"].as_u64()), (404, Some(40403)));
}

/// `krest_consumer_forwards_total` of one outcome (0 before the first forward).
async fn forwards(proxy: &Proxy, outcome: &str) -> u64 {
    let label = format!("outcome=\"{outcome}\"");
    let count = proxy.metric("krest_consumer_forwards_total", &[&label]).await;
    count.map_or(0, |n| n as u64)
}

#[tokio::test]
async fn a_process_at_a_killed_ones_address_removes_its_entries() {
    let directory = format!("consumer.directory.topic={}", unique("_krest_consumers"));
    // An address nothing listens at: requests forwarded there find no one.
    let address = format!(
        "consumer.directory.advertised.url=http://127.0.0.1:{}",
        support::free_port()
    );
    let killed = Proxy::start(&["--set", &directory, "--set", &address]);
    let other = Proxy::start(&["--set", &directory]);
    let group = unique("group");
    let (status, _, created) = call(
        Method::POST,
        &killed.url(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let path = format!(
        "/consumers/{group}/instances/{}/assignments",
        created["instance_id"].as_str().unwrap()
    );
    kill(Pid::from_raw(killed.pid()), Signal::SIGKILL).unwrap();
    drop(killed);

    let (status, _, _) = call(Method::GET, &other.url(&path), None, V2_JSON).await;
    assert_eq!(status, 404);
    assert_eq!(
        forwards(&other, "unreachable").await,
        1,
        "the entry was left behind"
    );

    let successor = Proxy::start(&["--set", &directory, "--set", &address]);
    // Its first create waits until the directory is open, and so the old entries removed.
    let (status, _, _) = call(
        Method::POST,
        &successor.url(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = call(Method::GET, &other.url(&path), None, V2_JSON).await;
    assert_eq!((status, body["error_code"].as_u64()), (404, Some(40403)));
    assert_eq!(
        forwards(&other, "unreachable").await,
        1,
        "no longer listed, so not forwarded"
    );
}
