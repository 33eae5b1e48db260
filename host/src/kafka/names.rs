//! Kafka's rules for names and strings a client sends, checked before they reach librdkafka
//! (which fails, or worse, on what Kafka would refuse anyway).

/// Kafka's limit on topic names (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_LENGTH: usize = 249;

/// Kafka's protocol encodes group ids and offset metadata as strings with a 16-bit length.
const MAX_STRING_BYTES: usize = i16::MAX as usize;

/// Why Kafka would refuse `topic` as a topic name (in the words of Kafka's `Topic.validate`),
/// or `None` when it is legal.
pub fn invalid_topic(topic: &str) -> Option<String> {
    if topic.is_empty() {
        return Some("Topic name is illegal, it can't be empty".into());
    }
    if topic == "." || topic == ".." {
        return Some("Topic name cannot be \".\" or \"..\"".into());
    }
    if topic.len() > MAX_TOPIC_LENGTH {
        return Some(format!(
            "Topic name is illegal, it can't be longer than {MAX_TOPIC_LENGTH} characters, \
             Topic name: {topic}"
        ));
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !topic.chars().all(legal) {
        return Some(format!(
            "Topic name \"{topic}\" is illegal, it contains a character other than ASCII \
             alphanumerics, '.', '_' and '-'"
        ));
    }
    None
}

/// Why `group` cannot be sent to Kafka as a consumer group id, or `None`.
pub fn invalid_group(group: &str) -> Option<String> {
    // librdkafka trims white space from configuration values: "\r\n" is no group id either.
    if group.trim().is_empty() {
        return Some("Consumer group id may not be empty".into());
    }
    if group.len() > MAX_STRING_BYTES {
        return Some(format!(
            "Consumer group id is illegal, it can't be longer than {MAX_STRING_BYTES} bytes"
        ));
    }
    // librdkafka takes configuration values as C strings.
    if group.contains('\0') {
        return Some("Consumer group id is illegal, it contains a NUL character".into());
    }
    None
}

/// Why `metadata` cannot be committed with an offset, or `None`. (Brokers refuse more than
/// `offset.metadata.max.bytes`, 4096 by default, themselves.)
pub fn invalid_offset_metadata(metadata: &str) -> Option<String> {
    (metadata.len() > MAX_STRING_BYTES)
        .then(|| format!("Offset metadata is illegal, it can't be longer than {MAX_STRING_BYTES} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka() {
        assert_eq!(invalid_topic("orders.v1_eu-2"), None);
        assert_eq!(invalid_topic(&"a".repeat(249)), None);
        assert!(invalid_topic(&"a".repeat(250))
            .unwrap()
            .contains("longer than 249"));
        assert!(invalid_topic("").is_some());
        assert!(invalid_topic("..").is_some());
        assert!(invalid_topic("a b").unwrap().contains("ASCII alphanumerics"));
        assert!(invalid_topic("é").is_some());
        assert!(invalid_topic("a/b").is_some());
    }

    #[test]
    fn group_ids_fit_the_protocol() {
        assert_eq!(invalid_group("any group: ü/ok"), None);
        assert!(invalid_group("").is_some());
        assert!(invalid_group(&"g".repeat(40_000)).is_some());
        assert!(invalid_group("a\0b").is_some());
        assert_eq!(invalid_offset_metadata(&"m".repeat(32_767)), None);
        assert!(invalid_offset_metadata(&"m".repeat(32_768)).is_some());
    }
}
