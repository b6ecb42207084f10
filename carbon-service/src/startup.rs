//! Building and running the server. `Application::build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use common::db::DatabaseStartupError;
use common::jwt::AccessTokenVerifier;
use mongodb::Database;

use crate::configuration::Settings;
use crate::routes;
use crate::type_cache::UsageTypeCache;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error("migrating stored data failed: {0}")]
    Migration(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
    database: Database,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let database = common::db::connect(&settings.common.mongodb, "carbon-service").await?;
        crate::storage::create_indexes(&database).await?;
        crate::storage::idempotency::backfill_expiry(&database)
            .await
            .map_err(|e| StartupError::Migration(e.to_string()))?;
        let address = settings.common.address();
        let bind_error = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
        let cache = web::Data::new(UsageTypeCache::new(settings.usage_types_cache_ttl));
        let db_data = web::Data::new(database.clone());
        let openapi = crate::openapi::document(&settings.auth_token_url);
        let origins = settings.common.cors_allowed_origins.clone();

        let server = HttpServer::new(move || {
            let (verifier, cache, db_data, openapi) = (
                verifier.clone(),
                cache.clone(),
                db_data.clone(),
                openapi.clone(),
            );
            common::http::app(&origins, move |cfg| {
                cfg.app_data(verifier).app_data(cache).app_data(db_data);
                routes::configure(cfg);
                common::health::configure(cfg);
                common::openapi::configure_docs(cfg, openapi);
            })
        })
        .listen(listener)
        .map_err(bind_error)?
        .shutdown_timeout(10)
        .run();
        tracing::info!(port, "carbon-service listening");
        Ok(Self {
            port,
            server,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
