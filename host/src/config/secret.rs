//! Passwords in configuration: kept out of logs, `Debug` output and error messages.

use std::fmt;

/// A password: never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

/// Whether a key holds a secret whose value must never appear in messages.
pub fn is_secret(key: &str) -> bool {
    key.ends_with(".password") || key.ends_with("jaas.config") || key.ends_with("user.info")
}
