//! Avro binary ⇄ Avro's JSON encoding, exactly as Java's `JsonDecoder` reads it and `JsonEncoder`
//! writes it (what Confluent's REST Proxy speaks), driven by a schema parsed once per call.

use std::collections::HashMap;
use std::fmt::Write as _;

use apache_avro::schema::{Name, Schema, UnionSchema};
use serde_json::{Map, Value};

/// Nesting deeper than this in the Avro binary (recursive schemas) is refused, as serde_json
/// refuses JSON input nested deeper than 128.
const MAX_DEPTH: usize = 128;

/// Array and map items a record may hold beyond one per input byte: items of zero-byte types
/// (`null`, empty records) cost nothing in the binary, so a few bytes could claim billions.
const FREE_ITEMS: usize = 1 << 16;

/// A parsed writer schema with its named types.
#[derive(Debug)]
pub struct Codec {
    schema: Schema,
    named: HashMap<String, Schema>,
}

impl Codec {
    /// Parses a schema's text; `references` are the texts of the schemas it refers to (their
    /// named types become known by name). Logical types are dropped first: Confluent's proxy
    /// reads and writes them in their base type's encoding (decimal as bytes, date as int, …).
    pub fn parse(text: &str, references: &[&str]) -> Result<Codec, String> {
        let without_logical_types = |text: &str| -> Result<String, String> {
            let mut json: Value =
                serde_json::from_str(text).map_err(|e| format!("schema is not JSON: {e}"))?;
            strip_logical_types(&mut json);
            Ok(json.to_string())
        };
        let referenced = references
            .iter()
            .map(|text| without_logical_types(text))
            .collect::<Result<Vec<_>, _>>()?;
        let (schema, referenced) = Schema::parse_str_with_list(&without_logical_types(text)?, &referenced)
            .map_err(|e| e.to_string())?;
        let mut named = HashMap::new();
        for schema in referenced.iter().chain([&schema]) {
            collect_names(schema, &mut named);
        }
        Ok(Codec { schema, named })
    }

    /// One value in Avro's JSON encoding → Avro binary (no framing).
    pub fn encode(&self, json: &str) -> Result<Vec<u8>, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("invalid JSON: {e}"))?;
        let mut out = Vec::new();
        self.write(&self.schema, &value, false, &mut out)?;
        Ok(out)
    }

    /// Avro binary (no framing) → the value in Avro's JSON encoding. Bytes after the datum are
    /// ignored, as Java's deserializer ignores them.
    pub fn decode(&self, bytes: &[u8]) -> Result<String, String> {
        let mut reader = Reader {
            bytes,
            items_left: bytes.len().saturating_add(FREE_ITEMS),
        };
        let mut out = String::with_capacity(bytes.len() * 2);
        self.read(&self.schema, &mut reader, &mut out, 0)?;
        Ok(out)
    }

    /// Follows a reference to the named type it names.
    fn resolve<'a>(&'a self, schema: &'a Schema) -> Result<&'a Schema, String> {
        match schema {
            Schema::Ref { name } => self
                .named
                .get(&name.fullname(None))
                .ok_or_else(|| format!("the schema names an undefined type {}", name.fullname(None))),
            other => Ok(other),
        }
    }

    /// Writes `value` as `schema`. In a field `default` (from the schema, not the client) a
    /// union's value is that of its first branch, unwrapped, as the Avro specification says.
    fn write(&self, schema: &Schema, value: &Value, default: bool, out: &mut Vec<u8>) -> Result<(), String> {
        let schema = self.resolve(schema)?;
        match (schema, value) {
            (Schema::Null, Value::Null) => {}
            (Schema::Boolean, Value::Bool(b)) => out.push(u8::from(*b)),
            (Schema::Int, Value::Number(_)) => {
                let n = value
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| format!("{value} is not an int"))?;
                write_long(out, n.into());
            }
            (Schema::Long, Value::Number(_)) => write_long(
                out,
                value.as_i64().ok_or_else(|| format!("{value} is not a long"))?,
            ),
            (Schema::Float, _) => out.extend_from_slice(&(floating(value)? as f32).to_le_bytes()),
            (Schema::Double, _) => out.extend_from_slice(&floating(value)?.to_le_bytes()),
            (Schema::Bytes, Value::String(text)) => {
                let bytes = latin1(text)?;
                write_long(out, bytes.len() as i64);
                out.extend_from_slice(&bytes);
            }
            (Schema::String, Value::String(text)) => {
                write_long(out, text.len() as i64);
                out.extend_from_slice(text.as_bytes());
            }
            (Schema::Fixed(fixed), Value::String(text)) => {
                let bytes = latin1(text)?;
                if bytes.len() != fixed.size {
                    return Err(format!(
                        "{} is fixed to {} bytes, got {}",
                        fixed.name.fullname(None),
                        fixed.size,
                        bytes.len()
                    ));
                }
                out.extend_from_slice(&bytes);
            }
            (Schema::Enum(enumeration), Value::String(symbol)) => {
                let index = enumeration
                    .symbols
                    .iter()
                    .position(|s| s == symbol)
                    .ok_or_else(|| {
                        format!(
                            "{symbol:?} is not a symbol of {} ({})",
                            enumeration.name.fullname(None),
                            enumeration.symbols.join(", ")
                        )
                    })?;
                write_long(out, index as i64);
            }
            (Schema::Array(array), Value::Array(items)) => {
                if !items.is_empty() {
                    write_long(out, items.len() as i64);
                    for (i, item) in items.iter().enumerate() {
                        self.write(&array.items, item, default, out)
                            .map_err(|e| format!("[{i}]: {e}"))?;
                    }
                }
                out.push(0);
            }
            (Schema::Map(map), Value::Object(entries)) => {
                if !entries.is_empty() {
                    write_long(out, entries.len() as i64);
                    for (key, item) in entries {
                        write_long(out, key.len() as i64);
                        out.extend_from_slice(key.as_bytes());
                        self.write(&map.types, item, default, out)
                            .map_err(|e| format!("[{key:?}]: {e}"))?;
                    }
                }
                out.push(0);
            }
            (Schema::Record(record), Value::Object(fields)) => {
                for field in &record.fields {
                    let given = field_value(fields, &field.name, field.aliases.as_deref());
                    match (given, &field.default) {
                        (Some(given), _) => self.write(&field.schema, given, default, out),
                        (None, Some(fallback)) => self.write(&field.schema, fallback, true, out),
                        (None, None) => Err("missing, and it has no default".to_string()),
                    }
                    .map_err(|e| format!("field {}: {e}", field.name))?;
                }
            }
            (Schema::Union(union), _) => {
                let (index, inner) = if default {
                    (0, value)
                } else {
                    self.branch(union, value)?
                };
                let branch = union
                    .variants()
                    .get(index)
                    .ok_or_else(|| "an empty union has no values".to_string())?;
                write_long(out, index as i64);
                self.write(branch, inner, default, out)?;
            }
            (schema, value) => {
                return Err(format!("expected {}, got {}", self.label(schema), compact(value)))
            }
        }
        Ok(())
    }

    /// A union value: `null`, or `{"TYPE": value}` naming one branch (full name for named
    /// types) → the branch's index and the value inside.
    fn branch<'v>(&self, union: &UnionSchema, value: &'v Value) -> Result<(usize, &'v Value), String> {
        let entry = match value {
            Value::Null => Some(("null", value)),
            Value::Object(object) if object.len() == 1 => object.iter().next().map(|(k, v)| (k.as_str(), v)),
            _ => None,
        };
        let Some((label, inner)) = entry else {
            return Err(format!(
                "a union value is null or {{\"TYPE\": value}} with TYPE one of {}, got {}",
                self.labels(union),
                compact(value)
            ));
        };
        union
            .variants()
            .iter()
            .position(|branch| self.label(branch) == label)
            .map(|index| (index, inner))
            .ok_or_else(|| {
                format!(
                    "the union has no branch {label:?} (it has {})",
                    self.labels(union)
                )
            })
    }

    /// The name Java's JSON encoding gives a union branch: the type name, or the full name of
    /// a named type.
    fn label(&self, schema: &Schema) -> String {
        let named = |name: &Name| name.fullname(None);
        match schema {
            Schema::Null => "null".into(),
            Schema::Boolean => "boolean".into(),
            Schema::Int => "int".into(),
            Schema::Long => "long".into(),
            Schema::Float => "float".into(),
            Schema::Double => "double".into(),
            Schema::Bytes => "bytes".into(),
            Schema::String => "string".into(),
            Schema::Array(_) => "array".into(),
            Schema::Map(_) => "map".into(),
            Schema::Union(_) => "union".into(),
            Schema::Record(record) => named(&record.name),
            Schema::Enum(enumeration) => named(&enumeration.name),
            Schema::Fixed(fixed) => named(&fixed.name),
            Schema::Ref { name } => named(name),
            other => format!("{other:?}"),
        }
    }

    fn labels(&self, union: &UnionSchema) -> String {
        let labels: Vec<String> = union.variants().iter().map(|b| self.label(b)).collect();
        labels.join(", ")
    }

    fn read(
        &self,
        schema: &Schema,
        reader: &mut Reader,
        out: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("the value is nested deeper than {MAX_DEPTH} levels"));
        }
        match self.resolve(schema)? {
            Schema::Null => out.push_str("null"),
            Schema::Boolean => match reader.take(1)? {
                [0] => out.push_str("false"),
                [1] => out.push_str("true"),
                other => return Err(format!("invalid boolean byte {other:?}")),
            },
            Schema::Int => {
                let n = reader.long()?;
                let n = i32::try_from(n).map_err(|_| format!("int out of range: {n}"))?;
                let _ = write!(out, "{n}");
            }
            Schema::Long => {
                let _ = write!(out, "{}", reader.long()?);
            }
            Schema::Float => {
                let mut four = [0u8; 4];
                four.copy_from_slice(reader.take(4)?);
                let x = f32::from_le_bytes(four);
                write_floating(out, x.is_nan(), x.is_infinite(), x > 0.0, format_args!("{x:?}"));
            }
            Schema::Double => {
                let mut eight = [0u8; 8];
                eight.copy_from_slice(reader.take(8)?);
                let x = f64::from_le_bytes(eight);
                write_floating(out, x.is_nan(), x.is_infinite(), x > 0.0, format_args!("{x:?}"));
            }
            Schema::Bytes => {
                let length = reader.length()?;
                write_string(out, reader.take(length)?.iter().map(|&b| char::from(b)));
            }
            Schema::String => {
                let length = reader.length()?;
                write_string(out, String::from_utf8_lossy(reader.take(length)?).chars());
            }
            Schema::Fixed(fixed) => {
                write_string(out, reader.take(fixed.size)?.iter().map(|&b| char::from(b)))
            }
            Schema::Enum(enumeration) => {
                let index = reader.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| enumeration.symbols.get(i))
                    .ok_or_else(|| format!("enum index {index} out of range"))?;
                write_string(out, symbol.chars());
            }
            Schema::Array(array) => {
                out.push('[');
                let mut first = true;
                while let Some(count) = reader.block()? {
                    for _ in 0..count {
                        reader.item()?;
                        if !std::mem::take(&mut first) {
                            out.push(',');
                        }
                        self.read(&array.items, reader, out, depth + 1)?;
                    }
                }
                out.push(']');
            }
            Schema::Map(map) => {
                out.push('{');
                let mut first = true;
                while let Some(count) = reader.block()? {
                    for _ in 0..count {
                        reader.item()?;
                        if !std::mem::take(&mut first) {
                            out.push(',');
                        }
                        let length = reader.length()?;
                        write_string(out, String::from_utf8_lossy(reader.take(length)?).chars());
                        out.push(':');
                        self.read(&map.types, reader, out, depth + 1)?;
                    }
                }
                out.push('}');
            }
            Schema::Record(record) => {
                out.push('{');
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, field.name.chars());
                    out.push(':');
                    self.read(&field.schema, reader, out, depth + 1)
                        .map_err(|e| format!("field {}: {e}", field.name))?;
                }
                out.push('}');
            }
            Schema::Union(union) => {
                let index = reader.long()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| union.variants().get(i))
                    .ok_or_else(|| format!("union index {index} out of range"))?;
                if matches!(self.resolve(branch)?, Schema::Null) {
                    out.push_str("null");
                } else {
                    out.push('{');
                    write_string(out, self.label(branch).chars());
                    out.push(':');
                    self.read(branch, reader, out, depth + 1)?;
                    out.push('}');
                }
            }
            other => return Err(format!("unsupported schema {}", self.label(other))),
        }
        Ok(())
    }
}

/// Avro binary input, consumed from the front.
struct Reader<'a> {
    bytes: &'a [u8],
    items_left: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err(format!(
                "the Avro data ends early: {n} more bytes needed, {} left",
                self.bytes.len()
            ));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// A zig-zag varint of at most 10 bytes.
    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err("invalid long: a varint longer than 10 bytes".into())
    }

    /// The length of `bytes` or `string`.
    fn length(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        usize::try_from(n).map_err(|_| format!("negative length {n}"))
    }

    /// The item count of the next array or map block; `None` at the end. A negative count is
    /// followed by the block's size in bytes, which is not needed here.
    fn block(&mut self) -> Result<Option<u64>, String> {
        match self.long()? {
            0 => Ok(None),
            n if n > 0 => Ok(Some(n as u64)),
            n => {
                self.long()?;
                Ok(Some(n.unsigned_abs()))
            }
        }
    }

    /// Accounts for one array or map item.
    fn item(&mut self) -> Result<(), String> {
        self.items_left = self
            .items_left
            .checked_sub(1)
            .ok_or("more array or map items than the data can hold")?;
        Ok(())
    }
}

/// Zig-zag varint.
fn write_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push(z as u8 | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// A float or double: a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"` as Java writes
/// non-finite numbers.
fn floating(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
        Value::String(s) if s == "NaN" => Ok(f64::NAN),
        Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(format!("expected a number, got {}", compact(other))),
    }
}

fn write_floating(out: &mut String, nan: bool, infinite: bool, positive: bool, finite: std::fmt::Arguments) {
    match (nan, infinite, positive) {
        (true, _, _) => out.push_str("\"NaN\""),
        (_, true, true) => out.push_str("\"Infinity\""),
        (_, true, false) => out.push_str("\"-Infinity\""),
        _ => {
            let _ = out.write_fmt(finite);
        }
    }
}

/// `bytes` and `fixed` travel as JSON strings whose code points U+0000–U+00FF are the bytes.
fn latin1(text: &str) -> Result<Vec<u8>, String> {
    text.chars()
        .map(|c| {
            u8::try_from(c).map_err(|_| {
                format!(
                    "bytes are a string of code points U+0000 to U+00FF, one per byte; got {:?} (U+{:04X})",
                    c, c as u32
                )
            })
        })
        .collect()
}

/// A JSON string, escaped as Jackson escapes it.
fn write_string(out: &mut String, chars: impl Iterator<Item = char>) {
    out.push('"');
    for c in chars {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A record field's value by its name or one of its aliases (as Java's decoder accepts).
/// Fields the schema does not name are ignored, as Java ignores them.
fn field_value<'v>(
    fields: &'v Map<String, Value>,
    name: &str,
    aliases: Option<&[String]>,
) -> Option<&'v Value> {
    fields
        .get(name)
        .or_else(|| aliases?.iter().find_map(|alias| fields.get(alias)))
}

/// A value for an error message, cut short.
fn compact(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Removes `logicalType` from every type in a schema (not from defaults or other attributes).
fn strip_logical_types(schema: &mut Value) {
    match schema {
        Value::Array(branches) => branches.iter_mut().for_each(strip_logical_types),
        Value::Object(object) => {
            object.remove("logicalType");
            for key in ["type", "items", "values"] {
                if let Some(inner) = object.get_mut(key) {
                    strip_logical_types(inner);
                }
            }
            if let Some(Value::Array(fields)) = object.get_mut("fields") {
                for field in fields.iter_mut().filter_map(|f| f.get_mut("type")) {
                    strip_logical_types(field);
                }
            }
        }
        _ => {}
    }
}

/// Every named type (record, enum, fixed) by its full name.
fn collect_names(schema: &Schema, named: &mut HashMap<String, Schema>) {
    match schema {
        Schema::Record(record) => {
            named.insert(record.name.fullname(None), schema.clone());
            for field in &record.fields {
                collect_names(&field.schema, named);
            }
        }
        Schema::Enum(enumeration) => {
            named.insert(enumeration.name.fullname(None), schema.clone());
        }
        Schema::Fixed(fixed) => {
            named.insert(fixed.name.fullname(None), schema.clone());
        }
        Schema::Array(array) => collect_names(&array.items, named),
        Schema::Map(map) => collect_names(&map.types, named),
        Schema::Union(union) => union.variants().iter().for_each(|b| collect_names(b, named)),
        _ => {}
    }
}
