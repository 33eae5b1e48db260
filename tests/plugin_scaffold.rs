//! `krest plugin new` as a plugin author outside this repository meets it: each world's project
//! passes its own unit test, builds with `--profile plugin` from its own Cargo.toml and loads
//! into a running krest (the format serves a produce and a read on the real broker); the SDK
//! as `cargo package` ships it builds a plugin too, and forgetting the world feature is one
//! clear error.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    call, create_topic, install_plugin, plugin_list, produce_as, read_records_as, read_value,
    subscribed_consumer, target_dir, temp_dir, unique, Proxy, V2_JSON,
};

/// The workspace this test belongs to.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// One target dir for every scaffolded project, kept between runs: their dependencies
/// (wit-bindgen, serde_json) compile once.
fn scaffolds_target() -> PathBuf {
    target_dir().join("plugin-scaffolds")
}

/// Asserts that a command succeeded, showing its output otherwise.
fn succeeded(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what}: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `krest plugin new ARGS`.
fn plugin_new(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_krest"))
        .args(["plugin", "new"])
        .args(args)
        .output()
        .expect("run krest plugin new")
}

/// `cargo ARGS` in `project`, building into the scaffolds' target dir.
fn cargo(project: &Path, args: &[&str]) -> Output {
    Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .current_dir(project)
        .args(args)
        .env("CARGO_TARGET_DIR", scaffolds_target())
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .expect("run cargo")
}

/// Scaffolds `name` of `world` into `parent/name` against the SDK in `sdk`. The workspace's
/// Cargo.lock goes beside it, so dependencies resolve to the versions already compiled here.
fn scaffold(parent: &Path, name: &str, world: &str, sdk: &Path) -> PathBuf {
    let project = parent.join(name);
    let output = succeeded(
        plugin_new(&[
            name,
            "--world",
            world,
            "--dir",
            project.to_str().unwrap(),
            "--sdk-path",
            sdk.to_str().unwrap(),
        ]),
        "krest plugin new",
    );
    let told = String::from_utf8_lossy(&output.stdout);
    assert!(told.contains("--profile plugin"), "{told}");
    std::fs::copy(repo().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    project
}

/// Builds a scaffolded project as its README says; returns the component.
fn build(project: &Path, name: &str) -> PathBuf {
    let args = ["build", "--target", "wasm32-wasip2", "--profile", "plugin"];
    succeeded(cargo(project, &args), &format!("cargo build of {name}"));
    let wasm = scaffolds_target()
        .join("wasm32-wasip2/plugin")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(wasm.is_file(), "{} missing", wasm.display());
    wasm
}

fn kind_of(plugins: &[Value], name: &str) -> Value {
    let entry = plugins.iter().find(|p| p["name"] == name);
    entry.map_or(Value::Null, |p| p["kind"].clone())
}

#[tokio::test]
async fn scaffolded_plugins_of_every_world_test_build_and_load() {
    let projects = temp_dir("krest-scaffold");
    let plugins_dir = temp_dir("krest-scaffold-plugins");
    let sdk = repo().join("plugin-sdk");
    for world in ["format", "auth", "transform"] {
        let name = format!("new-{world}");
        let project = scaffold(&projects, &name, world, &sdk);
        let tested = succeeded(cargo(&project, &["test"]), &format!("cargo test of {name}"));
        let summary = String::from_utf8_lossy(&tested.stdout);
        let passed: usize = summary
            .lines()
            .filter_map(|line| line.strip_prefix("test result: ok. "))
            .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
            .sum();
        assert!(passed >= 1, "{name} ran no unit test:\n{summary}");
        succeeded(
            cargo(&project, &["fmt", "--check"]),
            &format!("cargo fmt --check of {name}"),
        );
        let wasm = build(&project, &name);
        std::fs::copy(
            project.join(format!("{name}.toml")),
            plugins_dir.join(format!("{name}.toml")),
        )
        .unwrap();
        install_plugin(&plugins_dir, &name, &wasm);
    }

    let proxy = Proxy::start(&["--set", &format!("plugins.dir={}", plugins_dir.display())]);
    let plugins = plugin_list(&proxy).await;
    for world in ["format", "auth", "transform"] {
        assert_eq!(
            kind_of(&plugins, &format!("new-{world}")),
            json!(world),
            "{plugins:?}"
        );
    }

    // The format stores a JSON string as its text and reads it back.
    let topic = unique("scaffold-format");
    create_topic(&topic, 1, &[]).await;
    let content_type = "application/vnd.kafka.new-format.v2+json";
    let records = json!({"records": [{"key": "k-1", "value": "héllo \"world\""}]});
    let (status, answer) = produce_as(&proxy, &topic, content_type, &records).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(read_value(&topic, 0).unwrap(), "héllo \"world\"".as_bytes());
    let consumer = subscribed_consumer(&proxy, "new-format", &topic).await;
    let read = read_records_as(&consumer, content_type, 1).await.unwrap();
    assert_eq!(
        (&read[0]["key"], &read[0]["value"]),
        (&json!("k-1"), &json!("héllo \"world\"")),
        "{read:?}"
    );

    // A record that is not a string fails (400); a request naming a schema fails whole (42205).
    let (status, answer) =
        produce_as(&proxy, &topic, content_type, &json!({"records": [{"value": 42}]})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("must be a JSON string"),
        "{answer}"
    );
    let with_schema = json!({"value_schema": "\"string\"", "records": [{"value": "x"}]});
    let (status, answer) = produce_as(&proxy, &topic, content_type, &with_schema).await;
    assert_eq!((status, &answer["error_code"]), (422, &json!(42205)), "{answer}");
    let (status, _, _) = call(Method::DELETE, &consumer, None, V2_JSON).await;
    assert_eq!(status, 204);
}

/// The SDK as crates.io would serve it (`cargo package`), outside the workspace, with its
/// own copy of the WIT, builds a scaffolded plugin.
#[test]
fn the_packaged_sdk_carries_its_wit_and_builds_a_plugin() {
    let listed = succeeded(
        Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .current_dir(repo())
            .args(["package", "-p", "krest-plugin-sdk", "--allow-dirty", "--list"])
            .output()
            .unwrap(),
        "cargo package --list",
    );
    let files = String::from_utf8_lossy(&listed.stdout);
    assert!(files.lines().any(|f| f == "wit/krest.wit"), "{files}");

    let package_target = scaffolds_target().join("package");
    succeeded(
        Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .current_dir(repo())
            .args([
                "package",
                "-p",
                "krest-plugin-sdk",
                "--allow-dirty",
                "--no-verify",
            ])
            .arg("--target-dir")
            .arg(&package_target)
            .output()
            .unwrap(),
        "cargo package",
    );
    let unpacked = temp_dir("krest-sdk-package");
    let version = env!("CARGO_PKG_VERSION");
    let crate_file = package_target.join(format!("package/krest-plugin-sdk-{version}.crate"));
    succeeded(
        Command::new("tar")
            .arg("-xzf")
            .arg(&crate_file)
            .arg("-C")
            .arg(&unpacked)
            .output()
            .unwrap(),
        "unpack the .crate",
    );
    let sdk = unpacked.join(format!("krest-plugin-sdk-{version}"));
    let wit = std::fs::read(sdk.join("wit/krest.wit")).unwrap();
    assert_eq!(wit, std::fs::read(repo().join("wit/krest.wit")).unwrap());

    let project = scaffold(&temp_dir("krest-scaffold"), "packaged-sdk", "transform", &sdk);
    build(&project, "packaged-sdk");
}

/// A plugin that enables no world gets the SDK's one error naming the features, not errors
/// from inside the SDK.
#[test]
fn forgetting_the_world_feature_is_one_clear_error() {
    let project = scaffold(
        &temp_dir("krest-scaffold"),
        "no-world",
        "transform",
        &repo().join("plugin-sdk"),
    );
    let manifest = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains(r#"features = ["transform"]"#), "{text}");
    std::fs::write(&manifest, text.replace(r#", features = ["transform"]"#, "")).unwrap();
    let output = cargo(
        &project,
        &["build", "--target", "wasm32-wasip2", "--profile", "plugin"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains(
            "enable the feature of the world your plugin implements: `format`, `auth` or `transform`"
        ),
        "{stderr}"
    );
    assert!(
        errors[1].contains("could not compile `krest-plugin-sdk`"),
        "{stderr}"
    );
}
