//! Resource soak: consumer instances created, assigned and deleted, and a plugin replaced, many
//! times over; krest's RSS and open file descriptors stay flat. Short in the default suite;
//! `KREST_SOAK=full cargo test -p krest --test soak -- --test-threads=1 --nocapture` runs
//! 10,000 of each (figures in docs/reliability.md).

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use support::{
    call, create_topic, install_plugin, new_consumer, plugin_list, plugin_wasm, temp_dir, unique, Proxy,
    V2_JSON,
};

/// `short` in the default suite, 10,000 with `KREST_SOAK=full`.
fn cycles(short: usize) -> usize {
    match std::env::var("KREST_SOAK").as_deref() {
        Ok("full") => 10_000,
        _ => short,
    }
}

/// (RSS KiB, open file descriptors) of process `pid`.
fn resources(pid: i32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    (rss, fds)
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
            return resources(proxy.pid());
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
            start = Some(resources(proxy.pid()));
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
    let end = resources(proxy.pid());
    assert_flat(&format!("{total} plugin replacements"), start.unwrap(), end);
}
