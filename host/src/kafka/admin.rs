//! Kafka administration for API v3 (topics, configs, consumer groups, ACLs): the calls of
//! [`admin_native`](super::admin_native), each run on tokio's blocking pool.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::admin_native::{
    Acl, AdminError, AdminResult, ConfigChange, ConfigEntry, ConfigTarget, GroupDescription, Handle, NewTopic,
};

pub struct KafkaAdmin {
    client: Arc<AdminClient<DefaultClientContext>>,
    timeout: Duration,
}

impl KafkaAdmin {
    /// `timeout` bounds each Kafka request.
    pub fn new(client: Arc<AdminClient<DefaultClientContext>>, timeout: Duration) -> Self {
        KafkaAdmin { client, timeout }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(Handle) -> AdminResult<T> + Send + 'static,
    ) -> AdminResult<T> {
        let client = Arc::clone(&self.client);
        let timeout = self.timeout;
        tokio::task::spawn_blocking(move || {
            // SAFETY: `client` owns the handle and lives until the call returns.
            let handle = unsafe { Handle::new(client.inner().native_ptr(), timeout) };
            call(handle)
        })
        .await
        .unwrap_or_else(|_| Err(AdminError::new(RDKafkaErrorCode::Fail, "admin call abandoned")))
    }

    pub async fn create_topic(&self, topic: NewTopic, validate_only: bool) -> AdminResult<()> {
        self.blocking(move |h| h.create_topic(&topic, validate_only))
            .await
    }

    pub async fn delete_topic(&self, topic: &str) -> AdminResult<()> {
        let topic = topic.to_string();
        self.blocking(move |h| h.delete_topic(&topic)).await
    }

    pub async fn create_partitions(&self, topic: &str, total: usize) -> AdminResult<()> {
        let topic = topic.to_string();
        self.blocking(move |h| h.create_partitions(&topic, total)).await
    }

    pub async fn describe_configs(&self, target: ConfigTarget) -> AdminResult<Vec<ConfigEntry>> {
        self.blocking(move |h| h.describe_configs(&target)).await
    }

    pub async fn alter_configs(
        &self,
        target: ConfigTarget,
        changes: Vec<ConfigChange>,
        validate_only: bool,
    ) -> AdminResult<()> {
        self.blocking(move |h| h.alter_configs(&target, &changes, validate_only))
            .await
    }

    pub async fn list_groups(&self) -> AdminResult<Vec<String>> {
        self.blocking(|h| h.list_groups()).await
    }

    pub async fn describe_group(&self, group: &str) -> AdminResult<GroupDescription> {
        let group = vec![group.to_string()];
        // The group's own error (NOT_COORDINATOR while a fresh broker loads its coordinator)
        // is retried like the request's.
        self.with_coordinator(move |h| {
            h.describe_groups(&group)?
                .pop()
                .unwrap_or_else(|| Err(AdminError::new(RDKafkaErrorCode::Fail, "no group described")))
        })
        .await
    }

    /// Each group's description or error, in the order asked, in one request.
    pub async fn describe_groups(
        &self,
        groups: Vec<String>,
    ) -> AdminResult<Vec<AdminResult<GroupDescription>>> {
        self.with_coordinator(move |h| h.describe_groups(&groups)).await
    }

    pub async fn committed_offsets(&self, group: &str) -> AdminResult<Vec<(String, i32, i64)>> {
        let group = group.to_string();
        self.with_coordinator(move |h| h.committed_offsets(&group)).await
    }

    /// A group call, retried while the group's coordinator is still loading or moving (as
    /// Kafka's Java admin client retries them; right after `__consumer_offsets` is created, or
    /// a broker starts, the first calls meet these).
    async fn with_coordinator<T: Send + 'static>(
        &self,
        call: impl Fn(Handle) -> AdminResult<T> + Clone + Send + 'static,
    ) -> AdminResult<T> {
        const ATTEMPTS: u32 = 20;
        let mut attempt = 1;
        loop {
            match self.blocking(call.clone()).await {
                Err(e) if attempt < ATTEMPTS && coordinator_busy(e.code) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                result => return result,
            }
        }
    }

    /// The latest offset a read-committed consumer sees, per partition asked.
    pub async fn end_offsets(&self, partitions: Vec<(String, i32)>) -> AdminResult<Vec<i64>> {
        self.blocking(move |h| h.end_offsets(&partitions)).await
    }

    pub async fn create_acls(&self, acls: Vec<Acl>) -> AdminResult<()> {
        self.blocking(move |h| h.create_acls(&acls)).await
    }

    pub async fn describe_acls(&self, filter: Acl) -> AdminResult<Vec<Acl>> {
        self.blocking(move |h| h.describe_acls(&filter)).await
    }

    pub async fn delete_acls(&self, filter: Acl) -> AdminResult<Vec<Acl>> {
        self.blocking(move |h| h.delete_acls(&filter)).await
    }
}

fn coordinator_busy(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
    )
}
