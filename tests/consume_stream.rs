//! Streamed consume on a real broker: `GET .../records` as Server-Sent Events and NDJSON —
//! records and their order, values byte for byte, resume by `Last-Event-ID`, commits, heartbeats,
//! the end of a stream, a slow reader's memory, CORS and a headless Chromium's `EventSource`.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use support::{call, create_topic, http, new_consumer, produce_direct, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const JSON: &str = "application/vnd.kafka.json.v2+json";
const SSE: &str = "text/event-stream";
const NDJSON: &str = "application/x-ndjson";

/// How long a test waits for the next piece of a stream before it fails (never a measurement).
const STALL: Duration = Duration::from_secs(60);

fn start() -> Proxy {
    Proxy::start(&["--set", "consumer.stream.heartbeat.ms=300"])
}

/// A consumer instance of `format` that reads `topic` from its beginning.
async fn consumer(proxy: &Proxy, format: &str, topic: &str) -> String {
    let settings = json!({"format": format, "auto.offset.reset": "earliest"});
    let base = new_consumer(proxy, &unique("stream-group"), settings).await;
    let (status, _, body) = call(
        Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    base
}

/// One Server-Sent Event as the stream wrote it.
#[derive(Debug, Default)]
struct Event {
    id: Option<String>,
    kind: Option<String>,
    data: Option<String>,
    comment: Option<String>,
}

/// An open streamed read and what arrived of it but was not taken yet.
struct Stream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl Stream {
    async fn open(base: &str, accept: &str, last_event_id: Option<&str>) -> Stream {
        let mut request = http().get(format!("{base}/records")).header("Accept", accept);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], accept);
        assert_eq!(response.headers()["cache-control"], "no-cache");
        Stream {
            response,
            buffer: Vec::new(),
        }
    }

    /// The next piece ending in `separator` (without it); `None` once the stream ended.
    async fn next(&mut self, separator: &[u8]) -> Option<String> {
        loop {
            if let Some(at) = self.buffer.windows(separator.len()).position(|w| w == separator) {
                let piece: Vec<u8> = self.buffer.drain(..at + separator.len()).take(at).collect();
                return Some(String::from_utf8(piece).unwrap());
            }
            let chunk = tokio::time::timeout(STALL, self.response.chunk())
                .await
                .expect("the stream stalled")
                .expect("the stream broke");
            match chunk {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None => {
                    assert!(self.buffer.is_empty(), "a partial piece at the end");
                    return None;
                }
            }
        }
    }

    async fn event(&mut self) -> Option<Event> {
        let text = self.next(b"\n\n").await?;
        let mut event = Event::default();
        for line in text.lines() {
            let (field, value) = line.split_once(": ").unwrap_or((line, ""));
            let value = Some(value.to_string());
            match field {
                "id" => event.id = value,
                "event" => event.kind = value,
                "data" => {
                    assert!(event.data.is_none(), "one data line per event: {text}");
                    event.data = value;
                }
                "" => event.comment = value,
                _ => panic!("unexpected line {line:?}"),
            }
        }
        Some(event)
    }

    /// The next `count` records (events' ids and data), heartbeats skipped.
    async fn records(&mut self, count: usize) -> Vec<(String, String)> {
        let mut records = Vec::new();
        while records.len() < count {
            let event = self.event().await.expect("the stream ended early");
            if event.comment.is_some() {
                continue;
            }
            assert_eq!(event.kind, None, "{event:?}");
            records.push((event.id.unwrap(), event.data.unwrap()));
        }
        records
    }

    /// The next `count` NDJSON lines that are records (heartbeat lines skipped).
    async fn lines(&mut self, count: usize) -> Vec<String> {
        let mut lines = Vec::new();
        while lines.len() < count {
            let line = self.next(b"\n").await.expect("the stream ended early");
            if !line.is_empty() {
                lines.push(line);
            }
        }
        lines
    }
}

fn id_of(record: &Value) -> String {
    format!(
        "{}/{}/{}",
        record["topic"].as_str().unwrap(),
        record["partition"],
        record["offset"]
    )
}

/// Polled reads of a fresh instance until `count` records came: what a stream must equal.
async fn polled(proxy: &Proxy, format: &str, accept: &str, topic: &str, count: usize) -> Vec<Value> {
    let base = consumer(proxy, format, topic).await;
    let records = support::read_records_as(&base, accept, count).await.unwrap();
    assert_eq!(records.len(), count);
    records
}

/// Every byte value, in a value per record that differs per partition and offset.
fn binary_value(partition: i32, offset: usize) -> Vec<u8> {
    let mut value: Vec<u8> = (0..=255u8).collect();
    value.extend(format!("{partition}/{offset}").bytes());
    value
}

#[tokio::test]
async fn sse_streams_records_in_order_with_ids_and_values_byte_for_byte() {
    let topic = unique("stream-sse");
    create_topic(&topic, 3, &[]).await;
    for partition in 0..3 {
        let values: Vec<Vec<u8>> = (0..20).map(|offset| binary_value(partition, offset)).collect();
        let records: Vec<(Option<&[u8]>, &[u8])> =
            values.iter().map(|v| (Some(&b"k"[..]), v.as_slice())).collect();
        produce_direct(&topic, partition, &records).await;
    }
    let proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    let streamed = stream.records(60).await;

    let mut next_offset: HashMap<i64, i64> = HashMap::new();
    for (id, data) in &streamed {
        let record: Value = serde_json::from_str(data).unwrap();
        assert_eq!(id, &id_of(&record));
        let partition = record["partition"].as_i64().unwrap();
        let offset = record["offset"].as_i64().unwrap();
        let expected = next_offset.entry(partition).or_insert(0);
        assert_eq!(offset, *expected, "partition {partition} in order, none skipped");
        *expected += 1;
        let value = base64::engine::general_purpose::STANDARD
            .decode(record["value"].as_str().unwrap())
            .unwrap();
        assert_eq!(value, binary_value(partition as i32, offset as usize));
        assert_eq!(record["key"], "aw==");
    }
    assert_eq!(next_offset, HashMap::from([(0, 20), (1, 20), (2, 20)]));

    // Each event's data is the record exactly as a polled read returns it.
    let mut by_id: HashMap<String, Value> = polled(&proxy, "binary", BINARY, &topic, 60)
        .await
        .into_iter()
        .map(|r| (id_of(&r), r))
        .collect();
    for (id, data) in &streamed {
        assert_eq!(data, &by_id.remove(id).unwrap().to_string());
    }
}

#[tokio::test]
async fn ndjson_streams_json_values_byte_for_byte() {
    let topic = unique("stream-ndjson");
    create_topic(&topic, 1, &[]).await;
    let values: [&[u8]; 4] = [
        r#"{"a":[1,2.5,"é\n\"x\""],"b":null,"c":{"d":true}}"#.as_bytes(),
        b"42",
        "\"caf\u{e9} \u{1f980}\"".as_bytes(),
        br#"[{"n":-0.5},[]]"#,
    ];
    let records: Vec<(Option<&[u8]>, &[u8])> =
        values.iter().map(|v| (Some(&br#"{"id":1}"#[..]), *v)).collect();
    produce_direct(&topic, 0, &records).await;
    let proxy = start();
    let base = consumer(&proxy, "json", &topic).await;
    let mut stream = Stream::open(&base, NDJSON, None).await;
    let lines = stream.lines(4).await;
    for (offset, (line, value)) in lines.iter().zip(values).enumerate() {
        let value = std::str::from_utf8(value).unwrap();
        assert_eq!(
            line,
            &format!(
                r#"{{"topic":"{topic}","key":{{"id":1}},"value":{value},"partition":0,"offset":{offset}}}"#
            )
        );
    }
    let polled: Vec<String> = polled(&proxy, "json", JSON, &topic, 4)
        .await
        .iter()
        .map(Value::to_string)
        .collect();
    let streamed: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap().to_string())
        .collect();
    assert_eq!(streamed, polled);
    // No record for consumer.stream.heartbeat.ms: an empty line.
    assert_eq!(stream.next(b"\n").await.as_deref(), Some(""));
}

#[tokio::test]
async fn last_event_id_resumes_after_the_record_named() {
    let topic = unique("stream-resume");
    create_topic(&topic, 1, &[]).await;
    let values: Vec<Vec<u8>> = (0..30).map(|i| format!("record {i}").into_bytes()).collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_slice())).collect();
    produce_direct(&topic, 0, &records).await;
    let proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    let first = stream.records(7).await;
    let last_id = first.last().unwrap().0.clone();
    assert_eq!(last_id, format!("{topic}/0/6"));
    // The client goes away mid-stream (krest may have sent more than it read); krest notices
    // at its next write, a heartbeat at the latest.
    drop(stream);
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut resumed = Stream::open(&base, SSE, Some(&last_id)).await;
    let rest = resumed.records(23).await;
    let offsets: Vec<String> = rest.iter().map(|(id, _)| id.clone()).collect();
    let expected: Vec<String> = (7..30).map(|o| format!("{topic}/0/{o}")).collect();
    assert_eq!(offsets, expected, "nothing repeated, nothing skipped");
    // And nothing after the last record but heartbeats.
    let event = resumed.event().await.unwrap();
    assert_eq!(event.comment.as_deref(), Some("keep-alive"), "{event:?}");

    // A Last-Event-ID of another shape is refused before the stream starts.
    let response = http()
        .get(format!("{base}/records"))
        .header("Accept", SSE)
        .header("Last-Event-ID", "no-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], V2_JSON);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], 400);
}

#[tokio::test]
async fn commit_without_a_body_commits_what_was_streamed_while_streaming() {
    let topic = unique("stream-commit");
    create_topic(&topic, 1, &[]).await;
    let values: Vec<Vec<u8>> = (0..12).map(|i| vec![i as u8; 10]).collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_slice())).collect();
    produce_direct(&topic, 0, &records).await;
    let proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    assert_eq!(stream.records(12).await.len(), 12);

    // The stream is open: the instance still takes calls. A polled read gets what the stream
    // did not take: nothing.
    let (status, _, body) = call(Method::GET, &format!("{base}/records?timeout=200"), None, BINARY).await;
    assert_eq!((status, body), (200, json!([])));
    let (status, _, body) = call(Method::POST, &format!("{base}/offsets"), None, V2_JSON).await;
    assert_eq!((status, body), (200, json!([])));
    let query = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let mut committed = Value::Null;
    for _ in 0..100 {
        committed = call(
            Method::GET,
            &format!("{base}/offsets"),
            Some(query.clone()),
            V2_JSON,
        )
        .await
        .2;
        if committed["offsets"][0]["offset"] == 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(committed["offsets"][0]["offset"], 12, "{committed}");

    // A new instance of the group starts after the committed records.
    let group = base
        .split("/consumers/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let (status, _, _) = call(Method::DELETE, &base, None, V2_JSON).await;
    assert_eq!(status, 204);
    produce_direct(&topic, 0, &[(None, b"after")]).await;
    let next = new_consumer(&proxy, group, json!({"format": "binary"})).await;
    let (status, _, _) = call(
        Method::POST,
        &format!("{next}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204);
    let records = support::read_records_as(&next, BINARY, 1).await.unwrap();
    assert_eq!(records[0]["offset"], 12, "{records:?}");
}

#[tokio::test]
async fn heartbeats_flow_and_deleting_the_instance_ends_the_stream() {
    let topic = unique("stream-idle");
    create_topic(&topic, 1, &[]).await;
    let proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    for _ in 0..2 {
        let event = stream.event().await.unwrap();
        assert_eq!(event.comment.as_deref(), Some("keep-alive"), "{event:?}");
        assert_eq!((event.id, event.data), (None, None));
    }
    let (status, _, _) = call(Method::DELETE, &base, None, V2_JSON).await;
    assert_eq!(status, 204);
    while let Some(event) = stream.event().await {
        assert!(
            event.comment.is_some(),
            "only heartbeats before the end: {event:?}"
        );
    }
}

#[tokio::test]
async fn streams_refuse_before_the_first_byte_and_polled_reads_are_unchanged() {
    let proxy = start();
    let base = new_consumer(&proxy, &unique("stream-group"), json!({"format": "binary"})).await;
    for accept in [SSE, NDJSON] {
        let (status, content_type, body) = call(Method::GET, &format!("{base}/records"), None, accept).await;
        assert_eq!((status, content_type.as_str()), (409, V2_JSON));
        assert_eq!(body["error_code"], 40903);
    }
    // Only records streams: other consumer calls still answer 406 to a stream type.
    let response = http()
        .get(format!("{base}/subscription"))
        .header("Accept", SSE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406);
    // A polled read of a JSON instance still refuses the binary type.
    let topic = unique("stream-polled");
    create_topic(&topic, 1, &[]).await;
    let json_base = consumer(&proxy, "json", &topic).await;
    let (status, _, body) = call(Method::GET, &format!("{json_base}/records"), None, BINARY).await;
    assert_eq!((status, &body["error_code"]), (406, &json!(40601)));
}

#[tokio::test]
async fn sigterm_ends_open_streams() {
    let topic = unique("stream-stop");
    create_topic(&topic, 1, &[]).await;
    let mut proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, NDJSON, None).await;
    assert_eq!(stream.next(b"\n").await.as_deref(), Some(""));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(proxy.pid()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    while let Some(line) = stream.next(b"\n").await {
        assert_eq!(line, "");
    }
    assert!(proxy.wait(STALL).success(), "{}", proxy.stderr());
    assert!(!proxy.stderr().contains("abandoned"), "{}", proxy.stderr());
}

#[tokio::test]
async fn a_slow_reader_keeps_memory_bounded() {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    const RECORDS: usize = 800;
    const VALUE_BYTES: usize = 64 << 10;
    let topic = unique("stream-slow");
    create_topic(&topic, 1, &[]).await;
    produce_direct(&topic, 0, &[(None, b"first")]).await;
    let proxy = start();
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    assert_eq!(stream.records(1).await.len(), 1);
    let before = proxy.rss_kib();

    // 50 MB produced while the client reads nothing.
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .set("linger.ms", "20")
        .create()
        .unwrap();
    let value = vec![b'v'; VALUE_BYTES];
    let sends = (0..RECORDS).map(|_| {
        producer.send(
            FutureRecord::<(), [u8]>::to(&topic)
                .partition(0)
                .payload(&value[..]),
            Duration::from_secs(30),
        )
    });
    for sent in futures_util::future::join_all(sends).await {
        sent.expect("acknowledged");
    }
    // Whatever krest would buffer, it had the time to: the broker holds the records, and
    // krest's stream waits on a full socket.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = proxy.rss_kib();
    eprintln!("krest RSS with a stalled stream: {before} KiB before, {after} KiB after the produce");
    assert!(
        after < before + 24 * 1024,
        "RSS grew from {before} KiB to {after} KiB while {} MB waited for a slow reader",
        (RECORDS * VALUE_BYTES) >> 20
    );

    // The reader catches up: every record, in order.
    let rest = stream.records(RECORDS).await;
    for (index, (id, data)) in rest.iter().enumerate() {
        assert_eq!(id, &format!("{topic}/0/{}", index + 1));
        assert!(data.len() > VALUE_BYTES);
    }
}

/// CORS: Confluent's `access.control.allow.*` keys on every route and preflight request.
#[tokio::test]
async fn cors_headers_follow_access_control_keys() {
    let proxy = Proxy::start(&[
        "--set",
        "access.control.allow.origin=http://a.example,http://b.example",
        "--set",
        "access.control.allow.methods=GET,POST,DELETE",
    ]);
    let preflight = http()
        .request(Method::OPTIONS, proxy.url("/consumers/g/instances/i/records"))
        .header("Origin", "http://b.example")
        .header("Access-Control-Request-Method", "DELETE")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://b.example");
    assert_eq!(headers["access-control-allow-methods"], "GET,POST,DELETE");
    assert!(headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("content-type"));

    let allowed = http()
        .get(proxy.url("/topics"))
        .header("Origin", "http://a.example")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://a.example"
    );
    let other = http()
        .get(proxy.url("/topics"))
        .header("Origin", "http://c.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // Without the keys, no CORS headers.
    let plain = Proxy::start(&[]);
    let response = http()
        .get(plain.url("/topics"))
        .header("Origin", "http://a.example")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
}

/// A page served from another origin opens an `EventSource` on krest in headless Chromium and
/// posts each event back to the server that served it. Chromium must be installed.
#[tokio::test]
async fn a_browser_event_source_receives_produced_records() {
    let topic = unique("stream-browser");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&["--set", "access.control.allow.origin=*"]);
    let base = consumer(&proxy, "json", &topic).await;
    let values: Vec<String> = (0..5)
        .map(|i| json!({"n": i, "text": format!("record {i}")}).to_string())
        .collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_bytes())).collect();
    produce_direct(&topic, 0, &records).await;

    let page = format!(
        r#"<!doctype html><script>
const events = new EventSource("{base}/records");
events.onmessage = (e) => fetch("/got", {{method: "POST", body: e.lastEventId + " " + e.data}});
events.onerror = () => fetch("/got", {{method: "POST", body: "error"}});
</script>"#
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let page_url = format!("http://{}/", listener.local_addr().unwrap());
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for socket in listener.incoming().map_while(Result::ok) {
            let (page, got) = (page.clone(), got_tx.clone());
            std::thread::spawn(move || serve_page(socket, &page, &got));
        }
    });
    let profile = support::temp_dir("chromium-profile");
    let chromium = std::process::Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&page_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium is installed (apt-get install chromium)");
    let _chromium = KillOnDrop(chromium);

    let mut received = Vec::new();
    while received.len() < values.len() {
        let body = tokio::time::timeout(STALL, got_rx.recv())
            .await
            .expect("the page posted nothing")
            .unwrap();
        assert_ne!(body, "error", "EventSource failed");
        received.push(body);
    }
    received.sort_by_key(|body| {
        body.split(' ')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    });
    for (offset, (body, value)) in received.iter().zip(&values).enumerate() {
        let (id, data) = body.split_once(' ').unwrap();
        assert_eq!(id, format!("{topic}/0/{offset}"));
        let record: Value = serde_json::from_str(data).unwrap();
        assert_eq!(record["value"], serde_json::from_str::<Value>(value).unwrap());
    }
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Answers one request of the page's origin: `GET /` the page, `POST /got` a received event.
fn serve_page(mut socket: std::net::TcpStream, page: &str, got: &tokio::sync::mpsc::UnboundedSender<String>) {
    use std::io::{Read, Write};
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_end, length) = loop {
        let Ok(n @ 1..) = socket.read(&mut chunk) else {
            return;
        };
        request.extend_from_slice(&chunk[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            break (at + 4, length);
        }
    };
    while request.len() < head_end + length {
        let Ok(n @ 1..) = socket.read(&mut chunk) else {
            return;
        };
        request.extend_from_slice(&chunk[..n]);
    }
    let body = if request.starts_with(b"POST /got") {
        got.send(String::from_utf8_lossy(&request[head_end..]).into_owned())
            .ok();
        ""
    } else if request.starts_with(b"GET / ") {
        page
    } else {
        ""
    };
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(answer.as_bytes()).ok();
}

#[tokio::test]
async fn an_undecodable_record_ends_the_stream_with_an_error_event() {
    let topic = unique("stream-bad");
    create_topic(&topic, 1, &[]).await;
    produce_direct(&topic, 0, &[(None, br#"{"ok":1}"#), (None, b"{not json")]).await;
    let proxy = start();
    let base = consumer(&proxy, "json", &topic).await;
    let mut stream = Stream::open(&base, SSE, None).await;
    let (id, _) = stream.records(1).await.remove(0);
    assert_eq!(id, format!("{topic}/0/0"));
    let event = stream.event().await.unwrap();
    assert_eq!(event.kind.as_deref(), Some("error"), "{event:?}");
    let error: Value = serde_json::from_str(event.data.as_deref().unwrap()).unwrap();
    assert_eq!(error["error_code"], 40801, "{error}");
    assert!(stream.event().await.is_none(), "the stream ends after its error");
}

#[tokio::test]
async fn an_open_stream_keeps_its_instance_from_expiring() {
    let topic = unique("stream-expiry");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[
        "--set",
        "consumer.stream.heartbeat.ms=300",
        "--set",
        "consumer.instance.timeout.ms=1000",
    ]);
    let base = consumer(&proxy, "binary", &topic).await;
    let mut stream = Stream::open(&base, NDJSON, None).await;
    // Heartbeats for three times the instance's idle timeout.
    for _ in 0..10 {
        assert_eq!(stream.next(b"\n").await.as_deref(), Some(""));
    }
    let (status, _, body) = call(Method::GET, &format!("{base}/subscription"), None, V2_JSON).await;
    assert_eq!(status, 200, "{body}");
    // Once the stream is gone, the instance expires (watched through the metrics: a call on
    // the instance would mark it as used).
    drop(stream);
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = proxy.metrics().await;
        if metrics.contains("krest_consumer_instances_expired_total 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        metrics.contains("krest_consumer_instances_expired_total 1"),
        "{metrics}"
    );
    let (status, _, _) = call(Method::GET, &format!("{base}/subscription"), None, V2_JSON).await;
    assert_eq!(status, 404);
}

/// A stream opened at a process that does not hold the instance is forwarded to the one
/// that does and streams through as it comes.
#[tokio::test]
async fn a_stream_opened_at_another_process_streams_through_it() {
    let topic = unique("stream-forwarded");
    create_topic(&topic, 1, &[]).await;
    let directory = format!("consumer.directory.topic={}", unique("_krest_consumers"));
    let owner = Proxy::start(&["--set", &directory]);
    let other = Proxy::start(&["--set", &directory, "--set", "consumer.stream.heartbeat.ms=300"]);
    let base = consumer(&owner, "binary", &topic)
        .await
        .replacen(&owner.base, &other.base, 1);
    let mut stream = Stream::open(&base, SSE, None).await;
    // Records produced after the stream opened arrive through both processes.
    let values: Vec<Vec<u8>> = (0..10).map(|offset| binary_value(0, offset)).collect();
    let records: Vec<(Option<&[u8]>, &[u8])> = values.iter().map(|v| (None, v.as_slice())).collect();
    produce_direct(&topic, 0, &records).await;
    let streamed = stream.records(10).await;
    let ids: Vec<String> = streamed.iter().map(|(id, _)| id.clone()).collect();
    let expected: Vec<String> = (0..10).map(|offset| format!("{topic}/0/{offset}")).collect();
    assert_eq!(ids, expected);
}
