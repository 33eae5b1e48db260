//! Message indexes, the JSON of Java's `JsonFormat` (parser, and printer with
//! `includingDefaultValueFields`), hand-checked Protobuf binary, schemas with imports and
//! hostile input.

use krest_plugin_sdk::schema_format::SchemaCodec;
use serde_json::{json, Value};

use super::{indexes, Schema};

const ORDER: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/empty.proto";

message Order {
  int64 id = 1;
  string customer_name = 2;
  bool paid = 3;
  Status status = 4;
  bytes payload = 5;
  repeated string tags = 6;
  map<string, int32> counts = 7;
  Address address = 8;
  oneof contact { string email = 9; string phone = 10; }
  optional int32 discount = 11;
  uint64 big = 12;
  int32 small = 13;
  uint32 unsigned = 14;
  double ratio = 15;
  float weight = 16;
  repeated Address addresses = 17;
  google.protobuf.Timestamp at = 18;
  sint64 delta = 19;
  fixed64 mark = 20;
  message Line { string sku = 1; }
  repeated Line lines = 21;
}

message Address { string city = 1; int32 zip = 2; }

enum Status { NEW = 0; PAID = 1; }

message Wkt {
  google.protobuf.Duration duration = 1;
  google.protobuf.Int64Value count = 2;
  google.protobuf.StringValue label = 3;
  google.protobuf.Struct extra = 4;
  google.protobuf.Value any_value = 5;
  google.protobuf.ListValue list = 6;
  google.protobuf.FieldMask mask = 7;
  google.protobuf.Empty nothing = 8;
  google.protobuf.BoolValue flag = 9;
  google.protobuf.UInt32Value tiny = 10;
}
"#;

/// Every field without presence, at its default, as Java prints an empty `Order`.
fn empty_order() -> Value {
    json!({
        "id": "0", "customerName": "", "paid": false, "status": "NEW", "payload": "", "tags": [],
        "counts": {}, "big": "0", "small": 0, "unsigned": 0, "ratio": 0.0, "weight": 0.0,
        "addresses": [], "delta": "0", "mark": "0", "lines": []
    })
}

fn schema(text: &str) -> Schema {
    <Schema as SchemaCodec>::parse(text, &[]).unwrap()
}

/// Encodes `input` as the first message and decodes it back to JSON.
fn round_trip(schema: &Schema, input: Value) -> (Vec<u8>, Value) {
    let payload = schema.encode(&input.to_string()).unwrap();
    let json = schema.decode(&payload).unwrap();
    (payload, serde_json::from_str(&json).unwrap())
}

fn encode_error(schema: &Schema, input: &str) -> String {
    schema.encode(input).unwrap_err()
}

/// `Order` with the fields of `set` over the defaults.
fn order(set: Value) -> Value {
    let mut order = empty_order();
    order
        .as_object_mut()
        .unwrap()
        .extend(set.as_object().unwrap().clone());
    order
}

#[test]
fn message_indexes_are_confluents() {
    assert_eq!(indexes::write(&[0]), [0]);
    assert_eq!(indexes::write(&[1]), [2, 2]);
    assert_eq!(indexes::write(&[0, 1]), [4, 0, 2]);
    assert_eq!(indexes::write(&[2, 0, 64]), [6, 4, 0, 0x80, 0x01]);
    for path in [vec![0], vec![1], vec![0, 1], vec![2, 0, 64], vec![i32::MAX]] {
        let mut bytes = indexes::write(&path);
        bytes.extend_from_slice(b"rest");
        assert_eq!(indexes::read(&bytes).unwrap(), (path, &b"rest"[..]));
    }
    // A count of 1 holding index 0: the long form of [0].
    assert_eq!(indexes::read(&[2, 0]).unwrap(), (vec![0], &[][..]));
}

#[test]
fn malformed_message_indexes_are_refused() {
    for (bytes, error) in [
        (&[][..], "ends inside a varint"),
        (&[0x80][..], "ends inside a varint"),
        (&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01][..], "longer than 5 bytes"),
        (&[1][..], "a count of -1"),
        (&[0xfe, 0xff, 0xff, 0xff, 0x0f][..], "a count of 2147483647"),
        (&[6, 2][..], "a count of 3 with 1 bytes left"),
        (&[4, 2, 0x80][..], "ends inside a varint"),
    ] {
        let message = indexes::read(bytes).unwrap_err();
        assert!(message.contains(error), "{bytes:?}: {message}");
    }
    let schema = schema(ORDER);
    for path in [&[3][..], &[-1], &[0, 1], &[0, 0, 0], &[1, 0]] {
        let message = schema.decode(&indexes::write(path)).unwrap_err();
        assert!(message.contains("no such message type"), "{path:?}: {message}");
    }
}

#[test]
fn records_are_written_as_the_first_message_with_index_0() {
    let schema = schema(ORDER);
    let (payload, back) = round_trip(&schema, json!({"id": 150, "customerName": "Ann"}));
    // [0], then field 1 varint 150, field 2 "Ann".
    assert_eq!(payload, [0, 0x08, 0x96, 0x01, 0x12, 3, b'A', b'n', b'n']);
    assert_eq!(back, order(json!({"id": "150", "customerName": "Ann"})));
}

#[test]
fn an_empty_message_prints_every_field_without_presence() {
    let schema = schema(ORDER);
    let (payload, back) = round_trip(&schema, json!({}));
    assert_eq!(payload, [0]);
    assert_eq!(back, empty_order());
    // Falsy values are not written (proto3) and read back as the same defaults.
    let falsy = json!({"id": "0", "customerName": "", "paid": false, "status": "NEW", "small": 0,
                       "tags": [], "counts": {}, "ratio": 0});
    assert_eq!(round_trip(&schema, falsy), (vec![0], empty_order()));
}

#[test]
fn fields_with_presence_are_printed_only_when_set() {
    let schema = schema(ORDER);
    let set = json!({"address": {}, "email": "", "discount": 0, "at": "1970-01-01T00:00:00Z"});
    let (_, back) = round_trip(&schema, set);
    assert_eq!(
        back,
        order(
            json!({"address": {"city": "", "zip": 0}, "email": "", "discount": 0,
                     "at": "1970-01-01T00:00:00Z"})
        )
    );
    let (_, back) = round_trip(&schema, json!({"phone": "1"}));
    assert_eq!(back, order(json!({"phone": "1"})));
}

#[test]
fn scalars_print_as_javas_json_format() {
    let schema = schema(ORDER);
    let (_, back) = round_trip(
        &schema,
        json!({"id": "-9223372036854775808", "big": 18446744073709551615u64, "small": -5,
               "unsigned": 4294967295u32, "delta": "-1", "mark": "7", "payload": "AP8=",
               "ratio": "NaN", "weight": "-Infinity", "status": 1, "tags": ["a", ""],
               "counts": {"x": 0}, "customer_name": "by field name"}),
    );
    assert_eq!(
        back,
        order(
            json!({"id": "-9223372036854775808", "big": "18446744073709551615", "small": -5,
                     "unsigned": 4294967295u32, "delta": "-1", "mark": "7", "payload": "AP8=",
                     "ratio": "NaN", "weight": "-Infinity", "status": "PAID", "tags": ["a", ""],
                     "counts": {"x": 0}, "customerName": "by field name"})
        )
    );
}

#[test]
fn bytes_accept_standard_and_url_safe_base64_and_print_standard_padded() {
    let schema = schema(ORDER);
    for input in ["+/8=", "-_8=", "-_8", "+/8"] {
        let (_, back) = round_trip(&schema, json!({ "payload": input }));
        assert_eq!(back["payload"], "+/8=", "{input}");
    }
}

#[test]
fn unknown_enum_numbers_print_as_numbers() {
    let schema = schema(ORDER);
    let (_, back) = round_trip(&schema, json!({"status": 7}));
    assert_eq!(back["status"], 7);
}

#[test]
fn nested_messages_repeated_and_maps() {
    let schema = schema(ORDER);
    let input = json!({"addresses": [{"city": "Oslo"}, {}], "lines": [{"sku": "x"}],
                       "counts": {"a": 1, "b": 2}, "address": {"zip": 5}});
    let (_, back) = round_trip(&schema, input);
    assert_eq!(
        back,
        order(
            json!({"addresses": [{"city": "Oslo", "zip": 0}, {"city": "", "zip": 0}],
                     "lines": [{"sku": "x"}], "counts": {"a": 1, "b": 2},
                     "address": {"city": "", "zip": 5}})
        )
    );
}

#[test]
fn records_of_other_and_nested_message_types_decode_by_their_indexes() {
    let schema = schema(ORDER);
    // Address (top-level index 1): city "Oslo".
    let address = [&indexes::write(&[1])[..], b"\x0a\x04Oslo"].concat();
    assert_eq!(
        serde_json::from_str::<Value>(&schema.decode(&address).unwrap()).unwrap(),
        json!({"city": "Oslo", "zip": 0})
    );
    // Order.Line ([0, 0]: the map entry of `counts` is not counted, as in .proto text).
    let line = [&indexes::write(&[0, 0])[..], b"\x0a\x01x"].concat();
    assert_eq!(
        serde_json::from_str::<Value>(&schema.decode(&line).unwrap()).unwrap(),
        json!({"sku": "x"})
    );
}

#[test]
fn well_known_types_use_their_json_forms() {
    let schema = schema(&ORDER.replace("message Order {", "message Unused {}\nmessage Order {"));
    let wkt = schema.message(&[3]).unwrap();
    assert_eq!(wkt.name(), "Wkt");
    let input = json!({"duration": "1.5s", "count": "-3", "label": "", "extra": {"a": [1, "b", null]},
                       "anyValue": true, "list": [{}], "mask": "customerName,a.bC", "nothing": {},
                       "flag": false, "tiny": 0});
    let message = super::json::parse(wkt, &input.to_string()).unwrap();
    let printed: Value = serde_json::from_str(&super::json::print(message).unwrap()).unwrap();
    assert_eq!(
        printed,
        json!({"duration": "1.500s", "count": "-3", "label": "", "extra": {"a": [1.0, "b", null]},
               "anyValue": true, "list": [{}], "mask": "customerName,a.bC", "nothing": {},
               "flag": false, "tiny": 0})
    );
    let order = schema.message(&[1]).unwrap();
    for (input, printed) in [
        ("1970-01-01T00:00:00.5Z", "1970-01-01T00:00:00.500Z"),
        ("2024-02-29T23:59:59.123456+01:00", "2024-02-29T22:59:59.123456Z"),
        ("0001-01-01T00:00:00.000000001Z", "0001-01-01T00:00:00.000000001Z"),
    ] {
        let message = super::json::parse(order.clone(), &json!({ "at": input }).to_string()).unwrap();
        let json: Value = serde_json::from_str(&super::json::print(message).unwrap()).unwrap();
        assert_eq!(json["at"], printed, "{input}");
    }
}

#[test]
fn proto2_optional_scalars_print_their_defaults_as_java_does() {
    let schema = schema(
        "syntax = \"proto2\";\nmessage M {\n optional int32 a = 1 [default = 7];\n optional string b = 2;\n \
         optional M child = 3;\n required bool r = 4;\n oneof o { int32 c = 5; }\n}",
    );
    let (payload, back) = round_trip(&schema, json!({"r": false, "child": {"r": true}}));
    assert_eq!(payload, [0, 0x1a, 2, 0x20, 1, 0x20, 0]);
    assert_eq!(
        back,
        json!({"a": 7, "b": "", "r": false, "child": {"a": 7, "b": "", "r": true}})
    );
    let message = encode_error(&schema, r#"{"child": {"r": true}}"#);
    assert!(message.contains("required field M.r is missing"), "{message}");
    let message = schema.decode(&[0, 0x1a, 0]).unwrap_err();
    assert!(message.contains("required field M.r is missing"), "{message}");
}

#[test]
fn values_that_do_not_fit_are_refused() {
    let schema = schema(ORDER);
    for (input, error) in [
        (r#"{"nope": 1}"#, "unrecognized field name 'nope'"),
        (r#"{"id": "x"}"#, "invalid digit"),
        // serde_json words this differently when a workspace test build unifies its
        // `arbitrary_precision` feature (the jsonschema and json plugins use it).
        (r#"{"id": 1.5}"#, "integer"),
        (r#"{"small": 2147483648}"#, "out of range"),
        (r#"{"paid": "yes"}"#, "expected a boolean"),
        (r#"{"status": "GONE"}"#, "unrecognized enum value 'GONE'"),
        (r#"{"payload": "!!"}"#, "invalid base64"),
        (r#"{"tags": "a"}"#, "expected a list"),
        (
            r#"{"email": "a", "phone": "b"}"#,
            "multiple fields provided for oneof 'contact'",
        ),
        (r#"{"at": "yesterday"}"#, "timestamp"),
        (r#"[1]"#, "expected a map"),
        (r#""text""#, "expected a map"),
        (r#"{"id": 1} trailing"#, "trailing characters"),
        (r#"{"id": 1"#, "EOF"),
    ] {
        let message = encode_error(&schema, input);
        assert!(message.contains(error), "{input}: {message}");
    }
}

#[test]
fn schemas_that_do_not_compile_are_refused() {
    for (text, error) in [
        (
            "syntax = \"proto3\"; message M { string a = ; }",
            "expected an integer",
        ),
        ("syntax = \"proto3\"; message M { Missing m = 1; }", "Missing"),
        (
            "syntax = \"proto3\"; import \"other.proto\"; message M {}",
            "other.proto",
        ),
        ("syntax = \"proto3\"; enum E { A = 0; }", "no message type"),
        ("{\"type\": \"record\"}", ""),
    ] {
        let message = <Schema as SchemaCodec>::parse(text, &[]).unwrap_err();
        assert!(message.contains(error), "{text}: {message}");
    }
}

#[test]
fn imports_resolve_through_references_and_descriptors_are_accepted() {
    use base64::Engine as _;
    use krest_plugin_sdk::format::krest::plugin::schema_registry::{Reference, Schema as Registered};
    use prost_reflect::prost::Message as _;

    let money = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; }";
    let reference = |text: &str| Reference {
        name: "common/money.proto".into(),
        subject: "money".into(),
        version: 1,
        schema: Registered {
            id: 1,
            schema_type: "PROTOBUF".into(),
            text: text.into(),
        },
    };
    let main =
        "syntax = \"proto3\";\nimport \"common/money.proto\";\nmessage Order { common.Money total = 1; }";
    let order = <Schema as SchemaCodec>::parse(main, &[reference(money)]).unwrap();
    let (_, back) = round_trip(&order, json!({"total": {"cents": "12"}}));
    assert_eq!(back, json!({"total": {"cents": "12"}}));

    // The same two files as base64 descriptors, as Confluent's Python serializer registers them.
    let compiled = order.first_message().unwrap().parent_pool().clone();
    let as_base64 = |name: &str| {
        let file = compiled.get_file_by_name(name).unwrap();
        base64::engine::general_purpose::STANDARD.encode(file.file_descriptor_proto().encode_to_vec())
    };
    let from_descriptors = <Schema as SchemaCodec>::parse(
        &as_base64("krest-schema.proto"),
        &[reference(&as_base64("common/money.proto"))],
    )
    .unwrap();
    let (_, back) = round_trip(&from_descriptors, json!({"total": {"cents": 12}}));
    assert_eq!(back, json!({"total": {"cents": "12"}}));
}

#[test]
fn descriptors_count_map_entries_among_nested_messages() {
    use base64::Engine as _;
    use prost_reflect::prost::Message as _;

    let text =
        "syntax = \"proto3\";\nmessage M {\n map<string, string> m = 1;\n message Inner { int32 x = 1; }\n}";
    let from_text = schema(text);
    let pool = from_text.first_message().unwrap().parent_pool().clone();
    let descriptor = pool.get_file_by_name("krest-schema.proto").unwrap();
    let base64 =
        base64::engine::general_purpose::STANDARD.encode(descriptor.file_descriptor_proto().encode_to_vec());
    let from_descriptor = schema(&base64);
    assert_eq!(from_text.message(&[0, 0]).unwrap().name(), "Inner");
    assert_eq!(from_descriptor.message(&[0, 0]).unwrap().name(), "MEntry");
    assert_eq!(from_descriptor.message(&[0, 1]).unwrap().name(), "Inner");
}

#[test]
fn garbage_binary_is_refused_without_panicking() {
    let order = schema(ORDER);
    for payload in [&[0, 0x0a][..], &[0, 0xff], &[0, 0x12, 10, b'a'], &[0, 0x08, 0x80]] {
        assert!(order.decode(payload).is_err(), "{payload:?}");
    }
    // Deeply nested messages stop at prost's recursion limit.
    let deep = schema("syntax = \"proto3\";\nmessage M { M m = 1; }");
    let mut nested: Vec<u8> = Vec::new();
    for _ in 0..150 {
        let mut outer = vec![0x0a];
        let mut length = nested.len();
        while length >= 0x80 {
            outer.push((length as u8 & 0x7f) | 0x80);
            length >>= 7;
        }
        outer.push(length as u8);
        outer.extend_from_slice(&nested);
        nested = outer;
    }
    let message = deep.decode(&[&[0][..], &nested].concat()).unwrap_err();
    assert!(message.contains("recursion"), "{message}");
}
