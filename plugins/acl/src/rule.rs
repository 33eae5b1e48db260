//! One ACL rule, parsed, and the decision over all rules: a matching deny wins, then a
//! matching allow, and no match denies.

use krest_plugin_sdk::auth::exports::krest::plugin::policy::{Action, Principal, Target};

#[derive(Debug, PartialEq)]
pub struct Rule {
    allow: bool,
    who: Who,
    /// `None`: every operation.
    operations: Option<Vec<Action>>,
    resource: Resource,
}

#[derive(Debug, PartialEq)]
enum Who {
    Anyone,
    User(String),
    Role(String),
}

#[derive(Debug, PartialEq)]
enum Resource {
    Any,
    Cluster,
    Topic(Name),
    Group(Name),
}

#[derive(Debug, PartialEq)]
enum Name {
    Literal(String),
    Prefix(String),
}

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let [permission, who, operations, resource] = words[..] else {
            return Err("expected PERMISSION PRINCIPAL OPERATIONS RESOURCE".into());
        };
        let allow = match permission {
            "allow" => true,
            "deny" => false,
            other => return Err(format!("`{other}` is not allow or deny")),
        };
        let who = match who.split_once(':') {
            _ if who == "*" => Who::Anyone,
            Some(("User", name)) => Who::User(name.to_string()),
            Some(("Role", name)) => Who::Role(name.to_string()),
            _ => return Err(format!("`{who}` is not User:NAME, Role:NAME or *")),
        };
        let operations = match operations {
            "*" => None,
            list => Some(list.split(',').map(action).collect::<Result<_, _>>()?),
        };
        let resource = match resource.split_once(':') {
            _ if resource == "*" => Resource::Any,
            _ if resource == "cluster" => Resource::Cluster,
            Some(("topic", name)) => Resource::Topic(pattern(name)),
            Some(("group", name)) => Resource::Group(pattern(name)),
            _ => {
                return Err(format!(
                    "`{resource}` is not cluster, topic:NAME, group:NAME or *"
                ))
            }
        };
        Ok(Rule {
            allow,
            who,
            operations,
            resource,
        })
    }

    fn matches(&self, principal: &Principal, action: Action, target: &Target) -> bool {
        let who = match &self.who {
            Who::Anyone => true,
            Who::User(name) => *name == principal.name,
            Who::Role(role) => roles(principal).any(|r| r == role),
        };
        let operation = self.operations.as_ref().is_none_or(|ops| ops.contains(&action));
        let resource = match (&self.resource, target) {
            (Resource::Any, _) | (Resource::Cluster, Target::Cluster) => true,
            (Resource::Topic(name), Target::Topic(topic)) => name.matches(topic),
            (Resource::Group(name), Target::Group(group)) => name.matches(group),
            _ => false,
        };
        who && operation && resource
    }
}

impl Name {
    fn matches(&self, name: &str) -> bool {
        match self {
            Name::Literal(literal) => literal == name,
            Name::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }
}

/// `NAME*` is a prefix (`*` alone: everything), else a literal name.
fn pattern(text: &str) -> Name {
    match text.strip_suffix('*') {
        Some(prefix) => Name::Prefix(prefix.to_string()),
        None => Name::Literal(text.to_string()),
    }
}

fn action(text: &str) -> Result<Action, String> {
    Ok(match text {
        "describe" => Action::Describe,
        "read" => Action::Read,
        "write" => Action::Write,
        "create" => Action::Create,
        "delete" => Action::Delete,
        "alter" => Action::Alter,
        other => return Err(format!("`{other}` is not an operation")),
    })
}

/// The principal's roles (its `roles` attribute, comma-separated).
fn roles(principal: &Principal) -> impl Iterator<Item = &str> {
    principal
        .attributes
        .iter()
        .filter(|(key, _)| key == "roles")
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
}

/// Allowed when some rule allows and none denies.
pub fn decide(rules: &[Rule], principal: &Principal, action: Action, target: &Target) -> bool {
    let matching = || {
        rules
            .iter()
            .filter(|rule| rule.matches(principal, action, target))
    };
    matching().all(|rule| rule.allow) && matching().any(|rule| rule.allow)
}
