//! The in-process librdkafka mock cluster behind `krest serve --dev`: a working proxy with
//! no Kafka installed. Not a stand-in for Kafka in tests.

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

/// Topic created at start so a newcomer's first `GET /topics` shows something.
pub const DEMO_TOPIC: &str = "demo";

/// A one-broker mock cluster with a `demo` topic. It lives as long as this value; the value
/// cannot leave the thread that made it, so create it on the main thread and keep it there.
pub struct DevCluster {
    mock: MockCluster<'static, DefaultProducerContext>,
}

impl DevCluster {
    /// `schema_topic`: the Schema Registry's topic, created with its one partition.
    pub fn start(schema_topic: Option<&str>) -> anyhow::Result<Self> {
        let mock = MockCluster::new(1)?;
        mock.create_topic(DEMO_TOPIC, 1, 1)?;
        if let Some(topic) = schema_topic {
            mock.create_topic(topic, 1, 1)?;
        }
        Ok(DevCluster { mock })
    }

    pub fn bootstrap_servers(&self) -> String {
        self.mock.bootstrap_servers()
    }
}
