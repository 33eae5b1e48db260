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

mod token;

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};

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
        let settings = token::Settings::from_config().map_err(|e| {
            krest_plugin_sdk::log(krest_plugin_sdk::Level::Error, &format!("jwt.toml: {e}"));
            unauthorized("tokens cannot be checked")
        })?;
        settings.principal(bearer).map_err(|reason| unauthorized(&reason))
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
