//! Sending a produce request's records once the transforms had them: each kept record to its
//! topic (a topic a transform chose is authorized and checked like a direct produce), each
//! dropped or failed one answered at once; one result per record, in request order.

use std::collections::HashMap;

use rdkafka::error::KafkaError;

use super::{record_error_code, RecordResult, Requester};
use crate::auth;
use crate::error::ApiError;
use crate::kafka::producer::{Delivered, Deliveries, Outgoing};
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

/// A request's records on their way: each queued at the producer, or answered without
/// sending (`refusals`, by index).
pub(crate) struct Queued {
    deliveries: Deliveries,
    refusals: Vec<Option<Refusal>>,
}

impl Queued {
    /// Where each record landed, once Kafka acknowledged them all, or why it was not written;
    /// in request order.
    pub(crate) async fn outcomes(self) -> Vec<Result<Delivered, Refusal>> {
        let reports = self.deliveries.all().await;
        reports
            .into_iter()
            .zip(self.refusals)
            .map(|(report, refusal)| match (refusal, report) {
                (Some(refusal), _) => Err(refusal),
                (None, Some(report)) => report.map_err(Refusal::Kafka),
                (None, None) => Err(Refusal::Kafka(KafkaError::Canceled)),
            })
            .collect()
    }

    /// The outcome of a request's only record.
    pub(crate) async fn only_outcome(self) -> Result<Delivered, Refusal> {
        let outcome = self.outcomes().await.pop();
        outcome.unwrap_or(Err(Refusal::Kafka(KafkaError::Canceled)))
    }
}

/// Sends every record and answers each, in order, once all are acknowledged (v2's shape).
pub(super) async fn send_all(requester: &Requester<'_>, topic: &str, fates: Vec<Fate>) -> Vec<RecordResult> {
    let queued = queue_all(requester, topic, fates).await;
    queued.outcomes().await.into_iter().map(result).collect()
}

/// Queues every kept record at the caller's producer; dropped and failed ones are answered.
pub(crate) async fn queue_all(requester: &Requester<'_>, topic: &str, fates: Vec<Fate>) -> Queued {
    let mut rerouted: HashMap<&str, Result<(), ApiError>> = HashMap::new();
    let deliveries = Deliveries::new(fates.len());
    let mut refusals = Vec::with_capacity(fates.len());
    for (index, fate) in fates.iter().enumerate() {
        let record = match fate {
            Fate::Kept(record) => record,
            Fate::Dropped(name) => {
                let message = format!("Record dropped by transform `{name}`");
                refusals.push(Some(Refusal::Transform(TRANSFORM_DROPPED, message)));
                continue;
            }
            Fate::Failed(name, message) => {
                let message = format!("Record refused by transform `{name}`: {message}");
                refusals.push(Some(Refusal::Transform(TRANSFORM_ERROR, message)));
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
                refusals.push(Some(Refusal::Refused(error)));
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
        let sent = requester.kafka.producer.send(outgoing, &deliveries, index).await;
        refusals.push(sent.err().map(Refusal::Kafka));
    }
    Queued { deliveries, refusals }
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
