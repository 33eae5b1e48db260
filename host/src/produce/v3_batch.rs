//! The body of `POST /v3/clusters/{id}/topics/{topic}/records:batch`: `{"entries": [...]}`,
//! each entry a v3 record with an `id`, checked by Confluent's rules (422/42208).

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::v3_request::V3Record;
use crate::error::ApiError;
use crate::http::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    #[serde(default)]
    entries: Option<Vec<V3Record>>,
}

/// The entries of a batch, each with its id, in request order; at most `max_entries`.
pub fn entries(body: &[u8], max_entries: usize) -> Result<Vec<(String, V3Record)>, ApiError> {
    let request: Option<BatchRequest> = json::parse_optional(body)?;
    let request = request.ok_or_else(|| refused("Request body is empty. Data is required."))?;
    let mut entries = Vec::new();
    for mut record in request.entries.unwrap_or_default() {
        let id = record.id.take().as_deref().and_then(valid_id);
        let id = id.ok_or_else(|| refused("Batch entry identifier is not a valid string."))?;
        if entries.iter().any(|(seen, _)| *seen == id) {
            return Err(refused("Batch entry IDs are not distinct."));
        }
        entries.push((id, record));
    }
    if entries.is_empty() {
        return Err(refused("Empty batch."));
    }
    if entries.len() > max_entries {
        return Err(refused("Too many entries in batch."));
    }
    Ok(entries)
}

/// A JSON string of 1 to 80 characters of `[0-9a-zA-Z-_]`.
fn valid_id(raw: &RawValue) -> Option<String> {
    let id: String = serde_json::from_str(raw.get()).ok()?;
    let fits = (1..=80).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    fits.then_some(id)
}

fn refused(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 42208, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> (u32, String) {
        let error = entries(body.as_bytes(), 10).unwrap_err();
        (error.code, error.message)
    }

    #[test]
    fn confluents_batch_rules() {
        let record = r#"{"value":{"type":"STRING","data":"v"}}"#;
        let with_id = |id: &str| record.replacen('{', &format!("{{\"id\":{id},"), 1);
        assert_eq!(
            error(""),
            (42208, "Request body is empty. Data is required.".into())
        );
        assert_eq!(error(r#"{"entries":[]}"#), (42208, "Empty batch.".into()));
        for id in ["1", "\"\"", "\"a b\"", "null", &format!("\"{}\"", "x".repeat(81))] {
            let body = format!(r#"{{"entries":[{}]}}"#, with_id(id));
            assert_eq!(
                error(&body).1,
                "Batch entry identifier is not a valid string.",
                "{id}"
            );
        }
        let body = format!(r#"{{"entries":[{},{}]}}"#, with_id("\"a\""), with_id("\"a\""));
        assert_eq!(error(&body).1, "Batch entry IDs are not distinct.");
        let many: Vec<String> = (0..11).map(|i| with_id(&format!("\"e{i}\""))).collect();
        let body = format!(r#"{{"entries":[{}]}}"#, many.join(","));
        assert_eq!(error(&body).1, "Too many entries in batch.");
        let body = format!(r#"{{"entries":[{},{}]}}"#, with_id("\"a-1\""), with_id("\"B_2\""));
        let ids: Vec<String> = entries(body.as_bytes(), 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["a-1", "B_2"]);
    }
}
