//! Native unit testing of plugins: call your `Guest` implementation directly in `cargo test`
//! and set the configuration the host would have passed.

use std::cell::{Cell, RefCell};

thread_local! {
    static CONFIG: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    static CONFIG_GENERATION: Cell<u64> = const { Cell::new(0) };
    static CONTEXT: RefCell<crate::CallContext> = RefCell::new(crate::CallContext::default());
}

/// Sets what [`crate::context`] returns on this thread in native tests.
pub fn set_context(context: crate::CallContext) {
    CONTEXT.with(|c| *c.borrow_mut() = context);
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn context() -> crate::CallContext {
    CONTEXT.with(|c| c.borrow().clone())
}

/// Sets what [`crate::config`] returns on this thread in native tests.
pub fn set_config(pairs: &[(&str, &str)]) {
    CONFIG.with(|c| {
        *c.borrow_mut() = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    });
    CONFIG_GENERATION.set(CONFIG_GENERATION.get() + 1);
}

/// Sets the configuration from the text of a `NAME.toml`, flattened to dotted keys as krest
/// flattens it (strings as they are, other values as TOML text). Panics on invalid TOML.
pub fn set_config_toml(text: &str) {
    fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
        for (key, value) in table {
            let key = match prefix {
                "" => key.clone(),
                _ => format!("{prefix}.{key}"),
            };
            match value {
                toml::Value::Table(inner) => flatten(&key, inner, out),
                toml::Value::String(text) => out.push((key, text.clone())),
                other => out.push((key, other.to_string())),
            }
        }
    }
    let mut pairs = Vec::new();
    flatten("", &text.parse().expect("valid TOML"), &mut pairs);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    set_config(&pairs);
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn config() -> Vec<(String, String)> {
    CONFIG.with(|c| c.borrow().clone())
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn config_generation() -> u64 {
    CONFIG_GENERATION.get()
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_set_in_tests_is_read_back() {
        super::set_config(&[("codec.strict", "true")]);
        assert_eq!(crate::config_value("codec.strict").as_deref(), Some("true"));
        assert_eq!(crate::config_value("missing"), None);
    }

    #[test]
    fn toml_is_flattened_as_krest_flattens_it() {
        super::set_config_toml(
            "mode = \"mask\"\nfields = [\"ssn\", \"card.number\"]\n[rules]\nalice = \"allow\"",
        );
        let fields = crate::config_value("fields").unwrap();
        assert_eq!(crate::config_strings(&fields).unwrap(), ["ssn", "card.number"]);
        assert_eq!(crate::config_value("rules.alice").as_deref(), Some("allow"));
        assert_eq!(crate::config_strings("\"ssn\""), None);
        assert_eq!(crate::config_strings("[1]"), None);
    }
}
