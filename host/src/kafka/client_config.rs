//! librdkafka configuration for each client role, built from `bootstrap.servers` and the
//! `client.*` / `admin.*` / `producer.*` / `consumer.*` pass-through keys.

use std::collections::BTreeMap;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaConfRes;

use crate::config::{Config, Warnings};

/// The Kafka clients krest creates, each with its own pass-through prefix.
#[derive(Clone, Copy, Debug)]
pub enum Role {
    Admin,
    Producer,
    Consumer,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Admin => "admin.",
            Role::Producer => "producer.",
            Role::Consumer => "consumer.",
        }
    }
}

/// Builds the librdkafka config of `role`: krest's defaults, then `client.*`, then the role's
/// own prefix. Properties librdkafka does not know (Java-only keys such as
/// `consumer.interceptor.classes`) are dropped with a warning; a value librdkafka rejects is an
/// error naming the key.
pub fn for_role(config: &Config, role: Role) -> anyhow::Result<(ClientConfig, Warnings)> {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", &config.bootstrap_servers);
    client.set("client.id", client_id(config));
    client.set_log_level(RDKafkaLogLevel::Warning);
    if let Role::Producer = role {
        // A keyed record lands where Java's default partitioner puts it,
        // `toPositive(murmur2(key)) % partitions`; librdkafka's own default hashes with CRC32.
        client.set("partitioner", "murmur2_random");
    }
    let mut warnings = Warnings::new();
    let passthrough = &config.passthrough;
    let role_map = match role {
        Role::Admin => &passthrough.admin,
        Role::Producer => &passthrough.producer,
        Role::Consumer => &passthrough.consumer,
    };
    for (prefix, map) in [("client.", &passthrough.client), (role.prefix(), role_map)] {
        apply(&mut client, prefix, map, &mut warnings)?;
    }
    Ok((client, warnings))
}

fn client_id(config: &Config) -> String {
    if config.id.is_empty() {
        "krest".to_string()
    } else {
        format!("krest-{}", config.id)
    }
}

fn apply(
    client: &mut ClientConfig,
    prefix: &str,
    props: &BTreeMap<String, String>,
    warnings: &mut Warnings,
) -> anyhow::Result<()> {
    for (key, value) in props {
        match ClientConfig::new().set(key, value).create_native_config() {
            Ok(_) => {
                client.set(key, value);
            }
            Err(KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, ..)) => warnings.push(
                format!("`{prefix}{key}` is ignored: librdkafka has no property `{key}`"),
            ),
            Err(KafkaError::ClientConfig(_, description, ..)) => {
                anyhow::bail!("invalid configuration `{prefix}{key}={value}`: {description}")
            }
            Err(other) => anyhow::bail!("invalid configuration `{prefix}{key}={value}`: {other}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Origin, RawConfig};

    fn config(pairs: &[(&str, &str)]) -> Config {
        let mut raw = RawConfig::default();
        raw.set("bootstrap.servers", "localhost:9092", Origin::Flag);
        for (k, v) in pairs {
            raw.set(k, v, Origin::Flag);
        }
        Config::from_raw(&raw, false).unwrap().0
    }

    #[test]
    fn role_prefix_overrides_client_prefix() {
        let c = config(&[
            ("client.linger.ms", "5"),
            ("producer.linger.ms", "7"),
            ("id", "p1"),
        ]);
        let (producer, warnings) = for_role(&c, Role::Producer).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(producer.get("linger.ms"), Some("7"));
        assert_eq!(producer.get("client.id"), Some("krest-p1"));
        let (admin, _) = for_role(&c, Role::Admin).unwrap();
        assert_eq!(admin.get("linger.ms"), Some("5"));
    }

    #[test]
    fn producers_partition_keys_as_java_unless_told_otherwise() {
        let (producer, _) = for_role(&config(&[]), Role::Producer).unwrap();
        assert_eq!(producer.get("partitioner"), Some("murmur2_random"));
        let (admin, _) = for_role(&config(&[]), Role::Admin).unwrap();
        assert_eq!(admin.get("partitioner"), None);
        let c = config(&[("producer.partitioner", "consistent_random")]);
        let (producer, _) = for_role(&c, Role::Producer).unwrap();
        assert_eq!(producer.get("partitioner"), Some("consistent_random"));
        let c = config(&[("client.partitioner", "fnv1a_random")]);
        let (producer, _) = for_role(&c, Role::Producer).unwrap();
        assert_eq!(producer.get("partitioner"), Some("fnv1a_random"));
    }

    #[test]
    fn unknown_properties_warn_and_bad_values_fail() {
        let c = config(&[("consumer.interceptor.classes", "x.Y")]);
        let (consumer, warnings) = for_role(&c, Role::Consumer).unwrap();
        assert_eq!(consumer.get("interceptor.classes"), None);
        assert!(warnings[0].contains("consumer.interceptor.classes"));
        let c = config(&[("client.security.protocol", "CARRIER_PIGEON")]);
        let err = for_role(&c, Role::Admin).unwrap_err().to_string();
        assert!(err.contains("client.security.protocol=CARRIER_PIGEON"), "{err}");
    }
}
