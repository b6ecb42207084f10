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

/// Binds the API on `HOST:PORT` with everything `common::http::app` adds
/// around `configure`, recording into `metrics`, and the metrics listener
/// on `METRICS_ADDR`.
pub fn bind<F>(
    name: &'static str,
    settings: &CommonSettings,
    metrics: Metrics,
    configure: F,
) -> Result<Serving, BindError>
where
    F: Fn(&mut ServiceConfig) + Clone + Send + 'static,
{
    let address = settings.address();
    let bind_error = |source| BindError {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
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
