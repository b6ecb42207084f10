//! Binding and running a service: the API listener (port 0 picks one, which
//! tests read back) and, when `METRICS_ADDR` is set, the metrics listener.

use std::net::TcpListener;

use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use actix_web::web::ServiceConfig;

use crate::config::CommonSettings;
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address}: {source}")]
pub struct BindError {
    pub address: String,
    pub source: std::io::Error,
}

/// A bound, not yet running, service.
pub struct Serving {
    pub port: u16,
    /// Where `GET /metrics` is served, when enabled.
    pub metrics_port: Option<u16>,
    server: Server,
    metrics: Option<Server>,
}

/// The API's socket, bound before the start-up work (migrations) so that
/// the port answers meanwhile (see [`while_starting`]).
pub struct Listener {
    listener: TcpListener,
    address: String,
    pub port: u16,
}

/// Binds `HOST:PORT` (port 0 picks one).
pub fn listen(settings: &CommonSettings) -> Result<Listener, BindError> {
    let address = settings.address();
    let bind_error = |source| BindError {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    Ok(Listener {
        listener,
        address,
        port,
    })
}

/// Runs `work` (the migrations) while `listener` answers `/healthz` with
/// 200 and everything else, `/readyz` included, with 503 and `Retry-After`:
/// a load balancer keeps sending traffic to the instances that are ready.
pub async fn while_starting<T>(
    settings: &CommonSettings,
    listener: &Listener,
    work: impl std::future::Future<Output = T>,
) -> Result<T, BindError> {
    let bind_error = |source| BindError {
        address: listener.address.clone(),
        source,
    };
    let socket = listener.listener.try_clone().map_err(bind_error)?;
    let origins = settings.cors_allowed_origins.clone();
    let server = HttpServer::new(move || {
        crate::http::app(&origins, |cfg| {
            cfg.route("/healthz", actix_web::web::get().to(crate::health::healthz))
                .route("/{any:.*}", actix_web::web::route().to(starting));
        })
    })
    .workers(1)
    .listen(socket)
    .map_err(bind_error)?
    .disable_signals()
    .run();
    let handle = server.handle();
    let serving = tokio::spawn(server);
    let done = work.await;
    handle.stop(false).await;
    // The server's own result says nothing about the work.
    let _ = serving.await;
    Ok(done)
}

async fn starting() -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let mut response = crate::error::ApiError::Status {
        status: actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        detail: "The service is starting (bringing its database up to date); retry shortly.".into(),
    }
    .error_response();
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("1"),
    );
    response
}

/// Serves the API on `listener` with everything `common::http::app` adds
/// around `configure`, recording into `metrics`, and the metrics listener
/// on `METRICS_ADDR`.
pub fn bind<F>(
    name: &'static str,
    listener: Listener,
    settings: &CommonSettings,
    metrics: Metrics,
    configure: F,
) -> Result<Serving, BindError>
where
    F: Fn(&mut ServiceConfig) + Clone + Send + 'static,
{
    let Listener {
        listener,
        address,
        port,
    } = listener;
    let bind_error = |source| BindError {
        address: address.clone(),
        source,
    };
    let origins = settings.cors_allowed_origins.clone();
    let registry = actix_web::web::Data::new(metrics.clone());
    let server = HttpServer::new(move || {
        let configure = configure.clone();
        let registry = registry.clone();
        crate::http::app(&origins, move |cfg| {
            cfg.app_data(registry);
            configure(cfg);
        })
    })
    .listen(listener)
    .map_err(bind_error)?
    // In-flight requests get this long to finish after SIGTERM.
    .shutdown_timeout(10)
    .run();
    let (metrics_port, metrics) = match settings.metrics_addr {
        Some(addr) => {
            let (bound, server) =
                crate::metrics::serve(addr, metrics).map_err(|source| BindError {
                    address: addr.to_string(),
                    source,
                })?;
            tracing::info!(address = %bound, "{name} metrics at /metrics");
            (Some(bound.port()), Some(server))
        }
        None => (None, None),
    };
    // Tests and scripts read the port from this line.
    tracing::info!(port, "{name} listening");
    Ok(Serving {
        port,
        metrics_port,
        server,
        metrics,
    })
}

impl Serving {
    /// Serves until SIGINT/SIGTERM, drains in-flight requests (up to 10 s),
    /// then stops the metrics listener.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics: Option<ServerHandle> = self.metrics.map(|server| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        if let Some(handle) = metrics {
            handle.stop(true).await;
        }
        result
    }
}

/// A built service: bound but not yet serving (so tests know its port),
/// with its database, what its handlers share (`C`, which tests call the
/// services with) and its metrics.
pub struct Application<C> {
    serving: Serving,
    database: mongodb::Database,
    context: actix_web::web::Data<C>,
    metrics: Metrics,
}

impl<C> Application<C> {
    pub fn new(
        serving: Serving,
        database: mongodb::Database,
        context: actix_web::web::Data<C>,
        metrics: Metrics,
    ) -> Self {
        Self {
            serving,
            database,
            context,
            metrics,
        }
    }

    pub fn port(&self) -> u16 {
        self.serving.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.serving.metrics_port
    }

    pub fn database(&self) -> &mongodb::Database {
        &self.database
    }

    pub fn context(&self) -> actix_web::web::Data<C> {
        self.context.clone()
    }

    /// This application's metrics (tests read its own series only).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.serving.run_until_stopped().await
    }
}
