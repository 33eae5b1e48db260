//! JSON Schema: meta-validated by the `jsonschema` crate (references resolved by their `$ref`
//! name, nothing fetched), kept in the posted key order, and diffed with Confluent's STRICT rules.
//!
//! The diff (original = the writer's schema, update = the reader's) covers: `type` changed,
//! narrowed or extended (integer ⊂ number; a removed `type` extends); properties added to or
//! removed from open and closed (`additionalProperties: false`) content models, properties with
//! an empty schema; `additionalProperties` added, removed or changed; `required` added (with or
//! without a `default`) and removed; `enum` narrowed, extended or changed; the bounds
//! maxLength/minLength/maximum/minimum/exclusiveMaximum/exclusiveMinimum/maxItems/minItems/
//! maxProperties/minProperties added, removed, tightened or relaxed; `pattern` added, removed
//! or changed; `uniqueItems` added or removed; `items` (one schema, or a tuple compared position
//! by position); `oneOf`/`anyOf` branches added (extended) or removed (narrowed), `allOf`
//! members removed (narrowed) or added; boolean schemas; local and referenced `$ref`s followed.
//! Not covered: `patternProperties`, `dependencies`/`dependentRequired`, `not`,
//! `if`/`then`/`else`, `multipleOf`, `const`, tuple items added or removed, `unevaluated*`.

use super::ordered_json::Json as Ordered;
use super::{difference, Labels, Reference, SchemaType};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Where relative `$ref`s and references are resolved when a schema has no `$id`.
const BASE_URI: &str = "json-schema:///";

#[derive(Debug)]
pub(super) struct JsonSchema {
    value: Value,
    ordered: Ordered,
    /// Referenced schemas by the name `$ref`s use.
    references: HashMap<String, Value>,
}

/// Resolves `$ref`s to the referenced schemas only; anything else is not found.
struct ReferenceRetriever(HashMap<String, Value>);

impl jsonschema::Retrieve for ReferenceRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        let relative = uri.strip_prefix(BASE_URI).unwrap_or(uri);
        self.0
            .get(uri)
            .or_else(|| self.0.get(relative))
            .cloned()
            .ok_or_else(|| format!("no reference named {uri}").into())
    }
}

/// The references by name and, when the root schema has an `$id`, also by their name resolved
/// against it: where its `$ref`s lead, and where Confluent registers references.
fn against_id(root: &Value, refs: &HashMap<String, Value>) -> HashMap<String, Value> {
    let mut all = refs.clone();
    let id = root.get("$id").or_else(|| root.get("id")).and_then(Value::as_str);
    if let Some(base) = id.and_then(|id| jsonschema::uri::from_str(id).ok()) {
        for (name, schema) in refs {
            if let Ok(uri) = jsonschema::uri::resolve_against(&base.borrow(), name) {
                all.insert(uri.as_str().to_owned(), schema.clone());
            }
        }
    }
    all
}

impl JsonSchema {
    pub(super) fn parse(text: &str, references: &[Reference]) -> Result<JsonSchema, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !value.is_object() && !value.is_boolean() {
            return Err("a JSON Schema must be an object or a boolean".to_owned());
        }
        let mut refs = HashMap::new();
        for reference in references {
            if reference.schema_type != SchemaType::Json {
                return Err(format!("reference {} is not a JSON schema", reference.name));
            }
            let referenced: Value = serde_json::from_str(&reference.text)
                .map_err(|e| format!("reference {}: {e}", reference.name))?;
            refs.insert(reference.name.clone(), referenced);
        }
        jsonschema::options()
            .with_base_uri(BASE_URI)
            .with_retriever(ReferenceRetriever(against_id(&value, &refs)))
            .build(&value)
            .map_err(|e| e.to_string())?;
        let ordered = Ordered::parse(text)?;
        Ok(JsonSchema {
            value,
            ordered,
            references: refs,
        })
    }

    /// Jackson's re-serialisation: compact, keys in the posted order.
    pub(super) fn canonical(&self) -> String {
        self.ordered.to_text()
    }

    /// Confluent's normalized form: object keys sorted, recursively.
    pub(super) fn normalized(&self) -> String {
        self.ordered.sorted().to_text()
    }

    pub(super) fn can_read(&self, writer: &JsonSchema, labels: Labels) -> Vec<String> {
        let mut diff = Diff {
            original: writer,
            update: self,
            labels,
            seen: HashSet::new(),
            out: Vec::new(),
        };
        diff.compare(&writer.value, &self.value, "#");
        diff.out
    }

    pub(super) fn equivalent(&self, other: &JsonSchema) -> bool {
        self.value == other.value
    }

    /// The schema a `$ref` points at: a JSON pointer into this document or a reference.
    fn resolve<'a>(&'a self, reference: &str) -> Option<&'a Value> {
        if let Some(pointer) = reference.strip_prefix('#') {
            return self.value.pointer(pointer);
        }
        let (name, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let name = name.strip_prefix(BASE_URI).unwrap_or(name);
        self.references.get(name).and_then(|v| v.pointer(pointer))
    }
}

/// The properties of a schema without any.
static EMPTY: LazyLock<serde_json::Map<String, Value>> = LazyLock::new(serde_json::Map::new);

const TYPES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

/// (bound, is a maximum, Confluent's name).
const BOUNDS: [(&str, bool, &str); 10] = [
    ("maxLength", true, "MAX_LENGTH"),
    ("minLength", false, "MIN_LENGTH"),
    ("maximum", true, "MAXIMUM"),
    ("minimum", false, "MINIMUM"),
    ("exclusiveMaximum", true, "EXCLUSIVE_MAXIMUM"),
    ("exclusiveMinimum", false, "EXCLUSIVE_MINIMUM"),
    ("maxItems", true, "MAX_ITEMS"),
    ("minItems", false, "MIN_ITEMS"),
    ("maxProperties", true, "MAX_PROPERTIES"),
    ("minProperties", false, "MIN_PROPERTIES"),
];

struct Diff<'a> {
    original: &'a JsonSchema,
    update: &'a JsonSchema,
    labels: Labels,
    /// `$ref` pairs already compared (recursive schemas).
    seen: HashSet<(String, String)>,
    out: Vec<String>,
}

impl<'a> Diff<'a> {
    fn incompatible(&mut self, error_type: &str, path: &str) {
        let description = format!(
            "A change at path '{path}' makes the {} schema reject data the {} schema accepts",
            self.labels.reader, self.labels.writer
        );
        self.out.push(difference(error_type, &description, None));
    }

    fn compare(&mut self, original: &'a Value, update: &'a Value, path: &str) {
        let Some((original, update)) = self.deref(original, update) else {
            return;
        };
        match (original, update) {
            (Value::Bool(false), _) | (_, Value::Bool(true)) => return,
            (_, Value::Bool(false)) => return self.incompatible("TYPE_NARROWED", path),
            _ => {}
        }
        let o = original.as_object().unwrap_or(&EMPTY);
        let u = update.as_object().unwrap_or(&EMPTY);
        if u.is_empty() {
            return;
        }
        self.types(o, u, path);
        self.enums(o, u, path);
        self.bounds(o, u, path);
        self.objects(o, u, path);
        self.arrays(o, u, path);
        self.combined(original, o, u, path);
    }

    /// Follows `$ref`s on either side; None when this pair of references is already compared.
    fn deref(&mut self, original: &'a Value, update: &'a Value) -> Option<(&'a Value, &'a Value)> {
        let (o_ref, u_ref) = (ref_of(original), ref_of(update));
        if (o_ref.is_some() || u_ref.is_some())
            && !self.seen.insert((
                o_ref.unwrap_or_default().to_owned(),
                u_ref.unwrap_or_default().to_owned(),
            ))
        {
            return None;
        }
        let original = o_ref.and_then(|r| self.original.resolve(r)).unwrap_or(original);
        let update = u_ref.and_then(|r| self.update.resolve(r)).unwrap_or(update);
        Some((original, update))
    }

    fn types(&mut self, o: &serde_json::Map<String, Value>, u: &serde_json::Map<String, Value>, path: &str) {
        let (Some(o_types), u_types) = (type_set(o), type_set(u)) else {
            return;
        };
        let Some(u_types) = u_types else { return }; // type removed: extended
        let covers = |wide: &HashSet<&str>, narrow: &HashSet<&str>| {
            narrow
                .iter()
                .all(|t| wide.contains(t) || (*t == "integer" && wide.contains("number")))
        };
        if covers(&u_types, &o_types) {
            return;
        }
        let error = if covers(&o_types, &u_types) {
            "TYPE_NARROWED"
        } else {
            "TYPE_CHANGED"
        };
        self.incompatible(error, &format!("{path}/type"));
    }

    fn enums(&mut self, o: &serde_json::Map<String, Value>, u: &serde_json::Map<String, Value>, path: &str) {
        let path = format!("{path}/enum");
        match (
            o.get("enum").and_then(Value::as_array),
            u.get("enum").and_then(Value::as_array),
        ) {
            (_, None) => {}
            (None, Some(_)) => self.incompatible("ENUM_ARRAY_NARROWED", &path),
            (Some(o_enum), Some(u_enum)) => {
                if o_enum.iter().all(|v| u_enum.contains(v)) {
                    return;
                }
                let narrowed = u_enum.iter().all(|v| o_enum.contains(v));
                self.incompatible(
                    if narrowed {
                        "ENUM_ARRAY_NARROWED"
                    } else {
                        "ENUM_ARRAY_CHANGED"
                    },
                    &path,
                );
            }
        }
    }

    fn bounds(&mut self, o: &serde_json::Map<String, Value>, u: &serde_json::Map<String, Value>, path: &str) {
        for (key, is_max, name) in BOUNDS {
            let bound_path = format!("{path}/{key}");
            match (
                o.get(key).and_then(Value::as_f64),
                u.get(key).and_then(Value::as_f64),
            ) {
                (_, None) => {}
                (None, Some(_)) => self.incompatible(&format!("{name}_ADDED"), &bound_path),
                (Some(old), Some(new)) if is_max && new < old => {
                    self.incompatible(&format!("{name}_DECREASED"), &bound_path)
                }
                (Some(old), Some(new)) if !is_max && new > old => {
                    self.incompatible(&format!("{name}_INCREASED"), &bound_path)
                }
                _ => {}
            }
        }
        let pattern_path = format!("{path}/pattern");
        match (o.get("pattern"), u.get("pattern")) {
            (_, None) => {}
            (None, Some(_)) => self.incompatible("PATTERN_ADDED", &pattern_path),
            (Some(old), Some(new)) if old != new => self.incompatible("PATTERN_CHANGED", &pattern_path),
            _ => {}
        }
        let unique = |m: &serde_json::Map<String, Value>| m.get("uniqueItems") == Some(&Value::Bool(true));
        if unique(u) && !unique(o) {
            self.incompatible("UNIQUE_ITEMS_ADDED", &format!("{path}/uniqueItems"));
        }
    }

    fn objects(
        &mut self,
        o: &'a serde_json::Map<String, Value>,
        u: &'a serde_json::Map<String, Value>,
        path: &str,
    ) {
        let o_props = o.get("properties").and_then(Value::as_object).unwrap_or(&EMPTY);
        let u_props = u.get("properties").and_then(Value::as_object).unwrap_or(&EMPTY);
        let o_closed = o.get("additionalProperties") == Some(&Value::Bool(false));
        let u_closed = u.get("additionalProperties") == Some(&Value::Bool(false));
        let required = |m: &serde_json::Map<String, Value>| -> Vec<String> {
            let list = m.get("required").and_then(Value::as_array);
            list.into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (o_required, u_required) = (required(o), required(u));
        for (name, u_prop) in u_props {
            let prop_path = format!("{path}/properties/{name}");
            match o_props.get(name) {
                Some(o_prop) => self.compare(o_prop, u_prop, &prop_path),
                None if o_closed => {
                    if u_required.contains(name) {
                        self.incompatible("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", &prop_path);
                    }
                }
                None if is_empty_schema(u_prop) => {}
                None => self.incompatible("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", &prop_path),
            }
        }
        for (name, o_prop) in o_props {
            if !u_props.contains_key(name) && u_closed && o_prop != &Value::Bool(false) {
                self.incompatible(
                    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    &format!("{path}/properties/{name}"),
                );
            }
        }
        let additional_path = format!("{path}/additionalProperties");
        match (o.get("additionalProperties"), u.get("additionalProperties")) {
            (Some(Value::Bool(false)), _) | (_, None | Some(Value::Bool(true))) => {}
            (None | Some(Value::Bool(true)), Some(Value::Bool(false))) => {
                self.incompatible("ADDITIONAL_PROPERTIES_REMOVED", &additional_path)
            }
            (None | Some(Value::Bool(true)), Some(_)) => {
                self.incompatible("ADDITIONAL_PROPERTIES_NARROWED", &additional_path)
            }
            (Some(o_add), Some(u_add)) => self.compare(o_add, u_add, &additional_path),
        }
        for name in &u_required {
            if o_required.contains(name) {
                continue;
            }
            let has_default = u_props
                .get(name)
                .and_then(Value::as_object)
                .is_some_and(|p| p.contains_key("default"));
            if !has_default {
                self.incompatible("REQUIRED_ATTRIBUTE_ADDED", &format!("{path}/required/{name}"));
            }
        }
    }

    fn arrays(
        &mut self,
        o: &'a serde_json::Map<String, Value>,
        u: &'a serde_json::Map<String, Value>,
        path: &str,
    ) {
        match (o.get("items"), u.get("items")) {
            (Some(Value::Array(o_items)), Some(Value::Array(u_items))) => {
                for (i, (o_item, u_item)) in o_items.iter().zip(u_items).enumerate() {
                    self.compare(o_item, u_item, &format!("{path}/items/{i}"));
                }
            }
            (Some(o_items), Some(u_items)) if !o_items.is_array() && !u_items.is_array() => {
                self.compare(o_items, u_items, &format!("{path}/items"))
            }
            (None, Some(u_items)) if !is_empty_schema(u_items) => {
                self.incompatible("ITEMS_NARROWED", &format!("{path}/items"))
            }
            _ => {}
        }
    }

    fn combined(
        &mut self,
        original: &'a Value,
        o: &'a serde_json::Map<String, Value>,
        u: &'a serde_json::Map<String, Value>,
        path: &str,
    ) {
        for key in ["oneOf", "anyOf", "allOf"] {
            let key_path = format!("{path}/{key}");
            let o_list = o.get(key).and_then(Value::as_array);
            let u_list = u.get(key).and_then(Value::as_array);
            let (o_list, u_list) = match (o_list, u_list) {
                // Dropping a combination accepts more.
                (_, None) => continue,
                // A new combination accepts the old schema if one branch (all members) does.
                (None, Some(u_list)) => {
                    let accepted = if key == "allOf" {
                        u_list
                            .iter()
                            .all(|member| self.accepts(original, member, &key_path))
                    } else {
                        u_list
                            .iter()
                            .any(|branch| self.accepts(original, branch, &key_path))
                    };
                    if !accepted {
                        self.incompatible("COMBINED_TYPE_CHANGED", &key_path);
                    }
                    continue;
                }
                (Some(o_list), Some(u_list)) => (o_list, u_list),
            };
            if o_list.len() == u_list.len() {
                for (i, (o_item, u_item)) in o_list.iter().zip(u_list).enumerate() {
                    self.compare(o_item, u_item, &format!("{key_path}/{i}"));
                }
                continue;
            }
            // allOf: fewer members accept more; oneOf/anyOf: more branches accept more.
            let (fewer, more) = if o_list.len() < u_list.len() {
                (o_list, u_list)
            } else {
                (u_list, o_list)
            };
            let subset = fewer.iter().all(|item| more.contains(item));
            let widened = (key == "allOf") == (u_list.len() < o_list.len());
            if !subset {
                self.incompatible("COMBINED_TYPE_CHANGED", &key_path);
            } else if !widened {
                let error = if key == "allOf" {
                    "PRODUCT_TYPE_EXTENDED"
                } else {
                    "SUM_TYPE_NARROWED"
                };
                self.incompatible(error, &key_path);
            }
        }
    }

    /// Whether `update` accepts everything `original` does, reporting nothing.
    fn accepts(&mut self, original: &'a Value, update: &'a Value, path: &str) -> bool {
        let (reported, seen) = (self.out.len(), self.seen.clone());
        self.compare(original, update, path);
        let accepted = self.out.len() == reported;
        self.out.truncate(reported);
        self.seen = seen;
        accepted
    }
}

fn ref_of(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

fn is_empty_schema(value: &Value) -> bool {
    value == &Value::Bool(true) || value.as_object().is_some_and(|m| m.is_empty())
}

/// The declared types, or None when `type` is absent (any type).
fn type_set(schema: &serde_json::Map<String, Value>) -> Option<HashSet<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(HashSet::from([t.as_str()])),
        Value::Array(types) => Some(types.iter().filter_map(Value::as_str).collect()),
        _ => Some(TYPES.into_iter().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ParsedSchema, SchemaType};
    use super::*;

    fn json(text: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Json, text, &[]).unwrap()
    }

    /// The error types of reading data valid under `old` with `new` (BACKWARD).
    fn errors(old: &str, new: &str) -> Vec<String> {
        match json(new).can_read(&json(old)) {
            Ok(()) => Vec::new(),
            Err(messages) => messages
                .iter()
                .map(|m| {
                    m.trim_start_matches("{errorType:'")
                        .split('\'')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect(),
        }
    }

    fn object(properties: &str, extra: &str) -> String {
        format!(r#"{{"type":"object","properties":{{{properties}}}{extra}}}"#)
    }

    #[test]
    fn canonical_keeps_key_order_and_normalized_sorts() {
        let a = json(r#"{ "type" : "object", "properties" : { "b" : { "type" : "string" }, "a" : {} } }"#);
        assert_eq!(
            a.canonical(),
            r#"{"type":"object","properties":{"b":{"type":"string"},"a":{}}}"#
        );
        assert_eq!(
            a.normalized(),
            r#"{"properties":{"a":{},"b":{"type":"string"}},"type":"object"}"#
        );
        let b = json(r#"{"properties":{"a":{},"b":{"type":"string"}},"type":"object"}"#);
        assert_ne!(a.canonical(), b.canonical());
        assert_eq!(a.normalized(), b.normalized());
        assert!(a.equivalent(&b));
        assert!(!a.equivalent(&json(r#"{"type":"object"}"#)));
        assert_eq!(json("true").canonical(), "true");
    }

    #[test]
    fn invalid_schemas_are_rejected() {
        for text in [
            "{",
            "42",
            r#""string""#,
            r#"{"type":"strin"}"#,
            r#"{"minLength":-1}"#,
            r#"{"$ref":"missing.json"}"#,
        ] {
            assert!(
                ParsedSchema::parse(SchemaType::Json, text, &[]).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn references_resolve_by_ref_name() {
        let address = Reference {
            name: "address.json".into(),
            text: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.into(),
            schema_type: SchemaType::Json,
        };
        let text = object(r#""home":{"$ref":"address.json"}"#, "");
        let v1 = ParsedSchema::parse(SchemaType::Json, &text, std::slice::from_ref(&address)).unwrap();
        assert!(ParsedSchema::parse(SchemaType::Json, &text, &[]).is_err());
        // Against the root's `$id`, as Confluent resolves a reference's name.
        let with_id = object(
            r#""home":{"$ref":"address.json"}"#,
            r#","$id":"https://example.com/s/customer.json""#,
        );
        ParsedSchema::parse(SchemaType::Json, &with_id, std::slice::from_ref(&address)).unwrap();
        let narrowed = Reference {
            text: r#"{"type":"object","properties":{"city":{"type":"string","maxLength":3}}}"#.into(),
            ..address
        };
        let v2 = ParsedSchema::parse(SchemaType::Json, &text, &[narrowed]).unwrap();
        assert_eq!(v1.can_read(&v2), Ok(()));
        let messages = v2.can_read(&v1).unwrap_err();
        assert!(
            messages[0].contains("MAX_LENGTH_ADDED")
                && messages[0].contains("#/properties/home/properties/city/maxLength")
        );
    }

    #[test]
    fn types() {
        assert_eq!(
            errors(r#"{"type":"integer"}"#, r#"{"type":"number"}"#),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(r#"{"type":"string"}"#, r#"{"type":["string","null"]}"#),
            Vec::<String>::new()
        );
        assert_eq!(errors(r#"{"type":"string"}"#, r#"{}"#), Vec::<String>::new());
        assert_eq!(
            errors(r#"{"type":"number"}"#, r#"{"type":"integer"}"#),
            ["TYPE_NARROWED"]
        );
        assert_eq!(
            errors(r#"{"type":"string"}"#, r#"{"type":"integer"}"#),
            ["TYPE_CHANGED"]
        );
        assert_eq!(errors(r#"{"type":"string"}"#, "false"), ["TYPE_NARROWED"]);
    }

    #[test]
    fn open_and_closed_content_models() {
        let closed = r#","additionalProperties":false"#;
        let a = r#""a":{"type":"string"}"#;
        let ab = r#""a":{"type":"string"},"b":{"type":"string"}"#;
        // Added: fine to a closed model (if optional), not to an open one (unless empty).
        assert_eq!(
            errors(&object(a, closed), &object(ab, closed)),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(
                &object(a, closed),
                &object(ab, &format!(r#"{closed},"required":["b"]"#))
            ),
            [
                "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                "REQUIRED_ATTRIBUTE_ADDED"
            ]
        );
        assert_eq!(
            errors(&object(a, ""), &object(ab, "")),
            ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]
        );
        assert_eq!(
            errors(&object(a, ""), &object(r#""a":{"type":"string"},"b":{}"#, "")),
            Vec::<String>::new()
        );
        // Removed: fine from an open model, not from a closed one.
        assert_eq!(errors(&object(ab, ""), &object(a, "")), Vec::<String>::new());
        assert_eq!(
            errors(&object(ab, closed), &object(a, closed)),
            ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]
        );
        // Opening a closed model is fine; closing an open one is not.
        assert_eq!(errors(&object(a, closed), &object(a, "")), Vec::<String>::new());
        assert_eq!(
            errors(&object(a, ""), &object(a, closed)),
            ["ADDITIONAL_PROPERTIES_REMOVED"]
        );
    }

    #[test]
    fn required() {
        let props = r#""a":{"type":"string"},"b":{"type":"string","default":"x"}"#;
        assert_eq!(
            errors(&object(props, ""), &object(props, r#","required":["b"]"#)),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&object(props, ""), &object(props, r#","required":["a"]"#)),
            ["REQUIRED_ATTRIBUTE_ADDED"]
        );
        assert_eq!(
            errors(&object(props, r#","required":["a"]"#), &object(props, "")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn enums() {
        assert_eq!(
            errors(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","b","c"]}"#),
            Vec::<String>::new()
        );
        assert_eq!(errors(r#"{"enum":["a","b"]}"#, r#"{}"#), Vec::<String>::new());
        assert_eq!(
            errors(r#"{"enum":["a","b"]}"#, r#"{"enum":["a"]}"#),
            ["ENUM_ARRAY_NARROWED"]
        );
        assert_eq!(
            errors(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","c"]}"#),
            ["ENUM_ARRAY_CHANGED"]
        );
    }

    #[test]
    fn bounds() {
        let relaxed = [
            (r#"{"maxLength":5}"#, r#"{"maxLength":6}"#),
            (r#"{"minLength":5}"#, r#"{"minLength":4}"#),
            (r#"{"maximum":5}"#, r#"{}"#),
            (r#"{"minItems":2}"#, r#"{"minItems":1}"#),
            (r#"{"pattern":"^a"}"#, r#"{}"#),
            (r#"{"uniqueItems":true}"#, r#"{}"#),
        ];
        for (old, new) in relaxed {
            assert_eq!(errors(old, new), Vec::<String>::new(), "{old} -> {new}");
        }
        let tightened = [
            (r#"{"maxLength":5}"#, r#"{"maxLength":4}"#, "MAX_LENGTH_DECREASED"),
            (r#"{"minLength":5}"#, r#"{"minLength":6}"#, "MIN_LENGTH_INCREASED"),
            (r#"{}"#, r#"{"maximum":5}"#, "MAXIMUM_ADDED"),
            (r#"{"minimum":1}"#, r#"{"minimum":2}"#, "MINIMUM_INCREASED"),
            (r#"{"maxItems":3}"#, r#"{"maxItems":2}"#, "MAX_ITEMS_DECREASED"),
            (r#"{}"#, r#"{"minItems":1}"#, "MIN_ITEMS_ADDED"),
            (r#"{"pattern":"^a"}"#, r#"{"pattern":"^b"}"#, "PATTERN_CHANGED"),
            (r#"{}"#, r#"{"uniqueItems":true}"#, "UNIQUE_ITEMS_ADDED"),
        ];
        for (old, new, error) in tightened {
            assert_eq!(errors(old, new), [error], "{old} -> {new}");
        }
    }

    #[test]
    fn items_and_nested_objects() {
        let array = |item: &str| format!(r#"{{"type":"array","items":{item}}}"#);
        assert_eq!(
            errors(&array(r#"{"type":"integer"}"#), &array(r#"{"type":"number"}"#)),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&array(r#"{"type":"number"}"#), &array(r#"{"type":"integer"}"#)),
            ["TYPE_NARROWED"]
        );
        let nested = |inner: &str| object(&format!(r#""n":{}"#, object(inner, "")), "");
        let messages = json(&nested(r#""x":{"type":"string","maxLength":2}"#))
            .can_read(&json(&nested(r#""x":{"type":"string"}"#)))
            .unwrap_err();
        assert!(
            messages[0].contains("'#/properties/n/properties/x/maxLength'"),
            "{messages:?}"
        );
        assert_eq!(
            errors(
                &nested(r#""x":{"type":"string","maxLength":2}"#),
                &nested(r#""x":{"type":"string"}"#)
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn combined_types() {
        let one_of = |branches: &str| format!(r#"{{"oneOf":[{branches}]}}"#);
        let s = r#"{"type":"string"}"#;
        let i = r#"{"type":"integer"}"#;
        assert_eq!(
            errors(&one_of(s), &one_of(&format!("{s},{i}"))),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&one_of(&format!("{s},{i}")), &one_of(s)),
            ["SUM_TYPE_NARROWED"]
        );
        let all_of = |members: &str| format!(r#"{{"allOf":[{members}]}}"#);
        let min = r#"{"minLength":1}"#;
        assert_eq!(
            errors(&all_of(&format!("{s},{min}")), &all_of(s)),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&all_of(s), &all_of(&format!("{s},{min}"))),
            ["PRODUCT_TYPE_EXTENDED"]
        );
    }

    #[test]
    fn recursive_local_refs_terminate() {
        let tree = |max: &str| {
            format!(
                r##"{{"$defs":{{"node":{{"type":"object","properties":{{"v":{{"type":"string"{max}}},"kids":{{"type":"array","items":{{"$ref":"#/$defs/node"}}}}}}}}}},"$ref":"#/$defs/node"}}"##
            )
        };
        assert_eq!(errors(&tree(""), &tree("")), Vec::<String>::new());
        assert_eq!(
            errors(&tree(""), &tree(r#","maxLength":1"#)),
            ["MAX_LENGTH_ADDED"]
        );
    }
}
