use super::*;
use krest_plugin_sdk::testing::{set_config_toml, set_context};

fn caller(principal: Option<&str>, request_id: &str) {
    set_context(CallContext {
        principal: principal.map(str::to_string),
        request_id: request_id.into(),
    });
}

fn header(name: &str, value: Option<&str>) -> Header {
    Header {
        name: name.into(),
        value: value.map(|v| v.as_bytes().to_vec()),
    }
}

fn record(headers: Vec<Header>) -> KafkaRecord {
    KafkaRecord {
        topic: "orders".into(),
        partition: None,
        offset: None,
        key: Some(b"k".to_vec()),
        value: Some(b"v".to_vec()),
        headers,
        timestamp: Some(1_000),
    }
}

/// The headers after the transform as (name, value) pairs; `None` when the record is kept.
fn edited(headers: Vec<Header>) -> Option<Vec<(String, Option<String>)>> {
    match Headers::apply(Direction::Produce, vec![record(headers)]).remove(0) {
        Outcome::Keep => None,
        Outcome::Replace(out) => {
            let original = record(Vec::new());
            assert_eq!(
                (&out.topic, out.partition, &out.key, &out.value, out.timestamp),
                (
                    &original.topic,
                    original.partition,
                    &original.key,
                    &original.value,
                    original.timestamp
                )
            );
            Some(
                out.headers
                    .into_iter()
                    .map(|h| (h.name, h.value.map(|v| String::from_utf8(v).unwrap())))
                    .collect(),
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn pairs(expected: &[(&str, Option<&str>)]) -> Option<Vec<(String, Option<String>)>> {
    Some(
        expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
            .collect(),
    )
}

#[test]
fn headers_are_removed_and_added() {
    caller(None, "r-1");
    set_config_toml(
        "remove = [\"x-debug\", \"x-internal\"]\n[add]\nx-source = \"krest\"\n\"x.dotted\" = \"d\"",
    );
    assert_eq!(
        edited(vec![
            header("x-debug", Some("1")),
            header("keep", Some("k")),
            header("x-internal", None),
            header("x-debug", Some("2")),
            header("X-Debug", Some("case")),
        ]),
        pairs(&[
            ("keep", Some("k")),
            ("X-Debug", Some("case")),
            ("x-source", Some("krest")),
            ("x.dotted", Some("d")),
        ])
    );
}

#[test]
fn added_headers_replace_those_of_the_same_name() {
    caller(None, "r-1");
    set_config_toml("[add]\nx-source = \"krest\"");
    assert_eq!(
        edited(vec![
            header("x-source", Some("client")),
            header("a", None),
            header("x-source", Some("krest")),
        ]),
        pairs(&[("a", None), ("x-source", Some("krest"))])
    );
    assert_eq!(
        edited(vec![header("x-source", Some("krest")), header("a", Some("1"))]),
        None,
        "already there: kept, in place"
    );
    assert_eq!(
        edited(vec![header("x-source", None)]),
        pairs(&[("x-source", Some("krest"))])
    );
}

#[test]
fn the_principal_and_request_id_are_stamped() {
    set_config_toml("principal_header = \"x-principal\"\nrequest_id_header = \"x-request-id\"");
    caller(Some("alice"), "req-7");
    assert_eq!(
        edited(vec![
            header("x-principal", Some("mallory")),
            header("a", Some("1"))
        ]),
        pairs(&[
            ("a", Some("1")),
            ("x-principal", Some("alice")),
            ("x-request-id", Some("req-7")),
        ])
    );
    assert_eq!(
        edited(vec![
            header("x-principal", Some("alice")),
            header("x-request-id", Some("req-7")),
        ]),
        None
    );
    let outcomes = Headers::apply(Direction::Consume, vec![record(Vec::new())]);
    let Outcome::Replace(consumed) = &outcomes[0] else {
        panic!("consumed records are stamped too")
    };
    assert_eq!(consumed.headers.len(), 2);
}

#[test]
fn without_a_principal_the_principal_header_is_omitted_and_a_forged_one_removed() {
    set_config_toml("principal_header = \"x-principal\"");
    caller(None, "req-8");
    assert_eq!(edited(vec![header("a", Some("1"))]), None);
    assert_eq!(
        edited(vec![header("x-principal", Some("admin")), header("a", Some("1"))]),
        pairs(&[("a", Some("1"))])
    );
}

#[test]
fn the_principal_wins_over_add() {
    set_config_toml("principal_header = \"x-principal\"\n[add]\nx-principal = \"static\"");
    caller(Some("bob"), "r");
    assert_eq!(edited(Vec::new()), pairs(&[("x-principal", Some("bob"))]));
}

#[test]
fn timestamp_now_sets_the_current_time() {
    caller(None, "r");
    set_config_toml("timestamp = \"now\"");
    let before = now_millis();
    let outcomes = Headers::apply(Direction::Produce, vec![record(Vec::new())]);
    let Outcome::Replace(out) = &outcomes[0] else {
        panic!("expected a replacement")
    };
    let stamped = out.timestamp.unwrap();
    assert!(before <= stamped && stamped <= now_millis(), "{stamped}");
    assert!(out.headers.is_empty());
    set_config_toml("timestamp = \"keep\"\nremove = [\"x\"]");
    assert_eq!(edited(Vec::new()), None, "keep leaves the timestamp");
}

#[test]
fn one_outcome_per_record_in_order() {
    caller(None, "r");
    set_config_toml("remove = [\"x\"]");
    let outcomes = Headers::apply(
        Direction::Produce,
        vec![
            record(vec![header("x", None)]),
            record(Vec::new()),
            record(vec![header("y", None), header("x", Some("1"))]),
        ],
    );
    assert!(matches!(
        outcomes[..],
        [Outcome::Replace(_), Outcome::Keep, Outcome::Replace(_)]
    ));
}

#[test]
fn a_bad_configuration_fails_every_record_naming_the_setting() {
    caller(None, "r");
    for (config, expected) in [
        ("", "nothing to do"),
        ("remove = []", "nothing to do"),
        ("remove = \"x\"", "`remove` must be an array"),
        ("remove = [1]", "`remove` must be an array"),
        ("timestamp = \"later\"", "`timestamp`"),
        ("principal_header = \"\"", "`principal_header` must name a header"),
        (
            "request_id_header = \"\"",
            "`request_id_header` must name a header",
        ),
        ("add = \"x\"", "unknown setting `add`"),
        ("[add]\n\"\" = \"x\"", "unknown setting `add.`"),
        ("principal = \"x-p\"", "unknown setting `principal`"),
    ] {
        set_config_toml(config);
        let outcomes = Headers::apply(Direction::Produce, vec![record(Vec::new()), record(Vec::new())]);
        assert_eq!(outcomes.len(), 2);
        for outcome in outcomes {
            match outcome {
                Outcome::Error(message) => {
                    assert!(message.starts_with("headers.toml: "), "{message}");
                    assert!(message.contains(expected), "{config}: {message}");
                }
                other => panic!("{config}: {other:?}"),
            }
        }
    }
}
