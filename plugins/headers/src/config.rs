//! `headers.toml`, as the host passes it (dotted keys; arrays as TOML text), checked.

pub struct Settings {
    pub remove: Vec<String>,
    /// `[add]`: (header name, value).
    pub add: Vec<(String, String)>,
    pub principal_header: Option<String>,
    pub request_id_header: Option<String>,
    pub timestamp_now: bool,
}

impl Settings {
    pub fn from_config(pairs: &[(String, String)]) -> Result<Settings, String> {
        let mut settings = Settings {
            remove: Vec::new(),
            add: Vec::new(),
            principal_header: None,
            request_id_header: None,
            timestamp_now: false,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "remove" => {
                    settings.remove = krest_plugin_sdk::config_strings(value)
                        .ok_or(r#"`remove` must be an array of header names, like remove = ["x-debug"]"#)?
                }
                "principal_header" => settings.principal_header = Some(name(key, value)?),
                "request_id_header" => settings.request_id_header = Some(name(key, value)?),
                "timestamp" => {
                    settings.timestamp_now = match value.as_str() {
                        "now" => true,
                        "keep" => false,
                        other => {
                            return Err(format!(
                                "`timestamp` must be \"now\" or \"keep\", not \"{other}\""
                            ))
                        }
                    }
                }
                _ => match key.strip_prefix("add.") {
                    Some(header) if !header.is_empty() => {
                        settings.add.push((header.to_string(), value.clone()))
                    }
                    _ => {
                        return Err(format!(
                            "unknown setting `{key}` (known: remove, principal_header, request_id_header, \
                             timestamp and the table [add])"
                        ))
                    }
                },
            }
        }
        if settings.remove.is_empty()
            && settings.add.is_empty()
            && settings.principal_header.is_none()
            && settings.request_id_header.is_none()
            && !settings.timestamp_now
        {
            return Err(
                "nothing to do: set [add], remove, principal_header, request_id_header or timestamp = \"now\""
                    .into(),
            );
        }
        Ok(settings)
    }
}

fn name(key: &str, value: &str) -> Result<String, String> {
    match value.is_empty() {
        true => Err(format!("`{key}` must name a header")),
        false => Ok(value.to_string()),
    }
}
