//! Who may do what: the `auth.plugins` chain authenticates every request (the first plugin
//! that names a principal wins) and authorizes each operation (every plugin must allow it).
//! It fails closed: a plugin that is missing, traps, times out or answers nonsense denies.

pub mod middleware;

use std::sync::{Arc, LazyLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use prometheus::{register_int_counter_vec, IntCounterVec};
use tracing::warn;

use crate::error::ApiError;
use crate::plugins::bindings::policy::{Action, Denial, Principal, RequestFacts, Target};
use crate::plugins::catalog::PluginCatalog;

static DENIALS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "krest_auth_denials_total",
        "Requests refused by auth plugins, by plugin and stage (authenticate, authorize, failed)",
        &["plugin", "stage"]
    )
    .expect("unique metric")
});

/// The configured auth plugins, in order.
pub struct AuthChain {
    names: Vec<String>,
    plugins: Arc<PluginCatalog>,
}

impl AuthChain {
    pub fn new(names: Vec<String>, plugins: Arc<PluginCatalog>) -> Self {
        AuthChain { names, plugins }
    }

    /// The principal the first plugin admits; else the first plugin's denial.
    pub async fn authenticate(&self, facts: &RequestFacts) -> Result<Principal, ApiError> {
        let mut first_denial = None;
        for name in &self.names {
            let plugin = self.plugin(name, StatusCode::UNAUTHORIZED)?;
            match self.plugins.runtime().authenticate(&plugin, facts).await {
                Ok(Ok(principal)) => return Ok(principal),
                Ok(Err(denial)) => {
                    first_denial.get_or_insert((name, denial));
                }
                Err(failure) => return Err(failed(name, StatusCode::UNAUTHORIZED, &failure.to_string())),
            }
        }
        match first_denial {
            Some((name, denial)) => {
                DENIALS.with_label_values(&[name, "authenticate"]).inc();
                Err(refusal(denial, StatusCode::UNAUTHORIZED))
            }
            None => Err(failed(
                "(none)",
                StatusCode::UNAUTHORIZED,
                "auth.plugins lists no plugin",
            )),
        }
    }

    /// One answer per target: allowed only when every plugin allows it.
    async fn authorize(
        &self,
        who: &Principal,
        action: Action,
        targets: &[Target],
    ) -> Result<Vec<Result<(), ApiError>>, ApiError> {
        let mut answers: Vec<Result<(), ApiError>> = targets.iter().map(|_| Ok(())).collect();
        for name in &self.names {
            let plugin = self.plugin(name, StatusCode::FORBIDDEN)?;
            let verdicts = self
                .plugins
                .runtime()
                .authorize(&plugin, who, action, targets)
                .await
                .map_err(|failure| failed(name, StatusCode::FORBIDDEN, &failure.to_string()))?;
            for (answer, verdict) in answers.iter_mut().zip(verdicts) {
                if let (Ok(()), Err(denial)) = (&answer, verdict) {
                    DENIALS.with_label_values(&[name, "authorize"]).inc();
                    *answer = Err(refusal(denial, StatusCode::FORBIDDEN));
                }
            }
        }
        Ok(answers)
    }

    fn plugin(
        &self,
        name: &str,
        status: StatusCode,
    ) -> Result<Arc<crate::plugins::plugin::Plugin>, ApiError> {
        self.plugins
            .auth(name)
            .ok_or_else(|| failed(name, status, "no auth plugin of this name is loaded"))
    }
}

/// A plugin's denial as the client sees it; a status outside 4xx becomes `fallback`.
fn refusal(denial: Denial, fallback: StatusCode) -> ApiError {
    let status = StatusCode::from_u16(denial.status)
        .ok()
        .filter(StatusCode::is_client_error)
        .unwrap_or(fallback);
    let code = match denial.error_code {
        0 => u32::from(status.as_u16()) * 100 + 1,
        code => code,
    };
    ApiError::new(status, code, denial.message)
}

/// Fail closed: a plugin that cannot answer refuses the request. The detail is logged, not
/// shown to the caller.
fn failed(plugin: &str, status: StatusCode, detail: &str) -> ApiError {
    warn!(plugin, "auth plugin failed, request refused: {detail}");
    DENIALS.with_label_values(&[plugin, "failed"]).inc();
    let (code, what) = match status {
        StatusCode::UNAUTHORIZED => (40101, "Authentication"),
        _ => (40301, "Authorization"),
    };
    ApiError::new(
        status,
        code,
        format!("{what} failed: auth plugin `{plugin}` could not decide"),
    )
}

/// Who is calling, as the auth middleware found out; every handler can extract it.
#[derive(Clone)]
pub struct Caller {
    identity: Identity,
}

#[derive(Clone)]
enum Identity {
    /// No `auth.plugins`, or a path in `authentication.skip.paths`: everything is allowed.
    Unchecked,
    Authenticated {
        principal: Principal,
        chain: Arc<AuthChain>,
    },
}

impl Caller {
    pub fn unchecked() -> Self {
        Caller {
            identity: Identity::Unchecked,
        }
    }

    pub fn authenticated(principal: Principal, chain: Arc<AuthChain>) -> Self {
        Caller {
            identity: Identity::Authenticated { principal, chain },
        }
    }

    /// The principal's name; `None` when auth is off.
    pub fn name(&self) -> Option<&str> {
        match &self.identity {
            Identity::Unchecked => None,
            Identity::Authenticated { principal, .. } => Some(&principal.name),
        }
    }

    /// Ok when `action` is allowed on every target; else the first refusal.
    pub async fn authorize(&self, action: Action, targets: Vec<Target>) -> Result<(), ApiError> {
        self.allowed(action, targets).await?.into_iter().collect()
    }

    /// One answer per target (for listings that show only what the caller may see).
    pub async fn allowed(
        &self,
        action: Action,
        targets: Vec<Target>,
    ) -> Result<Vec<Result<(), ApiError>>, ApiError> {
        match &self.identity {
            Identity::Unchecked => Ok(targets.iter().map(|_| Ok(())).collect()),
            Identity::Authenticated { principal, chain } => {
                chain.authorize(principal, action, &targets).await
            }
        }
    }
}

impl<S: Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// Fails closed: a route the auth middleware did not see admits nobody.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                50001,
                "request reached a handler unauthenticated",
            )
        })
    }
}

/// Targets for a list of topic names.
pub fn topics<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Target> {
    names.into_iter().map(|t| Target::Topic(t.to_string())).collect()
}
