//! Compatibility levels and the check of a new schema against a subject's previous versions
//! (§7.1): which versions are checked, in which direction, and how failures are reported.

use super::{Labels, ParsedSchema};

pub(super) const DIFFERENT_TYPE: &str = "Incompatible because of different schema type";

/// Compatibility levels and the check over previous versions (§7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compatibility {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

const ALL: [Compatibility; 7] = [
    Compatibility::None,
    Compatibility::Backward,
    Compatibility::BackwardTransitive,
    Compatibility::Forward,
    Compatibility::ForwardTransitive,
    Compatibility::Full,
    Compatibility::FullTransitive,
];

impl Compatibility {
    /// A level by name, case-insensitive.
    pub fn parse(text: &str) -> Option<Compatibility> {
        ALL.into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// `previous` newest first, live versions only. Non-transitive levels check only the first;
    /// transitive ones stop at the first incompatible version. A different schema type than a
    /// previous one → "Incompatible because of different schema type". The messages are the
    /// differences (BACKWARD's before FORWARD's for FULL), then `{oldSchema: '...'}` and
    /// `{compatibility: 'LEVEL'}` as Confluent lists them; Confluent's `{oldSchemaVersion: N}`
    /// is the caller's to add, since only it knows version numbers.
    pub fn check(self, new: &ParsedSchema, previous: &[&ParsedSchema]) -> Result<(), Vec<String>> {
        let (backward, forward, transitive) = match self {
            Compatibility::None => return Ok(()),
            Compatibility::Backward => (true, false, false),
            Compatibility::BackwardTransitive => (true, false, true),
            Compatibility::Forward => (false, true, false),
            Compatibility::ForwardTransitive => (false, true, true),
            Compatibility::Full => (true, true, false),
            Compatibility::FullTransitive => (true, true, true),
        };
        let checked = if transitive {
            previous
        } else {
            previous.get(..1).unwrap_or_default()
        };
        for old in checked {
            if old.schema_type() != new.schema_type() {
                return Err(vec![DIFFERENT_TYPE.to_owned()]);
            }
            let mut messages = Vec::new();
            if backward {
                messages.extend(
                    new.can_read_as(old, Labels::NEW_READS_OLD)
                        .err()
                        .unwrap_or_default(),
                );
            }
            if forward {
                messages.extend(
                    old.can_read_as(new, Labels::OLD_READS_NEW)
                        .err()
                        .unwrap_or_default(),
                );
            }
            if !messages.is_empty() {
                messages.push(format!("{{oldSchema: '{}'}}", old.canonical()));
                messages.push(format!("{{compatibility: '{}'}}", self.as_str()));
                return Err(messages);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::SchemaType;
    use super::*;

    fn record(fields: &str) -> ParsedSchema {
        let text = format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#);
        ParsedSchema::parse(SchemaType::Avro, &text, &[]).unwrap()
    }

    #[test]
    fn names() {
        for level in ALL {
            assert_eq!(Compatibility::parse(level.as_str()), Some(level));
        }
        assert_eq!(
            Compatibility::parse("full_transitive"),
            Some(Compatibility::FullTransitive)
        );
        assert_eq!(Compatibility::parse("Backward"), Some(Compatibility::Backward));
        assert_eq!(Compatibility::parse("SIDEWAYS"), None);
    }

    #[test]
    fn directions() {
        let old = record(r#"{"name":"a","type":"int"}"#);
        // Adds a field without a default: old data lacks it (BACKWARD fails), old readers
        // ignore it (FORWARD passes).
        let added = record(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
        assert_eq!(Compatibility::Forward.check(&added, &[&old]), Ok(()));
        assert_eq!(Compatibility::None.check(&added, &[&old]), Ok(()));
        let backward = Compatibility::Backward.check(&added, &[&old]).unwrap_err();
        assert!(
            backward[0].contains("in the new schema has no default value and is missing in the old schema")
        );
        assert_eq!(
            backward[1],
            r#"{oldSchema: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'}"#
        );
        assert_eq!(backward[2], "{compatibility: 'BACKWARD'}");
        assert!(Compatibility::Full.check(&added, &[&old]).is_err());
        // Removes a field without a default: the mirror image.
        let removed = record("");
        assert_eq!(Compatibility::Backward.check(&removed, &[&old]), Ok(()));
        let forward = Compatibility::Forward.check(&removed, &[&old]).unwrap_err();
        assert!(
            forward[0].contains("in the old schema has no default value and is missing in the new schema")
        );
        // A field with a default passes both ways.
        let defaulted = record(r#"{"name":"a","type":"int"},{"name":"b","type":"int","default":0}"#);
        assert_eq!(Compatibility::Full.check(&defaulted, &[&old]), Ok(()));
        assert_eq!(Compatibility::Backward.check(&old, &[]), Ok(()));
    }

    #[test]
    fn transitive_levels_check_every_previous_version() {
        let v1 = record(r#"{"name":"a","type":"int"}"#);
        let v2 = record(r#"{"name":"a","type":"int"},{"name":"b","type":"int","default":0}"#);
        // v3 drops b's default: it reads v2's data but not v1's.
        let v3 = record(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
        assert_eq!(Compatibility::Backward.check(&v3, &[&v2, &v1]), Ok(()));
        assert!(Compatibility::BackwardTransitive.check(&v3, &[&v2, &v1]).is_err());
        assert_eq!(Compatibility::FullTransitive.check(&v2, &[&v1]), Ok(()));
    }

    #[test]
    fn a_different_schema_type_is_incompatible() {
        let json = ParsedSchema::parse(SchemaType::Json, r#"{"type":"object"}"#, &[]).unwrap();
        let old = record("");
        assert_eq!(
            Compatibility::Backward.check(&json, &[&old]),
            Err(vec![DIFFERENT_TYPE.to_owned()])
        );
        assert_eq!(
            Compatibility::ForwardTransitive.check(&json, &[&old]),
            Err(vec![DIFFERENT_TYPE.to_owned()])
        );
    }
}
