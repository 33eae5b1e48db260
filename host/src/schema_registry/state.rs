//! The registry's state: what the `_schemas` records say once replayed in order — versions
//! per subject, schemas by id, compatibility and mode settings — and the questions the REST
//! API asks of it. Every instance builds it by reading the topic; only the writer adds to it.

use std::collections::{BTreeMap, HashMap};

use crate::kafka::compacted_topic::{CompactedTopic, TopicState};

use super::records::{ConfigValue, DeleteSubjectValue, Key, ModeValue, SchemaReference, SchemaValue};

/// A schema as an id names it: the same text, type and references under every subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdSchema {
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// A schema's identity, as Confluent hashes it: its text and references (not its type).
type Identity = (String, Vec<SchemaReference>);

/// Kafka is the registry's store, as for Confluent's: every instance reads the topic, the
/// leader alone writes it.
pub type KafkaStore = CompactedTopic<RegistryState>;

#[derive(Default)]
pub struct RegistryState {
    /// (subject, version) → the record, soft-deleted ones included.
    versions: BTreeMap<(String, i32), SchemaValue>,
    ids: HashMap<i32, IdSchema>,
    identities: HashMap<Identity, i32>,
    configs: BTreeMap<Option<String>, ConfigValue>,
    modes: BTreeMap<Option<String>, ModeValue>,
    max_id: i32,
}

impl TopicState for RegistryState {
    type Key = Key;
    const ROLE: &'static str = "schema-store";
    const DESCRIPTION: &'static str = "schema topic";

    fn noop() -> Key {
        Key::Noop
    }

    fn key_bytes(key: &Key) -> Vec<u8> {
        key.to_bytes()
    }

    fn parse_key(bytes: &[u8]) -> Result<Key, String> {
        Key::parse(bytes)
    }

    /// Applies one record of the topic (`value` `None`: a tombstone). A record that cannot be
    /// applied is skipped with the reason, as Confluent's reader does.
    fn apply(&mut self, key: &Key, value: Option<&[u8]>) -> Result<(), String> {
        let parse_error = |e: serde_json::Error| format!("bad value for {key:?}: {e}");
        match (key, value) {
            (Key::Schema { subject, version }, None) => {
                if let Some(removed) = self.versions.remove(&(subject.clone(), *version)) {
                    self.forget_unused_id(removed.id);
                }
            }
            (Key::Schema { .. }, Some(bytes)) => {
                let value: SchemaValue = serde_json::from_slice(bytes).map_err(parse_error)?;
                self.add_version(value)?;
            }
            (Key::Config { subject }, None) => {
                self.configs.remove(subject);
            }
            (Key::Config { subject }, Some(bytes)) => {
                let value: ConfigValue = serde_json::from_slice(bytes).map_err(parse_error)?;
                self.configs.insert(subject.clone(), value);
            }
            (Key::Mode { subject }, None) => {
                self.modes.remove(subject);
            }
            (Key::Mode { subject }, Some(bytes)) => {
                let value: ModeValue = serde_json::from_slice(bytes).map_err(parse_error)?;
                self.modes.insert(subject.clone(), value);
            }
            (Key::DeleteSubject { subject }, Some(bytes)) => {
                let value: DeleteSubjectValue = serde_json::from_slice(bytes).map_err(parse_error)?;
                for ((_, version), record) in self.versions.range_mut(subject_range(subject)) {
                    if *version <= value.version {
                        record.deleted = true;
                    }
                }
            }
            (Key::DeleteSubject { .. } | Key::ClearSubject { .. } | Key::Noop, _) => {}
        }
        Ok(())
    }
}

impl RegistryState {
    /// Duplicate-id guard: an id already bound to another schema text is refused.
    fn add_version(&mut self, value: SchemaValue) -> Result<(), String> {
        if let Some(existing) = self.ids.get(&value.id) {
            if existing.schema != value.schema || existing.references != value.references {
                return Err(format!(
                    "schema id {} of {}/{} is already bound to another schema",
                    value.id, value.subject, value.version
                ));
            }
        }
        self.ids.entry(value.id).or_insert_with(|| IdSchema {
            schema_type: value.schema_type().to_string(),
            schema: value.schema.clone(),
            references: value.references.clone(),
        });
        self.identities
            .entry((value.schema.clone(), value.references.clone()))
            .or_insert(value.id);
        self.max_id = self.max_id.max(value.id);
        let key = (value.subject.clone(), value.version);
        if let Some(replaced) = self.versions.insert(key, value) {
            self.forget_unused_id(replaced.id);
        }
        Ok(())
    }

    /// Drops an id from the indexes once no version holds it (after tombstones).
    fn forget_unused_id(&mut self, id: i32) {
        if self.versions.values().any(|v| v.id == id) {
            return;
        }
        if let Some(schema) = self.ids.remove(&id) {
            self.identities.remove(&(schema.schema, schema.references));
        }
    }

    /// Subjects with a live version (or any version with `deleted`), sorted.
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        let mut subjects: Vec<String> = self
            .versions
            .values()
            .filter(|v| deleted || !v.deleted)
            .map(|v| v.subject.clone())
            .collect();
        subjects.dedup();
        subjects
    }

    /// The versions of `subject`, ascending: live ones, or all with `deleted`.
    pub fn versions(&self, subject: &str, deleted: bool) -> Vec<&SchemaValue> {
        self.versions
            .range(subject_range(subject))
            .map(|(_, v)| v)
            .filter(|v| deleted || !v.deleted)
            .collect()
    }

    /// One version of `subject`, soft-deleted ones only with `deleted`.
    pub fn version(&self, subject: &str, version: i32, deleted: bool) -> Option<&SchemaValue> {
        self.versions
            .get(&(subject.to_string(), version))
            .filter(|v| deleted || !v.deleted)
    }

    /// The newest live version of `subject`.
    pub fn latest(&self, subject: &str) -> Option<&SchemaValue> {
        self.versions(subject, false).pop()
    }

    /// The version a new registration under `subject` gets: one more than any it ever had,
    /// soft-deleted ones included, so versions are never reused.
    pub fn next_version(&self, subject: &str) -> i32 {
        self.versions(subject, true).last().map_or(1, |v| v.version + 1)
    }

    pub fn by_id(&self, id: i32) -> Option<&IdSchema> {
        self.ids.get(&id)
    }

    /// The (subject, version) pairs holding `id`: live ones, or all with `deleted`.
    pub fn id_versions(&self, id: i32, deleted: bool) -> Vec<&SchemaValue> {
        self.versions
            .values()
            .filter(|v| v.id == id && (deleted || !v.deleted))
            .collect()
    }

    /// The id of a schema with this text and these references, under any subject.
    pub fn id_of(&self, schema: &str, references: &[SchemaReference]) -> Option<i32> {
        self.identities
            .get(&(schema.to_string(), references.to_vec()))
            .copied()
    }

    /// The id the next new schema gets: one more than any id ever seen.
    pub fn next_id(&self) -> i32 {
        self.max_id + 1
    }

    /// The compatibility setting of `subject` (`None`: global), if one is stored.
    pub fn config(&self, subject: Option<&str>) -> Option<&ConfigValue> {
        self.configs.get(&subject.map(str::to_string))
    }

    /// The mode of `subject` (`None`: global), if one is stored.
    pub fn mode(&self, subject: Option<&str>) -> Option<&ModeValue> {
        self.modes.get(&subject.map(str::to_string))
    }

    /// Live versions (of any subject) whose references name `subject` at `version`.
    pub fn referrers(&self, subject: &str, version: i32) -> Vec<&SchemaValue> {
        self.versions
            .values()
            .filter(|v| {
                !v.deleted
                    && v.references
                        .iter()
                        .any(|r| r.subject == subject && r.version == version)
            })
            .collect()
    }
}

/// Every (subject, version) key of one subject.
fn subject_range(subject: &str) -> std::ops::RangeInclusive<(String, i32)> {
    (subject.to_string(), i32::MIN)..=(subject.to_string(), i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_registry::records::to_bytes;

    fn schema(subject: &str, version: i32, id: i32, text: &str) -> (Key, Vec<u8>) {
        let value = SchemaValue {
            subject: subject.into(),
            version,
            id,
            schema_type: None,
            references: vec![],
            schema: text.into(),
            deleted: false,
        };
        (
            Key::Schema {
                subject: subject.into(),
                version,
            },
            to_bytes(&value),
        )
    }

    #[test]
    fn replay_builds_versions_ids_and_soft_deletes() {
        let mut state = RegistryState::default();
        for (key, value) in [
            schema("a", 1, 1, "\"string\""),
            schema("a", 2, 2, "\"int\""),
            schema("b", 1, 1, "\"string\""),
        ] {
            state.apply(&key, Some(&value)).unwrap();
        }
        assert_eq!(state.subjects(false), vec!["a", "b"]);
        assert_eq!(state.id_of("\"string\"", &[]), Some(1));
        assert_eq!(state.next_id(), 3);
        assert_eq!(state.id_versions(1, false).len(), 2);

        let watermark = to_bytes(&DeleteSubjectValue {
            subject: "a".into(),
            version: 2,
        });
        let delete = Key::DeleteSubject { subject: "a".into() };
        state.apply(&delete, Some(&watermark)).unwrap();
        assert_eq!(state.subjects(false), vec!["b"]);
        assert_eq!(state.subjects(true), vec!["a", "b"]);
        assert_eq!(state.next_version("a"), 3, "versions are never reused");
        assert!(
            state.by_id(2).is_some(),
            "soft-deleted schemas still resolve by id"
        );

        let tombstone = Key::Schema {
            subject: "a".into(),
            version: 2,
        };
        state.apply(&tombstone, None).unwrap();
        assert!(state.by_id(2).is_none());
        assert_eq!(state.next_id(), 3, "ids are never reused");
    }

    #[test]
    fn an_id_bound_to_another_schema_is_refused() {
        let mut state = RegistryState::default();
        let (key, value) = schema("a", 1, 1, "\"string\"");
        state.apply(&key, Some(&value)).unwrap();
        let (key, value) = schema("b", 1, 1, "\"int\"");
        assert!(state.apply(&key, Some(&value)).is_err());
        assert!(state.version("b", 1, true).is_none());
    }
}
