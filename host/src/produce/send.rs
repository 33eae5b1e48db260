//! Sending a produce request's records once the transforms had them: each kept record to its
//! topic (a topic a transform chose is authorized and checked like a direct produce), each
//! dropped or failed one answered at once; one result per record, in request order.

use std::collections::HashMap;

use futures_util::future::join_all;

use super::{record_error_code, RecordResult, Requester};
use crate::auth;
use crate::error::ApiError;
use crate::kafka::producer::{delivered, DeliveryResult, Outgoing};
use crate::plugins::bindings::policy::Action;
use crate::transforms::Fate;

/// krest's per-record code of a record a transform failed (`error`).
const TRANSFORM_ERROR: u32 = 42210;
/// krest's per-record code of a record a transform dropped: not written, not an error of Kafka.
const TRANSFORM_DROPPED: u32 = 42211;

pub(super) async fn send_all(requester: &Requester<'_>, topic: &str, fates: Vec<Fate>) -> Vec<RecordResult> {
    let mut rerouted: HashMap<&str, Result<(), ApiError>> = HashMap::new();
    let mut pending = Vec::with_capacity(fates.len());
    for fate in &fates {
        let record = match fate {
            Fate::Kept(record) => record,
            Fate::Dropped(name) => {
                pending.push(Err(refusal(
                    TRANSFORM_DROPPED,
                    format!("Record dropped by transform `{name}`"),
                )));
                continue;
            }
            Fate::Failed(name, message) => {
                let message = format!("Record refused by transform `{name}`: {message}");
                pending.push(Err(refusal(TRANSFORM_ERROR, message)));
                continue;
            }
        };
        if record.topic != topic {
            let checked = match rerouted.get(record.topic.as_str()) {
                Some(checked) => checked.clone(),
                None => {
                    let checked = check_reroute(requester, &record.topic).await;
                    rerouted.insert(&record.topic, checked.clone());
                    checked
                }
            };
            if let Err(error) = checked {
                pending.push(Err(failed(&error)));
                continue;
            }
        }
        let headers: Vec<(String, Option<Vec<u8>>)> = record
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let outgoing = Outgoing {
            topic: &record.topic,
            partition: record.partition,
            key: record.key.as_deref(),
            value: record.value.as_deref(),
            headers: &headers,
            timestamp: record.timestamp,
        };
        pending.push(Ok(requester.kafka.producer.send(outgoing).await));
    }
    join_all(pending.into_iter().map(|queued| async move {
        match queued {
            Ok(Ok(delivery)) => result(delivered(delivery).await),
            Ok(Err(error)) => result(Err(error)),
            Err(answered) => answered,
        }
    }))
    .await
}

/// A topic a transform routed a record to: the caller must be allowed to write it, and it
/// must exist, as for a direct produce.
async fn check_reroute(requester: &Requester<'_>, topic: &str) -> Result<(), ApiError> {
    requester
        .caller
        .authorize(Action::Write, auth::topics([topic]))
        .await?;
    requester.kafka.metadata.partition_count(topic, None).await?;
    Ok(())
}

fn result(delivery: DeliveryResult) -> RecordResult {
    match delivery {
        Ok((partition, offset)) => RecordResult {
            partition: Some(partition),
            offset: Some(offset),
            error_code: None,
            error: None,
        },
        Err(error) => refusal(
            record_error_code(&ApiError::from_kafka(&error)),
            error.to_string(),
        ),
    }
}

fn failed(error: &ApiError) -> RecordResult {
    refusal(record_error_code(error), error.message.clone())
}

fn refusal(code: u32, message: String) -> RecordResult {
    RecordResult {
        partition: None,
        offset: None,
        error_code: Some(code),
        error: Some(message),
    }
}
