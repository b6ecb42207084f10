//! Prometheus metrics: a registry per application ([`Metrics`]), HTTP
//! request metrics recorded by middleware, and a separate listener
//! (`METRICS_ADDR`) that serves `GET /metrics` away from the public API.
//!
//! Every figure goes to the application's own registry, not a process-wide
//! recorder: tests run several applications in one process, and each must
//! see only its own traffic. Metric names every service shares are defined
//! here; each service records its own counters through [`Metrics::record`].

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const DB_ERRORS: &str = "db_operation_errors_total";
/// Transactions run again after a write conflict or a passing failure, by
/// route: a rising rate means requests contend for the same documents.
pub const DB_TRANSACTION_RETRIES: &str = "db_transaction_retries_total";

/// Latency buckets, in seconds, from 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One application's metrics registry.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self {
            recorder: Arc::new(recorder),
            handle,
        }
    }

    /// Runs `record` with this registry as the recorder of the `metrics`
    /// macros (`metrics::counter!(...)` inside it counts here).
    pub fn record(&self, record: impl FnOnce()) {
        metrics::with_local_recorder(self.recorder.as_ref(), record);
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// Marks a response whose error was a failed database operation
/// (`unavailable` or `other`), for `db_operation_errors_total`.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseFailure(pub &'static str);

/// A method as a label: the standard ones by name, anything else `other`.
/// actix accepts any token as a method, so labelling the raw method would
/// let a client create series without bound.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route label: the matched template (`/usages/{id}`, never the raw
/// path), or one fixed value for every unmatched path.
fn route_label(req: &ServiceRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned())
}

/// The `route` label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware: counts every request and times it, labelled by method (see
/// [`method_label`]), route template and numeric status. Every label has a
/// fixed, small set of values whatever clients send.
pub async fn record_http(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = route_label(&req);
    let registry = req.app_data::<web::Data<Metrics>>().cloned();
    let (result, retries) = crate::db::counting_retries(next.call(req)).await;
    let Some(registry) = registry else {
        return result;
    };
    let (status, database_failure) = match &result {
        Ok(response) => (
            response.status().as_u16(),
            response
                .response()
                .extensions()
                .get::<DatabaseFailure>()
                .map(|failure| failure.0),
        ),
        Err(err) => (err.as_response_error().status_code().as_u16(), None),
    };
    if retries > 0 {
        let route = route.clone();
        registry.record(|| {
            metrics::counter!(DB_TRANSACTION_RETRIES, "route" => route).increment(retries);
        });
    }
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    registry.record(|| {
        metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
        metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
        if let Some(kind) = database_failure {
            metrics::counter!(DB_ERRORS, "kind" => kind).increment(1);
        }
    });
    result
}

async fn render(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

/// Serves `GET /metrics` of `metrics` on `address`, apart from the API.
/// Returns the bound address (port 0 picks one) and the server to run.
pub fn serve(address: SocketAddr, metrics: Metrics) -> std::io::Result<(SocketAddr, Server)> {
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        actix_web::App::new()
            .app_data(metrics.clone())
            .route("/metrics", web::get().to(render))
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok((bound, server))
}
