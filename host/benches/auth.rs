//! What auth plugins add to a request: the chain's calls alone (authenticate, then authorize a
//! produce), measured in-process, and produce through a running krest (batches of 1 and 100)
//! with no auth, `basic`, `jwt` (ES256 against a JWKS) and `jwt` + `acl`, in one run.
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 cargo bench -p krest --bench auth`
//! (`-- chain` measures only the in-process part, which needs no broker).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use krest::auth::{AuthChain, Caller};
use krest::config::PluginLimits;
use krest::plugins::bindings::policy::{Action, RequestFacts, Target};
use krest::plugins::catalog::PluginCatalog;
use krest::plugins::runtime::PluginRuntime;
use serde_json::json;
use support::{bootstrap, create_topic, drive, percentile_ms, Krest, CONCURRENCY, RUN_FOR};

mod support;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/jwt");
const CHAIN_CALLS: usize = 20_000;
const TOPIC_PREFIX: &str = "bench-auth";

/// One way of authenticating: its `auth.plugins` and the header a client sends.
struct Setup {
    name: &'static str,
    plugins: &'static str,
    header: Option<(&'static str, String)>,
}

fn setups() -> Vec<Setup> {
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "alice:alice-secret")
    );
    let bearer = format!("Bearer {}", token());
    vec![
        Setup {
            name: "no auth",
            plugins: "",
            header: None,
        },
        Setup {
            name: "basic",
            plugins: "basic",
            header: Some(("authorization", basic)),
        },
        Setup {
            name: "jwt",
            plugins: "jwt",
            header: Some(("authorization", bearer.clone())),
        },
        Setup {
            name: "jwt + acl",
            plugins: "jwt,acl",
            header: Some(("authorization", bearer)),
        },
    ]
}

/// An ES256 token for `alice`, valid for an hour, signed with the test key of the JWKS.
fn token() -> String {
    let key = EncodingKey::from_ec_pem(&std::fs::read(format!("{FIXTURES}/es256-key.pem")).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let claims = json!({"sub": "alice", "exp": now + 3600, "iss": "https://idp.example", "aud": "krest"});
    encode(&header, &claims, &key).unwrap()
}

/// A plugins folder configuring `basic` (a plain Jetty password), `jwt` and `acl`.
fn plugins_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("krest-bench-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("basic.toml"), "[users]\nalice = \"alice-secret\"\n").unwrap();
    let jwks = std::fs::read_to_string(format!("{FIXTURES}/jwks.json")).unwrap();
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
        format!("[rules]\nalice = \"allow User:alice describe,write topic:{TOPIC_PREFIX}*\"\n"),
    )
    .unwrap();
    dir
}

/// Median and p99 µs of authenticating one produce request and authorizing its write.
async fn bench_chain(dir: &Path) -> anyhow::Result<()> {
    println!("## The auth chain alone: authenticate + authorize one produce request (in-process, warm instances)\n");
    println!("| auth.plugins | median µs | p99 µs |");
    println!("|---|---|---|");
    let limits = PluginLimits {
        call_timeout: Duration::from_secs(1),
        memory_max_bytes: 64 << 20,
        max_instances: 128,
        reuse_instances: true,
        fresh_plugins: Vec::new(),
    };
    let runtime = Arc::new(PluginRuntime::new(
        limits,
        Some(std::env::temp_dir().join("krest-bench-plugins")),
        None,
    )?);
    let dir = dir.to_path_buf();
    let catalog =
        Arc::new(tokio::task::spawn_blocking(move || PluginCatalog::new(runtime, Some(dir))).await??);
    for setup in setups().into_iter().filter(|s| !s.plugins.is_empty()) {
        let names = setup.plugins.split(',').map(str::to_string).collect();
        let chain = Arc::new(AuthChain::new(names, Arc::clone(&catalog)));
        let facts = RequestFacts {
            method: "POST".into(),
            path: format!("/topics/{TOPIC_PREFIX}-x"),
            headers: vec![
                (
                    "content-type".into(),
                    "application/vnd.kafka.binary.v2+json".into(),
                ),
                setup.header.map(|(k, v)| (k.to_string(), v)).unwrap(),
            ],
            peer: "127.0.0.1:40000".into(),
            tls_client_identity: None,
        };
        let mut latencies = Vec::with_capacity(CHAIN_CALLS);
        for i in 0..CHAIN_CALLS + 500 {
            let started = Instant::now();
            let principal = chain.authenticate(&facts).await.expect("admitted");
            Caller::authenticated(principal, Arc::clone(&chain))
                .authorize(Action::Write, vec![Target::Topic(format!("{TOPIC_PREFIX}-x"))])
                .await
                .expect("allowed");
            if i >= 500 {
                latencies.push(started.elapsed());
            }
        }
        latencies.sort();
        println!(
            "| {} | {:.1} | {:.1} |",
            setup.plugins,
            percentile_ms(&latencies, 0.5) * 1000.0,
            percentile_ms(&latencies, 0.99) * 1000.0
        );
    }
    println!();
    Ok(())
}

fn start_krest(bootstrap: &str, dir: &Path, plugins: &str) -> Krest {
    let settings = [
        format!("plugins.dir={}", dir.display()),
        format!("auth.plugins={plugins}"),
    ];
    Krest::start(bootstrap, &settings)
}

/// Produce through krest with each setup; the added median is against "no auth" in this run.
async fn bench_produce(dir: &Path) {
    let bootstrap = bootstrap();
    let topic = format!("{TOPIC_PREFIX}-{}", std::process::id());
    create_topic(&topic).await;

    println!("## Produce through krest: 100-byte binary values, {CONCURRENCY} concurrent clients, {RUN_FOR:?} each\n");
    println!("| auth.plugins | batch | records/s | p50 ms per request | p99 ms per request | p50 added vs no auth, µs |");
    println!("|---|---|---|---|---|---|");
    let value = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [b'x'; 100]);
    let body_of = |batch: usize| json!({ "records": vec![json!({ "value": value }); batch] }).to_string();
    let mut baseline = [0.0f64; 2];
    for setup in setups() {
        let krest = start_krest(&bootstrap, dir, setup.plugins);
        let http = reqwest::Client::new();
        for (slot, batch) in [1usize, 100].into_iter().enumerate() {
            let (url, body, header) = (
                format!("{}/topics/{topic}", krest.base),
                body_of(batch),
                setup.header.clone(),
            );
            let http = http.clone();
            let sample = drive(batch, move |_| {
                let (http, url, body, header) = (http.clone(), url.clone(), body.clone(), header.clone());
                async move {
                    let mut request = http
                        .post(url)
                        .header("Content-Type", "application/vnd.kafka.binary.v2+json")
                        .body(body);
                    if let Some((name, value)) = header {
                        request = request.header(name, value);
                    }
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
            })
            .await;
            let p50 = sample.percentile_ms(0.5);
            if setup.plugins.is_empty() {
                baseline[slot] = p50;
            }
            println!(
                "| {} | {batch} | {:.0} | {p50:.2} | {:.2} | {:.0} |",
                setup.name,
                sample.per_second(),
                sample.percentile_ms(0.99),
                (p50 - baseline[slot]) * 1000.0
            );
        }
    }
    println!();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let which = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let dir = plugins_dir();
    bench_chain(&dir).await?;
    if which != "chain" {
        bench_produce(&dir).await;
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
