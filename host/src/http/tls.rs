//! TLS of `https://` listeners (rustls): the server configuration built from the `ssl.*`
//! stores and rebuilt when their files change, and the client certificate's subject that
//! auth plugins see as `tls-client-identity`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use arc_swap::ArcSwap;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use rustls::crypto::{ring, CryptoProvider};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

use crate::config::secret::Secret;
use crate::config::tls::{ClientAuth, Store, StoreKind, TlsConfig, TlsVersion};
use crate::file_changes::changes_content;

/// Quiet time after the last change to a store before it is re-read: lets a copy finish.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// The current server configuration of every `https://` listener; a changed store file
/// replaces it for new connections (open ones keep theirs).
pub struct TlsServer {
    current: ArcSwap<ServerConfig>,
}

impl TlsServer {
    /// Reads the stores (an unusable store stops start-up) and watches their files until the
    /// returned watcher is dropped.
    pub fn start(config: TlsConfig) -> anyhow::Result<(Arc<TlsServer>, RecommendedWatcher)> {
        let server = Arc::new(TlsServer {
            current: ArcSwap::from_pointee(server_config(&config)?),
        });
        let watcher = watch(config, Arc::clone(&server))?;
        Ok((server, watcher))
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.load_full())
    }
}

fn watch(config: TlsConfig, server: Arc<TlsServer>) -> anyhow::Result<RecommendedWatcher> {
    let stores: Vec<&Path> = [Some(&config.keystore), config.truststore.as_ref()]
        .into_iter()
        .flatten()
        .map(|store| store.location.as_path())
        .collect();
    let names: BTreeSet<OsString> = stores
        .iter()
        .filter_map(|path| path.file_name().map(OsString::from))
        .collect();
    let folders: BTreeSet<PathBuf> = stores.iter().map(|path| folder(path)).collect();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) if changes_content(&event.kind) => {
            let ours = |path: &PathBuf| path.file_name().is_some_and(|n| names.contains(n));
            if event.paths.iter().any(ours) {
                tx.send(()).ok();
            }
        }
        Ok(_) => {}
        Err(e) => warn!("TLS store watch error: {e}"),
    })?;
    for folder in &folders {
        watcher
            .watch(folder, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch {} for TLS store changes", folder.display()))?;
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
            let config = config.clone();
            match tokio::task::spawn_blocking(move || server_config(&config)).await {
                Ok(Ok(fresh)) => {
                    server.current.store(Arc::new(fresh));
                    info!("TLS stores re-read: new connections use them");
                }
                Ok(Err(e)) => {
                    warn!("TLS stores changed but cannot be used; keeping the previous ones: {e:#}")
                }
                Err(e) => warn!("re-reading the TLS stores failed: {e}"),
            }
        }
    });
    Ok(watcher)
}

fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A rustls configuration from the `ssl.*` settings.
fn server_config(config: &TlsConfig) -> anyhow::Result<ServerConfig> {
    let provider = Arc::new(provider(&config.cipher_suites)?);
    let versions: Vec<_> = config
        .protocols
        .iter()
        .map(|version| match version {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .context("ssl.enabled.protocols and ssl.cipher.suites have nothing in common")?;
    let builder = match (&config.truststore, config.client_auth) {
        (Some(truststore), ClientAuth::Requested | ClientAuth::Required) => {
            let roots = Arc::new(trusted_roots(truststore)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = match config.client_auth {
                ClientAuth::Requested => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            builder.with_client_cert_verifier(verifier.build().context("ssl.truststore")?)
        }
        _ => builder.with_no_client_auth(),
    };
    let (chain, key) = identity(&config.keystore, config.key_password.as_ref())?;
    let mut server = builder
        .with_single_cert(chain, key)
        .context("ssl.keystore: the private key does not match the certificate")?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(server)
}

/// ring's suites, only those named by `ssl.cipher.suites` when it is set.
fn provider(names: &[String]) -> anyhow::Result<CryptoProvider> {
    let mut provider = ring::default_provider();
    if names.is_empty() {
        return Ok(provider);
    }
    let iana = |suite: &rustls::SupportedCipherSuite| {
        suite
            .suite()
            .as_str()
            .map(|name| name.replace("TLS13_", "TLS_"))
            .unwrap_or_default()
    };
    let known: Vec<String> = provider.cipher_suites.iter().map(iana).collect();
    if let Some(unknown) = names.iter().find(|name| !known.contains(name)) {
        bail!(
            "ssl.cipher.suites: `{unknown}` is not a suite krest offers; choose from {}",
            known.join(", ")
        );
    }
    provider
        .cipher_suites
        .retain(|suite| names.contains(&iana(suite)));
    Ok(provider)
}

/// The certificate chain and private key of the keystore.
fn identity(
    store: &Store,
    key_password: Option<&Secret>,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let bytes = read(store, "ssl.keystore")?;
    match store.kind {
        StoreKind::Pem => {
            let chain = CertificateDer::pem_slice_iter(&bytes)
                .collect::<Result<Vec<_>, _>>()
                .context("ssl.keystore.location: unreadable PEM certificate")?;
            if chain.is_empty() {
                bail!("ssl.keystore.location holds no certificate");
            }
            let key = match (encrypted_pem_key(&bytes), key_password) {
                (Some(encrypted), Some(password)) => decrypt_pem_key(encrypted, password)?,
                (Some(_), None) => {
                    bail!("ssl.keystore.location holds an encrypted key: set ssl.key.password")
                }
                (None, _) => PrivateKeyDer::from_pem_slice(&bytes)
                    .context("ssl.keystore.location holds no usable private key")?,
            };
            Ok((chain, key))
        }
        StoreKind::Pkcs12 => {
            let keystore = pkcs12(store, &bytes, "ssl.keystore")?;
            let (_, entry) = keystore
                .private_key_chain()
                .context("ssl.keystore.location holds no private key entry")?;
            let chain = entry
                .chain()
                .iter()
                .map(|c| CertificateDer::from(c.as_der().to_vec()))
                .collect();
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(entry.key().to_vec()));
            Ok((chain, key))
        }
    }
}

/// The CAs of the truststore.
fn trusted_roots(store: &Store) -> anyhow::Result<RootCertStore> {
    let bytes = read(store, "ssl.truststore")?;
    let certificates: Vec<CertificateDer<'static>> = match store.kind {
        StoreKind::Pem => CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .context("ssl.truststore.location: unreadable PEM certificate")?,
        StoreKind::Pkcs12 => pkcs12(store, &bytes, "ssl.truststore")?
            .entries()
            .filter_map(|(_, entry)| match entry {
                p12_keystore::KeyStoreEntry::Certificate(c) => {
                    Some(CertificateDer::from(c.as_der().to_vec()))
                }
                _ => None,
            })
            .collect(),
    };
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        bail!("ssl.truststore.location holds no usable CA certificate");
    }
    Ok(roots)
}

fn read(store: &Store, prefix: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(&store.location)
        .with_context(|| format!("{prefix}.location: cannot read {}", store.location.display()))
}

fn pkcs12(store: &Store, bytes: &[u8], prefix: &str) -> anyhow::Result<p12_keystore::KeyStore> {
    let password = store.password.as_ref().map(Secret::expose).unwrap_or("");
    // The library's error may quote nothing secret, but say only what the operator can act on.
    p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|_| {
        anyhow!(
            "{prefix}: {} is not a PKCS12 store this {prefix}.password opens",
            store.location.display()
        )
    })
}

/// The PKCS#8 `ENCRYPTED PRIVATE KEY` block of a PEM file, if any.
fn encrypted_pem_key(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let begin = text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----")?;
    let end_marker = "-----END ENCRYPTED PRIVATE KEY-----";
    let end = text[begin..].find(end_marker)? + begin + end_marker.len();
    Some(&text[begin..end])
}

fn decrypt_pem_key(pem: &str, password: &Secret) -> anyhow::Result<PrivateKeyDer<'static>> {
    use pkcs8::der::Decode as _;
    let (_, document) = pkcs8::Document::from_pem(pem)
        .map_err(|_| anyhow!("ssl.keystore.location: unreadable encrypted key"))?;
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::from_der(document.as_bytes())
        .map_err(|_| anyhow!("ssl.keystore.location: unreadable encrypted key"))?;
    let key = encrypted
        .decrypt(password.expose())
        .map_err(|_| anyhow!("ssl.key.password does not decrypt the key in ssl.keystore.location"))?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        key.as_bytes().to_vec(),
    )))
}

/// The subject of the client's certificate in RFC 2253 form (`CN=alice,OU=eng,O=acme`), as
/// Kafka and Java name TLS principals; `None` without a client certificate.
pub fn client_identity(connection: &ServerConnection) -> Option<String> {
    let certificate = connection.peer_certificates()?.first()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate).ok()?;
    Some(rfc2253(parsed.subject()))
}

fn rfc2253(name: &x509_parser::x509::X509Name) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|attribute| {
                    let oid = attribute.attr_type().to_id_string();
                    match (keyword(&oid), attribute.as_str()) {
                        (Some(keyword), Ok(value)) => format!("{keyword}={}", escape(value)),
                        _ => format!("{oid}=#{}", hex(attribute.attr_value().as_bytes())),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    // RFC 2253 lists the most specific name first: the reverse of the certificate's order.
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// RFC 2253's attribute type keywords (what Java's `X500Principal.getName()` prints).
fn keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let edge = (i == 0 && (c == '#' || c == ' ')) || (i + 1 == value.chars().count() && c == ' ');
        if edge || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject_of(distinguished: &[(rcgen::DnType, &str)]) -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        for (kind, value) in distinguished {
            params.distinguished_name.push(kind.clone(), *value);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(certificate.der()).unwrap();
        rfc2253(parsed.subject())
    }

    #[test]
    fn subjects_print_as_java_and_kafka_print_them() {
        use rcgen::DnType::*;
        assert_eq!(
            subject_of(&[
                (CountryName, "NO"),
                (OrganizationName, "Acme, Inc."),
                (CommonName, "alice")
            ]),
            r"CN=alice,O=Acme\, Inc.,C=NO"
        );
        assert_eq!(subject_of(&[(CommonName, " #x+y ")]), r"CN=\ #x\+y\ ");
    }
}
