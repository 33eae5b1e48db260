//! Everit's `useDefaults`, which Confluent turns on: wherever validation applies a schema's
//! `properties` to an object, a property the object lacks is added with its schema's `default`
//! (neither validated nor looked into). Validation reaches subschemas through `properties`,
//! `additionalProperties`, `patternProperties`, `dependencies`, `items`, `additionalItems`,
//! `allOf`/`anyOf`/`oneOf` (every branch), `not` and `$ref`; defaults found only under
//! `if`/`then`/`else` or `contains` are not applied here.

use jsonschema::{Draft, Registry, Uri};
use referencing::{Resolver, ResourceRef};
use serde_json::{Map, Value};

use crate::references::References;

/// Subschemas entered one after another without descending into the value (through `$ref`,
/// combinators, `not`, `dependencies`): more means a cycle of `$ref`s.
const MAX_HOPS: usize = 64;

pub struct Defaults {
    registry: Registry<'static>,
    base: Uri<String>,
    draft: Draft,
    schema: Value,
}

impl Defaults {
    pub fn new(
        schema: &Value,
        base: Uri<String>,
        draft: Draft,
        references: &References,
    ) -> Result<Defaults, String> {
        let documents = references
            .documents()
            .map(|(uri, document)| (uri.to_owned(), document.clone()))
            .chain([(base.as_str().to_owned(), schema.clone())]);
        let registry = Registry::new()
            .draft(draft)
            .extend(documents)
            .and_then(|builder| builder.prepare())
            .map_err(|e| e.to_string())?;
        Ok(Defaults {
            registry,
            base,
            draft,
            schema: schema.clone(),
        })
    }

    /// Adds the defaults Everit would add to `value` (an object or array that fits the schema).
    pub fn fill(&self, value: &mut Value) -> Result<(), String> {
        let resolver = self.registry.resolver(self.base.clone());
        fill(&self.schema, &resolver, self.draft, value, 0)
    }
}

/// Fills `value` in by `schema`, entered after `hops` subschemas at the same place in the value.
fn fill(
    schema: &Value,
    resolver: &Resolver<'_>,
    draft: Draft,
    value: &mut Value,
    hops: usize,
) -> Result<(), String> {
    let Value::Object(keywords) = schema else {
        return Ok(());
    };
    if hops > MAX_HOPS {
        return Err("the schema refers to itself without end".to_owned());
    }
    let resolver = resolver
        .in_subresource(ResourceRef::new(schema, draft))
        .map_err(|e| e.to_string())?;
    if let Some(reference) = keywords.get("$ref").and_then(Value::as_str) {
        // Before 2019-09, `$ref` replaces the keywords beside it.
        let (target, resolver, draft) = resolver
            .lookup(reference)
            .map_err(|e| e.to_string())?
            .into_inner();
        return fill(target, &resolver, draft, value, hops + 1);
    }
    if value.is_object() {
        fill_object(keywords, &resolver, draft, value, hops)?;
    } else if let Value::Array(items) = value {
        fill_array(keywords, &resolver, draft, items)?;
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in keywords
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            fill(branch, &resolver, draft, value, hops + 1)?;
        }
    }
    if let Some(not) = keywords.get("not") {
        fill(not, &resolver, draft, value, hops + 1)?;
    }
    Ok(())
}

/// `object` is a JSON object.
fn fill_object(
    keywords: &Map<String, Value>,
    resolver: &Resolver<'_>,
    draft: Draft,
    object: &mut Value,
    hops: usize,
) -> Result<(), String> {
    let empty = Map::new();
    let properties = keywords
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let patterns: Vec<(regex::Regex, &Value)> = keywords
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(pattern, schema)| Some((regex::Regex::new(pattern).ok()?, schema)))
        .collect();
    let additional = keywords.get("additionalProperties");
    let names: Vec<String> = object
        .as_object()
        .into_iter()
        .flat_map(Map::keys)
        .cloned()
        .collect();
    for name in &names {
        let mut matched = false;
        for (_, schema) in patterns.iter().filter(|(pattern, _)| pattern.is_match(name)) {
            matched = true;
            fill(schema, resolver, draft, &mut object[name.as_str()], 0)?;
        }
        if let Some(additional) = additional.filter(|_| !matched && !properties.contains_key(name)) {
            fill(additional, resolver, draft, &mut object[name.as_str()], 0)?;
        }
    }
    let dependencies = keywords.get("dependencies").and_then(Value::as_object);
    for (name, schema) in dependencies.into_iter().flatten() {
        if schema.is_object() && object.get(name).is_some() {
            fill(schema, resolver, draft, object, hops + 1)?;
        }
    }
    for (name, schema) in properties {
        match object.get_mut(name) {
            Some(member) => fill(schema, resolver, draft, member, 0)?,
            None => {
                if let (Some(default), Some(members)) = (schema.get("default"), object.as_object_mut()) {
                    members.insert(name.clone(), default.clone());
                }
            }
        }
    }
    Ok(())
}

fn fill_array(
    keywords: &Map<String, Value>,
    resolver: &Resolver<'_>,
    draft: Draft,
    items: &mut [Value],
) -> Result<(), String> {
    let tuple_length = match keywords.get("items") {
        Some(Value::Array(positional)) => {
            for (schema, item) in positional.iter().zip(items.iter_mut()) {
                fill(schema, resolver, draft, item, 0)?;
            }
            positional.len()
        }
        Some(schema) => {
            for item in items.iter_mut() {
                fill(schema, resolver, draft, item, 0)?;
            }
            return Ok(());
        }
        None => return Ok(()),
    };
    if let Some(additional) = keywords.get("additionalItems") {
        for item in items.iter_mut().skip(tuple_length) {
            fill(additional, resolver, draft, item, 0)?;
        }
    }
    Ok(())
}
