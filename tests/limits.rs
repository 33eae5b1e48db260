//! Limits an operator sets, on a real broker: request body and header size, open connections
//! and the v3 produce rate. Over a limit gets its exact status and code; under it, service.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{cluster_id, create_topic, http, post_v3_stream, produce_as, unique, Proxy, V2_JSON};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BINARY_V2: &str = "application/vnd.kafka.binary.v2+json";

/// A v2 binary produce body of `records` records of `size` Base64 characters each.
fn records(records: usize, size: usize) -> Value {
    let value = "A".repeat(size);
    json!({"records": (0..records).map(|_| json!({"value": value})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn a_body_over_request_body_max_bytes_is_413() {
    let proxy = Proxy::start(&["--set", "request.body.max.bytes=4096"]);
    let topic = unique("body-limit");
    create_topic(&topic, 1, &[]).await;
    let (status, answer) = produce_as(&proxy, &topic, BINARY_V2, &records(1, 1000)).await;
    assert_eq!(status, 200, "under the limit: {answer}");
    let (status, answer) = produce_as(&proxy, &topic, BINARY_V2, &records(1, 8000)).await;
    assert_eq!((status, &answer["error_code"]), (413, &json!(413)), "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("4096 bytes (request.body.max.bytes)"),
        "{message}"
    );
}

/// `GET /topics` with one header of `bytes` bytes; the status (`None`: no answer at all).
async fn status_with_header_of(proxy: &Proxy, bytes: usize) -> Option<u16> {
    let response = http()
        .get(proxy.url("/topics"))
        .header("Accept", V2_JSON)
        .header("X-Padding", "p".repeat(bytes))
        .send()
        .await;
    response.ok().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn headers_over_max_request_header_size_are_431() {
    let proxy = Proxy::start(&["--set", "max.request.header.size=16384"]);
    assert_eq!(status_with_header_of(&proxy, 12_000).await, Some(200));
    assert_eq!(status_with_header_of(&proxy, 17_000).await, Some(431));
    // The default is Confluent's 8192.
    let default = Proxy::start(&[]);
    assert_eq!(status_with_header_of(&default, 6_000).await, Some(200));
    assert_eq!(status_with_header_of(&default, 9_000).await, Some(431));
    assert_eq!(
        status_with_header_of(&proxy, 100).await,
        Some(200),
        "still serving"
    );
}

/// Sends a keep-alive `GET /brokers` on `stream`.
async fn send_request(stream: &mut TcpStream) {
    let request = format!("GET /brokers HTTP/1.1\r\nHost: krest\r\nAccept: {V2_JSON}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
}

/// The status line of the answer on `stream`, once its first bytes arrive.
async fn status_line(stream: &mut TcpStream) -> String {
    let mut answer = [0u8; 64];
    let n = stream.read(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn connections_over_a_connection_limit_wait_for_a_free_place() {
    for limit in ["server.connection.limit=1", "connector.connection.limit=1"] {
        let proxy = Proxy::start(&["--set", limit]);
        let address = proxy.base.trim_start_matches("http://").to_string();
        let mut first = TcpStream::connect(&address).await.unwrap();
        send_request(&mut first).await;
        assert_eq!(status_line(&mut first).await, "HTTP/1.1 200 OK");

        // The kernel completes the handshake, but krest does not take the connection while
        // the first stays open.
        let mut second = TcpStream::connect(&address).await.unwrap();
        send_request(&mut second).await;
        let waited = tokio::time::timeout(Duration::from_secs(1), status_line(&mut second)).await;
        assert!(waited.is_err(), "served beyond {limit}: {waited:?}");

        drop(first);
        let served = tokio::time::timeout(Duration::from_secs(20), status_line(&mut second)).await;
        assert_eq!(
            served.expect("served once the first closed"),
            "HTTP/1.1 200 OK",
            "{limit}"
        );
    }
}

/// v3 produce of `count` records to `topic` through `proxy`, in one stream; the answers.
async fn produce_v3(proxy: &Proxy, topic: &str, count: usize) -> Vec<Value> {
    let body: String = (0..count)
        .map(|i| json!({"value": {"type": "STRING", "data": format!("record {i}")}}).to_string())
        .collect();
    let path = format!("/v3/clusters/{}/topics/{topic}/records", cluster_id());
    let (status, answers) = post_v3_stream(proxy, &path, body).await;
    assert_eq!(status, 200, "{answers:?}");
    assert_eq!(answers.len(), count, "{answers:?}");
    answers
}

/// Asserts the first record was produced, at least one was refused, and every refusal is
/// Confluent's rate-limit answer.
fn rate_limited(answers: &[Value]) {
    assert_eq!(answers[0]["error_code"], 200, "{answers:?}");
    let refused: Vec<_> = answers.iter().filter(|a| a["error_code"] != 200).collect();
    assert!(!refused.is_empty(), "nothing refused: {answers:?}");
    for answer in refused {
        assert_eq!(
            answer,
            &json!({"error_code": 429, "message": "Request rate limit exceeded: The rate limit of requests per second has been exceeded."})
        );
    }
}

#[tokio::test]
async fn v3_produce_over_its_rate_limit_is_refused_per_record() {
    let topic = unique("rate-limit");
    create_topic(&topic, 1, &[]).await;
    let enabled = ["--set", "api.v3.produce.rate.limit.enabled=true"];

    let by_records = Proxy::start(
        &[
            &enabled[..],
            &["--set", "api.v3.produce.rate.limit.max.requests.per.sec=1"],
        ]
        .concat(),
    );
    rate_limited(&produce_v3(&by_records, &topic, 6).await);
    // v2 produce is not rate-limited, as in Confluent's proxy.
    for _ in 0..3 {
        let (status, answer) = produce_as(&by_records, &topic, BINARY_V2, &records(1, 8)).await;
        assert_eq!(status, 200, "{answer}");
    }

    let by_bytes = Proxy::start(
        &[
            &enabled[..],
            &["--set", "api.v3.produce.rate.limit.max.bytes.global.per.sec=10"],
        ]
        .concat(),
    );
    rate_limited(&produce_v3(&by_bytes, &topic, 6).await);

    // Under the (default) limits every record goes through.
    let under = Proxy::start(&enabled);
    let answers = produce_v3(&under, &topic, 20).await;
    assert!(answers.iter().all(|a| a["error_code"] == 200), "{answers:?}");
}
