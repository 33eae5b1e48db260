//! `principal.propagation.*`: requests reach Kafka under the caller's own SASL login, read
//! from a credentials file that maps each principal to its Kafka user and password.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::secret::Secret;
use super::{ConfigError, Passthrough, Reader};

#[derive(Clone, Debug)]
pub struct PropagationConfig {
    /// `principal.propagation.credentials.file`: re-read whenever a principal's clients are
    /// created, so a changed password applies to the next client made for it.
    pub credentials_file: PathBuf,
    /// `principal.propagation.sasl.mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    pub sasl_mechanism: String,
    /// `principal.propagation.clients.max`: principals whose clients are kept at once.
    pub max_clients: usize,
    /// `principal.propagation.clients.idle.ms`: unused this long, a principal's clients close.
    pub idle: Duration,
}

/// The credentials file: `[principals]` maps a principal's name to its Kafka login.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub principals: HashMap<String, Login>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The Kafka user; the principal's own name when absent.
    pub username: Option<String>,
    pub password: Secret,
}

impl Credentials {
    /// Reads the file; its errors name the file and what is wrong, never a password.
    pub fn load(path: &Path) -> anyhow::Result<Credentials> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at byte {}", s.start))
                .unwrap_or_default();
            anyhow::anyhow!(
                "{} is not a valid credentials file{at}: {}",
                path.display(),
                e.message()
            )
        })
    }
}

/// The propagation settings, or `None` unless `principal.propagation.enabled=true`.
pub(super) fn read(
    r: &Reader,
    auth_plugins: &[String],
    passthrough: &Passthrough,
) -> Result<Option<PropagationConfig>, ConfigError> {
    if !r.boolean("principal.propagation.enabled")? {
        return Ok(None);
    }
    if auth_plugins.is_empty() {
        return Err(r.invalid(
            "principal.propagation.enabled",
            "propagation needs callers to propagate: set auth.plugins (or authentication.method)",
        ));
    }
    for role in [&passthrough.producer, &passthrough.consumer, &passthrough.admin] {
        let protocol = role
            .get("security.protocol")
            .or(passthrough.client.get("security.protocol"))
            .map(|p| p.to_ascii_uppercase());
        if !protocol.is_some_and(|p| p.starts_with("SASL_")) {
            return Err(r.invalid(
                "principal.propagation.enabled",
                "principals log in to Kafka with SASL: set client.security.protocol=SASL_PLAINTEXT \
                 or SASL_SSL (and krest's own login in client.sasl.*)",
            ));
        }
    }
    let sasl_mechanism = r
        .string("principal.propagation.sasl.mechanism")
        .to_ascii_uppercase();
    if !["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(&sasl_mechanism.as_str()) {
        return Err(r.invalid(
            "principal.propagation.sasl.mechanism",
            "expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
        ));
    }
    let key = "principal.propagation.credentials.file";
    if r.string(key).is_empty() {
        return Err(r.invalid(key, "required with principal.propagation.enabled=true"));
    }
    let credentials_file = r.path(key);
    if let Err(e) = Credentials::load(&credentials_file) {
        return Err(r.invalid(key, &format!("{e:#}")));
    }
    Ok(Some(PropagationConfig {
        credentials_file,
        sasl_mechanism,
        max_clients: r.int("principal.propagation.clients.max", 1, 10_000)? as usize,
        idle: Duration::from_millis(r.int("principal.propagation.clients.idle.ms", 1, i64::MAX)? as u64),
    }))
}
