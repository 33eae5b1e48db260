//! The built-in `avro` format on a real broker with krest's own Schema Registry: produce by
//! schema text and id, the Confluent-framed bytes in Kafka, consume back to the same JSON, and
//! Confluent's error codes.

mod support;

use apache_avro::types::Value as Avro;
use serde_json::{json, Value};
use support::{
    create_topic, end_offset, framed, free_port, produce_direct, proxy_with_registry, proxy_with_registry_on,
    python_script, read_value, register_schema, registry_args, unique, ProduceLoad, Proxy,
};

const AVRO: &str = "application/vnd.kafka.avro.v2+json";

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
    {"name":"id","type":"long"},
    {"name":"note","type":["null","string"]},
    {"name":"customer","type":{"type":"record","name":"Customer","fields":[
        {"name":"name","type":"string"},{"name":"vip","type":"boolean"}]}},
    {"name":"referrer","type":["null","Customer"]},
    {"name":"payload","type":"bytes"},
    {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
    {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
    {"name":"day","type":{"type":"int","logicalType":"date"}},
    {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"ref","type":{"type":"string","logicalType":"uuid"}},
    {"name":"tags","type":{"type":"array","items":"string"}},
    {"name":"score","type":"double"}]}"#;

fn full_order() -> Value {
    json!({
        "id": 1, "note": {"string": "hi"},
        "customer": {"name": "Ann", "vip": true},
        "referrer": {"shop.Customer": {"name": "Bob", "vip": false}},
        "payload": "\u{0}\u{ff}é", "status": "PAID", "price": "\u{1}",
        "day": 19000, "at": 1_700_000_000_000_i64, "ref": "123e4567-e89b-12d3-a456-426614174000",
        "tags": ["a", "b"], "score": 1.5
    })
}

fn falsy_order() -> Value {
    json!({
        "id": 0, "note": null, "customer": {"name": "", "vip": false}, "referrer": null,
        "payload": "", "status": "NEW", "price": "\u{0}", "day": 0, "at": 0,
        "ref": "00000000-0000-0000-0000-000000000000", "tags": [], "score": 0.0
    })
}

/// The Avro binary of an order, computed by `apache-avro` from the schema with its logical types.
fn apache_avro_binary(order: &Value) -> Vec<u8> {
    let schema = apache_avro::Schema::parse_str(ORDER).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let latin1 = |v: &Value| v.as_str().unwrap().chars().map(|c| c as u8).collect::<Vec<u8>>();
    let customer = |c: &Value| {
        Avro::Record(vec![
            ("name".into(), Avro::String(text(&c["name"]))),
            ("vip".into(), Avro::Boolean(c["vip"].as_bool().unwrap())),
        ])
    };
    let value = Avro::Record(vec![
        ("id".into(), Avro::Long(order["id"].as_i64().unwrap())),
        (
            "note".into(),
            match order["note"].get("string") {
                Some(note) => Avro::Union(1, Box::new(Avro::String(text(note)))),
                None => Avro::Union(0, Box::new(Avro::Null)),
            },
        ),
        ("customer".into(), customer(&order["customer"])),
        (
            "referrer".into(),
            match order["referrer"].get("shop.Customer") {
                Some(c) => Avro::Union(1, Box::new(customer(c))),
                None => Avro::Union(0, Box::new(Avro::Null)),
            },
        ),
        ("payload".into(), Avro::Bytes(latin1(&order["payload"]))),
        (
            "status".into(),
            Avro::Enum(u32::from(order["status"] == "PAID"), text(&order["status"])),
        ),
        ("price".into(), Avro::Decimal(latin1(&order["price"]).into())),
        ("day".into(), Avro::Date(order["day"].as_i64().unwrap() as i32)),
        ("at".into(), Avro::TimestampMillis(order["at"].as_i64().unwrap())),
        ("ref".into(), Avro::Uuid(text(&order["ref"]).parse().unwrap())),
        (
            "tags".into(),
            Avro::Array(
                order["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| Avro::String(text(t)))
                    .collect(),
            ),
        ),
        ("score".into(), Avro::Double(order["score"].as_f64().unwrap())),
    ]);
    apache_avro::to_avro_datum(&schema, value).unwrap()
}

async fn produce(proxy: &Proxy, topic: &str, body: Value) -> (u16, Value) {
    support::produce_as(proxy, topic, AVRO, &body).await
}

async fn avro_consumer(proxy: &Proxy, topic: &str) -> String {
    support::subscribed_consumer(proxy, "avro", topic).await
}

async fn read_avro(base: &str, count: usize) -> Result<Vec<Value>, (u16, Value)> {
    support::read_records_as(base, AVRO, count).await
}

#[tokio::test]
async fn avro_round_trips_through_the_registry_in_confluents_wire_format() {
    // Topics exist before krest starts, so its metadata knows them.
    let (topic, other) = (unique("avro"), unique("avro-other"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&other, 1, &[]).await;
    let proxy = proxy_with_registry();

    let (status, response) = produce(
        &proxy,
        &topic,
        json!({
            "key_schema": r#"{"type":"string"}"#,
            "value_schema": ORDER,
            "records": [
                {"key": "k1", "value": full_order()},
                {"value": falsy_order()},
                {"key": "", "value": null},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    // A fresh registry: the key schema is registered first, as in Confluent's AvroProducerTest.
    assert_eq!(
        (
            response["key_schema_id"].clone(),
            response["value_schema_id"].clone()
        ),
        (json!(1), json!(2))
    );
    let offsets = support::produced_offsets(&response);
    assert_eq!(offsets, [json!(0), json!(1), json!(2)], "{response}");

    assert_eq!(
        read_value(&topic, 0).unwrap(),
        framed(2, &apache_avro_binary(&full_order()))
    );
    assert_eq!(
        read_value(&topic, 1).unwrap(),
        framed(2, &apache_avro_binary(&falsy_order()))
    );
    assert_eq!(read_value(&topic, 2), None, "a null value stays a Kafka null");

    // By id: the same schema, the same bytes.
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": 2, "records": [{"value": full_order()}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(2)),
        "{response}"
    );
    assert_eq!(response["key_schema_id"], Value::Null);
    assert_eq!(
        read_value(&topic, 3).unwrap(),
        framed(2, &apache_avro_binary(&full_order()))
    );

    // The same schema for another topic's subject keeps its id.
    let (status, response) = produce(
        &proxy,
        &other,
        json!({"value_schema": ORDER, "records": [{"value": falsy_order()}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(2)),
        "{response}"
    );

    let base = avro_consumer(&proxy, &topic).await;
    let records = read_avro(&base, 4).await.unwrap();
    let read: Vec<(Value, Value, Value)> = records
        .iter()
        .map(|r| (r["offset"].clone(), r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        read,
        [
            (json!(0), json!("k1"), full_order()),
            (json!(1), Value::Null, falsy_order()),
            (json!(2), json!(""), Value::Null),
            (json!(3), Value::Null, full_order()),
        ]
    );
}

#[tokio::test]
async fn avro_errors_use_confluents_codes_and_write_nothing() {
    let (topic, raw) = (unique("avro-errors"), unique("avro-raw"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&raw, 1, &[]).await;
    let proxy = proxy_with_registry();
    let code = |(status, body): (u16, Value)| (status, body["error_code"].clone(), body);

    let (status, error, body) =
        code(produce(&proxy, &topic, json!({"records": [{"value": {"id": 1}}]})).await);
    assert_eq!((status, error), (422, json!(42202)), "{body}");
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema": r#""long""#, "records": [{"key": "k", "value": 1}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42201)), "{body}");
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema": r#"{"type":"recrod","name":"X"}"#, "records": [{"value": 1}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42205)), "{body}");
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema_id": 9999, "records": [{"value": 1}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42207)), "{body}");

    // One record that does not fit fails the request; nothing is written.
    let before = end_offset(&proxy, &topic).await;
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema": r#"["null","long"]"#, "records": [{"value": {"long": 1}}, {"value": 2}]}),
        )
        .await,
    );
    assert_eq!((status, error), (400, json!(400)), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Bad Request: record 1: a union value is null or"),
        "{message}"
    );
    assert_eq!(end_offset(&proxy, &topic).await, before);

    // A record that is not Confluent-framed cannot be read: 408/40801 naming it.
    produce_direct(&raw, 0, &[(None, b"\x01plain")]).await;
    let base = avro_consumer(&proxy, &raw).await;
    let (status, body) = read_avro(&base, 1).await.unwrap_err();
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&raw) && message.contains("Confluent's wire format"),
        "{message}"
    );
}

#[tokio::test]
async fn avro_without_a_registry_answers_42206() {
    let topic = unique("avro-no-registry");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&["--set", "schema.registry.url="]);
    let (status, body) = produce(
        &proxy,
        &topic,
        json!({"value_schema": r#""long""#, "records": [{"value": 1}]}),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42206)),
        "{body}"
    );
}

/// A schema whose named types live in other subjects (the registry's `references`) is used by
/// id, as Confluent's proxy does; an id the topic's subject does not hold is refused (42207).
#[tokio::test]
async fn avro_schemas_with_references_are_resolved_and_ids_must_belong_to_the_subject() {
    let (topic, other) = (unique("avro-references"), unique("avro-other-subject"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&other, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    let address =
        r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    let zone = r#"{"type":"enum","name":"Zone","namespace":"acme","symbols":["NORTH","SOUTH"]}"#;
    let located = r#"{"type":"record","name":"Located","namespace":"acme","fields":[
        {"name":"address","type":"Address"},{"name":"zone","type":"Zone"}]}"#;
    register_schema(&registry, "acme.Address", json!({"schema": address})).await;
    register_schema(&registry, "acme.Zone", json!({"schema": zone})).await;
    let reference = |name: &str| json!({"name": name, "subject": name, "version": 1});
    register_schema(
        &registry,
        "acme.Located",
        json!({"schema": located, "references": [reference("acme.Address"), reference("acme.Zone")]}),
    )
    .await;
    let customer = r#"{"type":"record","name":"Customer","fields":[
        {"name":"name","type":"string"},{"name":"at","type":"acme.Located"},
        {"name":"billing","type":["null","acme.Address"]}]}"#;
    let id = register_schema(
        &registry,
        &format!("{topic}-value"),
        json!({"schema": customer, "references": [reference("acme.Located"), reference("acme.Address")]}),
    )
    .await;

    let value = json!({"name": "Ann", "at": {"address": {"city": "Oslo"}, "zone": "SOUTH"},
                       "billing": {"acme.Address": {"city": "Bergen"}}});
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": id, "records": [{"value": value}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(id)),
        "{response}"
    );
    let avro = [&[6u8][..], b"Ann", &[8], b"Oslo", &[2, 2, 12], b"Bergen"].concat();
    assert_eq!(read_value(&topic, 0).unwrap(), framed(id, &avro));
    let base = avro_consumer(&proxy, &topic).await;
    let records = read_avro(&base, 1).await.unwrap();
    assert_eq!(records[0]["value"], value);

    // The same id for a topic whose subject does not hold it: Confluent's 42207.
    let (status, response) = produce(
        &proxy,
        &other,
        json!({"value_schema_id": id, "records": [{"value": value}]}),
    )
    .await;
    assert_eq!(
        (status, response["error_code"].clone()),
        (422, json!(42207)),
        "{response}"
    );
    let message = response["message"].as_str().unwrap();
    assert!(message.contains(&format!("subject = {other}-value")), "{message}");
    assert_eq!(end_offset(&proxy, &other).await, 0);
}

/// A registry that cannot be reached fails the request with 42207, writing nothing.
#[tokio::test]
async fn avro_with_the_registry_down_answers_42207() {
    let topic = unique("avro-registry-down");
    create_topic(&topic, 1, &[]).await;
    let down = format!("schema.registry.url=http://127.0.0.1:{}", free_port());
    let proxy = Proxy::start(&["--set", &down]);
    for body in [
        json!({"value_schema": r#""long""#, "records": [{"value": 1}]}),
        json!({"value_schema_id": 1, "records": [{"value": 1}]}),
    ] {
        let (status, response) = produce(&proxy, &topic, body).await;
        assert_eq!(
            (status, response["error_code"].clone()),
            (422, json!(42207)),
            "{response}"
        );
        let message = response["message"].as_str().unwrap();
        assert!(message.contains("Schema Registry"), "{message}");
    }
    assert_eq!(end_offset(&proxy, &topic).await, 0);
}

/// Byte compatibility with Confluent's own serde: what krest produces, Confluent's Python
/// `AvroDeserializer` reads; what Confluent's `AvroSerializer` writes, krest consumes — keys,
/// values and Kafka nulls equal in Avro's JSON encoding on both sides.
#[tokio::test]
async fn confluents_python_avro_serde_reads_and_writes_what_krest_does() {
    let (to_python, from_python) = (unique("avro-to-python"), unique("avro-from-python"));
    create_topic(&to_python, 1, &[]).await;
    create_topic(&from_python, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    let key_schema = r#"{"type":"string"}"#;
    let records = json!([
        {"key": "k1", "value": full_order()},
        {"key": "", "value": falsy_order()},
        {"key": "k3", "value": null},
    ]);

    let (status, response) = produce(
        &proxy,
        &to_python,
        json!({"key_schema": key_schema, "value_schema": ORDER, "records": records}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let bootstrap = support::bootstrap();
    let read = python_script(
        "avro_interop.py",
        &["read", &registry, &bootstrap, &to_python, "3"],
    )
    .await;
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read, records, "what Confluent's AvroDeserializer read");

    let written = records.to_string();
    python_script(
        "avro_interop.py",
        &[
            "write",
            &registry,
            &bootstrap,
            &from_python,
            key_schema,
            ORDER,
            &written,
        ],
    )
    .await;
    let base = avro_consumer(&proxy, &from_python).await;
    let read = support::keys_and_values(read_avro(&base, 3).await.unwrap());
    assert_eq!(read, records, "what krest read of Confluent's AvroSerializer");
}

/// The `source` of plugin `name` in `GET /plugins`.
async fn plugin_source(proxy: &Proxy, name: &str) -> Value {
    support::plugin_list(proxy)
        .await
        .iter()
        .find(|p| p["name"] == name)
        .map_or(Value::Null, |p| p["source"].clone())
}

/// Waits until plugin `name` is served from `source` (`file` or `builtin`).
async fn until_source(proxy: &Proxy, name: &str, source: &str) {
    for _ in 0..100 {
        if plugin_source(proxy, name).await == source {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("`{name}` never served from {source}");
}

/// Dropping `avro.wasm` into the plugin directory replaces the built-in format under produce
/// load, and removing it brings the built-in back, with no failed request.
#[tokio::test]
async fn avro_wasm_is_replaced_and_restored_under_load_without_failures() {
    use std::sync::Arc;

    let topic = unique("avro-reload");
    create_topic(&topic, 1, &[]).await;
    let dir = support::temp_dir("krest-plugins");
    let mut args = registry_args(free_port(), &unique("_schemas"));
    args.extend(["--set".to_string(), format!("plugins.dir={}", dir.display())]);
    let proxy = Arc::new(Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    let body = json!({"value_schema": ORDER, "records": [{"value": full_order()}]});
    assert_eq!(produce(&proxy, &topic, body.clone()).await.0, 200);

    let load = ProduceLoad::start(Arc::clone(&proxy), &topic, AVRO, body, |status, answer| {
        status == 200 && answer["value_schema_id"] == 1
    });
    support::install_plugin(&dir, "avro", &support::plugin_wasm("krest-format-avro"));
    until_source(&proxy, "avro", "file").await;
    std::fs::remove_file(dir.join("avro.wasm")).unwrap();
    until_source(&proxy, "avro", "builtin").await;
    let (sent, failed) = load.stop().await;
    assert!(sent > 10, "the client kept sending");
    assert_eq!(failed, 0, "no request failed while avro was swapped");
}
