//! Which instance writes. Every eligible instance (`leader.eligibility`) joins a Kafka
//! consumer group (`schema.registry.group.id`) subscribed to the one-partition schema topic:
//! the member assigned that partition is the leader. Its client id is its URL, so the others
//! find where to forward writes by describing the group. No eligible member: no writes
//! (50004), as in Confluent's registry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::info;

/// How long describing the group may take.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Leadership {
    group: String,
    url: String,
    /// Describes the group (and, when eligible, is the member that may lead).
    describer: Arc<BaseConsumer>,
    leading: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    member: Mutex<Option<JoinHandle<()>>>,
}

/// Where writes go.
#[derive(Debug, PartialEq, Eq)]
pub enum Writer {
    ThisInstance,
    /// The leader's URL.
    Other(String),
    Unknown,
}

impl Leadership {
    /// Joins the election when `eligible`. `url` is how other instances reach this one.
    pub fn start(
        kafka: &ClientConfig,
        topic: &str,
        group: &str,
        url: &str,
        eligible: bool,
    ) -> anyhow::Result<Self> {
        let describer: BaseConsumer = kafka.create()?;
        let leading = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let member = if eligible {
            let mut member_config = kafka.clone();
            member_config
                .set("group.id", group)
                .set("client.id", url)
                .set("enable.auto.commit", "false")
                .set("enable.partition.eof", "false")
                // Confluent's kafkagroup.* timings: a vanished leader is replaced within 10 s.
                .set("session.timeout.ms", "10000")
                .set("heartbeat.interval.ms", "3000");
            let member: BaseConsumer = member_config.create()?;
            member.subscribe(&[topic])?;
            let (leading, stop) = (Arc::clone(&leading), Arc::clone(&stop));
            let thread = std::thread::Builder::new()
                .name("schema-leader-election".into())
                .spawn(move || take_part(member, leading, stop))?;
            Some(thread)
        } else {
            None
        };
        Ok(Leadership {
            group: group.to_string(),
            url: url.to_string(),
            describer: Arc::new(describer),
            leading,
            stop,
            member: Mutex::new(member),
        })
    }

    /// Who writes right now (describes the group unless this instance leads).
    pub async fn writer(&self) -> Writer {
        if self.leading.load(Ordering::Relaxed) {
            return Writer::ThisInstance;
        }
        let describer = Arc::clone(&self.describer);
        let group = self.group.clone();
        let leader = tokio::task::spawn_blocking(move || leader_client_id(&describer, &group)).await;
        match leader {
            Ok(Some(url)) if url == self.url => Writer::Unknown, // assigned, but not told yet
            Ok(Some(url)) => Writer::Other(url),
            _ => Writer::Unknown,
        }
    }
}

impl Leadership {
    /// Waits (at most `limit`) until some instance writes, as Confluent's registry finishes
    /// its first election before it serves; false when none does in time.
    pub async fn settle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            if self.writer().await != Writer::Unknown {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Leaves the election (the group rebalances at once, so another instance takes over).
    /// Blocking: waits for the member to leave its group.
    pub fn resign(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let member = self.member.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(member) = member {
            member.join().ok();
        }
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Polls the group membership; leading while assigned the partition. Records fetched are
/// ignored (the store reads the topic on its own).
fn take_part(member: BaseConsumer, leading: Arc<AtomicBool>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let _ = member.poll(Duration::from_millis(100));
        let assigned = member.assignment().is_ok_and(|a| a.count() > 0);
        if assigned != leading.swap(assigned, Ordering::Relaxed) {
            info!(leading = assigned, "schema registry leadership changed");
        }
    }
    leading.store(false, Ordering::Relaxed);
}

/// The client id of the group member holding a partition, if any.
fn leader_client_id(describer: &BaseConsumer, group: &str) -> Option<String> {
    let groups = describer.fetch_group_list(Some(group), DESCRIBE_TIMEOUT).ok()?;
    let group = groups.groups().iter().find(|g| g.name() == group)?;
    group
        .members()
        .iter()
        .find(|m| m.assignment().is_some_and(assigns_a_partition))
        .map(|m| m.client_id().to_string())
}

/// Whether a consumer-protocol assignment (int16 version, then an array of topics each with
/// an array of int32 partitions) names at least one partition.
fn assigns_a_partition(assignment: &[u8]) -> bool {
    let read_i32 = |at: usize| {
        assignment
            .get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(topics) = read_i32(2) else { return false };
    let mut at = 6;
    for _ in 0..topics.max(0) {
        let Some(name_length) = assignment
            .get(at..at + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
        else {
            return false;
        };
        at += 2 + name_length.max(0) as usize;
        match read_i32(at) {
            Some(partitions) if partitions > 0 => return true,
            Some(_) => at += 4,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_with_a_partition_are_told_apart_from_empty_ones() {
        // version 0, one topic "_s" with one partition (0).
        let assigned = [
            0, 0, 0, 0, 0, 1, 0, 2, b'_', b's', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(assigns_a_partition(&assigned));
        let empty = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(!assigns_a_partition(&empty));
        let no_partitions = [0, 0, 0, 0, 0, 1, 0, 2, b'_', b's', 0, 0, 0, 0];
        assert!(!assigns_a_partition(&no_partitions));
        assert!(!assigns_a_partition(&[0, 1]));
    }
}
