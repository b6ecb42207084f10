//! Building and running the server. `build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use actix_web::web;
use common::db::DatabaseStartupError;
use common::jwt::AccessTokenVerifier;
use common::metrics::Metrics;
use common::server::BindError;

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

/// The service, built by [`build`].
pub type Application = common::server::Application<AppContext>;

/// Connects, migrates and binds (port 0 picks a port), without serving yet.
pub async fn build(settings: Settings) -> Result<Application, StartupError> {
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
    let db_data = web::Data::new(database.clone());
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
    Ok(Application::new(serving, database, context, metrics))
}
