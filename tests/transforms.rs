//! Transforms in the data path (`transforms`, `transforms.NAME.*`) on the real broker: what a
//! transform keeps, replaces, drops, fails or routes on produce, headers and timestamps in
//! both directions, the order of a chain, a trapping transform failing only its request, a
//! transform replaced under load, and consumed records left out yet committed. The
//! `script-transform` fixture does what each record's value tells it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use support::{
    bootstrap, call, create_topic, http, install_plugin, plugin_wasm, stored, temp_dir, unique, ProduceLoad,
    Proxy, V2_JSON,
};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

fn b64(text: &str) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text)
}

/// A plugins folder with the script fixture installed under each of `names` (with `NAME.toml`
/// contents when given).
fn scripts(names: &[(&str, Option<&str>)]) -> std::path::PathBuf {
    let dir = temp_dir("krest-transforms");
    let wasm = plugin_wasm("krest-fixture-script-transform");
    for (name, config) in names {
        install_plugin(&dir, name, &wasm);
        if let Some(config) = config {
            std::fs::write(dir.join(format!("{name}.toml")), config).unwrap();
        }
    }
    dir
}

fn proxy_with(dir: &std::path::Path, settings: &[&str]) -> Proxy {
    let mut args = vec!["--set".to_string(), format!("plugins.dir={}", dir.display())];
    for setting in settings {
        args.extend(["--set".to_string(), setting.to_string()]);
    }
    Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Produces binary `values` to `topic` with `x-request-id: req-42`; status and answer.
async fn produce(proxy: &Proxy, topic: &str, values: &[&str]) -> (u16, Value) {
    let records: Vec<Value> = values.iter().map(|v| json!({ "value": b64(v) })).collect();
    let response = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", BINARY)
        .header("Accept", V2_JSON)
        .header("x-request-id", "req-42")
        .body(json!({ "records": records }).to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn produce_transforms_keep_replace_drop_fail_and_route_records() {
    let (topic, routed) = (unique("tr-produce"), unique("tr-routed"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&routed, 1, &[]).await;
    let dir = scripts(&[("script", None)]);
    let proxy = proxy_with(
        &dir,
        &[
            "transforms=script",
            "transforms.script.topics.regex=tr-produce-.*",
        ],
    );

    let route = format!("route:{routed}");
    let (status, answer) = produce(&proxy, &topic, &["a", "drop", "error", &route, "stamp"]).await;
    assert_eq!(status, 200, "{answer}");
    let offsets = &answer["offsets"];
    assert_eq!(
        offsets[0],
        json!({"partition": 0, "offset": 0, "error_code": null, "error": null})
    );
    assert_eq!(
        offsets[1],
        json!({"partition": null, "offset": null, "error_code": 42211, "error": "Record dropped by transform `script`"})
    );
    assert_eq!(offsets[2]["error_code"], 42210, "{answer}");
    assert_eq!(
        offsets[2]["error"],
        "Record refused by transform `script`: told to fail"
    );
    assert_eq!(
        (offsets[3]["partition"].clone(), offsets[3]["offset"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(offsets[4]["offset"], 1, "{answer}");

    let here = stored(&topic, 2);
    assert_eq!(here[0].0, "a");
    assert_eq!(
        here[1],
        (
            "stamped".to_string(),
            vec![
                ("x-principal".into(), "-".into()),
                ("x-request-id".into(), "req-42".into())
            ],
            Some(1_700_000_000_000)
        )
    );
    assert_eq!(stored(&routed, 1)[0].0, route);

    // Topics the filter does not match are untouched.
    let other = unique("plain");
    create_topic(&other, 1, &[]).await;
    let (status, answer) = produce(&proxy, &other, &["drop"]).await;
    assert_eq!((status, answer["offsets"][0]["offset"].clone()), (200, json!(0)));
    assert_eq!(stored(&other, 1)[0].0, "drop");
}

#[tokio::test]
async fn a_chain_applies_in_the_configured_order() {
    let topic = unique("tr-chain");
    create_topic(&topic, 1, &[]).await;
    let dir = scripts(&[
        ("first", Some("append = \"1\"\n")),
        ("second", Some("append = \"2\"\n")),
    ]);
    let forward = proxy_with(&dir, &["transforms=first,second"]);
    assert_eq!(produce(&forward, &topic, &["v"]).await.0, 200);
    let backward = proxy_with(&dir, &["transforms=second,first"]);
    assert_eq!(produce(&backward, &topic, &["v"]).await.0, 200);
    let values: Vec<String> = stored(&topic, 2).into_iter().map(|r| r.0).collect();
    assert_eq!(values, ["v12", "v21"]);
}

/// A transform that traps fails the request that called it, nothing of it is written, and
/// the next request is served; replacing the plugin file under load fails no request.
#[tokio::test]
async fn a_trapping_transform_fails_only_its_request_and_replacement_fails_none() {
    let topic = unique("tr-trap");
    create_topic(&topic, 1, &[]).await;
    let dir = scripts(&[("script", Some("append = \"!\"\n"))]);
    let proxy = Arc::new(proxy_with(&dir, &["transforms=script"]));
    let (status, answer) = produce(&proxy, &topic, &["fine", "trap"]).await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (500, json!(50010)),
        "{answer}"
    );
    let (status, answer) = produce(&proxy, &topic, &["fine"]).await;
    assert_eq!(
        (status, answer["offsets"][0]["offset"].clone()),
        (200, json!(0)),
        "{answer}"
    );

    let load = ProduceLoad::start(
        Arc::clone(&proxy),
        &topic,
        BINARY,
        json!({ "records": [{ "value": b64("load") }] }),
        |status, answer| status == 200 && answer["offsets"][0]["error_code"].is_null(),
    );
    let wasm = plugin_wasm("krest-fixture-script-transform");
    for round in 0..10 {
        install_plugin(&dir, "script", &wasm);
        std::fs::write(dir.join("script.toml"), format!("append = \"{round}\"\n")).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (sent, failed) = load.stop().await;
    assert!(sent > 10, "the client kept sending ({sent})");
    assert_eq!(
        failed, 0,
        "{failed} of {sent} requests failed while the transform was replaced"
    );
    assert_eq!(stored(&topic, sent + 1)[0].0, "fine!");
}

/// On consume, transforms see Kafka's headers and timestamps; records they drop or fail are
/// left out of the read but count as read, so a commit moves past them.
#[tokio::test]
async fn consume_transforms_see_headers_and_left_out_records_are_committed() {
    let topic = unique("tr-consume");
    create_topic(&topic, 1, &[]).await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for value in ["one", "hide", "show", "fail", "two", "hide"] {
        let headers = OwnedHeaders::new().insert(Header {
            key: "h",
            value: Some("v"),
        });
        let record = FutureRecord::<(), _>::to(&topic)
            .payload(value)
            .headers(headers)
            .timestamp(123);
        producer.send(record, Duration::from_secs(10)).await.unwrap();
    }
    let dir = scripts(&[("script", None)]);
    let proxy = proxy_with(&dir, &["transforms=script", "transforms.script.on=consume"]);
    let group = unique("tr-group");
    let base = support::new_consumer(
        &proxy,
        &group,
        json!({"format": "binary", "auto.offset.reset": "earliest"}),
    )
    .await;
    let (status, _, _) = call(
        reqwest::Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204);
    let mut read: Vec<(String, i64)> = Vec::new();
    for _ in 0..30 {
        let (status, _, records) = call(reqwest::Method::GET, &format!("{base}/records"), None, BINARY).await;
        assert_eq!(status, 200, "{records}");
        for record in records.as_array().unwrap() {
            let value = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                record["value"].as_str().unwrap(),
            )
            .unwrap();
            read.push((
                String::from_utf8(value).unwrap(),
                record["offset"].as_i64().unwrap(),
            ));
        }
        if read.len() >= 3 {
            break;
        }
    }
    assert_eq!(
        read,
        [
            ("one".to_string(), 0),
            ("h=v|ts=123".to_string(), 2),
            ("two".to_string(), 4)
        ]
    );
    // The trailing dropped record was read too: committing everything read commits offset 6.
    let (status, _, _) = call(reqwest::Method::POST, &format!("{base}/offsets"), None, V2_JSON).await;
    assert_eq!(status, 200);
    let (status, _, committed) = call(
        reqwest::Method::GET,
        &format!("{base}/offsets"),
        Some(json!({"partitions": [{"topic": topic, "partition": 0}]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{committed}");
    assert_eq!(committed["offsets"][0]["offset"], 6, "{committed}");

    // Produce is untouched when the transform runs on consume only.
    let (status, answer) = produce(&proxy, &topic, &["drop"]).await;
    assert_eq!(
        (status, answer["offsets"][0]["offset"].clone()),
        (200, json!(6)),
        "{answer}"
    );
}

/// A topic a transform routes to is authorized like a direct produce: with the `allowlist`
/// auth plugin, `alice-key` may write `alice-*` topics only.
#[tokio::test]
async fn a_routed_record_is_authorized_like_a_direct_produce() {
    let (topic, allowed, refused) = (unique("alice-tr"), unique("alice-routed"), unique("bob-routed"));
    for t in [&topic, &allowed, &refused] {
        create_topic(t, 1, &[]).await;
    }
    let dir = scripts(&[("script", None)]);
    install_plugin(&dir, "allowlist", &plugin_wasm("krest-example-allowlist"));
    std::fs::write(dir.join("allowlist.toml"), "[keys]\nalice-key = \"alice-\"\n").unwrap();
    let proxy = proxy_with(&dir, &["auth.plugins=allowlist", "transforms=script"]);
    let records: Vec<Value> = [format!("route:{allowed}"), format!("route:{refused}")]
        .iter()
        .map(|v| json!({ "value": b64(v) }))
        .collect();
    let response = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .header("Content-Type", BINARY)
        .header("x-api-key", "alice-key")
        .body(json!({ "records": records }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        403,
        "a refused record makes the answer 403"
    );
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["offsets"][0]["offset"], 0, "{answer}");
    assert_eq!(answer["offsets"][1]["error_code"], 40301, "{answer}");
    assert_eq!(stored(&allowed, 1)[0].0, format!("route:{allowed}"));
    assert_eq!(support::end_offset_direct(&refused, 0), 0);
}

/// `POST /plugins/{name}/test` answers what a transform or a format would do with sample
/// records, refuses bad input clearly, reports a trapping plugin as failed, and writes nothing.
#[tokio::test]
async fn dry_runs_show_what_a_plugin_would_do_and_touch_no_kafka() {
    let topic = unique("tr-dry");
    create_topic(&topic, 1, &[]).await;
    let dir = scripts(&[("script", None)]);
    let proxy = proxy_with(&dir, &[]);
    let try_plugin = async |name: &str, body: Value| {
        let url = proxy.url(&format!("/plugins/{name}/test"));
        let (status, _, answer) = call(reqwest::Method::POST, &url, Some(body), V2_JSON).await;
        (status, answer)
    };
    let values = ["keep", "drop", "error", "stamp"].map(|v| json!({ "value": b64(v) }));
    let (status, answer) = try_plugin("script", json!({"topic": topic, "records": values})).await;
    assert_eq!(status, 200, "{answer}");
    let results = &answer["results"];
    assert_eq!(results[0]["outcome"], "keep");
    assert_eq!(results[0]["record"]["value"], b64("keep"));
    assert_eq!(results[1], json!({"outcome": "drop"}));
    assert_eq!(results[2], json!({"outcome": "error", "message": "told to fail"}));
    assert_eq!(results[3]["outcome"], "replace");
    assert_eq!(results[3]["record"]["value"], b64("stamped"));
    assert_eq!(results[3]["record"]["timestamp"], 1_700_000_000_000i64);
    assert_eq!(
        results[3]["record"]["headers"][0],
        json!({"name": "x-principal", "value": b64("-")})
    );

    let consume = json!({"direction": "consume", "records": [{"value": b64("show"), "headers": [{"name": "h", "value": b64("v")}], "timestamp": 5}]});
    let (status, answer) = try_plugin("script", consume).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["record"]["value"], b64("h=v|ts=5"));

    let (status, answer) = try_plugin("json", json!({"records": [{"key": {"a": 1}, "value": [1, 2]}]})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kind"], "format");
    assert_eq!(answer["results"][0]["key_bytes"], b64(r#"{"a":1}"#));
    assert_eq!(answer["results"][0]["value"], json!([1, 2]));

    let (status, answer) = try_plugin("script", json!({"records": [{"value": b64("trap")}]})).await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (500, json!(50010)),
        "{answer}"
    );
    let (status, answer) = try_plugin("nope", json!({"records": [{"value": b64("x")}]})).await;
    assert_eq!(status, 404, "{answer}");
    let bad_header = json!({"records": [{"value": b64("x"), "headers": [{"name": "h", "value": "%%"}]}]});
    let (status, answer) = try_plugin("script", bad_header).await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (422, json!(422)),
        "{answer}"
    );
    let (status, answer) = try_plugin("script", json!({"records": [{"value": "not base64!"}]})).await;
    assert_eq!(status, 400, "{answer}");
    let response = http()
        .post(proxy.url("/plugins/script/test"))
        .header("Content-Type", V2_JSON)
        .body("{\"records\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["error_code"].is_u64(), "{answer}");
    assert_eq!(
        support::end_offset_direct(&topic, 0),
        0,
        "a dry run wrote to Kafka"
    );
}

/// The example of the docs, run as written: `redact` masks `ssn` at any depth in records
/// produced to `pii-*` topics, and leaves other topics alone.
#[tokio::test]
async fn the_transforms_example_redacts_pii_topics_as_written() {
    let (pii, other) = (unique("pii-users"), unique("users"));
    create_topic(&pii, 1, &[]).await;
    create_topic(&other, 1, &[]).await;
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/transforms");
    let proxy = Proxy::run(support::krest_as_written(
        &["--config", &format!("{example}/kafka-rest.properties")],
        &[("KAFKA_REST_BOOTSTRAP_SERVERS", &bootstrap())],
    ));
    assert_eq!(proxy.base, "http://127.0.0.1:8082");
    let body = json!({"records": [{"value": {"name": "a", "ssn": "123-45-6789"}}, {"value": {"people": [{"ssn": "1"}]}}]});
    for topic in [&pii, &other] {
        let (status, answer) =
            support::produce_as(&proxy, topic, "application/vnd.kafka.json.v2+json", &body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let values = |topic: &str| -> Vec<String> { stored(topic, 2).into_iter().map(|r| r.0).collect() };
    assert_eq!(
        values(&pii),
        [r#"{"name":"a","ssn":"***"}"#, r#"{"people":[{"ssn":"***"}]}"#]
    );
    assert_eq!(
        values(&other),
        [
            r#"{"name":"a","ssn":"123-45-6789"}"#,
            r#"{"people":[{"ssn":"1"}]}"#
        ]
    );
}

/// The built-in transforms chained on produce (filter → redact → headers → route) and on
/// consume (filter → redact), each configured by its `NAME.toml`.
#[tokio::test]
async fn built_in_transforms_filter_redact_stamp_and_route_both_ways() {
    let (topic, eu) = (unique("bi-orders"), unique("bi-orders-eu"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&eu, 1, &[]).await;
    let dir = temp_dir("krest-builtins");
    let write = |name: &str, text: String| std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    write(
        "filter",
        "[[drop]]\npath = \"type\"\nequals = \"heartbeat\"\n".into(),
    );
    write("redact", "fields = [\"ssn\"]\n".into());
    write(
        "headers",
        "request_id_header = \"x-request-id\"\n[add]\nx-source = \"krest\"\n".into(),
    );
    write("route", format!("field = \"region\"\n[map]\neu = \"{eu}\"\n"));
    let produce_side = proxy_with(
        &dir,
        &[
            "transforms=filter,redact,headers,route",
            "transforms.filter.on=produce",
            "transforms.redact.on=produce",
        ],
    );
    let records = json!({"records": [
        {"value": {"type": "heartbeat"}},
        {"value": {"type": "order", "ssn": "1", "region": "eu"}},
        {"value": {"type": "order", "ssn": "2", "items": [{"ssn": "3"}]}},
    ]});
    let response = http()
        .post(produce_side.url(&format!("/topics/{topic}")))
        .header("Content-Type", "application/vnd.kafka.json.v2+json")
        .header("x-request-id", "req-7")
        .body(records.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["offsets"][0]["error_code"], 42211, "{answer}");
    assert_eq!(answer["offsets"][1]["offset"], 0, "{answer}");
    assert_eq!(answer["offsets"][2]["offset"], 0, "{answer}");
    let stamped = vec![
        ("x-request-id".to_string(), "req-7".to_string()),
        ("x-source".to_string(), "krest".to_string()),
    ];
    let mut here = stored(&topic, 1).remove(0);
    here.1.sort();
    assert_eq!(
        (here.0.as_str(), &here.1),
        (
            r#"{"type":"order","ssn":"***","items":[{"ssn":"***"}]}"#,
            &stamped
        )
    );
    let mut routed = stored(&eu, 1).remove(0);
    routed.1.sort();
    assert_eq!(
        (routed.0.as_str(), &routed.1),
        (r#"{"type":"order","ssn":"***","region":"eu"}"#, &stamped)
    );

    // On consume: records written directly, filtered and redacted on the way out.
    let raw = unique("bi-raw");
    create_topic(&raw, 1, &[]).await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for value in [r#"{"type":"heartbeat"}"#, r#"{"type":"x","ssn":"9"}"#] {
        producer
            .send(
                FutureRecord::<(), _>::to(&raw).payload(value),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    let consume_side = proxy_with(
        &dir,
        &[
            "transforms=filter,redact",
            "transforms.filter.on=consume",
            "transforms.redact.on=consume",
        ],
    );
    let json_format = "application/vnd.kafka.json.v2+json";
    let base = support::new_consumer(
        &consume_side,
        &unique("bi-group"),
        json!({"format": "json", "auto.offset.reset": "earliest"}),
    )
    .await;
    let (status, _, _) = call(
        reqwest::Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topics": [raw]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 204);
    let mut values = Vec::new();
    for _ in 0..30 {
        let (status, _, records) = call(
            reqwest::Method::GET,
            &format!("{base}/records"),
            None,
            json_format,
        )
        .await;
        assert_eq!(status, 200, "{records}");
        values.extend(
            records
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["value"].clone(), r["offset"].clone())),
        );
        if !values.is_empty() {
            break;
        }
    }
    assert_eq!(values, [(json!({"type": "x", "ssn": "***"}), json!(1))]);

    // headers on consume, seen through a dry run (v2 reads carry no headers).
    let (status, _, answer) = call(
        reqwest::Method::POST,
        &consume_side.url("/plugins/headers/test"),
        Some(json!({"direction": "consume", "records": [{"value": b64("v")}]})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let headers = &answer["results"][0]["record"]["headers"];
    assert!(
        headers
            .as_array()
            .unwrap()
            .contains(&json!({"name": "x-source", "value": b64("krest")})),
        "{answer}"
    );
}
