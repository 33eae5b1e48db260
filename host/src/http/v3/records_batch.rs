//! `POST /v3/clusters/{cluster_id}/topics/{topic}/records:batch`: up to
//! `api.v3.produce.batch.maximum.entries` records with ids, answered together with
//! 207 Multi-Status: `{"successes": [...], "failures": [...]}`, each in request order.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::{self, Caller};
use crate::clients::CallerClients;
use crate::error::ApiError;
use crate::http::json::HeadersAndBody;
use crate::plugins::bindings::policy::Action;
use crate::produce::v3::V3Answer;
use crate::produce::{v3_batch, ProduceService, Requester};
use crate::transforms::call_context;

pub async fn produce(
    State(service): State<Arc<ProduceService>>,
    State(clients): State<Arc<CallerClients>>,
    caller: Caller,
    Path((cluster, topic)): Path<(String, String)>,
    HeadersAndBody(headers, body): HeadersAndBody,
) -> Result<Response, ApiError> {
    let cluster_id = super::check_cluster(&clients, &cluster).await?;
    caller
        .authorize(Action::Write, auth::topics([topic.as_str()]))
        .await?;
    let entries = v3_batch::entries(&body, service.v3_limits().batch_max_entries)?;
    let kafka = clients.for_caller(&caller).await?;
    let requester = Requester {
        kafka: &kafka,
        caller: &caller,
        context: call_context(caller.name(), &headers),
    };
    // The rate limit's bytes of an entry: the body's, shared evenly among the entries.
    let size = body.len().div_ceil(entries.len());
    let mut queued = Vec::with_capacity(entries.len());
    for (id, record) in entries {
        let slot = service
            .produce_v3(&requester, &cluster_id, &topic, record, size)
            .await;
        queued.push((id, slot));
    }
    let (mut successes, mut failures) = (Vec::new(), Vec::new());
    // All entries are queued: awaiting them in order takes no longer than together.
    for (id, slot) in queued {
        let answer = match slot {
            Ok(pending) => pending.answer().await,
            Err(answered) => answered,
        };
        match answer {
            V3Answer::Failed { error_code, message } => {
                failures.push(json!({"id": id, "error_code": error_code, "message": message}));
            }
            produced => {
                let mut entry = serde_json::to_value(produced).unwrap_or_default();
                if let Value::Object(fields) = &mut entry {
                    fields.remove("error_code");
                    fields.insert("id".to_string(), Value::String(id));
                }
                successes.push(entry);
            }
        }
    }
    let body = json!({"successes": successes, "failures": failures});
    Ok((StatusCode::MULTI_STATUS, Json(body)).into_response())
}
