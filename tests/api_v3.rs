//! API v3 conventions against a real Kafka broker: the cluster resource, links and resource
//! names, `application/json` on every answer, Confluent's v3 error bodies, and authorization
//! of every operation by the auth plugins.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{call_as, call_v3, cluster_id, create_topic, temp_dir, unique, Proxy};

#[tokio::test]
async fn the_connected_cluster_is_the_only_cluster() {
    let proxy = Proxy::start(&[]);
    let id = cluster_id();
    let base = format!("{}/v3/clusters/{id}", proxy.base);

    let (status, content_type, list) = call_v3(Method::GET, &proxy.url("/v3/clusters"), None).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(list["kind"], "KafkaClusterList");
    assert_eq!(
        list["metadata"],
        json!({"self": proxy.url("/v3/clusters"), "next": null})
    );
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let (status, _, cluster) = call_v3(Method::GET, &base, None).await;
    assert_eq!(status, 200);
    assert_eq!(cluster, list["data"][0]);
    assert_eq!(cluster["kind"], "KafkaCluster");
    assert_eq!(cluster["cluster_id"], id.as_str());
    assert_eq!(cluster["metadata"]["self"], base.as_str());
    assert_eq!(cluster["metadata"]["resource_name"], format!("crn:///kafka={id}"));
    for (field, tail) in [
        ("acls", "/acls"),
        ("brokers", "/brokers"),
        ("broker_configs", "/broker-configs"),
        ("consumer_groups", "/consumer-groups"),
        ("topics", "/topics"),
        ("partition_reassignments", "/topics/-/partitions/-/reassignment"),
    ] {
        assert_eq!(cluster[field]["related"], format!("{base}{tail}"), "{field}");
    }
    let controller = cluster["controller"]["related"].as_str().unwrap();
    assert!(
        controller.starts_with(&format!("{base}/brokers/")),
        "{controller}"
    );

    let (status, _, _) = call_v3(Method::GET, controller, None).await;
    assert_eq!(status, 200, "the controller link names a broker");
    let metrics = proxy.metrics().await;
    assert!(
        metrics.contains(
            r#"krest_http_requests_total{method="GET",route="/v3/clusters/{cluster}",status="200"} 1"#
        ),
        "v3 requests are counted per route: {metrics}"
    );
}

#[tokio::test]
async fn links_and_names_follow_the_configuration() {
    let proxy = Proxy::start(&[
        "--set",
        "advertised.listeners=http://rest.example.com:9999",
        "--set",
        "confluent.resource.name.authority=kafka.example.com",
    ]);
    let id = cluster_id();
    let (status, _, cluster) = call_v3(Method::GET, &proxy.url(&format!("/v3/clusters/{id}")), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cluster["metadata"],
        json!({
            "self": format!("http://rest.example.com:9999/v3/clusters/{id}"),
            "resource_name": format!("crn://kafka.example.com/kafka={id}"),
        })
    );
}

#[tokio::test]
async fn v3_errors_are_plain_json_in_confluents_shape() {
    let proxy = Proxy::start(&[]);
    let (status, content_type, body) =
        call_v3(Method::GET, &proxy.url("/v3/clusters/no-such-cluster"), None).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    assert_eq!(
        body,
        json!({"error_code": 404, "message": "Cluster no-such-cluster cannot be found."})
    );

    let (status, content_type, body) = call_v3(Method::GET, &proxy.url("/v3/nothing/here"), None).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    assert_eq!(body["error_code"], 404);

    let (status, content_type, body) = call_as(
        Method::GET,
        &proxy.url("/v3/clusters"),
        Some(("application/vnd.kafka.v2+json", "{}".into())),
        "application/json",
    )
    .await;
    assert_eq!((status, content_type.as_str()), (415, "application/json"));
    assert_eq!(body["error_code"], 415);

    let (status, _, _) = call_as(Method::GET, &proxy.url("/v3/clusters"), None, "text/html").await;
    assert_eq!(status, 406);
}

/// `basic` users alice and carol, judged by `acl`: alice may describe the cluster and do
/// anything to `alice-*` topics; carol may only describe those topics.
fn guarded_proxy() -> Proxy {
    let dir = temp_dir("krest-v3-auth");
    std::fs::write(
        dir.join("basic.toml"),
        "roles = \"*\"\n[users]\nalice = \"alice-secret,dev\"\ncarol = \"carol-secret,dev\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("acl.toml"),
        "[rules]\n\
         alice-cluster = \"allow User:alice describe cluster\"\n\
         alice-topics = \"allow User:alice * topic:alice-*\"\n\
         carol-topics = \"allow User:carol describe topic:alice-*\"\n",
    )
    .unwrap();
    Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "auth.plugins=basic,acl",
    ])
}

/// Status and body of a v3 call as `user` (password `<user>-secret`; `None`: anonymous).
async fn call_v3_as(user: Option<&str>, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = support::http()
        .request(method, url)
        .header("Accept", "application/json");
    if let Some(user) = user {
        request = request.basic_auth(user, Some(format!("{user}-secret")));
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn v3_operations_are_authorized_per_action_and_resource() {
    let other = unique("bob-v3-auth");
    create_topic(&other, 1, &[]).await;
    let proxy = guarded_proxy();
    let cluster = proxy.url(&format!("/v3/clusters/{}", cluster_id()));
    let topics = format!("{cluster}/topics");
    let topic = unique("alice-v3-auth");
    let me = format!("{topics}/{topic}");

    let (status, body) = call_v3_as(None, Method::GET, &cluster, None).await;
    assert_eq!((status, body["error_code"].clone()), (401, json!(40101)));
    assert_eq!(
        call_v3_as(Some("alice"), Method::GET, &cluster, None).await.0,
        200
    );
    assert_eq!(
        call_v3_as(Some("carol"), Method::GET, &cluster, None).await.0,
        403,
        "cluster describe"
    );

    // create → create on the topic
    let (status, body) = call_v3_as(
        Some("carol"),
        Method::POST,
        &topics,
        Some(json!({"topic_name": topic})),
    )
    .await;
    assert_eq!((status, body["error_code"].clone()), (403, json!(40301)));
    let (status, _) = call_v3_as(
        Some("alice"),
        Method::POST,
        &topics,
        Some(json!({"topic_name": &other})),
    )
    .await;
    assert_eq!(status, 403, "alice may not create bob-* topics");
    let (status, _) = call_v3_as(
        Some("alice"),
        Method::POST,
        &topics,
        Some(json!({"topic_name": topic})),
    )
    .await;
    assert_eq!(status, 201);

    // describe → describe on the topic; listings show only what the caller may describe
    assert_eq!(call_v3_as(Some("carol"), Method::GET, &me, None).await.0, 200);
    assert_eq!(
        call_v3_as(Some("carol"), Method::GET, &format!("{me}/configs"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call_v3_as(Some("carol"), Method::GET, &format!("{topics}/{other}"), None)
            .await
            .0,
        403
    );
    let (status, list) = call_v3_as(Some("carol"), Method::GET, &topics, None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&topic.as_str()) && names.iter().all(|n| n.starts_with("alice-")),
        "{names:?}"
    );

    // config changes → alter on the topic; delete → delete on the topic
    let config = format!("{me}/configs/retention.ms");
    let value = Some(json!({"value": "60000"}));
    assert_eq!(
        call_v3_as(Some("carol"), Method::PUT, &config, value.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        call_v3_as(Some("alice"), Method::PUT, &config, value).await.0,
        204
    );
    assert_eq!(call_v3_as(Some("carol"), Method::DELETE, &me, None).await.0, 403);
    assert_eq!(call_v3_as(Some("alice"), Method::DELETE, &me, None).await.0, 204);

    // groups → describe on the group; ACLs → describe/alter on the cluster
    let group = format!("{cluster}/consumer-groups/any-group");
    assert_eq!(call_v3_as(Some("alice"), Method::GET, &group, None).await.0, 403);
    assert_eq!(
        call_v3_as(Some("alice"), Method::GET, &format!("{cluster}/acls"), None)
            .await
            .0,
        200
    );
    let acl = json!({
        "resource_type": "TOPIC", "resource_name": "x", "pattern_type": "LITERAL",
        "principal": "User:x", "host": "*", "operation": "READ", "permission": "ALLOW",
    });
    let (status, _) = call_v3_as(Some("alice"), Method::POST, &format!("{cluster}/acls"), Some(acl)).await;
    assert_eq!(status, 403, "creating ACLs is alter on the cluster");
}
