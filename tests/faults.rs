//! Fault-and-load harness: a broker restart, a broker pause and a SIGTERM of krest under
//! concurrent produce and consume load over HTTP, each on a broker of its own; correctness is
//! counted, figures are printed (`-- --nocapture`). `KREST_FAULTS=full` runs the long form.

mod support;

#[path = "faults/consumers.rs"]
mod consumers;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/producers.rs"]
mod producers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use consumers::{ConsumeLoad, Feeder};
use load::{Phase, PhaseClock, Scale, Tally};
use producers::ProduceLoad;
use support::{create_topic_on, unique, PrivateBroker, Proxy};

const PARTITIONS: i32 = 4;
/// The longest the load may take to recover once the broker is back: a hang detector.
const RECOVERY_LIMIT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The broker stops (SIGTERM, controlled shutdown) and starts again after the outage.
    Restart,
    /// The broker's JVM is SIGSTOPped for the outage: connections stay open, nothing answers.
    Pause,
}

impl Fault {
    async fn inject(self, broker: &Arc<PrivateBroker>, outage: Duration) {
        let broker = Arc::clone(broker);
        tokio::task::spawn_blocking(move || match self {
            Fault::Restart => {
                broker.stop();
                std::thread::sleep(outage);
                broker.restart();
            }
            Fault::Pause => {
                broker.pause();
                std::thread::sleep(outage);
                broker.resume();
            }
        })
        .await
        .expect("the fault");
    }
}

/// A private broker with a topic of [`PARTITIONS`], and krest serving it.
async fn setup() -> (Arc<PrivateBroker>, String, Proxy) {
    let broker = Arc::new(PrivateBroker::start());
    let topic = unique("faults");
    create_topic_on(&broker.bootstrap(), &topic, PARTITIONS, &[]).await;
    let proxy = Proxy::spawn(&["--bootstrap-servers", &broker.bootstrap()], &[]);
    (broker, topic, proxy)
}

/// Waits until `done`, failing after [`RECOVERY_LIMIT`] with `what` and the tally.
async fn wait_until(what: &str, tally: &Tally, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < RECOVERY_LIMIT,
            "{what} within {RECOVERY_LIMIT:?}\n{tally}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn produce_through(fault: Fault) {
    let scale = Scale::from_env();
    let (broker, topic, proxy) = setup().await;
    let phase = Arc::new(PhaseClock::default());
    let url = proxy.url(&format!("/topics/{topic}"));
    let load = ProduceLoad::start(&url, scale.producers, Arc::clone(&phase));
    let tally = Arc::clone(&load.tally);
    wait_until("produce succeeds", &tally, || {
        tally.succeeded_in(Phase::Before) >= 4 * scale.producers
    })
    .await;

    phase.set(Phase::Outage);
    fault.inject(&broker, scale.outage).await;
    phase.set(Phase::After);
    wait_until("produce resumes by itself", &tally, || {
        tally.succeeded_in(Phase::After) >= 2 * scale.producers
    })
    .await;
    let acknowledged = load.stop().await;
    let peak_rss = proxy.peak_rss_kib();

    let bootstrap = broker.bootstrap();
    let stored = tokio::task::spawn_blocking(move || producers::stored(&bootstrap, &topic, PARTITIONS))
        .await
        .unwrap();
    let check = producers::check(&acknowledged, &stored);
    println!(
        "== produce through a broker {fault:?} ({}: {} clients, outage {:?}) ==\n{tally}{check}\n\
         krest peak RSS {} MiB",
        scale.name,
        scale.producers,
        scale.outage,
        peak_rss / 1024
    );
    assert_eq!(tally.problems(), Vec::<String>::new());
    assert!(check.acknowledged > 0);
    assert_eq!(check.found, check.acknowledged, "{check}");
    assert_eq!(check.duplicated, 0, "{check}");
}

async fn consume_through(fault: Fault) {
    let scale = Scale::from_env();
    let (broker, topic, proxy) = setup().await;
    let phase = Arc::new(PhaseClock::default());
    let feeder = Feeder::start(&broker.bootstrap(), &topic, PARTITIONS, scale.feed_per_second);
    let load = ConsumeLoad::start(&proxy, &topic, scale.consumers, Arc::clone(&phase)).await;
    let tally = Arc::clone(&load.tally);
    wait_until("consumers read", &tally, || {
        load.distinct() >= scale.feed_per_second
    })
    .await;

    phase.set(Phase::Outage);
    fault.inject(&broker, scale.outage).await;
    phase.set(Phase::After);
    // Records keep coming for as long again after the broker is back.
    tokio::time::sleep(scale.outage).await;
    let produced = feeder.stop().await;
    wait_until("consumers read every record", &tally, || {
        load.distinct() >= produced.len()
    })
    .await;
    let read = load.stop().await;
    let peak_rss = proxy.peak_rss_kib();

    let skipped = produced.iter().filter(|id| !read.contains_key(*id)).count();
    let reads: u32 = read.values().sum();
    println!(
        "== consume through a broker {fault:?} ({}: {} consumers, {} records/s, outage {:?}) ==\n\
         {tally}records produced {}, read {reads} ({} distinct), skipped {skipped}, read again {}\n\
         krest peak RSS {} MiB",
        scale.name,
        scale.consumers,
        scale.feed_per_second,
        scale.outage,
        produced.len(),
        read.len(),
        reads as usize - read.len(),
        peak_rss / 1024
    );
    assert_eq!(tally.problems(), Vec::<String>::new());
    assert_eq!(skipped, 0);
    assert_eq!(read.len(), produced.len(), "only produced ids are read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_through_a_broker_restart() {
    produce_through(Fault::Restart).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_through_a_broker_pause() {
    produce_through(Fault::Pause).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_through_a_broker_restart() {
    consume_through(Fault::Restart).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_through_a_broker_pause() {
    consume_through(Fault::Pause).await;
}

/// SIGTERM while clients produce and consume: every request krest started on is answered
/// successfully, nothing acknowledged is lost, the consumers leave their group at once (not
/// after Kafka's session timeout) and krest exits 0. "outage" is the drain, SIGTERM to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load() {
    let scale = Scale::from_env();
    let (broker, topic, proxy) = setup().await;
    let bootstrap = broker.bootstrap();
    let read_topic = unique("faults-read");
    create_topic_on(&bootstrap, &read_topic, PARTITIONS, &[]).await;
    let phase = Arc::new(PhaseClock::default());
    let feeder = Feeder::start(&bootstrap, &read_topic, PARTITIONS, scale.feed_per_second);
    let url = proxy.url(&format!("/topics/{topic}"));
    let produce = ProduceLoad::start(&url, scale.producers, Arc::clone(&phase));
    let consume = ConsumeLoad::start(&proxy, &read_topic, scale.consumers, Arc::clone(&phase)).await;
    let (produced, read) = (Arc::clone(&produce.tally), Arc::clone(&consume.tally));
    wait_until("produce succeeds", &produced, || {
        produced.succeeded_in(Phase::Before) >= scale.producers
    })
    .await;
    wait_until("consumers read", &read, || {
        consume.distinct() >= scale.feed_per_second
    })
    .await;
    let peak_rss = proxy.peak_rss_kib();

    phase.set(Phase::Outage);
    let pid = nix::unistd::Pid::from_raw(proxy.pid());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let (proxy, status) = tokio::task::spawn_blocking(move || {
        let mut proxy = proxy;
        let status = proxy.wait(Duration::from_secs(60));
        (proxy, status)
    })
    .await
    .unwrap();
    phase.set(Phase::After);
    let exited = Instant::now();
    let group = consume.group.clone();
    let (members, left_after) = tokio::task::spawn_blocking(move || group_left(&bootstrap, &group))
        .await
        .unwrap();

    let acknowledged = produce.stop().await;
    consume.stop().await;
    feeder.stop().await;
    let bootstrap = broker.bootstrap();
    let stored = tokio::task::spawn_blocking(move || producers::stored(&bootstrap, &topic, PARTITIONS))
        .await
        .unwrap();
    let check = producers::check(&acknowledged, &stored);
    println!(
        "== SIGTERM under load ({}: {} producers, {} consumers) ==\nproduce {produced}consume {read}{check}\n\
         exit {status}; group members {members} {:.1} s after exit; krest peak RSS {} MiB",
        scale.name,
        scale.producers,
        scale.consumers,
        left_after.saturating_duration_since(exited).as_secs_f64(),
        peak_rss / 1024
    );
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proxy.stderr());
    assert_eq!(produced.problems(), Vec::<String>::new());
    assert_eq!(read.problems(), Vec::<String>::new());
    // A produce request krest had started on wrote its records: it must have been answered.
    // (One sent on a keep-alive connection just as the drain closed it is not read at all;
    // its client sees the connection closed, as the tally shows.)
    assert_eq!(check.unacknowledged_stored, 0, "{check}");
    assert_eq!(check.found, check.acknowledged, "{check}");
    assert_eq!(check.duplicated, 0, "{check}");
    assert_eq!(members, 0, "the consumers left their group");
}

/// Polls Kafka's description of `group` for up to 10 s (its session timeout is 45 s) until it
/// has no members; returns the members left and when that was seen.
fn group_left(bootstrap: &str, group: &str) -> (usize, Instant) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::config::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let groups = consumer
            .fetch_group_list(Some(group), Duration::from_secs(5))
            .expect("describe the group");
        let members = groups.groups().first().map_or(0, |g| g.members().len());
        if members == 0 || Instant::now() > deadline {
            return (members, Instant::now());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
