use super::*;
use krest_plugin_sdk::testing::set_config;

fn facts(subject: Option<&str>) -> RequestFacts {
    RequestFacts {
        method: "GET".into(),
        path: "/topics".into(),
        headers: Vec::new(),
        peer: "127.0.0.1:5000".into(),
        tls_client_identity: subject.map(str::to_string),
    }
}

#[test]
fn kafka_style_rules_map_subjects_to_principals() {
    let rules = Rules::parse(
        r"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,
          RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,
          RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U,
          RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT",
    )
    .unwrap();
    assert_eq!(
        rules.map("CN=kafka-svc,OU=ServiceUsers,O=Unknown").as_deref(),
        Some("kafka-svc")
    );
    assert_eq!(
        rules
            .map("CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Palo Alto,ST=CA,C=US")
            .as_deref(),
        Some("duke@javasoft")
    );
    assert_eq!(
        rules.map("cn=duke,ou=javasoft,dc=sun,dc=com").as_deref(),
        Some("DUKE@JAVASOFT")
    );
    assert_eq!(rules.map("OU=x,CN=web.example").as_deref(), Some("WEB.EXAMPLE"));
    assert_eq!(rules.map("O=nobody").as_deref(), Some("O=nobody"), "DEFAULT");
    let strict = Rules::parse(r"RULE:^CN=([^,]*),O=acme$/$1/").unwrap();
    assert_eq!(strict.map("CN=a\\/b,O=acme").as_deref(), Some("a\\/b"));
    assert_eq!(strict.map("CN=eve,O=evil"), None);
    for bad in ["RULE:^CN=(.*)$/$1", "RULE:(/x/", "SOMETHING"] {
        assert!(Rules::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_certificate_subject_names_the_principal() {
    set_config(&[("rules", "RULE:^CN=([^,]*),O=krest tests$/$1/L")]);
    let alice = Mtls::authenticate(facts(Some("CN=Alice,O=krest tests"))).unwrap();
    assert_eq!(alice.name, "alice");
    assert_eq!(
        alice.attributes,
        vec![("dn".to_string(), "CN=Alice,O=krest tests".to_string())]
    );
    assert_eq!(Mtls::authenticate(facts(None)).unwrap_err().status, 401);
    assert_eq!(
        Mtls::authenticate(facts(Some("CN=eve,O=elsewhere")))
            .unwrap_err()
            .status,
        401
    );
    set_config(&[]);
    assert_eq!(Mtls::authenticate(facts(Some("CN=x"))).unwrap().name, "CN=x");
}
