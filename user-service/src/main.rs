use std::process::ExitCode;

use clap::Subcommand;
use common::cli::Command;
use common::config::Env;
use user_service::configuration::{MailSettings, Settings};
use user_service::service::accounts::{SuperuserOutcome, ensure_superuser};

/// user-service's own commands, after `serve` and `openapi`.
#[derive(Subcommand)]
enum Own {
    /// Print the JWK Set of the public keys that verify this service's
    /// tokens (JWT_ALGORITHM=EdDSA): the verifiers' JWT_PUBLIC_KEYS_FILE.
    Jwks,
    /// Create the first superuser; safe to repeat. The password comes from
    /// SUPERUSER_PASSWORD, else it is prompted for.
    CreateSuperuser {
        #[arg(long)]
        email: String,
        /// Also make an existing ordinary account with this email a
        /// superuser, if its address is verified: its password becomes the
        /// one given and its sessions end.
        #[arg(long)]
        promote_existing: bool,
    },
}

/// Makes glibc return each argon2 block (19 MiB) to the OS when it is freed.
///
/// By default glibc raises its mmap threshold after the first such block is
/// freed, so later ones come from per-thread arenas and stay resident: with
/// the blocking pool's changing threads the benchmark saw 457 MiB. A fixed
/// threshold keeps large blocks as their own mappings.
fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; it runs first thing
    // in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    return_large_allocations_to_the_os();
    run()
}

#[actix_web::main]
async fn run() -> ExitCode {
    let command = common::cli::parse::<Own>(
        "user-service",
        "Accounts and tokens for the carbon footprint platform",
    );
    if let Command::Openapi = command {
        return common::cli::print_document("user-service", &user_service::openapi::document());
    }
    let env = Env::from_process();
    let settings = match common::cli::settings_or_exit("user-service", Settings::from_env(&env)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    common::telemetry::init(settings.common.log_format, "info");
    let result = match command {
        Command::Serve => {
            // Only the server sends mail, so only it needs mail settings.
            match common::cli::settings_or_exit("user-service", MailSettings::from_env(&env)) {
                Ok(mail) => serve(settings, mail).await,
                Err(code) => return code,
            }
        }
        // Answered above, before any setting is read.
        Command::Openapi => Ok(()),
        Command::Own(Own::Jwks) => {
            let jwks = common::jwk::JwkSet::of(&settings.common.jwt.public_keys);
            return common::cli::print_document("user-service", &jwks);
        }
        Command::Own(Own::CreateSuperuser {
            email,
            promote_existing,
        }) => create_superuser(settings, &email, promote_existing).await,
    };
    common::cli::finish("user-service", result)
}

/// Why a command failed; its `Display` and causes say what to fix.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("starting the server")]
    Startup(#[from] user_service::startup::StartupError),
    #[error("serving")]
    Serve(#[source] std::io::Error),
    #[error("reading the password")]
    Prompt(#[source] std::io::Error),
    #[error("connecting to the database")]
    Database(#[from] common::db::DatabaseStartupError),
    #[error("setting up password hashing")]
    Hasher(#[from] user_service::password::HashError),
    #[error("creating the superuser")]
    Superuser(#[from] user_service::service::accounts::AccountError),
    #[error(
        "{0} is an existing ordinary account; to make it a superuser, run again with --promote-existing"
    )]
    NotPromoted(String),
    #[error(
        "{0} is an existing account whose address is not verified; it was not promoted. \
         Verify the address first (POST /auth/request-verify-token), then run this again"
    )]
    Unverified(String),
}

async fn serve(settings: Settings, mail: MailSettings) -> Result<(), CliError> {
    let app = user_service::startup::build(settings, &mail).await?;
    app.run_until_stopped().await.map_err(CliError::Serve)
}

async fn create_superuser(
    settings: Settings,
    email: &str,
    promote_existing: bool,
) -> Result<(), CliError> {
    let password = match std::env::var("SUPERUSER_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            rpassword::prompt_password("Password for the superuser: ").map_err(CliError::Prompt)?
        }
    };
    let database =
        common::db::connect_transactional(&settings.common.mongodb, "user-service").await?;
    user_service::storage::create_indexes(&database).await?;
    let hasher = user_service::password::PasswordHasher::new(
        settings.password_hash_concurrency,
        settings.account_password_hash_concurrency,
        settings.password_hash_max_wait,
        common::metrics::Metrics::new(),
    )?;
    let outcome = ensure_superuser(&database, &hasher, email, &password, promote_existing).await?;
    match outcome {
        SuperuserOutcome::ExistsNotPromoted => Err(CliError::NotPromoted(email.to_owned())),
        SuperuserOutcome::ExistsUnverified => Err(CliError::Unverified(email.to_owned())),
        outcome => {
            println!("superuser {email}: {outcome:?}");
            Ok(())
        }
    }
}
