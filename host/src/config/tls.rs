//! The `ssl.*` keys of `https://` listeners, as Confluent's rest-utils names them.

use std::path::PathBuf;

use super::secret::Secret;
use super::{ConfigError, Reader};

/// TLS settings shared by every `https://` listener.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    /// `ssl.keystore.*`: the server's certificate chain and private key.
    pub keystore: Store,
    /// `ssl.key.password`: decrypts an encrypted PEM private key.
    pub key_password: Option<Secret>,
    /// `ssl.truststore.*`: the CAs client certificates must chain to.
    pub truststore: Option<Store>,
    pub client_auth: ClientAuth,
    /// `ssl.enabled.protocols`.
    pub protocols: Vec<TlsVersion>,
    /// `ssl.cipher.suites` (IANA names); empty = rustls's defaults.
    pub cipher_suites: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Store {
    pub location: PathBuf,
    pub kind: StoreKind,
    pub password: Option<Secret>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Pem,
    Pkcs12,
}

/// `ssl.client.authentication` (or the deprecated `ssl.client.auth=true`, meaning REQUIRED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Requested,
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// The TLS settings, when a keystore is configured or a listener is `https://`.
pub(super) fn read(r: &Reader, https_listener: bool) -> Result<Option<TlsConfig>, ConfigError> {
    let Some(keystore) = store(r, "ssl.keystore")? else {
        if https_listener {
            return Err(r.invalid(
                "ssl.keystore.location",
                "an https:// listener needs a keystore: set ssl.keystore.location (a PEM file with \
                 the key and certificate chain, or a PKCS12 file with ssl.keystore.type=PKCS12)",
            ));
        }
        return Ok(None);
    };
    let truststore = store(r, "ssl.truststore")?;
    let client_auth = match r
        .string("ssl.client.authentication")
        .to_ascii_uppercase()
        .as_str()
    {
        "NONE" if r.boolean("ssl.client.auth")? => ClientAuth::Required,
        "NONE" => ClientAuth::None,
        "REQUESTED" => ClientAuth::Requested,
        "REQUIRED" => ClientAuth::Required,
        _ => {
            return Err(r.invalid(
                "ssl.client.authentication",
                "expected NONE, REQUESTED or REQUIRED",
            ))
        }
    };
    if client_auth != ClientAuth::None && truststore.is_none() {
        return Err(r.invalid(
            "ssl.truststore.location",
            "client certificates are checked against a truststore: set ssl.truststore.location \
             (or ssl.client.authentication=NONE)",
        ));
    }
    let mut protocols = Vec::new();
    for name in super::split_list(&r.string("ssl.enabled.protocols")) {
        protocols.push(match name {
            "TLSv1.2" => TlsVersion::Tls12,
            "TLSv1.3" => TlsVersion::Tls13,
            _ => {
                return Err(r.invalid(
                    "ssl.enabled.protocols",
                    "krest speaks TLSv1.2 and TLSv1.3 (older versions are insecure)",
                ))
            }
        });
    }
    if protocols.is_empty() {
        return Err(r.invalid("ssl.enabled.protocols", "expected TLSv1.2 and/or TLSv1.3"));
    }
    Ok(Some(TlsConfig {
        keystore,
        key_password: secret(r, "ssl.key.password"),
        truststore,
        client_auth,
        protocols,
        cipher_suites: super::split_list(&r.string("ssl.cipher.suites"))
            .map(str::to_string)
            .collect(),
    }))
}

/// `PREFIX.location`, `PREFIX.type` and `PREFIX.password`; `None` without a location.
fn store(r: &Reader, prefix: &str) -> Result<Option<Store>, ConfigError> {
    let location_key = format!("{prefix}.location");
    let location = r.string(&location_key);
    if location.is_empty() {
        return Ok(None);
    }
    let type_key = format!("{prefix}.type");
    let kind = match r.string(&type_key).to_ascii_uppercase().as_str() {
        // Unset: by the file's extension (Confluent's default, JKS, is not read by krest).
        "" if location.ends_with(".pem") || location.ends_with(".crt") => StoreKind::Pem,
        "" => StoreKind::Pkcs12,
        "PEM" => StoreKind::Pem,
        "PKCS12" => StoreKind::Pkcs12,
        "JKS" => {
            return Err(r.invalid(
                &type_key,
                "krest reads PEM and PKCS12 stores, not JKS: convert with `keytool -importkeystore \
                 -srckeystore STORE.jks -destkeystore STORE.p12 -deststoretype PKCS12`",
            ))
        }
        _ => return Err(r.invalid(&type_key, "expected PEM or PKCS12")),
    };
    let location = r.path(&location_key);
    Ok(Some(Store {
        location,
        kind,
        password: secret(r, &format!("{prefix}.password")),
    }))
}

fn secret(r: &Reader, key: &str) -> Option<Secret> {
    Some(r.string(key)).filter(|s| !s.is_empty()).map(Secret::new)
}
