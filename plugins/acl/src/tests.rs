use super::*;
use krest_plugin_sdk::testing::set_config;

fn principal(name: &str, roles: &str) -> Principal {
    Principal {
        name: name.into(),
        attributes: vec![("roles".into(), roles.into())],
    }
}

fn allowed(who: &Principal, action: Action, target: Target) -> bool {
    Acl::authorize(who.clone(), action, vec![target])
        .remove(0)
        .is_ok()
}

#[test]
fn allow_rules_grant_deny_rules_win_and_nothing_else_is_allowed() {
    set_config(&[
        (
            "rules.alice-topics",
            "allow User:alice describe,read,write topic:alice-*",
        ),
        ("rules.alice-groups", "allow User:alice read group:*"),
        ("rules.readers", "allow Role:reader describe,read topic:public"),
        ("rules.no-secrets", "deny * * topic:alice-secret"),
        ("rules.ops", "allow Role:ops describe cluster"),
    ]);
    let alice = principal("alice", "");
    assert!(allowed(
        &alice,
        Action::Write,
        Target::Topic("alice-orders".into())
    ));
    assert!(allowed(&alice, Action::Read, Target::Group("any".into())));
    assert!(!allowed(
        &alice,
        Action::Delete,
        Target::Topic("alice-orders".into())
    ));
    assert!(
        !allowed(&alice, Action::Write, Target::Topic("alice-secret".into())),
        "deny wins"
    );
    assert!(!allowed(
        &alice,
        Action::Write,
        Target::Topic("bob-orders".into())
    ));
    assert!(
        !allowed(&alice, Action::Describe, Target::Cluster),
        "no rule, no access"
    );
    let reader = principal("carol", "staff,reader");
    assert!(allowed(&reader, Action::Read, Target::Topic("public".into())));
    assert!(
        !allowed(&reader, Action::Read, Target::Topic("publicity".into())),
        "literal name"
    );
    assert!(!allowed(&reader, Action::Write, Target::Topic("public".into())));
    assert!(allowed(
        &principal("dan", "ops"),
        Action::Describe,
        Target::Cluster
    ));

    let answers = Acl::authorize(
        alice,
        Action::Read,
        vec![Target::Topic("alice-a".into()), Target::Topic("b".into())],
    );
    assert_eq!(
        answers.iter().map(Result::is_ok).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(answers[1].as_ref().unwrap_err().status, 403);
}

#[test]
fn an_unreadable_rule_denies_everything() {
    set_config(&[
        ("rules.good", "allow * * *"),
        ("rules.bad", "allow User:alice fly topic:x"),
    ]);
    assert!(!allowed(
        &principal("alice", ""),
        Action::Read,
        Target::Topic("x".into())
    ));
    for text in ["allow", "permit * * *", "allow Someone * *", "allow * * table:x"] {
        assert!(Rule::parse(text).is_err(), "{text}");
    }
}

#[test]
fn it_authenticates_nobody() {
    let facts = RequestFacts {
        method: "GET".into(),
        path: "/".into(),
        headers: Vec::new(),
        peer: String::new(),
        tls_client_identity: None,
    };
    assert_eq!(Acl::authenticate(facts).unwrap_err().status, 401);
}
