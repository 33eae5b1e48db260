//! The registry's REST API, Confluent's paths, shapes, content types and codes. Writes run
//! on the leader; another instance forwards them there (`X-Forward: true`) and passes the
//! leader's answer through.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::leadership::{Leadership, Writer};
use super::records::ConfigValue;
use super::service::{RegistryService, SchemaRequest, SchemaResponse, VersionSpec};
use crate::error::ApiError;
use crate::http::error::plain_text_error;
use crate::http::max_request_bytes;
use crate::http::metrics;

/// Confluent's default response type; `application/json` is answered when asked for.
const SR_V1: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPTED_BODIES: &[&str] = &[
    SR_V1,
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

#[derive(Clone)]
pub struct Registry {
    pub service: Arc<RegistryService>,
    pub leadership: Arc<Leadership>,
    pub forwarder: reqwest::Client,
}

type Shared = State<Registry>;
type Params = Query<HashMap<String, String>>;

/// An error in the registry's JSON and content type.
struct SrError(ApiError);

impl From<ApiError> for SrError {
    fn from(error: ApiError) -> Self {
        SrError(error)
    }
}

impl IntoResponse for SrError {
    fn into_response(self) -> Response {
        (self.0.status, [(CONTENT_TYPE, SR_V1)], self.0.body().to_string()).into_response()
    }
}

type Answer = Result<Response, SrError>;

fn ok(body: impl serde::Serialize) -> Answer {
    let text = serde_json::to_string(&body)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 500, e.to_string()))?;
    Ok(([(CONTENT_TYPE, SR_V1)], text).into_response())
}

pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/", get(root).post(root))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route("/schemas/types", get(types))
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/schema", get(by_id_schema))
        .route("/schemas/ids/{id}/subjects", get(id_subjects))
        .route("/schemas/ids/{id}/versions", get(id_versions))
        .route(
            "/config",
            get(global_config)
                .put(put_global_config)
                .delete(delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(put_subject_config)
                .delete(delete_subject_config),
        )
        .route(
            "/mode",
            get(global_mode).put(put_global_mode).delete(delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(subject_mode)
                .put(put_subject_mode)
                .delete(delete_subject_mode),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatible_with_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatible_with),
        )
        .fallback(|| async { SrError(ApiError::not_found()) })
        .method_not_allowed_fallback(|| async { SrError(ApiError::method_not_allowed()) })
        .layer(DefaultBodyLimit::max(max_request_bytes()))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(negotiate))
        .layer(middleware::from_fn(metrics::track_registry))
        .with_state(registry)
}

/// 415 for a body type the registry does not read; `application/json` answers for clients
/// that accept only that.
async fn negotiate(request: Request, next: Next) -> Response {
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if let Some(content_type) = content_type {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !ACCEPTED_BODIES.contains(&essence.as_str()) {
            return SrError(ApiError::unsupported_media_type()).into_response();
        }
    }
    let plain_json = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.contains("application/json")
                && !accept.contains("schemaregistry")
                && !accept.contains("*/*")
        });
    let mut response = next.run(request).await;
    if plain_json {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

/// The HTTP stack's plain-text rejections (bad path encoding, bad query string, body over
/// the limit) as the registry's JSON errors.
async fn json_errors(request: Request, next: Next) -> Response {
    match plain_text_error(next.run(request).await).await {
        Ok(error) => SrError(error).into_response(),
        Err(response) => response,
    }
}

/// A query flag: present and `true` in any case (Python's client sends `False`).
fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A JSON body; malformed JSON is 400, a missing body 422, as Confluent's registry answers.
fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, SrError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            422,
            "Request body may not be null",
        )
        .into());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let (status, code) = match e.classify() {
            serde_json::error::Category::Data => (StatusCode::UNPROCESSABLE_ENTITY, 422),
            _ => (StatusCode::BAD_REQUEST, 400),
        };
        SrError(ApiError::new(
            status,
            code,
            format!("Unrecognized request body: {e}"),
        ))
    })
}

fn schema_id(text: &str) -> Result<i32, SrError> {
    text.parse::<i32>().map_err(|_| SrError(ApiError::not_found()))
}

/// Runs a write here when this instance leads, else forwards the request to the leader.
async fn write<F, Fut>(registry: &Registry, request: Forwardable, run: F) -> Answer
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    match registry.leadership.writer().await {
        Writer::ThisInstance => run().await,
        Writer::Other(_) if request.headers.contains_key("x-forward") => Err(leader_not_known()),
        Writer::Other(leader) => forward(registry, &leader, request).await,
        Writer::Unknown => Err(leader_not_known()),
    }
}

fn leader_not_known() -> SrError {
    SrError(ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        50004,
        "Leader not known.",
    ))
}

/// A write request as received, which a follower re-sends to the leader (an extractor: it
/// takes the body).
struct Forwardable {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Forwardable {
    type Rejection = SrError;

    async fn from_request(request: Request, state: &S) -> Result<Self, SrError> {
        let (parts, body) = request.into_parts();
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|e| {
                SrError(ApiError::new(
                    e.status(),
                    u32::from(e.status().as_u16()),
                    e.body_text(),
                ))
            })?;
        Ok(Forwardable {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }
}

async fn forward(registry: &Registry, leader: &str, request: Forwardable) -> Answer {
    let path = request.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", leader.trim_end_matches('/'));
    let mut outgoing = registry
        .forwarder
        .request(request.method.clone(), &url)
        .header("X-Forward", "true")
        .body(request.body);
    // The leader authenticates the caller again (HTTP Basic and bearer tokens pass; a TLS
    // client certificate does not).
    for name in [CONTENT_TYPE, ACCEPT, AUTHORIZATION] {
        if let Some(value) = request.headers.get(&name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let failed = |e: reqwest::Error| {
        SrError(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            50003,
            format!(
                "Error while forwarding {} request to the leader: {e}",
                request.method
            ),
        ))
    };
    let response = outgoing.send().await.map_err(failed)?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static(SR_V1));
    let bytes = response.bytes().await.map_err(failed)?;
    // Read-your-writes here too: wait until this instance has read what the leader wrote.
    if status.is_success() {
        if let Err(e) = registry.service.read_to_end().await {
            tracing::warn!("after a forwarded write: {e:?}");
        }
    }
    Ok((status, [(CONTENT_TYPE, content_type)], bytes).into_response())
}

async fn root() -> Answer {
    ok(json!({}))
}

async fn types() -> Answer {
    ok(["JSON", "PROTOBUF", "AVRO"])
}

async fn subjects(State(r): Shared, Query(q): Params) -> Answer {
    ok(r.service.subjects(flag(&q, "deleted"), flag(&q, "deletedOnly")))
}

async fn versions(State(r): Shared, Path(subject): Path<String>, Query(q): Params) -> Answer {
    ok(r.service
        .versions(&subject, flag(&q, "deleted"), flag(&q, "deletedOnly"))?)
}

async fn version(
    State(r): Shared,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let spec = VersionSpec::parse(&version)?;
    let record = r.service.version(&subject, spec, flag(&q, "deleted"))?;
    let mut response = SchemaResponse::from(&record);
    response.schema = r.service.formatted(
        &response.schema_type,
        response.schema,
        &response.references,
        q.get("format").map(String::as_str),
    )?;
    ok(response)
}

/// The schema text itself is the body.
async fn version_schema(
    State(r): Shared,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
) -> Answer {
    let spec = VersionSpec::parse(&version)?;
    let record = r.service.version(&subject, spec, flag(&q, "deleted"))?;
    Ok(([(CONTENT_TYPE, SR_V1)], record.schema).into_response())
}

async fn referenced_by(State(r): Shared, Path((subject, version)): Path<(String, String)>) -> Answer {
    ok(r.service.referenced_by(&subject, VersionSpec::parse(&version)?)?)
}

async fn by_id(State(r): Shared, Path(id): Path<String>, Query(q): Params) -> Answer {
    let (schema_type, schema, references) = r.service.by_id(schema_id(&id)?)?;
    let format = q.get("format").map(String::as_str);
    let schema = r.service.formatted(&schema_type, schema, &references, format)?;
    let mut body = json!({ "schema": schema, "schemaType": schema_type });
    if !references.is_empty() {
        body["references"] = json!(references);
    }
    ok(body)
}

async fn by_id_schema(State(r): Shared, Path(id): Path<String>) -> Answer {
    let (_, schema, _) = r.service.by_id(schema_id(&id)?)?;
    Ok(([(CONTENT_TYPE, SR_V1)], schema).into_response())
}

async fn id_subjects(State(r): Shared, Path(id): Path<String>, Query(q): Params) -> Answer {
    let mut subjects: Vec<String> = r
        .service
        .id_versions(schema_id(&id)?, flag(&q, "deleted"))?
        .into_iter()
        .map(|(subject, _)| subject)
        .collect();
    subjects.dedup();
    ok(subjects)
}

async fn id_versions(State(r): Shared, Path(id): Path<String>, Query(q): Params) -> Answer {
    let pairs = r.service.id_versions(schema_id(&id)?, flag(&q, "deleted"))?;
    ok(pairs
        .into_iter()
        .map(|(subject, version)| json!({ "subject": subject, "version": version }))
        .collect::<Vec<_>>())
}

async fn lookup(State(r): Shared, Path(subject): Path<String>, Query(q): Params, bytes: Bytes) -> Answer {
    let request: SchemaRequest = body(&bytes)?;
    ok(SchemaResponse::from(&r.service.lookup(
        &subject,
        &request,
        flag(&q, "deleted"),
    )?))
}

async fn register(
    State(r): Shared,
    Path(subject): Path<String>,
    Query(q): Params,
    request: Forwardable,
) -> Answer {
    let schema: SchemaRequest = body(&request.body)?;
    // Already registered under this subject: answered by any instance, as Confluent's does.
    if schema.id.is_none() {
        if let Ok(existing) = r.service.lookup(&subject, &schema, false) {
            return ok(registered(&existing));
        }
    }
    write(&r, request, || async {
        let record = r
            .service
            .register(&subject, schema, flag(&q, "normalize"))
            .await?;
        ok(registered(&record))
    })
    .await
}

/// Confluent 8's register answer: the id, plus the version and the stored schema.
fn registered(record: &super::records::SchemaValue) -> Value {
    json!({
        "id": record.id,
        "version": record.version,
        "schemaType": record.schema_type(),
        "schema": record.schema,
    })
}

async fn delete_subject(
    State(r): Shared,
    Path(subject): Path<String>,
    Query(q): Params,
    request: Forwardable,
) -> Answer {
    write(&r, request, || async {
        ok(r.service.delete_subject(&subject, flag(&q, "permanent")).await?)
    })
    .await
}

async fn delete_version(
    State(r): Shared,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
    request: Forwardable,
) -> Answer {
    let spec = VersionSpec::parse(&version)?;
    write(&r, request, || async {
        ok(r.service
            .delete_version(&subject, spec, flag(&q, "permanent"))
            .await?)
    })
    .await
}

async fn compatible_with_all(
    State(r): Shared,
    Path(subject): Path<String>,
    Query(q): Params,
    bytes: Bytes,
) -> Answer {
    compatibility(&r, &subject, None, &q, &bytes)
}

async fn compatible_with(
    State(r): Shared,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Params,
    bytes: Bytes,
) -> Answer {
    let spec = VersionSpec::parse(&version)?;
    compatibility(&r, &subject, Some(spec), &q, &bytes)
}

fn compatibility(
    r: &Registry,
    subject: &str,
    spec: Option<VersionSpec>,
    q: &HashMap<String, String>,
    bytes: &[u8],
) -> Answer {
    let request: SchemaRequest = body(bytes)?;
    let verbose = flag(q, "verbose");
    let (compatible, messages) = r.service.test_compatibility(subject, spec, &request, verbose)?;
    if verbose {
        ok(json!({ "is_compatible": compatible, "messages": messages }))
    } else {
        ok(json!({ "is_compatible": compatible }))
    }
}

/// GET /config answers `compatibilityLevel`; PUT takes and echoes `compatibility`.
#[derive(Deserialize)]
struct ConfigUpdate {
    compatibility: Option<String>,
    normalize: Option<bool>,
}

fn config_body(config: ConfigValue) -> Value {
    let mut body = json!({ "compatibilityLevel": config.compatibility_level });
    if let Some(normalize) = config.normalize {
        body["normalize"] = json!(normalize);
    }
    body
}

async fn global_config(State(r): Shared) -> Answer {
    ok(config_body(r.service.config(None, true)?))
}

async fn subject_config(State(r): Shared, Path(subject): Path<String>, Query(q): Params) -> Answer {
    ok(config_body(
        r.service.config(Some(&subject), flag(&q, "defaultToGlobal"))?,
    ))
}

async fn put_global_config(State(r): Shared, request: Forwardable) -> Answer {
    put_config(&r, None, request).await
}

async fn put_subject_config(State(r): Shared, Path(subject): Path<String>, request: Forwardable) -> Answer {
    put_config(&r, Some(&subject), request).await
}

async fn put_config(r: &Registry, subject: Option<&str>, request: Forwardable) -> Answer {
    let update: ConfigUpdate = body(&request.body)?;
    write(r, request, || async {
        let stored = r
            .service
            .set_config(subject, update.compatibility.as_deref(), update.normalize)
            .await?;
        let mut echo = json!({ "compatibility": stored.compatibility_level });
        if let Some(normalize) = stored.normalize {
            echo["normalize"] = json!(normalize);
        }
        ok(echo)
    })
    .await
}

async fn delete_global_config(State(r): Shared, request: Forwardable) -> Answer {
    write(&r, request, || async {
        ok(config_body(r.service.delete_config(None).await?))
    })
    .await
}

async fn delete_subject_config(
    State(r): Shared,
    Path(subject): Path<String>,
    request: Forwardable,
) -> Answer {
    write(&r, request, || async {
        ok(config_body(r.service.delete_config(Some(&subject)).await?))
    })
    .await
}

#[derive(Deserialize)]
struct ModeUpdate {
    mode: String,
}

async fn global_mode(State(r): Shared) -> Answer {
    ok(json!({ "mode": r.service.mode(None, true)? }))
}

async fn subject_mode(State(r): Shared, Path(subject): Path<String>, Query(q): Params) -> Answer {
    ok(json!({ "mode": r.service.mode(Some(&subject), flag(&q, "defaultToGlobal"))? }))
}

async fn put_global_mode(State(r): Shared, Query(q): Params, request: Forwardable) -> Answer {
    put_mode(&r, None, flag(&q, "force"), request).await
}

async fn put_subject_mode(
    State(r): Shared,
    Path(subject): Path<String>,
    Query(q): Params,
    request: Forwardable,
) -> Answer {
    put_mode(&r, Some(&subject), flag(&q, "force"), request).await
}

async fn put_mode(r: &Registry, subject: Option<&str>, force: bool, request: Forwardable) -> Answer {
    let update: ModeUpdate = body(&request.body)?;
    write(r, request, || async {
        ok(json!({ "mode": r.service.set_mode(subject, &update.mode, force).await? }))
    })
    .await
}

async fn delete_global_mode(State(r): Shared, request: Forwardable) -> Answer {
    write(&r, request, || async {
        ok(json!({ "mode": r.service.delete_mode(None).await? }))
    })
    .await
}

async fn delete_subject_mode(State(r): Shared, Path(subject): Path<String>, request: Forwardable) -> Answer {
    write(&r, request, || async {
        ok(json!({ "mode": r.service.delete_mode(Some(&subject)).await? }))
    })
    .await
}
