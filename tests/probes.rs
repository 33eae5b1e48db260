//! Kubernetes probes: `GET /livez` and `GET /readyz` — ready once Kafka answers, not without
//! it, not after SIGTERM (while `shutdown.delay.ms` keeps krest serving), and never behind
//! authentication.

mod support;

use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call, free_port, Proxy};

const V2_JSON: &str = "application/vnd.kafka.v2+json";

async fn probe(proxy: &Proxy, path: &str) -> (u16, Value) {
    let (status, _, body) = call(Method::GET, &proxy.url(path), None, "application/json").await;
    (status, body)
}

#[tokio::test]
async fn ready_once_kafka_answers_and_probes_need_no_credentials() {
    // `nobody` is no plugin: every other request is refused (fail closed).
    let proxy = Proxy::start(&["--set", "auth.plugins=nobody"]);
    assert_eq!(probe(&proxy, "/livez").await, (200, json!({"status": "ok"})));
    assert_eq!(probe(&proxy, "/readyz").await, (200, json!({"status": "ready"})));
    let (status, _, body) = call(Method::GET, &proxy.url("/topics"), None, V2_JSON).await;
    assert_eq!((status, &body["error_code"]), (401, &json!(40101)), "{body}");
}

#[tokio::test]
async fn not_ready_while_kafka_has_never_answered() {
    let nowhere = format!("127.0.0.1:{}", free_port());
    let proxy = Proxy::spawn(&["--bootstrap-servers", &nowhere], &[]);
    assert_eq!(probe(&proxy, "/livez").await, (200, json!({"status": "ok"})));
    let (status, body) = probe(&proxy, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        json!({"error_code": 503, "message": "Kafka has not answered yet."})
    );
}

#[tokio::test]
async fn sigterm_turns_readiness_off_while_the_shutdown_delay_keeps_serving() {
    let mut proxy = Proxy::spawn(&["--dev"], &[("KAFKA_REST_SHUTDOWN_DELAY_MS", "10000")]);
    assert_eq!(probe(&proxy, "/readyz").await.0, 200);

    kill(Pid::from_raw(proxy.pid()), Signal::SIGTERM).unwrap();
    proxy.wait_for_output("not ready; serving");
    let (status, body) = probe(&proxy, "/readyz").await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"error_code": 503, "message": "krest is shutting down."})
        )
    );
    assert_eq!(probe(&proxy, "/livez").await.0, 200);
    let (status, _, topics) = call(Method::GET, &proxy.url("/topics"), None, V2_JSON).await;
    assert_eq!(status, 200, "still serving during the delay: {topics}");

    let status = proxy.wait(Duration::from_secs(40));
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proxy.stderr());
}
