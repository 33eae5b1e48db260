//! REST errors as Confluent's proxy reports them: an HTTP status plus an `error_code`
//! (usually `status × 100 + n`) and a message.

use axum::http::StatusCode;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::kafka::admin_native::AdminError;
use crate::kafka::names;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404/404 for paths that name no resource, in Jersey's words.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, 405, "HTTP 405 Method Not Allowed")
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            "HTTP 415 Unsupported Media Type",
        )
    }

    /// 400/400 `Bad Request: …`, in Confluent's words for a value it refuses.
    pub fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 400, format!("Bad Request: {message}"))
    }

    /// 404/40402, e.g. a partition number the topic does not have.
    pub fn partition_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 40402, "Partition not found.")
    }

    /// 404/40403 for a topic Kafka does not know (Kafka's UnknownTopicOrPartition).
    pub fn unknown_topic_or_partition() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            40403,
            "This server does not host this topic-partition.",
        )
    }

    /// 409/40903: a subscription together with an assignment, or topics together with a
    /// pattern, in the words of Java's consumer.
    pub fn mutually_exclusive() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            40903,
            "Illegal state: Subscription to topics, partitions and pattern are mutually exclusive",
        )
    }

    /// 400/40002 unless Kafka would accept every one of these topic names (Kafka's
    /// `InvalidTopicException`). Checked before a name reaches librdkafka.
    pub fn check_topics<'a>(topics: impl IntoIterator<Item = &'a str>) -> Result<(), ApiError> {
        match topics.into_iter().find_map(names::invalid_topic) {
            Some(message) => Err(Self::new(StatusCode::BAD_REQUEST, 40002, message)),
            None => Ok(()),
        }
    }

    /// Maps a Kafka client error the way Confluent's `KafkaExceptionMapper` does.
    pub fn from_kafka(err: &KafkaError) -> Self {
        let code = match err {
            KafkaError::AdminOp(code) => Some(*code),
            other => other.rdkafka_error_code(),
        };
        let Some(code) = code else {
            return Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, err.to_string());
        };
        use RDKafkaErrorCode as C;
        match code {
            C::SaslAuthenticationFailed | C::Authentication => {
                Self::new(StatusCode::UNAUTHORIZED, 40101, err.to_string())
            }
            C::TopicAuthorizationFailed | C::GroupAuthorizationFailed | C::ClusterAuthorizationFailed => {
                Self::new(StatusCode::FORBIDDEN, 40301, err.to_string())
            }
            C::UnknownTopicOrPartition | C::UnknownTopic | C::UnknownPartition => {
                Self::unknown_topic_or_partition()
            }
            C::BrokerNotAvailable => Self::new(StatusCode::SERVICE_UNAVAILABLE, 50302, err.to_string()),
            C::MessageSizeTooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, 413, err.to_string()),
            C::ThrottlingQuotaExceeded => Self::new(StatusCode::TOO_MANY_REQUESTS, 42901, err.to_string()),
            C::InvalidTopic
            | C::InvalidPartitions
            | C::InvalidReplicationFactor
            | C::TopicAlreadyExists
            | C::InvalidRequest
            | C::InvalidConfig
            | C::PolicyViolation
            | C::SecurityDisabled
            | C::UnsupportedVersion => Self::new(StatusCode::BAD_REQUEST, 40002, err.to_string()),
            code if is_retriable(code) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50003, err.to_string())
            }
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, err.to_string()),
        }
    }
}

/// An admin call's failure keeps Kafka's own message (e.g. which config value is invalid),
/// except for an unknown topic, which Confluent words as in [`ApiError::unknown_topic_or_partition`].
impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let mapped = ApiError::from_kafka(&KafkaError::AdminOp(error.code));
        match error.message.is_empty() || mapped.code == 40403 {
            true => mapped,
            false => ApiError::new(mapped.status, mapped.code, error.message),
        }
    }
}

/// Error codes Kafka's Java client models as `RetriableException`s, plus librdkafka's
/// local transport and timeout errors.
fn is_retriable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::OperationTimedOut
            | C::RequestTimedOut
            | C::MessageTimedOut
            | C::BrokerTransportFailure
            | C::AllBrokersDown
            | C::LeaderNotAvailable
            | C::NotLeaderForPartition
            | C::NetworkException
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::NotCoordinator
            | C::NotEnoughReplicas
            | C::NotEnoughReplicasAfterAppend
            | C::KafkaStorageError
            | C::FencedLeaderEpoch
            | C::UnknownLeaderEpoch
            | C::OffsetNotAvailable
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_errors_map_to_confluent_codes() {
        let code = |c| ApiError::from_kafka(&KafkaError::MetadataFetch(c)).code;
        assert_eq!(code(RDKafkaErrorCode::UnknownTopicOrPartition), 40403);
        assert_eq!(code(RDKafkaErrorCode::TopicAuthorizationFailed), 40301);
        assert_eq!(code(RDKafkaErrorCode::SaslAuthenticationFailed), 40101);
        assert_eq!(code(RDKafkaErrorCode::OperationTimedOut), 50003);
        assert_eq!(code(RDKafkaErrorCode::BrokerNotAvailable), 50302);
        assert_eq!(code(RDKafkaErrorCode::InvalidMessage), 50002);
        let admin = ApiError::from_kafka(&KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut));
        assert_eq!(admin.code, 50003);
    }
}
