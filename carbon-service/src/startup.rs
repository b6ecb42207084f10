//! Building and running the server. `Application::build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use actix_web::web;
use common::db::DatabaseStartupError;
use common::jwt::AccessTokenVerifier;
use common::metrics::Metrics;
use common::server::{BindError, Serving};
use mongodb::Database;

use crate::configuration::Settings;
use crate::context::AppContext;
use crate::limits::UserLimiters;
use crate::migrate::MigrationError;
use crate::routes;
use crate::type_cache::UsageTypeCache;
use common::migrate::MigrateError;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error(transparent)]
    Migration(#[from] MigrateError<MigrationError>),
    #[error(transparent)]
    Bind(#[from] BindError),
}

pub struct Application {
    serving: Serving,
    context: web::Data<AppContext>,
    metrics: Metrics,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let database =
            common::db::connect_transactional(&settings.common.mongodb, "carbon-service").await?;
        crate::storage::create_indexes(&database).await?;
        let listener = common::server::listen(&settings.common)?;
        common::server::while_starting(&settings.common, &listener, crate::migrate::run(&database))
            .await??;

        let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
        let context = web::Data::new(AppContext::new(
            database.clone(),
            UsageTypeCache::new(settings.usage_types_cache_ttl),
            UserLimiters::new(&settings.limits),
            crate::service::slots::Slots::new(&settings.slots),
        ));
        let db_data = web::Data::new(database);
        let metrics = Metrics::new();
        let metrics_data = web::Data::new(metrics.clone());
        let routes = routes::table();
        let openapi = crate::openapi::document(&settings.auth_token_url);
        let app_context = context.clone();
        let serving = common::server::bind(
            "carbon-service",
            listener,
            &settings.common,
            metrics.clone(),
            move |cfg| {
                cfg.app_data(verifier.clone())
                    .app_data(app_context.clone())
                    .app_data(metrics_data.clone())
                    .app_data(db_data.clone());
                routes.configure(cfg);
                common::openapi::configure_docs(cfg, openapi.clone());
            },
        )?;
        Ok(Self {
            serving,
            context,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.serving.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.serving.metrics_port
    }

    pub fn database(&self) -> &Database {
        self.context.db()
    }

    /// What the handlers share (tests call the services with it).
    pub fn context(&self) -> web::Data<AppContext> {
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
