//! Absolute URLs naming this process — a consumer instance's `base_uri`, API v3's `self` and
//! `related` links: `advertised.listeners`, else `host.name`, else the request's own authority.

use std::net::SocketAddr;

use url::Url;

use crate::config::Config;

pub struct UrlSettings {
    advertised: Vec<Url>,
    host_name: String,
    /// Port for `host.name` URLs: `port`, overridden by the last http listener's port.
    host_name_port: u16,
}

impl UrlSettings {
    pub fn from_config(config: &Config) -> Self {
        let listener_port = config
            .listeners
            .iter()
            .rev()
            .find(|l| l.scheme() == "http")
            .and_then(Url::port);
        UrlSettings {
            advertised: config.advertised_listeners.clone(),
            host_name: config.host_name.clone(),
            host_name_port: listener_port.unwrap_or(config.port),
        }
    }

    /// `request_host` is the request's `Host` header (authority).
    pub fn base_uri(&self, request_host: &str, group: &str, instance: &str) -> String {
        let base = self.base_url(request_host);
        format!("{base}/consumers/{group}/instances/{instance}")
    }

    /// `http://<authority>`, without a trailing slash, that absolute URLs start with.
    pub fn base_url(&self, request_host: &str) -> String {
        format!("http://{}", self.authority(request_host))
    }

    /// The URL other krest processes reach this one at (consumer forwarding) when
    /// `consumer.directory.advertised.url` does not say: the http `listener`'s address —
    /// `host.name`, else this machine's name, when it listens on every interface.
    /// (`advertised.listeners` often names a load balancer, which would not do.)
    pub fn peer_url(&self, listener: SocketAddr) -> String {
        if !listener.ip().is_unspecified() {
            return format!("http://{listener}");
        }
        let host = match self.host_name.is_empty() {
            false => self.host_name.clone(),
            true => machine_name(),
        };
        format!("http://{host}:{}", listener.port())
    }

    fn authority(&self, request_host: &str) -> String {
        if let Some(url) = self.advertised.iter().find(|u| u.scheme() == "http") {
            let host = url.host_str().unwrap_or_default();
            return match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
        }
        if !self.host_name.is_empty() {
            // Confluent adds a port only when the client's request named one.
            let request_had_port = request_host
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
            return if request_had_port {
                format!("{}:{}", self.host_name, self.host_name_port)
            } else {
                self.host_name.clone()
            };
        }
        request_host.to_string()
    }
}

/// This machine's host name, as `gethostname(2)` gives it ("localhost" if it cannot).
fn machine_name() -> String {
    let mut name = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, as the call is told.
    let result = unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) };
    let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
    match result {
        0 if end > 0 => String::from_utf8_lossy(&name[..end]).into_owned(),
        _ => "localhost".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(advertised: &[&str], host_name: &str, port: u16) -> UrlSettings {
        UrlSettings {
            advertised: advertised.iter().map(|u| Url::parse(u).unwrap()).collect(),
            host_name: host_name.to_string(),
            host_name_port: port,
        }
    }

    #[test]
    fn precedence_is_advertised_then_host_name_then_request() {
        let uri = settings(
            &["https://secure:1", "http://proxy-1.example.com:9000"],
            "h",
            8082,
        )
        .base_uri("lb:80", "g", "i");
        assert_eq!(uri, "http://proxy-1.example.com:9000/consumers/g/instances/i");
        assert_eq!(
            settings(&[], "h1", 8085).base_uri("lb:8082", "g", "i"),
            "http://h1:8085/consumers/g/instances/i"
        );
        assert_eq!(
            settings(&[], "h1", 8085).base_uri("lb", "g", "i"),
            "http://h1/consumers/g/instances/i"
        );
        assert_eq!(
            settings(&[], "", 8082).base_uri("10.0.0.1:8082", "g", "i"),
            "http://10.0.0.1:8082/consumers/g/instances/i"
        );
    }
}
