//! Building and running the server. `Application::build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use actix_web::web;
use common::db::DatabaseStartupError;
use common::jwt::AccessTokenVerifier;
use common::server::{BindError, Serving};
use mongodb::Database;

use crate::configuration::Settings;
use crate::limits::UserLimiters;
use crate::routes;
use crate::type_cache::UsageTypeCache;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error("{0}")]
    Migration(String),
    #[error(transparent)]
    Bind(#[from] BindError),
}

pub struct Application {
    serving: Serving,
    database: Database,
    cache: web::Data<UsageTypeCache>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let database = common::db::connect(&settings.common.mongodb, "carbon-service").await?;
        crate::storage::create_indexes(&database).await?;
        crate::migrate::run(&database)
            .await
            .map_err(StartupError::Migration)?;

        let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
        let cache = web::Data::new(UsageTypeCache::new(settings.usage_types_cache_ttl));
        let limiters = web::Data::new(UserLimiters::new(&settings.limits));
        let db_data = web::Data::new(database.clone());
        let openapi = crate::openapi::document(&settings.auth_token_url);
        let app_cache = cache.clone();
        let serving = common::server::bind("carbon-service", &settings.common, move |cfg| {
            cfg.app_data(verifier.clone())
                .app_data(app_cache.clone())
                .app_data(limiters.clone())
                .app_data(db_data.clone());
            routes::configure(cfg);
            common::health::configure(cfg);
            common::openapi::configure_docs(cfg, openapi.clone());
        })?;
        Ok(Self {
            serving,
            database,
            cache,
        })
    }

    pub fn port(&self) -> u16 {
        self.serving.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.serving.metrics_port
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The usage-type cache the handlers share (tests observe it).
    pub fn type_cache(&self) -> web::Data<UsageTypeCache> {
        self.cache.clone()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.serving.run_until_stopped().await
    }
}
