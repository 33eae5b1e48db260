//! Resource soak: consumer instances created, assigned and deleted, and a plugin replaced, many
//! times over, leave krest's RSS and open file descriptors flat; thousands of idle instances
//! cost no threads and little memory. Short in the default suite; `KREST_SOAK=full cargo test
//! -p krest --test soak -- --test-threads=1 --nocapture` runs 10,000 of each (figures in
//! docs/reliability.md).

mod support;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::json;
use support::{
    call, create_topic, install_plugin, new_consumer, plugin_list, plugin_wasm, produce_direct,
    read_records_as, temp_dir, unique, Proxy, V2_JSON,
};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// `short` in the default suite, 10,000 with `KREST_SOAK=full`.
fn cycles(short: usize) -> usize {
    match std::env::var("KREST_SOAK").as_deref() {
        Ok("full") => 10_000,
        _ => short,
    }
}

/// (RSS KiB, open file descriptors) of the proxy.
fn resources(proxy: &Proxy) -> (u64, usize) {
    (proxy.rss_kib(), proxy.fds())
}

/// After the warm-up, `end` may exceed `start` by at most 32 MiB of RSS (allocator and pool
/// growth, not a leak of kilobytes per cycle times thousands) and 4 descriptors.
fn assert_flat(what: &str, start: (u64, usize), end: (u64, usize)) {
    eprintln!(
        "{what}: RSS {} → {} KiB, fds {} → {}",
        start.0, end.0, start.1, end.1
    );
    assert!(
        end.0 <= start.0 + 32 * 1024,
        "{what}: RSS grew {start:?} → {end:?}"
    );
    assert!(
        end.1 <= start.1 + 4,
        "{what}: descriptors grew {start:?} → {end:?}"
    );
}

/// Waits until the proxy holds no consumer instance (deleted ones close in the background),
/// then takes its resources.
async fn settled(proxy: &Proxy) -> (u64, usize) {
    for _ in 0..600 {
        let metrics = proxy.metrics().await;
        let open = |name: &str| metrics.lines().any(|l| l.starts_with(name) && !l.ends_with(" 0"));
        if !open("krest_consumer_instances ") && !open("krest_consumer_instances_closing ") {
            return resources(proxy);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("consumer instances still open after 60 s");
}

#[tokio::test]
async fn consumer_create_assign_delete_cycles_leave_rss_and_fds_flat() {
    let topic = unique("soak-consumers");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[]);
    let total = cycles(300);
    let warm_up = (total / 10).max(20);
    let mut start = None;
    for cycle in 0..total {
        if cycle == warm_up {
            start = Some(settled(&proxy).await);
        }
        let base = new_consumer(&proxy, &format!("soak-{}", cycle % 10), json!({})).await;
        let assignment = json!({"partitions": [{"topic": topic, "partition": 0}]});
        let url = format!("{base}/assignments");
        let (status, _, body) = call(Method::POST, &url, Some(assignment), V2_JSON).await;
        assert_eq!(status, 204, "cycle {cycle}: {body}");
        let (status, _, body) = call(Method::DELETE, &base, None, V2_JSON).await;
        assert_eq!(status, 204, "cycle {cycle}: {body}");
    }
    let end = settled(&proxy).await;
    assert_flat(&format!("{total} consumer cycles"), start.unwrap(), end);
}

#[tokio::test]
async fn replacing_a_plugin_over_and_over_leaves_rss_and_fds_flat() {
    let versions = [
        plugin_wasm("krest-example-upper"),
        plugin_wasm("krest-fixture-fault"),
    ];
    let dir = temp_dir("krest-soak-plugins");
    let proxy = Proxy::start(&["--set", &format!("plugins.dir={}", dir.display())]);
    let total = cycles(200);
    let warm_up = (total / 10).max(20);
    let (mut start, mut shown) = (None, serde_json::Value::Null);
    for reload in 0..total {
        if reload == warm_up {
            start = Some(resources(&proxy));
        }
        install_plugin(&dir, "json", &versions[reload % 2]);
        // Served once `GET /plugins` shows the new file's digest.
        let mut waited = 0;
        loop {
            let json = plugin_list(&proxy)
                .await
                .into_iter()
                .find(|p| p["name"] == "json")
                .unwrap();
            assert!(json["last_error"].is_null(), "reload {reload}: {json}");
            if json["source"] == "file" && json["sha256"] != shown {
                shown = json["sha256"].clone();
                break;
            }
            waited += 1;
            assert!(waited < 500, "reload {reload} not served within 10 s: {json}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let end = resources(&proxy);
    assert_flat(&format!("{total} plugin replacements"), start.unwrap(), end);
}

/// Instances created at once while the idle ones are made and deleted.
const PARALLEL: usize = 16;

/// Created instances hold no librdkafka client: thousands of them add no threads and a few KiB
/// of RSS each; a few of them then subscribe and read, and deleting them all gives the memory back.
#[tokio::test]
async fn idle_instances_cost_no_threads_and_little_memory() {
    let count = cycles(1_000);
    let topic = unique("soak-idle");
    create_topic(&topic, 1, &[]).await;
    let values: Vec<Vec<u8>> = (0..5).map(|i| format!("idle-{i}").into_bytes()).collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_slice())).collect();
    produce_direct(&topic, 0, &records).await;
    let limit = (count + 1).to_string();
    let proxy = Proxy::start(&[
        "--set",
        &format!("consumer.instances.max={limit}"),
        "--set",
        "consumer.instance.timeout.ms=3600000",
    ]);
    // Instances in 100 groups named after `group`.
    let create_all = |group: String, count: usize| {
        let proxy = &proxy;
        stream::iter(0..count)
            .map(move |i| {
                let group = format!("{group}-{}", i % 100);
                async move {
                    let settings = json!({"auto.offset.reset": "earliest"});
                    new_consumer(proxy, &group, settings).await
                }
            })
            .buffered(PARALLEL)
            .collect::<Vec<String>>()
    };
    let delete_all = |bases: Vec<String>| {
        stream::iter(bases)
            .map(|base| async move {
                let (status, _, body) = call(Method::DELETE, &base, None, V2_JSON).await;
                assert_eq!(status, 204, "{body}");
            })
            .buffer_unordered(PARALLEL)
            .collect::<Vec<()>>()
    };
    // Warm-up: the request path's pools, the allocator's arenas and librdkafka's global state
    // (one instance subscribes and reads).
    let warm_up = create_all(unique("soak-warm-up"), PARALLEL * 4).await;
    subscribe_and_read(&warm_up[0], &topic, &values).await;
    delete_all(warm_up).await;
    let start = settled(&proxy).await;
    let threads_start = proxy.threads();

    let bases = create_all(unique("soak-idle"), count).await;
    let (rss, threads, idle_fds) = (proxy.rss_kib(), proxy.threads(), proxy.fds());
    let per_instance = rss.saturating_sub(start.0) as f64 / count as f64;
    eprintln!(
        "{count} idle instances: RSS {} → {rss} KiB ({per_instance:.1} KiB each), threads {threads_start} → {threads}, fds {} → {idle_fds}",
        start.0, start.1
    );
    // With a librdkafka client each, they would add 4 threads and ≈490 KiB each.
    assert!(
        threads <= threads_start + 8,
        "threads grew with idle instances: {threads_start} → {threads}"
    );
    // The test's own keep-alive connections are the only new descriptors.
    assert!(
        idle_fds <= start.1 + PARALLEL + 4,
        "descriptors grew with idle instances: {} → {idle_fds}",
        start.1
    );
    assert!(
        per_instance < 16.0,
        "{per_instance:.1} KiB of RSS per idle instance"
    );
    assert_eq!(
        lag_series(&proxy).await,
        0,
        "idle instances have no client, so no lag"
    );
    for base in &bases[..3] {
        let (status, _, subscription) =
            call(Method::GET, &format!("{base}/subscription"), None, V2_JSON).await;
        assert_eq!((status, subscription), (200, json!({"topics": []})));
    }

    // Some of them (each of another group) subscribe and read every record.
    let readers = &bases[..10];
    for base in readers {
        subscribe_and_read(base, &topic, &values).await;
    }
    // What a Kafka client costs, for docs/memory.md's sizing.
    let (subscribed, fds) = (proxy.threads(), proxy.fds());
    let each = |before: f64, after: f64| (after - before) / readers.len() as f64;
    eprintln!(
        "{} subscribed and read: threads {threads} → {subscribed} ({:.1} each), fds {} → {fds} ({:.1} each)",
        readers.len(),
        each(threads as f64, subscribed as f64),
        start.1,
        each(start.1 as f64, fds as f64),
    );
    assert_eq!(lag_series(&proxy).await, readers.len(), "the readers' lag only");

    delete_all(bases).await;
    let mut end = settled(&proxy).await;
    // Clients are destroyed on tokio's blocking threads, which end after 10 s unused.
    let mut threads_end = proxy.threads();
    for _ in 0..300 {
        if end.1 <= start.1 + 4 && threads_end <= threads_start + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        (end, threads_end) = (resources(&proxy), proxy.threads());
    }
    assert_flat(&format!("{count} idle instances deleted"), start, end);
    eprintln!("threads after deleting: {threads_start} → {threads_end}");
    assert!(
        threads_end <= threads_start + 2,
        "threads after deleting: {threads_start} → {threads_end}"
    );
}

/// Subscribes the instance at `base` to `topic` and reads `values`, all of the topic.
async fn subscribe_and_read(base: &str, topic: &str, values: &[Vec<u8>]) {
    let url = format!("{base}/subscription");
    let (status, _, body) = call(Method::POST, &url, Some(json!({"topics": [topic]})), V2_JSON).await;
    assert_eq!(status, 204, "{body}");
    let read = read_records_as(base, BINARY, values.len()).await.unwrap();
    let got: Vec<Vec<u8>> = read
        .iter()
        .map(|r| STANDARD.decode(r["value"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(got, values, "{base}");
}

/// How many `krest_consumer_lag_records` series the proxy's metrics have.
async fn lag_series(proxy: &Proxy) -> usize {
    let metrics = proxy.metrics().await;
    metrics
        .lines()
        .filter(|l| l.starts_with("krest_consumer_lag_records{"))
        .count()
}
