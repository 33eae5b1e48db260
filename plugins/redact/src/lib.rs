//! The `redact` transform: masks or hashes fields of JSON record values, configured by
//! `redact.toml`:
//!
//! ```toml
//! fields = ["ssn", "card.number", "$..email"]  # required: which members to redact
//! mode = "mask"       # "mask" (default) or "hash"
//! mask = "***"        # mask mode: the JSON string a redacted member becomes (default "***")
//! salt = "pepper"     # hash mode, optional: hashed before the member's JSON text
//! non_json = "keep"   # a value that is not JSON: "keep" (default), "drop" or "error"
//! ```
//!
//! Paths in `fields`:
//! - `ssn` (a single name) or `$..ssn`: every member called `ssn`, at any depth, inside
//!   arrays of objects too.
//! - `card.number` or `$.card.number`: from the root, member `number` of the root's member
//!   `card`; arrays met on the way are searched element by element (`items.sku` is every
//!   item's `sku`). `$.ssn` is the root's `ssn` only.
//! - `..` before any step makes it match at any depth below the previous one:
//!   `$..card.number` is `number` in every `card`.
//!
//! Names match exactly (case-sensitive) and cannot contain `.`. A matched member's value,
//! whatever its type, becomes the `mask` string, or in hash mode the lower-case hex SHA-256 of
//! `salt` followed by the value's compact JSON text (for a string, with its quotes:
//! `"123-45-6789"`). `null` members stay `null`. A member matched by several paths is
//! redacted once, and nothing below it is searched.
//!
//! Transforms see Kafka bytes: the value after the format encoded it on produce, before the
//! format decodes it on consume. Only values are redacted, never keys or headers. A value that
//! is not UTF-8 JSON (or is nested deeper than 128 levels) is handled by `non_json`; a
//! tombstone (null value) is kept. A record with nothing to redact is kept as it is; otherwise
//! its value is re-serialized as compact JSON with members in their original order and numbers
//! with all their digits (`1.50` stays `1.50`). Both directions are handled alike. A
//! configuration error fails every record with a message naming the setting, and is logged.

mod config;
mod path;

use config::{NonJson, Settings};
use krest_plugin_sdk::transform::exports::krest::plugin::transformer::{
    Direction, Guest, KafkaRecord, Outcome,
};

pub struct Redact;

impl Guest for Redact {
    fn apply(_direction: Direction, records: Vec<KafkaRecord>) -> Vec<Outcome> {
        krest_plugin_sdk::configured::each_record("redact", Settings::from_config, records, redact)
    }
}

fn redact(settings: &Settings, mut record: KafkaRecord) -> Outcome {
    let Some(bytes) = &record.value else {
        return Outcome::Keep;
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return match settings.non_json {
            NonJson::Keep => Outcome::Keep,
            NonJson::Drop => Outcome::Drop,
            NonJson::Error => Outcome::Error("redact: the value is not JSON".into()),
        };
    };
    if !path::redact(&mut value, &settings.paths, &|member| {
        settings.mode.replacement(member)
    }) {
        return Outcome::Keep;
    }
    record.value = Some(serde_json::to_vec(&value).expect("a JSON value serializes"));
    Outcome::Replace(record)
}

krest_plugin_sdk::export_transform!(Redact);

#[cfg(test)]
mod tests;
