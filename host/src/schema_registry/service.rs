//! The registry's operations with Confluent's rules and error codes: reads answer from the
//! replayed state; writes (on the leader) catch up with the topic, decide, and write records.

use std::sync::Arc;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::records::{self, ConfigValue, DeleteSubjectValue, Key, ModeValue, SchemaReference, SchemaValue};
use super::schema_types::{Compatibility, ParsedSchema, Reference, SchemaType};
use super::state::{KafkaStore, RegistryState};
use crate::error::ApiError;
use crate::kafka::compacted_topic::StoreError;

/// A register, lookup or compatibility request body (unknown fields are ignored, as by
/// Confluent's registry).
#[derive(Debug, Deserialize)]
pub struct SchemaRequest {
    pub schema: Option<String>,
    #[serde(rename = "schemaType")]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
    /// IMPORT mode only.
    pub id: Option<i32>,
    pub version: Option<i32>,
}

/// A version as the REST API shows it.
#[derive(Debug, Serialize)]
pub struct SchemaResponse {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    #[serde(rename = "schemaType")]
    pub schema_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    pub schema: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl From<&SchemaValue> for SchemaResponse {
    fn from(v: &SchemaValue) -> Self {
        SchemaResponse {
            subject: v.subject.clone(),
            version: v.version,
            id: v.id,
            schema_type: v.schema_type().to_string(),
            references: v.references.clone(),
            schema: v.schema.clone(),
            deleted: v.deleted,
        }
    }
}

/// `{v}` of a versions path: `latest` (or -1) or a number from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Number(i32),
}

impl VersionSpec {
    /// 422/42202 for anything else.
    pub fn parse(text: &str) -> Result<VersionSpec, ApiError> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(VersionSpec::Latest);
        }
        match trimmed.parse::<i32>() {
            Ok(-1) => Ok(VersionSpec::Latest),
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(unprocessable(
                42202,
                format!(
                    "The specified version '{text}' is not a valid version id. Allowed values are between \
                     [1, 2^31-1] and the string \"latest\""
                ),
            )),
        }
    }

    fn number(self) -> i32 {
        match self {
            VersionSpec::Latest => -1,
            VersionSpec::Number(n) => n,
        }
    }
}

/// Modes a subject or the registry can be in.
const MODES: &[&str] = &["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD"];

pub struct RegistryService {
    store: Arc<KafkaStore>,
    /// `schema.compatibility.level`: the level when none is configured.
    default_level: Compatibility,
}

impl RegistryService {
    pub fn new(store: Arc<KafkaStore>, default_level: Compatibility) -> Self {
        RegistryService { store, default_level }
    }

    /// Waits until this instance has read the whole topic (after a write elsewhere).
    pub async fn read_to_end(&self) -> Result<(), StoreError> {
        self.store.read_to_end().await
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, RegistryState> {
        self.store.state()
    }

    pub fn subjects(&self, deleted: bool, deleted_only: bool) -> Vec<String> {
        let state = self.state();
        let all = state.subjects(deleted || deleted_only);
        if !deleted_only {
            return all;
        }
        let live = state.subjects(false);
        all.into_iter()
            .filter(|s| state.versions(s, true).iter().any(|v| v.deleted) || !live.contains(s))
            .collect()
    }

    pub fn versions(&self, subject: &str, deleted: bool, deleted_only: bool) -> Result<Vec<i32>, ApiError> {
        let state = self.state();
        let versions: Vec<i32> = state
            .versions(subject, deleted || deleted_only)
            .into_iter()
            .filter(|v| !deleted_only || v.deleted)
            .map(|v| v.version)
            .collect();
        if versions.is_empty() {
            return Err(subject_not_found(subject));
        }
        Ok(versions)
    }

    /// One version: 40401 when the subject has none, 40402 when not this one. `latest` is the
    /// newest live version even with `deleted`.
    pub fn version(&self, subject: &str, spec: VersionSpec, deleted: bool) -> Result<SchemaValue, ApiError> {
        let state = self.state();
        version_of(&state, subject, spec, deleted).cloned()
    }

    pub fn by_id(&self, id: i32) -> Result<(String, String, Vec<SchemaReference>), ApiError> {
        let state = self.state();
        let schema = state.by_id(id).ok_or_else(|| schema_not_found(Some(id)))?;
        Ok((
            schema.schema_type.clone(),
            schema.schema.clone(),
            schema.references.clone(),
        ))
    }

    /// A stored schema as `?format=` asks for it: Protobuf's `serialized` (a base64
    /// `FileDescriptorProto`, which Confluent's serializers fetch); otherwise the stored text.
    pub fn formatted(
        &self,
        schema_type: &str,
        schema: String,
        references: &[SchemaReference],
        format: Option<&str>,
    ) -> Result<String, ApiError> {
        let Some(format) = format.filter(|_| schema_type == SchemaType::Protobuf.as_str()) else {
            return Ok(schema);
        };
        let state = self.state();
        let parsed = ParsedSchema::parse(SchemaType::Protobuf, &schema, &resolve(&state, references)?)
            .map_err(|e| server_error(format!("stored schema does not parse: {e}")))?;
        Ok(parsed.formatted(format).unwrap_or(schema))
    }

    /// The (subject, version) pairs holding `id`.
    pub fn id_versions(&self, id: i32, deleted: bool) -> Result<Vec<(String, i32)>, ApiError> {
        let state = self.state();
        state.by_id(id).ok_or_else(|| schema_not_found(None))?;
        Ok(state
            .id_versions(id, deleted)
            .into_iter()
            .map(|v| (v.subject.clone(), v.version))
            .collect())
    }

    /// The ids of live versions that reference `subject` at `spec`.
    pub fn referenced_by(&self, subject: &str, spec: VersionSpec) -> Result<Vec<i32>, ApiError> {
        let state = self.state();
        let version = version_of(&state, subject, spec, false)?.version;
        let mut ids: Vec<i32> = state.referrers(subject, version).iter().map(|v| v.id).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// POST /subjects/{s}: the version of `subject` holding this schema.
    pub fn lookup(
        &self,
        subject: &str,
        request: &SchemaRequest,
        deleted: bool,
    ) -> Result<SchemaValue, ApiError> {
        let state = self.state();
        if state.versions(subject, deleted).is_empty() {
            return Err(subject_not_found(subject));
        }
        let parsed = parse(&state, request)?;
        find_in_subject(&state, subject, &parsed, &request.references, deleted)
            .cloned()
            .ok_or_else(|| schema_not_found(None))
    }

    /// POST /subjects/{s}/versions on the leader: the id (existing or new) and version.
    pub async fn register(
        &self,
        subject: &str,
        request: SchemaRequest,
        normalize: bool,
    ) -> Result<SchemaValue, ApiError> {
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let record = {
            let state = self.state();
            let mode = effective_mode(&state, Some(subject));
            if mode.starts_with("READONLY") {
                return Err(not_permitted(format!("Subject {subject} is in read-only mode")));
            }
            let importing = matches!(mode.as_str(), "IMPORT" | "FORWARD");
            if importing {
                import_record(&state, subject, &request)?
            } else {
                if request.id.is_some_and(|id| id >= 0) {
                    return Err(not_permitted(format!("Subject {subject} is not in import mode")));
                }
                let parsed = parse(&state, &request)?;
                let normalize = normalize || config_normalize(&state, subject);
                let text = if normalize {
                    parsed.normalized()
                } else {
                    parsed.canonical()
                };
                if let Some(existing) = find_in_subject(&state, subject, &parsed, &request.references, false)
                {
                    return Ok(existing.clone());
                }
                let previous = live_parsed(&state, subject)?;
                let previous: Vec<&ParsedSchema> = previous.iter().collect();
                let level = effective_level(&state, Some(subject), self.default_level);
                level
                    .check(&parsed, &previous)
                    .map_err(|messages| incompatible(subject, &messages))?;
                let version = state.next_version(subject);
                if request.version.is_some_and(|v| v > 0 && v != version) {
                    return Err(unprocessable(
                        42201,
                        "Version is not one more than previous version",
                    ));
                }
                SchemaValue {
                    subject: subject.to_string(),
                    version,
                    id: state
                        .id_of(&text, &request.references)
                        .unwrap_or_else(|| state.next_id()),
                    schema_type: Some(parsed.schema_type().as_str().to_string()),
                    references: request.references.clone(),
                    schema: text,
                    deleted: false,
                }
            }
        };
        let key = Key::Schema {
            subject: subject.to_string(),
            version: record.version,
        };
        self.store
            .write(vec![(key, Some(records::to_bytes(&record)))])
            .await
            .map_err(store_error)?;
        Ok(record)
    }

    /// DELETE /subjects/{s}/versions/{v}: soft, or `permanent` after a soft delete.
    pub async fn delete_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let writes = {
            let state = self.state();
            check_writable(&state, subject)?;
            // Soft-deleted versions are found too: deleting one again is 40406, not 40402.
            let mut record = version_of(&state, subject, spec, true)?.clone();
            if !state.referrers(subject, record.version).is_empty() {
                return Err(referenced(&record));
            }
            let key = Key::Schema {
                subject: subject.to_string(),
                version: record.version,
            };
            match (permanent, record.deleted) {
                (false, true) => {
                    return Err(not_found(
                        40406,
                        format!(
                            "Subject '{subject}' Version {} was soft deleted.Set permanent=true to delete permanently",
                            record.version
                        ),
                    ))
                }
                (true, false) => {
                    return Err(not_found(
                        40407,
                        format!(
                            "Subject '{subject}' Version {} was not deleted first before being permanently deleted",
                            record.version
                        ),
                    ))
                }
                (true, true) => vec![(key, None)],
                (false, false) => {
                    record.deleted = true;
                    vec![(key, Some(records::to_bytes(&record)))]
                }
            }
        };
        let version = match &writes[0].0 {
            Key::Schema { version, .. } => *version,
            _ => spec.number(),
        };
        self.store.write(writes).await.map_err(store_error)?;
        Ok(version)
    }

    /// DELETE /subjects/{s}: soft (one DELETE_SUBJECT record), or `permanent` after that.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>, ApiError> {
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let (versions, writes) = {
            let state = self.state();
            check_writable(&state, subject)?;
            let all = state.versions(subject, true);
            if all.is_empty() {
                return Err(subject_not_found(subject));
            }
            let live: Vec<&SchemaValue> = all.iter().copied().filter(|v| !v.deleted).collect();
            if let Some(record) = live
                .iter()
                .find(|v| !state.referrers(subject, v.version).is_empty())
            {
                return Err(referenced(record));
            }
            if permanent {
                if !live.is_empty() {
                    return Err(not_found(
                        40405,
                        format!("Subject '{subject}' was not deleted first before being permanently deleted"),
                    ));
                }
                let versions: Vec<i32> = all.iter().map(|v| v.version).collect();
                let mut writes: Vec<(Key, Option<Vec<u8>>)> = versions
                    .iter()
                    .rev()
                    .map(|version| {
                        let key = Key::Schema {
                            subject: subject.to_string(),
                            version: *version,
                        };
                        (key, None)
                    })
                    .collect();
                let owned = Some(subject.to_string());
                writes.push((
                    Key::Mode {
                        subject: owned.clone(),
                    },
                    None,
                ));
                writes.push((Key::Config { subject: owned }, None));
                (versions, writes)
            } else {
                if live.is_empty() {
                    return Err(not_found(
                        40404,
                        format!(
                            "Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
                        ),
                    ));
                }
                let versions: Vec<i32> = live.iter().map(|v| v.version).collect();
                let watermark = DeleteSubjectValue {
                    subject: subject.to_string(),
                    version: versions.last().copied().unwrap_or_default(),
                };
                let key = Key::DeleteSubject {
                    subject: subject.to_string(),
                };
                (versions, vec![(key, Some(records::to_bytes(&watermark)))])
            }
        };
        self.store.write(writes).await.map_err(store_error)?;
        Ok(versions)
    }

    /// POST /compatibility/subjects/{s}/versions[/{v}]: whether `request` could be registered
    /// (against one version, or against what the subject's level checks).
    pub fn test_compatibility(
        &self,
        subject: &str,
        spec: Option<VersionSpec>,
        request: &SchemaRequest,
        verbose: bool,
    ) -> Result<(bool, Vec<String>), ApiError> {
        let state = self.state();
        let parsed = match parse(&state, request) {
            Ok(parsed) => parsed,
            Err(error) if verbose => return Ok((false, vec![error.message])),
            Err(error) => return Err(error),
        };
        let level = effective_level(&state, Some(subject), self.default_level);
        let previous = match spec {
            Some(VersionSpec::Number(n)) => {
                let record = state
                    .version(subject, n, false)
                    .ok_or_else(|| version_not_found(n))?;
                vec![parse_stored(&state, record)?]
            }
            Some(VersionSpec::Latest) => live_parsed(&state, subject)?.into_iter().take(1).collect(),
            None => live_parsed(&state, subject)?,
        };
        let previous: Vec<&ParsedSchema> = previous.iter().collect();
        Ok(match level.check(&parsed, &previous) {
            Ok(()) => (true, Vec::new()),
            Err(messages) => (false, messages),
        })
    }

    /// GET /config[/{s}].
    pub fn config(&self, subject: Option<&str>, default_to_global: bool) -> Result<ConfigValue, ApiError> {
        let state = self.state();
        let stored = state.config(subject).cloned();
        match (subject, stored) {
            (_, Some(mut config)) => {
                config.subject = None;
                config
                    .compatibility_level
                    .get_or_insert_with(|| self.default_level.as_str().to_string());
                Ok(config)
            }
            (Some(subject), None) if !default_to_global => Err(not_found(
                40408,
                format!("Subject '{subject}' does not have subject-level compatibility configured"),
            )),
            _ => Ok(ConfigValue {
                subject: None,
                compatibility_level: Some(
                    effective_level(&state, None, self.default_level)
                        .as_str()
                        .to_string(),
                ),
                normalize: state.config(None).and_then(|c| c.normalize),
            }),
        }
    }

    /// PUT /config[/{s}]: merges the fields sent into the stored setting.
    pub async fn set_config(
        &self,
        subject: Option<&str>,
        level: Option<&str>,
        normalize: Option<bool>,
    ) -> Result<ConfigValue, ApiError> {
        let level = match level {
            Some(text) => Some(Compatibility::parse(text).ok_or_else(|| {
                unprocessable(
                    42203,
                    "Invalid compatibility level. Valid values are none, backward, forward, full, \
                     backward_transitive, forward_transitive, and full_transitive",
                )
            })?),
            None => None,
        };
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let value = {
            let state = self.state();
            if let Some(subject) = subject {
                check_writable(&state, subject)?;
            }
            let mut value = state.config(subject).cloned().unwrap_or_default();
            value.subject = subject.map(str::to_string);
            if let Some(level) = level {
                value.compatibility_level = Some(level.as_str().to_string());
            }
            if normalize.is_some() {
                value.normalize = normalize;
            }
            value
        };
        let key = Key::Config {
            subject: subject.map(str::to_string),
        };
        self.store
            .write(vec![(key, Some(records::to_bytes(&value)))])
            .await
            .map_err(store_error)?;
        Ok(value)
    }

    /// DELETE /config[/{s}]: the setting it removes (40401 for a subject without one).
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigValue, ApiError> {
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let previous = self.state().config(subject).cloned();
        let previous = match (previous, subject) {
            (Some(previous), _) => previous,
            (None, Some(subject)) => return Err(subject_not_found(subject)),
            (None, None) => return self.config(None, true),
        };
        let key = Key::Config {
            subject: subject.map(str::to_string),
        };
        self.store.write(vec![(key, None)]).await.map_err(store_error)?;
        Ok(ConfigValue {
            subject: None,
            ..previous
        })
    }

    /// GET /mode[/{s}].
    pub fn mode(&self, subject: Option<&str>, default_to_global: bool) -> Result<String, ApiError> {
        let state = self.state();
        match (subject, state.mode(subject)) {
            (_, Some(mode)) => Ok(mode.mode.clone()),
            (Some(subject), None) if !default_to_global => Err(not_found(
                40409,
                format!("Subject '{subject}' does not have subject-level mode configured"),
            )),
            _ => Ok(effective_mode(&state, None)),
        }
    }

    /// PUT /mode[/{s}]. Entering IMPORT needs no live subjects in scope unless `force`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str, force: bool) -> Result<String, ApiError> {
        let mode = mode.to_ascii_uppercase();
        if !MODES.contains(&mode.as_str()) || (mode == "FORWARD" && subject.is_some()) {
            return Err(unprocessable(
                42204,
                "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.",
            ));
        }
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        if mode == "IMPORT" && !force {
            let state = self.state();
            let live = match subject {
                Some(subject) => !state.versions(subject, false).is_empty(),
                None => !state.subjects(false).is_empty(),
            };
            if live {
                return Err(not_permitted(
                    "Cannot import since found existing subjects".to_string(),
                ));
            }
        }
        let value = ModeValue {
            subject: subject.map(str::to_string),
            mode: mode.clone(),
        };
        let key = Key::Mode {
            subject: subject.map(str::to_string),
        };
        self.store
            .write(vec![(key, Some(records::to_bytes(&value)))])
            .await
            .map_err(store_error)?;
        Ok(mode)
    }

    /// DELETE /mode[/{s}]: the mode it removes (40401 for a subject without one).
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<String, ApiError> {
        let _writer = self.store.lock().await;
        self.store
            .catch_up(self.store.timeout())
            .await
            .map_err(store_error)?;
        let previous = self.state().mode(subject).map(|m| m.mode.clone());
        let previous = match (previous, subject) {
            (Some(previous), _) => previous,
            (None, Some(subject)) => return Err(subject_not_found(subject)),
            (None, None) => return Ok("READWRITE".to_string()),
        };
        let key = Key::Mode {
            subject: subject.map(str::to_string),
        };
        self.store.write(vec![(key, None)]).await.map_err(store_error)?;
        Ok(previous)
    }
}

fn version_of<'a>(
    state: &'a RegistryState,
    subject: &str,
    spec: VersionSpec,
    deleted: bool,
) -> Result<&'a SchemaValue, ApiError> {
    if state.versions(subject, deleted).is_empty() {
        return Err(subject_not_found(subject));
    }
    let found = match spec {
        VersionSpec::Latest => state.latest(subject),
        VersionSpec::Number(n) => state.version(subject, n, deleted),
    };
    found.ok_or_else(|| version_not_found(spec.number()))
}

/// The record for an IMPORT-mode registration: the request's own id and version, unchecked.
fn import_record(
    state: &RegistryState,
    subject: &str,
    request: &SchemaRequest,
) -> Result<SchemaValue, ApiError> {
    let id = request
        .id
        .filter(|id| *id >= 0)
        .ok_or_else(|| not_permitted(format!("Subject {subject} is not in read-write mode")))?;
    let schema = request.schema.clone().unwrap_or_default();
    if let Some(existing) = state.by_id(id) {
        if existing.schema != schema || existing.references != request.references {
            return Err(not_permitted(format!(
                "Overwrite new schema with id {id} in context . is not permitted."
            )));
        }
    }
    let schema_type =
        SchemaType::parse(request.schema_type.as_deref()).map_err(|e| unprocessable(42201, e))?;
    Ok(SchemaValue {
        subject: subject.to_string(),
        version: request
            .version
            .filter(|v| *v > 0)
            .unwrap_or_else(|| state.next_version(subject)),
        id,
        schema_type: Some(schema_type.as_str().to_string()),
        references: request.references.clone(),
        schema,
        deleted: false,
    })
}

/// Parses a request's schema with its references resolved; 42201 when it does not parse.
fn parse(state: &RegistryState, request: &SchemaRequest) -> Result<ParsedSchema, ApiError> {
    let schema_type =
        SchemaType::parse(request.schema_type.as_deref()).map_err(|e| unprocessable(42201, e))?;
    let text = request
        .schema
        .as_deref()
        .ok_or_else(|| unprocessable(42201, "Invalid schema: empty schema"))?;
    let references = resolve(state, &request.references)?;
    ParsedSchema::parse(schema_type, text, &references).map_err(|details| {
        unprocessable(
            42201,
            format!(
                "Invalid schema {text} with refs {:?} of type {}, details: {details}",
                request.references,
                schema_type.as_str()
            ),
        )
    })
}

/// A stored version parsed again (for compatibility checks and look-ups).
fn parse_stored(state: &RegistryState, record: &SchemaValue) -> Result<ParsedSchema, ApiError> {
    let schema_type = SchemaType::parse(Some(record.schema_type())).map_err(server_error)?;
    let references = resolve(state, &record.references)?;
    ParsedSchema::parse(schema_type, &record.schema, &references).map_err(|e| {
        server_error(format!(
            "stored schema {}/{} does not parse: {e}",
            record.subject, record.version
        ))
    })
}

/// The live versions of `subject`, parsed, newest first.
fn live_parsed(state: &RegistryState, subject: &str) -> Result<Vec<ParsedSchema>, ApiError> {
    state
        .versions(subject, false)
        .into_iter()
        .rev()
        .map(|record| parse_stored(state, record))
        .collect()
}

/// References resolved to the schemas they name, their own references first (depth first).
fn resolve(state: &RegistryState, references: &[SchemaReference]) -> Result<Vec<Reference>, ApiError> {
    let mut resolved: Vec<Reference> = Vec::new();
    let mut pending: Vec<(&SchemaReference, bool)> = references.iter().rev().map(|r| (r, false)).collect();
    let mut depth = 0;
    while let Some((reference, expanded)) = pending.pop() {
        let spec = if reference.version == -1 {
            VersionSpec::Latest
        } else {
            VersionSpec::Number(reference.version)
        };
        let record = version_of(state, &reference.subject, spec, false).map_err(|_| {
            unprocessable(
                42201,
                format!(
                    "Invalid schema: reference {} to {} version {} does not exist",
                    reference.name, reference.subject, reference.version
                ),
            )
        })?;
        if expanded {
            if !resolved.iter().any(|r| r.name == reference.name) {
                let schema_type = SchemaType::parse(Some(record.schema_type())).map_err(server_error)?;
                resolved.push(Reference {
                    name: reference.name.clone(),
                    text: record.schema.clone(),
                    schema_type,
                });
            }
            continue;
        }
        depth += 1;
        if depth > 1000 {
            return Err(unprocessable(42201, "Invalid schema: references nest too deeply"));
        }
        pending.push((reference, true));
        pending.extend(record.references.iter().rev().map(|r| (r, false)));
    }
    Ok(resolved)
}

/// The version of `subject` holding this schema: the same id, else an equivalent schema.
fn find_in_subject<'a>(
    state: &'a RegistryState,
    subject: &str,
    parsed: &ParsedSchema,
    references: &[SchemaReference],
    deleted: bool,
) -> Option<&'a SchemaValue> {
    let versions = state.versions(subject, deleted);
    let by_id = [parsed.canonical(), parsed.normalized()]
        .iter()
        .filter_map(|text| state.id_of(text, references))
        .find_map(|id| versions.iter().rev().find(|v| v.id == id).copied());
    by_id.or_else(|| {
        versions.iter().rev().copied().find(|v| {
            v.references == references
                && parse_stored(state, v).is_ok_and(|stored| {
                    stored.schema_type() == parsed.schema_type() && stored.equivalent(parsed)
                })
        })
    })
}

fn effective_level(state: &RegistryState, subject: Option<&str>, default: Compatibility) -> Compatibility {
    subject
        .and_then(|s| state.config(Some(s)))
        .and_then(|c| c.compatibility_level.as_deref())
        .or_else(|| state.config(None).and_then(|c| c.compatibility_level.as_deref()))
        .and_then(Compatibility::parse)
        .unwrap_or(default)
}

fn config_normalize(state: &RegistryState, subject: &str) -> bool {
    state
        .config(Some(subject))
        .and_then(|c| c.normalize)
        .or_else(|| state.config(None).and_then(|c| c.normalize))
        .unwrap_or(false)
}

fn effective_mode(state: &RegistryState, subject: Option<&str>) -> String {
    subject
        .and_then(|s| state.mode(Some(s)))
        .or_else(|| state.mode(None))
        .map_or_else(|| "READWRITE".to_string(), |m| m.mode.clone())
}

fn check_writable(state: &RegistryState, subject: &str) -> Result<(), ApiError> {
    if effective_mode(state, Some(subject)).starts_with("READONLY") {
        return Err(not_permitted(format!("Subject {subject} is in read-only mode")));
    }
    Ok(())
}

/// 409 with the differences the check found (they end with the level checked).
fn incompatible(subject: &str, messages: &[String]) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        409,
        format!(
            "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
            messages.join(", ")
        ),
    )
}

fn referenced(record: &SchemaValue) -> ApiError {
    unprocessable(
        42206,
        format!(
            "One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={},version={}}}.",
            record.subject, record.version
        ),
    )
}

pub fn subject_not_found(subject: &str) -> ApiError {
    not_found(40401, format!("Subject '{subject}' not found."))
}

fn version_not_found(version: i32) -> ApiError {
    not_found(40402, format!("Version {version} not found."))
}

pub fn schema_not_found(id: Option<i32>) -> ApiError {
    match id {
        Some(id) => not_found(40403, format!("Schema {id} not found")),
        None => not_found(40403, "Schema not found"),
    }
}

fn not_found(code: u32, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, message)
}

fn unprocessable(code: u32, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn not_permitted(message: String) -> ApiError {
    unprocessable(42205, message)
}

fn server_error(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 500, message)
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::TimedOut(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, m),
        StoreError::Failed(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50001, m),
    }
}
