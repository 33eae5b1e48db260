//! Streamed reads of a consumer instance (`GET .../records` as Server-Sent Events or NDJSON):
//! batches read only when the client took the previous one, the instance's state locked per
//! batch, heartbeats while no records arrive, an end once the instance or the process closes.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::instance::{Instance, Seek};
use super::read::{Batch, ReadRecord};
use super::ConsumerManager;
use crate::error::ApiError;
use crate::plugins::bindings::host::CallContext;

/// Longest one batch waits for records with the instance's state locked: calls on the
/// instance made while it streams (commits, seeks, polled reads) wait at most this long.
const LOCKED_WAIT: Duration = Duration::from_millis(200);

/// Most key+value bytes of one streamed batch (or `consumer.request.max.bytes` if smaller):
/// about what a client that stopped reading leaves in krest's buffers besides the socket's.
const BATCH_BYTES: u64 = 256 << 10;

/// What a stream sends next.
pub enum Streamed {
    /// Records in the order a polled read would return them, already marked as delivered.
    Records(Vec<ReadRecord>),
    /// No record for `consumer.stream.heartbeat.ms`.
    Heartbeat,
}

/// Where a stream is.
struct Streaming {
    manager: Arc<ConsumerManager>,
    instance: Arc<Instance>,
    context: CallContext,
    stopping: watch::Receiver<bool>,
    /// Since when nothing was sent.
    quiet_since: Instant,
    /// An error was sent: nothing follows.
    failed: bool,
}

impl ConsumerManager {
    /// The records of `instance` as a stream, after moving it past `resume_after` (a record
    /// the client received, named by topic, partition and offset). What prevents streaming
    /// (no subscription or assignment, a format no longer loaded, a failed seek) is an error
    /// here, before the first byte; later errors are the stream's last item. The stream ends
    /// when the instance is closed or `stopping` turns true.
    pub async fn stream(
        self: Arc<Self>,
        instance: Arc<Instance>,
        resume_after: Option<(String, i32, i64)>,
        context: CallContext,
        stopping: watch::Receiver<bool>,
    ) -> Result<impl Stream<Item = Result<Streamed, ApiError>> + Send + 'static, ApiError> {
        self.format_of(&instance)?;
        instance.check_reading().await?;
        if let Some((topic, partition, offset)) = resume_after {
            let next = offset.saturating_add(1);
            instance.seek(vec![Seek::Offset(topic, partition, next)]).await?;
        }
        let heartbeat = self.settings.stream_heartbeat;
        let max_bytes = BATCH_BYTES.min(self.settings.request_max_bytes) as usize;
        let streaming = Streaming {
            manager: self,
            instance,
            context,
            stopping,
            quiet_since: Instant::now(),
            failed: false,
        };
        Ok(futures_util::stream::unfold(streaming, move |mut s| async move {
            while !s.failed && !s.instance.is_closed() && !*s.stopping.borrow() {
                let quiet = s.quiet_since.elapsed();
                if quiet >= heartbeat {
                    s.quiet_since = Instant::now();
                    return Some((Ok(Streamed::Heartbeat), s));
                }
                let batch = Batch {
                    wait: LOCKED_WAIT.min(heartbeat - quiet),
                    max_bytes,
                    min_bytes: -1,
                    eager: true,
                };
                match s.manager.read_batch(&s.instance, batch, &s.context).await {
                    Ok(records) if records.is_empty() => continue,
                    Ok(records) => {
                        s.quiet_since = Instant::now();
                        return Some((Ok(Streamed::Records(records)), s));
                    }
                    Err(error) => {
                        s.failed = true;
                        return Some((Err(error), s));
                    }
                }
            }
            None
        }))
    }
}
