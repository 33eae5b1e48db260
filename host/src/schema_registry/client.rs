//! A Schema Registry client (Confluent's REST API) for schema-format plugins, which reach it
//! through the host's `schema-registry` import. Schemas by id never change, so they are
//! cached for good; so are the ids of registered schemas, resolved references and the
//! versions found in subjects.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::config::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub id: u32,
    /// `AVRO`, `JSON` or `PROTOBUF` (the registry omits it for Avro).
    pub schema_type: String,
    pub text: String,
    /// The schemas it names as references, as the registry lists them.
    pub references: Vec<Reference>,
}

/// A registry `references` entry: the name the schema uses, and where it is registered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: u32,
}

/// A reference with the schema it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReference {
    pub reference: Reference,
    pub schema: RegisteredSchema,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryFailure {
    NotFound(String),
    Rejected(String),
    Unavailable(String),
}

#[derive(Deserialize)]
struct SchemaBody {
    #[serde(default)]
    id: Option<u32>,
    schema: String,
    #[serde(default, rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

impl SchemaBody {
    fn into_schema(self, id: u32) -> RegisteredSchema {
        RegisteredSchema {
            id,
            schema_type: self.schema_type.unwrap_or_else(|| "AVRO".to_string()),
            text: self.schema,
            references: self.references,
        }
    }
}

#[derive(Deserialize)]
struct SubjectVersion {
    subject: String,
    version: u32,
}

#[derive(Deserialize)]
struct IdBody {
    id: u32,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
}

pub struct RegistryClient {
    base: Url,
    /// HTTP Basic user and password, sent with every request.
    credentials: Option<(String, Secret)>,
    http: reqwest::Client,
    by_id: Mutex<HashMap<u32, RegisteredSchema>>,
    registered: Mutex<HashMap<(String, String, String), u32>>,
    by_version: Mutex<HashMap<(String, u32), RegisteredSchema>>,
    versions_in_subjects: Mutex<HashMap<(String, u32), u32>>,
}

impl RegistryClient {
    pub fn new(base: Url, credentials: Option<(String, Secret)>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        RegistryClient {
            base,
            credentials,
            http,
            by_id: Mutex::default(),
            registered: Mutex::default(),
            by_version: Mutex::default(),
            versions_in_subjects: Mutex::default(),
        }
    }

    pub async fn schema_by_id(&self, id: u32) -> Result<RegisteredSchema, RegistryFailure> {
        if let Some(schema) = self.by_id.lock().expect("cache lock").get(&id) {
            return Ok(schema.clone());
        }
        let body: SchemaBody = self
            .call(self.http.get(self.url(&["schemas", "ids", &id.to_string()])))
            .await?;
        let schema = body.into_schema(id);
        self.by_id.lock().expect("cache lock").insert(id, schema.clone());
        Ok(schema)
    }

    /// Registers `text` under `subject`, or finds its id when it is registered already.
    pub async fn register(&self, subject: &str, kind: &str, text: &str) -> Result<u32, RegistryFailure> {
        let key = (subject.to_string(), kind.to_string(), text.to_string());
        if let Some(id) = self.registered.lock().expect("cache lock").get(&key) {
            return Ok(*id);
        }
        let mut body = json!({ "schema": text });
        if kind != "AVRO" {
            body["schemaType"] = json!(kind);
        }
        let request = self
            .http
            .post(self.url(&["subjects", subject, "versions"]))
            .json(&body);
        let IdBody { id } = self.call(request).await?;
        self.registered.lock().expect("cache lock").insert(key, id);
        Ok(id)
    }

    pub async fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryFailure> {
        let body: SchemaBody = self
            .call(
                self.http
                    .get(self.url(&["subjects", subject, "versions", "latest"])),
            )
            .await?;
        let id = body
            .id
            .ok_or_else(|| RegistryFailure::Unavailable("registry answered without an id".into()))?;
        Ok(body.into_schema(id))
    }

    /// Every schema that schema `id` refers to, directly or not, each once, a schema's
    /// references before the schema itself.
    pub async fn references(&self, id: u32) -> Result<Vec<ResolvedReference>, RegistryFailure> {
        let root = self.schema_by_id(id).await?;
        let mut resolved: Vec<ResolvedReference> = Vec::new();
        // Depth-first, children before parents; `pending` holds (reference, children listed).
        let mut pending: Vec<(Reference, bool)> =
            root.references.iter().rev().map(|r| (r.clone(), false)).collect();
        let mut on_path: Vec<(String, u32)> = Vec::new();
        while let Some((reference, expanded)) = pending.pop() {
            let key = (reference.subject.clone(), reference.version);
            if expanded {
                on_path.retain(|k| *k != key);
                let schema = self.schema_by_version(&key.0, key.1).await?;
                resolved.push(ResolvedReference { reference, schema });
                continue;
            }
            let seen = |r: &ResolvedReference| r.reference.subject == key.0 && r.reference.version == key.1;
            if resolved.iter().any(seen) {
                continue;
            }
            if on_path.contains(&key) {
                return Err(RegistryFailure::Rejected(format!(
                    "schema {id}: reference cycle through {} version {}",
                    key.0, key.1
                )));
            }
            let schema = self.schema_by_version(&key.0, key.1).await?;
            on_path.push(key);
            pending.push((reference, true));
            pending.extend(schema.references.iter().rev().map(|r| (r.clone(), false)));
        }
        Ok(resolved)
    }

    /// The version of `subject` that holds schema `id`.
    pub async fn version_in_subject(&self, subject: &str, id: u32) -> Result<u32, RegistryFailure> {
        let key = (subject.to_string(), id);
        if let Some(version) = self.versions_in_subjects.lock().expect("cache lock").get(&key) {
            return Ok(*version);
        }
        let pairs: Vec<SubjectVersion> = self
            .call(
                self.http
                    .get(self.url(&["schemas", "ids", &id.to_string(), "versions"])),
            )
            .await?;
        let version = pairs
            .into_iter()
            .find(|pair| pair.subject == subject)
            .map(|pair| pair.version)
            .ok_or_else(|| {
                RegistryFailure::NotFound(format!("subject {subject} does not hold schema {id}"))
            })?;
        self.versions_in_subjects
            .lock()
            .expect("cache lock")
            .insert(key, version);
        Ok(version)
    }

    pub async fn schema_by_version(
        &self,
        subject: &str,
        version: u32,
    ) -> Result<RegisteredSchema, RegistryFailure> {
        let key = (subject.to_string(), version);
        if let Some(schema) = self.by_version.lock().expect("cache lock").get(&key) {
            return Ok(schema.clone());
        }
        let body: SchemaBody = self
            .call(
                self.http
                    .get(self.url(&["subjects", subject, "versions", &version.to_string()])),
            )
            .await?;
        let id = body
            .id
            .ok_or_else(|| RegistryFailure::Unavailable("registry answered without an id".into()))?;
        let schema = body.into_schema(id);
        self.by_version
            .lock()
            .expect("cache lock")
            .insert(key, schema.clone());
        Ok(schema)
    }

    /// The registry's URL for a path of segments, each percent-encoded (subjects may hold `/`).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(segments);
        url
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RegistryFailure> {
        let mut request = request.header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password.expose()));
        }
        let response = request
            .send()
            .await
            .map_err(|e| RegistryFailure::Unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|e| RegistryFailure::Unavailable(format!("unexpected answer: {e}")));
        }
        let message = response
            .json::<ErrorBody>()
            .await
            .map(|b| b.message)
            .unwrap_or_default();
        let message = format!("Schema Registry answered {status}: {message}");
        Err(match status.as_u16() {
            404 => RegistryFailure::NotFound(message),
            409 | 422 => RegistryFailure::Rejected(message),
            _ => RegistryFailure::Unavailable(message),
        })
    }
}
