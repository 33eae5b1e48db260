//! Confluent's own Python client (`confluent-kafka` from PyPI, installed by
//! scripts/python-env.sh) against krest's Schema Registry and the real broker: its Avro, JSON
//! Schema and Protobuf serializers register schemas and round-trip records.

mod support;

use support::{create_topic, free_port, registry_args, run_python, unique, Proxy};

#[tokio::test]
async fn confluents_python_serializers_round_trip_through_krests_registry() {
    let prefix = unique("interop");
    for kind in ["avro", "json", "protobuf"] {
        create_topic(&format!("{prefix}-{kind}"), 1, &[]).await;
    }
    let port = free_port();
    let args = registry_args(port, &unique("_schemas"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = Proxy::start(&args);
    let registry = format!("http://127.0.0.1:{port}");
    proxy.wait_for_output(&format!("krest schema registry listening on {registry}"));

    let bootstrap = support::bootstrap();
    let stdout = tokio::task::spawn_blocking(move || {
        run_python("registry_interop.py", &[&registry, &bootstrap, &prefix])
    })
    .await
    .unwrap();
    assert!(stdout.contains("interop ok"), "{stdout}");
}
