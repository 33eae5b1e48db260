use super::*;
use jsonwebtoken::{encode, EncodingKey, Header};
use krest_plugin_sdk::testing::set_config;
use serde_json::json;

/// A P-256 key made for tests only, and its public JWK (shared with tests/auth.rs).
const ES256_KEY: &str = include_str!("../../../tests/fixtures/jwt/es256-key.pem");
const ES256_JWKS: &str = include_str!("../../../tests/fixtures/jwt/jwks.json");

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn facts(token: &str) -> RequestFacts {
    RequestFacts {
        method: "GET".into(),
        path: "/topics".into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        peer: "127.0.0.1:5000".into(),
        tls_client_identity: None,
    }
}

fn hs256(claims: serde_json::Value, secret: &str) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn es256(claims: serde_json::Value, kid: &str) -> String {
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.into());
    encode(
        &header,
        &claims,
        &EncodingKey::from_ec_pem(ES256_KEY.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn status(token: &str) -> u16 {
    match Jwt::authenticate(facts(token)) {
        Ok(_) => 200,
        Err(denial) => denial.status,
    }
}

#[test]
fn hs256_tokens_with_the_secret_name_their_subject() {
    set_config(&[
        ("secret", "s3cret"),
        ("issuer", "idp"),
        ("audience", "krest"),
        ("roles_claim", "scope"),
    ]);
    let good =
        json!({"sub": "alice", "iss": "idp", "aud": "krest", "exp": now() + 60, "scope": "read write"});
    let principal = Jwt::authenticate(facts(&hs256(good.clone(), "s3cret"))).unwrap();
    assert_eq!(principal.name, "alice");
    assert_eq!(
        principal.attributes,
        vec![("roles".to_string(), "read,write".to_string())]
    );
    assert_eq!(status(&hs256(good.clone(), "forged")), 401, "wrong secret");
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    assert_eq!(status(&hs256(expired, "s3cret")), 401);
    let mut early = good.clone();
    early["nbf"] = json!(now() + 3600);
    assert_eq!(status(&hs256(early, "s3cret")), 401);
    let mut stranger = good.clone();
    stranger["iss"] = json!("other");
    assert_eq!(status(&hs256(stranger, "s3cret")), 401);
    let mut elsewhere = good.clone();
    elsewhere["aud"] = json!("other-service");
    assert_eq!(status(&hs256(elsewhere, "s3cret")), 401);
    let mut forever = good;
    forever.as_object_mut().unwrap().remove("exp");
    assert_eq!(status(&hs256(forever, "s3cret")), 401, "exp is required");
    assert_eq!(status("not.a.jwt"), 401);
    let denial = Jwt::authenticate(RequestFacts {
        headers: Vec::new(),
        ..facts("")
    })
    .unwrap_err();
    assert_eq!((denial.status, denial.error_code), (401, 40101));
}

#[test]
fn es256_tokens_are_checked_against_the_jwks_and_no_other_algorithm_passes() {
    set_config(&[("jwks", ES256_JWKS), ("principal_claim", "email")]);
    let claims = json!({"email": "alice@example.com", "exp": now() + 60});
    assert_eq!(
        Jwt::authenticate(facts(&es256(claims.clone(), "k1")))
            .unwrap()
            .name,
        "alice@example.com"
    );
    assert_eq!(status(&es256(claims.clone(), "unknown-kid")), 401);
    // A token signed with the public key's bytes as an HMAC secret (algorithm confusion).
    assert_eq!(status(&hs256(claims.clone(), ES256_JWKS)), 401);
    assert_eq!(
        status(&es256(json!({"exp": now() + 60}), "k1")),
        401,
        "no principal claim"
    );
    // Both or neither key source: nothing is accepted.
    set_config(&[("jwks", ES256_JWKS), ("secret", "x")]);
    assert_eq!(status(&es256(claims, "k1")), 401);
}

#[test]
fn an_admitted_token_is_remembered_until_it_expires_and_forgotten_when_the_config_changes() {
    set_config(&[("secret", "s3cret"), ("leeway_seconds", "0")]);
    let token = hs256(json!({"sub": "alice", "exp": now() + 1}), "s3cret");
    assert_eq!(status(&token), 200);
    assert_eq!(status(&token), 200, "remembered");
    set_config(&[("secret", "rotated"), ("leeway_seconds", "0")]);
    assert_eq!(status(&token), 401, "checked again against the new secret");
    set_config(&[("secret", "s3cret"), ("leeway_seconds", "0")]);
    assert_eq!(status(&token), 200);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(status(&token), 401, "expired while remembered");
}
