//! Checking one token against the configured keys and claims, and the principal it names.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use krest_plugin_sdk::auth::exports::krest::plugin::policy::Principal;
use serde_json::Value;

pub struct Settings {
    keys: Keys,
    issuer: Option<String>,
    audience: Option<String>,
    principal_claim: String,
    roles_claim: Option<String>,
    leeway: u64,
}

enum Keys {
    Secret(Vec<u8>),
    Jwks(JwkSet),
}

impl Settings {
    /// The settings of `jwt.toml` (as the host hands them over).
    pub fn from_config(config: &[(String, String)]) -> Result<Settings, String> {
        let value = |key: &str| config.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let keys = match (value("secret"), value("jwks")) {
            (Some(secret), None) => Keys::Secret(secret.into_bytes()),
            (None, Some(jwks)) => Keys::Jwks(serde_json::from_str(&jwks).map_err(|e| format!("jwks: {e}"))?),
            _ => return Err("set exactly one of `secret` (HS256) and `jwks` (RS256/ES256)".into()),
        };
        Ok(Settings {
            keys,
            issuer: value("issuer"),
            audience: value("audience"),
            principal_claim: value("principal_claim").unwrap_or_else(|| "sub".into()),
            roles_claim: value("roles_claim"),
            leeway: match value("leeway_seconds") {
                Some(text) => text
                    .parse()
                    .map_err(|_| format!("leeway_seconds: `{text}` is not a number"))?,
                None => 60,
            },
        })
    }

    /// Whether a token expiring at `exp` (seconds since the epoch) is still accepted.
    pub fn unexpired(&self, exp: u64) -> bool {
        jsonwebtoken::get_current_timestamp() <= exp.saturating_add(self.leeway)
    }

    /// The principal `token` names and its `exp`, or why it is refused (for the caller: no
    /// secrets in it).
    pub fn principal(&self, token: &str) -> Result<(Principal, u64), String> {
        let header = decode_header(token).map_err(|_| "the token is not a JWT".to_string())?;
        let key = match (&self.keys, header.alg) {
            (Keys::Secret(secret), Algorithm::HS256) => DecodingKey::from_secret(secret),
            (Keys::Jwks(jwks), Algorithm::RS256 | Algorithm::ES256) => {
                let jwk = match &header.kid {
                    Some(kid) => jwks.find(kid),
                    None if jwks.keys.len() == 1 => jwks.keys.first(),
                    None => None,
                }
                .ok_or("the token's key is not among the configured keys")?;
                DecodingKey::from_jwk(jwk).map_err(|_| "a configured key is unusable".to_string())?
            }
            (_, alg) => return Err(format!("tokens signed with {alg:?} are not accepted")),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        match &self.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(|e| format!("the token is refused: {}", e.kind_description()))?
            .claims;
        let exp = claims.get("exp").and_then(Value::as_f64).unwrap_or(0.0) as u64;
        let name = match claims.get(&self.principal_claim) {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => return Err(format!("the token has no `{}` claim", self.principal_claim)),
        };
        let roles = self
            .roles_claim
            .as_ref()
            .and_then(|claim| claims.get(claim))
            .map(|roles| match roles {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(text) => text
                    .split([' ', ','])
                    .filter(|r| !r.is_empty())
                    .collect::<Vec<_>>()
                    .join(","),
                _ => String::new(),
            });
        let principal = Principal {
            name,
            attributes: roles
                .map(|roles| ("roles".to_string(), roles))
                .into_iter()
                .collect(),
        };
        Ok((principal, exp))
    }
}

/// What `kind_description` says of an error: its kind, never the token or key.
trait Describe {
    fn kind_description(&self) -> String;
}

impl Describe for jsonwebtoken::errors::Error {
    fn kind_description(&self) -> String {
        use jsonwebtoken::errors::ErrorKind as K;
        match self.kind() {
            K::ExpiredSignature => "expired".into(),
            K::ImmatureSignature => "not valid yet (nbf)".into(),
            K::InvalidSignature => "bad signature".into(),
            K::InvalidIssuer => "wrong issuer".into(),
            K::InvalidAudience => "wrong audience".into(),
            K::MissingRequiredClaim(claim) => format!("missing `{claim}`"),
            other => format!("{other:?}"),
        }
    }
}
