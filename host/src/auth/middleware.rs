//! Authenticates every request before routing: the facts the `auth` world defines (method,
//! path and query, headers, peer, TLS client identity) go to the chain; the [`Caller`] it
//! yields rides on the request for handlers to authorize with. Also authorizes the Schema
//! Registry's requests, which have no handler-level checks.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AuthChain, Caller};
use crate::http::health::PROBE_PATHS;
use crate::http::serve::ConnectionFacts;
use crate::plugins::bindings::policy::{Action, RequestFacts, Target};

/// The auth settings every request meets.
#[derive(Clone)]
pub struct AuthGate {
    /// `None`: no `auth.plugins`, every caller is admitted.
    pub chain: Option<Arc<AuthChain>>,
    /// `authentication.skip.paths`: exact paths admitted without authentication.
    pub skip_paths: Arc<[String]>,
}

pub async fn authenticate(State(gate): State<AuthGate>, request: Request, next: Next) -> Response {
    crate::http::observe::name_route(&request);
    match identify(&gate, request).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal,
    }
}

/// `request` with its [`Caller`], or the refusal to answer it with.
pub async fn identify(gate: &AuthGate, mut request: Request) -> Result<Request, Response> {
    let caller = match &gate.chain {
        Some(chain) if !skips_authentication(gate, request.uri().path()) => {
            match chain.authenticate(&facts(&request)).await {
                Ok(principal) => Caller::authenticated(principal, Arc::clone(chain)),
                Err(refusal) => return Err(refusal.into_response()),
            }
        }
        _ => Caller::unchecked(),
    };
    request.extensions_mut().insert(caller);
    Ok(request)
}

/// `authentication.skip.paths`, and the health probes (they tell nothing but "ok").
fn skips_authentication(gate: &AuthGate, path: &str) -> bool {
    gate.skip_paths.iter().any(|p| p == path) || PROBE_PATHS.contains(&path)
}

/// A Schema Registry request is `describe` on the cluster when it reads (GET, a schema
/// look-up in a subject, a compatibility check) and `alter` when it changes anything.
pub async fn authorize_registry(caller: Caller, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let reads = request.method() == Method::GET
        || request.method() == Method::HEAD
        || path.starts_with("/compatibility/")
        || (request.method() == Method::POST
            && path.split('/').filter(|s| !s.is_empty()).count() == 2
            && path.starts_with("/subjects/"));
    let action = if reads { Action::Describe } else { Action::Alter };
    match caller.authorize(action, vec![Target::Cluster]).await {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

fn facts(request: &Request) -> RequestFacts {
    let connection = request.extensions().get::<ConnectionFacts>();
    RequestFacts {
        method: request.method().to_string(),
        path: request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| request.uri().path().to_string()),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        peer: connection.map(|c| c.peer.to_string()).unwrap_or_default(),
        tls_client_identity: connection.and_then(|c| c.tls_client_identity.clone()),
    }
}
