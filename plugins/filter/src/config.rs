//! `filter.toml`, as the host passes it (dotted keys; `[[drop]]` tables as TOML text), checked.

use crate::rule::{self, Rule};

pub struct Settings {
    pub rules: Vec<Rule>,
    pub non_json: NonJson,
}

/// What happens to a record whose value is not JSON.
#[derive(PartialEq)]
pub enum NonJson {
    Keep,
    Drop,
    Error,
}

impl Settings {
    pub fn from_config(pairs: &[(String, String)]) -> Result<Settings, String> {
        let mut rules = None;
        let mut non_json = NonJson::Keep;
        for (key, value) in pairs {
            match key.as_str() {
                "drop" => rules = Some(rule::parse_all(value)?),
                "non_json" => {
                    non_json = match value.as_str() {
                        "keep" => NonJson::Keep,
                        "drop" => NonJson::Drop,
                        "error" => NonJson::Error,
                        other => {
                            return Err(format!(
                                "`non_json` must be \"keep\", \"drop\" or \"error\", not \"{other}\""
                            ))
                        }
                    }
                }
                _ if key.starts_with("drop.") => {
                    return Err(format!(
                        "`{key}`: rules are [[drop]] tables (two brackets), not [drop]"
                    ))
                }
                _ => {
                    return Err(format!(
                        "unknown setting `{key}` (known: non_json and [[drop]] rules)"
                    ))
                }
            }
        }
        match rules {
            Some(rules) if !rules.is_empty() => Ok(Settings { rules, non_json }),
            _ => Err(
                "no rules: add [[drop]] tables, e.g. [[drop]] path = \"type\" equals = \"heartbeat\"".into(),
            ),
        }
    }
}
