//! Native unit testing of plugins: call your `Guest` implementation directly in `cargo test`
//! and set the configuration the host would have passed.

use std::cell::RefCell;

thread_local! {
    static CONFIG: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
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
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn config() -> Vec<(String, String)> {
    CONFIG.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_set_in_tests_is_read_back() {
        super::set_config(&[("codec.strict", "true")]);
        assert_eq!(crate::config_value("codec.strict").as_deref(), Some("true"));
        assert_eq!(crate::config_value("missing"), None);
    }
}
