//! Prometheus metrics: request counts and latencies per route, recorded in the process-wide
//! registry (plugin metrics live there too) and served at `GET /metrics` with the producer
//! queue and consumer lags read at scrape time; the Schema Registry's listener has its own
//! request counter.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{
    register_histogram_vec, register_int_counter_vec, register_int_gauge, Encoder, HistogramVec,
    IntCounterVec, IntGauge, IntGaugeVec, Opts, TextEncoder,
};

use crate::auth::Caller;
use crate::clients::CallerClients;
use crate::consumers::ConsumerManager;
use crate::error::ApiError;
use crate::plugins::bindings::policy::{Action, Target};

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "krest_http_requests_total",
        "HTTP requests answered, by route, method and status",
        &["route", "method", "status"]
    )
    .expect("unique metric")
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "krest_http_request_duration_seconds",
        "HTTP request latency, by route and method",
        &["route", "method"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    )
    .expect("unique metric")
});

static REGISTRY_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "krest_schema_registry_requests_total",
        "Schema Registry requests answered, by route, method and status",
        &["route", "method", "status"]
    )
    .expect("unique metric")
});

static PRODUCER_QUEUE: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "krest_producer_queue_records",
        "Records handed to the Kafka producers and not yet acknowledged by Kafka, at scrape time"
    )
    .expect("unique metric")
});

/// A request being answered, counted under its route template (e.g. `/topics/{topic}`).
pub struct Counted {
    requests: &'static IntCounterVec,
    latency: Option<&'static HistogramVec>,
    route: Option<MatchedPath>,
    method: Method,
    started: Instant,
}

impl Counted {
    /// A proxy request: counted and timed.
    pub fn proxy(request: &Request) -> Self {
        Counted::start(&REQUESTS, Some(&LATENCY), request)
    }

    fn start(
        requests: &'static IntCounterVec,
        latency: Option<&'static HistogramVec>,
        request: &Request,
    ) -> Self {
        Counted {
            requests,
            latency,
            route: request.extensions().get::<MatchedPath>().cloned(),
            method: request.method().clone(),
            started: Instant::now(),
        }
    }

    /// Records the answer.
    pub fn answered(self, response: &Response) {
        let route = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        let method = self.method.as_str();
        if let Some(latency) = self.latency {
            latency
                .with_label_values(&[route, method])
                .observe(self.started.elapsed().as_secs_f64());
        }
        self.requests
            .with_label_values(&[route, method, response.status().as_str()])
            .inc();
    }
}

/// Middleware counting every Schema Registry request under its route template.
pub async fn track_registry(request: Request, next: Next) -> Response {
    let counted = Counted::start(&REGISTRY_REQUESTS, None, &request);
    let response = next.run(request).await;
    counted.answered(&response);
    response
}

/// `GET /metrics` in the Prometheus text format.
pub async fn export(
    State(clients): State<Arc<CallerClients>>,
    State(consumers): State<Arc<ConsumerManager>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.authorize(Action::Describe, vec![Target::Cluster]).await?;
    PRODUCER_QUEUE.set(clients.queued_records());
    let mut families = prometheus::gather();
    families.extend(consumer_lag(consumers.lags().await));
    Ok(encode(&families))
}

/// `krest_consumer_lag_records{group,instance}`, made afresh for each scrape so that a
/// deleted instance's series goes with it.
fn consumer_lag(lags: Vec<(String, String, i64)>) -> Vec<MetricFamily> {
    if lags.is_empty() {
        return Vec::new();
    }
    let help = "Records between a consumer instance's read positions and the ends of its \
                assigned partitions, asked of Kafka at scrape time";
    let gauge = IntGaugeVec::new(
        Opts::new("krest_consumer_lag_records", help),
        &["group", "instance"],
    )
    .expect("valid metric");
    for (group, instance, lag) in &lags {
        gauge.with_label_values(&[group, instance]).set(*lag);
    }
    gauge.collect()
}

fn encode(families: &[MetricFamily]) -> Response {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(families, &mut body) {
        Ok(()) => ([(CONTENT_TYPE, encoder.format_type().to_string())], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
