//! Sending a produce request's records once the transforms had them: each kept record to its
//! topic (a topic a transform chose is authorized and checked like a direct produce), each
//! dropped or failed one answered at once; one result per record, in request order.

use std::collections::HashMap;

use rdkafka::error::KafkaError;
use rdkafka::producer::DeliveryFuture;

use super::{record_error_code, RecordResult, Requester};
use crate::auth;
use crate::error::ApiError;
use crate::kafka::producer::{delivered, Delivered, Outgoing};
use crate::plugins::bindings::policy::Action;
use crate::transforms::Fate;

/// krest's per-record code of a record a transform failed (`error`).
const TRANSFORM_ERROR: u32 = 42210;
/// krest's per-record code of a record a transform dropped: not written, not an error of Kafka.
const TRANSFORM_DROPPED: u32 = 42211;

/// Why a record was not written.
pub(crate) enum Refusal {
    /// Kafka (or librdkafka) failed it.
    Kafka(KafkaError),
    /// krest refused it before sending (e.g. a rerouted topic the caller may not write).
    Refused(ApiError),
    /// A transform dropped or failed it: krest's code and message.
    Transform(u32, String),
}

impl Refusal {
    /// The `error_code` (Confluent's mapping of Kafka errors) and message of this refusal.
    pub(crate) fn code_and_message(self) -> (u32, String) {
        match self {
            Refusal::Kafka(error) => (ApiError::from_kafka(&error).code, error.to_string()),
            Refusal::Refused(error) => (error.code, error.message),
            Refusal::Transform(code, message) => (code, message),
        }
    }
}

/// A record on its way: queued at the producer, or answered without sending.
pub(crate) enum Queued {
    Sending(DeliveryFuture),
    Answered(Refusal),
}

impl Queued {
    /// Where the record landed, once Kafka acknowledged it, or why it was not written.
    pub(crate) async fn outcome(self) -> Result<Delivered, Refusal> {
        match self {
            Queued::Sending(delivery) => delivered(delivery).await.map_err(Refusal::Kafka),
            Queued::Answered(refusal) => Err(refusal),
        }
    }
}

/// Sends every record and answers each, in order, once all are acknowledged (v2's shape).
/// Every record is queued before the first is awaited, so awaiting them in order costs no
/// time and far less CPU than a `join_all` over a batch.
pub(super) async fn send_all(requester: &Requester<'_>, topic: &str, fates: Vec<Fate>) -> Vec<RecordResult> {
    let queued = queue_all(requester, topic, fates).await;
    let mut results = Vec::with_capacity(queued.len());
    for queued in queued {
        results.push(result(queued.outcome().await));
    }
    results
}

/// Queues every kept record at the caller's producer; dropped and failed ones are answered.
pub(crate) async fn queue_all(requester: &Requester<'_>, topic: &str, fates: Vec<Fate>) -> Vec<Queued> {
    let mut rerouted: HashMap<&str, Result<(), ApiError>> = HashMap::new();
    let mut queued = Vec::with_capacity(fates.len());
    for fate in &fates {
        let record = match fate {
            Fate::Kept(record) => record,
            Fate::Dropped(name) => {
                let message = format!("Record dropped by transform `{name}`");
                queued.push(Queued::Answered(Refusal::Transform(TRANSFORM_DROPPED, message)));
                continue;
            }
            Fate::Failed(name, message) => {
                let message = format!("Record refused by transform `{name}`: {message}");
                queued.push(Queued::Answered(Refusal::Transform(TRANSFORM_ERROR, message)));
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
                queued.push(Queued::Answered(Refusal::Refused(error)));
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
        queued.push(match requester.kafka.producer.send(outgoing).await {
            Ok(delivery) => Queued::Sending(delivery),
            Err(error) => Queued::Answered(Refusal::Kafka(error)),
        });
    }
    queued
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

/// v2's per-record result: Confluent's v2 codes, except krest's own transform codes.
fn result(outcome: Result<Delivered, Refusal>) -> RecordResult {
    match outcome {
        Ok(delivered) => RecordResult {
            partition: Some(delivered.partition),
            offset: Some(delivered.offset),
            error_code: None,
            error: None,
        },
        Err(refusal) => {
            let transform = matches!(refusal, Refusal::Transform(..));
            let (code, message) = refusal.code_and_message();
            let code = match transform {
                true => code,
                false => record_error_code(code),
            };
            RecordResult {
                partition: None,
                offset: None,
                error_code: Some(code),
                error: Some(message),
            }
        }
    }
}
