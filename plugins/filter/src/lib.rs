//! The `filter` transform: drops the records that match any of its rules, configured by
//! `filter.toml`:
//!
//! ```toml
//! non_json = "keep"        # a value that is not JSON: "keep" (default), "drop" or "error"
//!
//! [[drop]]                 # drop heartbeats
//! path = "type"            # where: `path` (the value's JSON), `key_path` (the key's JSON)
//! equals = "heartbeat"     #        or `header` (a header's UTF-8 text)
//!
//! [[drop]]                 # drop everything but the EU's orders
//! path = "order.region"
//! not_equals = "eu"
//!
//! [[drop]]
//! header = "x-debug"
//! exists = true            # tests: `equals`, `not_equals`, `exists` or `matches` (a regex)
//!
//! [[drop]]
//! key_path = "$"           # the whole key
//! matches = "^test-"
//! ```
//!
//! A record is dropped when any `[[drop]]` rule matches it, and kept otherwise. Each rule has
//! exactly one place and one test:
//! - `path`, `key_path`: a location in the value's (key's) JSON from its root: `a.b.0` (dotted,
//!   a number indexes an array, `$.a.b` alike, `$` the whole document) or a JSON Pointer
//!   (`/a.b/c`) for names with dots. There is no search at any depth.
//! - `header`: the record's last header of that name; its value as UTF-8 text (a null header is
//!   JSON `null`, so it exists but equals nothing).
//! - `equals = V`: the place holds V, a string, number or boolean, of the same type (numbers
//!   compare by value: `3` equals `3.0`). `not_equals = V` is its negation: it also matches
//!   when the place is missing.
//! - `exists = true|false`: whether the place is there (holding `null` counts as there).
//! - `matches = "REGEX"`: the place holds a string, number or boolean whose text (a string's
//!   content, a number as written) the regular expression finds a match in (anywhere: anchor
//!   with `^…$`; syntax of the `regex-lite` crate).
//!
//! Transforms see Kafka bytes: the value after the format encoded it on produce, before the
//! format decodes it on consume. A rule on the value (key) only ever matches a record whose
//! value (key) is UTF-8 JSON: tombstones, keys that are not JSON (e.g. `binary`) and values that
//! are not JSON never match it, whatever its test. Values that are not JSON (nested deeper than
//! 128 levels counts as not JSON) are then handled by `non_json`. Both directions are handled
//! alike. A configuration error (no rules, an unknown setting, a rule with no or two places or
//! tests, a bad regex) fails every record with a message naming it, and is logged.

mod config;
mod rule;

use config::{NonJson, Settings};
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::{
    Direction, Guest, KafkaRecord, Outcome,
};
use rule::Part;
use serde_json::Value;

pub struct Filter;

impl Guest for Filter {
    fn apply(_direction: Direction, records: Vec<KafkaRecord>) -> Vec<Outcome> {
        krest_plugin_sdk::configured::each_record(
            "filter",
            Settings::from_config,
            records,
            |settings, record| filter(settings, &record),
        )
    }
}

fn filter(settings: &Settings, record: &KafkaRecord) -> Outcome {
    let uses = |part: Part| settings.rules.iter().any(|rule| rule.part() == Some(part));
    let mut value = None;
    if uses(Part::Value) || settings.non_json != NonJson::Keep {
        if let Some(bytes) = &record.value {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(json) => value = Some(json),
                Err(_) if settings.non_json == NonJson::Drop => return Outcome::Drop,
                Err(_) if settings.non_json == NonJson::Error => {
                    return Outcome::Error("filter: the value is not JSON".into())
                }
                Err(_) => {}
            }
        }
    }
    let key = match uses(Part::Key) {
        true => record
            .key
            .as_deref()
            .and_then(|bytes| serde_json::from_slice(bytes).ok()),
        false => None,
    };
    match settings
        .rules
        .iter()
        .any(|rule| rule.matches(value.as_ref(), key.as_ref(), &record.headers))
    {
        true => Outcome::Drop,
        false => Outcome::Keep,
    }
}

krest_plugin_sdk::export_transform!(Filter);

#[cfg(test)]
mod tests;
