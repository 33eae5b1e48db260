//! API v3 consumer groups against a real Kafka broker: a group with one live rdkafka consumer
//! that committed known offsets; its consumers, assignments and lags as krest reports them
//! are compared with what Kafka says the consumer committed and the partitions hold.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use reqwest::Method;
use serde_json::{json, Value};
use support::{call_v3, create_topic, produce_direct, unique, v3_cluster, Proxy};

/// A group member polling in the background until dropped.
struct LiveConsumer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LiveConsumer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn consumer(group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .set("group.id", group)
        .set("client.id", "lag-test-client")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

/// Joins `group` on `topic`, waits for all `partitions` to be assigned, commits `offsets`
/// (partition → offset), and keeps polling so the member stays in the group.
fn join_and_commit(group: &str, topic: &str, partitions: i32, offsets: &[(i32, i64)]) -> LiveConsumer {
    let (ready_tx, ready_rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let (group, topic, offsets) = (group.to_string(), topic.to_string(), offsets.to_vec());
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let consumer = consumer(&group);
        consumer.subscribe(&[&topic]).unwrap();
        let mut ready = Some(ready_tx);
        while !stopped.load(Ordering::Relaxed) {
            let _ = consumer.poll(Duration::from_millis(100));
            let assigned = consumer.assignment().unwrap().count() as i32;
            if assigned == partitions {
                if let Some(ready) = ready.take() {
                    let mut list = TopicPartitionList::new();
                    for (partition, offset) in &offsets {
                        list.add_partition_offset(&topic, *partition, Offset::Offset(*offset))
                            .unwrap();
                    }
                    consumer.commit(&list, CommitMode::Sync).unwrap();
                    ready.send(()).unwrap();
                }
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("consumer joined and committed");
    LiveConsumer {
        stop,
        thread: Some(thread),
    }
}

/// What Kafka says the group committed for `partition`, and the partition's end offset.
fn kafka_committed_and_end(group: &str, topic: &str, partition: i32) -> (i64, i64) {
    let reader = consumer(group);
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, partition);
    let committed = reader.committed_offsets(list, Duration::from_secs(10)).unwrap();
    let offset = match committed.elements()[0].offset() {
        Offset::Offset(o) => o,
        other => panic!("no committed offset: {other:?}"),
    };
    let (_, end) = reader
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .unwrap();
    (offset, end)
}

#[tokio::test]
async fn groups_consumers_and_lag_match_kafka() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let id = support::cluster_id();
    let topic = unique("v3-lag");
    let group = unique("v3-group");
    create_topic(&topic, 2, &[]).await;
    let records: Vec<(Option<&[u8]>, &[u8])> = (0..10).map(|_| (None, &b"x"[..])).collect();
    produce_direct(&topic, 0, &records).await;
    produce_direct(&topic, 1, &records[..5]).await;
    let _member = join_and_commit(&group, &topic, 2, &[(0, 4), (1, 5)]);
    let me = format!("{cluster}/consumer-groups/{group}");

    let (status, _, list) = call_v3(Method::GET, &format!("{cluster}/consumer-groups"), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "KafkaConsumerGroupList");
    let listed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["consumer_group_id"] == group.as_str())
        .cloned()
        .expect("group listed");

    let (status, _, described) = call_v3(Method::GET, &me, None).await;
    assert_eq!(status, 200);
    assert_eq!(described, listed);
    assert_eq!(described["kind"], "KafkaConsumerGroup");
    assert_eq!(described["state"], "STABLE");
    assert_eq!(described["is_simple"], false);
    assert_eq!(described["partition_assignor"], "range");
    assert_eq!(
        described["metadata"]["resource_name"],
        format!("crn:///kafka={id}/consumer-group={group}")
    );
    assert!(described["coordinator"]["related"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{cluster}/brokers/")));
    assert_eq!(described["consumers"]["related"], format!("{me}/consumers"));
    assert_eq!(described["lag_summary"]["related"], format!("{me}/lag-summary"));

    let (status, _, consumers) = call_v3(Method::GET, &format!("{me}/consumers"), None).await;
    assert_eq!(status, 200);
    assert_eq!(consumers["kind"], "KafkaConsumerList");
    let members = consumers["data"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    let member = &members[0];
    assert_eq!(member["client_id"], "lag-test-client");
    assert_eq!(member["instance_id"], Value::Null);
    let consumer_id = member["consumer_id"].as_str().unwrap().to_string();
    let (status, _, one) = call_v3(Method::GET, &format!("{me}/consumers/{consumer_id}"), None).await;
    assert_eq!((status, &one), (200, member));

    let assignments_url = format!("{me}/consumers/{consumer_id}/assignments");
    let (status, _, assignments) = call_v3(Method::GET, &assignments_url, None).await;
    assert_eq!(status, 200);
    assert_eq!(assignments["kind"], "KafkaConsumerAssignmentList");
    let assigned: Vec<(String, i64)> = assignments["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["topic_name"].as_str().unwrap().to_string(),
                a["partition_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(assigned, [(topic.clone(), 0), (topic.clone(), 1)]);
    let (status, _, one) = call_v3(
        Method::GET,
        &format!("{assignments_url}/{topic}/partitions/1"),
        None,
    )
    .await;
    assert_eq!((status, &one), (200, &assignments["data"][1]));
    assert_eq!(one["lag"]["related"], format!("{me}/lags/{topic}/partitions/1"));

    // Lag against Kafka's own view of the commits and the partitions' ends.
    let (status, _, lags) = call_v3(Method::GET, &format!("{me}/lags"), None).await;
    assert_eq!(status, 200);
    assert_eq!(lags["kind"], "KafkaConsumerLagList");
    let lags = lags["data"].as_array().unwrap();
    assert_eq!(lags.len(), 2);
    for lag in lags {
        let partition = lag["partition_id"].as_i64().unwrap() as i32;
        let (committed, end) = kafka_committed_and_end(&group, &topic, partition);
        assert_eq!(lag["current_offset"], committed, "{lag}");
        assert_eq!(lag["log_end_offset"], end, "{lag}");
        assert_eq!(lag["lag"], end - committed, "{lag}");
        assert_eq!(lag["consumer_id"], consumer_id.as_str());
        assert_eq!(lag["client_id"], "lag-test-client");
    }
    assert_eq!(
        (lags[0]["partition_id"].clone(), lags[0]["lag"].clone()),
        (json!(0), json!(6)),
        "largest lag first"
    );
    let (status, _, one) = call_v3(Method::GET, &format!("{me}/lags/{topic}/partitions/0"), None).await;
    assert_eq!((status, &one), (200, &lags[0]));

    let (status, _, summary) = call_v3(Method::GET, &format!("{me}/lag-summary"), None).await;
    assert_eq!(status, 200);
    assert_eq!(summary["kind"], "KafkaConsumerGroupLagSummary");
    assert_eq!(
        summary["metadata"]["resource_name"],
        format!("crn:///kafka={id}/consumer-group={group}/lag-summary")
    );
    assert_eq!(
        (summary["max_lag"].clone(), summary["total_lag"].clone()),
        (json!(6), json!(6))
    );
    assert_eq!(summary["max_lag_topic_name"], topic.as_str());
    assert_eq!(summary["max_lag_partition_id"], 0);
    assert_eq!(summary["max_lag_consumer_id"], consumer_id.as_str());
    assert_eq!(summary["max_lag_client_id"], "lag-test-client");
    assert_eq!(
        summary["max_lag_partition"]["related"],
        format!("{cluster}/topics/{topic}/partitions/0")
    );

    for missing in [
        format!("{me}/consumers/no-such-member"),
        format!("{me}/consumers/{consumer_id}/assignments/{topic}/partitions/7"),
        format!("{me}/lags/{topic}/partitions/7"),
    ] {
        let (status, _, _) = call_v3(Method::GET, &missing, None).await;
        assert_eq!(status, 404, "{missing}");
    }
}

#[tokio::test]
async fn unknown_groups_are_404() {
    let proxy = Proxy::start(&[]);
    let me = format!("{}/consumer-groups/{}", v3_cluster(&proxy), unique("v3-nobody"));
    for url in [
        me.clone(),
        format!("{me}/consumers"),
        format!("{me}/lags"),
        format!("{me}/lag-summary"),
    ] {
        let (status, content_type, body) = call_v3(Method::GET, &url, None).await;
        assert_eq!(
            (status, content_type.as_str()),
            (404, "application/json"),
            "{url}: {body}"
        );
        assert_eq!(body["error_code"], 404, "{url}");
    }
    let (status, _, _) = call_v3(Method::GET, &proxy.url("/v3/clusters/nope/consumer-groups"), None).await;
    assert_eq!(status, 404);
}
