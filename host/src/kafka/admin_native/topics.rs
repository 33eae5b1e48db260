//! Topic creation, deletion and growth.

use std::ffi::c_char;

use rdkafka::bindings as rd;

use super::{c_string, slice, text, AdminError, AdminResult, Handle};

/// A topic to create; `None` leaves the count to the broker's default.
#[derive(Debug, Default)]
pub struct NewTopic {
    pub name: String,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i32>,
    /// Replica broker ids per partition, in partition order (then no counts are given).
    pub assignments: Vec<Vec<i32>>,
    pub configs: Vec<(String, String)>,
}

impl Handle {
    pub fn create_topic(&self, topic: &NewTopic, validate_only: bool) -> AdminResult<()> {
        let name = c_string(&topic.name)?;
        let mut errstr = [0 as c_char; 512];
        // With an assignment librdkafka wants its partition count and no replication factor.
        let (partitions, replication) = match topic.assignments.len() {
            0 => (
                topic.partitions.unwrap_or(-1),
                topic.replication_factor.unwrap_or(-1),
            ),
            count => (count as i32, -1),
        };
        // SAFETY: the call copies `name`; the result is owned by the guard.
        let new = NewTopicGuard(unsafe {
            rd::rd_kafka_NewTopic_new(
                name.as_ptr(),
                partitions,
                replication,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        });
        if new.0.is_null() {
            return Err(AdminError::invalid(
                unsafe { text(errstr.as_ptr()) }.unwrap_or_default(),
            ));
        }
        for (partition, brokers) in topic.assignments.iter().enumerate() {
            let mut brokers = brokers.clone();
            // SAFETY: `brokers` outlives the call, which copies it.
            let code = unsafe {
                rd::rd_kafka_NewTopic_set_replica_assignment(
                    new.0,
                    partition as i32,
                    brokers.as_mut_ptr(),
                    brokers.len(),
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(AdminError::invalid(
                    unsafe { text(errstr.as_ptr()) }.unwrap_or_default(),
                ));
            }
        }
        for (key, value) in &topic.configs {
            let (key, value) = (c_string(key)?, c_string(value)?);
            // SAFETY: the call copies both strings.
            unsafe { rd::rd_kafka_NewTopic_set_config(new.0, key.as_ptr(), value.as_ptr()) };
        }
        let mut topics = [new.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS,
            validate_only,
            |o, q| unsafe { rd::rd_kafka_CreateTopics(self.rk, topics.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_CreateTopics_result(event.0);
            let mut count = 0;
            topic_errors(rd::rd_kafka_CreateTopics_result_topics(result, &mut count), count)
        }
    }

    pub fn delete_topic(&self, topic: &str) -> AdminResult<()> {
        let name = c_string(topic)?;
        // SAFETY: the call copies `name`.
        let delete = DeleteTopicGuard(unsafe { rd::rd_kafka_DeleteTopic_new(name.as_ptr()) });
        let mut topics = [delete.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS,
            false,
            |o, q| unsafe { rd::rd_kafka_DeleteTopics(self.rk, topics.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_DeleteTopics_result(event.0);
            let mut count = 0;
            topic_errors(rd::rd_kafka_DeleteTopics_result_topics(result, &mut count), count)
        }
    }

    /// Grows `topic` to `total` partitions.
    pub fn create_partitions(&self, topic: &str, total: usize) -> AdminResult<()> {
        let name = c_string(topic)?;
        let mut errstr = [0 as c_char; 512];
        // SAFETY: the call copies `name`.
        let new = NewPartitionsGuard(unsafe {
            rd::rd_kafka_NewPartitions_new(name.as_ptr(), total, errstr.as_mut_ptr(), errstr.len())
        });
        if new.0.is_null() {
            return Err(AdminError::invalid(
                unsafe { text(errstr.as_ptr()) }.unwrap_or_default(),
            ));
        }
        let mut parts = [new.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
            false,
            |o, q| unsafe { rd::rd_kafka_CreatePartitions(self.rk, parts.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_CreatePartitions_result(event.0);
            let mut count = 0;
            topic_errors(
                rd::rd_kafka_CreatePartitions_result_topics(result, &mut count),
                count,
            )
        }
    }
}

struct NewTopicGuard(*mut rd::rd_kafka_NewTopic_t);
impl Drop for NewTopicGuard {
    fn drop(&mut self) {
        // SAFETY: owned (or null), freed once.
        if !self.0.is_null() {
            unsafe { rd::rd_kafka_NewTopic_destroy(self.0) }
        }
    }
}

struct DeleteTopicGuard(*mut rd::rd_kafka_DeleteTopic_t);
impl Drop for DeleteTopicGuard {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_DeleteTopic_destroy(self.0) }
    }
}

struct NewPartitionsGuard(*mut rd::rd_kafka_NewPartitions_t);
impl Drop for NewPartitionsGuard {
    fn drop(&mut self) {
        // SAFETY: owned (or null), freed once.
        if !self.0.is_null() {
            unsafe { rd::rd_kafka_NewPartitions_destroy(self.0) }
        }
    }
}

/// # Safety
/// `results` points at `count` live topic results.
unsafe fn topic_errors(results: *mut *const rd::rd_kafka_topic_result_t, count: usize) -> AdminResult<()> {
    for &result in slice(results, count) {
        let code = rd::rd_kafka_topic_result_error(result);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let message = text(rd::rd_kafka_topic_result_error_string(result));
            return Err(AdminError::new(
                code.into(),
                message.unwrap_or_else(|| format!("{code:?}")),
            ));
        }
    }
    Ok(())
}
