//! Building and running the server. `Application::build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use actix_web::web;
use common::db::DatabaseStartupError;
use common::jwt::{AccessTokenIssuer, AccessTokenVerifier};
use common::server::{BindError, Serving};
use mongodb::Database;

use crate::configuration::{MailSettings, Settings};
use crate::mailer::{Mailer, MailerError};
use crate::password::PasswordHasher;
use crate::routes;
use crate::service::AuthState;
use crate::service::accounts::{BootstrapOutcome, SuperuserOutcome, bootstrap_superuser};
use common::rate_limit::RateLimiter;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error(transparent)]
    Mailer(#[from] MailerError),
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("SUPERUSER_EMAIL/SUPERUSER_PASSWORD: {0}")]
    Superuser(String),
    #[error("{0}")]
    Other(String),
}

pub struct Application {
    serving: Serving,
    database: Database,
    hasher: PasswordHasher,
    state: web::Data<AuthState>,
}

impl Application {
    pub async fn build(settings: Settings, mail: &MailSettings) -> Result<Self, StartupError> {
        let mailer = crate::mailer::from_settings(mail)?;
        Self::build_with_mailer(settings, mailer).await
    }

    /// `mailer` replaces the one `settings` describe (tests record mail).
    pub async fn build_with_mailer(
        settings: Settings,
        mailer: Mailer,
    ) -> Result<Self, StartupError> {
        let database = common::db::connect(&settings.common.mongodb, "user-service").await?;
        crate::storage::create_indexes(&database).await?;
        let hasher = PasswordHasher::new(
            settings.password_hash_concurrency,
            settings.account_password_hash_concurrency,
            settings.password_hash_max_wait,
        )
        .map_err(|e| StartupError::Other(e.to_string()))?;
        if let Some(bootstrap) = &settings.superuser {
            let outcome =
                bootstrap_superuser(&database, &hasher, &bootstrap.email, &bootstrap.password)
                    .await
                    .map_err(|e| {
                        StartupError::Superuser(format!("{e} {:?}", e.problem().errors))
                    })?;
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

        let state = web::Data::new(AuthState {
            issuer: AccessTokenIssuer::new(&settings.common.jwt),
            hasher: hasher.clone(),
            lockout: settings.lockout,
            login_limiter: RateLimiter::new(&settings.login_rate_limit),
            refresh_limiter: RateLimiter::new(&settings.refresh_rate_limit),
            sensitive_limiter: RateLimiter::new(&settings.sensitive_rate_limit),
            account_limiter: RateLimiter::new(&settings.account_rate_limit),
            mailer,
            access_token_ttl: settings.access_token_ttl,
            refresh_token_ttl: settings.refresh_token_ttl,
            refresh_token_max_lifetime: settings.refresh_token_max_lifetime,
            trusted_proxies: settings.trusted_proxies.clone(),
            refresh_cookie_secure: settings.refresh_cookie_secure,
        });
        let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
        let db_data = web::Data::new(database.clone());
        let openapi = crate::openapi::document();
        let app_state = state.clone();
        let serving = common::server::bind("user-service", &settings.common, move |cfg| {
            cfg.app_data(app_state.clone())
                .app_data(verifier.clone())
                .app_data(db_data.clone());
            routes::configure(cfg);
            common::health::configure(cfg);
            common::openapi::configure_docs(cfg, openapi.clone());
        })?;
        Ok(Self {
            serving,
            database,
            hasher,
            state,
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

    /// What the handlers share (tests call `service` functions with it).
    pub fn auth_state(&self) -> web::Data<AuthState> {
        self.state.clone()
    }

    /// The password hasher (tests read its verification count).
    pub fn password_hasher(&self) -> PasswordHasher {
        self.hasher.clone()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.serving.run_until_stopped().await
    }
}
