//! The v2 metadata resources (brokers, topics, partitions, offsets) in Confluent's JSON
//! shapes, with Confluent's 404 codes for missing topics and partitions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::OnceCell;

use crate::error::ApiError;
use crate::kafka::metadata::{BrokerMetadata, KafkaMetadata, PartitionMetadata, TopicMetadata};

#[derive(Debug, Serialize)]
pub struct Brokers {
    pub brokers: Vec<i32>,
}

#[derive(Debug, Serialize)]
pub struct Topic {
    pub name: String,
    pub configs: BTreeMap<String, Option<String>>,
    pub partitions: Vec<Partition>,
}

#[derive(Debug, Serialize)]
pub struct Partition {
    pub partition: i32,
    pub leader: i32,
    pub replicas: Vec<Replica>,
}

#[derive(Debug, Serialize)]
pub struct Replica {
    pub broker: i32,
    pub leader: bool,
    pub in_sync: bool,
}

#[derive(Debug, Serialize)]
pub struct PartitionOffsets {
    pub beginning_offset: i64,
    pub end_offset: i64,
}

impl From<&PartitionMetadata> for Partition {
    fn from(p: &PartitionMetadata) -> Self {
        Partition {
            partition: p.id,
            leader: p.leader,
            replicas: p
                .replicas
                .iter()
                .map(|&broker| Replica {
                    broker,
                    leader: broker == p.leader,
                    in_sync: p.in_sync_replicas.contains(&broker),
                })
                .collect(),
        }
    }
}

/// How long a topic's partition count is trusted for produce requests.
const PARTITION_COUNT_TTL: Duration = Duration::from_secs(10);

pub struct MetadataService {
    kafka: KafkaMetadata,
    partition_counts: Mutex<HashMap<String, (i32, Instant)>>,
    cluster_id: OnceCell<String>,
}

impl MetadataService {
    pub fn new(kafka: KafkaMetadata) -> Self {
        MetadataService {
            kafka,
            partition_counts: Mutex::new(HashMap::new()),
            cluster_id: OnceCell::new(),
        }
    }

    /// The cluster's id, asked of Kafka once and then kept (a cluster's id never changes).
    pub async fn cluster_id(&self) -> Result<&str, ApiError> {
        self.cluster_id
            .get_or_try_init(|| self.kafka.cluster_id())
            .await
            .map(String::as_str)
            .map_err(|e| ApiError::from_kafka(&e))
    }

    /// The controller broker's id, if the cluster names one.
    pub async fn controller_id(&self) -> Result<Option<i32>, ApiError> {
        self.kafka
            .controller_id()
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    /// The number of partitions of `topic`, cached for a few seconds; asked again when the
    /// cache is older, or has fewer partitions than `needed` names (partitions get added).
    pub async fn partition_count(&self, topic: &str, needed: Option<i32>) -> Result<i32, ApiError> {
        let cached = self
            .partition_counts
            .lock()
            .expect("cache lock")
            .get(topic)
            .copied();
        if let Some((count, at)) = cached {
            if at.elapsed() < PARTITION_COUNT_TTL && needed.is_none_or(|p| p < count) {
                return Ok(count);
            }
        }
        let count = self.partitions(topic).await?.len() as i32;
        self.partition_counts
            .lock()
            .expect("cache lock")
            .insert(topic.to_string(), (count, Instant::now()));
        Ok(count)
    }

    pub async fn brokers(&self) -> Result<Brokers, ApiError> {
        let brokers = self.broker_list().await?.iter().map(|b| b.id).collect();
        Ok(Brokers { brokers })
    }

    /// The brokers with their addresses, sorted by id.
    pub async fn broker_list(&self) -> Result<Vec<BrokerMetadata>, ApiError> {
        self.kafka.brokers().await.map_err(|e| ApiError::from_kafka(&e))
    }

    /// All non-internal topics with their partitions, sorted by name.
    pub async fn topic_list(&self) -> Result<Vec<TopicMetadata>, ApiError> {
        self.kafka.topics().await.map_err(|e| ApiError::from_kafka(&e))
    }

    /// One topic's partitions as Kafka reports them (an illegal name is 400/40002).
    pub async fn topic_metadata(&self, topic: &str) -> Result<TopicMetadata, ApiError> {
        ApiError::check_topics([topic])?;
        self.kafka
            .topic(topic)
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    pub async fn topic_names(&self) -> Result<Vec<String>, ApiError> {
        self.kafka
            .topic_names()
            .await
            .map_err(|e| ApiError::from_kafka(&e))
    }

    pub async fn topic(&self, name: &str) -> Result<Topic, ApiError> {
        let partitions = self.partitions(name).await?;
        let configs = self
            .kafka
            .topic_configs(name)
            .await
            .map_err(|e| ApiError::from_kafka(&e))?;
        Ok(Topic {
            name: name.to_string(),
            configs,
            partitions,
        })
    }

    /// Every topic route (and produce) passes here first: an illegal name is 400/40002.
    pub async fn partitions(&self, topic: &str) -> Result<Vec<Partition>, ApiError> {
        let metadata = self.topic_metadata(topic).await?;
        Ok(metadata.partitions.iter().map(Partition::from).collect())
    }

    /// One partition; 404/40402 when the topic exists but has no such partition.
    pub async fn partition(&self, topic: &str, partition: i32) -> Result<Partition, ApiError> {
        self.partitions(topic)
            .await?
            .into_iter()
            .find(|p| p.partition == partition)
            .ok_or_else(ApiError::partition_not_found)
    }

    pub async fn offsets(&self, topic: &str, partition: i32) -> Result<PartitionOffsets, ApiError> {
        self.partition(topic, partition).await?;
        let (beginning_offset, end_offset) = self
            .kafka
            .watermarks(topic, partition)
            .await
            .map_err(|e| ApiError::from_kafka(&e))?;
        Ok(PartitionOffsets {
            beginning_offset,
            end_offset,
        })
    }
}
