//! The `mtls` auth plugin: callers are named by their TLS client certificate, whose subject
//! (RFC 2253, e.g. `CN=alice,O=acme`) is mapped to a principal by rules written like Kafka's
//! `ssl.principal.mapping.rules`, from `mtls.toml`:
//!
//! ```toml
//! rules = "RULE:^CN=([^,]*),O=acme$/$1/L,DEFAULT"
//! ```
//!
//! The first rule whose pattern matches the whole subject names the principal (`$1`… from its
//! groups; `/L` or `/U` lower- or upper-cases it); `DEFAULT` is the subject itself (the
//! default when no rules are set); a subject no rule matches is refused. The principal has the
//! subject as its `dn` attribute. `mtls` authorizes nothing itself: chain `acl` after it.
//! Needs `https://` listeners with `ssl.client.authentication=REQUIRED` (or `REQUESTED`).

mod mapping;

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};
use mapping::Rules;

pub struct Mtls;

fn unauthorized(message: &str) -> Denial {
    Denial {
        status: 401,
        error_code: 40101,
        message: format!("Unauthorized: {message}"),
    }
}

impl Guest for Mtls {
    fn authenticate(request: RequestFacts) -> Result<Principal, Denial> {
        let subject = request
            .tls_client_identity
            .ok_or_else(|| unauthorized("a TLS client certificate is required"))?;
        let rules = krest_plugin_sdk::configured(|config| {
            let text = config
                .iter()
                .find(|(key, _)| key == "rules")
                .map(|(_, text)| text.as_str());
            Rules::parse(text.unwrap_or("DEFAULT"))
        });
        let rules = rules.as_ref().as_ref().map_err(|e| {
            krest_plugin_sdk::log(krest_plugin_sdk::Level::Error, &format!("mtls rules: {e}"));
            unauthorized("the certificate cannot be mapped to a principal")
        })?;
        let name = rules.map(&subject).ok_or_else(|| {
            unauthorized(&format!(
                "no principal mapping rule matches the certificate subject `{subject}`"
            ))
        })?;
        Ok(Principal {
            name,
            attributes: vec![("dn".into(), subject)],
        })
    }

    fn authorize(_who: Principal, _action: Action, targets: Vec<Target>) -> Vec<Result<(), Denial>> {
        targets.iter().map(|_| Ok(())).collect()
    }
}

krest_plugin_sdk::export_auth!(Mtls);

#[cfg(test)]
mod tests;
