//! The `acl` auth plugin: authorization rules in the spirit of Kafka's ACLs, from `acl.toml`.
//! It authenticates nobody: chain it after a plugin that does (`auth.plugins=basic,acl`).
//!
//! ```toml
//! [rules]   # names are for people; every rule counts, a matching deny wins, no match denies
//! alice-topics = "allow User:alice describe,read,write topic:alice-*"
//! alice-groups = "allow User:alice read group:*"
//! readers = "allow Role:reader describe,read topic:public"
//! no-bob = "deny User:bob * *"
//! ```
//!
//! A rule is `PERMISSION PRINCIPAL OPERATIONS RESOURCE`: `allow` or `deny`; `User:NAME`,
//! `Role:NAME` (from the principal's `roles` attribute) or `*`; operations `describe`, `read`,
//! `write`, `create`, `delete`, `alter`, comma-separated, or `*`; `cluster`, `topic:NAME`,
//! `group:NAME` (a trailing `*` makes NAME a prefix, `topic:*` is every topic) or `*`.

mod rule;

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{
    Action, Denial, Guest, Principal, RequestFacts, Target,
};
use rule::Rule;

pub struct Acl;

impl Guest for Acl {
    fn authenticate(_request: RequestFacts) -> Result<Principal, Denial> {
        Err(Denial {
            status: 401,
            error_code: 40101,
            message:
                "Unauthorized: `acl` only authorizes; list an authenticating plugin before it in auth.plugins"
                    .into(),
        })
    }

    fn authorize(who: Principal, action: Action, targets: Vec<Target>) -> Vec<Result<(), Denial>> {
        let rules = krest_plugin_sdk::configured(rules);
        let rules = match &*rules {
            Ok(rules) => rules,
            Err(message) => {
                krest_plugin_sdk::log(krest_plugin_sdk::Level::Error, message);
                return targets.iter().map(|_| Err(forbidden())).collect();
            }
        };
        targets
            .iter()
            .map(|target| match rule::decide(rules, &who, action, target) {
                true => Ok(()),
                false => Err(forbidden()),
            })
            .collect()
    }
}

fn forbidden() -> Denial {
    Denial {
        status: 403,
        error_code: 40301,
        message: "Forbidden: not authorized by the ACLs".into(),
    }
}

/// Every `rules.*` entry of the configuration (parsed once per instance); one unreadable
/// rule fails them all (closed).
fn rules(config: &[(String, String)]) -> Result<Vec<Rule>, String> {
    config
        .iter()
        .filter_map(|(key, text)| key.strip_prefix("rules.").map(|name| (name, text)))
        .map(|(name, text)| Rule::parse(text).map_err(|e| format!("acl rule `{name}` ({text}): {e}")))
        .collect()
}

krest_plugin_sdk::export_auth!(Acl);

#[cfg(test)]
mod tests;
