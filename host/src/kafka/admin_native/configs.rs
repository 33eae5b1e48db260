//! Config reads (with synonyms) and incremental changes of topics and brokers.

use std::ptr;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::{c_string, slice, take_error, text, AdminError, AdminResult, Handle};

use rd::rd_kafka_ResourceType_t as Res;

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

impl Handle {
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
}

struct Resource(*mut rd::rd_kafka_ConfigResource_t);
impl Drop for Resource {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_ConfigResource_destroy(self.0) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_resource_name_is_refused_without_panicking() {
        assert!(config_resource(&ConfigTarget::Topic(String::new())).is_err());
    }
}
