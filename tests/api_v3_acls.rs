//! API v3 ACLs against a real Kafka broker (StandardAuthorizer): ACLs created and deleted
//! through krest take effect for a SASL user on the broker's SASL listener.

mod support;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call_v3, create_topic, sasl_bootstrap, unique, v3_cluster, Proxy};

/// Whether User:alice may describe `topic`, per the broker.
fn alice_sees(topic: &str) -> bool {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", sasl_bootstrap())
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "PLAIN")
        .set("sasl.username", "alice")
        .set("sasl.password", "alice-secret")
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    metadata.topics()[0].error().is_none()
}

/// Waits (a few seconds at most) for the broker's authorizer to answer `wanted`.
async fn alice_eventually_sees(topic: &str, wanted: bool) -> bool {
    for _ in 0..50 {
        let topic = topic.to_string();
        if tokio::task::spawn_blocking(move || alice_sees(&topic))
            .await
            .unwrap()
            == wanted
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn acl(resource_type: &str, name: &str, pattern: &str, operation: &str) -> Value {
    json!({
        "resource_type": resource_type, "resource_name": name, "pattern_type": pattern,
        "principal": "User:alice", "host": "*", "operation": operation, "permission": "ALLOW",
    })
}

#[tokio::test]
async fn acls_created_and_deleted_through_krest_bind_kafka_users() {
    let proxy = Proxy::start(&[]);
    let cluster = v3_cluster(&proxy);
    let id = support::cluster_id();
    let acls = format!("{cluster}/acls");
    let topic = unique("v3-acl");
    let group = unique("v3-acl-group");
    create_topic(&topic, 1, &[]).await;
    assert!(!alice_sees(&topic), "alice may describe a topic without ACLs");

    let response = support::http()
        .post(&acls)
        .header("Content-Type", "application/json")
        .body(acl("TOPIC", &topic, "LITERAL", "DESCRIBE").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        location,
        format!(
            "{acls}?resource_type=TOPIC&resource_name={topic}&pattern_type=LITERAL&principal=User%3Aalice\
             &host=*&operation=DESCRIBE&permission=ALLOW"
        )
    );
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(
        alice_eventually_sees(&topic, true).await,
        "the ACL took no effect"
    );

    let (status, _, found) = call_v3(Method::GET, &location, None).await;
    assert_eq!(status, 200);
    assert_eq!(found["kind"], "KafkaAclList");
    assert_eq!(found["metadata"], json!({"self": location, "next": null}));
    assert_eq!(
        found["data"],
        json!([{
            "kind": "KafkaAcl",
            "metadata": {"self": location},
            "cluster_id": id,
            "resource_type": "TOPIC", "resource_name": topic, "pattern_type": "LITERAL",
            "principal": "User:alice", "host": "*", "operation": "DESCRIBE", "permission": "ALLOW",
        }])
    );

    let batch =
        json!({"data": [acl("TOPIC", &topic, "LITERAL", "READ"), acl("GROUP", &group, "PREFIXED", "READ")]});
    let (status, _, body) = call_v3(Method::POST, &format!("{acls}:batch"), Some(batch)).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _, found) = call_v3(
        Method::GET,
        &format!("{acls}?resource_type=topic&resource_name={topic}&principal=User:alice"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let operations: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["DESCRIBE", "READ"]);
    let (status, _, found) = call_v3(
        Method::GET,
        &format!("{acls}?resource_type=GROUP&resource_name={group}"),
        None,
    )
    .await;
    assert_eq!(
        (status, found["data"][0]["pattern_type"].clone()),
        (200, json!("PREFIXED"))
    );

    let (status, _, body) = call_v3(
        Method::DELETE,
        &format!("{acls}?resource_type=TOPIC&resource_name={topic}&pattern_type=LITERAL&permission=ALLOW"),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error_code": 400, "message": "operation cannot be unspecified or UNKNOWN"})
        )
    );
    let (status, _, deleted) = call_v3(
        Method::DELETE,
        &format!(
            "{acls}?resource_type=TOPIC&resource_name={topic}&pattern_type=LITERAL&operation=ANY&permission=ANY"
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let operations: Vec<&str> = deleted["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["DESCRIBE", "READ"]);
    assert!(
        alice_eventually_sees(&topic, false).await,
        "the deleted ACL still applies"
    );
    let (status, _, deleted) = call_v3(
        Method::DELETE,
        &format!("{acls}?resource_type=GROUP&resource_name={group}&pattern_type=PREFIXED&operation=READ&permission=ALLOW"),
        None,
    )
    .await;
    assert_eq!((status, deleted["data"].as_array().unwrap().len()), (200, 1));
    let (_, _, found) = call_v3(Method::GET, &format!("{acls}?resource_name={topic}"), None).await;
    assert_eq!(found["data"], json!([]));
}

#[tokio::test]
async fn acl_requests_are_checked_as_confluent_checks_them() {
    let proxy = Proxy::start(&[]);
    let acls = format!("{}/acls", v3_cluster(&proxy));
    for (body, message) in [
        (acl("ANY", "t", "LITERAL", "READ"), "resource_type cannot be ANY"),
        (acl("TOPIC", "t", "MATCH", "READ"), "pattern_type cannot be MATCH"),
        (acl("TOPIC", "t", "LITERAL", "ANY"), "operation cannot be ANY"),
        (acl("TOPIC", "t", "LITERAL", "SHOUT"), "Invalid operation: SHOUT"),
    ] {
        let (status, _, answer) = call_v3(Method::POST, &acls, Some(body)).await;
        assert_eq!(
            (status, answer),
            (400, json!({"error_code": 400, "message": message}))
        );
    }
    let response = support::http()
        .post(&acls)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], 42206);
    let (status, _, body) = call_v3(Method::GET, &format!("{acls}?operation=unknown"), None).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("operation cannot be UNKNOWN"))
    );
}
