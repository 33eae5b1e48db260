//! A Schema Registry client (Confluent's REST API) for schema-format plugins, which reach it
//! through the host's `schema-registry` import. Schemas by id never change, so they are
//! cached for good; so are the ids of registered schemas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub id: u32,
    /// `AVRO`, `JSON` or `PROTOBUF` (the registry omits it for Avro).
    pub schema_type: String,
    pub text: String,
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
    http: reqwest::Client,
    by_id: Mutex<HashMap<u32, RegisteredSchema>>,
    registered: Mutex<HashMap<(String, String, String), u32>>,
}

impl RegistryClient {
    pub fn new(base: Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        RegistryClient {
            base,
            http,
            by_id: Mutex::default(),
            registered: Mutex::default(),
        }
    }

    pub async fn schema_by_id(&self, id: u32) -> Result<RegisteredSchema, RegistryFailure> {
        if let Some(schema) = self.by_id.lock().expect("cache lock").get(&id) {
            return Ok(schema.clone());
        }
        let body: SchemaBody = self
            .call(self.http.get(self.url(&format!("schemas/ids/{id}"))))
            .await?;
        let schema = RegisteredSchema {
            id,
            schema_type: schema_type(body.schema_type),
            text: body.schema,
        };
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
            .post(self.url(&format!("subjects/{subject}/versions")))
            .json(&body);
        let IdBody { id } = self.call(request).await?;
        self.registered.lock().expect("cache lock").insert(key, id);
        Ok(id)
    }

    pub async fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryFailure> {
        let body: SchemaBody = self
            .call(
                self.http
                    .get(self.url(&format!("subjects/{subject}/versions/latest"))),
            )
            .await?;
        let id = body
            .id
            .ok_or_else(|| RegistryFailure::Unavailable("registry answered without an id".into()))?;
        Ok(RegisteredSchema {
            id,
            schema_type: schema_type(body.schema_type),
            text: body.schema,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base.as_str().trim_end_matches('/'))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RegistryFailure> {
        let request = request.header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
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

fn schema_type(given: Option<String>) -> String {
    given.unwrap_or_else(|| "AVRO".to_string())
}
