//! The format end to end: the payload Confluent's proxy writes for a record (expected texts
//! printed by Jackson 2.21 on Temurin 25, a `java.util.HashMap` standing in for org.json's
//! `JSONObject`), what its consumer shows for a payload, validation, drafts, references and
//! schemas that are refused.

use krest_plugin_sdk::format::krest::plugin::schema_registry::{Reference, Schema};

use super::Codec;

const DRAFT_2020_12: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema"}"#;

fn codec(schema: &str) -> Codec {
    Codec::parse(schema, &[]).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn encoded(schema: &str, json: &str) -> String {
    String::from_utf8(codec(schema).encode(json).unwrap()).unwrap()
}

fn encode_error(schema: &str, json: &str) -> String {
    codec(schema).encode(json).unwrap_err()
}

fn decoded(payload: &str) -> String {
    codec("true").decode(payload.as_bytes()).unwrap()
}

fn reference(name: &str, text: &str) -> Reference {
    Reference {
        name: name.into(),
        subject: name.trim_end_matches(".json").into(),
        version: 1,
        schema: Schema {
            id: 1,
            schema_type: "JSON".into(),
            text: text.into(),
        },
    }
}

/// (request value, what Confluent writes under a draft 4–7 schema, under 2019-09/2020-12, what
/// its consumer shows for the first).
const JACKSON: &[(&str, &str, &str, &str)] = &[
    (
        r#"{"id": 1, "note": null, "customer": {"name": "Ann", "vip": true}, "tags": ["a", "b"], "score": 1.5}"#,
        r#"{"note":null,"score":1.5,"id":1,"customer":{"name":"Ann","vip":true},"tags":["a","b"]}"#,
        r#"{"id":1,"note":null,"customer":{"name":"Ann","vip":true},"tags":["a","b"],"score":1.5}"#,
        r#"{"note":null,"score":1.5,"id":1,"customer":{"name":"Ann","vip":true},"tags":["a","b"]}"#,
    ),
    (
        r#"{"b": 1.50, "a": [1e2, 1E-4, 0.1, -0.0, 12345678.9, 1e7, 5e-324, 12345678901234567890123, -0, 0], "c": 1e10}"#,
        r#"{"a":[100.0,0.00010,0.1,0.0,12345678.9,1.0E+7,4.9E-324,12345678901234567890123,0,0],"b":1.5,"c":1.0E+10}"#,
        r#"{"b":1.5,"a":[100.0,1.0E-4,0.1,-0.0,1.23456789E7,1.0E7,4.9E-324,12345678901234567890123,0,0],"c":1.0E10}"#,
        r#"{"a":[100.0,1.0E-4,0.1,0.0,1.23456789E7,1.0E7,4.9E-324,12345678901234567890123,0,0],"b":1.5,"c":1.0E10}"#,
    ),
    (
        r#"{"name":"x","age":3,"city":"y","zip":"z","country":"c","street":"s","email":"e","phone":"p","id":7,"createdAt":"t","updatedAt":"u","status":"s","extra":1}"#,
        r#"{"zip":"z","country":"c","city":"y","createdAt":"t","phone":"p","street":"s","extra":1,"name":"x","id":7,"age":3,"email":"e","updatedAt":"u","status":"s"}"#,
        r#"{"name":"x","age":3,"city":"y","zip":"z","country":"c","street":"s","email":"e","phone":"p","id":7,"createdAt":"t","updatedAt":"u","status":"s","extra":1}"#,
        r#"{"zip":"z","country":"c","city":"y","createdAt":"t","phone":"p","street":"s","extra":1,"name":"x","id":7,"age":3,"email":"e","updatedAt":"u","status":"s"}"#,
    ),
    (
        r#"{"s": "q\" b\\ s\/ \b\f\n\r\t \u0000\u001f\u007f é 日本 😀 \u2028"}"#,
        "{\"s\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0000\\u001F\u{7f} é 日本 😀 \u{2028}\"}",
        "{\"s\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0000\\u001F\u{7f} é 日本 😀 \u{2028}\"}",
        "{\"s\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0000\\u001F\u{7f} é 日本 😀 \u{2028}\"}",
    ),
    ("1.5", "1.5", "1.5", "1.5"),
    ("1e10", "1.0E10", "1.0E10", "1.0E10"),
    (
        r#"[1.5, {"z": 1, "y": 2.0}]"#,
        r#"[1.5,{"y":2.0,"z":1}]"#,
        r#"[1.5,{"z":1,"y":2.0}]"#,
        r#"[1.5,{"y":2.0,"z":1}]"#,
    ),
    (r#""text""#, r#""text""#, r#""text""#, r#""text""#),
    (
        r#"{"big": 123456789012345678901234567890.123, "tiny": 0.000001234, "n": -12.5e-1, "f": 0.30000000000000004}"#,
        r#"{"big":1.2345678901234568E+29,"tiny":0.000001234,"f":0.30000000000000004,"n":-1.25}"#,
        r#"{"big":1.2345678901234568E29,"tiny":1.234E-6,"n":-1.25,"f":0.30000000000000004}"#,
        r#"{"big":1.2345678901234568E29,"tiny":1.234E-6,"f":0.30000000000000004,"n":-1.25}"#,
    ),
    (
        r#"{"id": 0, "name": "", "vip": false, "tags": [], "meta": {}, "note": null, "ratio": 0.0}"#,
        r#"{"note":null,"meta":{},"name":"","id":0,"vip":false,"tags":[],"ratio":0.0}"#,
        r#"{"id":0,"name":"","vip":false,"tags":[],"meta":{},"note":null,"ratio":0.0}"#,
        r#"{"note":null,"meta":{},"name":"","id":0,"vip":false,"tags":[],"ratio":0.0}"#,
    ),
];

#[test]
fn drafts_4_to_7_write_what_everit_gives_back() {
    for (value, everit, _, _) in JACKSON {
        assert_eq!(encoded("true", value), *everit, "{value}");
        assert_eq!(encoded("{}", value), *everit, "{value}");
        assert_eq!(
            encoded(r#"{"$schema":"http://json-schema.org/draft-04/schema#"}"#, value),
            *everit,
            "{value}"
        );
    }
}

#[test]
fn drafts_2019_09_and_2020_12_write_the_request_tree() {
    for (value, _, tree, _) in JACKSON {
        assert_eq!(encoded(DRAFT_2020_12, value), *tree, "{value}");
        assert_eq!(
            encoded(
                r#"{"$schema":"https://json-schema.org/draft/2019-09/schema"}"#,
                value
            ),
            *tree,
            "{value}"
        );
    }
}

#[test]
fn consumed_payloads_show_as_confluents_consumer_shows_them() {
    for (_, everit, _, shown) in JACKSON {
        assert_eq!(decoded(everit), *shown, "{everit}");
    }
    assert_eq!(decoded("{ \"b\" : 1 , \"a\" : [ ] }"), r#"{"b":1,"a":[]}"#);
    assert!(codec("{}")
        .decode(b"{\"a\":")
        .unwrap_err()
        .starts_with("the record is not JSON"));
    assert!(codec("{}")
        .decode(b"\xff")
        .unwrap_err()
        .starts_with("the record is not JSON"));
    assert!(codec("{}").decode(b"").is_err());
}

const ORDER: &str = r#"{
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": 0},
        "customer": {
            "type": "object",
            "properties": {"name": {"type": "string", "minLength": 1}},
            "required": ["name"]
        },
        "tags": {"type": "array", "items": {"type": "string"}}
    },
    "required": ["id"],
    "additionalProperties": false
}"#;

#[test]
fn values_that_do_not_fit_are_refused_naming_where() {
    assert_eq!(
        encoded(ORDER, r#"{"id": 1, "customer": {"name": "Ann"}, "tags": ["a"]}"#),
        r#"{"id":1,"customer":{"name":"Ann"},"tags":["a"]}"#
    );
    let refused = [
        (
            r#"{"customer": {"name": "Ann"}}"#,
            "at #: \"id\" is a required property",
        ),
        (r#"{"id": "1"}"#, "at #/id: \"1\" is not of type \"integer\""),
        (r#"{"id": -1}"#, "at #/id: -1 is less than the minimum of 0"),
        (
            r#"{"id": 1, "customer": {"name": ""}}"#,
            "at #/customer/name: \"\" is shorter than 1 character",
        ),
        (
            r#"{"id": 1, "tags": ["a", 2]}"#,
            "at #/tags/1: 2 is not of type \"string\"",
        ),
        (
            r#"{"id": 1, "x": 0}"#,
            "at #: Additional properties are not allowed ('x' was unexpected)",
        ),
        ("null", "at #: null is not of type \"object\""),
        ("[]", "at #: [] is not of type \"object\""),
    ];
    for (value, message) in refused {
        let error = encode_error(ORDER, value);
        assert_eq!(
            error,
            format!("the value does not fit its JSON Schema {message}"),
            "{value}"
        );
    }
    assert!(encode_error("{}", "1e400").contains("out of the range of a double"));
    assert!(encode_error("false", "1").contains("False schema does not allow 1"));
}

#[test]
fn schema_picks_its_draft_and_defaults_to_7() {
    // A boolean `exclusiveMaximum` is draft 4's.
    let draft4 =
        r#"{"$schema":"http://json-schema.org/draft-04/schema#","maximum":5,"exclusiveMaximum":true}"#;
    assert!(encode_error(draft4, "5").contains("greater than or equal to the maximum of 5"));
    assert_eq!(encoded(draft4, "4"), "4");
    assert!(Codec::parse(r#"{"maximum":5,"exclusiveMaximum":true}"#, &[]).is_err());
    let version_less = r#"{"$schema":"http://json-schema.org/schema#","maximum":5,"exclusiveMaximum":true}"#;
    assert!(encode_error(version_less, "5").contains("maximum of 5"));
    // `prefixItems` is 2020-12's; draft 7 ignores it.
    let prefix = |schema: &str| format!(r#"{{{schema}"prefixItems":[{{"type":"string"}}]}}"#);
    assert!(encode_error(
        &prefix(r#""$schema":"https://json-schema.org/draft/2020-12/schema","#),
        "[1]"
    )
    .contains("#/0"));
    assert_eq!(encoded(&prefix(""), "[1]"), "[1]");
    // `dependentRequired` is 2019-09's.
    let dependent =
        r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"a":["b"]}}"#;
    assert!(encode_error(dependent, r#"{"a":1}"#).contains("\"b\" is a required property"));
    // A `$schema` Confluent does not know means draft 7: Everit's key order and defaults.
    let unknown = r#"{"$schema":"https://example.com/my-meta","properties":{"x":{"default":0}}}"#;
    assert_eq!(encoded(unknown, r#"{"z":1,"y":2}"#), r#"{"x":0,"y":2,"z":1}"#);
    assert_eq!(encoded(DRAFT_2020_12, r#"{"z":1,"y":2}"#), r#"{"z":1,"y":2}"#);
}

#[test]
fn references_resolve_by_name_against_the_root_id() {
    let address = reference(
        "address.json",
        r#"{"type":"object","properties":{"city":{"type":"string"},"country":{"$ref":"country.json"}},"required":["city"]}"#,
    );
    let country = reference("country.json", r#"{"type":"string","enum":["NL","IT"]}"#);
    let references = [country, address];
    let customer = |id: &str| {
        format!(
            r#"{{{id}"type":"object","properties":{{"name":{{"type":"string"}},"home":{{"$ref":"address.json"}}}}}}"#
        )
    };
    for root in [
        customer(""),
        customer(r#""$id":"https://example.com/schemas/customer.json","#),
    ] {
        let codec = Codec::parse(&root, &references).unwrap_or_else(|e| panic!("{root}: {e}"));
        let valid = r#"{"name":"Ann","home":{"city":"Oslo","country":"NL"}}"#;
        assert_eq!(
            String::from_utf8(codec.encode(valid).unwrap()).unwrap(),
            r#"{"name":"Ann","home":{"country":"NL","city":"Oslo"}}"#
        );
        let error = codec
            .encode(r#"{"name":"Ann","home":{"city":"Oslo","country":"FR"}}"#)
            .unwrap_err();
        assert!(
            error.contains("at #/home/country: \"FR\" is not one of"),
            "{error}"
        );
        let error = codec.encode(r#"{"name":"Ann","home":{}}"#).unwrap_err();
        assert!(
            error.contains("at #/home: \"city\" is a required property"),
            "{error}"
        );
        assert!(
            Codec::parse(&root, &references[1..]).is_err(),
            "country.json is missing"
        );
    }
    assert!(Codec::parse(&customer(""), &[])
        .err()
        .unwrap()
        .contains("address.json"));
    let mut avro = reference("address.json", r#""string""#);
    avro.schema.schema_type = "AVRO".into();
    assert_eq!(
        Codec::parse(&customer(""), &[avro]).err().unwrap(),
        "reference address.json is a AVRO schema, not JSON"
    );
}

const WITH_DEFAULTS: &str = r##"{
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "country": {"type": "string", "default": "NL"},
        "tags": {"type": "array", "default": []},
        "score": {"type": "number", "default": 2.5},
        "flags": {"type": "object", "default": {"b": 1, "a": 2}},
        "address": {"$ref": "#/definitions/address"}
    },
    "definitions": {
        "address": {"type": "object", "properties": {"city": {"type": "string", "default": "Utrecht"}}}
    }
}"##;

#[test]
fn drafts_4_to_7_fill_in_property_defaults_as_everit_does() {
    assert_eq!(
        encoded(WITH_DEFAULTS, r#"{"id": 7, "address": {}}"#),
        r#"{"country":"NL","score":2.5,"address":{"city":"Utrecht"},"flags":{"a":2,"b":1},"id":7,"tags":[]}"#
    );
    assert_eq!(
        encoded(
            WITH_DEFAULTS,
            r#"{"id": 7, "address": {"city": "Rome", "zip": "00100"}, "country": "IT"}"#
        ),
        r#"{"country":"IT","score":2.5,"address":{"zip":"00100","city":"Rome"},"flags":{"a":2,"b":1},"id":7,"tags":[]}"#
    );
    // A default's number keeps its digits (a `BigDecimal` from the schema's text).
    assert_eq!(
        encoded(
            r#"{"properties":{"p":{"default":1.50},"q":{"default":1e2}}}"#,
            "{}"
        ),
        r#"{"p":1.50,"q":1E+2}"#
    );
    // Reached through `items`, `allOf` and a referenced schema.
    let address = reference(
        "address.json",
        r#"{"type":"object","properties":{"city":{"default":"Oslo"}}}"#,
    );
    let list = r#"{"type":"array","items":{"allOf":[{"$ref":"address.json"}]}}"#;
    let codec = Codec::parse(list, &[address]).unwrap();
    assert_eq!(
        String::from_utf8(codec.encode(r#"[{}, {"city": "Rome"}]"#).unwrap()).unwrap(),
        r#"[{"city":"Oslo"},{"city":"Rome"}]"#
    );
    // 2019-09 and 2020-12 leave them out.
    let modern = WITH_DEFAULTS.replacen(
        '{',
        &format!(
            "{{{}",
            r#""$schema":"https://json-schema.org/draft/2020-12/schema","#
        ),
        1,
    );
    assert_eq!(
        encoded(&modern, r#"{"id": 7, "address": {}}"#),
        r#"{"id":7,"address":{}}"#
    );
    // A recursive schema over a deep value: each level is entered anew.
    let tree = r##"{"properties":{"leaf":{"default":true},"kids":{"items":{"$ref":"#"}}}}"##;
    let deep = (0..60).fold("{}".to_owned(), |inner, _| format!(r#"{{"kids":[{inner}]}}"#));
    assert_eq!(encoded(tree, &deep).matches(r#""leaf":true"#).count(), 61);
    // A `$ref` cycle that never descends into the value is refused, not followed forever.
    assert!(encode_error(r##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"},"c":{"default":1}},"$ref":"#/definitions/a"}"##, "{}").contains("without end"));
}

#[test]
fn schemas_that_are_not_json_schemas_are_refused() {
    for (schema, message) in [
        ("{", "the schema is not JSON"),
        ("42", "a JSON Schema is an object or a boolean"),
        (r#""string""#, "a JSON Schema is an object or a boolean"),
        (r#"{"type":"strin"}"#, "strin"),
        (r#"{"minLength":-1}"#, "-1"),
        (r#"{"$ref":"missing.json"}"#, "missing.json"),
    ] {
        let error = Codec::parse(schema, &[])
            .err()
            .unwrap_or_else(|| panic!("{schema} parsed"));
        assert!(error.contains(message), "{schema}: {error}");
    }
}

#[test]
fn formats_are_checked_before_2019_09_as_everit_checks_them() {
    let email = |schema: &str| format!(r#"{{{schema}"format":"email"}}"#);
    assert!(encode_error(&email(""), r#""not an address""#).contains("is not a \"email\""));
    assert_eq!(
        encoded(&email(""), r#""ann@example.com""#),
        r#""ann@example.com""#
    );
    let annotation = email(r#""$schema":"https://json-schema.org/draft/2020-12/schema","#);
    assert_eq!(encoded(&annotation, r#""not an address""#), r#""not an address""#);
}
