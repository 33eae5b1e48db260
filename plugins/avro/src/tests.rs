//! The JSON conventions of Confluent's proxy (Java's Avro `JsonEncoder`/`JsonDecoder`), the
//! binary they map to (checked against `apache-avro`'s own reader), and hostile input.

use apache_avro::types::Value as AvroValue;

use super::Codec;

/// Encodes `json`, checks `apache-avro` reads the binary back as `expected`, and that decoding
/// gives back the same JSON.
fn round_trip(schema: &str, json: &str, expected: AvroValue) -> Vec<u8> {
    let codec = Codec::parse(schema, &[]).unwrap();
    let binary = codec.encode(json).unwrap();
    let reference = apache_avro::Schema::parse_str(schema).unwrap();
    let read = apache_avro::from_avro_datum(&reference, &mut binary.as_slice(), None).unwrap();
    assert_eq!(read, expected, "apache-avro reads {json} back");
    let decoded: serde_json::Value = serde_json::from_str(&codec.decode(&binary).unwrap()).unwrap();
    assert_eq!(decoded, serde_json::from_str::<serde_json::Value>(json).unwrap());
    binary
}

fn encode_error(schema: &str, json: &str) -> String {
    Codec::parse(schema, &[]).unwrap().encode(json).unwrap_err()
}

#[test]
fn primitives_and_their_binary() {
    assert_eq!(round_trip(r#""null""#, "null", AvroValue::Null), b"");
    assert_eq!(round_trip(r#""boolean""#, "true", AvroValue::Boolean(true)), [1]);
    assert_eq!(round_trip(r#""int""#, "-3", AvroValue::Int(-3)), [5]);
    assert_eq!(
        round_trip(r#""int""#, "2147483647", AvroValue::Int(i32::MAX)),
        [0xfe, 0xff, 0xff, 0xff, 0x0f]
    );
    round_trip(r#""long""#, "-9223372036854775808", AvroValue::Long(i64::MIN));
    assert_eq!(
        round_trip(r#""float""#, "1.5", AvroValue::Float(1.5)),
        1.5f32.to_le_bytes()
    );
    round_trip(r#""float""#, "0.1", AvroValue::Float(0.1));
    round_trip(r#""double""#, "-2.25e-300", AvroValue::Double(-2.25e-300));
    assert_eq!(
        round_trip(r#""string""#, r#""hé""#, AvroValue::String("hé".into())),
        b"\x06h\xc3\xa9"
    );
    round_trip(
        r#""string""#,
        r#""tab\t\"quote\" \\ \u0001""#,
        AvroValue::String("tab\t\"quote\" \\ \u{1}".into()),
    );
}

#[test]
fn falsy_values_are_written_and_read_back() {
    assert_eq!(round_trip(r#""int""#, "0", AvroValue::Int(0)), [0]);
    assert_eq!(round_trip(r#""long""#, "0", AvroValue::Long(0)), [0]);
    assert_eq!(
        round_trip(r#""boolean""#, "false", AvroValue::Boolean(false)),
        [0]
    );
    assert_eq!(
        round_trip(r#""string""#, r#""""#, AvroValue::String(String::new())),
        [0]
    );
    assert_eq!(round_trip(r#""bytes""#, r#""""#, AvroValue::Bytes(vec![])), [0]);
    assert_eq!(round_trip(r#""double""#, "0.0", AvroValue::Double(0.0)), [0; 8]);
    let array = r#"{"type":"array","items":"int"}"#;
    assert_eq!(round_trip(array, "[]", AvroValue::Array(vec![])), [0]);
    let map = r#"{"type":"map","values":"int"}"#;
    assert_eq!(round_trip(map, "{}", AvroValue::Map(Default::default())), [0]);
    let optional = r#"["null","int"]"#;
    assert_eq!(
        round_trip(
            optional,
            r#"{"int":0}"#,
            AvroValue::Union(1, Box::new(AvroValue::Int(0)))
        ),
        [2, 0]
    );
}

#[test]
fn numbers_must_fit_their_type() {
    assert!(encode_error(r#""int""#, "2147483648").contains("not an int"));
    assert!(encode_error(r#""int""#, "1.5").contains("not an int"));
    assert!(encode_error(r#""long""#, "9223372036854775808").contains("not a long"));
    assert!(encode_error(r#""long""#, r#""1""#).contains("expected long"));
    assert!(encode_error(r#""boolean""#, "0").contains("expected boolean"));
    assert!(encode_error(r#""string""#, "null").contains("expected string"));
    // Integers are fine where a float or double is expected.
    let codec = Codec::parse(r#""double""#, &[]).unwrap();
    assert_eq!(codec.decode(&codec.encode("3").unwrap()).unwrap(), "3.0");
}

#[test]
fn non_finite_doubles_are_strings_as_java_writes_them() {
    for text in [r#""NaN""#, r#""Infinity""#, r#""-Infinity""#] {
        for schema in [r#""double""#, r#""float""#] {
            let codec = Codec::parse(schema, &[]).unwrap();
            assert_eq!(codec.decode(&codec.encode(text).unwrap()).unwrap(), text);
        }
    }
    assert!(encode_error(r#""double""#, r#""1.5""#).contains("expected a number"));
}

#[test]
fn unions_wrap_values_in_their_branch_name_and_null_is_bare() {
    let schema = r#"["null","string",{"type":"record","name":"Point","namespace":"geo","fields":[{"name":"x","type":"int"}]},{"type":"array","items":"long"},{"type":"map","values":"boolean"}]"#;
    round_trip(schema, "null", AvroValue::Union(0, Box::new(AvroValue::Null)));
    round_trip(
        schema,
        r#"{"string":"a"}"#,
        AvroValue::Union(1, Box::new(AvroValue::String("a".into()))),
    );
    round_trip(
        schema,
        r#"{"geo.Point":{"x":1}}"#,
        AvroValue::Union(
            2,
            Box::new(AvroValue::Record(vec![("x".into(), AvroValue::Int(1))])),
        ),
    );
    round_trip(
        schema,
        r#"{"array":[7]}"#,
        AvroValue::Union(3, Box::new(AvroValue::Array(vec![AvroValue::Long(7)]))),
    );
    round_trip(
        schema,
        r#"{"map":{"k":true}}"#,
        AvroValue::Union(
            4,
            Box::new(AvroValue::Map(
                [("k".to_string(), AvroValue::Boolean(true))].into(),
            )),
        ),
    );
    // A bare value, the short name of a named type, or an unknown branch: refused, naming the branches.
    let error = encode_error(schema, r#""a""#);
    assert!(error.contains("null, string, geo.Point, array, map"), "{error}");
    assert!(encode_error(schema, r#"{"Point":{"x":1}}"#).contains("no branch \"Point\""));
    assert!(encode_error(schema, r#"{"string":"a","array":[]}"#).contains("a union value is null or"));
    assert!(encode_error(r#"["int","string"]"#, "null").contains("no branch \"null\""));
}

#[test]
fn bytes_and_fixed_are_iso_8859_1_strings() {
    let every_byte: Vec<u8> = (0..=255).collect();
    let text: String = every_byte.iter().map(|&b| char::from(b)).collect();
    let json = serde_json::to_string(&text).unwrap();
    let binary = round_trip(r#""bytes""#, &json, AvroValue::Bytes(every_byte.clone()));
    assert_eq!(&binary[..2], [0x80, 0x04], "length 256");
    assert_eq!(&binary[2..], every_byte.as_slice());

    // Control characters escaped as Jackson escapes them.
    let bytes = Codec::parse(r#""bytes""#, &[]).unwrap();
    assert_eq!(bytes.decode(&[6, 0x0b, b'\n', b'"']).unwrap(), r#""\u000B\n\"""#);

    let fixed = r#"{"type":"fixed","name":"Two","size":2}"#;
    assert_eq!(
        round_trip(fixed, r#""\u0000ÿ""#, AvroValue::Fixed(2, vec![0, 255])),
        [0, 255]
    );
    assert!(encode_error(fixed, r#""abc""#).contains("fixed to 2 bytes, got 3"));
    assert!(encode_error(r#""bytes""#, r#""€""#).contains("U+20AC"));
}

#[test]
fn enums_are_their_symbols() {
    let schema = r#"{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS"]}"#;
    assert_eq!(
        round_trip(schema, r#""HEARTS""#, AvroValue::Enum(1, "HEARTS".into())),
        [2]
    );
    assert!(encode_error(schema, r#""CLUBS""#).contains("not a symbol of Suit (SPADES, HEARTS)"));
    let codec = Codec::parse(schema, &[]).unwrap();
    assert!(codec
        .decode(&[4])
        .unwrap_err()
        .contains("enum index 2 out of range"));
}

#[test]
fn records_are_objects_in_schema_order() {
    let schema = r#"{"type":"record","name":"Outer","namespace":"n","fields":[
        {"name":"a","type":"int"},
        {"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"s","type":"string"}]}},
        {"name":"again","type":["null","Inner"]},
        {"name":"renamed","type":"long","aliases":["old"]}]}"#;
    let codec = Codec::parse(schema, &[]).unwrap();
    // Fields in any order; unknown fields ignored; an alias names its field.
    let binary = codec
        .encode(r#"{"inner":{"s":"x"},"extra":1,"a":1,"again":{"n.Inner":{"s":"y"}},"old":5}"#)
        .unwrap();
    assert_eq!(binary, [2, 2, b'x', 2, 2, b'y', 10]);
    assert_eq!(
        codec.decode(&binary).unwrap(),
        r#"{"a":1,"inner":{"s":"x"},"again":{"n.Inner":{"s":"y"}},"renamed":5}"#
    );
    let error = codec.encode(r#"{"a":1,"again":null,"renamed":1}"#).unwrap_err();
    assert_eq!(error, "field inner: missing, and it has no default");
    assert!(codec
        .encode(r#"{"a":1,"inner":{"s":3},"again":null,"renamed":1}"#)
        .unwrap_err()
        .starts_with("field inner: field s: expected string"));
}

#[test]
fn missing_fields_take_their_defaults_with_unions_unwrapped() {
    let schema = r#"{"type":"record","name":"R","fields":[
        {"name":"maybe","type":["null","string"],"default":null},
        {"name":"count","type":["int","null"],"default":7},
        {"name":"raw","type":"bytes","default":"\u00ff"},
        {"name":"list","type":{"type":"array","items":["string","null"]},"default":["a"]}]}"#;
    let codec = Codec::parse(schema, &[]).unwrap();
    let binary = codec.encode("{}").unwrap();
    assert_eq!(binary, [0, 0, 14, 2, 0xff, 2, 0, 2, b'a', 0]);
    assert_eq!(
        codec.decode(&binary).unwrap(),
        r#"{"maybe":null,"count":{"int":7},"raw":"ÿ","list":[{"string":"a"}]}"#
    );
}

#[test]
fn logical_types_use_their_base_types_encoding() {
    let schema = r#"{"type":"record","name":"L","fields":[
        {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"micros","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"id","type":{"type":"string","logicalType":"uuid"}},
        {"name":"amount","type":["null",{"type":"fixed","name":"Money","size":2,"logicalType":"decimal","precision":4,"scale":2}]}]}"#;
    let codec = Codec::parse(schema, &[]).unwrap();
    // 12345 (123.45) is 0x30 0x39; the decimal in a union is labelled by its fixed's name.
    let json = r#"{"price":"09","day":19000,"at":1700000000000,"micros":0,"id":"not validated","amount":{"Money":"\u0000\u0001"}}"#;
    let binary = codec.encode(json).unwrap();
    assert_eq!(codec.decode(&binary).unwrap(), json);
    let reference = apache_avro::Schema::parse_str(schema).unwrap();
    let mut reader = binary.as_slice();
    let read = apache_avro::from_avro_datum(&reference, &mut reader, None);
    // apache-avro insists on a valid uuid; its reading of the other fields is checked by position.
    assert!(read.is_err());
    assert_eq!(&binary[..3], [4, b'0', b'9']);
    assert_eq!(binary[3..6], [0xf0, 0xa8, 0x02], "19000 as a zig-zag varint");
}

#[test]
fn recursive_schemas_follow_references_and_deep_data_is_refused() {
    let schema = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
    let json = r#"{"v":1,"next":{"Node":{"v":0,"next":null}}}"#;
    let codec = Codec::parse(schema, &[]).unwrap();
    let binary = codec.encode(json).unwrap();
    assert_eq!(binary, [2, 2, 0, 0]);
    assert_eq!(codec.decode(&binary).unwrap(), json);
    let deep: Vec<u8> = std::iter::repeat_n([0, 2], 10_000).flatten().collect();
    assert!(codec
        .decode(&deep)
        .unwrap_err()
        .contains("nested deeper than 128"));
}

#[test]
fn hostile_binary_fails_cleanly() {
    let nulls = Codec::parse(r#"{"type":"array","items":"null"}"#, &[]).unwrap();
    // A block claiming i64::MAX zero-byte items.
    let mut huge = vec![0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    huge.push(0);
    assert!(nulls
        .decode(&huge)
        .unwrap_err()
        .contains("more array or map items"));
    assert_eq!(nulls.decode(&[6, 0]).unwrap(), "[null,null,null]");
    // Negative block count: the count then the block's byte size.
    assert_eq!(nulls.decode(&[3, 0, 0]).unwrap(), "[null,null]");

    let string = Codec::parse(r#""string""#, &[]).unwrap();
    assert!(string.decode(&[0x80]).unwrap_err().contains("ends early"));
    assert!(string.decode(&[1]).unwrap_err().contains("negative length"));
    assert!(string.decode(&[200, 1, b'a']).unwrap_err().contains("ends early"));
    assert!(string
        .decode(&[0xff; 11])
        .unwrap_err()
        .contains("longer than 10 bytes"));
    assert_eq!(
        string.decode(&[2, 0xff]).unwrap(),
        "\"\u{fffd}\"",
        "invalid UTF-8 is replaced as Java does"
    );
    let boolean = Codec::parse(r#""boolean""#, &[]).unwrap();
    assert!(boolean.decode(&[2]).is_err());
    let int = Codec::parse(r#""int""#, &[]).unwrap();
    assert!(int
        .decode(&[0x80, 0x80, 0x80, 0x80, 0x10])
        .unwrap_err()
        .contains("int out of range"));
    let union = Codec::parse(r#"["null","int"]"#, &[]).unwrap();
    assert!(union
        .decode(&[4])
        .unwrap_err()
        .contains("union index 2 out of range"));
    assert!(Codec::parse(r#""double""#, &[]).unwrap().decode(&[0; 7]).is_err());
}

#[test]
fn unusable_schemas_and_json_are_refused() {
    assert!(Codec::parse("not json", &[]).unwrap_err().contains("not JSON"));
    assert!(Codec::parse(r#"{"type":"record","name":"R"}"#, &[]).is_err());
    assert!(Codec::parse(r#""Unknown""#, &[]).is_err());
    assert!(encode_error(r#""int""#, "{").contains("invalid JSON"));
}

#[test]
fn named_types_of_referenced_schemas_are_known_by_name() {
    let address =
        r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
    let codec = Codec::parse(
        r#"{"type":"record","name":"Customer","fields":[{"name":"home","type":"acme.Address"}]}"#,
        &[address],
    )
    .unwrap();
    let avro = codec.encode(r#"{"home":{"city":"Oslo"}}"#).unwrap();
    assert_eq!(avro, [8, b'O', b's', b'l', b'o']);
    assert_eq!(codec.decode(&avro).unwrap(), r#"{"home":{"city":"Oslo"}}"#);
    assert!(Codec::parse(
        r#"{"type":"record","name":"C","fields":[{"name":"a","type":"acme.Address"}]}"#,
        &[]
    )
    .is_err());
}
