//! Building and running the server. `Application::build` binds (port 0 in
//! tests) and returns before serving, so tests know the port.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use common::db::DatabaseStartupError;
use common::jwt::{AccessTokenIssuer, AccessTokenVerifier};
use mongodb::Database;

use crate::configuration::Settings;
use crate::mailer::{Mailer, MailerError};
use crate::password::PasswordHasher;
use crate::rate_limit::LoginRateLimiter;
use crate::routes::{self, AuthState};
use crate::superuser::ensure_superuser;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseStartupError),
    #[error(transparent)]
    Mailer(#[from] MailerError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("SUPERUSER_EMAIL/SUPERUSER_PASSWORD: {0}")]
    Superuser(String),
    #[error("{0}")]
    Other(String),
}

pub struct Application {
    port: u16,
    server: Server,
    database: Database,
    hasher: PasswordHasher,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_mailer(settings, None).await
    }

    /// `mailer` overrides the one `settings` describe (tests pass an outbox).
    pub async fn build_with_mailer(
        settings: Settings,
        mailer: Option<Mailer>,
    ) -> Result<Self, StartupError> {
        let mailer = match mailer {
            Some(m) => m,
            None => Mailer::from_settings(&settings.mail)?,
        };
        let database = common::db::connect(&settings.common.mongodb, "user-service").await?;
        crate::storage::create_indexes(&database).await?;
        let hasher = PasswordHasher::new(settings.password_hash_concurrency)
            .map_err(|e| StartupError::Other(e.to_string()))?;
        if let Some(bootstrap) = &settings.superuser {
            let outcome =
                ensure_superuser(&database, &hasher, &bootstrap.email, &bootstrap.password)
                    .await
                    .map_err(|e| {
                        StartupError::Superuser(format!("{e} {:?}", e.problem().errors))
                    })?;
            tracing::info!(?outcome, email = %bootstrap.email, "bootstrap superuser ensured");
        }
        let address = settings.common.address();
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?
            .port();

        let state = web::Data::new(AuthState {
            issuer: AccessTokenIssuer::new(&settings.common.jwt),
            hasher: hasher.clone(),
            rate_limiter: LoginRateLimiter::new(&settings.rate_limit),
            mailer,
            access_token_ttl: settings.access_token_ttl,
            refresh_token_ttl: settings.refresh_token_ttl,
        });
        let verifier = web::Data::new(AccessTokenVerifier::new(&settings.common.jwt));
        let db_data = web::Data::new(database.clone());
        let openapi = crate::openapi::document();
        let origins = settings.common.cors_allowed_origins.clone();

        let server = HttpServer::new(move || {
            let (state, verifier, db_data, openapi) = (
                state.clone(),
                verifier.clone(),
                db_data.clone(),
                openapi.clone(),
            );
            common::http::app(&origins, move |cfg| {
                cfg.app_data(state).app_data(verifier).app_data(db_data);
                routes::configure(cfg);
                common::health::configure(cfg);
                common::openapi::configure_docs(cfg, openapi);
            })
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind { address, source })?
        .shutdown_timeout(10)
        .run();
        tracing::info!(port, "user-service listening");
        Ok(Self {
            port,
            server,
            database,
            hasher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The password hasher (tests read its verification count).
    pub fn password_hasher(&self) -> PasswordHasher {
        self.hasher.clone()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
