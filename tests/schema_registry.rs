//! Schema formats reach the Schema Registry through the host's `schema-registry` import:
//! here the registry krest serves itself, stored in Kafka; Kafka is real.

mod support;

use std::path::Path;

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    call, create_topic, free_port, install_plugin, plugin_wasm, read_value, registry_args, temp_dir, unique,
    Proxy, V2_JSON,
};

const SR_FORMAT: &str = "application/vnd.kafka.sr.v2+json";

async fn produce(proxy: &Proxy, topic: &str, body: Value) -> (u16, Value) {
    support::produce_as(proxy, topic, SR_FORMAT, &body).await
}

#[tokio::test]
async fn schema_formats_register_and_look_up_schemas_through_the_host() {
    registers_and_looks_up_through(&plugin_wasm("krest-fixture-registry")).await;
}

/// The same fixture as built against `krest:plugin@0.1.0` (kept as a file): a plugin built
/// against an older 0.1 keeps loading and working.
#[tokio::test]
async fn a_plugin_built_against_wit_0_1_0_still_works() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/wit-0.1.0/registry-format.wasm");
    registers_and_looks_up_through(&fixture).await;
}

async fn registers_and_looks_up_through(wasm: &Path) {
    let dir = temp_dir("krest-plugins");
    install_plugin(&dir, "sr", wasm);
    let topic = unique("schema-registry");
    create_topic(&topic, 1, &[]).await;
    let mut args = registry_args(free_port(), &unique("_schemas"));
    args.extend(
        [
            "--set",
            &format!("plugins.dir={}", dir.display()),
            "--set",
            "consumer.request.timeout.ms=300",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = Proxy::start(&args);

    let schema = r#"{"type":"object"}"#;
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema": schema, "records": [{"value": {"a": 1}}]}),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        (
            response["value_schema_id"].clone(),
            response["key_schema_id"].clone()
        ),
        (json!(1), Value::Null)
    );
    let stored = read_value(&topic, 0).unwrap();
    assert_eq!(
        stored,
        [&[0u8, 0, 0, 0, 1][..], br#"{"a":1}"#].concat(),
        "Confluent wire format with id 1"
    );

    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": 1, "records": [{"value": [2]}]}),
    )
    .await;
    assert_eq!(
        (status, response["value_schema_id"].clone()),
        (200, json!(1)),
        "{response}"
    );

    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema_id": 99, "records": [{"value": 1}]}),
    )
    .await;
    assert_eq!(
        (status, response["error_code"].clone()),
        (422, json!(42207)),
        "{response}"
    );
    let (status, response) = produce(&proxy, &topic, json!({"records": [{"value": 1}]})).await;
    assert_eq!(
        (status, response["error_code"].clone()),
        (422, json!(42202)),
        "{response}"
    );

    // And back: a consumer of the same format decodes through the registry.
    let (status, _, created) = call(
        Method::POST,
        &proxy.url(&format!("/consumers/{}", unique("group"))),
        Some(json!({"format": "sr", "auto.offset.reset": "earliest"})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let base = created["base_uri"].as_str().unwrap();
    call(
        Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topics": [topic]})),
        V2_JSON,
    )
    .await;
    let mut values = Vec::new();
    for _ in 0..40 {
        let (_, _, records) = call(Method::GET, &format!("{base}/records"), None, SR_FORMAT).await;
        values.extend(records.as_array().unwrap().iter().map(|r| r["value"].clone()));
        if values.len() == 2 {
            break;
        }
    }
    assert_eq!(values, vec![json!({"a": 1}), json!([2])]);
}

#[tokio::test]
async fn without_a_registry_schema_formats_answer_42206() {
    let dir = temp_dir("krest-plugins");
    install_plugin(&dir, "sr", &plugin_wasm("krest-fixture-registry"));
    let topic = unique("schema-registry-none");
    create_topic(&topic, 1, &[]).await;
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "schema.registry.url=",
    ]);
    let (status, response) = produce(
        &proxy,
        &topic,
        json!({"value_schema": "{}", "records": [{"value": 1}]}),
    )
    .await;
    assert_eq!(
        (status, response["error_code"].clone()),
        (422, json!(42206)),
        "{response}"
    );
}
