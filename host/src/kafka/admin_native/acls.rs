//! ACLs: create, describe (search) and delete, named with Kafka's enum names.

use std::ffi::{c_char, CString};
use std::ptr;

use rdkafka::bindings as rd;

use super::{borrowed_error, c_string, slice, text, AdminError, AdminResult, Handle};

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

impl Handle {
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

struct Binding(*mut rd::rd_kafka_AclBinding_t);
impl Drop for Binding {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_AclBinding_destroy(self.0) }
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
    }
}
