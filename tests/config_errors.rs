//! Start-up refuses bad configuration with a message naming the key, whichever source
//! (file, `KAFKA_REST_*` environment, flag) set it.

mod support;

use std::time::Duration;

use support::{krest, Proxy};

/// Runs `krest serve ARGS` expecting it to stop at once; returns its stderr.
fn fails(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = krest(args, env).output().expect("run krest");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected start-up failure; stderr:\n{stderr}"
    );
    stderr
}

#[test]
fn bad_value_in_a_file_names_key_and_file() {
    let dir = std::env::temp_dir().join(support::unique("krest-config"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kafka-rest.properties");
    std::fs::write(
        &file,
        "bootstrap.servers=localhost:9092\nconsumer.request.timeout.ms=soon\n",
    )
    .unwrap();
    let stderr = fails(&["--config", file.to_str().unwrap()], &[]);
    assert!(stderr.contains("consumer.request.timeout.ms=soon"), "{stderr}");
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("integer"), "says what is allowed: {stderr}");
}

#[test]
fn bad_value_from_environment_or_flag_names_the_key() {
    let stderr = fails(&["--dev"], &[("KAFKA_REST_FETCH_MIN_BYTES", "20000000")]);
    assert!(stderr.contains("fetch.min.bytes=20000000"), "{stderr}");
    assert!(stderr.contains("KAFKA_REST_FETCH_MIN_BYTES"), "{stderr}");
    let stderr = fails(&["--dev", "--set", "consumer.instance.timeout.ms=-5"], &[]);
    assert!(stderr.contains("consumer.instance.timeout.ms"), "{stderr}");
    let stderr = fails(
        &["--dev", "--set", "client.security.protocol=CARRIER_PIGEON"],
        &[],
    );
    assert!(
        stderr.contains("client.security.protocol=CARRIER_PIGEON"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_log_format_names_the_key() {
    let stderr = fails(&["--dev", "--set", "log.format=xml"], &[]);
    assert!(stderr.contains("log.format=xml"), "{stderr}");
    assert!(stderr.contains("expected text or json"), "{stderr}");
}

#[test]
fn zookeeper_connect_explains_bootstrap_servers() {
    let stderr = fails(&[], &[("KAFKA_REST_ZOOKEEPER_CONNECT", "localhost:2181")]);
    assert!(stderr.contains("zookeeper.connect"), "{stderr}");
    assert!(stderr.contains("bootstrap.servers"), "{stderr}");
}

#[test]
fn missing_bootstrap_servers_points_at_dev_mode() {
    let stderr = fails(&[], &[]);
    assert!(stderr.contains("bootstrap.servers"), "{stderr}");
    assert!(stderr.contains("--dev"), "{stderr}");
}

#[test]
fn unknown_and_inert_keys_only_warn() {
    let mut proxy = Proxy::spawn(
        &[
            "--dev",
            "--set",
            "frobnicate=1",
            "--set",
            "consumer.iterator.backoff.ms=50",
        ],
        &[],
    );
    proxy.wait_for_output("unknown configuration key `frobnicate`");
    proxy.wait_for_output(
        "`consumer.iterator.backoff.ms` (from command-line flag) is accepted but has no effect",
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(proxy.pid()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(proxy.wait(Duration::from_secs(20)).success());
}
