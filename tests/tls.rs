//! `https://` listeners: a server certificate from a PEM or PKCS12 keystore, client
//! certificates REQUIRED or REQUESTED against a truststore, and a rotated certificate served
//! to new connections without a restart. Certificates are made here with rcgen.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use support::{temp_dir, Proxy};

/// A CA that signs server and client certificates.
struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Authority {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A certificate for `names` with common name `cn`: (certificate PEM, key PEM, DER).
    fn sign(&self, cn: &str, names: &[&str]) -> (String, String, Vec<u8>) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        // Subject `CN=…,O=krest tests` in RFC 2253 order (rcgen's default CN removed).
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "krest tests");
        params.distinguished_name.push(DnType::CommonName, cn);
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (certificate.pem(), key.serialize_pem(), certificate.der().to_vec())
    }
}

/// Writes `content` to `dir/name` the way operators rotate files: aside, then renamed.
fn install(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let aside = dir.join(format!(".{name}.tmp"));
    std::fs::write(&aside, content).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    path
}

fn https_proxy(settings: &[(&str, &str)]) -> Proxy {
    let mut args = vec!["--set".to_string(), "listeners=https://127.0.0.1:0".to_string()];
    for (key, value) in settings {
        args.extend(["--set".to_string(), format!("{key}={value}")]);
    }
    Proxy::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A client trusting `ca_pem`, presenting `identity_pem` (certificate + key) when given.
fn client(ca_pem: &str, identity_pem: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .tls_info(true)
        .timeout(Duration::from_secs(10));
    if let Some(identity) = identity_pem {
        builder = builder.identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(u16, Vec<u8>), String> {
    let response = client
        .get(url)
        .header("Accept", support::V2_JSON)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let certificate = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok((response.status().as_u16(), certificate))
}

#[tokio::test]
async fn https_serves_the_keystore_certificate_and_a_rotated_one_without_restart() {
    let dir = temp_dir("krest-tls");
    let ca = Authority::new("krest test CA");
    let (cert, key, der) = ca.sign("localhost", &["localhost", "127.0.0.1"]);
    let keystore = install(&dir, "server.pem", format!("{key}{cert}").as_bytes());
    let proxy = https_proxy(&[("ssl.keystore.location", keystore.to_str().unwrap())]);
    assert!(proxy.base.starts_with("https://127.0.0.1:"), "{}", proxy.base);

    let trusting = client(&ca.pem, None);
    let (status, served) = get(&trusting, &proxy.url("/topics")).await.unwrap();
    assert_eq!((status, served == der), (200, true));
    // Plain HTTP to the TLS port gets no HTTP answer; a client not trusting the CA gets none.
    let plain = proxy.base.replace("https://", "http://");
    let answer = support::http().get(format!("{plain}/topics")).send().await;
    assert!(answer.is_err() || answer.unwrap().status().as_u16() != 200);
    let stranger = client(&Authority::new("other CA").pem, None);
    assert!(get(&stranger, &proxy.url("/topics")).await.is_err());

    // Rotation: a new certificate in the same file serves new connections, no restart.
    let (cert, key, rotated) = ca.sign("localhost", &["localhost", "127.0.0.1"]);
    install(&dir, "server.pem", format!("{key}{cert}").as_bytes());
    let mut served = Vec::new();
    for _ in 0..50 {
        let fresh = client(&ca.pem, None);
        served = get(&fresh, &proxy.url("/topics")).await.unwrap().1;
        if served == rotated {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served == rotated, "the rotated certificate is served");

    // A broken file does not replace the working certificate.
    install(&dir, "server.pem", b"not a certificate");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, served) = get(&client(&ca.pem, None), &proxy.url("/topics")).await.unwrap();
    assert_eq!((status, served == rotated), (200, true));
    assert!(
        proxy.stderr().contains("keeping the previous ones"),
        "{}",
        proxy.stderr()
    );
}

#[tokio::test]
async fn client_certificates_required_or_requested() {
    let dir = temp_dir("krest-mtls");
    let ca = Authority::new("krest test CA");
    let (cert, key, _) = ca.sign("localhost", &["localhost", "127.0.0.1"]);
    let keystore = install(&dir, "server.pem", format!("{key}{cert}").as_bytes());
    let truststore = install(&dir, "ca.pem", ca.pem.as_bytes());
    let (alice_cert, alice_key, _) = ca.sign("alice", &[]);
    let alice = format!("{alice_cert}{alice_key}");
    let other_ca = Authority::new("other CA");
    let (mallory_cert, mallory_key, _) = other_ca.sign("mallory", &[]);
    let mallory = format!("{mallory_cert}{mallory_key}");

    let stores = [
        ("ssl.keystore.location", keystore.to_str().unwrap()),
        ("ssl.truststore.location", truststore.to_str().unwrap()),
    ];
    let required = https_proxy(&[stores[0], stores[1], ("ssl.client.authentication", "REQUIRED")]);
    let url = required.url("/topics");
    assert_eq!(get(&client(&ca.pem, Some(&alice)), &url).await.unwrap().0, 200);
    assert!(get(&client(&ca.pem, None), &url).await.is_err(), "no certificate");
    assert!(
        get(&client(&ca.pem, Some(&mallory)), &url).await.is_err(),
        "untrusted certificate"
    );

    // The deprecated `ssl.client.auth=true` means REQUIRED too.
    let legacy = https_proxy(&[stores[0], stores[1], ("ssl.client.auth", "true")]);
    assert!(get(&client(&ca.pem, None), &legacy.url("/topics")).await.is_err());

    let requested = https_proxy(&[stores[0], stores[1], ("ssl.client.authentication", "REQUESTED")]);
    let url = requested.url("/topics");
    assert_eq!(get(&client(&ca.pem, Some(&alice)), &url).await.unwrap().0, 200);
    assert_eq!(get(&client(&ca.pem, None), &url).await.unwrap().0, 200);
    assert!(
        get(&client(&ca.pem, Some(&mallory)), &url).await.is_err(),
        "a presented certificate must be valid"
    );
}

#[tokio::test]
async fn pkcs12_keystores_and_encrypted_pem_keys_open_with_their_passwords() {
    let dir = temp_dir("krest-p12");
    let ca = Authority::new("krest test CA");
    let (cert, key, der) = ca.sign("localhost", &["localhost", "127.0.0.1"]);

    let key_der = rustls_pki_types_der(&key);
    let mut store = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        key_der.clone(),
        [1u8; 20],
        [p12_keystore::Certificate::from_der(&der).unwrap()],
    );
    store.add_entry("krest", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let p12 = install(&dir, "server.p12", &store.writer("store-secret").write().unwrap());
    let proxy = https_proxy(&[
        ("ssl.keystore.location", p12.to_str().unwrap()),
        ("ssl.keystore.password", "store-secret"),
    ]);
    let (status, served) = get(&client(&ca.pem, None), &proxy.url("/topics")).await.unwrap();
    assert_eq!((status, served == der), (200, true));

    // A wrong password stops start-up, and the message does not show it.
    let mut refused = support::krest(
        &[
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--set",
            "listeners=https://127.0.0.1:0",
            "--set",
            &format!("ssl.keystore.location={}", p12.display()),
            "--set",
            "ssl.keystore.password=wrong-secret",
        ],
        &[],
    );
    let output = refused.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("ssl.keystore.password"), "{stderr}");
    assert!(!stderr.contains("wrong-secret"), "{stderr}");

    // PKCS#8 PEM key encrypted with `ssl.key.password`.
    let encrypted = encrypt_pkcs8(&key_der, "key-secret");
    let keystore = install(&dir, "encrypted.pem", format!("{encrypted}{cert}").as_bytes());
    let proxy = https_proxy(&[
        ("ssl.keystore.location", keystore.to_str().unwrap()),
        ("ssl.key.password", "key-secret"),
    ]);
    let (status, served) = get(&client(&ca.pem, None), &proxy.url("/topics")).await.unwrap();
    assert_eq!((status, served == der), (200, true));
}

/// The PKCS#8 DER of a PEM private key.
fn rustls_pki_types_der(key_pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes())
        .unwrap()
        .secret_pkcs8_der()
        .to_vec()
}

/// `ENCRYPTED PRIVATE KEY` PEM of a PKCS#8 key (PBES2: PBKDF2-SHA256, AES-256-CBC).
fn encrypt_pkcs8(key_der: &[u8], password: &str) -> String {
    use pkcs8::der::EncodePem;
    let parameters =
        pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[7; 16], &[9; 16]).unwrap();
    let document = pkcs8::PrivateKeyInfo::try_from(key_der)
        .unwrap()
        .encrypt_with_params(parameters, password)
        .unwrap();
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(document.as_bytes()).unwrap();
    encrypted.to_pem(pkcs8::LineEnding::LF).unwrap()
}

/// The built-in `mtls` names callers by their client certificate (Kafka-style mapping rules)
/// and `acl` decides what they may do: alice's certificate may produce to `alice-*`, bob's
/// may not, and without a certificate (REQUESTED) the caller is not authenticated.
#[tokio::test]
async fn client_certificates_name_principals_for_acls() {
    let dir = temp_dir("krest-mtls-auth");
    let ca = Authority::new("krest test CA");
    let (cert, key, _) = ca.sign("localhost", &["localhost", "127.0.0.1"]);
    let keystore = install(&dir, "server.pem", format!("{key}{cert}").as_bytes());
    let truststore = install(&dir, "ca.pem", ca.pem.as_bytes());
    let plugins = dir.join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::write(
        plugins.join("mtls.toml"),
        "rules = \"RULE:^CN=([^,]*),O=krest tests$/$1/L\"\n",
    )
    .unwrap();
    std::fs::write(
        plugins.join("acl.toml"),
        "[rules]\nalice = \"allow User:alice describe,write topic:alice-*\"\n",
    )
    .unwrap();
    let topic = support::unique("alice-mtls");
    support::create_topic(&topic, 1, &[]).await;
    let proxy = https_proxy(&[
        ("ssl.keystore.location", keystore.to_str().unwrap()),
        ("ssl.truststore.location", truststore.to_str().unwrap()),
        ("ssl.client.authentication", "REQUESTED"),
        ("plugins.dir", plugins.to_str().unwrap()),
        ("auth.plugins", "mtls,acl"),
    ]);
    let identity = |cn: &str| {
        let (cert, key, _) = ca.sign(cn, &[]);
        format!("{cert}{key}")
    };
    let produce = |client: reqwest::Client| {
        let url = proxy.url(&format!("/topics/{topic}"));
        async move {
            client
                .post(url)
                .header("Content-Type", "application/vnd.kafka.binary.v2+json")
                .body(r#"{"records":[{"value":"a3Jlc3Q="}]}"#)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(produce(client(&ca.pem, Some(&identity("Alice")))).await, 200);
    assert_eq!(produce(client(&ca.pem, Some(&identity("bob")))).await, 403);
    assert_eq!(produce(client(&ca.pem, None)).await, 401);
}
