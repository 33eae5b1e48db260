use super::*;
use krest_plugin_sdk::testing::set_config_toml;

fn record(value: Option<&str>) -> KafkaRecord {
    KafkaRecord {
        topic: "people".into(),
        partition: Some(2),
        offset: Some(7),
        key: Some(b"{\"ssn\":\"key\"}".to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        headers: Vec::new(),
        timestamp: Some(1_700_000_000_000),
    }
}

/// The value `redact` leaves for `value` (`None`: kept as it was).
fn redacted(value: &str) -> Option<String> {
    match Redact::apply(Direction::Produce, vec![record(Some(value))]).remove(0) {
        Outcome::Keep => None,
        Outcome::Replace(out) => Some(String::from_utf8(out.value.unwrap()).unwrap()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_name_is_masked_at_any_depth() {
    set_config_toml(r#"fields = ["ssn"]"#);
    assert_eq!(
        redacted(r#"{"name":"a","ssn":"123-45-6789"}"#).as_deref(),
        Some(r#"{"name":"a","ssn":"***"}"#)
    );
    assert_eq!(
        redacted(r#"{"people":[{"ssn":"1","n":1},{"info":{"ssn":2}}],"x":[[{"ssn":[3]}]]}"#).as_deref(),
        Some(r#"{"people":[{"ssn":"***","n":1},{"info":{"ssn":"***"}}],"x":[[{"ssn":"***"}]]}"#)
    );
    assert_eq!(
        redacted(r#"[{"ssn":"1"},"ssn",{"other":{"ssn":{"deep":true}}}]"#).as_deref(),
        Some(r#"[{"ssn":"***"},"ssn",{"other":{"ssn":"***"}}]"#),
        "a top-level array, a string equal to the name left alone, an object value masked whole"
    );
    set_config_toml(r#"fields = ["$..ssn"]"#);
    assert_eq!(
        redacted(r#"{"a":{"ssn":"1"}}"#).as_deref(),
        Some(r#"{"a":{"ssn":"***"}}"#)
    );
}

#[test]
fn dotted_paths_start_at_the_root_and_search_arrays_on_the_way() {
    set_config_toml(r#"fields = ["card.number", "$.ssn", "items.sku"]"#);
    assert_eq!(
        redacted(
            r#"{"card":{"number":"4111","exp":"1/30"},"other":{"card":{"number":"55"},"ssn":"9"},"ssn":"1"}"#
        )
        .as_deref(),
        Some(
            r#"{"card":{"number":"***","exp":"1/30"},"other":{"card":{"number":"55"},"ssn":"9"},"ssn":"***"}"#
        )
    );
    assert_eq!(
        redacted(r#"{"items":[{"sku":"a"},{"sku":"b","n":2},{"n":3}]}"#).as_deref(),
        Some(r#"{"items":[{"sku":"***"},{"sku":"***","n":2},{"n":3}]}"#)
    );
    assert_eq!(
        redacted(r#"{"card":"4111","x":{"items":{"sku":"a"}}}"#),
        None,
        "`card` holds no `number`; `items` is not at the root"
    );
}

#[test]
fn double_dots_match_a_step_at_any_depth() {
    set_config_toml(r#"fields = ["$..card.number", "$..email"]"#);
    assert_eq!(
        redacted(r#"{"email":"a@b","orders":[{"card":{"number":"4111","email":"c@d"}}],"number":1}"#)
            .as_deref(),
        Some(r#"{"email":"***","orders":[{"card":{"number":"***","email":"***"}}],"number":1}"#)
    );
    assert_eq!(
        redacted(r#"{"card":{"card":{"number":"1"}}}"#).as_deref(),
        Some(r#"{"card":{"card":{"number":"***"}}}"#)
    );
}

#[test]
fn order_numbers_and_everything_else_are_kept() {
    set_config_toml(r#"fields = ["ssn"]"#);
    let input =
        r#"{ "z": 1.50, "ssn": "x", "big": 123456789012345678901234567890, "e": 1e3, "a": "é\u00e9" }"#;
    assert_eq!(
        redacted(input).as_deref(),
        Some(r#"{"z":1.50,"ssn":"***","big":123456789012345678901234567890,"e":1e+3,"a":"éé"}"#)
    );
    let out = Redact::apply(Direction::Consume, vec![record(Some(input))]).remove(0);
    let Outcome::Replace(out) = out else {
        panic!("expected a replacement on consume too")
    };
    let original = record(None);
    assert_eq!(
        (out.topic, out.partition, out.offset, out.key, out.timestamp),
        (
            original.topic,
            original.partition,
            original.offset,
            original.key,
            original.timestamp
        ),
        "only the value changes; the key is not redacted"
    );
}

#[test]
fn records_without_anything_to_redact_are_kept() {
    set_config_toml(r#"fields = ["ssn", "card.number"]"#);
    for value in [
        r#"{"name":"a"}"#,
        r#"{"ssn":null,"card":{"number":null}}"#,
        r#""ssn""#,
        "42",
        "null",
        "[]",
    ] {
        assert_eq!(redacted(value), None, "{value}");
    }
    assert!(matches!(
        Redact::apply(Direction::Produce, vec![record(None)])[..],
        [Outcome::Keep]
    ));
}

#[test]
fn hash_mode_writes_the_hex_sha256_of_the_json_text() {
    // `printf '"123-45-6789"' | sha256sum`, `printf 'pepper"123-45-6789"' | sha256sum`,
    // `printf '{"number":"4111","exp":"12/30"}' | sha256sum`
    let plain = "4b6f8243a6b470a0d1db96a50cfd5a694b4a7bdff2c3b55890c9afadd67b4cf3";
    let salted = "5a1e154a45979f9a719090b92fe1b97d4e3e736e979b55776391945481e36f4d";
    let object = "71840e85af27a5b6f5313be55e090d331be8776b8445abc99ae3462019470567";
    set_config_toml("fields = [\"ssn\", \"card\"]\nmode = \"hash\"");
    assert_eq!(
        redacted(r#"{"ssn":"123-45-6789","card":{ "number": "4111", "exp": "12/30" }}"#),
        Some(format!(r#"{{"ssn":"{plain}","card":"{object}"}}"#))
    );
    set_config_toml("fields = [\"ssn\", \"$.ssn\", \"$..ssn\"]\nmode = \"hash\"\nsalt = \"pepper\"");
    assert_eq!(
        redacted(r#"{"ssn":"123-45-6789"}"#),
        Some(format!(r#"{{"ssn":"{salted}"}}"#)),
        "a member matched by several paths is hashed once"
    );
}

#[test]
fn the_mask_is_configurable() {
    set_config_toml("fields = [\"pin\"]\nmask = \"[redacted]\"");
    assert_eq!(
        redacted(r#"{"pin":1234}"#).as_deref(),
        Some(r#"{"pin":"[redacted]"}"#)
    );
}

#[test]
fn values_that_are_not_json_are_kept_unless_configured_otherwise() {
    let values = ["not json", "{\"ssn\":", "\u{1}\u{2}"];
    let outcomes = |config: &str| {
        set_config_toml(config);
        Redact::apply(
            Direction::Produce,
            values.iter().map(|v| record(Some(v))).collect(),
        )
    };
    assert!(outcomes(r#"fields = ["ssn"]"#)
        .iter()
        .all(|o| matches!(o, Outcome::Keep)));
    assert!(outcomes("fields = [\"ssn\"]\nnon_json = \"drop\"")
        .iter()
        .all(|o| matches!(o, Outcome::Drop)));
    assert!(outcomes("fields = [\"ssn\"]\nnon_json = \"error\"")
        .iter()
        .all(|o| matches!(o, Outcome::Error(m) if m.contains("not JSON"))));
    let mut invalid_utf8 = record(None);
    invalid_utf8.value = Some(vec![b'"', 0xff, b'"']);
    assert!(matches!(
        Redact::apply(Direction::Produce, vec![invalid_utf8])[..],
        [Outcome::Error(_)]
    ));
}

#[test]
fn one_outcome_per_record_in_order() {
    set_config_toml(r#"fields = ["ssn"]"#);
    let outcomes = Redact::apply(
        Direction::Produce,
        vec![
            record(Some(r#"{"a":1}"#)),
            record(Some(r#"{"ssn":1}"#)),
            record(None),
            record(Some("x")),
            record(Some(r#"{"ssn":2}"#)),
        ],
    );
    let kinds: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Keep => "keep",
            Outcome::Replace(_) => "replace",
            Outcome::Drop => "drop",
            Outcome::Error(_) => "error",
        })
        .collect();
    assert_eq!(kinds, ["keep", "replace", "keep", "keep", "replace"]);
}

#[test]
fn a_bad_configuration_fails_every_record_naming_the_setting() {
    for (config, expected) in [
        ("", "`fields` is required"),
        ("fields = []", "`fields` is empty"),
        ("fields = \"ssn\"", "array of strings"),
        ("fields = [\"ssn\", 3]", "array of strings"),
        ("fields = [\"a.\"]", "field `a.`"),
        ("fields = [\"$\"]", "field `$`"),
        ("fields = [\"ssn\"]\nmode = \"blur\"", "`mode`"),
        ("fields = [\"ssn\"]\nsalt = \"x\"", "`salt`"),
        ("fields = [\"ssn\"]\nmode = \"hash\"\nmask = \"x\"", "`mask`"),
        ("fields = [\"ssn\"]\nnon_json = \"skip\"", "`non_json`"),
        ("feilds = [\"ssn\"]", "unknown setting `feilds`"),
    ] {
        set_config_toml(config);
        let outcomes = Redact::apply(Direction::Produce, vec![record(Some("{}")), record(None)]);
        assert_eq!(outcomes.len(), 2);
        for outcome in outcomes {
            match outcome {
                Outcome::Error(message) => {
                    assert!(message.starts_with("redact.toml: "), "{message}");
                    assert!(message.contains(expected), "{config}: {message}");
                }
                other => panic!("{config}: {other:?}"),
            }
        }
    }
}
