//! Kubernetes probes, served without authentication: `GET /livez` answers while the process
//! serves; `GET /readyz` once Kafka has answered (plugins load before krest listens) and no
//! longer once shutdown has begun.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::clients::CallerClients;
use crate::error::ApiError;

/// The paths the probes are served at.
pub const PROBE_PATHS: [&str; 2] = ["/livez", "/readyz"];

/// Longest `/readyz` waits for Kafka's first answer: under Kubernetes' default probe timeout
/// of one second.
const KAFKA_WAIT: Duration = Duration::from_millis(900);

/// What readiness depends on besides Kafka.
#[derive(Clone)]
pub struct Lifecycle {
    /// Turns true when a termination signal arrives.
    pub stopping: watch::Receiver<bool>,
}

pub async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 once the cluster's id is known (asked of Kafka once, then kept: a broker outage later
/// does not take every proxy out of its load balancer); 503 before that and while stopping.
pub async fn ready(
    State(lifecycle): State<Lifecycle>,
    State(clients): State<Arc<CallerClients>>,
) -> Result<Json<Value>, ApiError> {
    if *lifecycle.stopping.borrow() {
        return Err(unavailable("krest is shutting down."));
    }
    match tokio::time::timeout(KAFKA_WAIT, clients.own().metadata.cluster_id()).await {
        Ok(Ok(_)) => Ok(Json(json!({"status": "ready"}))),
        _ => Err(unavailable("Kafka has not answered yet.")),
    }
}

fn unavailable(message: &str) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, 503, message)
}
