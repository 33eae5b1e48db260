//! Requests a careless or hostile client sends: topic names Kafka refuses (which once killed
//! the process inside librdkafka), oversized bodies, malformed query strings, slow and idle
//! connections. Each gets a clear JSON error or a closed connection, and krest keeps serving.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{call, create_topic, http, new_consumer, unique, Proxy, V2_JSON};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// Names Kafka refuses: too long (513 characters once crashed krest), illegal characters.
/// (`..`, also illegal, cannot be a path segment: URL resolution removes it.)
fn illegal_topics() -> Vec<String> {
    vec![
        "a".repeat(250),
        "b".repeat(513),
        "c".repeat(5000),
        "bad name".into(),
        "é".into(),
    ]
}

/// Percent-encodes a path segment (the illegal names hold spaces and non-ASCII).
fn segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn status_and_code(method: Method, url: &str, body: Option<Value>, content_type: &str) -> (u16, Value) {
    let mut request = http().request(method, url).header("Accept", V2_JSON);
    if let Some(body) = body {
        request = request
            .header("Content-Type", content_type)
            .body(body.to_string());
    }
    let response = request.send().await.expect("krest answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error body");
    (status, body["error_code"].clone())
}

async fn assert_alive(proxy: &Proxy) {
    let (status, _, body) = call(Method::GET, &proxy.url("/brokers"), None, V2_JSON).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn illegal_topic_names_are_400_40002_on_every_topic_route() {
    let proxy = Proxy::start(&[]);
    for topic in illegal_topics() {
        let t = segment(&topic);
        let record = json!({"records": [{"value": "aGk="}]});
        let routes = [
            (Method::GET, format!("/topics/{t}"), None),
            (Method::GET, format!("/topics/{t}/partitions"), None),
            (Method::GET, format!("/topics/{t}/partitions/0"), None),
            (Method::GET, format!("/topics/{t}/partitions/0/offsets"), None),
            (Method::POST, format!("/topics/{t}"), Some(record.clone())),
            (Method::POST, format!("/topics/{t}/partitions/0"), Some(record)),
        ];
        for (method, path, body) in routes {
            let (status, code) = status_and_code(method.clone(), &proxy.url(&path), body, BINARY).await;
            assert_eq!(
                (status, code),
                (400, json!(40002)),
                "{method} {}",
                &path[..path.len().min(80)]
            );
        }
    }
    // The longest legal name reaches Kafka, which does not have it.
    let longest = "z".repeat(249);
    let (status, code) = status_and_code(
        Method::GET,
        &proxy.url(&format!("/topics/{longest}")),
        None,
        BINARY,
    )
    .await;
    assert_eq!((status, code), (404, json!(40403)));
    assert_alive(&proxy).await;
}

#[tokio::test]
async fn illegal_names_and_partitions_never_reach_a_consumer() {
    let topic = unique("hostile-consumer");
    create_topic(&topic, 1, &[]).await;
    // Room for the 40,000-character group id below to reach its handler (the default
    // max.request.header.size answers it 431, see tests/limits.rs).
    let proxy = Proxy::start(&["--set", "max.request.header.size=65536"]);
    let base = new_consumer(&proxy, &unique("group"), json!({})).await;
    let instance = |path: &str| format!("{base}{path}");

    for bad in illegal_topics()
        .into_iter()
        .chain(["..".to_string(), String::new()])
    {
        let partitions = json!({"partitions": [{"topic": bad, "partition": 0}]});
        let requests = [
            (Method::POST, "/subscription", json!({"topics": [bad]})),
            (Method::POST, "/assignments", partitions.clone()),
            (
                Method::POST,
                "/positions",
                json!({"offsets": [{"topic": bad, "partition": 0, "offset": 1}]}),
            ),
            (Method::POST, "/positions/beginning", partitions.clone()),
            (Method::POST, "/positions/end", partitions.clone()),
            (
                Method::POST,
                "/offsets",
                json!({"offsets": [{"topic": bad, "partition": 0, "offset": 1}]}),
            ),
            (Method::GET, "/offsets", partitions),
        ];
        for (method, path, body) in requests {
            let (status, code) = status_and_code(method.clone(), &instance(path), Some(body), V2_JSON).await;
            assert_eq!(
                (status, code),
                (400, json!(40002)),
                "{method} {path} with a {}-character name",
                bad.len()
            );
        }
    }
    // Negative partitions mean "unassigned" to librdkafka: refused before they reach it.
    let negative = json!({"partitions": [{"topic": topic, "partition": -1}]});
    let (status, code) =
        status_and_code(Method::POST, &instance("/assignments"), Some(negative), V2_JSON).await;
    assert_eq!((status, code), (404, json!(40402)));
    // Committing the largest offset does not overflow (a panic in a debug build).
    let assign = json!({"partitions": [{"topic": topic, "partition": 0}]});
    let (status, _, body) = call(Method::POST, &instance("/assignments"), Some(assign), V2_JSON).await;
    assert_eq!(status, 204, "{body}");
    let huge = json!({"offsets": [{"topic": topic, "partition": 0, "offset": i64::MAX}]});
    let (status, code) = status_and_code(Method::POST, &instance("/offsets"), Some(huge), V2_JSON).await;
    assert_eq!(
        (status, code),
        (200, Value::Null),
        "commits offset + 1, saturated"
    );
    // Offset metadata longer than Kafka's protocol carries (it once broke the connection).
    let long_metadata =
        json!({"offsets": [{"topic": topic, "partition": 0, "offset": 1, "metadata": "m".repeat(40_000)}]});
    let (status, code) =
        status_and_code(Method::POST, &instance("/offsets"), Some(long_metadata), V2_JSON).await;
    assert_eq!((status, code), (400, json!(40002)));
    // Settings librdkafka cannot take (a NUL) or a read could not wait (beyond an int).
    for settings in [
        json!({"auto.offset.reset": "earliest\0"}),
        json!({"consumer.request.timeout.ms": u64::MAX.to_string()}),
    ] {
        let url = proxy.url(&format!("/consumers/{}", unique("group")));
        let (status, code) = status_and_code(Method::POST, &url, Some(settings.clone()), V2_JSON).await;
        assert_eq!((status, code), (422, json!(42204)), "{settings}");
    }

    // Found by the campaign: a group id of white space only (librdkafka trims it to nothing)
    // failed the consumer's creation with a 500.
    for blank in ["%0D%0A", "%20", "%09"] {
        let url = proxy.url(&format!("/consumers/{blank}"));
        let (status, code) = status_and_code(Method::POST, &url, Some(json!({})), V2_JSON).await;
        assert_eq!((status, code), (422, json!(42204)), "{blank}");
    }

    // A group id longer than Kafka's protocol carries.
    let long_group = "g".repeat(40_000);
    let (status, code) = status_and_code(
        Method::POST,
        &proxy.url(&format!("/consumers/{long_group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!((status, code), (422, json!(42204)));
    assert_alive(&proxy).await;
}

#[tokio::test]
async fn stack_rejections_are_json_errors() {
    let proxy = Proxy::start(&[]);
    // A body over the 64 MiB limit: 413 with Confluent's JSON error body.
    let address = proxy.base.trim_start_matches("http://").to_string();
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let length = (64 << 20) + 1;
        write!(
            stream,
            "POST /topics/anything HTTP/1.1\r\nHost: {address}\r\nContent-Type: {BINARY}\r\n\
             Accept: {V2_JSON}\r\nContent-Length: {length}\r\n\r\n"
        )
        .unwrap();
        // The server may answer before reading the whole body; a failed write is fine.
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..65 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok();
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains(&format!("content-type: {V2_JSON}")),
        "{response}"
    );
    assert!(response.contains(r#""error_code":413"#), "{response}");

    // A query string that does not parse.
    let base = new_consumer(&proxy, &unique("group"), json!({})).await;
    let response = http()
        .get(format!("{base}/records?timeout=soon"))
        .header("Accept", BINARY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.headers()["content-type"], V2_JSON);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], 400, "{body}");
    assert_alive(&proxy).await;
}

/// Reads from `stream` until the server closes it; true if it did within `limit`.
fn closed_by_server(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // e.g. a 408 before closing
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false, // timed out: still open
        }
    }
}

#[tokio::test]
async fn slow_header_and_idle_connections_are_closed() {
    let proxy = Proxy::start(&[
        "--set",
        "request.header.timeout.ms=1000",
        "--set",
        "idle.timeout.ms=1500",
    ]);
    let address = proxy.base.trim_start_matches("http://").to_string();
    let (slow, idle) = tokio::task::spawn_blocking(move || {
        // Trickles one header byte every 200 ms: never finishes its headers.
        let mut slow = TcpStream::connect(&address).unwrap();
        let trickler = {
            let mut writer = slow.try_clone().unwrap();
            std::thread::spawn(move || {
                for byte in
                    b"GET /brokers HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter()
                {
                    if writer.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        };
        // Sends nothing at all.
        let mut idle = TcpStream::connect(&address).unwrap();
        let results = (
            closed_by_server(&mut slow, Duration::from_secs(20)),
            closed_by_server(&mut idle, Duration::from_secs(20)),
        );
        trickler.join().unwrap();
        results
    })
    .await
    .unwrap();
    assert!(slow, "a client trickling its headers keeps its connection");
    assert!(idle, "a connection sending nothing is never closed");
    assert_alive(&proxy).await;
}

/// Sends `head` and then `body` one byte every 100 ms on a new connection to `address` (until
/// the server stops reading); what the server answered.
fn trickle_body(address: &str, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    let trickler = std::thread::spawn(move || {
        for byte in body {
            if writer.write_all(&[byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok();
    drop(stream);
    trickler.join().unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_trickled_body_is_408_after_request_body_timeout_ms_but_a_produce_stream_is_not() {
    let topic = unique("hostile-trickle");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&["--set", "request.body.timeout.ms=1000"]);
    let address = proxy.base.trim_start_matches("http://").to_string();

    // A v2 produce whose 200-byte body would take 20 s: cut off after 1 s.
    let body = format!(r#"{{"records":[{{"value":"{}"}}]}}"#, "A".repeat(172));
    let head = format!(
        "POST /topics/{topic} HTTP/1.1\r\nHost: krest\r\nContent-Type: {BINARY}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = {
        let (address, body) = (address.clone(), body.clone());
        tokio::task::spawn_blocking(move || trickle_body(&address, &head, body.as_bytes()))
            .await
            .unwrap()
    };
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error_code":408"#), "{answer}");

    // A streamed v3 produce may last longer than the body deadline: it is a stream of records.
    let path = format!("/v3/clusters/{}/topics/{topic}/records", support::cluster_id());
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: krest\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let record = r#"{"value":{"type":"STRING","data":"slow"}}"#;
    let chunks: String = (0..3)
        .map(|_| format!("{:x}\r\n{record}\r\n", record.len()))
        .chain(["0\r\n\r\n".to_string()])
        .collect();
    let answer = tokio::task::spawn_blocking(move || trickle_body(&address, &head, chunks.as_bytes()))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches(r#""error_code":200"#).count(), 3, "{answer}");
    assert_alive(&proxy).await;
}

/// Found by the campaign: an empty group id (`consumer-groups//lags`) reached librdkafka,
/// which refused it, and krest answered 500. Ids that can name no group are 404.
#[tokio::test]
async fn group_ids_that_name_no_group_are_404_on_every_v3_group_route() {
    // Room for the 40,000-character id to reach its handler.
    let proxy = Proxy::start(&["--set", "max.request.header.size=65536"]);
    let cluster = support::v3_cluster(&proxy);
    for group in ["", "%00", &"g".repeat(40_000)] {
        let me = format!("{cluster}/consumer-groups/{group}");
        for url in [
            format!("{me}/consumers"),
            format!("{me}/consumers/c"),
            format!("{me}/consumers/c/assignments"),
            format!("{me}/consumers/c/assignments/t/partitions/0"),
            format!("{me}/lags"),
            format!("{me}/lags/t/partitions/0"),
            format!("{me}/lag-summary"),
        ] {
            let (status, _, body) = support::call_v3(Method::GET, &url, None).await;
            assert_eq!(
                (status, &body["error_code"]),
                (404, &json!(404)),
                "{}: {body}",
                &url[..url.len().min(120)]
            );
        }
    }
    assert_alive(&proxy).await;
}

/// Found by the campaign: an `acls:batch` with no ACLs reached librdkafka, which refused it
/// (500 "No acls to create"). Nothing to create is done at once, as by Kafka's Java client.
#[tokio::test]
async fn an_empty_acl_batch_is_204() {
    let proxy = Proxy::start(&[]);
    let url = format!("{}/acls:batch", support::v3_cluster(&proxy));
    let (status, _, body) = support::call_v3(Method::POST, &url, Some(json!({"data": []}))).await;
    assert_eq!(status, 204, "{body}");
    assert_alive(&proxy).await;
}
