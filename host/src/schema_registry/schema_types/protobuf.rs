//! Protobuf schemas: `.proto` text compiled by `protox` (references are importable files named
//! by their import path; Google's well-known types need none) and diffed with Confluent's rules.
//!
//! The diff (original = the writer's file, update = the reader's) matches messages by name
//! within the package and fields by number, and reports: PACKAGE_CHANGED, MESSAGE_REMOVED,
//! FIELD_KIND_CHANGED (scalar ↔ message ↔ map), FIELD_SCALAR_KIND_CHANGED across the groups
//! {int32,int64,uint32,uint64,bool,enum} {sint32,sint64} {string,bytes} {fixed32,sfixed32}
//! {fixed64,sfixed64} {float} {double}, FIELD_NAMED_TYPE_CHANGED, FIELD_NUMERIC_LABEL_CHANGED,
//! REQUIRED_FIELD_ADDED/REMOVED (proto2), ONEOF_FIELD_REMOVED, MULTIPLE_FIELDS_MOVED_TO_ONEOF and
//! FIELD_MOVED_TO_EXISTING_ONEOF. Everything else (fields and messages added, fields removed or
//! renamed, enums changed, a string/bytes or message label changed, oneofs added or removed,
//! a oneof field moved to the top level) is compatible.

use super::{difference, Labels, Reference, SchemaType};
use prost_reflect::{Cardinality, DescriptorPool, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use std::collections::{HashMap, HashSet};

/// The name the schema being parsed compiles under (its imports are the references' names).
const MAIN_FILE: &str = "krest-schema.proto";

#[derive(Debug)]
pub(super) struct ProtobufSchema {
    text: String,
    file: FileDescriptor,
}

/// The schema itself and its references, by import path: `.proto` text, or a serialized
/// `FileDescriptorProto` in base64, which Confluent's registry also accepts and Confluent's
/// Python serializer sends.
struct Sources(HashMap<String, String>);

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(source) => match serialized_descriptor(source) {
                Some(file) => {
                    let mut descriptor = file.file_descriptor_proto().clone();
                    descriptor.name = Some(name.to_owned());
                    Ok(File::from_file_descriptor_proto(descriptor))
                }
                None => File::from_source(name, source),
            },
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A base64 `FileDescriptorProto` (`.proto` text is not base64: it has spaces and `;`).
fn serialized_descriptor(source: &str) -> Option<File> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(source.trim())
        .ok()?;
    File::decode_file_descriptor_proto(bytes.as_slice()).ok()
}

impl ProtobufSchema {
    pub(super) fn parse(text: &str, references: &[Reference]) -> Result<ProtobufSchema, String> {
        let mut sources = HashMap::from([(MAIN_FILE.to_owned(), text.to_owned())]);
        for reference in references {
            if reference.schema_type != SchemaType::Protobuf {
                return Err(format!("reference {} is not a Protobuf schema", reference.name));
            }
            sources.insert(reference.name.clone(), reference.text.clone());
        }
        let mut resolver = ChainFileResolver::new();
        resolver.add(Sources(sources));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.open_file(MAIN_FILE).map_err(|e| e.to_string())?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(MAIN_FILE)
            .ok_or_else(|| format!("{MAIN_FILE} did not compile"))?;
        Ok(ProtobufSchema {
            text: text.trim().to_owned(),
            file,
        })
    }

    /// The posted text, trimmed. (Confluent re-prints the parsed file; we keep the author's
    /// layout and comments, so whitespace inside the text still counts for identity.)
    pub(super) fn canonical(&self) -> String {
        self.text.clone()
    }

    /// Confluent's normalized form re-prints the file with sorted fields and options; without a
    /// printer this is the canonical text.
    pub(super) fn normalized(&self) -> String {
        self.canonical()
    }

    pub(super) fn can_read(&self, writer: &ProtobufSchema, labels: Labels) -> Vec<String> {
        let mut diff = Diff {
            labels,
            out: Vec::new(),
        };
        diff.files(&writer.file, &self.file);
        diff.out
    }

    /// Confluent's `format=serialized`: the compiled file as a base64 `FileDescriptorProto`,
    /// the form in which Confluent's serializers fetch Protobuf schemas.
    pub(super) fn serialized(&self) -> String {
        use base64::Engine;
        use prost_reflect::prost::Message;
        let mut proto = self.file.file_descriptor_proto().clone();
        proto.source_code_info = None;
        base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec())
    }

    /// The compiled files are equal (comments and layout aside).
    pub(super) fn equivalent(&self, other: &ProtobufSchema) -> bool {
        let without_source_info = |file: &FileDescriptor| {
            let mut proto = file.file_descriptor_proto().clone();
            proto.source_code_info = None;
            proto
        };
        without_source_info(&self.file) == without_source_info(&other.file)
    }
}

struct Diff {
    labels: Labels,
    out: Vec<String>,
}

/// A message's name within its package (`Outer.Inner`).
fn local_name(message: &MessageDescriptor) -> String {
    let package = message.package_name();
    let full = message.full_name();
    match full.strip_prefix(package) {
        Some(rest) if !package.is_empty() => rest.trim_start_matches('.').to_owned(),
        _ => full.to_owned(),
    }
}

fn all_messages(file: &FileDescriptor) -> Vec<MessageDescriptor> {
    fn walk(message: MessageDescriptor, out: &mut Vec<MessageDescriptor>) {
        for child in message.child_messages() {
            if !child.is_map_entry() {
                walk(child, out);
            }
        }
        out.push(message);
    }
    let mut out = Vec::new();
    for message in file.messages() {
        walk(message, &mut out);
    }
    out
}

/// The wire-compatible group of a scalar kind; None for messages.
fn scalar_group(kind: &Kind) -> Option<u8> {
    Some(match kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => 0,
        Kind::Sint32 | Kind::Sint64 => 1,
        Kind::String | Kind::Bytes => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Float => 5,
        Kind::Double => 6,
        Kind::Message(_) => return None,
    })
}

/// Scalar, message or map.
fn field_kind(field: &FieldDescriptor) -> &'static str {
    match field.kind() {
        _ if field.is_map() => "MAP",
        Kind::Message(_) => "MESSAGE",
        _ => "SCALAR",
    }
}

/// The message or enum a field names, as written within its package.
fn named_type(field: &FieldDescriptor) -> Option<String> {
    match field.kind() {
        Kind::Message(m) => Some(local_name(&m)),
        Kind::Enum(e) => {
            let package = e.package_name();
            Some(
                e.full_name()
                    .strip_prefix(package)
                    .unwrap_or(e.full_name())
                    .trim_start_matches('.')
                    .to_owned(),
            )
        }
        _ => None,
    }
}

/// The non-synthetic oneof a field belongs to (proto3 `optional` makes synthetic ones).
fn real_oneof(field: &FieldDescriptor) -> Option<String> {
    field
        .containing_oneof()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_owned())
}

impl Diff {
    fn report(&mut self, error_type: &str, path: &str, what: &str) {
        let description = format!(
            "{what} at path '{path}' in the {} schema does not match the {} schema",
            self.labels.reader, self.labels.writer
        );
        self.out.push(difference(error_type, &description, None));
    }

    fn files(&mut self, original: &FileDescriptor, update: &FileDescriptor) {
        if original.package_name() != update.package_name() {
            self.report("PACKAGE_CHANGED", "#/", "The package");
        }
        let updated: HashMap<String, MessageDescriptor> = all_messages(update)
            .into_iter()
            .map(|m| (local_name(&m), m))
            .collect();
        for message in all_messages(original) {
            let name = local_name(&message);
            match updated.get(&name) {
                Some(new) => self.message(&message, new, &format!("#/{name}")),
                None => self.report("MESSAGE_REMOVED", &format!("#/{name}"), "A message"),
            }
        }
    }

    fn message(&mut self, original: &MessageDescriptor, update: &MessageDescriptor, path: &str) {
        let old_fields: HashMap<u32, FieldDescriptor> = original.fields().map(|f| (f.number(), f)).collect();
        let new_fields: HashMap<u32, FieldDescriptor> = update.fields().map(|f| (f.number(), f)).collect();
        let old_oneofs: HashSet<String> = original
            .oneofs()
            .filter(|o| !o.is_synthetic())
            .map(|o| o.name().to_owned())
            .collect();
        let mut moved_into: HashMap<String, usize> = HashMap::new();
        for (number, old) in sorted(&old_fields) {
            let field_path = format!("{path}/{number}");
            let Some(new) = new_fields.get(&number) else {
                if old.cardinality() == Cardinality::Required {
                    self.report("REQUIRED_FIELD_REMOVED", &field_path, "A required field");
                } else if real_oneof(old).is_some() {
                    self.report("ONEOF_FIELD_REMOVED", &field_path, "A oneof field");
                }
                continue;
            };
            self.field(old, new, &field_path);
            if let (None, Some(oneof)) = (real_oneof(old), real_oneof(new)) {
                if old_oneofs.contains(&oneof) {
                    self.report(
                        "FIELD_MOVED_TO_EXISTING_ONEOF",
                        &field_path,
                        "A field moved into an existing oneof",
                    );
                } else {
                    *moved_into.entry(oneof).or_default() += 1;
                }
            }
        }
        for (oneof, moved) in moved_into {
            if moved > 1 {
                self.report(
                    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                    &format!("{path}/{oneof}"),
                    "Several fields moved into a oneof",
                );
            }
        }
        for (number, new) in sorted(&new_fields) {
            if !old_fields.contains_key(&number) && new.cardinality() == Cardinality::Required {
                self.report(
                    "REQUIRED_FIELD_ADDED",
                    &format!("{path}/{number}"),
                    "A required field",
                );
            }
        }
    }

    fn field(&mut self, old: &FieldDescriptor, new: &FieldDescriptor, path: &str) {
        let (old_kind, new_kind) = (field_kind(old), field_kind(new));
        if old_kind != new_kind {
            return self.report("FIELD_KIND_CHANGED", path, "The kind of a field");
        }
        match (scalar_group(&old.kind()), scalar_group(&new.kind())) {
            (Some(a), Some(b)) if a != b => {
                self.report("FIELD_SCALAR_KIND_CHANGED", path, "The scalar kind of a field")
            }
            _ => {
                let (a, b) = (named_type(old), named_type(new));
                if a.is_some() && b.is_some() && a != b {
                    self.report("FIELD_NAMED_TYPE_CHANGED", path, "The named type of a field");
                }
            }
        }
        let repeated = |f: &FieldDescriptor| f.cardinality() == Cardinality::Repeated;
        let numeric = !matches!(old.kind(), Kind::String | Kind::Bytes | Kind::Message(_));
        if repeated(old) != repeated(new) && numeric && old_kind == "SCALAR" {
            self.report(
                "FIELD_NUMERIC_LABEL_CHANGED",
                path,
                "The label of a numeric field",
            );
        }
        let required = |f: &FieldDescriptor| f.cardinality() == Cardinality::Required;
        match (required(old), required(new)) {
            (true, false) => self.report("REQUIRED_FIELD_REMOVED", path, "A required field"),
            (false, true) => self.report("REQUIRED_FIELD_ADDED", path, "A required field"),
            _ => {}
        }
    }
}

fn sorted(fields: &HashMap<u32, FieldDescriptor>) -> Vec<(u32, &FieldDescriptor)> {
    let mut fields: Vec<_> = fields.iter().map(|(n, f)| (*n, f)).collect();
    fields.sort_by_key(|(n, _)| *n);
    fields
}

#[cfg(test)]
mod tests {
    use super::super::{ParsedSchema, SchemaType};
    use super::*;

    fn proto(text: &str) -> ParsedSchema {
        ParsedSchema::parse(SchemaType::Protobuf, text, &[]).unwrap()
    }

    fn message(body: &str) -> ParsedSchema {
        proto(&format!("syntax = \"proto3\";\npackage p;\nmessage M {{\n{body}\n}}\nmessage Other {{}}\nenum E {{ A = 0; }}\nenum F {{ B = 0; }}"))
    }

    /// The error types of reading data written with `old` using `new`.
    fn errors(old: &ParsedSchema, new: &ParsedSchema) -> Vec<String> {
        match new.can_read(old) {
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

    fn compatible(old: &str, new: &str) {
        assert_eq!(
            errors(&message(old), &message(new)),
            Vec::<String>::new(),
            "{old} -> {new}"
        );
    }

    fn incompatible(old: &str, new: &str, error: &str) {
        assert_eq!(errors(&message(old), &message(new)), [error], "{old} -> {new}");
    }

    #[test]
    fn canonical_is_trimmed_text_and_equivalence_ignores_layout() {
        let a = proto("\n syntax = \"proto3\";\nmessage M { string a = 1; }\n\n");
        let b = proto("syntax = \"proto3\";\n// a comment\nmessage M {\n  string a = 1;\n}");
        assert_eq!(a.canonical(), "syntax = \"proto3\";\nmessage M { string a = 1; }");
        assert_eq!(a.normalized(), a.canonical());
        assert!(a.equivalent(&b));
        assert!(!a.equivalent(&proto("syntax = \"proto3\";\nmessage M { string b = 1; }")));
    }

    #[test]
    fn serialized_is_the_compiled_file_as_a_base64_descriptor() {
        use base64::Engine;
        use prost_reflect::prost::Message;
        let text = "syntax = \"proto3\";\npackage p;\n// a comment\nmessage M { string a = 1; }";
        let serialized = proto(text).formatted("serialized").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&serialized)
            .unwrap();
        let file = prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
        assert_eq!((file.package(), file.message_type[0].name()), ("p", "M"));
        assert_eq!(file.source_code_info, None);
        assert!(proto(&serialized).equivalent(&proto(text)));
        assert_eq!(proto(text).formatted("resolved"), None);
    }

    #[test]
    fn invalid_protos_are_rejected() {
        for text in [
            "syntax = \"proto3\"; message M { string a = ; }",
            "message M { Missing m = 1; }",
            "import \"other.proto\";",
        ] {
            assert!(
                ParsedSchema::parse(SchemaType::Protobuf, text, &[]).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn imports_resolve_to_references_and_well_known_types() {
        let other = Reference {
            name: "common/money.proto".into(),
            text: "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; }".into(),
            schema_type: SchemaType::Protobuf,
        };
        let text = "syntax = \"proto3\";\nimport \"common/money.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage Order { common.Money total = 1; google.protobuf.Timestamp at = 2; }";
        let order = ParsedSchema::parse(SchemaType::Protobuf, text, std::slice::from_ref(&other)).unwrap();
        assert_eq!(order.can_read(&order), Ok(()));
        assert!(ParsedSchema::parse(SchemaType::Protobuf, text, &[]).is_err());
        let not_proto = Reference {
            schema_type: SchemaType::Avro,
            ..other
        };
        assert!(ParsedSchema::parse(SchemaType::Protobuf, text, &[not_proto]).is_err());
    }

    #[test]
    fn fields_added_removed_renamed_are_compatible() {
        compatible("string a = 1;", "string a = 1; int32 b = 2;");
        compatible("string a = 1; int32 b = 2;", "string a = 1;");
        compatible("string a = 1;", "string renamed = 1;");
    }

    #[test]
    fn messages_and_packages() {
        let v1 = proto("syntax = \"proto3\";\npackage p;\nmessage A {}\nmessage B {}");
        let fewer = proto("syntax = \"proto3\";\npackage p;\nmessage A {}");
        let moved = proto("syntax = \"proto3\";\npackage q;\nmessage A {}\nmessage B {}");
        assert_eq!(errors(&fewer, &v1), Vec::<String>::new());
        assert_eq!(errors(&v1, &fewer), ["MESSAGE_REMOVED"]);
        assert_eq!(errors(&v1, &moved), ["PACKAGE_CHANGED"]);
    }

    #[test]
    fn kinds_and_scalar_groups() {
        compatible("int32 a = 1;", "int64 a = 1;");
        compatible("int32 a = 1;", "E a = 1;");
        compatible("string a = 1;", "bytes a = 1;");
        compatible("fixed32 a = 1;", "sfixed32 a = 1;");
        incompatible("int32 a = 1;", "sint32 a = 1;", "FIELD_SCALAR_KIND_CHANGED");
        incompatible("float a = 1;", "double a = 1;", "FIELD_SCALAR_KIND_CHANGED");
        incompatible("string a = 1;", "Other a = 1;", "FIELD_KIND_CHANGED");
        incompatible("Other a = 1;", "map<string, Other> a = 1;", "FIELD_KIND_CHANGED");
        incompatible("Other a = 1;", "M a = 1;", "FIELD_NAMED_TYPE_CHANGED");
        incompatible("E a = 1;", "F a = 1;", "FIELD_NAMED_TYPE_CHANGED");
    }

    #[test]
    fn labels() {
        compatible("string a = 1;", "repeated string a = 1;");
        compatible("Other a = 1;", "repeated Other a = 1;");
        incompatible(
            "int32 a = 1;",
            "repeated int32 a = 1;",
            "FIELD_NUMERIC_LABEL_CHANGED",
        );
        compatible("int32 a = 1;", "optional int32 a = 1;");
    }

    #[test]
    fn proto2_required() {
        let v = |body: &str| proto(&format!("syntax = \"proto2\";\nmessage M {{ {body} }}"));
        let optional = v("optional int32 a = 1;");
        let required = v("required int32 a = 1;");
        let with_b = v("optional int32 a = 1; required int32 b = 2;");
        assert_eq!(errors(&optional, &required), ["REQUIRED_FIELD_ADDED"]);
        assert_eq!(errors(&required, &optional), ["REQUIRED_FIELD_REMOVED"]);
        assert_eq!(errors(&optional, &with_b), ["REQUIRED_FIELD_ADDED"]);
        assert_eq!(errors(&with_b, &optional), ["REQUIRED_FIELD_REMOVED"]);
        assert_eq!(errors(&optional, &optional), Vec::<String>::new());
    }

    #[test]
    fn oneofs() {
        let choice = "oneof c { string a = 1; int32 b = 2; }";
        compatible("string a = 1;", "oneof c { string a = 1; }");
        compatible("oneof c { string a = 1; }", choice);
        compatible(choice, "string a = 1; int32 b = 2;");
        incompatible(choice, "oneof c { string a = 1; }", "ONEOF_FIELD_REMOVED");
        incompatible(
            "string a = 1; int32 b = 2;",
            choice,
            "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        );
        incompatible(
            "oneof c { string a = 1; } int32 b = 2;",
            choice,
            "FIELD_MOVED_TO_EXISTING_ONEOF",
        );
    }
}
