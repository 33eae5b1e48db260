//! The `headers` transform: adds and removes Kafka record headers and stamps the caller's
//! principal and the request id, configured by `headers.toml`:
//!
//! ```toml
//! remove = ["x-debug", "x-internal"]   # headers removed (all of each name)
//! principal_header = "x-principal"     # set to the caller's principal
//! request_id_header = "x-request-id"   # set to the HTTP request's id
//! timestamp = "keep"                   # "keep" (default) or "now": the record's timestamp
//!
//! [add]                                # headers set to these (UTF-8) values
//! x-source = "krest"
//! ```
//!
//! Header names match exactly (Kafka's are case-sensitive). Setting a header (`[add]`,
//! `principal_header`, `request_id_header`) replaces every header of that name the record
//! already has, so a client cannot send its own `x-principal` alongside krest's; a record that
//! already holds exactly that one header keeps it where it is. Order: `remove`, then `[add]`,
//! then the principal and the request id, so they win over `[add]`. Without a principal (no
//! `auth.plugins`, or a path auth skips) `principal_header` is removed, never forged. On
//! consume the principal is the consumer instance's owner. `timestamp = "now"` sets the
//! record's timestamp to the current time (milliseconds since the epoch).
//!
//! Records are handled alike in both directions; a record nothing changed is kept, the others
//! are replaced (topic, partition, key and value untouched). A configuration that is invalid,
//! or sets nothing to do, fails every record with a message naming the setting, and is logged.

mod config;

use config::Settings;
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::{
    Direction, Guest, Header, KafkaRecord, Outcome,
};
use krest_plugin_sdk::CallContext;

pub struct Headers;

impl Guest for Headers {
    fn apply(_direction: Direction, records: Vec<KafkaRecord>) -> Vec<Outcome> {
        let context = krest_plugin_sdk::context();
        krest_plugin_sdk::configured::each_record(
            "headers",
            Settings::from_config,
            records,
            |settings, record| edit(settings, &context, record),
        )
    }
}

fn edit(settings: &Settings, context: &CallContext, mut record: KafkaRecord) -> Outcome {
    let headers = &mut record.headers;
    let count = headers.len();
    headers.retain(|header| !settings.remove.contains(&header.name));
    let mut changed = headers.len() != count;
    for (name, value) in &settings.add {
        changed |= set(headers, name, Some(value));
    }
    if let Some(name) = &settings.principal_header {
        changed |= set(headers, name, context.principal.as_deref());
    }
    if let Some(name) = &settings.request_id_header {
        changed |= set(headers, name, Some(&context.request_id));
    }
    if settings.timestamp_now {
        let now = Some(now_millis());
        changed |= record.timestamp != now;
        record.timestamp = now;
    }
    match changed {
        true => Outcome::Replace(record),
        false => Outcome::Keep,
    }
}

/// Leaves one header `name` holding `value` (none with `None`), in place if it is there.
/// Whether the headers changed.
fn set(headers: &mut Vec<Header>, name: &str, value: Option<&str>) -> bool {
    let value = value.map(|v| v.as_bytes().to_vec());
    let mut named = headers.iter().filter(|header| header.name == name);
    if let (Some(only), None) = (named.next(), named.next()) {
        if value.is_some() && only.value == value {
            return false;
        }
    }
    let count = headers.len();
    headers.retain(|header| header.name != name);
    let removed = headers.len() != count;
    match value {
        Some(value) => {
            headers.push(Header {
                name: name.to_string(),
                value: Some(value),
            });
            true
        }
        None => removed,
    }
}

fn now_millis() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit an i64")
}

krest_plugin_sdk::export_transform!(Headers);

#[cfg(test)]
mod tests;
