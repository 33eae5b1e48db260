//! The Schema Registry krest serves, through its REST API on a real broker: every endpoint
//! and error code, a restart that keeps everything, and a second instance that forwards
//! writes to the writer.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{free_port, http, registry_args, unique, Proxy};

const SR: &str = "application/vnd.schemaregistry.v1+json";

struct Registry {
    proxy: Proxy,
    base: String,
}

impl Registry {
    /// A krest serving a registry stored in `topic`, with `extra` settings.
    fn start(topic: &str, extra: &[&str]) -> Registry {
        let port = free_port();
        let mut args: Vec<String> = registry_args(port, topic);
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let proxy = Proxy::start(&args);
        let base = format!("http://127.0.0.1:{port}");
        proxy.wait_for_output(&format!("krest schema registry listening on {base}"));
        Registry { proxy, base }
    }

    /// SIGTERM, and wait for the exit: the instance leaves the writers' group.
    fn stop(mut self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.proxy.pid()),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = self.proxy.wait(std::time::Duration::from_secs(20));
        assert!(status.success(), "{}", self.proxy.stderr());
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = http()
            .request(method, format!("{}{path}", self.base))
            .header("Accept", SR);
        if let Some(body) = body {
            request = request.header("Content-Type", SR).body(body.to_string());
        }
        let response = request.send().await.expect("the registry answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, response) = self.call(method.clone(), path, body).await;
        assert_eq!(status, 200, "{method} {path}: {response}");
        response
    }

    /// Status and `error_code` of a call expected to fail.
    async fn error(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, response) = self.call(method, path, body).await;
        (status, response["error_code"].clone())
    }

    async fn register(&self, subject: &str, schema: &str) -> i64 {
        let body = json!({ "schema": schema });
        let response = self
            .ok(Method::POST, &format!("/subjects/{subject}/versions"), Some(body))
            .await;
        response["id"].as_i64().unwrap()
    }
}

const STRING: &str = r#"{"type":"string"}"#;
const RECORD_V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
const RECORD_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;

#[tokio::test]
async fn register_look_up_and_list() {
    let r = Registry::start(&unique("_schemas"), &[]);
    assert_eq!(r.ok(Method::GET, "/", None).await, json!({}));
    assert_eq!(r.ok(Method::GET, "/subjects", None).await, json!([]));
    let mut types: Vec<String> =
        serde_json::from_value(r.ok(Method::GET, "/schemas/types", None).await).unwrap();
    types.sort();
    assert_eq!(types, ["AVRO", "JSON", "PROTOBUF"]);

    // Unrelated schemas follow each other under one subject here.
    r.ok(Method::PUT, "/config", Some(json!({"compatibility": "NONE"})))
        .await;
    assert_eq!(r.register("a-value", STRING).await, 1);
    assert_eq!(
        r.register("a-value", STRING).await,
        1,
        "the same schema again: same id"
    );
    assert_eq!(
        r.register("b-value", STRING).await,
        1,
        "the same schema elsewhere: same id"
    );
    assert_eq!(r.register("a-value", RECORD_V1).await, 2);
    assert_eq!(
        r.ok(Method::GET, "/subjects", None).await,
        json!(["a-value", "b-value"])
    );
    assert_eq!(
        r.ok(Method::GET, "/subjects/a-value/versions", None).await,
        json!([1, 2])
    );

    let latest = r.ok(Method::GET, "/subjects/a-value/versions/latest", None).await;
    assert_eq!(
        (
            latest["subject"].clone(),
            latest["version"].clone(),
            latest["id"].clone()
        ),
        (json!("a-value"), json!(2), json!(2))
    );
    assert_eq!(latest["schemaType"], "AVRO");
    let first = r.ok(Method::GET, "/subjects/a-value/versions/1", None).await;
    assert_eq!(first["schema"], "\"string\"", "stored in Avro's canonical form");
    let (status, raw) = r
        .call(Method::GET, "/subjects/a-value/versions/1/schema", None)
        .await;
    assert_eq!(
        (status, raw),
        (200, json!("string")),
        "the schema text itself is the body"
    );

    let by_id = r.ok(Method::GET, "/schemas/ids/1", None).await;
    assert_eq!(by_id["schema"], "\"string\"");
    assert_eq!(
        r.ok(Method::GET, "/schemas/ids/1/subjects", None).await,
        json!(["a-value", "b-value"])
    );
    assert_eq!(
        r.ok(Method::GET, "/schemas/ids/1/versions", None).await,
        json!([{"subject": "a-value", "version": 1}, {"subject": "b-value", "version": 1}])
    );

    let found = r
        .ok(
            Method::POST,
            "/subjects/a-value",
            Some(json!({"schema": RECORD_V1})),
        )
        .await;
    assert_eq!(
        (found["version"].clone(), found["id"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        r.error(
            Method::POST,
            "/subjects/b-value",
            Some(json!({"schema": RECORD_V1}))
        )
        .await,
        (404, json!(40403))
    );
    assert_eq!(
        r.error(Method::POST, "/subjects/none", Some(json!({"schema": STRING})))
            .await,
        (404, json!(40401))
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/none/versions", None).await,
        (404, json!(40401))
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/a-value/versions/9", None).await,
        (404, json!(40402))
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/a-value/versions/first", None)
            .await,
        (422, json!(42202))
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/a-value/versions/0", None).await,
        (422, json!(42202))
    );
    assert_eq!(
        r.error(Method::GET, "/schemas/ids/99", None).await,
        (404, json!(40403))
    );
    assert!(r
        .proxy
        .metrics()
        .await
        .contains("krest_schema_registry_requests_total"));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let r = Registry::start(&unique("_schemas"), &[]);
    assert_eq!(r.register("s", STRING).await, 1);
    let bad = [
        json!({"schema": "not json"}),
        json!({"schema": r#"{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":"x"}]}"#}),
        json!({"schema": "{}", "schemaType": "XML"}),
        json!({"schemaType": "AVRO"}),
    ];
    for body in bad {
        assert_eq!(
            r.error(Method::POST, "/subjects/s/versions", Some(body.clone()))
                .await,
            (422, json!(42201)),
            "{body}"
        );
    }
    let response = http()
        .post(format!("{}/subjects/s/versions", r.base))
        .header("Content-Type", SR)
        .body("{\"schema\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let response = http()
        .post(format!("{}/subjects/s/versions", r.base))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(
        r.ok(Method::GET, "/subjects/s/versions", None).await,
        json!([1]),
        "nothing stored changed"
    );
    assert_eq!(r.ok(Method::GET, "/subjects", None).await, json!(["s"]));
}

#[tokio::test]
async fn compatibility_levels_refuse_incompatible_schemas_with_409() {
    let r = Registry::start(&unique("_schemas"), &[]);
    assert_eq!(
        r.ok(Method::GET, "/config", None).await,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_eq!(r.register("users", RECORD_V1).await, 1);
    // A new field with a default: backward compatible.
    assert_eq!(r.register("users", RECORD_V2).await, 2);
    // A new field without a default: new readers cannot read old data.
    let breaking = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":"string"}]}"#;
    let (status, response) = r
        .call(
            Method::POST,
            "/subjects/users/versions",
            Some(json!({"schema": breaking})),
        )
        .await;
    assert_eq!(status, 409, "{response}");
    assert!(
        response["message"].as_str().unwrap().contains("incompatible"),
        "{response}"
    );
    let check = r
        .ok(
            Method::POST,
            "/compatibility/subjects/users/versions/latest?verbose=true",
            Some(json!({"schema": breaking})),
        )
        .await;
    assert_eq!(check["is_compatible"], false);
    assert!(!check["messages"].as_array().unwrap().is_empty());
    let check = r
        .ok(
            Method::POST,
            "/compatibility/subjects/users/versions/1",
            Some(json!({"schema": RECORD_V2})),
        )
        .await;
    assert_eq!(check, json!({"is_compatible": true}));
    let unknown = r
        .ok(
            Method::POST,
            "/compatibility/subjects/none/versions/latest",
            Some(json!({"schema": STRING})),
        )
        .await;
    assert_eq!(unknown, json!({"is_compatible": true}));

    // Per-subject level, then back to the global one.
    assert_eq!(
        r.error(Method::GET, "/config/users", None).await,
        (404, json!(40408))
    );
    let set = r
        .ok(
            Method::PUT,
            "/config/users",
            Some(json!({"compatibility": "none"})),
        )
        .await;
    assert_eq!(set, json!({"compatibility": "NONE"}));
    assert_eq!(
        r.ok(Method::GET, "/config/users", None).await,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(r.register("users", breaking).await, 3);
    assert_eq!(
        r.error(
            Method::PUT,
            "/config/users",
            Some(json!({"compatibility": "SIDEWAYS"}))
        )
        .await,
        (422, json!(42203))
    );
    assert_eq!(
        r.ok(Method::DELETE, "/config/users", None).await,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        r.error(Method::DELETE, "/config/users", None).await,
        (404, json!(40401))
    );
    let global = r
        .ok(
            Method::PUT,
            "/config",
            Some(json!({"compatibility": "FULL_TRANSITIVE"})),
        )
        .await;
    assert_eq!(global, json!({"compatibility": "FULL_TRANSITIVE"}));
    assert_eq!(
        r.ok(Method::GET, "/config/users?defaultToGlobal=true", None)
            .await,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );

    // READONLY refuses writes with 42205.
    assert_eq!(
        r.ok(Method::PUT, "/mode/users", Some(json!({"mode": "READONLY"})))
            .await,
        json!({"mode": "READONLY"})
    );
    assert_eq!(
        r.error(
            Method::POST,
            "/subjects/users/versions",
            Some(json!({"schema": STRING}))
        )
        .await,
        (422, json!(42205))
    );
    assert_eq!(
        r.error(Method::PUT, "/mode", Some(json!({"mode": "SOMETIMES"})))
            .await,
        (422, json!(42204))
    );
    assert_eq!(
        r.ok(Method::DELETE, "/mode/users", None).await,
        json!({"mode": "READONLY"})
    );
    assert_eq!(
        r.ok(Method::GET, "/mode", None).await,
        json!({"mode": "READWRITE"})
    );
}

#[tokio::test]
async fn soft_then_permanent_deletes() {
    let r = Registry::start(&unique("_schemas"), &[]);
    // Unrelated schemas follow each other under one subject here.
    r.ok(Method::PUT, "/config", Some(json!({"compatibility": "NONE"})))
        .await;
    r.register("d", STRING).await;
    let second = r.register("d", RECORD_V1).await;
    assert_eq!(
        r.error(Method::DELETE, "/subjects/d/versions/2?permanent=true", None)
            .await,
        (404, json!(40407))
    );
    assert_eq!(
        r.ok(Method::DELETE, "/subjects/d/versions/2", None).await,
        json!(2)
    );
    assert_eq!(
        r.error(Method::DELETE, "/subjects/d/versions/2", None).await,
        (404, json!(40406))
    );
    assert_eq!(r.ok(Method::GET, "/subjects/d/versions", None).await, json!([1]));
    assert_eq!(
        r.ok(Method::GET, "/subjects/d/versions?deleted=true", None).await,
        json!([1, 2])
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/d/versions/2", None).await,
        (404, json!(40402))
    );
    assert_eq!(
        r.ok(Method::GET, "/subjects/d/versions/2?deleted=true", None)
            .await["deleted"],
        true
    );
    assert!(
        r.ok(Method::GET, &format!("/schemas/ids/{second}"), None).await["schema"].is_string(),
        "soft-deleted ids still resolve"
    );

    assert_eq!(
        r.error(Method::DELETE, "/subjects/d?permanent=true", None).await,
        (404, json!(40405))
    );
    assert_eq!(r.ok(Method::DELETE, "/subjects/d", None).await, json!([1]));
    assert_eq!(
        r.error(Method::DELETE, "/subjects/d", None).await,
        (404, json!(40404))
    );
    assert_eq!(r.ok(Method::GET, "/subjects", None).await, json!([]));
    assert_eq!(
        r.ok(Method::GET, "/subjects?deleted=true", None).await,
        json!(["d"])
    );
    assert_eq!(
        r.ok(Method::DELETE, "/subjects/d?permanent=true", None).await,
        json!([1, 2])
    );
    assert_eq!(
        r.error(Method::GET, "/subjects/d/versions?deleted=true", None)
            .await,
        (404, json!(40401))
    );
    assert_eq!(
        r.error(Method::GET, &format!("/schemas/ids/{second}"), None)
            .await,
        (404, json!(40403))
    );
    assert_eq!(
        r.error(Method::DELETE, "/subjects/d", None).await,
        (404, json!(40401))
    );
    // Ids are never reused.
    assert_eq!(r.register("d", r#"{"type":"int"}"#).await, 3);
}

#[tokio::test]
async fn a_restart_keeps_every_subject_version_and_id() {
    let topic = unique("_schemas");
    let ids = {
        let r = Registry::start(&topic, &[]);
        r.ok(Method::PUT, "/config", Some(json!({"compatibility": "NONE"})))
            .await;
        let ids = (
            r.register("k", STRING).await,
            r.register("k", RECORD_V1).await,
            r.register("l", RECORD_V1).await,
        );
        r.ok(Method::PUT, "/config/k", Some(json!({"compatibility": "NONE"})))
            .await;
        r.ok(Method::DELETE, "/subjects/l", None).await;
        r.stop();
        ids
    };
    assert_eq!(ids, (1, 2, 2));
    let r = Registry::start(&topic, &[]);
    assert_eq!(r.ok(Method::GET, "/subjects", None).await, json!(["k"]));
    assert_eq!(
        r.ok(Method::GET, "/subjects?deleted=true", None).await,
        json!(["k", "l"])
    );
    assert_eq!(
        r.ok(Method::GET, "/subjects/k/versions", None).await,
        json!([1, 2])
    );
    assert_eq!(
        r.ok(Method::GET, "/schemas/ids/2", None).await["schema"],
        json!(serde_json::from_str::<Value>(RECORD_V1).unwrap().to_string())
    );
    assert_eq!(
        r.ok(Method::GET, "/config/k", None).await,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        r.register("k", r#"{"type":"long"}"#).await,
        3,
        "the next id follows the highest"
    );
}

#[tokio::test]
async fn a_second_instance_forwards_writes_to_the_writer() {
    let topic = unique("_schemas");
    let writer = Registry::start(&topic, &[]);
    let follower = Registry::start(&topic, &["--set", "leader.eligibility=false"]);
    let id = follower.register("f", RECORD_V1).await;
    assert_eq!(id, 1);
    for registry in [&writer, &follower] {
        let latest = registry
            .ok(Method::GET, "/subjects/f/versions/latest", None)
            .await;
        assert_eq!(
            (latest["id"].clone(), latest["version"].clone()),
            (json!(1), json!(1))
        );
    }
    assert_eq!(
        follower
            .ok(Method::PUT, "/config/f", Some(json!({"compatibility": "FULL"})))
            .await,
        json!({"compatibility": "FULL"})
    );
    assert_eq!(
        writer.ok(Method::GET, "/config/f", None).await,
        json!({"compatibilityLevel": "FULL"})
    );
    // The writer's refusals pass through with their codes.
    assert_eq!(
        follower
            .error(Method::DELETE, "/subjects/f/versions/1?permanent=true", None)
            .await,
        (404, json!(40407))
    );

    // Without an eligible instance nobody writes: 50004.
    writer.stop();
    let lonely = Registry::start(&unique("_schemas"), &["--set", "leader.eligibility=false"]);
    assert_eq!(
        lonely
            .error(
                Method::POST,
                "/subjects/x/versions",
                Some(json!({"schema": STRING}))
            )
            .await,
        (500, json!(50004))
    );
}

#[tokio::test]
async fn references_resolve_and_protect_what_they_name() {
    let r = Registry::start(&unique("_schemas"), &[]);
    let address = r#"{"type":"record","name":"Address","namespace":"krest","fields":[{"name":"city","type":"string"}]}"#;
    assert_eq!(r.register("address", address).await, 1);
    let person = r#"{"type":"record","name":"Person","namespace":"krest","fields":[{"name":"home","type":"krest.Address"}]}"#;
    let references = json!([{"name": "krest.Address", "subject": "address", "version": 1}]);
    let body = json!({"schema": person, "references": references});
    let registered = r
        .ok(Method::POST, "/subjects/person/versions", Some(body.clone()))
        .await;
    assert_eq!(registered["id"], 2);
    let by_id = r.ok(Method::GET, "/schemas/ids/2", None).await;
    assert_eq!(by_id["references"], references);
    assert_eq!(
        r.ok(Method::GET, "/subjects/address/versions/1/referencedby", None)
            .await,
        json!([2])
    );
    // What a live schema references cannot be deleted.
    assert_eq!(
        r.error(Method::DELETE, "/subjects/address/versions/1", None)
            .await,
        (422, json!(42206))
    );
    assert_eq!(
        r.error(Method::DELETE, "/subjects/address", None).await,
        (422, json!(42206))
    );
    // Without its reference the schema does not parse; with a missing one neither.
    assert_eq!(
        r.error(
            Method::POST,
            "/subjects/other/versions",
            Some(json!({"schema": person}))
        )
        .await,
        (422, json!(42201))
    );
    let dangling = json!({"schema": person, "references": [{"name": "krest.Address", "subject": "address", "version": 7}]});
    assert_eq!(
        r.error(Method::POST, "/subjects/other/versions", Some(dangling))
            .await,
        (422, json!(42201))
    );
    // The look-up finds it with its references.
    assert_eq!(r.ok(Method::POST, "/subjects/person", Some(body)).await["id"], 2);
}

#[tokio::test]
async fn import_mode_keeps_the_ids_it_is_given() {
    let r = Registry::start(&unique("_schemas"), &[]);
    assert_eq!(
        r.ok(Method::PUT, "/mode", Some(json!({"mode": "IMPORT"}))).await,
        json!({"mode": "IMPORT"})
    );
    // In IMPORT mode only registrations with an id are taken, unchecked, as given.
    assert_eq!(
        r.error(
            Method::POST,
            "/subjects/i/versions",
            Some(json!({"schema": STRING}))
        )
        .await,
        (422, json!(42205))
    );
    let imported = json!({"schema": RECORD_V1, "id": 42, "version": 3});
    let registered = r.ok(Method::POST, "/subjects/i/versions", Some(imported)).await;
    assert_eq!(
        (registered["id"].clone(), registered["version"].clone()),
        (json!(42), json!(3))
    );
    let clash = json!({"schema": STRING, "id": 42, "version": 4});
    assert_eq!(
        r.error(Method::POST, "/subjects/i/versions", Some(clash)).await,
        (422, json!(42205))
    );
    assert_eq!(
        r.ok(Method::DELETE, "/mode", None).await,
        json!({"mode": "IMPORT"})
    );
    // Back in READWRITE, new ids follow the highest imported one.
    assert_eq!(r.register("j", STRING).await, 43);
    assert_eq!(
        r.error(Method::PUT, "/mode", Some(json!({"mode": "IMPORT"})))
            .await,
        (422, json!(42205)),
        "live subjects"
    );
    let (status, raw) = r.call(Method::GET, "/schemas/ids/42/schema", None).await;
    assert_eq!(
        (status, raw),
        (200, serde_json::from_str::<Value>(RECORD_V1).unwrap())
    );
    let all = r
        .ok(
            Method::POST,
            "/compatibility/subjects/i/versions",
            Some(json!({"schema": RECORD_V2})),
        )
        .await;
    assert_eq!(all, json!({"is_compatible": true}));
    assert_eq!(r.error(Method::GET, "/mode/i", None).await, (404, json!(40409)));
    assert_eq!(
        r.ok(Method::GET, "/mode/i?defaultToGlobal=true", None).await,
        json!({"mode": "READWRITE"})
    );
}

#[tokio::test]
async fn stack_rejections_are_registry_errors() {
    let r = Registry::start(&unique("_schemas"), &[]);
    assert_eq!(
        r.error(Method::GET, "/subjects/%FF%FE/versions", None).await,
        (400, json!(400))
    );
    assert_eq!(r.error(Method::GET, "/nowhere", None).await, (404, json!(404)));
    assert_eq!(r.error(Method::PATCH, "/subjects", None).await, (405, json!(405)));
}
