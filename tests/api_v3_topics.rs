//! API v3 topics, topic configs, partitions, brokers and broker/cluster configs against a real
//! Kafka broker; every change is checked through Kafka's own admin API.

mod support;

use std::time::Duration;

use rdkafka::admin::{AdminOptions, ConfigSource, ResourceSpecifier};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call_v3, create_topic, produce_direct, unique, v3_cluster, Proxy};

/// `(value, source)` of one config as Kafka describes it.
async fn kafka_config(resource: ResourceSpecifier<'_>, name: &str) -> (Option<String>, ConfigSource) {
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let mut results = support::admin()
        .describe_configs(&[resource], &options)
        .await
        .unwrap();
    let resource = results.pop().unwrap().unwrap();
    let entry = resource.entries.into_iter().find(|e| e.name == name).unwrap();
    (entry.value, entry.source)
}

/// [`kafka_config`] once it satisfies `done` (brokers apply dynamic configs shortly after the
/// change is accepted), or its last answer after a few seconds.
async fn settled_config(
    resource: ResourceSpecifier<'_>,
    name: &str,
    done: impl Fn(&(Option<String>, ConfigSource)) -> bool,
) -> (Option<String>, ConfigSource) {
    let mut config = kafka_config(resource, name).await;
    for _ in 0..50 {
        if done(&config) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        config = kafka_config(resource, name).await;
    }
    config
}

/// Partition count of `topic` per Kafka's metadata; `None` when Kafka has no such topic.
fn kafka_partitions(topic: &str) -> Option<usize> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let t = &metadata.topics()[0];
    t.error().is_none().then(|| t.partitions().len())
}

async fn eventually_gone(topic: &str) -> bool {
    for _ in 0..50 {
        if kafka_partitions(topic).is_none() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn config<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no config {name}"))
}

#[tokio::test]
async fn topic_create_describe_alter_configs_delete() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let id = support::cluster_id();
    let topic = unique("v3-topic");
    let topics = format!("{cluster}/topics");
    let me = format!("{topics}/{topic}");

    let body = json!({
        "topic_name": topic, "partitions_count": 3, "replication_factor": 1,
        "configs": [{"name": "retention.ms", "value": "3600000"}],
    });
    let response = support::http()
        .post(&topics)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["location"].to_str().unwrap(), me);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["kind"], "KafkaTopic");
    assert_eq!(created["partitions_count"], 3);
    assert_eq!(created["replication_factor"], 1);
    assert_eq!(kafka_partitions(&topic), Some(3));
    let retention = kafka_config(ResourceSpecifier::Topic(&topic), "retention.ms").await;
    assert_eq!(retention, (Some("3600000".into()), ConfigSource::DynamicTopic));

    let (status, _, described) = call_v3(Method::GET, &me, None).await;
    assert_eq!(status, 200);
    assert_eq!(described, created);
    assert_eq!(
        described["metadata"],
        json!({"self": me, "resource_name": format!("crn:///kafka={id}/topic={topic}")})
    );
    assert_eq!(described["topic_name"], topic.as_str());
    assert_eq!(described["is_internal"], false);
    assert_eq!(described["partitions"]["related"], format!("{me}/partitions"));
    assert_eq!(described["configs"]["related"], format!("{me}/configs"));
    assert_eq!(
        described["partition_reassignments"]["related"],
        format!("{me}/partitions/-/reassignment")
    );

    let (status, _, list) = call_v3(Method::GET, &topics, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "KafkaTopicList");
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&topic.as_str()));
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted: {names:?}");

    // One config set: the others keep their values (incremental, not a replacement).
    let (status, _, _) = call_v3(
        Method::PUT,
        &format!("{me}/configs/cleanup.policy"),
        Some(json!({"value": "compact"})),
    )
    .await;
    assert_eq!(status, 204);
    let policy = kafka_config(ResourceSpecifier::Topic(&topic), "cleanup.policy").await;
    assert_eq!(policy.0.as_deref(), Some("compact"));
    let retention = kafka_config(ResourceSpecifier::Topic(&topic), "retention.ms").await;
    assert_eq!(retention.0.as_deref(), Some("3600000"));

    let (status, _, configs) = call_v3(Method::GET, &format!("{me}/configs"), None).await;
    assert_eq!(status, 200);
    assert_eq!(configs["kind"], "KafkaTopicConfigList");
    let policy = config(&configs, "cleanup.policy");
    assert_eq!(policy["kind"], "KafkaTopicConfig");
    assert_eq!(policy["value"], "compact");
    assert_eq!(policy["source"], "DYNAMIC_TOPIC_CONFIG");
    assert_eq!(policy["is_default"], false);
    assert_eq!(policy["topic_name"], topic.as_str());
    assert_eq!(
        policy["synonyms"][0],
        json!({"name": "cleanup.policy", "value": "compact", "source": "DYNAMIC_TOPIC_CONFIG"})
    );
    assert_eq!(
        policy["metadata"],
        json!({
            "self": format!("{me}/configs/cleanup.policy"),
            "resource_name": format!("crn:///kafka={id}/topic={topic}/config=cleanup.policy"),
        })
    );
    let (status, _, one) = call_v3(Method::GET, &format!("{me}/configs/cleanup.policy"), None).await;
    assert_eq!((status, &one), (200, policy));

    // Reset one, then a batch: one reset and one set.
    let (status, _, _) = call_v3(Method::DELETE, &format!("{me}/configs/cleanup.policy"), None).await;
    assert_eq!(status, 204);
    let policy = kafka_config(ResourceSpecifier::Topic(&topic), "cleanup.policy").await;
    assert_eq!(policy, (Some("delete".into()), ConfigSource::Default));
    let batch = json!({"data": [
        {"name": "retention.ms", "operation": "DELETE"},
        {"name": "segment.ms", "value": "7200000"},
    ]});
    let (status, _, _) = call_v3(Method::POST, &format!("{me}/configs:alter"), Some(batch)).await;
    assert_eq!(status, 204);
    let retention = kafka_config(ResourceSpecifier::Topic(&topic), "retention.ms").await;
    assert_eq!(retention.1, ConfigSource::Default);
    let segment = kafka_config(ResourceSpecifier::Topic(&topic), "segment.ms").await;
    assert_eq!(segment, (Some("7200000".into()), ConfigSource::DynamicTopic));

    // validate_only changes nothing.
    let dry = json!({"data": [{"name": "segment.ms", "value": "1000"}], "validate_only": true});
    let (status, _, _) = call_v3(Method::POST, &format!("{me}/configs:alter"), Some(dry)).await;
    assert_eq!(status, 204);
    let segment = kafka_config(ResourceSpecifier::Topic(&topic), "segment.ms").await;
    assert_eq!(segment.0.as_deref(), Some("7200000"));

    let (status, _, all) = call_v3(Method::GET, &format!("{topics}/-/configs"), None).await;
    assert_eq!(status, 200);
    assert!(all["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["topic_name"] == topic.as_str() && c["name"] == "segment.ms"));

    let (status, _, grown) = call_v3(Method::PATCH, &me, Some(json!({"partitions_count": 5}))).await;
    assert_eq!(status, 200);
    assert_eq!(grown["partitions_count"], 5);
    assert_eq!(kafka_partitions(&topic), Some(5));
    let (status, _, body) = call_v3(Method::PATCH, &me, Some(json!({"partitions_count": 2}))).await;
    assert_eq!((status, body["error_code"].clone()), (400, json!(40002)));

    let (status, _, body) = call_v3(Method::DELETE, &me, None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert!(eventually_gone(&topic).await);
    let (status, _, body) = call_v3(Method::DELETE, &me, None).await;
    assert_eq!((status, body["error_code"].clone()), (404, json!(40403)));
}

#[tokio::test]
async fn topic_errors_in_confluents_codes() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let topics = format!("{cluster}/topics");
    let topic = unique("v3-existing");
    create_topic(&topic, 1, &[]).await;

    let (status, _, body) = call_v3(Method::POST, &topics, Some(json!({"topic_name": topic}))).await;
    assert_eq!((status, body["error_code"].clone()), (400, json!(40002)));
    assert!(
        body["message"].as_str().unwrap().contains("already exists"),
        "{body}"
    );

    let response = support::http()
        .post(&topics)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error_code": 42206, "message": "Payload error. Request body is empty. Data is required."})
    );

    let (status, _, body) = call_v3(Method::POST, &topics, Some(json!({"topic_name": "bad/name"}))).await;
    assert_eq!(
        (status, body),
        (
            422,
            json!({"error_code": 42206, "message": "Payload error. Invalid topic name."})
        )
    );

    let fresh = unique("v3-invalid-config");
    let bad = json!({"topic_name": fresh, "configs": [{"name": "retention.ms", "value": "soon"}]});
    let (status, _, body) = call_v3(Method::POST, &topics, Some(bad)).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (400, json!(40002)),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("retention.ms"),
        "{body}"
    );

    let (_, _, brokers) = call_v3(Method::GET, &format!("{cluster}/brokers"), None).await;
    let broker = brokers["data"][0]["broker_id"].clone();
    let gap = json!({"topic_name": fresh, "replicas_assignments": {"0": [broker], "2": [broker]}});
    let (status, _, body) = call_v3(Method::POST, &topics, Some(gap)).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (400, json!(40002)),
        "{body}"
    );
    let assigned = unique("v3-assigned");
    let assignment = json!({"topic_name": assigned, "replicas_assignments": {"0": [broker], "1": [broker]}});
    let (status, _, body) = call_v3(Method::POST, &topics, Some(assignment)).await;
    assert_eq!(
        (
            status,
            body["partitions_count"].clone(),
            body["replication_factor"].clone()
        ),
        (201, json!(2), json!(1))
    );
    assert_eq!(kafka_partitions(&assigned), Some(2));

    let check = json!({"topic_name": fresh, "partitions_count": 2, "validate_only": true});
    let (status, _, body) = call_v3(Method::POST, &topics, Some(check)).await;
    assert_eq!((status, body["partitions_count"].clone()), (200, json!(2)));
    assert_eq!(kafka_partitions(&fresh), None, "validate_only created the topic");

    let me = format!("{topics}/{topic}");
    let (status, _, body) = call_v3(
        Method::PUT,
        &format!("{me}/configs/retention.ms"),
        Some(json!({"value": "soon"})),
    )
    .await;
    assert_eq!((status, body["error_code"].clone()), (400, json!(40002)));
    let (status, _, body) = call_v3(
        Method::PUT,
        &format!("{me}/configs/no.such.config"),
        Some(json!({"value": "1"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        format!(
            "Config no.such.config cannot be found for TOPIC {topic} in cluster {}.",
            support::cluster_id()
        )
    );
    let (status, _, _) = call_v3(Method::GET, &format!("{me}/configs/no.such.config"), None).await;
    assert_eq!(status, 404);

    let missing = format!("{topics}/{}", unique("v3-missing"));
    for url in [
        missing.clone(),
        format!("{missing}/configs"),
        format!("{missing}/partitions"),
    ] {
        let (status, _, body) = call_v3(Method::GET, &url, None).await;
        assert_eq!(
            (status, body),
            (
                404,
                json!({"error_code": 40403, "message": "This server does not host this topic-partition."})
            ),
            "{url}"
        );
    }

    let (status, _, body) = call_v3(Method::GET, &proxy.url("/v3/clusters/other/topics"), None).await;
    assert_eq!(
        (status, body["message"].clone()),
        (404, json!("Cluster other cannot be found."))
    );
}

#[tokio::test]
async fn partitions_and_their_offsets() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let id = support::cluster_id();
    let topic = unique("v3-partitions");
    create_topic(&topic, 2, &[]).await;
    produce_direct(&topic, 1, &[(None, b"a"), (None, b"b"), (None, b"c")]).await;
    let partitions = format!("{cluster}/topics/{topic}/partitions");

    let (status, _, list) = call_v3(Method::GET, &partitions, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "KafkaPartitionList");
    let ids: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partition_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [0, 1]);

    let (status, _, one) = call_v3(Method::GET, &format!("{partitions}/1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(one, list["data"][1]);
    assert_eq!(one["kind"], "KafkaPartition");
    assert_eq!(
        one["metadata"]["resource_name"],
        format!("crn:///kafka={id}/topic={topic}/partition=1")
    );
    let leader = one["leader"]["related"].as_str().unwrap();
    assert!(
        leader.starts_with(&format!("{partitions}/1/replicas/")),
        "{leader}"
    );
    let (status, _, replica) = call_v3(Method::GET, leader, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (replica["is_leader"].clone(), replica["is_in_sync"].clone()),
        (json!(true), json!(true))
    );
    let (status, _, replicas) = call_v3(Method::GET, &format!("{partitions}/1/replicas"), None).await;
    assert_eq!((status, replicas["data"][0].clone()), (200, replica.clone()));

    let (status, _, offsets) = call_v3(Method::GET, &format!("{partitions}/1/offset"), None).await;
    assert_eq!(status, 200);
    assert_eq!(offsets["kind"], "KafkaPartitionWithOffsets");
    assert_eq!(
        (
            offsets["earliest_offset"].clone(),
            offsets["latest_offset"].clone()
        ),
        (json!(0), json!(3))
    );
    let (status, _, body) = call_v3(
        Method::GET,
        &format!("{partitions}/1/offset?offset_type=latest"),
        None,
    )
    .await;
    assert_eq!((status, body["error_code"].clone()), (400, json!(400)));

    let (status, _, body) = call_v3(Method::GET, &format!("{partitions}/7"), None).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error_code": 40402, "message": "Partition not found."})
        )
    );

    let broker = replica["broker_id"].as_i64().unwrap();
    let hosted = format!("{cluster}/brokers/{broker}/partition-replicas");
    let (status, _, hosted) = call_v3(Method::GET, &hosted, None).await;
    assert_eq!((status, hosted["kind"].clone()), (200, json!("KafkaReplicaList")));
    let mine: Vec<&Value> = hosted["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["topic_name"] == topic.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "both partitions live on the only broker");
    assert_eq!(*mine[1], replica);
}

#[tokio::test]
async fn configs_of_several_topics_change_in_one_request() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let (first, second) = (unique("v3-multi-a"), unique("v3-multi-b"));
    create_topic(&first, 1, &[]).await;
    create_topic(&second, 1, &[]).await;
    let url = format!("{cluster}/topics/-/configs:alter");
    let retention = |topic: &str, value: &str| json!({"topic_name": topic, "configs": [{"name": "retention.ms", "value": value}]});

    let both = json!({"data": [retention(&first, "111111"), retention(&second, "222222")]});
    let (status, _, _) = call_v3(Method::POST, &url, Some(both)).await;
    assert_eq!(status, 204);
    for (topic, value) in [(&first, "111111"), (&second, "222222")] {
        let config = kafka_config(ResourceSpecifier::Topic(topic), "retention.ms").await;
        assert_eq!(config.0.as_deref(), Some(value));
    }

    let one_bad = json!({"data": [retention(&first, "forever"), retention(&second, "333333")]});
    let (status, _, body) = call_v3(Method::POST, &url, Some(one_bad)).await;
    assert_eq!(status, 207);
    let failures = body["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        (
            failures[0]["topic_name"].clone(),
            failures[0]["error_code"].clone()
        ),
        (json!(first), json!(40002))
    );
    let config = kafka_config(ResourceSpecifier::Topic(&second), "retention.ms").await;
    assert_eq!(config.0.as_deref(), Some("333333"), "the valid change applies");

    let unknown = json!({"data": [retention(&first, "1"), {"topic_name": second, "configs": [{"name": "no.such", "value": "1"}]}]});
    let (status, _, _) = call_v3(Method::POST, &url, Some(unknown)).await;
    assert_eq!(status, 404);
    let config = kafka_config(ResourceSpecifier::Topic(&first), "retention.ms").await;
    assert_eq!(
        config.0.as_deref(),
        Some("111111"),
        "nothing changes when a name is unknown"
    );
}

#[tokio::test]
async fn brokers_and_their_configs() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let (status, _, brokers) = call_v3(Method::GET, &format!("{cluster}/brokers"), None).await;
    assert_eq!(status, 200);
    assert_eq!(brokers["kind"], "KafkaBrokerList");
    let broker = brokers["data"][0].clone();
    let broker_id = broker["broker_id"].as_i64().unwrap() as i32;
    let me = format!("{cluster}/brokers/{broker_id}");
    assert_eq!(broker["metadata"]["self"], me.as_str());
    assert_eq!(broker["host"], "127.0.0.1");
    assert_eq!(broker["configs"]["related"], format!("{me}/configs"));
    let (status, _, one) = call_v3(Method::GET, &me, None).await;
    assert_eq!((status, one), (200, broker));
    let (status, _, _) = call_v3(Method::GET, &format!("{cluster}/brokers/999"), None).await;
    assert_eq!(status, 404);

    let name = "log.cleaner.threads";
    let (status, _, _) = call_v3(
        Method::PUT,
        &format!("{me}/configs/{name}"),
        Some(json!({"value": "2"})),
    )
    .await;
    assert_eq!(status, 204);
    let broker_resource = ResourceSpecifier::Broker(broker_id);
    let threads = settled_config(broker_resource, name, |c| c.0.as_deref() == Some("2")).await;
    assert_eq!(threads, (Some("2".into()), ConfigSource::DynamicBroker));
    let (status, _, config) = call_v3(Method::GET, &format!("{me}/configs/{name}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(config["kind"], "KafkaBrokerConfig");
    assert_eq!(config["broker_id"], broker_id);
    assert_eq!(
        (config["value"].clone(), config["source"].clone()),
        (json!("2"), json!("DYNAMIC_BROKER_CONFIG"))
    );
    let (status, _, _) = call_v3(Method::DELETE, &format!("{me}/configs/{name}"), None).await;
    assert_eq!(status, 204);
    let threads = settled_config(broker_resource, name, |c| c.1 != ConfigSource::DynamicBroker).await;
    assert_ne!(threads.1, ConfigSource::DynamicBroker);

    let (status, _, all) = call_v3(Method::GET, &format!("{cluster}/brokers/-/configs"), None).await;
    assert_eq!(status, 200);
    assert!(all["data"].as_array().unwrap().iter().any(|c| c["name"] == name));

    // Cluster-wide defaults: read from the brokers' synonyms; krest cannot change them.
    let (status, _, defaults) = call_v3(Method::GET, &format!("{cluster}/broker-configs"), None).await;
    assert_eq!(status, 200);
    assert_eq!(defaults["kind"], "KafkaClusterConfigList");
    for config in defaults["data"].as_array().unwrap() {
        assert_eq!(config["kind"], "KafkaClusterConfig");
        assert_eq!(config["source"], "DYNAMIC_DEFAULT_BROKER_CONFIG");
        assert_eq!(config["config_type"], "BROKER");
    }
    let (status, _, _) = call_v3(
        Method::PUT,
        &format!("{cluster}/broker-configs/{name}"),
        Some(json!({"value": "2"})),
    )
    .await;
    assert_eq!(status, 501);
}
