//! The registry's schema types — Avro, JSON Schema and Protobuf: parsing and validation,
//! Confluent's canonical and normalized texts, and the compatibility rules between versions.

mod avro;
mod avro_resolution;
mod compatibility;
mod json;
mod ordered_json;
mod protobuf;

pub use compatibility::Compatibility;

/// AVRO, JSON or PROTOBUF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SchemaType {
    #[serde(rename = "AVRO")]
    Avro,
    #[serde(rename = "JSON")]
    Json,
    #[serde(rename = "PROTOBUF")]
    Protobuf,
}

impl SchemaType {
    /// The `schemaType` of a request: absent means AVRO; otherwise Confluent's exact upper-case
    /// names (Confluent looks providers up by the name as given, so `avro` is refused too).
    pub fn parse(name: Option<&str>) -> Result<SchemaType, String> {
        match name {
            None | Some("AVRO") => Ok(SchemaType::Avro),
            Some("JSON") => Ok(SchemaType::Json),
            Some("PROTOBUF") => Ok(SchemaType::Protobuf),
            Some(other) => Err(format!("Invalid schema type {other}")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

/// A schema another schema references, already resolved: `name` as the referencing schema
/// names it (Avro: a full type name; JSON: a $ref URL; Protobuf: an import path), and the
/// referenced schema's text and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub text: String,
    pub schema_type: SchemaType,
}

/// A schema that parsed and validated.
#[derive(Debug)]
pub struct ParsedSchema {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Avro(avro::AvroSchema),
    Json(json::JsonSchema),
    Protobuf(protobuf::ProtobufSchema),
}

/// How incompatibility messages name the two schemas: Confluent words them as "new"/"old"
/// whichever of the two is the reader.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Labels {
    pub reader: &'static str,
    pub writer: &'static str,
}

impl Labels {
    /// BACKWARD: the new schema reads data written with the old one.
    pub(crate) const NEW_READS_OLD: Labels = Labels {
        reader: "new",
        writer: "old",
    };
    /// FORWARD: the old schema reads data written with the new one.
    pub(crate) const OLD_READS_NEW: Labels = Labels {
        reader: "old",
        writer: "new",
    };
}

impl ParsedSchema {
    /// Err(details) becomes 42201 "Invalid schema ...": parse errors, invalid defaults, bad names, missing references.
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[Reference],
    ) -> Result<ParsedSchema, String> {
        let inner = match schema_type {
            SchemaType::Avro => Inner::Avro(avro::AvroSchema::parse(text, references)?),
            SchemaType::Json => Inner::Json(json::JsonSchema::parse(text, references)?),
            SchemaType::Protobuf => Inner::Protobuf(protobuf::ProtobufSchema::parse(text, references)?),
        };
        Ok(ParsedSchema { inner })
    }

    pub fn schema_type(&self) -> SchemaType {
        match self.inner {
            Inner::Avro(_) => SchemaType::Avro,
            Inner::Json(_) => SchemaType::Json,
            Inner::Protobuf(_) => SchemaType::Protobuf,
        }
    }

    /// The text the registry stores and returns (Confluent's canonical string, §8).
    pub fn canonical(&self) -> String {
        match &self.inner {
            Inner::Avro(s) => s.canonical(),
            Inner::Json(s) => s.canonical(),
            Inner::Protobuf(s) => s.canonical(),
        }
    }

    /// Confluent's normalized form (`?normalize=true`).
    pub fn normalized(&self) -> String {
        match &self.inner {
            Inner::Avro(s) => s.normalized(),
            Inner::Json(s) => s.normalized(),
            Inner::Protobuf(s) => s.normalized(),
        }
    }

    /// The schema in one of Confluent's `?format=`s that this type has (Protobuf's
    /// `serialized`); None for any other, which Confluent answers with the stored text.
    pub fn formatted(&self, format: &str) -> Option<String> {
        match (&self.inner, format) {
            (Inner::Protobuf(s), "serialized") => Some(s.serialized()),
            _ => None,
        }
    }

    /// Whether a reader with this schema can read data written with `writer` (for BACKWARD:
    /// self = new, writer = old; FORWARD swaps them). Ok(()) or the incompatibility messages,
    /// worded like Confluent's with this schema as the "new" one.
    pub fn can_read(&self, writer: &ParsedSchema) -> Result<(), Vec<String>> {
        self.can_read_as(writer, Labels::NEW_READS_OLD)
    }

    pub(crate) fn can_read_as(&self, writer: &ParsedSchema, labels: Labels) -> Result<(), Vec<String>> {
        let messages = match (&self.inner, &writer.inner) {
            (Inner::Avro(r), Inner::Avro(w)) => r.can_read(w, labels),
            (Inner::Json(r), Inner::Json(w)) => r.can_read(w, labels),
            (Inner::Protobuf(r), Inner::Protobuf(w)) => r.can_read(w, labels),
            _ => vec![compatibility::DIFFERENT_TYPE.to_owned()],
        };
        if messages.is_empty() {
            Ok(())
        } else {
            Err(messages)
        }
    }

    /// Structural equality used when the canonical text differs (Confluent's canLookup).
    pub fn equivalent(&self, other: &ParsedSchema) -> bool {
        match (&self.inner, &other.inner) {
            (Inner::Avro(a), Inner::Avro(b)) => a.equivalent(b),
            (Inner::Json(a), Inner::Json(b)) => a.equivalent(b),
            (Inner::Protobuf(a), Inner::Protobuf(b)) => a.equivalent(b),
            _ => false,
        }
    }
}

/// One incompatibility, worded as Confluent words them.
pub(crate) fn difference(error_type: &str, description: &str, additional_info: Option<&str>) -> String {
    match additional_info {
        Some(info) => {
            format!("{{errorType:'{error_type}', description:'{description}', additionalInfo:'{info}'}}")
        }
        None => format!("{{errorType:'{error_type}', description:'{description}'}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_type_names() {
        assert_eq!(SchemaType::parse(None), Ok(SchemaType::Avro));
        assert_eq!(SchemaType::parse(Some("PROTOBUF")), Ok(SchemaType::Protobuf));
        assert_eq!(
            SchemaType::parse(Some("JSON")).map(SchemaType::as_str),
            Ok("JSON")
        );
        assert_eq!(
            SchemaType::parse(Some("json")),
            Err("Invalid schema type json".to_owned())
        );
        assert_eq!(
            serde_json::to_string(&SchemaType::Protobuf).unwrap(),
            "\"PROTOBUF\""
        );
        assert_eq!(
            serde_json::from_str::<SchemaType>("\"AVRO\"").unwrap(),
            SchemaType::Avro
        );
    }

    #[test]
    fn different_types_are_neither_compatible_nor_equivalent() {
        let avro = ParsedSchema::parse(SchemaType::Avro, r#""string""#, &[]).unwrap();
        let json = ParsedSchema::parse(SchemaType::Json, r#"{"type":"string"}"#, &[]).unwrap();
        assert_eq!(json.schema_type(), SchemaType::Json);
        assert!(!avro.equivalent(&json));
        assert_eq!(
            avro.can_read(&json),
            Err(vec!["Incompatible because of different schema type".to_owned()])
        );
    }
}
