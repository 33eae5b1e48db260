//! Avro schema resolution (Java Avro's `SchemaCompatibility`, as Confluent reports it): whether
//! a reader schema reads what a writer schema wrote, and the extra default checks on register.

use super::{difference, Labels};
use apache_avro::schema::{Alias, Name, RecordField, Schema};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The Avro type a schema is encoded as (logical types are their underlying type, as in Java).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array,
    Map,
    Union,
    Record,
    Enum,
    Fixed,
}

impl Kind {
    fn upper(self) -> String {
        format!("{self:?}").to_uppercase()
    }
}

/// A schema and the named types (its own and its references') that `Schema::Ref`s point at.
struct Side<'a> {
    names: HashMap<String, &'a Schema>,
}

impl<'a> Side<'a> {
    fn new(schema: &'a Schema, referenced: &'a [Schema]) -> Side<'a> {
        let mut names = HashMap::new();
        for s in std::iter::once(schema).chain(referenced) {
            collect_names(s, &mut names);
        }
        Side { names }
    }

    /// `schema` itself, or the named type a `Ref` points at (unknown names stay `Ref`s).
    fn resolve(&self, schema: &'a Schema) -> &'a Schema {
        match schema {
            Schema::Ref { name } => self.names.get(&name.fullname(None)).copied().unwrap_or(schema),
            other => other,
        }
    }
}

fn collect_names<'a>(schema: &'a Schema, names: &mut HashMap<String, &'a Schema>) {
    match schema {
        Schema::Record(record) => {
            names.insert(record.name.fullname(None), schema);
            for field in &record.fields {
                collect_names(&field.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.fullname(None), schema);
        }
        Schema::Fixed(f) => {
            names.insert(f.name.fullname(None), schema);
        }
        Schema::Decimal(d) => collect_names(&d.inner, names),
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => u.variants().iter().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

fn kind(schema: &Schema) -> Kind {
    match schema {
        Schema::Null => Kind::Null,
        Schema::Boolean => Kind::Boolean,
        Schema::Int | Schema::Date | Schema::TimeMillis => Kind::Int,
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => Kind::Long,
        Schema::Float => Kind::Float,
        Schema::Double => Kind::Double,
        Schema::Bytes | Schema::BigDecimal => Kind::Bytes,
        Schema::String | Schema::Uuid => Kind::String,
        Schema::Array(_) => Kind::Array,
        Schema::Map(_) => Kind::Map,
        Schema::Union(_) => Kind::Union,
        Schema::Record(_) => Kind::Record,
        Schema::Enum(_) => Kind::Enum,
        Schema::Fixed(_) | Schema::Duration => Kind::Fixed,
        Schema::Decimal(d) => kind(&d.inner),
        // An unresolved reference: parsing rejects unknown names, so this is not reached.
        Schema::Ref { .. } => Kind::Record,
    }
}

/// A fixed type: its name and aliases (a duration has none) and its size.
struct Fixed<'a> {
    name: Option<&'a Name>,
    aliases: Option<&'a Vec<Alias>>,
    size: usize,
}

/// The fixed type a schema is encoded as (a decimal on fixed is its inner fixed).
fn fixed(schema: &Schema) -> Option<Fixed<'_>> {
    match schema {
        Schema::Fixed(f) => Some(Fixed {
            name: Some(&f.name),
            aliases: f.aliases.as_ref(),
            size: f.size,
        }),
        Schema::Decimal(d) => fixed(&d.inner),
        Schema::Duration => Some(Fixed {
            name: None,
            aliases: None,
            size: 12,
        }),
        _ => None,
    }
}

/// The incompatibilities of reading data written with `writer` by `reader`, in Confluent's
/// words; empty when compatible.
pub(super) fn can_read(
    (reader, reader_refs): (&Schema, &[Schema]),
    (writer, writer_refs): (&Schema, &[Schema]),
    labels: Labels,
) -> Vec<String> {
    let mut checker = Checker {
        reader: Side::new(reader, reader_refs),
        writer: Side::new(writer, writer_refs),
        labels,
        in_progress: HashSet::new(),
    };
    let mut out = Vec::new();
    checker.check(reader, writer, &mut Vec::new(), &mut out);
    out
}

struct Checker<'a> {
    reader: Side<'a>,
    writer: Side<'a>,
    labels: Labels,
    /// Record pairs being compared: a recursive type meeting itself again is taken as compatible.
    in_progress: HashSet<(String, String)>,
}

impl<'a> Checker<'a> {
    fn check(
        &mut self,
        reader: &'a Schema,
        writer: &'a Schema,
        loc: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        let reader = self.reader.resolve(reader);
        let writer = self.writer.resolve(writer);
        let (r_kind, w_kind) = (kind(reader), kind(writer));
        if r_kind == w_kind {
            match (reader, writer) {
                (Schema::Array(r), Schema::Array(w)) => self.nested("items", &r.items, &w.items, loc, out),
                (Schema::Map(r), Schema::Map(w)) => self.nested("values", &r.types, &w.types, loc, out),
                (Schema::Union(_), Schema::Union(w)) => self.writer_union(reader, w.variants(), loc, out),
                (Schema::Record(r), Schema::Record(w)) => {
                    self.names(&r.name, r.aliases.as_ref(), &w.name, loc, out);
                    let key = (r.name.fullname(None), w.name.fullname(None));
                    if self.in_progress.insert(key.clone()) {
                        self.fields(&r.fields, &w.fields, loc, out);
                        self.in_progress.remove(&key);
                    }
                }
                (Schema::Enum(r), Schema::Enum(w)) => {
                    self.names(&r.name, r.aliases.as_ref(), &w.name, loc, out);
                    let missing: BTreeSet<&String> =
                        w.symbols.iter().filter(|s| !r.symbols.contains(s)).collect();
                    let reader_default = r.default.as_ref().is_some_and(|d| r.symbols.contains(d));
                    if !missing.is_empty() && !reader_default {
                        let symbols = missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                        loc.push("symbols".into());
                        let description = format!(
                            "The {} schema is missing enum symbols '[{symbols}]' at path '{}' in the {} schema",
                            self.labels.reader,
                            path(loc),
                            self.labels.writer
                        );
                        out.push(difference(
                            "MISSING_ENUM_SYMBOLS",
                            &description,
                            Some(&format!("[{symbols}]")),
                        ));
                        loc.pop();
                    }
                }
                _ => {
                    if let (Some(r), Some(w)) = (fixed(reader), fixed(writer)) {
                        if let (Some(r_name), Some(w_name)) = (r.name, w.name) {
                            self.names(r_name, r.aliases, w_name, loc, out);
                        }
                        let (r_size, w_size) = (r.size, w.size);
                        if r_size != w_size {
                            loc.push("size".into());
                            let description = format!(
                                "The size of FIXED type field at path '{}' in the {} schema does not match with the {} schema",
                                path(loc),
                                self.labels.reader,
                                self.labels.writer
                            );
                            let info = format!("expected: {w_size}, found: {r_size}");
                            out.push(difference("FIXED_SIZE_MISMATCH", &description, Some(&info)));
                            loc.pop();
                        }
                    }
                }
            }
            return;
        }
        if let Schema::Union(w) = writer {
            return self.writer_union(reader, w.variants(), loc, out);
        }
        let promoted = matches!(
            (r_kind, w_kind),
            (Kind::Long, Kind::Int)
                | (Kind::Float, Kind::Int | Kind::Long)
                | (Kind::Double, Kind::Int | Kind::Long | Kind::Float)
                | (Kind::Bytes, Kind::String)
                | (Kind::String, Kind::Bytes)
        );
        if promoted {
            return;
        }
        if let Schema::Union(r) = reader {
            for branch in r.variants() {
                let mut scratch = Vec::new();
                self.check(branch, writer, &mut loc.clone(), &mut scratch);
                if scratch.is_empty() {
                    return;
                }
            }
            let description = format!(
                "The {} schema is missing a type inside a union field at path '{}' in the {} schema",
                self.labels.reader,
                path(loc),
                self.labels.writer
            );
            let info = format!("reader union lacking writer type: {}", w_kind.upper());
            out.push(difference("MISSING_UNION_BRANCH", &description, Some(&info)));
            return;
        }
        let description = format!(
            "The type (path '{}') of a field in the {} schema does not match with the {} schema",
            path(loc),
            self.labels.reader,
            self.labels.writer
        );
        let info = format!(
            "reader type: {} not compatible with writer type: {}",
            r_kind.upper(),
            w_kind.upper()
        );
        out.push(difference("TYPE_MISMATCH", &description, Some(&info)));
    }

    fn nested(
        &mut self,
        step: &str,
        reader: &'a Schema,
        writer: &'a Schema,
        loc: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        loc.push(step.to_owned());
        self.check(reader, writer, loc, out);
        loc.pop();
    }

    /// Every branch the writer may have written must be readable.
    fn writer_union(
        &mut self,
        reader: &'a Schema,
        branches: &'a [Schema],
        loc: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        for (i, branch) in branches.iter().enumerate() {
            self.nested(&i.to_string(), reader, branch, loc, out);
        }
    }

    fn fields(
        &mut self,
        reader: &'a [RecordField],
        writer: &'a [RecordField],
        loc: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        loc.push("fields".into());
        for (i, field) in reader.iter().enumerate() {
            loc.push(i.to_string());
            let written = writer.iter().find(|w| w.name == field.name).or_else(|| {
                let aliases = field.aliases.as_deref().unwrap_or_default();
                writer.iter().find(|w| aliases.contains(&w.name))
            });
            match written {
                Some(w) => self.nested("type", &field.schema, &w.schema, loc, out),
                None if field.default.is_none() => {
                    let description = format!(
                        "The field '{}' at path '{}' in the {} schema has no default value and is missing in the {} schema",
                        field.name,
                        path(loc),
                        self.labels.reader,
                        self.labels.writer
                    );
                    out.push(difference(
                        "READER_FIELD_MISSING_DEFAULT_VALUE",
                        &description,
                        Some(&field.name),
                    ));
                }
                None => {}
            }
            loc.pop();
        }
        loc.pop();
    }

    /// Named types match by unqualified name, or by a reader alias naming the writer's full name.
    fn names(
        &self,
        reader: &Name,
        aliases: Option<&Vec<Alias>>,
        writer: &Name,
        loc: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        let writer_full = writer.fullname(None);
        let aliased = aliases.is_some_and(|aliases| {
            aliases
                .iter()
                .any(|a| a.fullname(reader.namespace.clone()) == writer_full)
        });
        if reader.name != writer.name && !aliased {
            loc.push("name".into());
            let description = format!("The name of the schema has changed (path '{}')", path(loc));
            out.push(difference(
                "NAME_MISMATCH",
                &description,
                Some(&format!("expected: {writer_full}")),
            ));
            loc.pop();
        }
    }
}

fn path(loc: &[String]) -> String {
    format!("/{}", loc.join("/"))
}

/// Confluent (Java Avro) checks a union field's default against the union's first branch only;
/// apache-avro accepts a default matching any branch, so check the first branch here.
pub(super) fn validate_defaults(schema: &Schema, referenced: &[Schema]) -> Result<(), String> {
    let side = Side::new(schema, referenced);
    let mut all: Vec<&Schema> = vec![schema];
    all.extend(referenced);
    for named in side.names.values() {
        let Schema::Record(record) = named else { continue };
        for field in &record.fields {
            let (Schema::Union(union), Some(default)) = (&field.schema, &field.default) else {
                continue;
            };
            let Some(first) = union.variants().first() else {
                continue;
            };
            let value = apache_avro::types::Value::from(default.clone());
            if value.resolve_schemata(first, all.clone()).is_err() {
                return Err(format!(
                    "Invalid default for field {} of {}: {} does not match the union's first type {}",
                    field.name,
                    record.name.fullname(None),
                    default,
                    kind(side.resolve(first)).upper().to_lowercase()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ParsedSchema, SchemaType};

    fn avro(text: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Avro, text, &[]).unwrap()
    }

    fn record(fields: &str) -> ParsedSchema {
        avro(&format!(
            r#"{{"type":"record","name":"R","namespace":"n","fields":[{fields}]}}"#
        ))
    }

    /// The one message of an incompatible read.
    fn one_error(reader: &ParsedSchema, writer: &ParsedSchema) -> String {
        let errors = reader.can_read(writer).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].clone()
    }

    #[test]
    fn reader_only_field_needs_a_default() {
        let old = record(r#"{"name":"a","type":"int"}"#);
        let with_default = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"#);
        let without = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
        assert_eq!(with_default.can_read(&old), Ok(()));
        assert_eq!(
            one_error(&without, &old),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}"
        );
        // Writer-only fields are skipped.
        assert_eq!(old.can_read(&without), Ok(()));
    }

    #[test]
    fn field_aliases_match_renamed_fields() {
        let old = record(r#"{"name":"a","type":"int"}"#);
        let renamed = record(r#"{"name":"b","type":"int","aliases":["a"]}"#);
        assert_eq!(renamed.can_read(&old), Ok(()));
        assert!(record(r#"{"name":"b","type":"int"}"#).can_read(&old).is_err());
    }

    #[test]
    fn promotions() {
        let allowed = [
            ("int", "long"),
            ("int", "float"),
            ("int", "double"),
            ("long", "float"),
            ("long", "double"),
        ];
        for (writer, reader) in
            allowed
                .into_iter()
                .chain([("float", "double"), ("string", "bytes"), ("bytes", "string")])
        {
            assert_eq!(
                avro(&format!("\"{reader}\"")).can_read(&avro(&format!("\"{writer}\""))),
                Ok(())
            );
        }
        for (writer, reader) in [
            ("long", "int"),
            ("double", "float"),
            ("string", "int"),
            ("boolean", "null"),
        ] {
            assert!(avro(&format!("\"{reader}\""))
                .can_read(&avro(&format!("\"{writer}\"")))
                .is_err());
        }
        let old = record(r#"{"name":"a","type":"double"}"#);
        let new = record(r#"{"name":"a","type":"string"}"#);
        assert_eq!(
            one_error(&new, &old),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: DOUBLE'}"
        );
        // Logical types resolve as their underlying type.
        let millis = avro(r#"{"type":"long","logicalType":"timestamp-millis"}"#);
        assert_eq!(millis.can_read(&avro(r#""int""#)), Ok(()));
    }

    #[test]
    fn enum_symbols() {
        let enum_of = |symbols: &str, default: &str| {
            avro(&format!(
                r#"{{"type":"enum","name":"E","symbols":[{symbols}]{default}}}"#
            ))
        };
        let ab = enum_of(r#""A","B""#, "");
        let abc = enum_of(r#""A","B","C""#, "");
        assert_eq!(abc.can_read(&ab), Ok(()));
        assert_eq!(
            one_error(&ab, &abc),
            "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols '[C]' at path '/symbols' in the old schema', additionalInfo:'[C]'}"
        );
        assert_eq!(enum_of(r#""A","B""#, r#","default":"A""#).can_read(&abc), Ok(()));
    }

    #[test]
    fn unions() {
        let int_or_null = avro(r#"["null","int"]"#);
        let long_or_null = avro(r#"["null","long"]"#);
        assert_eq!(long_or_null.can_read(&int_or_null), Ok(()));
        assert_eq!(int_or_null.can_read(&avro(r#""int""#)), Ok(()));
        assert_eq!(
            one_error(&int_or_null, &long_or_null),
            "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a union field at path '/1' in the old schema', additionalInfo:'reader union lacking writer type: LONG'}"
        );
        // A non-union reader reads a union writer only if it reads every branch.
        assert!(avro(r#""int""#).can_read(&int_or_null).is_err());
        assert_eq!(avro(r#""long""#).can_read(&avro(r#"["int"]"#)), Ok(()));
    }

    #[test]
    fn named_types_match_by_name_or_alias() {
        let old = avro(r#"{"type":"record","name":"a.Old","fields":[]}"#);
        let renamed = avro(r#"{"type":"record","name":"b.New","fields":[]}"#);
        let aliased = avro(r#"{"type":"record","name":"b.New","aliases":["a.Old"],"fields":[]}"#);
        let moved = avro(r#"{"type":"record","name":"b.Old","fields":[]}"#);
        assert_eq!(aliased.can_read(&old), Ok(()));
        assert_eq!(moved.can_read(&old), Ok(()));
        assert_eq!(
            one_error(&renamed, &old),
            "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/name')', additionalInfo:'expected: a.Old'}"
        );
    }

    #[test]
    fn fixed_size_must_match() {
        let four = avro(r#"{"type":"fixed","name":"F","size":4}"#);
        let eight = avro(r#"{"type":"fixed","name":"F","size":8}"#);
        assert_eq!(four.can_read(&four), Ok(()));
        assert_eq!(
            one_error(&eight, &four),
            "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path '/size' in the new schema does not match with the old schema', additionalInfo:'expected: 4, found: 8'}"
        );
    }

    #[test]
    fn nested_arrays_maps_and_recursive_records() {
        let list = |item: &str| {
            avro(&format!(
                r#"{{"type":"record","name":"Node","fields":[{{"name":"v","type":{{"type":"map","values":{{"type":"array","items":"{item}"}}}}}},{{"name":"next","type":["null","Node"]}}]}}"#
            ))
        };
        assert_eq!(list("long").can_read(&list("int")), Ok(()));
        let errors = list("int").can_read(&list("long")).unwrap_err();
        assert!(
            errors[0].contains("path '/fields/0/type/values/items'"),
            "{errors:?}"
        );
    }

    #[test]
    fn decimals_compare_as_their_underlying_type() {
        let decimal = avro(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#);
        assert_eq!(decimal.can_read(&decimal), Ok(()));
        assert_eq!(decimal.can_read(&avro(r#""string""#)), Ok(()));
    }
}
