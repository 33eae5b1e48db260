//! Principal propagation (`principal.propagation.*`): each HTTP caller reaches Kafka under its
//! own SASL login, so Kafka's own ACLs (the broker's StandardAuthorizer, on the SASL listener
//! scripts/kafka.sh opens at PORT+2) decide what it may do. krest itself logs in as the
//! broker's super user `admin`; the HTTP callers authenticate with the `basic` plugin.

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    bootstrap, create_topic, python_script, read_value, sasl_bootstrap, temp_dir, unique, Proxy, V2_JSON,
};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// HTTP users `alice`, `bob` and `carol` (password `NAME-http`) and the Kafka logins of
/// `credentials` (TOML), in a fresh plugins folder; the proxy logs in to Kafka as `admin`.
fn propagating_proxy(credentials: &str, extra: &[&str]) -> Proxy {
    let dir = temp_dir("krest-propagation");
    std::fs::write(
        dir.join("basic.toml"),
        "[users]\nalice = \"alice-http\"\nbob = \"bob-http\"\ncarol = \"carol-http\"\n",
    )
    .unwrap();
    let credentials_file = dir.join("kafka-credentials.toml");
    std::fs::write(&credentials_file, credentials).unwrap();
    let settings = [
        format!("plugins.dir={}", dir.display()),
        "auth.plugins=basic".into(),
        "client.security.protocol=SASL_PLAINTEXT".into(),
        "client.sasl.mechanism=PLAIN".into(),
        "client.sasl.username=admin".into(),
        "client.sasl.password=admin-secret".into(),
        "principal.propagation.enabled=true".into(),
        format!(
            "principal.propagation.credentials.file={}",
            credentials_file.display()
        ),
    ];
    let sasl = sasl_bootstrap();
    let mut args = vec!["--bootstrap-servers".to_string(), sasl];
    for setting in settings.iter().map(String::as_str).chain(extra.iter().copied()) {
        args.extend(["--set".to_string(), setting.to_string()]);
    }
    Proxy::spawn(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
}

/// Status and JSON body of a call by HTTP user `user`.
async fn call_as(
    user: &str,
    method: Method,
    url: &str,
    body: Option<Value>,
    content_type: &str,
) -> (u16, Value) {
    let request = support::http()
        .request(method, url)
        .basic_auth(user, Some(format!("{user}-http")));
    support::send_json(request, body, content_type).await
}

async fn kafka_security(args: &[&str]) {
    let mut all = vec![bootstrap()];
    all.extend(args.iter().map(|a| a.to_string()));
    python_script(
        "kafka_security.py",
        &all.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
}

/// The value of a gauge in a Prometheus text.
fn gauge(metrics: &str, name: &str) -> i64 {
    support::metric(metrics, name, &[]).unwrap_or_else(|| panic!("no {name} in\n{metrics}")) as i64
}

async fn metrics_as(proxy: &Proxy, user: &str) -> String {
    let response = support::http()
        .get(proxy.url("/metrics"))
        .basic_auth(user, Some(format!("{user}-http")))
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

/// Kafka's ACLs, not krest's, decide: `alice` (a SCRAM user with ACLs on one topic and group)
/// produces, lists, describes and consumes it; `bob` (a SCRAM user without ACLs) gets 403/40301
/// from Kafka for each and nothing reaches the topic; `carol`, authenticated over HTTP but
/// without a Kafka login, is refused before Kafka is asked.
#[tokio::test]
async fn kafka_acls_apply_to_each_caller_through_its_own_login() {
    let topic = unique("propagated");
    let group = unique("propagated-group");
    create_topic(&topic, 1, &[]).await;
    let (alice_kafka, bob_kafka) = (unique("alice"), unique("bob"));
    kafka_security(&["scram", &alice_kafka, "alice-kafka-secret"]).await;
    kafka_security(&["scram", &bob_kafka, "bob-kafka-secret"]).await;
    kafka_security(&["allow", &alice_kafka, &topic, &group]).await;
    let credentials = format!(
        "[principals]\nalice = {{ username = \"{alice_kafka}\", password = \"alice-kafka-secret\" }}\n\
         bob = {{ username = \"{bob_kafka}\", password = \"bob-kafka-secret\" }}\n"
    );
    let proxy = propagating_proxy(
        &credentials,
        &["principal.propagation.sasl.mechanism=SCRAM-SHA-256"],
    );
    let records = json!({"records": [{"value": "cHJvcGFnYXRlZA=="}]});
    let at = |path: &str| proxy.url(path);
    let topic_url = at(&format!("/topics/{topic}"));
    let produce_by =
        async |user: &str| call_as(user, Method::POST, &topic_url, Some(records.clone()), BINARY).await;
    let describe_by = async |user: &str| call_as(user, Method::GET, &topic_url, None, V2_JSON).await;

    let (status, answer) = produce_by("alice").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["offsets"][0]["offset"], 0, "{answer}");
    assert_eq!(read_value(&topic, 0).as_deref(), Some(&b"propagated"[..]));

    let (status, answer) = produce_by("bob").await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["offsets"][0]["error_code"], 40301, "{answer}");
    assert_eq!(answer["offsets"][0]["offset"], Value::Null, "{answer}");
    let (status, answer) = describe_by("bob").await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (403, json!(40301)),
        "{answer}"
    );

    // Kafka lists only the topics a login may describe.
    let (status, listed) = call_as("alice", Method::GET, &at("/topics"), None, V2_JSON).await;
    assert_eq!(status, 200);
    assert!(listed.as_array().unwrap().contains(&json!(topic)), "{listed}");
    let (status, listed) = call_as("bob", Method::GET, &at("/topics"), None, V2_JSON).await;
    assert_eq!(status, 200);
    assert!(!listed.as_array().unwrap().contains(&json!(topic)), "{listed}");
    let (status, described) = describe_by("alice").await;
    assert_eq!(
        (status, described["name"].clone()),
        (200, json!(topic)),
        "{described}"
    );

    // Consumer instances log in as their owner.
    let alice_records = consume_as("alice", &proxy, &group, &topic).await;
    assert_eq!(alice_records, Ok(vec![json!("cHJvcGFnYXRlZA==")]));
    let bob_group = unique("bob-group");
    let refused = consume_as("bob", &proxy, &bob_group, &topic).await;
    assert_eq!(
        refused.as_ref().map_err(|(s, b)| (*s, b["error_code"].clone())),
        Err((403, json!(40301))),
        "{refused:?}"
    );

    // So do stateless reads; alice's ACLs name no group of krest's pool.
    let records_url = at(&format!(
        "/v3/clusters/{}/topics/{topic}/partitions/0/records?offset=0",
        support::cluster_id()
    ));
    let read_by = async |user: &str| {
        let response = support::http()
            .get(&records_url)
            .basic_auth(user, Some(format!("{user}-http")))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    let (status, read) = read_by("alice").await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["data"][0]["value"], "cHJvcGFnYXRlZA==", "{read}");
    let (status, answer) = read_by("bob").await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (403, json!(40301)),
        "{answer}"
    );

    let (status, answer) = produce_by("carol").await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (403, json!(40301)),
        "{answer}"
    );
    let (status, answer) = call_as(
        "carol",
        Method::POST,
        &at(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (403, json!(40301)),
        "{answer}"
    );

    // Only alice's record was written.
    let end = support::end_offset_direct(&topic, 0);
    assert_eq!(end, 1);
    assert_eq!(
        gauge(&metrics_as(&proxy, "alice").await, "krest_principal_clients"),
        2
    );
    assert!(!proxy.stderr().contains("kafka-secret"), "a password was logged");
}

/// Creates a binary consumer for `user` in `group`, subscribes it to `topic` and reads until
/// a record arrives: the values read, or the first refusal.
async fn consume_as(user: &str, proxy: &Proxy, group: &str, topic: &str) -> Result<Vec<Value>, (u16, Value)> {
    let settings = json!({"format": "binary", "auto.offset.reset": "earliest"});
    let (status, created) = call_as(
        user,
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(settings),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let base = created["base_uri"].as_str().unwrap().to_string();
    let (status, answer) = call_as(
        user,
        Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204, "{answer}");
    let accept = "application/vnd.kafka.binary.v2+json";
    for _ in 0..30 {
        let response = support::http()
            .get(format!("{base}/records"))
            .basic_auth(user, Some(format!("{user}-http")))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if status != 200 {
            return Err((status, body));
        }
        let values: Vec<Value> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].clone())
            .collect();
        if !values.is_empty() {
            return Ok(values);
        }
    }
    panic!("{user} read nothing from {topic}");
}

/// The pool of per-principal clients is bounded and closes idle clients: with room for one
/// principal, a second evicts the first; left alone, the clients close; a later request opens
/// them again. Both principals log in with SASL PLAIN (the broker's static users).
#[tokio::test]
async fn per_principal_clients_are_bounded_and_close_when_idle() {
    let credentials =
        "[principals]\nalice = { password = \"alice-secret\" }\nbob = { password = \"bob-secret\" }\n";
    let proxy = propagating_proxy(
        credentials,
        &[
            "principal.propagation.clients.max=1",
            "principal.propagation.clients.idle.ms=1000",
        ],
    );
    let clients = |metrics: String| gauge(&metrics, "krest_principal_clients");
    for user in ["alice", "bob", "alice"] {
        let (status, brokers) = call_as(user, Method::GET, &proxy.url("/brokers"), None, V2_JSON).await;
        assert_eq!(status, 200, "{brokers}");
        assert_eq!(brokers["brokers"], json!([1]));
        // /metrics itself opens no Kafka client.
        assert_eq!(clients(metrics_as(&proxy, user).await), 1);
    }
    let mut remaining = 50;
    while clients(metrics_as(&proxy, "bob").await) != 0 {
        remaining -= 1;
        assert!(remaining > 0, "idle clients were never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(proxy.stderr().contains("closing idle principals' Kafka clients"));
    let (status, _) = call_as("bob", Method::GET, &proxy.url("/brokers"), None, V2_JSON).await;
    assert_eq!(status, 200);
}

/// Propagation without authentication, or over a protocol without SASL, stops start-up.
#[test]
fn propagation_needs_callers_and_sasl() {
    let dir = temp_dir("krest-propagation-config");
    let file = dir.join("credentials.toml");
    std::fs::write(&file, "[principals]\n").unwrap();
    let file_setting = format!("principal.propagation.credentials.file={}", file.display());
    for (settings, expected) in [
        (
            vec!["principal.propagation.enabled=true", &file_setting],
            "set auth.plugins",
        ),
        (
            vec![
                "principal.propagation.enabled=true",
                "auth.plugins=basic",
                &file_setting,
            ],
            "SASL_PLAINTEXT",
        ),
        (
            vec!["confluent.rest.auth.propagate.method=JETTY_AUTH"],
            "principal.propagation.enabled=true",
        ),
    ] {
        let mut args = vec!["--bootstrap-servers", "127.0.0.1:1"];
        for setting in settings {
            args.extend(["--set", setting]);
        }
        let output = support::krest(&args, &[]).output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        "[principals]\nalice = { password = \"s3cret\", extra = 1 }\n",
    )
    .unwrap();
    let output = support::krest(
        &[
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--set",
            "principal.propagation.enabled=true",
            "--set",
            "auth.plugins=basic",
            "--set",
            "client.security.protocol=SASL_SSL",
            "--set",
            &format!("principal.propagation.credentials.file={}", broken.display()),
        ],
        &[],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("not a valid credentials file"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
