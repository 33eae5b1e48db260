//! Operability on a real broker: request ids in every answer and log line, JSON logs, and the
//! metrics an operator alerts on (requests, producer queue, consumer instances and lag).

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    call, create_topic, http, metric, new_consumer, produce_as, produce_direct, unique, Proxy, V2_JSON,
};

const BINARY_V2: &str = "application/vnd.kafka.binary.v2+json";

/// The complete lines `proxy` logged so far, each parsed: every one must be JSON.
fn json_lines(proxy: &Proxy) -> Vec<Value> {
    let log = proxy.stderr();
    let complete = &log[..log.rfind('\n').map_or(0, |end| end + 1)];
    complete
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
        })
        .collect()
}

/// The access-log line of the request `id`, once written.
async fn access_line(proxy: &Proxy, id: &str) -> Value {
    for _ in 0..100 {
        let found = json_lines(proxy)
            .into_iter()
            .find(|line| line["target"] == "krest::access" && line["span"]["request_id"] == id);
        if let Some(line) = found {
            return line;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no access-log line for {id}; log:\n{}", proxy.stderr());
}

/// `GET url` with `headers`; returns the status and the `X-Request-ID` answered.
async fn request_id_of(method: Method, url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = http().request(method, url).header("Accept", V2_JSON);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("krest answers");
    let ids: Vec<_> = response.headers().get_all("x-request-id").iter().collect();
    assert_eq!(ids.len(), 1, "one X-Request-ID on {url}");
    (response.status().as_u16(), ids[0].to_str().unwrap().to_string())
}

#[tokio::test]
async fn json_log_lines_carry_the_request_id_the_client_sent() {
    let proxy = Proxy::start(&["--set", "log.format=json"]);
    let id = unique("client-id");
    let secret = "Bearer do-not-log-this-token";
    let headers = [("X-Request-ID", id.as_str()), ("Authorization", secret)];
    let (status, answered) = request_id_of(Method::GET, &proxy.url("/topics"), &headers).await;
    assert_eq!((status, answered.as_str()), (200, id.as_str()));

    let line = access_line(&proxy, &id).await;
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["status"], 200, "{line}");
    assert_eq!(line["span"]["method"], "GET", "{line}");
    assert_eq!(line["span"]["route"], "/topics", "{line}");
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    // Every line, start-up's included, is JSON (json_lines checks), and secrets stay out.
    assert!(!proxy.stderr().contains("do-not-log-this-token"));
}

#[tokio::test]
async fn a_generated_id_comes_back_and_is_logged() {
    let proxy = Proxy::start(&["--set", "log.format=json"]);
    let (status, id) = request_id_of(Method::GET, &proxy.url("/topics"), &[]).await;
    assert_eq!(status, 200);
    uuid::Uuid::parse_str(&id).expect("a generated id is a UUID");
    let line = access_line(&proxy, &id).await;
    assert_eq!(line["span"]["route"], "/topics", "{line}");

    // Ids that could break or forge log lines are replaced; a 128-character token is kept.
    let long = "x".repeat(129);
    for unusable in ["two words", long.as_str(), "tab\tinside"] {
        let (_, answered) =
            request_id_of(Method::GET, &proxy.url("/topics"), &[("X-Request-ID", unusable)]).await;
        assert_ne!(answered, unusable);
        uuid::Uuid::parse_str(&answered).expect("replaced by a UUID");
    }
    let kept = "k".repeat(128);
    let (_, answered) = request_id_of(Method::GET, &proxy.url("/topics"), &[("X-Request-ID", &kept)]).await;
    assert_eq!(answered, kept);
    let twice = http()
        .get(proxy.url("/topics"))
        .header("X-Request-ID", "first")
        .header("X-Request-ID", "second")
        .send()
        .await
        .unwrap();
    let answered = twice.headers()["x-request-id"].to_str().unwrap();
    uuid::Uuid::parse_str(answered).expect("two ids are replaced by one UUID");
}

/// What a plugin logs while serving a request (here the panic message of a format plugin
/// that traps) carries that request's id, as does the error line of its 500.
#[tokio::test]
async fn lines_logged_while_serving_carry_the_request_id() {
    let fixture = support::plugin_wasm("krest-fixture-fault");
    let dir = support::temp_dir("krest-operability-plugins");
    std::fs::write(dir.join("crash.toml"), "fault = \"trap\"\n").unwrap();
    support::install_plugin(&dir, "crash", &fixture);
    let proxy = Proxy::start(&[
        "--set",
        "log.format=json",
        "--set",
        &format!("plugins.dir={}", dir.display()),
    ]);
    let topic = unique("operability-plugin");
    create_topic(&topic, 1, &[]).await;
    let id = unique("crash");
    let response = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", "application/vnd.kafka.crash.v2+json")
        .header("Accept", V2_JSON)
        .header("X-Request-ID", &id)
        .body(json!({"records": [{"value": 1}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-request-id"], id.as_str());
    access_line(&proxy, &id).await;
    let ours: Vec<Value> = json_lines(&proxy)
        .into_iter()
        .filter(|line| line["span"]["request_id"] == id.as_str())
        .collect();
    let logged = |needle: &str| {
        ours.iter()
            .any(|line| line["message"].as_str().is_some_and(|m| m.contains(needle)))
    };
    assert!(logged("plugin output: fixture told to trap"), "{ours:#?}");
    assert!(ours.iter().any(|line| line["level"] == "ERROR"), "{ours:#?}");
}

/// Errors, unknown paths, refused credentials and the Schema Registry's listener all answer
/// with the request's id.
#[tokio::test]
async fn every_answer_carries_the_request_id() {
    let dir = support::temp_dir("krest-operability-auth");
    std::fs::write(dir.join("basic.toml"), "[users]\nalice = \"alice-secret\"\n").unwrap();
    let port = support::free_port();
    let mut args = support::registry_args(port, &unique("_schemas"));
    args.extend(
        [
            format!("plugins.dir={}", dir.display()),
            "auth.plugins=basic".into(),
        ]
        .into_iter()
        .flat_map(|setting| ["--set".to_string(), setting]),
    );
    let proxy = Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let registry = format!("http://127.0.0.1:{port}");
    let alice = "Basic YWxpY2U6YWxpY2Utc2VjcmV0"; // alice:alice-secret

    let cases = [
        (Method::GET, proxy.url("/topics"), None, 401),
        (Method::GET, proxy.url("/topics"), Some(alice), 200),
        (Method::GET, proxy.url("/no/such/path"), Some(alice), 404),
        (Method::DELETE, proxy.url("/topics"), Some(alice), 405),
        (Method::GET, format!("{registry}/subjects"), None, 401),
        (Method::GET, format!("{registry}/subjects"), Some(alice), 200),
    ];
    for (method, url, credentials, expected) in cases {
        let id = unique("every");
        let mut headers = vec![("X-Request-ID", id.as_str())];
        headers.extend(credentials.map(|c| ("Authorization", c)));
        let (status, answered) = request_id_of(method.clone(), &url, &headers).await;
        assert_eq!((status, answered), (expected, id), "{method} {url}");
    }
}

#[tokio::test]
async fn metrics_follow_real_traffic() {
    let proxy = Proxy::start(&[]);
    let topic = unique("operability");
    create_topic(&topic, 1, &[]).await;
    let before = proxy.metrics().await;
    assert_eq!(
        metric(&before, "krest_consumer_instances", &[]),
        Some(0.0),
        "{before}"
    );

    let records = json!({"records": (0..5).map(|_| json!({"value": "aGk="})).collect::<Vec<_>>()});
    let (status, answer) = produce_as(&proxy, &topic, BINARY_V2, &records).await;
    assert_eq!(status, 200, "{answer}");
    let after_produce = proxy.metrics().await;
    let queued = metric(&after_produce, "krest_producer_queue_records", &[]);
    assert!(queued.is_some_and(|q| q >= 0.0), "{after_produce}");
    let produced = ["method=\"POST\"", "route=\"/topics/{topic}\"", "status=\"200\""];
    assert_eq!(
        metric(&after_produce, "krest_http_requests_total", &produced),
        Some(1.0)
    );
    let latency = ["method=\"POST\"", "route=\"/topics/{topic}\""];
    assert_eq!(
        metric(
            &after_produce,
            "krest_http_request_duration_seconds_count",
            &latency
        ),
        Some(1.0)
    );

    // Two instances: one reads the 5 records, then 7 more arrive that it has not read.
    let group = unique("operability-group");
    let settings = json!({"format": "binary", "auto.offset.reset": "earliest"});
    let reader = new_consumer(&proxy, &group, settings.clone()).await;
    let idle = new_consumer(&proxy, &group, settings).await;
    let partitions = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let (status, _, body) = call(
        Method::POST,
        &format!("{reader}/assignments"),
        Some(partitions),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let read = support::read_records_as(&reader, BINARY_V2, 5)
        .await
        .expect("records");
    assert_eq!(read.len(), 5);
    let more: Vec<(Option<&[u8]>, &[u8])> = (0..7).map(|_| (None, &b"more"[..])).collect();
    produce_direct(&topic, 0, &more).await;

    let with_instances = proxy.metrics().await;
    assert_eq!(
        metric(&with_instances, "krest_consumer_instances", &[]),
        Some(2.0)
    );
    let name = |base: &str| base.rsplit('/').next().unwrap().to_string();
    let (reader_label, idle_label) = (
        format!("instance=\"{}\"", name(&reader)),
        format!("instance=\"{}\"", name(&idle)),
    );
    let group_label = format!("group=\"{group}\"");
    assert_eq!(
        metric(
            &with_instances,
            "krest_consumer_lag_records",
            &[&group_label, &reader_label]
        ),
        Some(7.0),
        "{with_instances}"
    );
    assert_eq!(
        metric(&with_instances, "krest_consumer_lag_records", &[&idle_label]),
        None,
        "an instance that never called Kafka has no client and no lag"
    );

    for base in [&reader, &idle] {
        let (status, _, body) = call(Method::DELETE, base, None, V2_JSON).await;
        assert_eq!(status, 204, "{body}");
    }
    let after = proxy.metrics().await;
    assert_eq!(metric(&after, "krest_consumer_instances", &[]), Some(0.0));
    assert_eq!(
        metric(&after, "krest_consumer_lag_records", &[]),
        None,
        "no series of deleted instances"
    );
}
