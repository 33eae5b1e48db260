//! A value through org.json and back into a Jackson tree (Confluent's `JsonSchema.validate` on
//! drafts 4–7): each object becomes a `JSONObject`, a `HashMap`, and comes back in its hash
//! order. (Its floating-point numbers come back as `BigDecimal`s: see [`Floats`].)
//!
//! [`Floats`]: crate::jackson::Floats

use serde_json::{Map, Value};

use crate::java::hash_map::iteration_order;

pub fn round_trip(value: Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut members: Vec<Option<(String, Value)>> = members.into_iter().map(Some).collect();
            let order = iteration_order(members.iter().flatten().map(|(key, _)| key.as_str()));
            let reordered: Map<String, Value> = order
                .into_iter()
                .filter_map(|position| members[position].take())
                .map(|(key, value)| (key, round_trip(value)))
                .collect();
            Value::Object(reordered)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(round_trip).collect()),
        other => other,
    }
}
