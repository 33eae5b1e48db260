//! The v2 metadata resources (brokers, topics, partitions, offsets) in Confluent's JSON
//! shapes, with Confluent's 404 codes for missing topics and partitions.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::ApiError;
use crate::kafka::metadata::{KafkaMetadata, PartitionMetadata};

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

pub struct MetadataService {
    kafka: KafkaMetadata,
}

impl MetadataService {
    pub fn new(kafka: KafkaMetadata) -> Self {
        MetadataService { kafka }
    }

    pub async fn brokers(&self) -> Result<Brokers, ApiError> {
        let brokers = self
            .kafka
            .broker_ids()
            .await
            .map_err(|e| ApiError::from_kafka(&e))?;
        Ok(Brokers { brokers })
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

    pub async fn partitions(&self, topic: &str) -> Result<Vec<Partition>, ApiError> {
        let metadata = self
            .kafka
            .topic(topic)
            .await
            .map_err(|e| ApiError::from_kafka(&e))?;
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
