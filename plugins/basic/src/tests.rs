use super::*;
use krest_plugin_sdk::testing::set_config;

fn facts(authorization: Option<&str>) -> RequestFacts {
    RequestFacts {
        method: "GET".into(),
        path: "/topics".into(),
        headers: authorization
            .map(|v| ("authorization".to_string(), v.to_string()))
            .into_iter()
            .collect(),
        peer: "127.0.0.1:5000".into(),
        tls_client_identity: None,
    }
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn jetty_credential_forms_and_bcrypt_match_only_their_password() {
    assert_eq!(
        credential::deobfuscate("1v2j1uum1xtv1zej1zer1xtn1uvk1v1v").as_deref(),
        Some("password")
    );
    for stored in [
        "password",
        "OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v",
        "MD5:5f4dcc3b5aa765d61d8327deb882cf99",
        "CRYPT:advwtv/9yU5yQ",
        "$2b$04$15LK70ZmEUp6yTDBy0aO7uVuBwwxFDR03VVLpOQdiwzBYciWnbIyK",
        "$2y$04$15LK70ZmEUp6yTDBy0aO7uVuBwwxFDR03VVLpOQdiwzBYciWnbIyK",
    ] {
        assert!(credential::matches(stored, "password"), "{stored}");
        assert!(!credential::matches(stored, "passwore"), "{stored}");
    }
    assert!(!credential::matches("OBF:zz", "password"));
}

#[test]
fn users_authenticate_with_their_roles_and_others_are_refused() {
    set_config(&[
        ("users.alice", "alice-secret,developer,admin"),
        ("users.bob", "MD5:5f4dcc3b5aa765d61d8327deb882cf99,reader"),
        ("roles", "developer,reader"),
    ]);
    let alice = Basic::authenticate(facts(Some(&basic("alice", "alice-secret")))).unwrap();
    assert_eq!(alice.name, "alice");
    assert_eq!(
        alice.attributes,
        vec![("roles".to_string(), "developer,admin".to_string())]
    );
    assert_eq!(
        Basic::authenticate(facts(Some(&basic("bob", "password"))))
            .unwrap()
            .name,
        "bob"
    );
    for refused in [
        None,
        Some(basic("alice", "wrong")),
        Some(basic("mallory", "alice-secret")),
        Some("Bearer abc".to_string()),
        Some("Basic !!!".to_string()),
    ] {
        let denial = Basic::authenticate(facts(refused.as_deref())).unwrap_err();
        assert_eq!((denial.status, denial.error_code), (401, 40101), "{refused:?}");
    }
    set_config(&[("users.carol", "pw,auditor"), ("roles", "developer")]);
    let denial = Basic::authenticate(facts(Some(&basic("carol", "pw")))).unwrap_err();
    assert_eq!(denial.status, 403);
}

#[test]
fn a_slow_hash_is_remembered_only_for_the_password_and_credential_that_matched() {
    let bcrypt = "$2b$04$15LK70ZmEUp6yTDBy0aO7uVuBwwxFDR03VVLpOQdiwzBYciWnbIyK";
    assert!(credential::matches_remembered("carol", bcrypt, "password"));
    assert!(
        credential::matches_remembered("carol", bcrypt, "password"),
        "remembered"
    );
    assert!(!credential::matches_remembered("carol", bcrypt, "passwore"));
    // The user's credential changed in basic.toml: the remembered match no longer counts.
    let other = "$2b$04$15LK70ZmEUp6yTDBy0aO7uVuBwwxFDR03VVLpOQdiwzBYciWnbIyL";
    assert!(!credential::matches_remembered("carol", other, "password"));
    assert!(!credential::matches_remembered("dave", other, "password"));
}
