//! The `route` transform: picks each produced record's topic from a field of its JSON value or
//! from a header, configured by `route.toml`:
//!
//! ```toml
//! field = "region"          # where the routing value is: `field` (the value's JSON: `a.b`,
//!                           # `$.a.b`, `$`, or a JSON Pointer `/a.b/c`) or `header = "x-region"`
//! topic = "orders-{value}"  # template: {value} is the routing value, {topic} the record's topic
//! default = "keep"          # no routing value, or one neither [map] nor `topic` routes:
//!                           # "keep" (default: the topic asked for), "drop" or "error"
//!
//! [map]                     # routing values with a topic of their own (before `topic`)
//! eu = "orders-eu"
//! us = "orders-us"
//! ```
//!
//! The routing value is a string (its content; empty counts as none), a number (as written)
//! or a boolean at the field, or the UTF-8 text of the record's last header of that name (a
//! null header or one that is not UTF-8 counts as none). `[map]` is looked up first, then the
//! `topic` template applies; with only `[map]`, unmapped values take `default`, which keeps
//! destinations to a fixed set. A value that is not JSON has no field, so it takes `default`.
//!
//! Only produced records are routed; consumed ones are kept. A record routed to another topic
//! is replaced with that topic and no partition, so Kafka's partitioner picks one (by key)
//! there; one routed to the topic it names is kept as it is, partition included.
//! A name that is not a legal Kafka topic (1–249 of `a-z A-Z 0-9 . _ -`, not `.` or `..`) fails
//! the record. A configuration error fails every record with a message naming the setting,
//! and is logged.

mod config;

use config::{Fallback, Settings, Source};
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::{
    Direction, Guest, KafkaRecord, Outcome,
};
use serde_json::Value;

pub struct Route;

impl Guest for Route {
    fn apply(direction: Direction, records: Vec<KafkaRecord>) -> Vec<Outcome> {
        if direction == Direction::Consume {
            return records.iter().map(|_| Outcome::Keep).collect();
        }
        krest_plugin_sdk::configured::each_record("route", Settings::from_config, records, route)
    }
}

fn route(settings: &Settings, mut record: KafkaRecord) -> Outcome {
    let Some(value) = routing_value(&settings.source, &record) else {
        return fallback(settings, format!("route: the record has no {}", settings.source));
    };
    let topic = match (settings.map.get(&value), &settings.template) {
        (Some(topic), _) => topic.clone(),
        (None, Some(template)) => template
            .replace("{value}", &value)
            .replace("{topic}", &record.topic),
        (None, None) => return fallback(settings, format!("route: `{value}` is not in [map]")),
    };
    if !config::valid_topic(&topic) {
        return Outcome::Error(format!("route: `{topic}` is not a valid topic name"));
    }
    if topic == record.topic {
        return Outcome::Keep;
    }
    record.topic = topic;
    record.partition = None;
    Outcome::Replace(record)
}

fn fallback(settings: &Settings, why: String) -> Outcome {
    match settings.fallback {
        Fallback::Keep => Outcome::Keep,
        Fallback::Drop => Outcome::Drop,
        Fallback::Error => Outcome::Error(why),
    }
}

/// The routing value's text; `None` when there is none.
fn routing_value(source: &Source, record: &KafkaRecord) -> Option<String> {
    let text = match source {
        Source::Field { pointer, .. } => {
            let value: Value = serde_json::from_slice(record.value.as_deref()?).ok()?;
            match value.pointer(pointer)? {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(boolean) => boolean.to_string(),
                _ => return None,
            }
        }
        Source::Header(name) => {
            let header = record.headers.iter().rev().find(|header| header.name == *name)?;
            String::from_utf8(header.value.clone()?).ok()?
        }
    };
    (!text.is_empty()).then_some(text)
}

krest_plugin_sdk::export_transform!(Route);

#[cfg(test)]
mod tests;
