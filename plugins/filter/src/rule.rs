//! One `[[drop]]` rule, parsed from the TOML text the host passes for `drop`, and whether it
//! matches a record.

use std::borrow::Cow;

use krest_plugin_sdk::transform::exports::krest::plugin::transformer::Header;
use regex_lite::Regex;
use serde_json::Value;

#[derive(Debug)]
pub struct Rule {
    place: Place,
    test: Test,
}

/// Which JSON document a rule reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Part {
    Key,
    Value,
}

#[derive(Debug)]
enum Place {
    /// A JSON Pointer into the key's or value's JSON.
    Json(Part, String),
    Header(String),
}

#[derive(Debug)]
enum Test {
    Equals(Value),
    NotEquals(Value),
    Exists(bool),
    Matches(Regex),
}

/// What a rule's place holds in one record.
enum Found<'a> {
    /// The key or value is not JSON (or null): the rule cannot tell.
    Unknown,
    Missing,
    Present(Cow<'a, Value>),
}

/// The rules of `drop = [{…}, …]` (`[[drop]]` tables).
pub fn parse_all(text: &str) -> Result<Vec<Rule>, String> {
    let Ok(toml::Value::Array(tables)) = text.parse::<toml::Value>() else {
        return Err(
            "`drop` must be [[drop]] tables, e.g. [[drop]] path = \"type\" equals = \"heartbeat\"".into(),
        );
    };
    tables
        .into_iter()
        .enumerate()
        .map(|(index, table)| Rule::parse(table).map_err(|e| format!("[[drop]] rule {}: {e}", index + 1)))
        .collect()
}

impl Rule {
    fn parse(table: toml::Value) -> Result<Rule, String> {
        let toml::Value::Table(table) = table else {
            return Err("not a table".into());
        };
        let (mut place, mut test) = (None, None);
        for (key, value) in table {
            match key.as_str() {
                "path" => once(
                    &mut place,
                    Place::Json(Part::Value, pointer(&text(&key, value)?)?),
                    &key,
                )?,
                "key_path" => once(
                    &mut place,
                    Place::Json(Part::Key, pointer(&text(&key, value)?)?),
                    &key,
                )?,
                "header" => once(&mut place, Place::Header(text(&key, value)?), &key)?,
                "equals" => once(&mut test, Test::Equals(json(&key, value)?), &key)?,
                "not_equals" => once(&mut test, Test::NotEquals(json(&key, value)?), &key)?,
                "exists" => match value {
                    toml::Value::Boolean(exists) => once(&mut test, Test::Exists(exists), &key)?,
                    _ => return Err("`exists` must be true or false".into()),
                },
                "matches" => {
                    let regex = Regex::new(&text(&key, value)?).map_err(|e| format!("`matches`: {e}"))?;
                    once(&mut test, Test::Matches(regex), &key)?
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` (a rule has one of path, key_path, header and one of \
                         equals, not_equals, exists, matches)"
                    ))
                }
            }
        }
        match (place, test) {
            (Some(place), Some(test)) => Ok(Rule { place, test }),
            (None, _) => Err("no place: give path, key_path or header".into()),
            (_, None) => Err("no test: give equals, not_equals, exists or matches".into()),
        }
    }

    /// The JSON document the rule reads, if any.
    pub fn part(&self) -> Option<Part> {
        match self.place {
            Place::Json(part, _) => Some(part),
            Place::Header(_) => None,
        }
    }

    /// Whether the rule matches a record with this value and key (`None`: null or not JSON)
    /// and these headers.
    pub fn matches(&self, value: Option<&Value>, key: Option<&Value>, headers: &[Header]) -> bool {
        let found = match &self.place {
            Place::Json(part, pointer) => {
                let document = match part {
                    Part::Value => value,
                    Part::Key => key,
                };
                match document {
                    None => Found::Unknown,
                    Some(document) => match document.pointer(pointer) {
                        Some(found) => Found::Present(Cow::Borrowed(found)),
                        None => Found::Missing,
                    },
                }
            }
            Place::Header(name) => match headers.iter().rev().find(|header| header.name == *name) {
                Some(header) => Found::Present(Cow::Owned(match &header.value {
                    Some(bytes) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
                    None => Value::Null,
                })),
                None => Found::Missing,
            },
        };
        match (&self.test, found) {
            (_, Found::Unknown) => false,
            (Test::Exists(wanted), found) => *wanted == matches!(found, Found::Present(_)),
            (Test::Equals(wanted), Found::Present(found)) => same(&found, wanted),
            (Test::NotEquals(wanted), Found::Present(found)) => !same(&found, wanted),
            (Test::Equals(_), Found::Missing) => false,
            (Test::NotEquals(_), Found::Missing) => true,
            (Test::Matches(regex), Found::Present(found)) => {
                scalar_text(&found).is_some_and(|t| regex.is_match(&t))
            }
            (Test::Matches(_), Found::Missing) => false,
        }
    }
}

/// Fills a rule's place or test, which it has one of.
fn once<T>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), String> {
    match slot.replace(value) {
        Some(_) => Err(format!(
            "`{key}` is a second place or test; a rule has one of each"
        )),
        None => Ok(()),
    }
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
            "`{path}` is not a path: use `a.b.0` or `$.a.b` from the root (no `..`), `$`, or a \
             JSON Pointer `/a/b`"
        ));
    }
    Ok(dotted
        .split('.')
        .map(|name| format!("/{}", name.replace('~', "~0").replace('/', "~1")))
        .collect())
}

fn text(key: &str, value: toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(text) => Ok(text),
        _ => Err(format!("`{key}` must be a string")),
    }
}

/// A TOML string, number or boolean as JSON.
fn json(key: &str, value: toml::Value) -> Result<Value, String> {
    match value {
        toml::Value::String(text) => Ok(Value::String(text)),
        toml::Value::Integer(number) => Ok(Value::from(number)),
        toml::Value::Float(number) if number.is_finite() => Ok(Value::from(number)),
        toml::Value::Boolean(boolean) => Ok(Value::Bool(boolean)),
        _ => Err(format!("`{key}` must be a string, a finite number or a boolean")),
    }
}

/// JSON equality, numbers by value (`3` = `3.0`; integers exactly).
fn same(found: &Value, wanted: &Value) -> bool {
    match (found, wanted) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
            (Some(a), Some(b), _, _) => a == b,
            (_, _, Some(a), Some(b)) => a == b,
            _ => a.as_f64().is_some_and(|a| b.as_f64() == Some(a)),
        },
        _ => found == wanted,
    }
}

/// A string's content, a number's digits, `true`/`false`; none for null, arrays and objects.
fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(number) => Some(Cow::Owned(number.to_string())),
        Value::Bool(boolean) => Some(Cow::Owned(boolean.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_json_pointers() {
        for (path, expected) in [
            ("type", "/type"),
            ("$.type", "/type"),
            ("a.b.0", "/a/b/0"),
            ("$", ""),
            ("/a.b/c", "/a.b/c"),
            ("a~b/c", "/a~0b~1c"),
        ] {
            assert_eq!(pointer(path).as_deref(), Ok(expected), "{path}");
        }
        for bad in ["", "$..a", "a..b", "a.", ".a", "$x", "$.", "$$"] {
            assert!(pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_compare_by_value() {
        let n = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        assert!(same(&n("3"), &n("3.0")));
        assert!(same(&n("1.50"), &n("1.5")));
        assert!(same(&n("18446744073709551615"), &n("18446744073709551615")));
        assert!(!same(&n("9007199254740993"), &n("9007199254740992")));
        assert!(!same(&n("3"), &n("\"3\"")));
        assert!(!same(&n("-1"), &n("18446744073709551615")));
    }
}
