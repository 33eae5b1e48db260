//! REST API v3 routes under `/v3` (placeholder until the v3 skeleton is merged).

mod records;
mod records_batch;

use axum::routing::post;
use axum::Router;

use crate::http::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v3/clusters/{cluster_id}/topics/{topic}/records",
            post(records::produce),
        )
        .route(
            "/v3/clusters/{cluster_id}/topics/{topic}/records:batch",
            post(records_batch::produce),
        )
}
