//! Confluent's own Python client (`confluent-kafka` from PyPI, installed by
//! scripts/python-env.sh) against krest's Schema Registry and the real broker: its Avro, JSON
//! Schema and Protobuf serializers register schemas and round-trip records.

mod support;

use std::process::Command;

use support::{create_topic, free_port, registry_args, unique, Proxy};

/// The venv interpreter scripts/test.sh prepares; tests refuse to run without one.
fn python() -> String {
    std::env::var("KREST_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("KREST_TEST_PYTHON is not set: run the suite with scripts/test.sh, which prepares it (scripts/python-env.sh)")
    })
}

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

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/clients/registry_interop.py"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .args([script, &registry, &support::bootstrap(), &prefix])
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("interop ok"),
        "python: {}\nstdout:\n{stdout}\nstderr:\n{stderr}\nkrest:\n{}",
        output.status,
        proxy.stderr()
    );
}
