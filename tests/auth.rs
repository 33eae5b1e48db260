//! Auth plugins in every request (`auth.plugins`): unauthenticated callers reach no endpoint
//! and nothing behind it, operations are authorized per topic and group, consumer instances
//! belong to their creator, and a plugin that traps, loops or answers nonsense refuses (fail
//! closed). The example `allowlist` plugin and the `fault-auth` fixture play the plugins.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use support::{
    allowlist_proxy, create_topic, end_offset, http, install_plugin, plugin_wasm, send_json, temp_dir,
    unique, Proxy, V2_JSON,
};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";

/// Status and body of a call with `key` as `x-api-key` (none: no credentials).
async fn call_as(
    key: Option<&str>,
    method: Method,
    url: &str,
    body: Option<Value>,
    content_type: &str,
) -> (u16, Value) {
    let mut request = http().request(method, url);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    send_json(request, body, content_type).await
}

fn record() -> Value {
    json!({"records": [{"value": "a3Jlc3Q="}]})
}

#[tokio::test]
async fn no_endpoint_answers_an_unauthenticated_caller() {
    let topic = unique("alice-guarded");
    create_topic(&topic, 1, &[]).await;
    let proxy = allowlist_proxy(&[]);
    let instance = format!("/consumers/alice-group/instances/{}", unique("i"));
    let at = |suffix: &str| format!("{instance}{suffix}");
    let t = format!("/topics/{topic}");
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, "/".into()),
        (Method::POST, "/".into()),
        (Method::GET, "/brokers".into()),
        (Method::GET, "/topics".into()),
        (Method::GET, t.clone()),
        (Method::POST, t.clone()),
        (Method::GET, format!("{t}/partitions")),
        (Method::GET, format!("{t}/partitions/0")),
        (Method::POST, format!("{t}/partitions/0")),
        (Method::GET, format!("{t}/partitions/0/offsets")),
        (Method::POST, "/consumers/alice-group".into()),
        (Method::DELETE, instance.clone()),
        (Method::POST, at("/subscription")),
        (Method::GET, at("/subscription")),
        (Method::DELETE, at("/subscription")),
        (Method::POST, at("/assignments")),
        (Method::GET, at("/assignments")),
        (Method::POST, at("/positions")),
        (Method::POST, at("/positions/beginning")),
        (Method::POST, at("/positions/end")),
        (Method::GET, at("/records")),
        (Method::POST, at("/offsets")),
        (Method::GET, at("/offsets")),
        (Method::GET, "/metrics".into()),
        (Method::GET, "/plugins".into()),
        (Method::GET, "/no/such/path".into()),
    ];
    for (method, path) in routes {
        for key in [None, Some("forged-key")] {
            let (status, body) =
                call_as(key, method.clone(), &proxy.url(&path), Some(record()), BINARY).await;
            assert_eq!(
                (status, body["error_code"].clone()),
                (401, json!(40101)),
                "{method} {path} as {key:?}: {body}"
            );
        }
    }
    // What was refused did nothing: no record, no consumer instance.
    assert_eq!(end_offset_as(&proxy, &topic).await, 0);
    let (status, _) = call_as(
        None,
        Method::POST,
        &proxy.url("/consumers/alice-group"),
        Some(json!({"name": "ghost"})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = call_as(
        Some("alice-key"),
        Method::GET,
        &proxy.url("/consumers/alice-group/instances/ghost/subscription"),
        None,
        V2_JSON,
    )
    .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40403)),
        "{body}"
    );
}

async fn end_offset_as(proxy: &Proxy, topic: &str) -> i64 {
    let url = proxy.url(&format!("/topics/{topic}/partitions/0/offsets"));
    let (status, body) = call_as(Some("alice-key"), Method::GET, &url, None, V2_JSON).await;
    assert_eq!(status, 200, "{body}");
    body["end_offset"].as_i64().unwrap()
}

#[tokio::test]
async fn topics_are_authorized_per_principal_and_listings_show_only_allowed_topics() {
    let (alice, bob) = (unique("alice-orders"), unique("bob-orders"));
    create_topic(&alice, 1, &[]).await;
    create_topic(&bob, 1, &[]).await;
    let proxy = allowlist_proxy(&[]);
    let produce = |key: &'static str, topic: String| {
        let url = proxy.url(&format!("/topics/{topic}"));
        async move { call_as(Some(key), Method::POST, &url, Some(record()), BINARY).await }
    };
    assert_eq!(produce("alice-key", alice.clone()).await.0, 200);
    let (status, body) = produce("bob-key", alice.clone()).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (403, json!(40301)),
        "{body}"
    );
    let (status, _) = produce("alice-key", bob.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(
        end_offset_as(&proxy, &alice).await,
        1,
        "only alice's record was written"
    );

    let (status, listed) = call_as(
        Some("alice-key"),
        Method::GET,
        &proxy.url("/topics"),
        None,
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(listed.contains(&alice.as_str()), "{listed:?}");
    assert!(listed.iter().all(|t| t.starts_with("alice-")), "{listed:?}");
    let (status, _) = call_as(
        Some("alice-key"),
        Method::GET,
        &proxy.url(&format!("/topics/{bob}")),
        None,
        V2_JSON,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn consumer_instances_belong_to_the_principal_that_created_them() {
    let topic = unique("alice-read");
    create_topic(&topic, 1, &[]).await;
    let proxy = allowlist_proxy(&[]);
    let group = unique("group");
    let (status, created) = call_as(
        Some("alice-key"),
        Method::POST,
        &proxy.url(&format!("/consumers/{group}")),
        Some(json!({"format": "binary", "auto.offset.reset": "earliest"})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let base = created["base_uri"].as_str().unwrap().to_string();
    let subscribe = |key: &'static str, topics: Value| {
        let url = format!("{base}/subscription");
        async move {
            call_as(
                Some(key),
                Method::POST,
                &url,
                Some(json!({"topics": topics})),
                V2_JSON,
            )
            .await
        }
    };
    // Another principal cannot see, use or delete it.
    assert_eq!(subscribe("bob-key", json!([topic])).await.0, 404);
    let (status, _) = call_as(Some("bob-key"), Method::DELETE, &base, None, V2_JSON).await;
    assert_eq!(status, 404);
    // Its owner may use it, for topics it may read; patterns cannot be authorized up front.
    assert_eq!(subscribe("alice-key", json!(["bob-secrets"])).await.0, 403);
    let (status, body) = call_as(
        Some("alice-key"),
        Method::POST,
        &format!("{base}/subscription"),
        Some(json!({"topic_pattern": "alice-.*"})),
        V2_JSON,
    )
    .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (403, json!(40301)),
        "{body}"
    );
    assert_eq!(subscribe("alice-key", json!([topic])).await.0, 204);
    let (status, _) = call_as(Some("alice-key"), Method::DELETE, &base, None, V2_JSON).await;
    assert_eq!(status, 204);
}

/// Through another krest process (forwarded to the instance's): the same refusals, and the
/// unauthenticated caller is refused where it arrives.
#[tokio::test]
async fn forwarded_consumer_requests_are_authenticated_and_authorized_the_same() {
    let topic = unique("alice-forwarded");
    create_topic(&topic, 1, &[]).await;
    let directory = format!("consumer.directory.topic={}", unique("_krest_consumers"));
    let owner = allowlist_proxy(&["--set", &directory]);
    let other = allowlist_proxy(&["--set", &directory]);
    let group = unique("group");
    let (status, created) = call_as(
        Some("alice-key"),
        Method::POST,
        &owner.url(&format!("/consumers/{group}")),
        Some(json!({})),
        V2_JSON,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let subscription = other.url(&format!(
        "/consumers/{group}/instances/{}/subscription",
        created["instance_id"].as_str().unwrap()
    ));
    let subscribe = |key: Option<&'static str>| {
        let url = subscription.clone();
        let topics = json!({"topics": [topic]});
        async move { call_as(key, Method::POST, &url, Some(topics), V2_JSON).await }
    };
    let (status, body) = subscribe(None).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (401, json!(40101)),
        "{body}"
    );
    let (status, body) = subscribe(Some("bob-key")).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (404, json!(40403)),
        "{body}"
    );
    assert_eq!(subscribe(Some("alice-key")).await.0, 204);
    let (status, body) = call_as(Some("alice-key"), Method::GET, &subscription, None, V2_JSON).await;
    assert_eq!((status, body), (200, json!({"topics": [topic]})));
}

#[tokio::test]
async fn skipped_paths_need_no_credentials() {
    let proxy = allowlist_proxy(&["--set", "authentication.skip.paths=/metrics"]);
    let (status, _) = call_as(None, Method::GET, &proxy.url("/metrics"), None, V2_JSON).await;
    assert_eq!(status, 200);
    let (status, _) = call_as(None, Method::GET, &proxy.url("/topics"), None, V2_JSON).await;
    assert_eq!(status, 401);
}

/// Fail closed: a plugin that traps, loops, answers nonsense or is not loaded refuses the
/// request; the refusal is logged and counted, and the next request is served normally.
#[tokio::test]
async fn failing_or_missing_auth_plugins_refuse() {
    let topic = unique("fault-auth");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-fault-auth");
    install_plugin(&dir, "fault", &plugin_wasm("krest-fixture-fault-auth"));
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "auth.plugins=fault",
        "--set",
        "plugins.call.timeout.ms=200",
    ]);
    let url = proxy.url(&format!("/topics/{topic}"));
    for (fault, status, code) in [
        ("trap", 401, 40101),
        ("loop", 401, 40101),
        ("garbage", 403, 40301),
    ] {
        let response = http()
            .post(&url)
            .header("x-fault", fault)
            .header("Content-Type", BINARY)
            .body(record().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{fault}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], code, "{fault}: {body}");
    }
    assert_eq!(end_offset(&proxy, &topic).await, 0, "nothing was written");
    let (status, _) = call_as(None, Method::POST, &url, Some(record()), BINARY).await;
    assert_eq!(status, 200, "a well-behaved call is served");
    let metrics = proxy.metrics().await;
    assert!(
        metrics.contains(r#"krest_auth_denials_total{plugin="fault",stage="failed"} 3"#),
        "{metrics}"
    );

    let missing = Proxy::start(&["--set", "auth.plugins=nobody"]);
    let (status, body) = call_as(None, Method::GET, &missing.url("/topics"), None, V2_JSON).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (401, json!(40101)),
        "{body}"
    );
}

/// `examples/security/kafka-rest.properties` as written: https on 127.0.0.1:8443 with the
/// example certificate, no plaintext listener, the built-in `basic` and `acl` configured by
/// the TOML files beside it. alice may use `alice-*` topics; bob may do nothing.
#[tokio::test]
async fn the_security_example_serves_https_with_basic_users_and_acls() {
    let topic = "alice-orders";
    support::ensure_topic(topic).await;
    let bootstrap = support::bootstrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/security");
    let proxy = Proxy::run(support::krest_as_written(
        &["--config", &format!("{example}/kafka-rest.properties")],
        &[("KAFKA_REST_BOOTSTRAP_SERVERS", &bootstrap)],
    ));
    assert_eq!(proxy.base, "https://127.0.0.1:8443");
    let ca = std::fs::read(format!("{example}/ca.pem")).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let produce = |user: Option<(&str, &str)>| {
        let mut request = client
            .post(proxy.url(&format!("/topics/{topic}")))
            .header("Content-Type", "application/vnd.kafka.json.v2+json")
            .body(r#"{"records":[{"value":{"n":1}}]}"#);
        if let Some((name, password)) = user {
            request = request.basic_auth(name, Some(password));
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let as_alice = |request: reqwest::RequestBuilder| request.basic_auth("alice", Some("alice-secret"));
    let before = end_offset_with(&client, &proxy, topic, as_alice).await;
    assert_eq!(produce(None).await, 401);
    assert_eq!(produce(Some(("alice", "wrong"))).await, 401);
    assert_eq!(produce(Some(("bob", "bob-secret"))).await, 403);
    assert_eq!(produce(Some(("alice", "alice-secret"))).await, 200);
    assert_eq!(
        end_offset_with(&client, &proxy, topic, as_alice).await,
        before + 1,
        "only alice's record"
    );
    let listed = client
        .get(proxy.url("/topics"))
        .basic_auth("bob", Some("bob-secret"))
        .header("Accept", V2_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.json::<Value>().await.unwrap(),
        json!([]),
        "bob may describe nothing"
    );
    assert!(
        http().get("http://127.0.0.1:8443/topics").send().await.is_err(),
        "no plaintext listener"
    );
}

/// The end offset of `topic`'s partition 0, asked with `credentials` added to the request.
async fn end_offset_with(
    client: &reqwest::Client,
    proxy: &Proxy,
    topic: &str,
    credentials: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> i64 {
    let request = client.get(proxy.url(&format!("/topics/{topic}/partitions/0/offsets")));
    let response = credentials(request)
        .header("Accept", V2_JSON)
        .send()
        .await
        .unwrap();
    let answer: Value = response.json().await.unwrap();
    answer["end_offset"]
        .as_i64()
        .expect("the caller may describe the topic")
}

/// The built-in `jwt` (ES256 tokens checked against a JWKS) chained with `acl`: a valid token
/// names its subject, whom the ACLs then judge; forged, expired and foreign tokens get 401.
#[tokio::test]
async fn bearer_tokens_name_principals_for_acls() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let topic = unique("alice-jwt");
    create_topic(&topic, 1, &[]).await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/jwt");
    let jwks = std::fs::read_to_string(format!("{fixtures}/jwks.json")).unwrap();
    let dir = temp_dir("krest-jwt");
    std::fs::write(
        dir.join("jwt.toml"),
        format!(
            "jwks = '{}'\nissuer = \"https://idp.example\"\naudience = \"krest\"\n",
            jwks.trim()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("acl.toml"),
        "[rules]\nalice = \"allow User:alice describe,write topic:alice-*\"\n",
    )
    .unwrap();
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "auth.plugins=jwt,acl",
    ]);
    let key = EncodingKey::from_ec_pem(&std::fs::read(format!("{fixtures}/es256-key.pem")).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = |sub: &str, exp: u64, iss: &str| {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        let claims = json!({"sub": sub, "exp": exp, "iss": iss, "aud": "krest"});
        encode(&header, &claims, &key).unwrap()
    };
    let produce = |token: String| {
        let url = proxy.url(&format!("/topics/{topic}"));
        async move {
            http()
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", BINARY)
                .body(record().to_string())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let issuer = "https://idp.example";
    assert_eq!(produce(token("alice", now + 300, issuer)).await, 200);
    assert_eq!(produce(token("bob", now + 300, issuer)).await, 403);
    assert_eq!(produce(token("alice", now - 3600, issuer)).await, 401, "expired");
    assert_eq!(
        produce(token("alice", now + 300, "https://evil.example")).await,
        401,
        "foreign issuer"
    );
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "alice", "exp": now + 300, "iss": issuer, "aud": "krest"}),
        &EncodingKey::from_secret(jwks.as_bytes()),
    )
    .unwrap();
    assert_eq!(produce(forged).await, 401, "forged");
    assert_eq!(
        end_offset_with(&http(), &proxy, &topic, |r| r.bearer_auth(token(
            "alice",
            now + 300,
            issuer
        )))
        .await,
        1
    );
}

/// An auth plugin's configuration rotates without a restart: a user added to `basic.toml` is
/// admitted once the file is rewritten, and one removed is refused.
#[tokio::test]
async fn auth_plugin_configuration_is_reread_without_restart() {
    let dir = temp_dir("krest-basic-rotation");
    let write = |users: &str| {
        let aside = dir.join(".basic.toml.tmp");
        std::fs::write(&aside, format!("[users]\n{users}\n")).unwrap();
        std::fs::rename(&aside, dir.join("basic.toml")).unwrap();
    };
    write("alice = \"alice-secret\"");
    let proxy = Proxy::start(&[
        "--set",
        &format!("plugins.dir={}", dir.display()),
        "--set",
        "auth.plugins=basic",
    ]);
    let status = |user: &'static str, password: &'static str| {
        let url = proxy.url("/topics");
        async move {
            http()
                .get(url)
                .basic_auth(user, Some(password))
                .header("Accept", V2_JSON)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("alice", "alice-secret").await, 200);
    assert_eq!(status("carol", "carol-secret").await, 401);

    write("carol = \"carol-secret\"");
    let mut statuses = (0, 0);
    for _ in 0..50 {
        statuses = (
            status("carol", "carol-secret").await,
            status("alice", "alice-secret").await,
        );
        if statuses == (200, 401) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        statuses,
        (200, 401),
        "carol admitted, alice refused after the rewrite"
    );
}

/// The Schema Registry krest serves is behind the same `auth.plugins`: no credentials get
/// 401, a principal the ACLs do not allow 403 (nothing registered), an allowed one reads and
/// registers; the proxy's own schema formats reach it with
/// `schema.registry.basic.auth.user.info`.
#[tokio::test]
async fn the_schema_registry_is_behind_the_same_auth() {
    let topic = unique("registry-auth");
    create_topic(&topic, 1, &[]).await;
    let dir = temp_dir("krest-registry-auth");
    std::fs::write(
        dir.join("basic.toml"),
        "[users]\nalice = \"alice-secret\"\nbob = \"bob-secret\"\nproxy = \"proxy-secret\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("acl.toml"),
        "[rules]\nalice = \"allow User:alice describe,alter cluster\"\n\
         alice-topics = \"allow User:alice describe,write topic:*\"\n\
         proxy = \"allow User:proxy describe,alter cluster\"\n",
    )
    .unwrap();
    let port = support::free_port();
    let mut args = support::registry_args(port, &unique("_schemas"));
    args.extend(
        [
            format!("plugins.dir={}", dir.display()),
            "auth.plugins=basic,acl".into(),
            "schema.registry.basic.auth.credentials.source=USER_INFO".into(),
            "schema.registry.basic.auth.user.info=proxy:proxy-secret".into(),
        ]
        .into_iter()
        .flat_map(|setting| ["--set".to_string(), setting]),
    );
    let proxy = Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let registry = format!("http://127.0.0.1:{port}");
    const SR: &str = "application/vnd.schemaregistry.v1+json";
    let as_user = |user: Option<&str>, method: Method, path: &str| {
        let request = http().request(method, format!("{registry}{path}"));
        match user {
            Some(user) => request.basic_auth(user, Some(format!("{user}-secret"))),
            None => request,
        }
    };
    let schema = json!({"schema": "{\"type\":\"string\"}"});
    let subject = format!("/subjects/{topic}-value/versions");

    let (status, body) = send_json(as_user(None, Method::GET, "/subjects"), None, SR).await;
    assert_eq!((status, &body["error_code"]), (401, &json!(40101)), "{body}");
    let (status, body) = send_json(
        as_user(Some("bob"), Method::POST, &subject),
        Some(schema.clone()),
        SR,
    )
    .await;
    assert_eq!((status, &body["error_code"]), (403, &json!(40301)), "{body}");
    let (status, body) = send_json(as_user(Some("bob"), Method::GET, "/subjects"), None, SR).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = send_json(as_user(Some("alice"), Method::GET, "/subjects"), None, SR).await;
    assert_eq!(
        (status, &body),
        (200, &json!([])),
        "bob registered nothing: {body}"
    );

    let (status, body) = send_json(as_user(Some("alice"), Method::POST, &subject), Some(schema), SR).await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().expect("an id");
    let (status, body) = send_json(as_user(Some("alice"), Method::GET, "/subjects"), None, SR).await;
    assert_eq!(
        (status, &body),
        (200, &json!([format!("{topic}-value")])),
        "{body}"
    );

    // Produce Avro by schema id through the proxy: its avro format fetches the schema from
    // the guarded registry with its own credentials.
    let produce = http()
        .post(proxy.url(&format!("/topics/{topic}")))
        .basic_auth("alice", Some("alice-secret"));
    let (status, body) = send_json(
        produce,
        Some(json!({"value_schema_id": id, "records": [{"value": "krest"}]})),
        "application/vnd.kafka.avro.v2+json",
    )
    .await;
    assert_eq!(
        (status, &body["offsets"][0]["error"]),
        (200, &json!(null)),
        "{body}"
    );
    assert_eq!(support::end_offset_direct(&topic, 0), 1);
}

/// v3 produce is authorized as v2's: `write` on the topic, before any record is read.
#[tokio::test]
async fn v3_produce_is_authorized_per_topic() {
    let alice = unique("alice-v3");
    create_topic(&alice, 1, &[]).await;
    let proxy = allowlist_proxy(&[]);
    let url = proxy.url(&format!(
        "/v3/clusters/{}/topics/{alice}/records",
        support::cluster_id()
    ));
    let produce = |key: Option<&'static str>| {
        let mut request = http()
            .post(&url)
            .header("Content-Type", "application/json")
            .body(json!({"value": {"type": "STRING", "data": "v3"}}).to_string());
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, text) = produce(Some("alice-key")).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(answer["error_code"], 200, "{answer}");
    let (status, text) = produce(Some("bob-key")).await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((status, &answer["error_code"]), (403, &json!(40301)), "{answer}");
    assert_eq!(produce(None).await.0, 401);
    assert_eq!(
        end_offset_as(&proxy, &alice).await,
        1,
        "only alice's record was written"
    );
}
