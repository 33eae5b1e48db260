//! Consumer groups, their committed offsets, and partitions' latest offsets.

use std::collections::HashMap;
use std::ffi::c_char;
use std::ptr;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::{borrowed_error, c_string, slice, text, AdminError, AdminResult, Handle};

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

impl Handle {
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
            let mut described: HashMap<String, AdminResult<GroupDescription>> = slice(described, count)
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
}

struct PartitionList(*mut rd::rd_kafka_topic_partition_list_t);
impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.0) }
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
