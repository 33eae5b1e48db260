//! Handlers of the v2 consumer endpoints under `/consumers/{group}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{self, Caller};
use crate::clients::CallerClients;
use crate::consumers::{
    ConsumerManager, CreateRequest, Instance, ReadLimits, ReadRecord, Seek, Subscription,
};
use crate::error::ApiError;
use crate::http::health::Lifecycle;
use crate::http::state::AppState;
use crate::http::{json, media};

use super::record_stream::{self, Framing};
use crate::plugins::bindings::policy::{Action, Target};
use crate::transforms::call_context;

type Consumers = State<Arc<ConsumerManager>>;
type InstancePath = Path<(String, String)>;

/// The consumer instance `/consumers/{group}/instances/{instance}` names, marked as used:
/// 404/40403 when this process has none or another principal created it, 403 when the
/// caller may not read its group.
pub struct Found(Arc<Instance>);

impl FromRequestParts<AppState> for Found {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path((group, name)) = InstancePath::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let instance = state.consumers.get(&group, &name, caller.name())?;
        caller.authorize(Action::Read, vec![Target::Group(group)]).await?;
        Ok(Found(instance))
    }
}

/// 403 unless the caller may read every topic named.
async fn read_topics<'a>(caller: &Caller, topics: impl IntoIterator<Item = &'a str>) -> Result<(), ApiError> {
    caller.authorize(Action::Read, auth::topics(topics)).await
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Partitions {
    pub partitions: Vec<TopicPartition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    #[serde(default)]
    pub topic_pattern: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetEntry {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[serde(default)]
    pub metadata: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampEntry {
    pub topic: String,
    pub partition: i32,
    pub timestamp: String,
    /// Accepted and ignored, as by Confluent's proxy.
    #[serde(default)]
    #[allow(dead_code)]
    pub metadata: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionsRequest {
    #[serde(default)]
    pub offsets: Vec<OffsetEntry>,
    #[serde(default)]
    pub timestamps: Vec<TimestampEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetsRequest {
    pub offsets: Vec<OffsetEntry>,
}

/// The answer to a create, fields in Confluent's order.
#[derive(Debug, Serialize)]
pub struct Created {
    pub instance_id: String,
    pub base_uri: String,
}

#[derive(Debug, Deserialize)]
pub struct ReadQuery {
    pub timeout: Option<i64>,
    pub max_bytes: Option<i64>,
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn pairs(partitions: Vec<TopicPartition>) -> Vec<(String, i32)> {
    partitions.into_iter().map(|p| (p.topic, p.partition)).collect()
}

fn json_of(pairs: Vec<(String, i32)>) -> Vec<TopicPartition> {
    pairs
        .into_iter()
        .map(|(topic, partition)| TopicPartition { topic, partition })
        .collect()
}

/// `POST /consumers/{group}`; an empty body means all defaults.
pub async fn create(
    State(consumers): Consumers,
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Created>, ApiError> {
    caller
        .authorize(Action::Read, vec![Target::Group(group.clone())])
        .await?;
    let request: CreateRequest = json::parse_optional(&body)?.unwrap_or_default();
    let login = clients.consumer_login(&caller)?;
    let name = consumers
        .create(&group, request, caller.name().map(str::to_string), login)
        .await?;
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base_uri = consumers.urls().base_uri(host, &group, &name);
    Ok(Json(Created {
        instance_id: name,
        base_uri,
    }))
}

pub async fn delete(
    State(consumers): Consumers,
    caller: Caller,
    Path((group, name)): InstancePath,
) -> Result<Response, ApiError> {
    consumers.delete(&group, &name, caller.name()).await?;
    Ok(no_content())
}

pub async fn subscribe(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    let request: SubscriptionRequest = json::parse(&body)?;
    let subscription = match (request.topics, request.topic_pattern) {
        // Confluent's API reference: "topics_pattern and topics fields are mutually exclusive".
        (Some(_), Some(_)) => return Err(ApiError::mutually_exclusive()),
        // As Confluent's proxy (Java's `subscribe` of an empty list): an unsubscribe.
        (Some(topics), None) if topics.is_empty() => {
            instance.unsubscribe().await;
            return Ok(no_content());
        }
        (Some(topics), None) => {
            read_topics(&caller, topics.iter().map(String::as_str)).await?;
            Subscription::Topics(topics)
        }
        // As Confluent's proxy: neither field changes nothing.
        (None, None) => return Ok(no_content()),
        // Topics a pattern will match cannot be authorized up front: refused under auth.
        (None, Some(pattern)) if !pattern.is_empty() => match caller.name() {
            None => Subscription::Pattern(pattern),
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    40301,
                    "topic_pattern subscriptions are not available with auth.plugins; subscribe to topics by name",
                ))
            }
        },
        // Java's empty pattern matches no topic, librdkafka's every topic: refused instead.
        (None, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                422,
                "topic_pattern must not be empty",
            ))
        }
    };
    instance.subscribe(subscription).await?;
    Ok(no_content())
}

pub async fn subscription(Found(instance): Found) -> Result<Json<Value>, ApiError> {
    let topics = instance.subscription().await?;
    Ok(Json(json!({ "topics": topics })))
}

pub async fn unsubscribe(Found(instance): Found) -> Response {
    instance.unsubscribe().await;
    no_content()
}

pub async fn assign(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    let request: Partitions = json::parse(&body)?;
    read_topics(&caller, request.partitions.iter().map(|p| p.topic.as_str())).await?;
    instance.assign(pairs(request.partitions)).await?;
    Ok(no_content())
}

pub async fn assignments(Found(instance): Found) -> Result<Json<Partitions>, ApiError> {
    let assigned = instance.assignment().await?;
    Ok(Json(Partitions {
        partitions: json_of(assigned),
    }))
}

pub async fn seek(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    let request: PositionsRequest = json::parse(&body)?;
    let topics = request.offsets.iter().map(|o| o.topic.as_str());
    read_topics(
        &caller,
        topics.chain(request.timestamps.iter().map(|t| t.topic.as_str())),
    )
    .await?;
    let mut seeks: Vec<Seek> = request
        .offsets
        .into_iter()
        .map(|o| Seek::Offset(o.topic, o.partition, o.offset))
        .collect();
    for entry in request.timestamps {
        let instant = humantime::parse_rfc3339_weak(&entry.timestamp).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                400,
                format!("Bad Request: timestamp {}: {e}", entry.timestamp),
            )
        })?;
        let millis = instant
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        seeks.push(Seek::Timestamp(entry.topic, entry.partition, millis));
    }
    instance.seek(seeks).await?;
    Ok(no_content())
}

pub async fn seek_to_beginning(
    Found(instance): Found,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    seek_to_end_or_beginning(&instance, &caller, &body, true).await
}

pub async fn seek_to_end(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    seek_to_end_or_beginning(&instance, &caller, &body, false).await
}

async fn seek_to_end_or_beginning(
    instance: &Instance,
    caller: &Caller,
    body: &[u8],
    beginning: bool,
) -> Result<Response, ApiError> {
    let request: Partitions = json::parse(body)?;
    read_topics(caller, request.partitions.iter().map(|p| p.topic.as_str())).await?;
    let seeks = request
        .partitions
        .into_iter()
        .map(|p| {
            if beginning {
                Seek::Beginning(p.topic, p.partition)
            } else {
                Seek::End(p.topic, p.partition)
            }
        })
        .collect();
    instance.seek(seeks).await?;
    Ok(no_content())
}

/// `GET .../records`: the Accept header must name the consumer's format (binary consumers
/// also answer v2 JSON, the less specific types, `*/*` or no Accept: binary is what a type
/// without an embedded format means); anything else is 406/40601. An Accept that names only
/// `text/event-stream` or `application/x-ndjson` gets the records as a stream, in the
/// instance's own format (see [`record_stream`]).
pub async fn records(
    State(consumers): Consumers,
    State(lifecycle): State<Lifecycle>,
    Found(instance): Found,
    caller: Caller,
    Query(query): Query<ReadQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format_type = format!("application/vnd.kafka.{}.v2+json", instance.format);
    let mut offered = vec![(format_type.as_str(), 1.0)];
    if instance.format == "binary" {
        offered.push((media::V2_JSON, 0.9));
        offered.extend(media::LESS_SPECIFIC);
    }
    offered.extend(media::STREAMS);
    let negotiated = media::negotiate(&headers, &offered);
    if let Some(framing) = negotiated.and_then(Framing::of) {
        let resume_after = record_stream::last_event_id(&headers)?;
        if let Some((topic, _, _)) = &resume_after {
            read_topics(&caller, [topic.as_str()]).await?;
        }
        let context = call_context(instance.owner.as_deref(), &headers);
        let stream = consumers
            .stream(instance, resume_after, context, lifecycle.stopping)
            .await?;
        return Ok(record_stream::response(framing, stream));
    }
    let Some(content_type) = negotiated.map(str::to_string) else {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            40601,
            "The requested embedded data format does not match the deserializer for this consumer instance",
        ));
    };
    let limits = ReadLimits {
        timeout_ms: query.timeout,
        max_bytes: query.max_bytes,
    };
    let context = call_context(instance.owner.as_deref(), &headers);
    let records = consumers.read(&instance, limits, &context).await?;
    // Sized once: a read of many records is megabytes, which growing by doubling copies.
    let mut body = Vec::with_capacity(records.iter().map(ReadRecord::json_len).sum::<usize>() + 2);
    serde_json::to_writer(&mut body, &records)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 500, e.to_string()))?;
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

/// `POST .../offsets`: with offsets, commits `offset + 1` of each; without a body, commits
/// everything returned so far. Answers `[]` as Confluent does.
pub async fn commit(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Json<Value>, ApiError> {
    match json::parse_optional::<OffsetsRequest>(&body)? {
        None => instance.commit_delivered().await?,
        Some(request) => {
            read_topics(&caller, request.offsets.iter().map(|o| o.topic.as_str())).await?;
            let offsets = request
                .offsets
                .into_iter()
                .map(|o| (o.topic, o.partition, o.offset, o.metadata.unwrap_or_default()))
                .collect();
            instance.commit(offsets).await?;
        }
    }
    Ok(Json(json!([])))
}

/// `GET .../offsets` with a body naming the partitions (404/40402 without one).
pub async fn committed(Found(instance): Found, caller: Caller, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request: Partitions = json::parse_optional(&body)?.ok_or_else(ApiError::partition_not_found)?;
    read_topics(&caller, request.partitions.iter().map(|p| p.topic.as_str())).await?;
    let offsets = instance.committed(pairs(request.partitions)).await?;
    let offsets: Vec<Value> = offsets
        .into_iter()
        .map(|(topic, partition, offset, metadata)| {
            json!({ "topic": topic, "partition": partition, "offset": offset, "metadata": metadata })
        })
        .collect();
    Ok(Json(json!({ "offsets": offsets })))
}

/// Property tests: consumer request bodies and the records query string are parsed or refused
/// (400 malformed, 422 wrong shape; a bad query 400), never a panic; valid ones round-trip.
#[cfg(test)]
mod properties {
    use axum::http::Uri;
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::http::json::properties::parsed_or_refused;

    proptest! {
        #[test]
        fn any_consumer_body_is_parsed_or_refused(bytes in vec(any::<u8>(), 0..400), text in r#"[\[\]{}":,0-9a-z_ .\-]{0,300}"#) {
            for body in [bytes.as_slice(), text.as_bytes()] {
                parsed_or_refused::<Partitions>(body)?;
                parsed_or_refused::<SubscriptionRequest>(body)?;
                parsed_or_refused::<PositionsRequest>(body)?;
                parsed_or_refused::<OffsetsRequest>(body)?;
            }
        }

        #[test]
        fn generated_offsets_round_trip(entries in vec(("\\PC{0,30}", any::<i32>(), any::<i64>(), proptest::option::of("\\PC{0,20}")), 0..10)) {
            let offsets: Vec<OffsetEntry> = entries
                .iter()
                .map(|(topic, partition, offset, metadata)| OffsetEntry {
                    topic: topic.clone(),
                    partition: *partition,
                    offset: *offset,
                    metadata: metadata.clone(),
                })
                .collect();
            let body = json!({"offsets": offsets}).to_string();
            let parsed: OffsetsRequest = json::parse(body.as_bytes()).unwrap();
            prop_assert_eq!(json!(parsed.offsets), json!(offsets));
        }

        #[test]
        fn any_records_query_is_parsed_or_refused_400(query in r#"[a-z_=&%0-9A-F+\-.]{0,60}"#) {
            let Ok(uri) = format!("/records?{query}").parse::<Uri>() else { return Ok(()) };
            if let Err(rejection) = Query::<ReadQuery>::try_from_uri(&uri) {
                prop_assert_eq!(rejection.status(), StatusCode::BAD_REQUEST);
            }
        }

        #[test]
        fn records_query_numbers_round_trip(timeout in any::<i64>(), max_bytes in any::<i64>()) {
            let uri: Uri = format!("/records?timeout={timeout}&max_bytes={max_bytes}").parse().unwrap();
            let Query(query) = Query::<ReadQuery>::try_from_uri(&uri).unwrap();
            prop_assert_eq!((query.timeout, query.max_bytes), (Some(timeout), Some(max_bytes)));
        }
    }
}
