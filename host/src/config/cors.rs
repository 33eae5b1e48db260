//! `access.control.allow.*`: Confluent's CORS keys. No CORS headers unless
//! `access.control.allow.origin` is set (`*` or a comma-separated list of origins).

use axum::http::{HeaderName, HeaderValue, Method};

use super::{split_list, ConfigError, Reader};

/// Jetty's CrossOriginFilter defaults, which Confluent's proxy keeps when the keys are empty.
const DEFAULT_METHODS: &str = "GET,POST,HEAD";
const DEFAULT_HEADERS: &str = "X-Requested-With,Content-Type,Accept,Origin";

#[derive(Clone, Debug)]
pub struct CorsConfig {
    /// `access.control.allow.origin`: `None` for `*` (any origin).
    pub origins: Option<Vec<HeaderValue>>,
    /// `access.control.allow.methods`.
    pub methods: Vec<Method>,
    /// `access.control.allow.headers`.
    pub headers: Vec<HeaderName>,
}

/// `None` when `access.control.allow.origin` is empty.
pub(super) fn read(r: &Reader) -> Result<Option<CorsConfig>, ConfigError> {
    const ORIGIN: &str = "access.control.allow.origin";
    let origins = r.string(ORIGIN);
    if origins.trim().is_empty() {
        return Ok(None);
    }
    let origins = match split_list(&origins).any(|o| o == "*") {
        true => None,
        false => Some(parsed(
            r,
            ORIGIN,
            &origins,
            "an origin such as https://example.com",
        )?),
    };
    Ok(Some(CorsConfig {
        origins,
        methods: parsed_or(r, "access.control.allow.methods", DEFAULT_METHODS, "HTTP methods")?,
        headers: parsed_or(r, "access.control.allow.headers", DEFAULT_HEADERS, "header names")?,
    }))
}

fn parsed_or<T: std::str::FromStr>(
    r: &Reader,
    key: &str,
    default: &str,
    what: &str,
) -> Result<Vec<T>, ConfigError> {
    let value = r.string(key);
    let value = if value.trim().is_empty() {
        default.to_string()
    } else {
        value
    };
    parsed(r, key, &value, what)
}

fn parsed<T: std::str::FromStr>(
    r: &Reader,
    key: &str,
    list: &str,
    what: &str,
) -> Result<Vec<T>, ConfigError> {
    split_list(list)
        .map(|item| {
            item.parse().map_err(|_| {
                r.invalid(
                    key,
                    &format!("`{item}` is not valid: expected {what}, comma-separated"),
                )
            })
        })
        .collect()
}
