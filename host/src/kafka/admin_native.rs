//! librdkafka's admin API, called through its C interface for what rdkafka's `AdminClient`
//! does not wrap (configs with synonyms, incremental config changes, consumer groups and their
//! offsets, ACLs) and for topic changes, whose errors it reports without Kafka's message.
//!
//! Each call runs to completion on the calling (blocking) thread: the request is sent with its
//! own result queue, which is polled once; every C object is freed by an owning guard.

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

/// A failed admin call: Kafka's (or librdkafka's) error code and message.
#[derive(Debug)]
pub struct AdminError {
    pub code: RDKafkaErrorCode,
    pub message: String,
}

impl AdminError {
    pub fn new(code: RDKafkaErrorCode, message: impl Into<String>) -> Self {
        AdminError {
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(RDKafkaErrorCode::InvalidRequest, message)
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

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

/// The resource whose configs are read or changed. librdkafka cannot address the
/// cluster-wide broker defaults (Kafka's broker resource named ""): it refuses empty names.
#[derive(Clone, Debug)]
pub enum ConfigTarget {
    Topic(String),
    Broker(i32),
}

#[derive(Debug)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub is_default: bool,
    pub is_read_only: bool,
    pub is_sensitive: bool,
    pub synonyms: Vec<ConfigSynonym>,
}

#[derive(Debug)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
}

/// One incremental change: `Some(value)` sets, `None` resets to the default.
#[derive(Clone, Debug)]
pub struct ConfigChange {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug)]
pub struct GroupDescription {
    pub group_id: String,
    pub is_simple: bool,
    pub partition_assignor: String,
    pub state: &'static str,
    pub group_type: &'static str,
    pub coordinator: Option<i32>,
    pub members: Vec<Member>,
}

#[derive(Debug)]
pub struct Member {
    pub consumer_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// `(topic, partition)`, sorted.
    pub assignment: Vec<(String, i32)>,
}

/// An ACL binding (or, with `ANY`/`MATCH` and empty fields, a filter), named with Kafka's
/// enum names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    pub resource_type: &'static str,
    pub resource_name: Option<String>,
    pub pattern_type: &'static str,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: &'static str,
    pub permission: &'static str,
}

use rd::rd_kafka_AclOperation_t as Op;
use rd::rd_kafka_AclPermissionType_t as Perm;
use rd::rd_kafka_ResourcePatternType_t as Pattern;
use rd::rd_kafka_ResourceType_t as Res;

/// ACL resource types; librdkafka's BROKER (4) is Kafka's CLUSTER in ACLs.
pub const RESOURCE_TYPES: &[(&str, Res)] = &[
    ("UNKNOWN", Res::RD_KAFKA_RESOURCE_UNKNOWN),
    ("ANY", Res::RD_KAFKA_RESOURCE_ANY),
    ("TOPIC", Res::RD_KAFKA_RESOURCE_TOPIC),
    ("GROUP", Res::RD_KAFKA_RESOURCE_GROUP),
    ("CLUSTER", Res::RD_KAFKA_RESOURCE_BROKER),
    ("TRANSACTIONAL_ID", Res::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID),
];

pub const PATTERN_TYPES: &[(&str, Pattern)] = &[
    ("UNKNOWN", Pattern::RD_KAFKA_RESOURCE_PATTERN_UNKNOWN),
    ("ANY", Pattern::RD_KAFKA_RESOURCE_PATTERN_ANY),
    ("MATCH", Pattern::RD_KAFKA_RESOURCE_PATTERN_MATCH),
    ("LITERAL", Pattern::RD_KAFKA_RESOURCE_PATTERN_LITERAL),
    ("PREFIXED", Pattern::RD_KAFKA_RESOURCE_PATTERN_PREFIXED),
];

pub const OPERATIONS: &[(&str, Op)] = &[
    ("UNKNOWN", Op::RD_KAFKA_ACL_OPERATION_UNKNOWN),
    ("ANY", Op::RD_KAFKA_ACL_OPERATION_ANY),
    ("ALL", Op::RD_KAFKA_ACL_OPERATION_ALL),
    ("READ", Op::RD_KAFKA_ACL_OPERATION_READ),
    ("WRITE", Op::RD_KAFKA_ACL_OPERATION_WRITE),
    ("CREATE", Op::RD_KAFKA_ACL_OPERATION_CREATE),
    ("DELETE", Op::RD_KAFKA_ACL_OPERATION_DELETE),
    ("ALTER", Op::RD_KAFKA_ACL_OPERATION_ALTER),
    ("DESCRIBE", Op::RD_KAFKA_ACL_OPERATION_DESCRIBE),
    ("CLUSTER_ACTION", Op::RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION),
    ("DESCRIBE_CONFIGS", Op::RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS),
    ("ALTER_CONFIGS", Op::RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS),
    ("IDEMPOTENT_WRITE", Op::RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE),
];

pub const PERMISSIONS: &[(&str, Perm)] = &[
    ("UNKNOWN", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_UNKNOWN),
    ("ANY", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_ANY),
    ("DENY", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_DENY),
    ("ALLOW", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW),
];

/// The librdkafka value of the enum name `name` in `table`.
fn value_of<T: Copy>(table: &[(&str, T)], name: &str) -> AdminResult<T> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| AdminError::invalid(format!("Unsupported ACL value: {name}")))
}

/// The enum name of a librdkafka value (`UNKNOWN` for one the table lacks).
fn name_of<T: PartialEq>(table: &[(&'static str, T)], value: T) -> &'static str {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("UNKNOWN", |(n, _)| n)
}

/// A librdkafka client handle borrowed for one call.
#[derive(Clone, Copy)]
pub struct Handle {
    rk: *mut rd::rd_kafka_t,
    timeout: Duration,
}

impl Handle {
    /// # Safety
    /// `rk` must stay a live client handle for as long as the `Handle` is used.
    pub unsafe fn new(rk: *mut rd::rd_kafka_t, timeout: Duration) -> Self {
        Handle { rk, timeout }
    }

    fn millis(&self) -> i32 {
        i32::try_from(self.timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// Sends one request (`send` gets the options and the result queue) and waits for its
    /// result event; an error of the whole request is returned as such.
    fn call(
        &self,
        op: rd::rd_kafka_admin_op_t,
        validate_only: bool,
        send: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
    ) -> AdminResult<Event> {
        let mut errstr = [0 as c_char; 512];
        // SAFETY: `rk` is live (Handle::new); every object made here is freed by its guard.
        unsafe {
            let options = Options(rd::rd_kafka_AdminOptions_new(self.rk, op));
            rd::rd_kafka_AdminOptions_set_request_timeout(
                options.0,
                self.millis(),
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            // Only topic operations have one; elsewhere librdkafka refuses it, harmlessly.
            rd::rd_kafka_AdminOptions_set_operation_timeout(
                options.0,
                self.millis(),
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            if op == rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS {
                // Offsets a read-committed consumer can reach, as Confluent's lags use.
                let level = rd::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED;
                take_error(rd::rd_kafka_AdminOptions_set_isolation_level(options.0, level))?;
            }
            if validate_only {
                rd::rd_kafka_AdminOptions_set_validate_only(options.0, 1, errstr.as_mut_ptr(), errstr.len());
            }
            let queue = Queue(rd::rd_kafka_queue_new(self.rk));
            send(options.0, queue.0);
            // librdkafka times the request out itself; the margin only guards against a lost event.
            let event = rd::rd_kafka_queue_poll(queue.0, self.millis().saturating_add(5_000));
            if event.is_null() {
                return Err(AdminError::new(
                    RDKafkaErrorCode::OperationTimedOut,
                    "Admin request timed out",
                ));
            }
            let event = Event(event);
            let code = rd::rd_kafka_event_error(event.0);
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let message = text(rd::rd_kafka_event_error_string(event.0)).unwrap_or_default();
                return Err(AdminError::new(code.into(), message));
            }
            Ok(event)
        }
    }

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

    pub fn describe_configs(&self, target: &ConfigTarget) -> AdminResult<Vec<ConfigEntry>> {
        let resource = config_resource(target)?;
        let mut resources = [resource.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            false,
            |o, q| unsafe { rd::rd_kafka_DescribeConfigs(self.rk, resources.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: the result and everything reached from it live as long as `event`.
        unsafe {
            let result = rd::rd_kafka_event_DescribeConfigs_result(event.0);
            let mut count = 0;
            let resources = rd::rd_kafka_DescribeConfigs_result_resources(result, &mut count);
            let resource = *slice(resources, count)
                .first()
                .ok_or_else(|| AdminError::invalid("DescribeConfigs returned no resource"))?;
            resource_error(resource)?;
            let mut count = 0;
            let entries = rd::rd_kafka_ConfigResource_configs(resource, &mut count);
            Ok(slice(entries, count).iter().map(|&e| config_entry(e)).collect())
        }
    }

    /// Applies `changes` to the resource at once (IncrementalAlterConfigs: configs not named
    /// keep their values).
    pub fn alter_configs(
        &self,
        target: &ConfigTarget,
        changes: &[ConfigChange],
        validate_only: bool,
    ) -> AdminResult<()> {
        let resource = config_resource(target)?;
        for change in changes {
            let name = c_string(&change.name)?;
            let value = change.value.as_deref().map(c_string).transpose()?;
            let op = match value {
                Some(_) => rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                None => rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
            };
            // SAFETY: the strings outlive the call, which copies them.
            let error = unsafe {
                rd::rd_kafka_ConfigResource_add_incremental_config(
                    resource.0,
                    name.as_ptr(),
                    op,
                    value.as_ref().map_or(ptr::null(), |v| v.as_ptr()),
                )
            };
            take_error(error)?;
        }
        let mut resources = [resource.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
            validate_only,
            |o, q| unsafe { rd::rd_kafka_IncrementalAlterConfigs(self.rk, resources.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(event.0);
            let mut count = 0;
            let resources = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
            slice(resources, count)
                .iter()
                .try_for_each(|&r| resource_error(r))
        }
    }

    /// The ids of the cluster's consumer groups.
    pub fn list_groups(&self) -> AdminResult<Vec<String>> {
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
            false,
            |o, q| unsafe { rd::rd_kafka_ListConsumerGroups(self.rk, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_ListConsumerGroups_result(event.0);
            let mut count = 0;
            let listings = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut count);
            Ok(slice(listings, count)
                .iter()
                .filter_map(|&g| text(rd::rd_kafka_ConsumerGroupListing_group_id(g)))
                .collect())
        }
    }

    /// Each group's description or error, in the order asked (one request for all).
    pub fn describe_groups(&self, groups: &[String]) -> AdminResult<Vec<AdminResult<GroupDescription>>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let names = groups
            .iter()
            .map(|g| c_string(g))
            .collect::<AdminResult<Vec<_>>>()?;
        let mut pointers: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            false,
            |o, q| unsafe {
                rd::rd_kafka_DescribeConsumerGroups(self.rk, pointers.as_mut_ptr(), pointers.len(), o, q)
            },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_DescribeConsumerGroups_result(event.0);
            let mut count = 0;
            let described = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut count);
            let mut described: std::collections::HashMap<String, AdminResult<GroupDescription>> =
                slice(described, count)
                    .iter()
                    .map(|&g| {
                        let id = text(rd::rd_kafka_ConsumerGroupDescription_group_id(g)).unwrap_or_default();
                        (id, group_description(g))
                    })
                    .collect();
            Ok(groups
                .iter()
                .map(|wanted| {
                    described.remove(wanted).unwrap_or_else(|| {
                        Err(AdminError::invalid("DescribeConsumerGroups left out a group"))
                    })
                })
                .collect())
        }
    }

    /// Every committed offset of `group`: `(topic, partition, offset)`, sorted.
    pub fn committed_offsets(&self, group: &str) -> AdminResult<Vec<(String, i32, i64)>> {
        let name = c_string(group)?;
        // SAFETY: `name` outlives the call, which copies it; the request object is freed below.
        let request = unsafe { rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), ptr::null()) };
        let mut requests = [request];
        let sent = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            false,
            |o, q| unsafe { rd::rd_kafka_ListConsumerGroupOffsets(self.rk, requests.as_mut_ptr(), 1, o, q) },
        );
        // SAFETY: made above, used by nobody after the call.
        unsafe { rd::rd_kafka_ListConsumerGroupOffsets_destroy(request) };
        let event = sent?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event.0);
            let mut count = 0;
            let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
            let mut offsets = Vec::new();
            for &g in slice(groups, count) {
                borrowed_error(rd::rd_kafka_group_result_error(g))?;
                let list = rd::rd_kafka_group_result_partitions(g);
                if list.is_null() {
                    continue;
                }
                for p in slice((*list).elems, (*list).cnt as usize) {
                    if p.offset >= 0 {
                        offsets.push((text(p.topic).unwrap_or_default(), p.partition, p.offset));
                    }
                }
            }
            offsets.sort();
            Ok(offsets)
        }
    }

    /// The latest (last stable) offset of each partition, in the order asked.
    pub fn end_offsets(&self, partitions: &[(String, i32)]) -> AdminResult<Vec<i64>> {
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        // SAFETY: the list is freed by its guard; `add` copies the topic name.
        let list = PartitionList(unsafe { rd::rd_kafka_topic_partition_list_new(partitions.len() as i32) });
        for (topic, partition) in partitions {
            let topic = c_string(topic)?;
            unsafe {
                let added = rd::rd_kafka_topic_partition_list_add(list.0, topic.as_ptr(), *partition);
                (*added).offset = rd::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST as i64;
            }
        }
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
            false,
            |o, q| unsafe { rd::rd_kafka_ListOffsets(self.rk, list.0, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_ListOffsets_result(event.0);
            let mut count = 0;
            let infos = rd::rd_kafka_ListOffsets_result_infos(result, &mut count);
            let mut found = std::collections::HashMap::new();
            for &info in slice(infos, count) {
                let p = &*rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                if p.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    return Err(AdminError::new(
                        p.err.into(),
                        format!("{:?}", RDKafkaErrorCode::from(p.err)),
                    ));
                }
                found.insert((text(p.topic).unwrap_or_default(), p.partition), p.offset);
            }
            partitions
                .iter()
                .map(|key| {
                    found
                        .get(key)
                        .copied()
                        .ok_or_else(|| AdminError::invalid("ListOffsets left out a partition"))
                })
                .collect()
        }
    }

    pub fn create_acls(&self, acls: &[Acl]) -> AdminResult<()> {
        let bindings = acls
            .iter()
            .map(|acl| binding(acl, false))
            .collect::<AdminResult<Vec<_>>>()?;
        let mut pointers: Vec<_> = bindings.iter().map(|b| b.0).collect();
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
            false,
            |o, q| unsafe { rd::rd_kafka_CreateAcls(self.rk, pointers.as_mut_ptr(), pointers.len(), o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_CreateAcls_result(event.0);
            let mut count = 0;
            let results = rd::rd_kafka_CreateAcls_result_acls(result, &mut count);
            slice(results, count)
                .iter()
                .try_for_each(|&r| borrowed_error(rd::rd_kafka_acl_result_error(r)))
        }
    }

    pub fn describe_acls(&self, filter: &Acl) -> AdminResult<Vec<Acl>> {
        let filter = binding(filter, true)?;
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
            false,
            |o, q| unsafe { rd::rd_kafka_DescribeAcls(self.rk, filter.0, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_DescribeAcls_result(event.0);
            let mut count = 0;
            let acls = rd::rd_kafka_DescribeAcls_result_acls(result, &mut count);
            Ok(slice(acls, count).iter().map(|&a| acl(a)).collect())
        }
    }

    /// Deletes the ACLs matching `filter`; returns the deleted ones.
    pub fn delete_acls(&self, filter: &Acl) -> AdminResult<Vec<Acl>> {
        let filter = binding(filter, true)?;
        let mut filters = [filter.0];
        let event = self.call(
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS,
            false,
            |o, q| unsafe { rd::rd_kafka_DeleteAcls(self.rk, filters.as_mut_ptr(), 1, o, q) },
        )?;
        // SAFETY: as in `describe_configs`.
        unsafe {
            let result = rd::rd_kafka_event_DeleteAcls_result(event.0);
            let mut count = 0;
            let responses = rd::rd_kafka_DeleteAcls_result_responses(result, &mut count);
            let mut deleted = Vec::new();
            for &response in slice(responses, count) {
                borrowed_error(rd::rd_kafka_DeleteAcls_result_response_error(response))?;
                let mut matching = 0;
                let acls = rd::rd_kafka_DeleteAcls_result_response_matching_acls(response, &mut matching);
                deleted.extend(slice(acls, matching).iter().map(|&a| acl(a)));
            }
            Ok(deleted)
        }
    }
}

struct Options(*mut rd::rd_kafka_AdminOptions_t);
impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

struct Queue(*mut rd::rd_kafka_queue_t);
impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

struct Event(*mut rd::rd_kafka_event_t);
impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

struct Resource(*mut rd::rd_kafka_ConfigResource_t);
impl Drop for Resource {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_ConfigResource_destroy(self.0) }
    }
}

struct PartitionList(*mut rd::rd_kafka_topic_partition_list_t);
impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.0) }
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

struct Binding(*mut rd::rd_kafka_AclBinding_t);
impl Drop for Binding {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_AclBinding_destroy(self.0) }
    }
}

fn c_string(text: &str) -> AdminResult<CString> {
    CString::new(text).map_err(|_| AdminError::invalid("names may not contain NUL characters"))
}

/// # Safety
/// `ptr` is null or a NUL-terminated string.
unsafe fn text(ptr: *const c_char) -> Option<String> {
    (!ptr.is_null()).then(|| CStr::from_ptr(ptr).to_string_lossy().into_owned())
}

/// # Safety
/// `ptr` is null (then `count` is ignored) or points at `count` elements.
unsafe fn slice<'a, T>(ptr: *const T, count: usize) -> &'a [T] {
    if ptr.is_null() || count == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, count)
    }
}

fn config_resource(target: &ConfigTarget) -> AdminResult<Resource> {
    let (kind, name) = match target {
        ConfigTarget::Topic(name) => (Res::RD_KAFKA_RESOURCE_TOPIC, name.clone()),
        ConfigTarget::Broker(id) => (Res::RD_KAFKA_RESOURCE_BROKER, id.to_string()),
    };
    let name = c_string(&name)?;
    // SAFETY: the call copies `name`.
    let resource = unsafe { rd::rd_kafka_ConfigResource_new(kind, name.as_ptr()) };
    if resource.is_null() {
        return Err(AdminError::new(
            RDKafkaErrorCode::InvalidTopic,
            "The resource name must not be empty.",
        ));
    }
    Ok(Resource(resource))
}

/// # Safety
/// `resource` is a live result resource.
unsafe fn resource_error(resource: *const rd::rd_kafka_ConfigResource_t) -> AdminResult<()> {
    let code = rd::rd_kafka_ConfigResource_error(resource);
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    let message = text(rd::rd_kafka_ConfigResource_error_string(resource));
    Err(AdminError::new(
        code.into(),
        message.unwrap_or_else(|| format!("{code:?}")),
    ))
}

/// # Safety
/// `error` is null or an error owned by a live result (not freed here).
unsafe fn borrowed_error(error: *const rd::rd_kafka_error_t) -> AdminResult<()> {
    if error.is_null() {
        return Ok(());
    }
    let code = rd::rd_kafka_error_code(error);
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    let message = text(rd::rd_kafka_error_string(error)).unwrap_or_default();
    Err(AdminError::new(code.into(), message))
}

/// An error the caller owns, freed here.
fn take_error(error: *mut rd::rd_kafka_error_t) -> AdminResult<()> {
    // SAFETY: null or owned by us.
    unsafe {
        let result = borrowed_error(error);
        if !error.is_null() {
            rd::rd_kafka_error_destroy(error);
        }
        result
    }
}

fn config_source(source: rd::rd_kafka_ConfigSource_t) -> &'static str {
    use rd::rd_kafka_ConfigSource_t as S;
    match source {
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => "DYNAMIC_TOPIC_CONFIG",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => "DYNAMIC_BROKER_CONFIG",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        S::RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => "STATIC_BROKER_CONFIG",
        S::RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => "DEFAULT_CONFIG",
        _ => "UNKNOWN",
    }
}

/// # Safety
/// `entry` is a live result entry.
unsafe fn config_entry(entry: *const rd::rd_kafka_ConfigEntry_t) -> ConfigEntry {
    let mut count = 0;
    let synonyms = rd::rd_kafka_ConfigEntry_synonyms(entry, &mut count);
    ConfigEntry {
        name: text(rd::rd_kafka_ConfigEntry_name(entry)).unwrap_or_default(),
        value: text(rd::rd_kafka_ConfigEntry_value(entry)),
        source: config_source(rd::rd_kafka_ConfigEntry_source(entry)),
        is_default: rd::rd_kafka_ConfigEntry_is_default(entry) != 0,
        is_read_only: rd::rd_kafka_ConfigEntry_is_read_only(entry) != 0,
        is_sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(entry) != 0,
        synonyms: slice(synonyms, count)
            .iter()
            .map(|&s| ConfigSynonym {
                name: text(rd::rd_kafka_ConfigEntry_name(s)).unwrap_or_default(),
                value: text(rd::rd_kafka_ConfigEntry_value(s)),
                source: config_source(rd::rd_kafka_ConfigEntry_source(s)),
            })
            .collect(),
    }
}

fn group_state(state: rd::rd_kafka_consumer_group_state_t) -> &'static str {
    use rd::rd_kafka_consumer_group_state_t as S;
    match state {
        S::RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE => "PREPARING_REBALANCE",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE => "COMPLETING_REBALANCE",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE => "STABLE",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_DEAD => "DEAD",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY => "EMPTY",
        _ => "UNKNOWN",
    }
}

fn group_type(kind: rd::rd_kafka_consumer_group_type_t) -> &'static str {
    use rd::rd_kafka_consumer_group_type_t as T;
    match kind {
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => "CONSUMER",
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => "CLASSIC",
        _ => "UNKNOWN",
    }
}

/// # Safety
/// `g` is a live group description of a live result.
unsafe fn group_description(
    g: *const rd::rd_kafka_ConsumerGroupDescription_t,
) -> AdminResult<GroupDescription> {
    borrowed_error(rd::rd_kafka_ConsumerGroupDescription_error(g))?;
    let coordinator = rd::rd_kafka_ConsumerGroupDescription_coordinator(g);
    let members = (0..rd::rd_kafka_ConsumerGroupDescription_member_count(g))
        .map(|i| member(rd::rd_kafka_ConsumerGroupDescription_member(g, i)))
        .collect();
    Ok(GroupDescription {
        group_id: text(rd::rd_kafka_ConsumerGroupDescription_group_id(g)).unwrap_or_default(),
        is_simple: rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0,
        partition_assignor: text(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(g))
            .unwrap_or_default(),
        state: group_state(rd::rd_kafka_ConsumerGroupDescription_state(g)),
        group_type: group_type(rd::rd_kafka_ConsumerGroupDescription_type(g)),
        coordinator: (!coordinator.is_null()).then(|| rd::rd_kafka_Node_id(coordinator)),
        members,
    })
}

/// # Safety
/// `m` is a live member of a live group description.
unsafe fn member(m: *const rd::rd_kafka_MemberDescription_t) -> Member {
    let mut assignment = Vec::new();
    let assigned = rd::rd_kafka_MemberDescription_assignment(m);
    if !assigned.is_null() {
        let list = rd::rd_kafka_MemberAssignment_partitions(assigned);
        if !list.is_null() {
            for p in slice((*list).elems, (*list).cnt as usize) {
                assignment.push((text(p.topic).unwrap_or_default(), p.partition));
            }
        }
    }
    assignment.sort();
    Member {
        consumer_id: text(rd::rd_kafka_MemberDescription_consumer_id(m)).unwrap_or_default(),
        instance_id: text(rd::rd_kafka_MemberDescription_group_instance_id(m)),
        client_id: text(rd::rd_kafka_MemberDescription_client_id(m)).unwrap_or_default(),
        host: text(rd::rd_kafka_MemberDescription_host(m)).unwrap_or_default(),
        assignment,
    }
}

/// A binding (`filter == false`) or a binding filter for `acl`.
fn binding(acl: &Acl, filter: bool) -> AdminResult<Binding> {
    let name = acl.resource_name.as_deref().map(c_string).transpose()?;
    let principal = acl.principal.as_deref().map(c_string).transpose()?;
    let host = acl.host.as_deref().map(c_string).transpose()?;
    let pointer = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
    let mut errstr = [0 as c_char; 512];
    let make = if filter {
        rd::rd_kafka_AclBindingFilter_new
    } else {
        rd::rd_kafka_AclBinding_new
    };
    // SAFETY: the strings outlive the call, which copies them.
    let made = unsafe {
        make(
            value_of(RESOURCE_TYPES, acl.resource_type)?,
            pointer(&name),
            value_of(PATTERN_TYPES, acl.pattern_type)?,
            pointer(&principal),
            pointer(&host),
            value_of(OPERATIONS, acl.operation)?,
            value_of(PERMISSIONS, acl.permission)?,
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if made.is_null() {
        // SAFETY: librdkafka wrote a NUL-terminated message into the buffer.
        let message = unsafe { text(errstr.as_ptr()) }.unwrap_or_default();
        return Err(AdminError::invalid(message));
    }
    Ok(Binding(made))
}

/// # Safety
/// `a` is a live binding of a live result.
unsafe fn acl(a: *const rd::rd_kafka_AclBinding_t) -> Acl {
    Acl {
        resource_type: name_of(RESOURCE_TYPES, rd::rd_kafka_AclBinding_restype(a)),
        resource_name: text(rd::rd_kafka_AclBinding_name(a)),
        pattern_type: name_of(PATTERN_TYPES, rd::rd_kafka_AclBinding_resource_pattern_type(a)),
        principal: text(rd::rd_kafka_AclBinding_principal(a)),
        host: text(rd::rd_kafka_AclBinding_host(a)),
        operation: name_of(OPERATIONS, rd::rd_kafka_AclBinding_operation(a)),
        permission: name_of(PERMISSIONS, rd::rd_kafka_AclBinding_permission_type(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_names_map_to_librdkafka_values_and_back() {
        for (name, value) in OPERATIONS {
            assert_eq!(value_of(OPERATIONS, name).unwrap(), *value);
            assert_eq!(name_of(OPERATIONS, *value), *name);
        }
        assert_eq!(
            value_of(RESOURCE_TYPES, "CLUSTER").unwrap(),
            Res::RD_KAFKA_RESOURCE_BROKER
        );
        assert_eq!(name_of(RESOURCE_TYPES, Res::RD_KAFKA_RESOURCE_BROKER), "CLUSTER");
        assert!(value_of(PERMISSIONS, "MAYBE").is_err());
    }

    #[test]
    fn bindings_refuse_what_librdkafka_refuses_without_panicking() {
        let acl = Acl {
            resource_type: "TOPIC",
            resource_name: Some("t".into()),
            pattern_type: "LITERAL",
            principal: Some("User:alice".into()),
            host: Some("*".into()),
            operation: "READ",
            permission: "ALLOW",
        };
        assert!(binding(&acl, false).is_ok());
        let wildcard = Acl {
            pattern_type: "ANY",
            ..acl.clone()
        };
        assert!(
            binding(&wildcard, false).is_err(),
            "a binding cannot use a filter's ANY"
        );
        assert!(binding(&wildcard, true).is_ok());
        let nul = Acl {
            principal: Some("User:a\0b".into()),
            ..acl
        };
        assert!(binding(&nul, false).is_err());
        assert!(config_resource(&ConfigTarget::Topic(String::new())).is_err());
    }
}
