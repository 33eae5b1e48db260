//! Content negotiation: API v2's vendor media types, `Accept` matching with q-values, and the
//! `Content-Type` checks (415) every v2 and v3 request goes through.

use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Metadata and control requests and responses.
pub const V2_JSON: &str = "application/vnd.kafka.v2+json";

/// API v3's only request and response type.
pub const V3_JSON: &str = "application/json";

/// The less specific response types Confluent's API reference permits besides the v2 ones,
/// with the server weights (`qs`) its proxy gave them when it served them: a client that
/// accepts nothing more specific gets its answer labelled with the type it named.
pub const LESS_SPECIFIC: [(&str, f32); 2] = [("application/vnd.kafka+json", 0.8), ("application/json", 0.5)];

/// Server-Sent Events: a streamed `GET .../records` (krest's extension).
pub const EVENT_STREAM: &str = "text/event-stream";

/// Newline-delimited JSON: a streamed `GET .../records` (krest's extension).
pub const NDJSON: &str = "application/x-ndjson";

/// The streamed answers of `GET .../records`, weighted below every JSON type: only a client
/// that names one gets a stream.
pub const STREAMS: [(&str, f32); 2] = [(EVENT_STREAM, 0.01), (NDJSON, 0.01)];

/// The embedded format of `application/vnd.kafka.NAME.v2+json`, if the type has that shape.
/// Any NAME qualifies: format plugins can be added at run time.
pub fn embedded_format(media_type: &str) -> Option<String> {
    let essence = essence(media_type);
    let name = essence
        .strip_prefix("application/vnd.kafka.")?
        .strip_suffix(".v2+json")?;
    (!name.is_empty() && !name.contains(['.', '/', '+'])).then(|| name.to_string())
}

/// The embedded format named by the request's Content-Type.
pub fn request_format(headers: &HeaderMap) -> Option<String> {
    headers.get(CONTENT_TYPE)?.to_str().ok().and_then(embedded_format)
}

/// The `type/subtype` of a media type, lower-cased, without parameters.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The q-value `accept` gives `offered` (the most specific matching range decides);
/// 1.0 when there is no Accept header.
fn quality(accept: Option<&str>, offered: &str) -> f32 {
    let Some(accept) = accept else { return 1.0 };
    let (offered_type, _) = offered.split_once('/').unwrap_or((offered, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let specificity = match name.split_once('/') {
            Some(("*", "*")) => 1,
            Some((t, "*")) if t == offered_type => 2,
            _ if name == offered => 3,
            _ => continue,
        };
        let q = parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.trim().parse::<f32>().ok())
            })
            .next()
            .unwrap_or(1.0);
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Picks the offered type with the best `client q × server qs`; `None` means 406.
pub fn negotiate<'a>(headers: &HeaderMap, offered: &[(&'a str, f32)]) -> Option<&'a str> {
    let accept = headers.get(ACCEPT).and_then(|v| v.to_str().ok());
    offered
        .iter()
        .map(|&(media_type, qs)| (media_type, quality(accept, media_type) * qs))
        .filter(|&(_, score)| score > 0.0)
        .fold(None, |best: Option<(&'a str, f32)>, candidate| match best {
            Some((_, score)) if score >= candidate.1 => best,
            _ => Some(candidate),
        })
        .map(|(media_type, _)| media_type)
}

/// A request body's Content-Type is acceptable if absent, v2 JSON or an embedded v2 type.
fn content_type_ok(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE) {
        None => true,
        Some(value) => value
            .to_str()
            .is_ok_and(|v| essence(v) == V2_JSON || embedded_format(v).is_some()),
    }
}

/// Middleware for endpoints that answer `application/vnd.kafka.v2+json`: 415 for a non-v2
/// Content-Type, 406 without a body for an Accept that excludes v2 JSON and the
/// [`LESS_SPECIFIC`] types, and the negotiated Content-Type on every JSON response.
pub async fn v2_json(request: Request, next: Next) -> Response {
    if !content_type_ok(request.headers()) {
        return ApiError::unsupported_media_type().into_response();
    }
    let mut offered = vec![(V2_JSON, 1.0)];
    offered.extend(LESS_SPECIFIC);
    let Some(chosen) = negotiate(request.headers(), &offered) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    label(next.run(request).await, chosen)
}

/// Middleware for `/consumers/...`: like [`v2_json`], but every embedded v2 type is also
/// acceptable (weighted low), so clients may send one Accept header on all consumer calls; a
/// records GET also accepts the [`STREAMS`] types (its errors are then labelled v2 JSON).
pub async fn v2_consumer(request: Request, next: Next) -> Response {
    if !content_type_ok(request.headers()) {
        return ApiError::unsupported_media_type().into_response();
    }
    let accept = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut offered: Vec<(String, f32)> = vec![(V2_JSON.to_string(), 0.9)];
    offered.extend(
        accept
            .split(',')
            .filter_map(embedded_format)
            .map(|format| (format!("application/vnd.kafka.{format}.v2+json"), 0.1)),
    );
    let mut offered: Vec<(&str, f32)> = offered.iter().map(|(t, q)| (t.as_str(), *q)).collect();
    offered.extend(LESS_SPECIFIC);
    let records = request.method() == Method::GET && request.uri().path().ends_with("/records");
    if records {
        offered.extend(STREAMS);
    }
    let Some(chosen) = negotiate(request.headers(), &offered).map(str::to_string) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    // A stream's errors before its first byte are v2 JSON.
    let chosen = match STREAMS.iter().any(|(stream, _)| *stream == chosen) {
        true => V2_JSON.to_string(),
        false => chosen,
    };
    label(next.run(request).await, &chosen)
}

/// Labels a plain `application/json` response with the negotiated type.
/// Middleware for API v3: 415 for a Content-Type other than `application/json`, 406 without a
/// body for an Accept that excludes it.
pub async fn v3_json(request: Request, next: Next) -> Response {
    let content_type_ok = match request.headers().get(CONTENT_TYPE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| essence(v) == V3_JSON),
    };
    if !content_type_ok {
        return ApiError::unsupported_media_type().into_response();
    }
    if negotiate(request.headers(), &[(V3_JSON, 1.0)]).is_none() {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    next.run(request).await
}

fn label(mut response: Response, media_type: &str) -> Response {
    let is_plain_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v == "application/json");
    if is_plain_json {
        if let Ok(value) = HeaderValue::from_str(media_type) {
            response.headers_mut().insert(CONTENT_TYPE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    const OFFERED: &[(&str, f32)] = &[("application/vnd.kafka.binary.v2+json", 1.0), (V2_JSON, 0.9)];

    #[test]
    fn wildcards_and_absence_pick_the_highest_server_quality() {
        assert_eq!(negotiate(&HeaderMap::new(), OFFERED), Some(OFFERED[0].0));
        assert_eq!(negotiate(&accept("*/*"), OFFERED), Some(OFFERED[0].0));
        assert_eq!(negotiate(&accept("application/*"), OFFERED), Some(OFFERED[0].0));
    }

    #[test]
    fn explicit_types_and_q_values_decide() {
        assert_eq!(negotiate(&accept(V2_JSON), OFFERED), Some(V2_JSON));
        assert_eq!(
            negotiate(
                &accept("application/vnd.kafka.v2+json; q=0.5, */*;q=0.1"),
                OFFERED
            ),
            Some(V2_JSON)
        );
        assert_eq!(
            negotiate(
                &accept("application/vnd.kafka.v2+json, application/vnd.kafka+json, application/json"),
                OFFERED
            ),
            Some(V2_JSON)
        );
        assert_eq!(negotiate(&accept("application/json"), OFFERED), None);
        assert_eq!(negotiate(&accept("text/plain"), OFFERED), None);
        assert_eq!(negotiate(&accept("*/*;q=0"), OFFERED), None);
    }

    #[test]
    fn less_specific_types_answer_only_when_nothing_more_specific_is_accepted() {
        let mut offered = vec![(V2_JSON, 1.0)];
        offered.extend(LESS_SPECIFIC);
        assert_eq!(
            negotiate(&accept("application/json"), &offered),
            Some("application/json")
        );
        assert_eq!(
            negotiate(&accept("application/vnd.kafka+json"), &offered),
            Some("application/vnd.kafka+json")
        );
        for types in [
            "*/*",
            "application/*",
            "application/vnd.kafka.v2+json, application/vnd.kafka+json, application/json",
            "application/vnd.kafka.v2+json; q=0.9, application/json; q=0.5",
        ] {
            assert_eq!(negotiate(&accept(types), &offered), Some(V2_JSON), "{types}");
        }
        assert_eq!(negotiate(&accept("text/plain, application/xml"), &offered), None);
    }

    #[test]
    fn content_types_are_compared_without_parameters() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.kafka.v2+json; charset=UTF-8"),
        );
        assert!(content_type_ok(&headers));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert!(!content_type_ok(&headers));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.kafka.upper.v2+json"),
        );
        assert!(content_type_ok(&headers));
    }

    #[test]
    fn embedded_formats_are_read_from_vendor_types() {
        assert_eq!(
            embedded_format("application/vnd.kafka.binary.v2+json").as_deref(),
            Some("binary")
        );
        assert_eq!(
            embedded_format("Application/Vnd.Kafka.JSON.v2+json; charset=utf-8").as_deref(),
            Some("json")
        );
        assert_eq!(embedded_format(V2_JSON), None);
        assert_eq!(embedded_format("application/vnd.kafka.binary.v1+json"), None);
        assert_eq!(embedded_format("application/vnd.kafka..v2+json"), None);
    }
}

/// Property tests: any Accept or Content-Type value is judged without a panic, and what is
/// chosen is always one of the offered types.
#[cfg(test)]
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    const OFFERED: &[(&str, f32)] = &[(V2_JSON, 1.0), LESS_SPECIFIC[0], LESS_SPECIFIC[1]];

    fn header(name: axum::http::HeaderName, bytes: &[u8]) -> Option<HeaderMap> {
        let value = HeaderValue::from_bytes(bytes).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(name, value);
        Some(headers)
    }

    proptest! {
        #[test]
        fn any_accept_picks_an_offered_type_or_none(bytes in vec(any::<u8>(), 0..200)) {
            if let Some(headers) = header(ACCEPT, &bytes) {
                let picked = negotiate(&headers, OFFERED);
                prop_assert!(picked.is_none_or(|p| OFFERED.iter().any(|(t, _)| *t == p)));
            }
        }

        #[test]
        fn an_accept_naming_one_offered_type_gets_it(i in 0usize..3, q in 0.001f32..=1.0, junk in "[a-z/+.]{1,30}") {
            let accept = format!("{junk};q=0.0001, {};q={q}", OFFERED[i].0);
            let headers = header(ACCEPT, accept.as_bytes()).unwrap();
            prop_assert_eq!(negotiate(&headers, OFFERED), Some(OFFERED[i].0));
        }

        #[test]
        fn any_content_type_is_judged(bytes in vec(any::<u8>(), 0..200)) {
            if let Some(headers) = header(CONTENT_TYPE, &bytes) {
                let format = request_format(&headers);
                prop_assert!(format.is_none() || content_type_ok(&headers));
            }
        }

        #[test]
        fn embedded_format_names_round_trip(name in "[a-z0-9_-]{1,24}", upper in any::<bool>(), parameters in "(; [a-z]+=[a-z0-9-]+){0,3}") {
            let mut media_type = format!("application/vnd.kafka.{name}.v2+json{parameters}");
            if upper {
                media_type = media_type.to_ascii_uppercase();
            }
            prop_assert_eq!(embedded_format(&media_type), Some(name));
        }
    }
}
