//! The built-in `protobuf` format on a real broker with krest's own Schema Registry: produce by
//! schema text and id, the Confluent-framed bytes in Kafka (message indexes, then the Protobuf
//! binary), schemas with references, records of nested message types, consume back to the
//! same JSON, Confluent's error codes, and Confluent's Python serde on the other side.

mod support;

use prost_reflect::prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, Value as Proto};
use serde_json::{json, Value};
use support::{
    create_topic, end_offset, framed, free_port, produce_direct, proxy_with_registry, proxy_with_registry_on,
    python_script, read_value, register_schema, unique, Proxy,
};

const PROTOBUF: &str = "application/vnd.kafka.protobuf.v2+json";

const ORDER: &str = r#"syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

message Order {
  int64 id = 1;
  string customer_name = 2;
  bool paid = 3;
  Status status = 4;
  bytes payload = 5;
  repeated string tags = 6;
  map<string, int32> counts = 7;
  Customer customer = 8;
  oneof contact {
    string email = 9;
    string phone = 10;
  }
  google.protobuf.Timestamp at = 11;
  double score = 12;
  uint64 big = 13;
  repeated Customer referrers = 14;

  message Customer {
    string name = 1;
    bool vip = 2;
  }
}

enum Status {
  NEW = 0;
  PAID = 1;
}

message Refund {
  int64 order_id = 1;
  string reason = 2;
}
"#;

const KEY: &str = "syntax = \"proto3\";\nmessage OrderKey { string id = 1; }";

/// Every kind of field set, as krest (and Java's `JsonFormat` printer) shows it.
fn full_order() -> Value {
    json!({
        "id": "-9007199254740993", "customerName": "Ann", "paid": true, "status": "PAID",
        "payload": "AP/pgA==", "tags": ["a", "b"], "counts": {"x": 3},
        "customer": {"name": "Ann", "vip": true}, "email": "ann@example.com",
        "at": "2024-01-02T03:04:05.500Z", "score": 1.5, "big": "18446744073709551615",
        "referrers": [{"name": "Bob", "vip": false}]
    })
}

/// Falsy values: not written by proto3, printed back as defaults; a oneof member and a
/// message set to their defaults are written and printed.
fn falsy_order() -> Value {
    json!({
        "id": "0", "customerName": "", "paid": false, "status": "NEW", "payload": "", "tags": [],
        "counts": {}, "customer": {"name": "", "vip": false}, "phone": "", "score": 0.0,
        "big": "0", "referrers": []
    })
}

/// The descriptors of ORDER, compiled by protox from a file.
fn order_pool() -> DescriptorPool {
    static POOL: std::sync::OnceLock<DescriptorPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let dir = support::temp_dir("order-proto");
        std::fs::write(dir.join("order.proto"), ORDER).unwrap();
        let files = protox::compile(["order.proto"], [&dir]).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        DescriptorPool::from_file_descriptor_set(files).unwrap()
    })
    .clone()
}

/// The Protobuf binary of an order, built field by field (no JSON involved).
fn order_binary(order: &Value) -> Vec<u8> {
    let pool = order_pool();
    let descriptor = pool.get_message_by_name("shop.Order").unwrap();
    let customer_descriptor = pool.get_message_by_name("shop.Order.Customer").unwrap();
    let customer = |c: &Value| {
        let mut message = DynamicMessage::new(customer_descriptor.clone());
        message.set_field_by_name("name", Proto::String(c["name"].as_str().unwrap().into()));
        message.set_field_by_name("vip", Proto::Bool(c["vip"].as_bool().unwrap()));
        Proto::Message(message)
    };
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let mut message = DynamicMessage::new(descriptor);
    let mut set = |name: &str, value: Proto| message.set_field_by_name(name, value);
    set("id", Proto::I64(text(&order["id"]).parse().unwrap()));
    set("customer_name", Proto::String(text(&order["customerName"])));
    set("paid", Proto::Bool(order["paid"].as_bool().unwrap()));
    set("status", Proto::EnumNumber(i32::from(order["status"] == "PAID")));
    set(
        "payload",
        Proto::Bytes(
            match text(&order["payload"]).as_str() {
                "AP/pgA==" => vec![0x00, 0xff, 0xe9, 0x80],
                "" => vec![],
                other => panic!("payload {other}"),
            }
            .into(),
        ),
    );
    set(
        "tags",
        Proto::List(
            order["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| Proto::String(text(t)))
                .collect(),
        ),
    );
    set(
        "counts",
        Proto::Map(
            order["counts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (MapKey::String(k.clone()), Proto::I32(v.as_i64().unwrap() as i32)))
                .collect(),
        ),
    );
    set("customer", customer(&order["customer"]));
    for contact in ["email", "phone"] {
        if let Some(value) = order.get(contact) {
            set(contact, Proto::String(text(value)));
        }
    }
    if order.get("at").is_some() {
        let timestamp = prost_reflect::prost_types::Timestamp {
            seconds: 1_704_164_645,
            nanos: 500_000_000,
        };
        let at = pool.get_message_by_name("google.protobuf.Timestamp").unwrap();
        let mut value = DynamicMessage::new(at);
        value.transcode_from(&timestamp).unwrap();
        set("at", Proto::Message(value));
    }
    set("score", Proto::F64(order["score"].as_f64().unwrap()));
    set("big", Proto::U64(text(&order["big"]).parse().unwrap()));
    set(
        "referrers",
        Proto::List(
            order["referrers"]
                .as_array()
                .unwrap()
                .iter()
                .map(customer)
                .collect(),
        ),
    );
    message.encode_to_vec()
}

/// Confluent's payload for the first message of a schema: message indexes `[0]` (one byte 0),
/// then the binary.
fn first_message(binary: &[u8]) -> Vec<u8> {
    [&[0u8][..], binary].concat()
}

async fn produce(proxy: &Proxy, topic: &str, body: Value) -> (u16, Value) {
    support::produce_as(proxy, topic, PROTOBUF, &body).await
}

async fn protobuf_consumer(proxy: &Proxy, topic: &str) -> String {
    support::subscribed_consumer(proxy, "protobuf", topic).await
}

async fn read_protobuf(base: &str, count: usize) -> Result<Vec<Value>, (u16, Value)> {
    support::read_records_as(base, PROTOBUF, count).await
}

/// The `schema` of a registry answer, a base64 `FileDescriptorProto`, decoded.
async fn serialized(url: &str) -> prost_reflect::prost_types::FileDescriptorProto {
    use base64::Engine as _;
    let body: Value = support::http()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body["schema"].as_str().unwrap())
        .unwrap();
    prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap()
}

#[tokio::test]
async fn protobuf_round_trips_through_the_registry_in_confluents_wire_format() {
    let topic = unique("protobuf");
    create_topic(&topic, 1, &[]).await;
    let proxy = proxy_with_registry();

    let (status, response) = produce(
        &proxy,
        &topic,
        json!({
            "key_schema": KEY,
            "value_schema": ORDER,
            "records": [
                {"key": {"id": "k1"}, "value": full_order()},
                {"value": falsy_order()},
                {"key": {"id": ""}, "value": null},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{response}");
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
        framed(2, &first_message(&order_binary(&full_order())))
    );
    assert_eq!(
        read_value(&topic, 1).unwrap(),
        framed(2, &first_message(&order_binary(&falsy_order())))
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
        framed(2, &first_message(&order_binary(&full_order())))
    );

    // Fields by their proto names, enums by number, 64-bit integers as numbers: the same record.
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": 2, "records": [{"value": {
            "customer_name": "", "status": 0, "id": 0, "big": 0, "payload": "", "phone": "",
            "customer": {}
        }}]}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        read_value(&topic, 4).unwrap(),
        framed(2, &first_message(&order_binary(&falsy_order())))
    );

    let base = protobuf_consumer(&proxy, &topic).await;
    let records = read_protobuf(&base, 5).await.unwrap();
    let read: Vec<(Value, Value, Value)> = records
        .iter()
        .map(|r| (r["offset"].clone(), r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        read,
        [
            (json!(0), json!({"id": "k1"}), full_order()),
            (json!(1), Value::Null, falsy_order()),
            (json!(2), json!({"id": ""}), Value::Null),
            (json!(3), Value::Null, full_order()),
            (json!(4), Value::Null, falsy_order()),
        ]
    );
}

const MONEY: &str =
    "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; string currency = 2; }";

const INVOICE: &str = r#"syntax = "proto3";
package shop;
import "common/money.proto";

message Invoice {
  common.Money total = 1;
  repeated common.Money lines = 2;
  map<string, string> labels = 3;
  Note note = 4;
  message Note { string text = 1; }
}

message Receipt { string number = 1; }
"#;

/// A schema importing another registered schema (a reference) is resolved on produce and
/// consume; records whose message indexes name another or a nested message type decode as
/// that type.
#[tokio::test]
async fn protobuf_references_and_message_indexes() {
    let topic = unique("protobuf-refs");
    create_topic(&topic, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");

    let money = register_schema(
        &registry,
        "common-money",
        json!({"schemaType": "PROTOBUF", "schema": MONEY}),
    )
    .await;
    let invoice = register_schema(
        &registry,
        &format!("{topic}-value"),
        json!({"schemaType": "PROTOBUF", "schema": INVOICE, "references": [
            {"name": "common/money.proto", "subject": "common-money", "version": 1}
        ]}),
    )
    .await;
    assert_ne!(money, invoice);

    // What Confluent's serializers fetch: the schemas as serialized descriptors.
    let invoice_file = serialized(&format!("{registry}/schemas/ids/{invoice}?format=serialized")).await;
    assert_eq!(
        (invoice_file.package(), invoice_file.dependency.clone()),
        ("shop", vec!["common/money.proto".to_string()])
    );
    let money_file = serialized(&format!(
        "{registry}/subjects/common-money/versions/1?format=serialized"
    ))
    .await;
    assert_eq!(money_file.message_type[0].name(), "Money");

    let value = json!({
        "total": {"cents": "1250", "currency": "EUR"},
        "lines": [{"cents": "1000", "currency": "EUR"}, {"cents": "250", "currency": ""}],
        "labels": {"k": "v"}
    });
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": invoice, "records": [{"value": value}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(invoice)),
        "{response}"
    );
    // total: cents 1250 (0x08 0xe2 0x09), currency "EUR".
    let total = [&[0x08, 0xe2, 0x09, 0x12, 3][..], b"EUR"].concat();
    assert!(read_value(&topic, 0).unwrap().starts_with(&framed(
        invoice,
        &[&[0, 0x0a, total.len() as u8][..], &total].concat()
    )));

    // Records written by others: Receipt (indexes [1]) and Invoice.Note ([0, 0]: the map entry
    // of `labels` is no message type in .proto text).
    let receipt = framed(invoice, &[&[2, 2, 0x0a, 2][..], b"r1"].concat());
    let note = framed(invoice, &[&[4, 0, 0, 0x0a, 2][..], b"hi"].concat());
    produce_direct(&topic, 0, &[(None, &receipt), (None, &note)]).await;

    let base = protobuf_consumer(&proxy, &topic).await;
    let values: Vec<Value> = read_protobuf(&base, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(values, [value, json!({"number": "r1"}), json!({"text": "hi"})]);
}

#[tokio::test]
async fn protobuf_errors_use_confluents_codes_and_write_nothing() {
    let (topic, raw) = (unique("protobuf-errors"), unique("protobuf-raw"));
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
            json!({"value_schema": ORDER, "records": [{"key": {"id": "k"}, "value": {}}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42201)), "{body}");
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema": "syntax = \"proto3\";\nmessage Broken {", "records": [{"value": {}}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42205)), "{body}");
    let (status, error, body) = code(
        produce(
            &proxy,
            &topic,
            json!({"value_schema_id": 9999, "records": [{"value": {}}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42207)), "{body}");

    // One record that does not fit fails the request; nothing is written.
    let before = end_offset(&proxy, &topic).await;
    for (bad, error) in [
        (json!({"nope": 1}), "unrecognized field name 'nope'"),
        (json!({"id": "one"}), "invalid digit"),
        (json!({"tags": "a"}), "expected a list"),
    ] {
        let (status, error_code, body) = code(
            produce(
                &proxy,
                &topic,
                json!({"value_schema": ORDER, "records": [{"value": full_order()}, {"value": bad}]}),
            )
            .await,
        );
        assert_eq!((status, error_code), (400, json!(400)), "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("Bad Request: record 1: ") && message.contains(error),
            "{message}"
        );
    }
    assert_eq!(end_offset(&proxy, &topic).await, before);

    // A record that is not Confluent-framed cannot be read: 408/40801 naming it.
    produce_direct(&raw, 0, &[(None, b"\x01plain")]).await;
    let base = protobuf_consumer(&proxy, &raw).await;
    let (status, body) = read_protobuf(&base, 1).await.unwrap_err();
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

/// Byte compatibility with Confluent's own serde: what krest produces, Confluent's Python
/// `ProtobufDeserializer` reads (fetching the schema as a serialized descriptor); what
/// Confluent's `ProtobufSerializer` writes (registering a serialized descriptor, a nested
/// type with its message indexes), krest consumes — equal as JSON, and the same bytes.
#[tokio::test]
async fn confluents_python_protobuf_serde_reads_and_writes_what_krest_does() {
    let (to_python, from_python) = (unique("protobuf-to-python"), unique("protobuf-from-python"));
    create_topic(&to_python, 1, &[]).await;
    create_topic(&from_python, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    let orders = vec![full_order(), falsy_order()];

    let records = json!([
        {"key": {"id": "k1"}, "value": orders[0]},
        {"key": {"id": ""}, "value": orders[1]},
        {"key": {"id": "k3"}, "value": null},
    ]);
    let (status, response) = produce(
        &proxy,
        &to_python,
        json!({"key_schema": KEY, "value_schema": ORDER, "records": records}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let bootstrap = support::bootstrap();
    let read = python_script(
        "protobuf_interop.py",
        &[
            "read", &registry, &bootstrap, &to_python, ORDER, "Order", KEY, "OrderKey", "3",
        ],
    )
    .await;
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read, records, "what Confluent's ProtobufDeserializer read");

    let customer = json!({"name": "Cy", "vip": true});
    let written = json!([
        [{"id": "k1"}, "Order", full_order()],
        [{"id": ""}, "Order", falsy_order()],
        [{"id": "k3"}, "Order.Customer", customer],
        [{"id": "k4"}, "Order", null]
    ]);
    let written = written.to_string();
    let written = python_script(
        "protobuf_interop.py",
        &[
            "write",
            &registry,
            &bootstrap,
            &from_python,
            ORDER,
            KEY,
            "OrderKey",
            &written,
        ],
    )
    .await;
    let written: Vec<String> = serde_json::from_str(&written).unwrap();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    // After the 5-byte header: message indexes [0], then the same binary krest writes.
    for (python, order) in written.iter().zip(&orders) {
        assert_eq!(python[10..], hex(&first_message(&order_binary(order))));
    }
    // Order.Customer: indexes [0, 1] — Python counts the map entry of `counts` first.
    assert!(written[2][10..].starts_with("040002"), "{}", written[2]);

    let base = protobuf_consumer(&proxy, &from_python).await;
    let read = support::keys_and_values(read_protobuf(&base, 4).await.unwrap());
    let expected = json!([
        {"key": {"id": "k1"}, "value": full_order()},
        {"key": {"id": ""}, "value": falsy_order()},
        {"key": {"id": "k3"}, "value": customer},
        {"key": {"id": "k4"}, "value": null},
    ]);
    assert_eq!(
        read, expected,
        "what krest read of Confluent's ProtobufSerializer"
    );
}
