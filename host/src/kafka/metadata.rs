//! Cluster metadata from Kafka: brokers, topics, partitions, topic configs, watermarks.
//! librdkafka's metadata calls block, so they run on tokio's blocking pool.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::metadata::MetadataTopic;

/// Topics Kafka itself owns; hidden from listings as Kafka's Admin `listTopics()` does.
pub const INTERNAL_TOPICS: &[&str] = &["__consumer_offsets", "__transaction_state", "__share_group_state"];

#[derive(Debug, Clone)]
pub struct BrokerMetadata {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[derive(Debug, Clone)]
pub struct TopicMetadata {
    pub name: String,
    /// Sorted by partition id.
    pub partitions: Vec<PartitionMetadata>,
}

#[derive(Debug, Clone)]
pub struct PartitionMetadata {
    pub id: i32,
    /// Broker id of the leader, -1 when there is none.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub in_sync_replicas: Vec<i32>,
}

/// Reads metadata with one metadata-only consumer (no group) and one admin client.
pub struct KafkaMetadata {
    consumer: Arc<BaseConsumer>,
    admin: Arc<AdminClient<DefaultClientContext>>,
    timeout: Duration,
    describe_configs: bool,
}

impl KafkaMetadata {
    /// `admin_config` is the admin role's configuration; `timeout` bounds each Kafka call.
    /// `describe_configs` is false for clusters without DescribeConfigs (the `--dev` mock):
    /// topic configs are then reported empty.
    pub fn new(admin_config: &ClientConfig, timeout: Duration, describe_configs: bool) -> KafkaResult<Self> {
        let mut consumer_config = admin_config.clone();
        consumer_config.set("allow.auto.create.topics", "false");
        Ok(KafkaMetadata {
            consumer: Arc::new(consumer_config.create()?),
            admin: Arc::new(admin_config.create()?),
            timeout,
            describe_configs,
        })
    }

    /// The admin client, for [`super::admin::KafkaAdmin`] to share.
    pub fn admin_client(&self) -> Arc<AdminClient<DefaultClientContext>> {
        Arc::clone(&self.admin)
    }

    /// The cluster's id as the brokers report it.
    pub async fn cluster_id(&self) -> KafkaResult<String> {
        self.blocking(|consumer, timeout| {
            consumer
                .client()
                .fetch_cluster_id(timeout)
                .ok_or(KafkaError::MetadataFetch(RDKafkaErrorCode::OperationTimedOut))
        })
        .await
    }

    /// The id of the controller broker, `None` when the cluster names none in time.
    pub async fn controller_id(&self) -> KafkaResult<Option<i32>> {
        self.blocking(|consumer, timeout| {
            let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
            // SAFETY: the pointer is the live client handle `consumer` owns.
            let id =
                unsafe { rdkafka::bindings::rd_kafka_controllerid(consumer.client().native_ptr(), millis) };
            Ok((id >= 0).then_some(id))
        })
        .await
    }

    /// The brokers, sorted by id.
    pub async fn brokers(&self) -> KafkaResult<Vec<BrokerMetadata>> {
        self.blocking(move |consumer, timeout| {
            let metadata = consumer.fetch_metadata(None, timeout)?;
            let mut brokers: Vec<BrokerMetadata> = metadata
                .brokers()
                .iter()
                .map(|b| BrokerMetadata {
                    id: b.id(),
                    host: b.host().to_string(),
                    port: b.port(),
                })
                .collect();
            brokers.sort_by_key(|b| b.id);
            Ok(brokers)
        })
        .await
    }

    /// Names of all non-internal topics, sorted.
    pub async fn topic_names(&self) -> KafkaResult<Vec<String>> {
        Ok(self.topics().await?.into_iter().map(|t| t.name).collect())
    }

    /// All non-internal topics with their partitions, sorted by name.
    pub async fn topics(&self) -> KafkaResult<Vec<TopicMetadata>> {
        self.blocking(move |consumer, timeout| {
            let metadata = consumer.fetch_metadata(None, timeout)?;
            let mut topics: Vec<TopicMetadata> = metadata
                .topics()
                .iter()
                .filter(|t| t.error().is_none() && !INTERNAL_TOPICS.contains(&t.name()))
                .map(topic_metadata)
                .collect();
            topics.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(topics)
        })
        .await
    }

    /// One topic's partitions; `UnknownTopicOrPartition` when Kafka does not have it.
    pub async fn topic(&self, name: &str) -> KafkaResult<TopicMetadata> {
        let name = name.to_string();
        self.blocking(move |consumer, timeout| {
            let metadata = consumer.fetch_metadata(Some(&name), timeout)?;
            let topic =
                metadata
                    .topics()
                    .iter()
                    .find(|t| t.name() == name)
                    .ok_or(KafkaError::MetadataFetch(
                        RDKafkaErrorCode::UnknownTopicOrPartition,
                    ))?;
            if let Some(err) = topic.error() {
                return Err(KafkaError::MetadataFetch(err.into()));
            }
            Ok(topic_metadata(topic))
        })
        .await
    }

    /// All configs of a topic, defaults included, as DescribeConfigs returns them.
    pub async fn topic_configs(&self, name: &str) -> KafkaResult<BTreeMap<String, Option<String>>> {
        if !self.describe_configs {
            return Ok(BTreeMap::new());
        }
        let options = AdminOptions::new().request_timeout(Some(self.timeout));
        let mut results = self
            .admin
            .describe_configs(&[ResourceSpecifier::Topic(name)], &options)
            .await?;
        match results.pop() {
            Some(Ok(resource)) => Ok(resource.entries.into_iter().map(|e| (e.name, e.value)).collect()),
            Some(Err(code)) => Err(KafkaError::AdminOp(code)),
            None => Err(KafkaError::AdminOp(RDKafkaErrorCode::UnknownTopicOrPartition)),
        }
    }

    /// `(beginning, end)` offsets of one partition.
    pub async fn watermarks(&self, topic: &str, partition: i32) -> KafkaResult<(i64, i64)> {
        let topic = topic.to_string();
        self.blocking(move |consumer, timeout| consumer.fetch_watermarks(&topic, partition, timeout))
            .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&BaseConsumer, Duration) -> KafkaResult<T> + Send + 'static,
    ) -> KafkaResult<T> {
        let consumer = Arc::clone(&self.consumer);
        let timeout = self.timeout;
        tokio::task::spawn_blocking(move || call(&consumer, timeout))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }
}

fn topic_metadata(topic: &MetadataTopic) -> TopicMetadata {
    let mut partitions: Vec<PartitionMetadata> = topic
        .partitions()
        .iter()
        .map(|p| PartitionMetadata {
            id: p.id(),
            leader: p.leader(),
            replicas: p.replicas().to_vec(),
            in_sync_replicas: p.isr().to_vec(),
        })
        .collect();
    partitions.sort_by_key(|p| p.id);
    TopicMetadata {
        name: topic.name().to_string(),
        partitions,
    }
}
