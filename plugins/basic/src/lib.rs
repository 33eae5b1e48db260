//! The `basic` auth plugin: HTTP Basic credentials checked against the users of `basic.toml`,
//! written as in Jetty's `PropertyFileLoginModule` file (which Confluent's Basic auth uses).
//!
//! ```toml
//! roles = "developer,admin"   # roles admitted (Confluent's authentication.roles); "*" = any
//! [users]
//! alice = "alice-secret,developer"                     # PASSWORD[,ROLE...]
//! bob = "MD5:5f4dcc3b5aa765d61d8327deb882cf99,reader"  # also OBF:, CRYPT: and bcrypt $2…$
//! ```
//!
//! The principal is the user name with a `roles` attribute (comma-separated). `basic`
//! authorizes nothing itself: chain `acl` after it to decide who may do what.

mod credential;

use base64::Engine as _;
use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};

pub struct Basic;

fn denial(status: u16, error_code: u32, message: &str) -> Denial {
    Denial {
        status,
        error_code,
        message: message.to_string(),
    }
}

fn unauthorized() -> Denial {
    denial(
        401,
        40101,
        "Unauthorized: valid HTTP Basic credentials are required",
    )
}

/// `user:password` from an `Authorization: Basic …` header.
fn credentials(request: &RequestFacts) -> Option<(String, String)> {
    let value = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.trim())?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

impl Guest for Basic {
    fn authenticate(request: RequestFacts) -> Result<Principal, Denial> {
        let (user, password) = credentials(&request).ok_or_else(unauthorized)?;
        let entry = krest_plugin_sdk::config_value(&format!("users.{user}")).ok_or_else(unauthorized)?;
        let mut fields = entry.split(',').map(str::trim);
        let stored = fields.next().unwrap_or_default();
        if !credential::matches_remembered(&user, stored, &password) {
            return Err(unauthorized());
        }
        let roles: Vec<&str> = fields.filter(|r| !r.is_empty()).collect();
        let admitted = krest_plugin_sdk::config_value("roles").unwrap_or_else(|| "*".into());
        let admitted: Vec<&str> = admitted.split(',').map(str::trim).collect();
        if !admitted.contains(&"*") && !roles.iter().any(|r| admitted.contains(r)) {
            return Err(denial(
                403,
                40301,
                "Forbidden: the user has none of the admitted roles",
            ));
        }
        Ok(Principal {
            name: user,
            attributes: vec![("roles".into(), roles.join(","))],
        })
    }

    fn authorize(_who: Principal, _action: Action, targets: Vec<Target>) -> Vec<Result<(), Denial>> {
        targets.iter().map(|_| Ok(())).collect()
    }
}

krest_plugin_sdk::export_auth!(Basic);

#[cfg(test)]
mod tests;
