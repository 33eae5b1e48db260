use super::*;
use krest_plugin_sdk::testing::set_config_toml;
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::Header;

fn record(value: Option<&str>, headers: &[(&str, Option<&[u8]>)]) -> KafkaRecord {
    KafkaRecord {
        topic: "orders".into(),
        partition: Some(3),
        offset: None,
        key: Some(b"k".to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        headers: headers
            .iter()
            .map(|(name, value)| Header {
                name: name.to_string(),
                value: value.map(<[u8]>::to_vec),
            })
            .collect(),
        timestamp: Some(5),
    }
}

/// The topic each record goes to ("keep", "drop" or "error: …" otherwise).
fn routes(records: Vec<KafkaRecord>) -> Vec<String> {
    Route::apply(Direction::Produce, records)
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Replace(out) => {
                assert_eq!(out.partition, None, "Kafka's partitioner picks");
                assert_eq!((out.key.as_deref(), out.timestamp), (Some(&b"k"[..]), Some(5)));
                out.topic
            }
            Outcome::Keep => "keep".into(),
            Outcome::Drop => "drop".into(),
            Outcome::Error(message) => format!("error: {message}"),
        })
        .collect()
}

fn for_values(values: &[&str]) -> Vec<String> {
    routes(values.iter().map(|v| record(Some(v), &[])).collect())
}

#[test]
fn the_template_names_the_topic_from_a_value_field() {
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"");
    assert_eq!(
        for_values(&[
            r#"{"region":"eu","n":1}"#,
            r#"{"region":7}"#,
            r#"{"region":1.50}"#,
            r#"{"region":true}"#,
        ]),
        ["orders-eu", "orders-7", "orders-1.50", "orders-true"]
    );
    set_config_toml("field = \"$.customer.region\"\ntopic = \"{topic}.{value}\"");
    assert_eq!(for_values(&[r#"{"customer":{"region":"us"}}"#]), ["orders.us"]);
    set_config_toml("field = \"/a.b\"\ntopic = \"x-{value}\"");
    assert_eq!(for_values(&[r#"{"a.b":"c"}"#]), ["x-c"]);
    set_config_toml("field = \"$\"\ntopic = \"x-{value}\"");
    assert_eq!(for_values(&[r#""c""#]), ["x-c"]);
}

#[test]
fn the_map_comes_first_and_unmapped_values_take_the_template() {
    set_config_toml(
        r#"
        field = "region"
        topic = "orders-other"
        [map]
        eu = "orders-eu"
        "us.east" = "orders-us"
        "#,
    );
    assert_eq!(
        for_values(&[
            r#"{"region":"eu"}"#,
            r#"{"region":"us.east"}"#,
            r#"{"region":"apac"}"#,
        ]),
        ["orders-eu", "orders-us", "orders-other"]
    );
}

#[test]
fn with_a_map_only_unmapped_values_take_the_default() {
    let values = [r#"{"region":"eu"}"#, r#"{"region":"mars"}"#];
    set_config_toml("field = \"region\"\n[map]\neu = \"orders-eu\"");
    assert_eq!(for_values(&values), ["orders-eu", "keep"]);
    set_config_toml("field = \"region\"\ndefault = \"drop\"\n[map]\neu = \"orders-eu\"");
    assert_eq!(for_values(&values), ["orders-eu", "drop"]);
    set_config_toml("field = \"region\"\ndefault = \"error\"\n[map]\neu = \"orders-eu\"");
    assert_eq!(
        for_values(&values),
        ["orders-eu", "error: route: `mars` is not in [map]"]
    );
}

#[test]
fn records_without_a_routing_value_take_the_default() {
    let values = [
        r#"{"other":1}"#,
        r#"{"region":""}"#,
        r#"{"region":null}"#,
        r#"{"region":{"x":1}}"#,
        r#"{"region":["eu"]}"#,
        "not json",
    ];
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"");
    assert_eq!(for_values(&values), ["keep"; 6]);
    assert_eq!(routes(vec![record(None, &[])]), ["keep"], "a tombstone");
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"\ndefault = \"error\"");
    assert_eq!(
        for_values(&values[..1]),
        ["error: route: the record has no field `region`"]
    );
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"\ndefault = \"drop\"");
    assert_eq!(for_values(&values), ["drop"; 6]);
}

#[test]
fn headers_route_by_their_last_utf8_value() {
    set_config_toml("header = \"x-region\"\ntopic = \"orders-{value}\"\ndefault = \"error\"");
    assert_eq!(
        routes(vec![
            record(Some("not json"), &[("x-region", Some(b"eu"))]),
            record(None, &[("x-region", Some(b"eu")), ("x-region", Some(b"us"))]),
            record(None, &[("x-region", None)]),
            record(None, &[("x-region", Some(b"\xff"))]),
            record(None, &[("X-Region", Some(b"eu"))]),
        ]),
        [
            "orders-eu",
            "orders-us",
            "error: route: the record has no header `x-region`",
            "error: route: the record has no header `x-region`",
            "error: route: the record has no header `x-region`",
        ]
    );
}

#[test]
fn names_that_are_not_topics_fail_the_record() {
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"");
    assert_eq!(
        for_values(&[
            r#"{"region":"e u"}"#,
            r#"{"region":"../x"}"#,
            r#"{"region":"ok"}"#
        ]),
        [
            "error: route: `orders-e u` is not a valid topic name",
            "error: route: `orders-../x` is not a valid topic name",
            "orders-ok",
        ]
    );
    set_config_toml("field = \"region\"\ntopic = \"{value}\"");
    let long = "a".repeat(250);
    assert_eq!(
        for_values(&[r#"{"region":".."}"#, &format!(r#"{{"region":"{long}"}}"#)]),
        [
            "error: route: `..` is not a valid topic name".to_string(),
            format!("error: route: `{long}` is not a valid topic name"),
        ]
    );
}

#[test]
fn routing_to_the_same_topic_keeps_the_record() {
    set_config_toml("field = \"region\"\ntopic = \"{value}\"");
    assert_eq!(for_values(&[r#"{"region":"orders"}"#]), ["keep"]);
}

#[test]
fn consumed_records_are_kept() {
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"");
    let outcomes = Route::apply(
        Direction::Consume,
        vec![record(Some(r#"{"region":"eu"}"#), &[]), record(None, &[])],
    );
    assert!(matches!(outcomes[..], [Outcome::Keep, Outcome::Keep]));
    set_config_toml("");
    assert!(
        matches!(
            Route::apply(Direction::Consume, vec![record(None, &[])])[..],
            [Outcome::Keep]
        ),
        "not even a bad configuration matters on consume"
    );
}

#[test]
fn one_outcome_per_record_in_order() {
    set_config_toml("field = \"region\"\ntopic = \"orders-{value}\"\ndefault = \"drop\"");
    assert_eq!(
        for_values(&[
            r#"{"region":"a"}"#,
            "{}",
            r#"{"region":"b"}"#,
            r#"{"region":"orders"}"#
        ]),
        ["orders-a", "drop", "orders-b", "orders-orders"]
    );
}

#[test]
fn a_bad_configuration_fails_every_record_naming_the_setting() {
    for (config, expected) in [
        ("", "set `field` or `header`"),
        ("topic = \"t\"", "set `field` or `header`"),
        ("field = \"a\"\nheader = \"b\"\ntopic = \"t\"", "not both"),
        ("header = \"\"\ntopic = \"t\"", "`header` must name a header"),
        ("field = \"a\"", "set `topic` (a template) or [map]"),
        (
            "field = \"$..a\"\ntopic = \"t\"",
            "`field` = \"$..a\" is not a path",
        ),
        (
            "field = \"a\"\ntopic = \"orders-{region}\"",
            "`topic` = \"orders-{region}\"",
        ),
        ("field = \"a\"\ntopic = \"\"", "`topic` = \"\""),
        (
            "field = \"a\"\n[map]\neu = \"bad topic\"",
            "`map.eu`: `bad topic` is not a valid topic name",
        ),
        ("field = \"a\"\ntopic = \"t\"\ndefault = \"skip\"", "`default`"),
        ("field = \"a\"\ntopics = \"t\"", "unknown setting `topics`"),
    ] {
        set_config_toml(config);
        let results = routes(vec![record(Some("{}"), &[]), record(None, &[])]);
        assert_eq!(results.len(), 2);
        for result in results {
            assert!(result.starts_with("error: route.toml: "), "{config}: {result}");
            assert!(result.contains(expected), "{config}: {result}");
        }
    }
}
