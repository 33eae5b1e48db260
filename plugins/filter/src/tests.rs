use super::*;
use krest_plugin_sdk::testing::set_config_toml;
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::Header;

fn record(key: Option<&str>, value: Option<&str>, headers: &[(&str, Option<&str>)]) -> KafkaRecord {
    KafkaRecord {
        topic: "events".into(),
        partition: None,
        offset: None,
        key: key.map(|k| k.as_bytes().to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        headers: headers
            .iter()
            .map(|(name, value)| Header {
                name: name.to_string(),
                value: value.map(|v| v.as_bytes().to_vec()),
            })
            .collect(),
        timestamp: None,
    }
}

/// "keep", "drop" or "error: …" for each record.
fn outcomes(records: Vec<KafkaRecord>) -> Vec<String> {
    Filter::apply(Direction::Produce, records)
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Keep => "keep".to_string(),
            Outcome::Drop => "drop".to_string(),
            Outcome::Error(message) => format!("error: {message}"),
            Outcome::Replace(_) => panic!("filter never replaces"),
        })
        .collect()
}

/// The outcome for each value (no key, no headers).
fn for_values(values: &[&str]) -> Vec<String> {
    outcomes(values.iter().map(|v| record(None, Some(v), &[])).collect())
}

#[test]
fn records_equal_to_a_value_are_dropped_the_others_kept() {
    set_config_toml("[[drop]]\npath = \"type\"\nequals = \"heartbeat\"");
    assert_eq!(
        for_values(&[
            r#"{"type":"heartbeat","at":1}"#,
            r#"{"type":"order"}"#,
            r#"{"kind":"heartbeat"}"#,
            r#"{"type":["heartbeat"]}"#,
            r#"{"inner":{"type":"heartbeat"}}"#,
        ]),
        ["drop", "keep", "keep", "keep", "keep"],
        "exact paths from the root only"
    );
    let consumed = Filter::apply(
        Direction::Consume,
        vec![record(None, Some(r#"{"type":"heartbeat"}"#), &[])],
    );
    assert!(matches!(consumed[..], [Outcome::Drop]), "consume too");
}

#[test]
fn not_equals_is_the_negation_of_equals() {
    set_config_toml("[[drop]]\npath = \"$.order.region\"\nnot_equals = \"eu\"");
    assert_eq!(
        for_values(&[
            r#"{"order":{"region":"eu"}}"#,
            r#"{"order":{"region":"us"}}"#,
            r#"{"order":{}}"#,
            r#"{"order":{"region":null}}"#,
            "[]",
        ]),
        ["keep", "drop", "drop", "drop", "drop"]
    );
}

#[test]
fn exists_tests_presence_null_included() {
    set_config_toml("[[drop]]\npath = \"debug\"\nexists = true");
    assert_eq!(
        for_values(&[r#"{"debug":null}"#, r#"{"debug":false}"#, r#"{"x":1}"#, "3"]),
        ["drop", "drop", "keep", "keep"]
    );
    set_config_toml("[[drop]]\npath = \"id\"\nexists = false");
    assert_eq!(
        for_values(&[r#"{"id":1}"#, r#"{"x":1}"#, "null", r#""id""#]),
        ["keep", "drop", "drop", "drop"]
    );
}

#[test]
fn matches_searches_the_text_of_scalars() {
    set_config_toml(
        "[[drop]]\npath = \"user\"\nmatches = \"^test-\"\n[[drop]]\npath = \"status\"\nmatches = '^5\\d\\d$'",
    );
    assert_eq!(
        for_values(&[
            r#"{"user":"test-1"}"#,
            r#"{"user":"a-test-1"}"#,
            r#"{"status":503}"#,
            r#"{"status":"502"}"#,
            r#"{"status":5000}"#,
            r#"{"user":["test-1"]}"#,
            r#"{"user":{"test-":1}}"#,
            r#"{"user":null}"#,
        ]),
        ["drop", "keep", "drop", "drop", "keep", "keep", "keep", "keep"]
    );
    set_config_toml("[[drop]]\npath = \"flag\"\nmatches = \"^tr\"");
    assert_eq!(
        for_values(&[r#"{"flag":true}"#, r#"{"flag":false}"#]),
        ["drop", "keep"]
    );
}

#[test]
fn equals_compares_types_and_numbers_by_value() {
    set_config_toml(
        r#"
        [[drop]]
        path = "n"
        equals = 3
        [[drop]]
        path = "f"
        equals = 1.5
        [[drop]]
        path = "b"
        equals = true
        "#,
    );
    assert_eq!(
        for_values(&[
            r#"{"n":3}"#,
            r#"{"n":3.0}"#,
            r#"{"n":"3"}"#,
            r#"{"n":4}"#,
            r#"{"f":1.50}"#,
            r#"{"b":true}"#,
            r#"{"b":"true"}"#,
        ]),
        ["drop", "drop", "keep", "keep", "drop", "drop", "keep"]
    );
}

#[test]
fn paths_index_arrays_and_json_pointers_reach_dotted_names() {
    set_config_toml(
        r#"
        [[drop]]
        path = "items.0.sku"
        equals = "x"
        [[drop]]
        path = "/a.b/c"
        equals = 1
        [[drop]]
        path = "$"
        equals = "ping"
        "#,
    );
    assert_eq!(
        for_values(&[
            r#"{"items":[{"sku":"x"}]}"#,
            r#"{"items":[{"sku":"y"},{"sku":"x"}]}"#,
            r#"{"a.b":{"c":1}}"#,
            r#"{"a":{"b":{"c":1}}}"#,
            r#""ping""#,
        ]),
        ["drop", "keep", "drop", "keep", "drop"]
    );
}

#[test]
fn header_rules_read_the_last_header_of_the_name_as_text() {
    set_config_toml(
        "[[drop]]\nheader = \"x-env\"\nequals = \"test\"\n[[drop]]\nheader = \"x-debug\"\nexists = true",
    );
    assert_eq!(
        outcomes(vec![
            record(None, Some("not json"), &[("x-env", Some("test"))]),
            record(None, None, &[("x-env", Some("test")), ("x-env", Some("prod"))]),
            record(None, None, &[("x-env", Some("prod")), ("x-env", Some("test"))]),
            record(None, None, &[("X-Env", Some("test"))]),
            record(None, None, &[("x-debug", None)]),
            record(None, None, &[]),
        ]),
        ["drop", "keep", "drop", "keep", "drop", "keep"]
    );
    set_config_toml("[[drop]]\nheader = \"x-env\"\nnot_equals = \"prod\"");
    assert_eq!(
        outcomes(vec![
            record(None, None, &[("x-env", Some("prod"))]),
            record(None, None, &[]),
            record(None, None, &[("x-env", None)]),
        ]),
        ["keep", "drop", "drop"]
    );
}

#[test]
fn key_rules_match_json_keys_only() {
    set_config_toml(
        r#"
        [[drop]]
        key_path = "tenant"
        not_equals = "acme"
        [[drop]]
        key_path = "$"
        matches = "^test-"
        "#,
    );
    assert_eq!(
        outcomes(vec![
            record(Some(r#"{"tenant":"acme"}"#), Some("{}"), &[]),
            record(Some(r#"{"tenant":"other"}"#), Some("{}"), &[]),
            record(Some(r#""test-1""#), Some("{}"), &[]),
            record(Some("test-1"), Some("{}"), &[]),
            record(None, Some("{}"), &[]),
        ]),
        ["keep", "drop", "drop", "keep", "keep"],
        "a key that is not JSON, or none, never matches a key rule"
    );
}

#[test]
fn value_rules_never_match_values_that_are_not_json() {
    set_config_toml(
        "[[drop]]\npath = \"type\"\nnot_equals = \"order\"\n[[drop]]\npath = \"id\"\nexists = false",
    );
    assert_eq!(
        outcomes(vec![
            record(None, Some("plain text"), &[]),
            record(None, Some("{\"type\":"), &[]),
            record(None, None, &[]),
            record(None, Some(r#"{"type":"order","id":1}"#), &[]),
            record(None, Some(r#"{"type":"order"}"#), &[]),
        ]),
        ["keep", "keep", "keep", "keep", "drop"]
    );
    let rule = "[[drop]]\npath = \"type\"\nequals = \"x\"\n";
    set_config_toml(&format!("non_json = \"drop\"\n{rule}"));
    assert_eq!(
        outcomes(vec![record(None, Some("plain"), &[]), record(None, None, &[])]),
        ["drop", "keep"],
        "tombstones are not subject to non_json"
    );
    set_config_toml(&format!("non_json = \"error\"\n{rule}"));
    assert_eq!(
        outcomes(vec![
            record(None, Some("plain"), &[]),
            record(None, Some("{}"), &[])
        ]),
        ["error: filter: the value is not JSON", "keep"]
    );
    set_config_toml("non_json = \"drop\"\n[[drop]]\nheader = \"x\"\nexists = true");
    assert_eq!(
        outcomes(vec![record(None, Some("plain"), &[])]),
        ["drop"],
        "non_json applies with header rules only too"
    );
}

#[test]
fn any_matching_rule_drops_and_outcomes_stay_in_order() {
    set_config_toml("[[drop]]\npath = \"type\"\nequals = \"a\"\n[[drop]]\npath = \"type\"\nequals = \"b\"");
    assert_eq!(
        for_values(&[
            r#"{"type":"a"}"#,
            r#"{"type":"c"}"#,
            r#"{"type":"b"}"#,
            r#"{"type":"a"}"#,
            "x",
        ]),
        ["drop", "keep", "drop", "drop", "keep"]
    );
}

#[test]
fn a_bad_configuration_fails_every_record_naming_the_problem() {
    let rule = |body: &str| format!("[[drop]]\n{body}");
    for (config, expected) in [
        (String::new(), "no rules"),
        ("drop = []".to_string(), "no rules"),
        (
            "[drop]\npath = \"a\"\nexists = true".to_string(),
            "rules are [[drop]] tables (two brackets)",
        ),
        ("drop = \"x\"".to_string(), "`drop` must be [[drop]] tables"),
        ("drop = [1]".to_string(), "rule 1: not a table"),
        (rule("exists = true"), "rule 1: no place"),
        (rule("path = \"a\""), "no test"),
        (
            rule("path = \"a\"\nheader = \"b\"\nexists = true"),
            "a second place",
        ),
        (
            rule("path = \"a\"\nequals = 1\nexists = true"),
            "a second place or test",
        ),
        (rule("path = \"a\"\nlike = \"x\""), "unknown key `like`"),
        (rule("path = \"a\"\nmatches = \"(\""), "`matches`"),
        (rule("path = \"$..a\"\nexists = true"), "`$..a` is not a path"),
        (rule("path = 1\nexists = true"), "`path` must be a string"),
        (rule("path = \"a\"\nequals = [1]"), "`equals` must be a string"),
        (
            rule("path = \"a\"\nnot_equals = nan"),
            "`not_equals` must be a string",
        ),
        (
            rule("path = \"a\"\nexists = \"yes\""),
            "`exists` must be true or false",
        ),
        (
            format!(
                "{}\n{}",
                rule("path = \"a\"\nexists = true"),
                rule("exists = true")
            ),
            "rule 2: no place",
        ),
        (
            format!("non_json = \"pass\"\n{}", rule("path = \"a\"\nexists = true")),
            "`non_json`",
        ),
        (
            "drop_if = \"$.type == 'x'\"".to_string(),
            "unknown setting `drop_if`",
        ),
    ] {
        set_config_toml(&config);
        let results = outcomes(vec![record(None, Some("{}"), &[]), record(None, None, &[])]);
        assert_eq!(results.len(), 2);
        for result in results {
            assert!(result.starts_with("error: filter.toml: "), "{config}: {result}");
            assert!(result.contains(expected), "{config}: {result}");
        }
    }
}
