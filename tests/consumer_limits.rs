//! Consumer instances are bounded and torn down completely: limits refuse more with
//! 429/42902, and creating then deleting thousands of instances gives back every thread and
//! descriptor, after which SIGTERM exits at once.

mod support;

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call, create_topic, http, unique, Proxy, V2_JSON};

async fn create(proxy: &Proxy, group: &str) -> (u16, Value) {
    let (status, _, body) = call(
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    (status, body)
}

async fn delete(base_uri: &str) -> u16 {
    http()
        .delete(base_uri)
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
}

#[tokio::test]
async fn instance_limits_refuse_cleanly_and_free_up_on_delete() {
    let proxy = Proxy::start(&[
        "--set",
        "consumer.instances.max=3",
        "--set",
        "consumer.instances.max.per.group=2",
    ]);
    let (a, b, c) = (unique("a"), unique("b"), unique("c"));
    let (_, first) = create(&proxy, &a).await;
    assert_eq!(create(&proxy, &a).await.0, 200);
    refused(create(&proxy, &a).await, "consumer.instances.max.per.group=2");
    assert_eq!(create(&proxy, &b).await.0, 200);
    refused(create(&proxy, &c).await, "consumer.instances.max=3");

    assert_eq!(delete(first["base_uri"].as_str().unwrap()).await, 204);
    assert_eq!(create(&proxy, &c).await.0, 200, "room again after a delete");
    assert!(proxy.metrics().await.contains("krest_consumer_instances 3"));
}

/// `consumer.instances.max.per.principal` counts each authenticated principal's instances
/// apart: one principal at its limit is refused, another still creates.
#[tokio::test]
async fn each_principal_has_its_own_instance_limit() {
    let dir = support::temp_dir("krest-principal-limit");
    std::fs::write(
        dir.join("basic.toml"),
        "[users]\nalice = \"alice-secret\"\nbob = \"bob-secret\"\n",
    )
    .unwrap();
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "auth.plugins=basic",
        "--set",
        "consumer.instances.max.per.principal=1",
    ]);
    let group = unique("per-principal");
    let create_as = |user: &'static str| {
        let url = proxy.url(&format!("/consumers/{group}"));
        async move {
            let response = http()
                .post(url)
                .basic_auth(user, Some(format!("{user}-secret")))
                .header("Content-Type", V2_JSON)
                .header("Accept", V2_JSON)
                .body("{}")
                .send()
                .await
                .expect("answered");
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(create_as("alice").await.0, 200);
    refused(create_as("alice").await, "consumer.instances.max.per.principal=1");
    assert_eq!(create_as("bob").await.0, 200, "another principal has room");
}

/// Asserts a create was refused with 429/42902 naming the `limit`.
fn refused((status, body): (u16, Value), limit: &str) {
    assert_eq!(
        (status, body["error_code"].clone()),
        (429, json!(42902)),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains(limit), "{body}");
}

/// Raises this process's (and so krest's) soft limit of open files to `needed`, within the
/// hard limit.
fn open_files_for(needed: usize) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    assert!(
        hard >= needed as u64,
        "this test needs {needed} open files (ulimit -Hn is {hard}); run it where the limit is higher"
    );
    if soft < needed as u64 {
        setrlimit(Resource::RLIMIT_NOFILE, needed as u64, hard).unwrap();
    }
}

/// Threads and open descriptors of the proxy.
fn resources(proxy: &Proxy) -> (u64, usize) {
    (proxy.threads(), proxy.fds())
}

/// Waits (bounded) until the process is back to at most `limit` threads and descriptors. A
/// client that was mid-rebalance when deleted may take its group's rebalance to leave it.
async fn settles(proxy: &Proxy, limit: (u64, usize)) -> (u64, usize) {
    let mut now = resources(proxy);
    for _ in 0..450 {
        if now.0 <= limit.0 && now.1 <= limit.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = resources(proxy);
    }
    now
}

#[tokio::test]
async fn thousands_of_instances_come_and_go_without_leaks_then_sigterm_exits() {
    const INSTANCES: usize = 2000;
    const PARALLEL: usize = 64;
    open_files_for(INSTANCES * 8 + 1000);
    let topic = unique("churn");
    create_topic(&topic, 1, &[]).await;
    let mut proxy = Proxy::start(&["--set", "consumer.instances.max=5000"]);
    let pid = proxy.pid();
    assert_eq!(create(&proxy, &unique("warm-up")).await.0, 200);
    // The proxy's own clients connect lazily: let their sockets settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = resources(&proxy);
    let rss_before = proxy.rss_kib();

    // Every tenth instance subscribes, in a group of its own, so some have joined a group when
    // they are deleted. (Many subscribed members of one group that nobody reads from can hold
    // a member's close for up to the group's rebalance timeout, `max.poll.interval.ms`: a
    // known gap, see the issue notes.)
    let started = Instant::now();
    let groups: Vec<String> = (0..INSTANCES / 100)
        .map(|i| unique(&format!("churn-{i}")))
        .collect();
    let created: Vec<String> = stream::iter(0..INSTANCES)
        .map(|i| {
            let (proxy, topic) = (&proxy, &topic);
            let group = match i % 10 {
                0 => unique("churn-subscribed"),
                _ => groups[i % groups.len()].clone(),
            };
            async move {
                let (status, body) = create(proxy, &group).await;
                assert_eq!(status, 200, "{body}");
                let base = body["base_uri"].as_str().unwrap().to_string();
                if i % 10 == 0 {
                    let url = format!("{base}/subscription");
                    let (status, _, body) =
                        call(Method::POST, &url, Some(json!({"topics": [topic]})), V2_JSON).await;
                    assert_eq!(status, 204, "{body}");
                }
                base
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let create_secs = started.elapsed().as_secs_f64();
    let peak = resources(&proxy);
    let rss_peak = proxy.rss_kib();

    let started = Instant::now();
    let statuses: Vec<u16> = stream::iter(&created)
        .map(|base| delete(base))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let delete_secs = started.elapsed().as_secs_f64();
    assert!(statuses.iter().all(|s| *s == 204), "every DELETE answers 204");
    assert!(proxy.metrics().await.contains("krest_consumer_instances 1\n"));

    // Back to the baseline: every librdkafka handle destroyed (threads, sockets, pipes). The
    // slack is less than one handle's 4 threads and 8 descriptors.
    let slack = (baseline.0 + 3, baseline.1 + 7);
    let after = settles(&proxy, slack).await;
    eprintln!(
        "{INSTANCES} instances: created in {create_secs:.1} s ({:.0}/s), deleted in {delete_secs:.1} s ({:.0}/s); \
         threads/fds baseline {baseline:?}, peak {peak:?}, after {after:?}; RSS {rss_before} KiB → {rss_peak} KiB → {} KiB",
        INSTANCES as f64 / create_secs,
        INSTANCES as f64 / delete_secs,
        proxy.rss_kib()
    );
    // Known gap of issue 7: a subscribed instance can take up to max.poll.interval.ms to close
    // while its group rebalances; until then its handle (4 threads, 8 descriptors) is alive
    // and counted by `krest_consumer_instances_closing`. Only handles beyond those are leaks.
    let closing = proxy
        .metric("krest_consumer_instances_closing", &[])
        .await
        .expect("the closing gauge") as usize;
    let allowed = (slack.0 + 4 * closing as u64, slack.1 + 8 * closing);
    assert!(
        after.0 <= allowed.0 && after.1 <= allowed.1,
        "leaked: baseline {baseline:?}, after {after:?}, {closing} still closing; {}\nstderr:\n{}",
        proxy
            .metrics()
            .await
            .lines()
            .filter(|l| l.starts_with("krest_consumer"))
            .collect::<Vec<_>>()
            .join("\n"),
        proxy
            .stderr()
            .lines()
            .filter(|l| !l.contains("librdkafka"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let status = proxy.wait(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proxy.stderr());
}
