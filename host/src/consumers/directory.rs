//! Which krest process holds each consumer instance: a compacted topic
//! (`consumer.directory.topic`) that every process reads and each writes for its own
//! instances only, so that any process can send a request for an instance to its owner.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::kafka::compacted_topic::{CompactedTopic, TopicSettings, TopicState};

/// How long to wait between attempts to open the topic while Kafka refuses.
const REOPEN_INTERVAL: Duration = Duration::from_secs(5);

/// `(group, instance)` → the URL of the process that holds it.
#[derive(Default)]
pub struct Owners(HashMap<(String, String), String>);

#[derive(Serialize, Deserialize)]
struct OwnerValue {
    owner: String,
}

impl TopicState for Owners {
    /// `None`: the no-op key `[]`; otherwise `["group","instance"]`.
    type Key = Option<(String, String)>;
    const ROLE: &'static str = "consumer-directory";
    const DESCRIPTION: &'static str = "consumer directory topic";

    fn noop() -> Self::Key {
        None
    }

    fn key_bytes(key: &Self::Key) -> Vec<u8> {
        match key {
            Some((group, instance)) => serde_json::to_vec(&[group, instance]),
            None => serde_json::to_vec::<[&str; 0]>(&[]),
        }
        .unwrap_or_default()
    }

    fn parse_key(bytes: &[u8]) -> Result<Self::Key, String> {
        let parts: Vec<String> =
            serde_json::from_slice(bytes).map_err(|e| format!("not a directory key: {e}"))?;
        match <[String; 2]>::try_from(parts) {
            Ok([group, instance]) => Ok(Some((group, instance))),
            Err(parts) if parts.is_empty() => Ok(None),
            Err(parts) => Err(format!("a directory key has {} parts, not 2", parts.len())),
        }
    }

    fn apply(&mut self, key: &Self::Key, value: Option<&[u8]>) -> Result<(), String> {
        let Some(key) = key else { return Ok(()) };
        match value {
            None => {
                self.0.remove(key);
            }
            Some(bytes) => {
                let value: OwnerValue =
                    serde_json::from_slice(bytes).map_err(|e| format!("bad owner of {key:?}: {e}"))?;
                self.0.insert(key.clone(), value.owner);
            }
        }
        Ok(())
    }
}

type Topic = CompactedTopic<Owners>;
/// Records of the directory topic: key and value (`None`: a tombstone).
type Entries = Vec<(Option<(String, String)>, Option<Vec<u8>>)>;

/// Removes the entries naming this process's URL before it lists any instance of its own:
/// they were left by a process at the same address that was killed before it could.
async fn forget_predecessor(topic: &Topic, own_url: &str) {
    let left: Entries = topic
        .state()
        .0
        .iter()
        .filter(|(_, owner)| *owner == own_url)
        .map(|(key, _)| (Some(key.clone()), None))
        .collect();
    if left.is_empty() {
        return;
    }
    let count = left.len();
    match topic.write(left).await {
        Ok(()) => info!("removed {count} consumer directory entries of a previous process at {own_url}"),
        Err(e) => warn!("consumer directory entries of a previous process at {own_url} kept: {e:?}"),
    }
}

/// This process's view of the directory; opened in the background, so start-up never waits
/// for it, and every operation waits at most the topic's timeout for it to open.
pub struct ConsumerDirectory {
    /// This process's URL, as its instances' owner.
    own_url: String,
    timeout: Duration,
    topic: watch::Receiver<Option<Arc<Topic>>>,
}

impl ConsumerDirectory {
    /// Starts opening the topic (creating it if needed), retrying until Kafka lets it.
    pub fn start(settings: TopicSettings, kafka: ClientConfig, own_url: String) -> Arc<Self> {
        let (opened, topic) = watch::channel(None);
        let timeout = settings.timeout;
        let own = own_url.clone();
        tokio::spawn(async move {
            loop {
                match Topic::open(settings.clone(), &kafka).await {
                    Ok(topic) => {
                        forget_predecessor(&topic, &own).await;
                        opened.send_replace(Some(topic));
                        return;
                    }
                    Err(e) => {
                        warn!("consumer directory unavailable, instances are served only by their own process: {e:#}");
                        tokio::time::sleep(REOPEN_INTERVAL).await;
                    }
                }
            }
        });
        info!(owner = %own_url, "this process's consumer instances are found through the directory");
        Arc::new(ConsumerDirectory {
            own_url,
            timeout,
            topic,
        })
    }

    async fn topic(&self) -> Option<Arc<Topic>> {
        let mut topic = self.topic.clone();
        let opened = tokio::time::timeout(self.timeout, topic.wait_for(Option::is_some)).await;
        match opened {
            Ok(Ok(topic)) => topic.clone(),
            _ => None,
        }
    }

    /// Records this process as the owner of a new instance.
    pub async fn add(&self, group: &str, instance: &str) {
        let value = serde_json::to_vec(&OwnerValue {
            owner: self.own_url.clone(),
        })
        .unwrap_or_default();
        self.write(vec![(
            Some((group.to_string(), instance.to_string())),
            Some(value),
        )])
        .await;
    }

    /// Removes instances this process no longer holds.
    pub async fn remove(&self, instances: Vec<(String, String)>) {
        if !instances.is_empty() {
            self.write(instances.into_iter().map(|key| (Some(key), None)).collect())
                .await;
        }
    }

    async fn write(&self, records: Entries) {
        let Some(topic) = self.topic().await else {
            warn!(
                "consumer directory not open: {} instance change(s) not recorded",
                records.len()
            );
            return;
        };
        if let Err(e) = topic.write(records).await {
            warn!("consumer directory not updated: {e:?}");
        }
    }

    /// The URL of the other process that holds `(group, instance)`; `None` when no other
    /// process does (or the directory cannot tell). An instance not listed yet is looked up
    /// again once everything written to the directory so far has been read here (one request
    /// to Kafka); a listed one needs no such wait, as instances never change owner.
    pub async fn owner(&self, group: &str, instance: &str) -> Option<String> {
        let topic = self.topic().await?;
        let key = (group.to_string(), instance.to_string());
        let listed = |topic: &Topic| topic.state().0.get(&key).cloned();
        let owner = match listed(&topic) {
            Some(owner) => owner,
            None => {
                if let Err(e) = topic.read_to_end().await {
                    warn!("consumer directory not read: {e:?}");
                    return None;
                }
                listed(&topic)?
            }
        };
        (owner != self.own_url).then_some(owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_foreign_keys_are_skipped() {
        let key = Some(("group/1".to_string(), "rest-consumer-\"x\"".to_string()));
        assert_eq!(Owners::parse_key(&Owners::key_bytes(&key)), Ok(key));
        assert_eq!(Owners::parse_key(&Owners::key_bytes(&None)), Ok(None));
        assert!(Owners::parse_key(br#"["only-one"]"#).is_err());
        assert!(Owners::parse_key(b"not json").is_err());
    }

    #[test]
    fn the_latest_owner_counts_and_a_tombstone_removes_it() {
        let mut owners = Owners::default();
        let key = Some(("g".to_string(), "i".to_string()));
        owners.apply(&key, Some(br#"{"owner":"http://a:1"}"#)).unwrap();
        owners.apply(&key, Some(br#"{"owner":"http://b:2"}"#)).unwrap();
        assert_eq!(
            owners.0.get(&("g".to_string(), "i".to_string())).unwrap(),
            "http://b:2"
        );
        assert!(owners.apply(&key, Some(b"{}")).is_err());
        owners.apply(&key, None).unwrap();
        assert!(owners.0.is_empty());
    }
}
