//! Avro schemas: parsed and validated by `apache-avro` (references are already-known named
//! types), printed in the compact form of Java Avro's `Schema.toString()`.

use super::avro_resolution;
use super::ordered_json::{write_str, Json};
use super::{Labels, Reference, SchemaType};
use apache_avro::Schema;

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Keys Java Avro reads itself; every other key of a schema object is a custom property.
const RESERVED: [&str; 11] = [
    "type",
    "name",
    "namespace",
    "doc",
    "aliases",
    "fields",
    "symbols",
    "size",
    "items",
    "values",
    "default",
];

/// Keys of a record field that are not custom properties.
const FIELD_RESERVED: [&str; 6] = ["name", "type", "doc", "default", "order", "aliases"];

#[derive(Debug)]
pub(super) struct AvroSchema {
    schema: Schema,
    /// The named types the references define, to resolve `Schema::Ref`s pointing at them.
    referenced: Vec<Schema>,
    tree: Json,
}

impl AvroSchema {
    pub(super) fn parse(text: &str, references: &[Reference]) -> Result<AvroSchema, String> {
        let mut texts = Vec::with_capacity(references.len());
        for reference in references {
            if reference.schema_type != SchemaType::Avro {
                return Err(format!("reference {} is not an Avro schema", reference.name));
            }
            texts.push(reference.text.as_str());
        }
        let tree = Json::parse(text)?;
        check_names(&tree)?;
        for reference in references {
            check_names(&Json::parse(&reference.text)?)?;
        }
        let (schema, referenced) = Schema::parse_str_with_list(text, texts).map_err(|e| e.to_string())?;
        let parsed = AvroSchema {
            schema,
            referenced,
            tree,
        };
        avro_resolution::validate_defaults(&parsed.schema, &parsed.referenced)?;
        Ok(parsed)
    }

    /// Java Avro's `Schema.toString()`: compact JSON, `{"type":"string"}` as `"string"`, names
    /// relative to the enclosing namespace, known keys in Java's order, custom properties
    /// after them in the posted order.
    pub(super) fn canonical(&self) -> String {
        let mut out = String::new();
        Printer { normalize: false }.schema(&self.tree, None, &mut out);
        out
    }

    /// Confluent's normalized form, approximated: as `canonical`, but every name written in
    /// full (no `namespace` key), aliases and custom properties sorted.
    pub(super) fn normalized(&self) -> String {
        let mut out = String::new();
        Printer { normalize: true }.schema(&self.tree, None, &mut out);
        out
    }

    pub(super) fn can_read(&self, writer: &AvroSchema, labels: Labels) -> Vec<String> {
        avro_resolution::can_read(
            (&self.schema, &self.referenced),
            (&writer.schema, &writer.referenced),
            labels,
        )
    }

    /// apache-avro's equality: both schemas have the same Parsing Canonical Form.
    pub(super) fn equivalent(&self, other: &AvroSchema) -> bool {
        self.schema == other.schema
    }
}

/// Rejects invalid type names and namespaces before apache-avro sees them: its parser panics
/// on some (an unwrap in `Name::parse`).
fn check_names(node: &Json) -> Result<(), String> {
    match node {
        Json::Array(items) => items.iter().try_for_each(check_names),
        Json::Object(entries) => {
            let named = matches!(
                node.get("type").and_then(Json::as_str),
                Some("record" | "error" | "enum" | "fixed")
            );
            if named {
                match node.get("name") {
                    Some(Json::String(name)) if is_full_name(name) => {}
                    Some(name) => return Err(format!("Invalid name {}", name.to_text())),
                    None => return Err("No name in schema".to_owned()),
                }
                match node.get("namespace") {
                    Some(Json::String(ns)) if ns.is_empty() || is_full_name(ns) => {}
                    Some(ns) => return Err(format!("Invalid namespace {}", ns.to_text())),
                    None => {}
                }
            }
            entries.iter().try_for_each(|(_, value)| check_names(value))
        }
        _ => Ok(()),
    }
}

/// Dot-separated Avro names: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_full_name(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

struct Printer {
    normalize: bool,
}

impl Printer {
    /// One schema (a name, a union or an object) within namespace `space`.
    fn schema(&self, node: &Json, space: Option<&str>, out: &mut String) {
        match node {
            Json::String(name) => self.type_name(name, space, out),
            Json::Array(branches) => {
                out.push('[');
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.schema(branch, space, out);
                }
                out.push(']');
            }
            Json::Object(entries) => match node.get("type") {
                Some(Json::String(kind)) => match kind.as_str() {
                    "record" | "error" | "enum" | "fixed" => self.named(node, entries, kind, space, out),
                    "array" => self.container(entries, "array", "items", space, out),
                    "map" => self.container(entries, "map", "values", space, out),
                    primitive if PRIMITIVES.contains(&primitive) => {
                        let props = self.props(entries, &RESERVED);
                        if props.is_empty() {
                            write_str(primitive, out);
                        } else {
                            out.push_str("{\"type\":");
                            write_str(primitive, out);
                            write_props(&props, out);
                            out.push('}');
                        }
                    }
                    name => self.type_name(name, space, out),
                },
                // `{"type": {...}}` or `{"type": [...]}` stands for the inner schema.
                Some(inner) => self.schema(inner, space, out),
                None => node.write(out),
            },
            other => other.write(out),
        }
    }

    /// A reference to a primitive or named type.
    fn type_name(&self, name: &str, space: Option<&str>, out: &mut String) {
        let full = full_name(name, space);
        if self.normalize {
            write_str(&full, out);
        } else {
            write_str(&relative(&full, space), out);
        }
    }

    fn named(
        &self,
        node: &Json,
        entries: &[(String, Json)],
        kind: &str,
        space: Option<&str>,
        out: &mut String,
    ) {
        let raw_name = node.get("name").and_then(Json::as_str).unwrap_or_default();
        let (own_space, short) = match raw_name.rsplit_once('.') {
            Some((ns, short)) => (non_empty(Some(ns)), short),
            None => match node.get("namespace") {
                Some(Json::String(ns)) => (non_empty(Some(ns)), raw_name),
                _ => (space, raw_name),
            },
        };
        out.push_str("{\"type\":");
        write_str(kind, out);
        out.push_str(",\"name\":");
        if self.normalize {
            write_str(&full_name(short, own_space), out);
        } else {
            write_str(short, out);
            match own_space {
                Some(ns) if Some(ns) != space => {
                    out.push_str(",\"namespace\":");
                    write_str(ns, out);
                }
                None if space.is_some() => out.push_str(",\"namespace\":\"\""),
                _ => {}
            }
        }
        if let Some(doc) = node.get("doc") {
            out.push_str(",\"doc\":");
            doc.write(out);
        }
        match kind {
            "record" | "error" => {
                out.push_str(",\"fields\":[");
                if let Some(Json::Array(fields)) = node.get("fields") {
                    for (i, field) in fields.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        self.field(field, own_space, out);
                    }
                }
                out.push(']');
            }
            "enum" => {
                out.push_str(",\"symbols\":");
                node.get("symbols").unwrap_or(&Json::Array(Vec::new())).write(out);
                if let Some(default) = node.get("default") {
                    out.push_str(",\"default\":");
                    default.write(out);
                }
            }
            _ => {
                if let Some(size) = node.get("size") {
                    out.push_str(",\"size\":");
                    size.write(out);
                }
            }
        }
        write_props(&self.props(entries, &RESERVED), out);
        self.aliases(node, out);
        out.push('}');
    }

    fn field(&self, field: &Json, space: Option<&str>, out: &mut String) {
        let Json::Object(entries) = field else {
            field.write(out);
            return;
        };
        out.push_str("{\"name\":");
        field.get("name").unwrap_or(&Json::Null).write(out);
        out.push_str(",\"type\":");
        self.schema(field.get("type").unwrap_or(&Json::Null), space, out);
        for key in ["doc", "default"] {
            if let Some(value) = field.get(key) {
                out.push_str(&format!(",\"{key}\":"));
                value.write(out);
            }
        }
        match field.get("order") {
            Some(Json::String(order)) if order == "ascending" => {}
            Some(order) => {
                out.push_str(",\"order\":");
                order.write(out);
            }
            None => {}
        }
        // Java writes a field's aliases before its properties, a type's after them.
        self.aliases(field, out);
        write_props(&self.props(entries, &FIELD_RESERVED), out);
        out.push('}');
    }

    fn container(
        &self,
        entries: &[(String, Json)],
        kind: &str,
        key: &str,
        space: Option<&str>,
        out: &mut String,
    ) {
        out.push_str(&format!("{{\"type\":\"{kind}\",\"{key}\":"));
        let inner = entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .unwrap_or(&Json::Null);
        self.schema(inner, space, out);
        write_props(&self.props(entries, &RESERVED), out);
        out.push('}');
    }

    fn props<'a>(&self, entries: &'a [(String, Json)], reserved: &[&str]) -> Vec<&'a (String, Json)> {
        let mut props: Vec<_> = entries
            .iter()
            .filter(|(k, _)| !reserved.contains(&k.as_str()))
            .collect();
        if self.normalize {
            props.sort_by(|a, b| a.0.cmp(&b.0));
        }
        props
    }

    fn aliases(&self, node: &Json, out: &mut String) {
        // Java leaves out an empty list of aliases.
        if let Some(aliases) = node.get("aliases").filter(|a| **a != Json::Array(Vec::new())) {
            out.push_str(",\"aliases\":");
            match aliases {
                Json::Array(items) if self.normalize => {
                    let mut items = items.clone();
                    items.sort_by_key(Json::to_text);
                    Json::Array(items).write(out);
                }
                other => other.write(out),
            }
        }
    }
}

fn write_props(props: &[&(String, Json)], out: &mut String) {
    for (key, value) in props {
        out.push(',');
        write_str(key, out);
        out.push(':');
        value.write(out);
    }
}

fn non_empty(space: Option<&str>) -> Option<&str> {
    space.filter(|s| !s.is_empty())
}

/// The full name of `name` as written inside namespace `space`.
fn full_name(name: &str, space: Option<&str>) -> String {
    match space {
        _ if name.contains('.') || PRIMITIVES.contains(&name) => name.to_owned(),
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_owned(),
    }
}

/// A full name as Java writes it inside namespace `space`: short when the namespace matches.
fn relative(full: &str, space: Option<&str>) -> String {
    match (full.rsplit_once('.'), space) {
        (Some((ns, short)), Some(space)) if ns == space => short.to_owned(),
        _ => full.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ParsedSchema, SchemaType};
    use super::*;

    fn avro(text: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap()
    }

    fn avro_err(text: &str) -> String {
        ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap_err()
    }

    #[test]
    fn canonical_collapses_whitespace_and_primitive_objects() {
        assert_eq!(avro(r#" { "type" : "string" } "#).canonical(), r#""string""#);
        let text = r#"{
            "type": "record", "name": "User", "namespace": "com.example", "doc": "a user",
            "fields": [
                {"name": "id", "type": {"type": "long"}, "order": "ascending"},
                {"name": "name", "type": "string", "default": "", "aliases": ["n"]},
                {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "tags", "type": {"type": "array", "items": "string"}, "x-custom": 1, "aliases": ["t"]},
                {"name": "next", "type": ["null", "com.example.User"], "default": null}
            ]
        }"#;
        assert_eq!(
            avro(text).canonical(),
            r#"{"type":"record","name":"User","namespace":"com.example","doc":"a user","fields":[{"name":"id","type":"long"},{"name":"name","type":"string","default":"","aliases":["n"]},{"name":"when","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"tags","type":{"type":"array","items":"string"},"aliases":["t"],"x-custom":1},{"name":"next","type":["null","User"],"default":null}]}"#
        );
        // The same schema with other whitespace has the same canonical text.
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(avro(&compact).canonical(), avro(text).canonical());
    }

    #[test]
    fn canonical_splits_dotted_names_and_writes_nested_namespaces() {
        let text = r#"{"type":"record","name":"a.b.Outer","fields":[
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"],"default":"X"}},
            {"name":"f","type":{"type":"fixed","name":"c.F","size":4}}]}"#;
        assert_eq!(
            avro(text).canonical(),
            r#"{"type":"record","name":"Outer","namespace":"a.b","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"],"default":"X"}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"c","size":4}}]}"#
        );
        assert_eq!(
            avro(text).normalized(),
            r#"{"type":"record","name":"a.b.Outer","fields":[{"name":"e","type":{"type":"enum","name":"a.b.E","symbols":["X","Y"],"default":"X"}},{"name":"f","type":{"type":"fixed","name":"c.F","size":4}}]}"#
        );
    }

    #[test]
    fn normalized_sorts_properties_and_aliases() {
        let a = avro(r#"{"type":"record","name":"R","z":1,"a":2,"aliases":["Q","P"],"fields":[]}"#);
        let b = avro(r#"{"a":2,"fields":[],"type":"record","aliases":["P","Q"],"name":"R","z":1}"#);
        assert_ne!(a.canonical(), b.canonical());
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(
            a.normalized(),
            r#"{"type":"record","name":"R","fields":[],"a":2,"z":1,"aliases":["P","Q"]}"#
        );
        assert!(a.equivalent(&b));
        assert!(!a.equivalent(&avro(r#"{"type":"record","name":"S","fields":[],"aliases":[]}"#)));
        assert_eq!(
            avro(r#"{"type":"record","name":"S","fields":[],"aliases":[]}"#).canonical(),
            r#"{"type":"record","name":"S","fields":[]}"#
        );
    }

    #[test]
    fn invalid_schemas_are_rejected() {
        assert!(!avro_err("{not json").is_empty());
        assert!(!avro_err(r#"{"type":"strin"}"#).is_empty());
        assert!(
            !avro_err(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#).is_empty()
        );
        assert_eq!(
            avro_err(r#"{"type":"record","name":"1bad","fields":[]}"#),
            r#"Invalid name "1bad""#
        );
        assert!(
            avro_err(r#"{"type":"enum","name":"E","namespace":"a..b","symbols":[]}"#).contains("namespace")
        );
        assert!(
            !avro_err(r#"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#).is_empty()
        );
        let bad_default =
            avro_err(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#);
        assert!(bad_default.contains("default"), "{bad_default}");
        let bad_union_default = avro_err(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":1}]}"#,
        );
        assert!(bad_union_default.contains("default"), "{bad_union_default}");
        assert!(!avro_err(r#"{"type":"enum","name":"E","symbols":["A","A"]}"#).is_empty());
    }

    #[test]
    fn good_defaults_are_accepted() {
        avro(
            r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":"int","default":1},
            {"name":"b","type":["null","string"],"default":null},
            {"name":"c","type":{"type":"array","items":"long"},"default":[1,2]},
            {"name":"d","type":{"type":"map","values":"double"},"default":{"x":1.5}},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]},"default":"X"},
            {"name":"f","type":"bytes","default":"\u00ff"},
            {"name":"g","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]},"default":{"x":1}},
            {"name":"h","type":"float","default":1}
        ]}"#,
        );
    }

    #[test]
    fn references_are_named_types_already_known() {
        let address = Reference {
            name: "com.example.Address".into(),
            text: r#"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#.into(),
            schema_type: SchemaType::Avro,
        };
        let text = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"home","type":"com.example.Address"}]}"#;
        let user = ParsedSchema::parse(SchemaType::Avro, text, std::slice::from_ref(&address)).unwrap();
        assert_eq!(
            user.canonical(),
            r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"home","type":"Address"}]}"#
        );
        assert!(ParsedSchema::parse(SchemaType::Avro, text, &[]).is_err());
        let not_avro = Reference {
            schema_type: SchemaType::Json,
            ..address
        };
        assert!(ParsedSchema::parse(SchemaType::Avro, text, &[not_avro]).is_err());
        // A reader using the referenced type reads data written with the same schema.
        assert_eq!(user.can_read(&user), Ok(()));
    }
}
