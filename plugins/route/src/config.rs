//! `route.toml`, as the host passes it (dotted keys), checked.

use std::collections::BTreeMap;
use std::fmt;

pub struct Settings {
    pub source: Source,
    pub template: Option<String>,
    /// `[map]`: routing value → topic.
    pub map: BTreeMap<String, String>,
    pub fallback: Fallback,
}

/// Where the routing value comes from.
pub enum Source {
    /// A JSON Pointer into the value, and the path as configured.
    Field {
        pointer: String,
        path: String,
    },
    Header(String),
}

/// `default`: what happens to a record without a routing value, or with one nothing routes.
pub enum Fallback {
    Keep,
    Drop,
    Error,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Field { path, .. } => write!(f, "field `{path}`"),
            Source::Header(name) => write!(f, "header `{name}`"),
        }
    }
}

impl Settings {
    pub fn from_config(pairs: &[(String, String)]) -> Result<Settings, String> {
        let (mut field, mut header, mut template, mut fallback) = (None, None, None, Fallback::Keep);
        let mut map = BTreeMap::new();
        for (key, value) in pairs {
            match key.as_str() {
                "field" => field = Some(value.clone()),
                "header" => header = Some(value.clone()),
                "topic" => template = Some(value.clone()),
                "default" => {
                    fallback = match value.as_str() {
                        "keep" => Fallback::Keep,
                        "drop" => Fallback::Drop,
                        "error" => Fallback::Error,
                        other => {
                            return Err(format!(
                                "`default` must be \"keep\", \"drop\" or \"error\", not \"{other}\""
                            ))
                        }
                    }
                }
                _ => match key.strip_prefix("map.") {
                    Some(routing_value) if valid_topic(value) => {
                        map.insert(routing_value.to_string(), value.clone());
                    }
                    Some(_) => return Err(format!("`{key}`: `{value}` is not a valid topic name")),
                    None => {
                        return Err(format!(
                            "unknown setting `{key}` (known: field, header, topic, default and \
                             the table [map])"
                        ))
                    }
                },
            }
        }
        let source = match (field, header) {
            (Some(path), None) => Source::Field {
                pointer: pointer(&path)?,
                path,
            },
            (None, Some(name)) if !name.is_empty() => Source::Header(name),
            (None, Some(_)) => return Err("`header` must name a header".into()),
            (None, None) => return Err("set `field` or `header`: where the routing value is".into()),
            (Some(_), Some(_)) => return Err("set `field` or `header`, not both".into()),
        };
        if let Some(template) = &template {
            if !valid_topic(&template.replace("{value}", "v").replace("{topic}", "t")) {
                return Err(format!(
                    "`topic` = \"{template}\" does not make topic names: use a-z A-Z 0-9 . _ - and \
                     the placeholders {{value}} and {{topic}}"
                ));
            }
        }
        if template.is_none() && map.is_empty() {
            return Err("set `topic` (a template) or [map], or both".into());
        }
        Ok(Settings {
            source,
            template,
            map,
            fallback,
        })
    }
}

/// A legal Kafka topic name: 1–249 of `a-z A-Z 0-9 . _ -`, not `.` or `..`.
pub fn valid_topic(name: &str) -> bool {
    (1..=249).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `$`, `$.a.b`, `a.b` (a number indexes an array) or a JSON Pointer (`/a/b`) → a JSON Pointer.
fn pointer(path: &str) -> Result<String, String> {
    if path.starts_with('/') {
        return Ok(path.to_string());
    }
    let dotted = match path {
        "$" => return Ok(String::new()),
        _ => path.strip_prefix("$.").unwrap_or(path),
    };
    if dotted.split('.').any(str::is_empty) || dotted.starts_with('$') {
        return Err(format!(
            "`field` = \"{path}\" is not a path: use `a.b.0` or `$.a.b` from the root (no `..`), `$`, \
             or a JSON Pointer `/a/b`"
        ));
    }
    Ok(dotted
        .split('.')
        .map(|name| format!("/{}", name.replace('~', "~0").replace('/', "~1")))
        .collect())
}
