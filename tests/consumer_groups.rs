//! Consumer groups across processes: two proxies with different ids serve one group, and a
//! proxy stopped with SIGTERM leaves its groups so other members take over at once.

mod support;

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call, create_topic, produce_direct, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

async fn create(proxy: &Proxy, group: &str) -> (String, String) {
    let (status, _, created) = call(
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(json!({"auto.offset.reset": "earliest"})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    (
        created["instance_id"].as_str().unwrap().to_string(),
        created["base_uri"].as_str().unwrap().to_string(),
    )
}

async fn assigned(base_uri: &str) -> usize {
    let (_, _, body) = call(Method::GET, &format!("{base_uri}/assignments"), None, V2_JSON).await;
    body["partitions"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn two_proxies_with_different_ids_serve_one_group() {
    let topic = unique("groups-two-proxies");
    create_topic(&topic, 2, &[]).await;
    produce_direct(&topic, 0, &[(None, b"zero")]).await;
    produce_direct(&topic, 1, &[(None, b"one")]).await;
    let p1 = Proxy::start(&["--id", "p1", "--set", "consumer.request.timeout.ms=300"]);
    let p2 = Proxy::start(&["--id", "p2", "--set", "consumer.request.timeout.ms=300"]);
    let group = unique("group");
    let (id1, uri1) = create(&p1, &group).await;
    let (id2, uri2) = create(&p2, &group).await;
    assert!(
        id1.starts_with("rest-consumer-p1-") && id2.starts_with("rest-consumer-p2-"),
        "{id1} {id2}"
    );
    assert!(
        uri1.starts_with(&format!("{}/consumers/{group}/instances/", p1.base)),
        "{uri1}"
    );
    assert!(
        uri2.starts_with(&format!("{}/consumers/{group}/instances/", p2.base)),
        "{uri2}"
    );
    // An instance lives in the process that created it; the other forwards to it.
    let (status, _, body) = call(
        Method::GET,
        &p2.url(&format!("/consumers/{group}/instances/{id1}/assignments")),
        None,
        V2_JSON,
    )
    .await;
    assert_eq!((status, body), (200, json!({"partitions": []})));

    for uri in [&uri1, &uri2] {
        let (status, _, _) = call(
            Method::POST,
            &format!("{uri}/subscription"),
            Some(json!({"topics": [topic]})),
            V2_JSON,
        )
        .await;
        assert_eq!(status, 204);
    }
    let mut values = Vec::new();
    for _ in 0..40 {
        let (records1, records2) = (format!("{uri1}/records"), format!("{uri2}/records"));
        let (r1, r2) = tokio::join!(
            call(Method::GET, &records1, None, BINARY),
            call(Method::GET, &records2, None, BINARY)
        );
        for (_, _, records) in [r1, r2] {
            values.extend(records.as_array().unwrap().iter().map(|r| r["value"].clone()));
        }
        if values.len() == 2 && assigned(&uri1).await == 1 && assigned(&uri2).await == 1 {
            break;
        }
    }
    assert_eq!(
        (assigned(&uri1).await, assigned(&uri2).await),
        (1, 1),
        "one partition each"
    );
    values.sort_by_key(Value::to_string);
    assert_eq!(values, vec![json!("b25l"), json!("emVybw==")]);
}

#[tokio::test]
async fn sigterm_makes_instances_leave_their_group_at_once() {
    let topic = unique("groups-sigterm");
    create_topic(&topic, 2, &[]).await;
    let mut proxy = Proxy::start(&["--set", "consumer.request.timeout.ms=300"]);
    let group = unique("group");
    let (_, uri) = create(&proxy, &group).await;
    call(
        Method::POST,
        &format!("{uri}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    for _ in 0..40 {
        call(Method::GET, &format!("{uri}/records"), None, BINARY).await;
        if assigned(&uri).await == 2 {
            break;
        }
    }
    assert_eq!(
        assigned(&uri).await,
        2,
        "the proxy's instance owns both partitions"
    );

    // Another member with Kafka's default 45 s session timeout: if the instance did not leave,
    // the group would wait that long before handing its partitions over.
    let other: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .set("group.id", &group)
        .set("session.timeout.ms", "45000")
        .create()
        .unwrap();
    other.subscribe(&[&topic]).unwrap();
    // Both members poll until the group settles on one partition each.
    let mut split = false;
    for _ in 0..40 {
        other.poll(Duration::from_millis(100));
        call(Method::GET, &format!("{uri}/records"), None, BINARY).await;
        if assigned(&uri).await == 1 && other.assignment().unwrap().count() == 1 {
            split = true;
            break;
        }
    }
    assert!(
        split,
        "the proxy's instance and the other member share the partitions"
    );

    kill(Pid::from_raw(proxy.pid()), Signal::SIGTERM).unwrap();
    let stopped = Instant::now();
    let mut partitions = 0;
    while stopped.elapsed() < Duration::from_secs(20) && partitions < 2 {
        other.poll(Duration::from_millis(100));
        partitions = other.assignment().unwrap().count();
    }
    let took = stopped.elapsed();
    eprintln!("the other member had both partitions {took:?} after SIGTERM");
    assert_eq!(
        partitions, 2,
        "the other member took over before the 45 s session timeout"
    );
    assert_eq!(proxy.wait(Duration::from_secs(20)).code(), Some(0));
}
