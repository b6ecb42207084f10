//! Building and running the server. `build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use actix_web::web;
use common::db::{DatabaseStartupError, StoreError};
use common::jwk::JwkSet;
use common::jwt::{AccessTokenIssuer, AccessTokenVerifier};
use common::metrics::Metrics;
use common::migrate::MigrateError;
use common::rate_limit::RateLimiter;
use common::server::BindError;

use crate::configuration::{MailSettings, Settings};
use crate::mailer::{Mailer, MailerError};
use crate::password::{HashError, PasswordHasher};
use crate::routes::{self, HttpPolicy};
use crate::service::ServiceContext;
use crate::service::accounts::{
    AccountError, BootstrapOutcome, SuperuserOutcome, bootstrap_superuser,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error(transparent)]
    Mailer(#[from] MailerError),
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Migration(#[from] MigrateError<StoreError>),
    #[error("SUPERUSER_EMAIL/SUPERUSER_PASSWORD: the bootstrap superuser could not be created")]
    Superuser(#[source] AccountError),
    #[error("setting up password hashing")]
    Hasher(#[source] HashError),
}

/// The service, built by [`build`].
pub type Application = common::server::Application<ServiceContext>;

/// Connects, migrates and binds (port 0 picks a port), without serving yet.
pub async fn build(settings: Settings, mail: &MailSettings) -> Result<Application, StartupError> {
    let mailer = crate::mailer::from_settings(mail)?;
    build_with_mailer(settings, mailer).await
}

/// `mailer` replaces the one `settings` describe (tests record mail).
pub async fn build_with_mailer(
    settings: Settings,
    mailer: Mailer,
) -> Result<Application, StartupError> {
    let database =
        common::db::connect_transactional(&settings.common.mongodb, "user-service").await?;
    crate::storage::create_indexes(&database).await?;
    let listener = common::server::listen(&settings.common)?;
    common::server::while_starting(&settings.common, &listener, crate::migrate::run(&database))
        .await??;
    let metrics = Metrics::new();
    let hasher = PasswordHasher::new(
        settings.password_hash_concurrency,
        settings.account_password_hash_concurrency,
        settings.password_hash_max_wait,
        metrics.clone(),
    )
    .map_err(StartupError::Hasher)?;
    if let Some(bootstrap) = &settings.superuser {
        let outcome =
            bootstrap_superuser(&database, &hasher, &bootstrap.email, &bootstrap.password)
                .await
                .map_err(StartupError::Superuser)?;
        match outcome {
            BootstrapOutcome::AlreadyRan => tracing::info!(
                "the SUPERUSER_EMAIL bootstrap ran before on this database; not running it again"
            ),
            BootstrapOutcome::Ran(SuperuserOutcome::ExistsNotPromoted) => {
                tracing::warn!(email = %bootstrap.email,
                        "SUPERUSER_EMAIL belongs to an existing ordinary account; it was NOT promoted. \
                         If that account is yours, verify its address and run \
                         `user-service create-superuser --promote-existing`")
            }
            BootstrapOutcome::Ran(outcome) => {
                tracing::info!(?outcome, email = %bootstrap.email, "bootstrap superuser")
            }
        }
    }

    let context = web::Data::new(ServiceContext {
        db: database.clone(),
        issuer: AccessTokenIssuer::new(&settings.token_signing, &settings.common.jwt),
        hasher,
        lockout: settings.lockout,
        refresh_limiter: RateLimiter::new(&settings.refresh_rate_limit),
        mailer,
        access_token_ttl: settings.access_token_ttl,
        refresh_token_ttl: settings.refresh_token_ttl,
        refresh_token_max_lifetime: settings.refresh_token_max_lifetime,
        invitation_ttl: settings.invitation_ttl,
    });
    let policy = web::Data::new(HttpPolicy {
        trusted_proxies: settings.trusted_proxies.clone(),
        refresh_cookie_secure: settings.refresh_cookie_secure,
        refresh_cookie_max_age_seconds: settings.refresh_token_ttl.as_secs() as i64,
        login_limiter: RateLimiter::new(&settings.login_rate_limit),
        sensitive_limiter: RateLimiter::new(&settings.sensitive_rate_limit),
        account_limiter: RateLimiter::new(&settings.account_rate_limit),
    });
    let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
    let jwks = web::Data::new(JwkSet::of(&settings.common.jwt.public_keys));
    let db_data = web::Data::new(database.clone());
    let metrics_data = web::Data::new(metrics.clone());
    let openapi = crate::openapi::document();
    let routes = routes::table();
    let app_context = context.clone();
    let serving = common::server::bind(
        "user-service",
        listener,
        &settings.common,
        metrics.clone(),
        move |cfg| {
            cfg.app_data(app_context.clone())
                .app_data(policy.clone())
                .app_data(verifier.clone())
                .app_data(metrics_data.clone())
                .app_data(db_data.clone())
                .app_data(jwks.clone());
            routes::configure(&routes, cfg);
            common::openapi::configure_docs(cfg, openapi.clone());
        },
    )?;
    Ok(Application::new(serving, database, context, metrics))
}
