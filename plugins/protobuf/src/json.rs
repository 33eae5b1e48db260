//! Protobuf's JSON mapping as Confluent's proxy speaks it: read like Java's
//! `JsonFormat.parser()` (json_name or field name, enums by name or number, 64-bit integers as
//! strings or numbers, unknown fields refused) and written like
//! `JsonFormat.printer().includingDefaultValueFields()` (fields without presence always,
//! unset message fields, oneof members and proto3 `optional` fields never).

use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, SerializeOptions, Value,
};

/// One JSON text → a message of type `descriptor`.
pub fn parse(descriptor: MessageDescriptor, json: &str) -> Result<DynamicMessage, String> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let message =
        DynamicMessage::deserialize_with_options(descriptor, &mut deserializer, &DeserializeOptions::new())
            .and_then(|message| deserializer.end().map(|()| message))
            .map_err(|e| e.to_string())?;
    missing_required(&message).map_or(Ok(message), |field| {
        Err(format!("required field {field} is missing"))
    })
}

/// A message → its JSON text.
pub fn print(mut message: DynamicMessage) -> Result<String, String> {
    set_legacy_defaults(&mut message);
    let mut out = serde_json::Serializer::new(Vec::new());
    message
        .serialize_with_options(&mut out, &SerializeOptions::new().skip_default_fields(false))
        .map_err(|e| e.to_string())?;
    String::from_utf8(out.into_inner()).map_err(|e| e.to_string())
}

/// The full name of a proto2 `required` field that is not set, in `message` or the messages
/// it holds (Java's `build()` refuses such a message).
pub fn missing_required(message: &DynamicMessage) -> Option<String> {
    let descriptor = message.descriptor();
    for field in descriptor.fields() {
        if field.is_required() && !message.has_field(&field) {
            return Some(field.full_name().to_owned());
        }
    }
    nested(message).find_map(missing_required)
}

/// Java's `includingDefaultValueFields` also prints the defaults of unset singular scalar
/// fields that have presence but no oneof (proto2 `optional`/`required`): set them, so that
/// the serializer, which prints only fields without presence, prints them too.
fn set_legacy_defaults(message: &mut DynamicMessage) {
    let descriptor = message.descriptor();
    for field in descriptor.fields() {
        let scalar = !field.is_list() && !field.is_map() && !matches!(field.kind(), Kind::Message(_));
        if scalar
            && field.supports_presence()
            && field.containing_oneof().is_none()
            && !message.has_field(&field)
        {
            message.set_field(&field, Value::default_value_for_field(&field));
        }
    }
    for (_, value) in message.fields_mut() {
        match value {
            Value::Message(inner) => set_legacy_defaults(inner),
            Value::List(items) => items.iter_mut().for_each(|item| {
                if let Value::Message(inner) = item {
                    set_legacy_defaults(inner);
                }
            }),
            Value::Map(entries) => entries.values_mut().for_each(|entry| {
                if let Value::Message(inner) = entry {
                    set_legacy_defaults(inner);
                }
            }),
            _ => {}
        }
    }
}

/// The messages `message` holds directly: set message fields, list items, map values.
fn nested(message: &DynamicMessage) -> impl Iterator<Item = &DynamicMessage> {
    message
        .fields()
        .flat_map(|(_, value)| -> Box<dyn Iterator<Item = &DynamicMessage>> {
            match value {
                Value::Message(inner) => Box::new(std::iter::once(inner)),
                Value::List(items) => Box::new(items.iter().filter_map(Value::as_message)),
                Value::Map(entries) => Box::new(entries.values().filter_map(Value::as_message)),
                _ => Box::new(std::iter::empty()),
            }
        })
}
