//! The `jwt` auth plugin: `Authorization: Bearer TOKEN`, a JWT signed with HS256 (a shared
//! `secret`) or RS256/ES256 (keys from a JWKS document, as OIDC providers publish them),
//! configured by `jwt.toml`:
//!
//! ```toml
//! jwks = '{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"…","y":"…"}]}'  # or: secret = "…"
//! issuer = "https://idp.example.com/"   # `iss` must equal it (when set)
//! audience = "krest"                     # `aud` must contain it (when set)
//! principal_claim = "sub"                # the claim naming the principal (default `sub`)
//! roles_claim = "roles"                  # optional: a list or a space/comma-separated string
//! leeway_seconds = 30                    # clock skew allowed on `exp`/`nbf` (default 60)
//! ```
//!
//! `exp` is required; `nbf` is checked when present. Plugins have no network: paste the
//! provider's JWKS (and edit `jwt.toml` when keys rotate; it is re-read without a restart).
//! `jwt` authorizes nothing itself: chain `acl` after it.
//!
//! A warm instance remembers the tokens it admitted until they expire, so a client that
//! reuses its token pays for the signature check once, not per request.

mod token;

use std::cell::RefCell;
use std::collections::HashMap;

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};

/// Tokens remembered per instance at most; beyond, expired ones go, then all.
const ADMITTED_MAX: usize = 1024;

/// This instance's settings (checked once) and the tokens they admitted (with `exp`).
struct Memo {
    settings: Result<token::Settings, String>,
    admitted: RefCell<HashMap<String, (Principal, u64)>>,
}

pub struct Jwt;

impl Guest for Jwt {
    fn authenticate(request: RequestFacts) -> Result<Principal, Denial> {
        let bearer = request
            .headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .and_then(|(_, value)| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| unauthorized("a bearer token is required"))?;
        let memo = krest_plugin_sdk::configured(|config| Memo {
            settings: token::Settings::from_config(config),
            admitted: RefCell::default(),
        });
        let settings = memo.settings.as_ref().map_err(|e| {
            krest_plugin_sdk::log(krest_plugin_sdk::Level::Error, &format!("jwt.toml: {e}"));
            unauthorized("tokens cannot be checked")
        })?;
        let mut admitted = memo.admitted.borrow_mut();
        if let Some((principal, exp)) = admitted.get(bearer) {
            if settings.unexpired(*exp) {
                return Ok(principal.clone());
            }
        }
        let (principal, exp) = settings
            .principal(bearer)
            .map_err(|reason| unauthorized(&reason))?;
        if admitted.len() >= ADMITTED_MAX {
            admitted.retain(|_, (_, exp)| settings.unexpired(*exp));
            if admitted.len() >= ADMITTED_MAX {
                admitted.clear();
            }
        }
        admitted.insert(bearer.to_string(), (principal.clone(), exp));
        Ok(principal)
    }

    fn authorize(_who: Principal, _action: Action, targets: Vec<Target>) -> Vec<Result<(), Denial>> {
        targets.iter().map(|_| Ok(())).collect()
    }
}

fn unauthorized(reason: &str) -> Denial {
    Denial {
        status: 401,
        error_code: 40101,
        message: format!("Unauthorized: {reason}"),
    }
}

krest_plugin_sdk::export_auth!(Jwt);

#[cfg(test)]
mod tests;
