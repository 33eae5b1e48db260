//! Example `auth` plugin: callers authenticate with an `x-api-key` header listed in the
//! plugin's configuration, and may only touch topics starting with their allowed prefix.
//!
//! `allowlist.toml` beside `allowlist.wasm`:
//! ```toml
//! [keys]
//! secret-1 = "orders-"   # the key `secret-1` may use topics `orders-*`
//! ```
//!
//! Build: `cargo build -p krest-example-allowlist --target wasm32-wasip2 --profile plugin`

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};

pub struct Allowlist;

fn denial(status: u16, error_code: u32, message: &str) -> Denial {
    Denial {
        status,
        error_code,
        message: message.to_string(),
    }
}

impl Guest for Allowlist {
    fn authenticate(request: RequestFacts) -> Result<Principal, Denial> {
        let key = request
            .headers
            .iter()
            .find(|(name, _)| name == "x-api-key")
            .map(|(_, value)| value.clone())
            .ok_or_else(|| denial(401, 40101, "missing x-api-key header"))?;
        let prefix = krest_plugin_sdk::config_value(&format!("keys.{key}"))
            .ok_or_else(|| denial(401, 40101, "unknown API key"))?;
        Ok(Principal {
            name: key,
            attributes: vec![("topic-prefix".into(), prefix)],
        })
    }

    fn authorize(who: Principal, _action: Action, targets: Vec<Target>) -> Vec<Result<(), Denial>> {
        let prefix = who
            .attributes
            .iter()
            .find(|(k, _)| k == "topic-prefix")
            .map(|(_, v)| v.as_str());
        targets
            .into_iter()
            .map(|target| match (target, prefix) {
                (Target::Topic(topic), Some(prefix)) if topic.starts_with(prefix) => Ok(()),
                (Target::Topic(_), _) => Err(denial(403, 40301, "topic not allowed for this API key")),
                (Target::Cluster | Target::Group(_), _) => Ok(()),
            })
            .collect()
    }
}

krest_plugin_sdk::export_auth!(Allowlist);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(key: Option<&str>) -> RequestFacts {
        RequestFacts {
            method: "POST".into(),
            path: "/topics/orders-eu".into(),
            headers: key
                .map(|k| ("x-api-key".to_string(), k.to_string()))
                .into_iter()
                .collect(),
            peer: "127.0.0.1:5000".into(),
            tls_client_identity: None,
        }
    }

    #[test]
    fn keys_and_prefixes_decide() {
        krest_plugin_sdk::testing::set_config(&[("keys.secret-1", "orders-")]);
        assert_eq!(Allowlist::authenticate(facts(None)).unwrap_err().status, 401);
        assert_eq!(
            Allowlist::authenticate(facts(Some("wrong"))).unwrap_err().status,
            401
        );
        let who = Allowlist::authenticate(facts(Some("secret-1"))).unwrap();
        let answers = Allowlist::authorize(
            who,
            Action::Write,
            vec![
                Target::Topic("orders-eu".into()),
                Target::Topic("payments".into()),
            ],
        );
        assert!(answers[0].is_ok());
        assert_eq!(answers[1].as_ref().unwrap_err().error_code, 40301);
    }
}
