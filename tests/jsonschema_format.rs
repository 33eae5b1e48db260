//! The built-in `jsonschema` format on a real broker with krest's own Schema Registry: produce
//! by schema text and id, the bytes in Kafka exactly as Confluent's proxy writes them (framing,
//! then the JSON its serializer writes), consume back, references, Confluent's error codes, and
//! Confluent's Python serde on the other side.

mod support;

use serde_json::{json, Value};
use support::{
    create_topic, end_offset, framed, free_port, produce_direct, proxy_with_registry, proxy_with_registry_on,
    python_script, read_value, unique, Proxy,
};

const JSONSCHEMA: &str = "application/vnd.kafka.jsonschema.v2+json";

/// No `$schema`: draft 7, which Confluent validates with Everit (defaults filled in, objects
/// through org.json).
const ORDER: &str = r#"{
  "type": "object",
  "properties": {
    "id": {"type": "integer"},
    "note": {"type": ["string", "null"]},
    "customer": {
      "type": "object",
      "properties": {"name": {"type": "string"}, "vip": {"type": "boolean"}},
      "required": ["name", "vip"]
    },
    "tags": {"type": "array", "items": {"type": "string"}},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
      "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}, "price": {"type": "number"}}}},
    "total": {"type": "number"},
    "big": {"type": "integer"},
    "meta": {"type": "object"},
    "text": {"type": "string"},
    "currency": {"type": "string", "default": "EUR"}
  },
  "required": ["id", "customer"]
}"#;

/// A full order as a client sends it (no `currency`: the schema's default is added).
const FULL: &str = r#"{"id": 1, "note": "hi", "customer": {"name": "Ann", "vip": true}, "tags": ["a", "b"],
  "lines": [{"sku": "x-1", "qty": 2, "price": 9.99}, {"sku": "y-2", "qty": 1, "price": 1e10}],
  "total": 0.000123, "big": 123456789012345678901234567890, "meta": {"z": 1, "a": [null, {}]},
  "text": "é 日本 😀 \"q\" \\ / \n\t\u0001"}"#;

const FALSY: &str = r#"{"id": 0, "note": null, "customer": {"name": "", "vip": false}, "tags": [],
  "lines": [], "total": 0.0, "big": 0, "meta": {}, "text": "", "currency": ""}"#;

/// What Confluent's proxy writes after the header, and what its consumer shows, as printed by
/// Jackson 2.21 (a `java.util.HashMap` standing in for org.json's `JSONObject`) on Temurin 25.
const FULL_IN_KAFKA: &str = r#"{"note":"hi","big":123456789012345678901234567890,"total":0.000123,"meta":{"a":[null,{}],"z":1},"currency":"EUR","id":1,"text":"é 日本 😀 \"q\" \\ / \n\t\u0001","lines":[{"price":9.99,"qty":2,"sku":"x-1"},{"price":1.0E+10,"qty":1,"sku":"y-2"}],"customer":{"name":"Ann","vip":true},"tags":["a","b"]}"#;
const FULL_SHOWN: &str = r#"{"note":"hi","big":123456789012345678901234567890,"total":1.23E-4,"meta":{"a":[null,{}],"z":1},"currency":"EUR","id":1,"text":"é 日本 😀 \"q\" \\ / \n\t\u0001","lines":[{"price":9.99,"qty":2,"sku":"x-1"},{"price":1.0E10,"qty":1,"sku":"y-2"}],"customer":{"name":"Ann","vip":true},"tags":["a","b"]}"#;
const FALSY_IN_KAFKA: &str = r#"{"note":null,"big":0,"total":0.0,"meta":{},"currency":"","id":0,"text":"","lines":[],"customer":{"name":"","vip":false},"tags":[]}"#;

/// Under 2020-12 (validated with json-sKema) the request's tree is written as it came.
const FULL_IN_KAFKA_2020_12: &str = r#"{"id":1,"note":"hi","customer":{"name":"Ann","vip":true},"tags":["a","b"],"lines":[{"sku":"x-1","qty":2,"price":9.99},{"sku":"y-2","qty":1,"price":1.0E10}],"total":1.23E-4,"big":123456789012345678901234567890,"meta":{"z":1,"a":[null,{}]},"text":"é 日本 😀 \"q\" \\ / \n\t\u0001"}"#;

fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// [`ORDER`] under draft 2020-12, which Confluent validates with json-sKema.
fn order_2020_12() -> String {
    let mut schema: serde_json::Map<String, Value> = serde_json::from_str(ORDER).unwrap();
    schema.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    Value::Object(schema).to_string()
}

async fn produce(proxy: &Proxy, topic: &str, body: Value) -> (u16, Value) {
    support::produce_as(proxy, topic, JSONSCHEMA, &body).await
}

async fn jsonschema_consumer(proxy: &Proxy, topic: &str) -> String {
    support::subscribed_consumer(proxy, "jsonschema", topic).await
}

async fn read_jsonschema(base: &str, count: usize) -> Result<Vec<Value>, (u16, Value)> {
    support::read_records_as(base, JSONSCHEMA, count).await
}

/// The raw text of one records read (to see numbers exactly as krest wrote them).
async fn read_text(base: &str) -> String {
    for _ in 0..60 {
        let response = support::http()
            .get(format!("{base}/records"))
            .header("Accept", JSONSCHEMA)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        if text != "[]" {
            return text;
        }
    }
    panic!("no records");
}

/// Registers a JSON schema under `subject` through the registry's REST API; its id.
async fn register(registry: &str, subject: &str, schema: &str, references: Value) -> u32 {
    let body = json!({"schemaType": "JSON", "schema": schema, "references": references});
    support::register_schema(registry, subject, body).await
}

#[tokio::test]
async fn jsonschema_writes_what_confluents_proxy_writes_and_reads_it_back() {
    let (topic, modern) = (unique("jsonschema"), unique("jsonschema-2020"));
    create_topic(&topic, 1, &[]).await;
    create_topic(&modern, 1, &[]).await;
    let proxy = proxy_with_registry();

    let (status, response) = produce(
        &proxy,
        &topic,
        json!({
            "key_schema": r#"{"type":"string"}"#,
            "value_schema": ORDER,
            "records": [
                {"key": "k1", "value": value(FULL)},
                {"value": value(FALSY)},
                {"key": "", "value": null},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    // A fresh registry: the key schema is registered first.
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
        framed(2, FULL_IN_KAFKA.as_bytes())
    );
    assert_eq!(
        read_value(&topic, 1).unwrap(),
        framed(2, FALSY_IN_KAFKA.as_bytes())
    );
    assert_eq!(read_value(&topic, 2), None, "a null value stays a Kafka null");

    // By id: the same schema, the same bytes.
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": 2, "records": [{"value": value(FULL)}]}),
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
        framed(2, FULL_IN_KAFKA.as_bytes())
    );

    // 2020-12: key order and doubles as the request had them, no defaults.
    let (status, response) = produce(
        &proxy,
        &modern,
        json!({"value_schema": order_2020_12(), "records": [{"value": value(FULL)}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(3)),
        "{response}"
    );
    assert_eq!(
        read_value(&modern, 0).unwrap(),
        framed(3, FULL_IN_KAFKA_2020_12.as_bytes())
    );

    let base = jsonschema_consumer(&proxy, &topic).await;
    let records = read_jsonschema(&base, 4).await.unwrap();
    let read: Vec<(Value, Value, Value)> = records
        .iter()
        .map(|r| (r["offset"].clone(), r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        read,
        [
            (json!(0), json!("k1"), value(FULL_SHOWN)),
            (json!(1), Value::Null, value(FALSY_IN_KAFKA)),
            (json!(2), json!(""), Value::Null),
            (json!(3), Value::Null, value(FULL_SHOWN)),
        ]
    );
    // Numbers and key order exactly as Confluent's consumer shows them.
    let base = jsonschema_consumer(&proxy, &topic).await;
    let text = read_text(&base).await;
    assert!(text.contains(FULL_SHOWN), "{text}");
    assert!(text.contains(FALSY_IN_KAFKA), "{text}");
}

const ADDRESS: &str = r#"{"type":"object","properties":{"city":{"type":"string","minLength":2},"country":{"type":"string","enum":["NL","IT"]}},"required":["city"]}"#;
const CUSTOMER: &str = r#"{"$id":"https://example.com/schemas/customer.json","type":"object","properties":{"name":{"type":"string"},"home":{"$ref":"address.json"}},"required":["name","home"]}"#;

#[tokio::test]
async fn references_registered_through_the_registry_resolve_by_name() {
    let topic = unique("jsonschema-refs");
    create_topic(&topic, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    register(&registry, "address", ADDRESS, json!([])).await;
    let references = json!([{"name": "address.json", "subject": "address", "version": 1}]);
    let id = register(&registry, &format!("{topic}-value"), CUSTOMER, references).await;

    let valid = json!({"name": "Ann", "home": {"city": "Oslo", "country": "NL"}});
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": id, "records": [{"value": valid}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(id)),
        "{response}"
    );
    assert_eq!(
        read_value(&topic, 0).unwrap(),
        framed(id, br#"{"name":"Ann","home":{"country":"NL","city":"Oslo"}}"#)
    );

    // Refused through the referenced schema; nothing of the request is written.
    let before = end_offset(&proxy, &topic).await;
    for (home, message) in [
        (
            json!({"city": "Oslo", "country": "FR"}),
            "at #/home/country: \"FR\" is not one of",
        ),
        (
            json!({"city": "O"}),
            "at #/home/city: \"O\" is shorter than 2 characters",
        ),
        (
            json!({"country": "NL"}),
            "at #/home: \"city\" is a required property",
        ),
    ] {
        let records = json!([{"value": valid}, {"value": {"name": "Bob", "home": home}}]);
        let (status, body) =
            produce(&proxy, &topic, json!({"value_schema_id": id, "records": records})).await;
        assert_eq!((status, body["error_code"].clone()), (400, json!(400)), "{body}");
        let text = body["message"].as_str().unwrap();
        assert!(
            text.starts_with("Bad Request: record 1: the value does not fit its JSON Schema")
                && text.contains(message),
            "{text}"
        );
    }
    assert_eq!(end_offset(&proxy, &topic).await, before);

    // A recursive schema over a value nested 120 deep: every level gets its default.
    let tree = unique("jsonschema-tree");
    create_topic(&tree, 1, &[]).await;
    let schema = r##"{"properties":{"leaf":{"default":true},"kids":{"items":{"$ref":"#"}}}}"##;
    let deep = (0..60).fold("{}".to_owned(), |inner, _| format!(r#"{{"kids":[{inner}]}}"#));
    let (status, response) = produce(
        &proxy,
        &tree,
        json!({"value_schema": schema, "records": [{"value": value(&deep)}]}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let stored = String::from_utf8(read_value(&tree, 0).unwrap()[5..].to_vec()).unwrap();
    assert_eq!(stored.matches(r#""leaf":true"#).count(), 61, "{stored}");

    // An id registered under another subject than TOPIC-value is refused (Confluent: 42207).
    let other = register(&registry, "elsewhere-value", r#"{"type":"string"}"#, json!([])).await;
    let (status, body) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": other, "records": [{"value": "x"}]}),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42207)),
        "{body}"
    );
    let text = body["message"].as_str().unwrap();
    assert!(text.contains(&format!("subject = {topic}-value")), "{text}");
}

#[tokio::test]
async fn jsonschema_errors_use_confluents_codes_and_write_nothing() {
    let (topic, raw) = (unique("jsonschema-errors"), unique("jsonschema-raw"));
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
            json!({"value_schema": r#"{"type":"integer"}"#, "records": [{"key": "k", "value": 1}]}),
        )
        .await,
    );
    assert_eq!((status, error), (422, json!(42201)), "{body}");
    for unusable in ["{", "42", r#"{"type":"strin"}"#, r#"{"$ref":"missing.json"}"#] {
        let (status, error, body) = code(
            produce(
                &proxy,
                &topic,
                json!({"value_schema": unusable, "records": [{"value": 1}]}),
            )
            .await,
        );
        assert_eq!((status, error), (422, json!(42205)), "{unusable}: {body}");
    }
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
            json!({"value_schema": ORDER, "records": [{"value": value(FULL)}, {"value": {"id": "7", "customer": {"name": "Ann", "vip": true}}}]}),
        )
        .await,
    );
    assert_eq!((status, error), (400, json!(400)), "{body}");
    assert_eq!(
        body["message"],
        "Bad Request: record 1: the value does not fit its JSON Schema at #/id: \"7\" is not of type \"integer\""
    );
    assert_eq!(end_offset(&proxy, &topic).await, before);

    // A record that is not Confluent-framed cannot be read: 408/40801 naming it; nor can a
    // framed one that is not JSON.
    produce_direct(&raw, 0, &[(None, b"{\"id\":1}")]).await;
    let base = jsonschema_consumer(&proxy, &raw).await;
    let (status, body) = read_jsonschema(&base, 1).await.unwrap_err();
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
    let garbled = unique("jsonschema-garbled");
    create_topic(&garbled, 1, &[]).await;
    let (status, response) = produce(
        &proxy,
        &garbled,
        json!({"value_schema": r#"{"type":"string"}"#, "records": [{"value": "ok"}]}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let id = response["value_schema_id"].as_u64().unwrap() as u32;
    produce_direct(&garbled, 0, &[(None, &framed(id, b"{not json"))]).await;
    let base = jsonschema_consumer(&proxy, &garbled).await;
    assert_eq!(read_jsonschema(&base, 1).await.unwrap()[0]["value"], "ok");
    let (status, body) = read_jsonschema(&base, 1).await.unwrap_err();
    assert_eq!(
        (status, body["error_code"].clone()),
        (408, json!(40801)),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("the record is not JSON"), "{message}");
}

/// Confluent's Python `JSONDeserializer` reads what krest produced, and krest consumes what its
/// `JSONSerializer` wrote: the same values on both sides.
#[tokio::test]
async fn confluents_python_json_serde_reads_and_writes_what_krest_does() {
    let (to_python, from_python) = (unique("jsonschema-to-python"), unique("jsonschema-from-python"));
    create_topic(&to_python, 1, &[]).await;
    create_topic(&from_python, 1, &[]).await;
    let port = free_port();
    let proxy = proxy_with_registry_on(port);
    let registry = format!("http://127.0.0.1:{port}");
    // Numbers both sides print alike (Python's floats and Java's BigDecimals differ from 1e7 up
    // and below 1e-3, and orjson refuses integers beyond 64 bits).
    let orders = [
        json!({"id": 1, "note": "hi", "customer": {"name": "Ann", "vip": true}, "tags": ["a", "b"],
            "lines": [{"sku": "x-1", "qty": 2, "price": 9.99}, {"sku": "y-2", "qty": 1, "price": 100.0}],
            "total": 0.25, "big": 9007199254740993_i64, "meta": {"z": 1, "a": [null, {}]},
            "text": "é 日本 😀 \"q\" \\ / \n\t\u{1}", "currency": "NOK"}),
        value(FALSY),
    ];

    let key_schema = r#"{"type":"string"}"#;
    let records = json!([
        {"key": "k1", "value": orders[0]},
        {"key": "", "value": orders[1]},
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
        "jsonschema_interop.py",
        &["read", &registry, &bootstrap, &to_python, "3"],
    )
    .await;
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read, records, "what Confluent's JSONDeserializer read");

    let written = records.to_string();
    python_script(
        "jsonschema_interop.py",
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
    let base = jsonschema_consumer(&proxy, &from_python).await;
    let read = support::keys_and_values(read_jsonschema(&base, 3).await.unwrap());
    assert_eq!(read, records, "what krest read of Confluent's JSONSerializer");
}
