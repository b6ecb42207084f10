use std::path::PathBuf;
use std::process::ExitCode;

use carbon_service::configuration::Settings;
use clap::Subcommand;
use common::cli::Command;
use common::config::{ConfigError, Env, LogFormat, MongoSettings};

/// carbon-service's own commands, after `serve` and `openapi`.
#[derive(Subcommand)]
enum Own {
    /// Load a factor dataset and its usage types: the bundled US EPA GHG
    /// Emission Factors Hub 2025 unless --file is given. Insert-only: a
    /// dataset or type that exists is left as it is. Safe to repeat.
    Seed {
        /// A dataset file: {"dataset": {...}, "types": [...]} (the format of
        /// carbon-service/seed/epa-ghg-hub-2025.json).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Also load the coding challenge's five illustrative types (ids
        /// 100 to 104, dataset `example`: not for reporting).
        #[arg(long)]
        examples: bool,
        /// Also overwrite existing datasets and types with the file's values.
        #[arg(long)]
        force: bool,
    },
    /// Recompute every organization's rollups and usage count from the usages and
    /// report each difference; exits 1 when there is one. Safe while the
    /// service runs: each organization is read (and repaired) in one transaction.
    VerifyRollups {
        /// Rebuild the rollups and count of each organization that differs.
        #[arg(long)]
        repair: bool,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let command = common::cli::parse::<Own>("carbon-service", "Usage records and CO2e footprints");
    let tool = match command {
        Command::Openapi => {
            let doc = carbon_service::openapi::document(
                carbon_service::configuration::DEFAULT_AUTH_TOKEN_URL,
            );
            return common::cli::print_document("carbon-service", &doc);
        }
        Command::Serve => None,
        Command::Own(tool) => Some(tool),
    };
    let env = Env::from_process();
    let result = match tool {
        None => {
            let settings =
                match common::cli::settings_or_exit("carbon-service", Settings::from_env(&env)) {
                    Ok(s) => s,
                    Err(code) => return code,
                };
            common::telemetry::init(settings.common.log_format, "info");
            serve(settings).await
        }
        // The tools touch the database only: they need no JWT setting.
        Some(tool) => {
            let (mongodb, log_format) =
                match common::cli::settings_or_exit("carbon-service", database_settings(&env)) {
                    Ok(s) => s,
                    Err(code) => return code,
                };
            common::telemetry::init(log_format, "info");
            match tool {
                Own::Seed {
                    file,
                    examples,
                    force,
                } => seed(&mongodb, file, examples, force).await,
                Own::VerifyRollups { repair } => verify_rollups(&mongodb, repair).await,
            }
        }
    };
    common::cli::finish("carbon-service", result)
}

/// Why a command failed; its `Display` and causes say what to fix.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("starting the server")]
    Startup(#[from] carbon_service::startup::StartupError),
    #[error("serving")]
    Serve(#[source] std::io::Error),
    #[error("reading {path}")]
    ReadSeed {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_name}")]
    Seed {
        source_name: String,
        #[source]
        source: carbon_service::seed::SeedError,
    },
    #[error("connecting to the database")]
    Database(#[from] common::db::DatabaseStartupError),
    #[error("verifying rollups")]
    Verify(#[from] common::db::StoreError),
    #[error(
        "{cells} rollups and {counts} usage counts differ from the usages; \
         run `carbon-service verify-rollups --repair` to rebuild them"
    )]
    RollupsDiffer { cells: usize, counts: usize },
}

async fn verify_rollups(mongodb: &MongoSettings, repair: bool) -> Result<(), CliError> {
    let database = common::db::connect_transactional(mongodb, "carbon-service").await?;
    carbon_service::storage::create_indexes(&database).await?;
    let report = carbon_service::service::rollups::verify(&database, repair).await?;
    for d in &report.cell_differences {
        let show = |t: &Option<carbon_service::service::rollups::Totals>| match t {
            Some(t) => format!(
                "{} usages, amount {}, {} kg CO2e",
                t.usage_count, t.total_amount, t.co2e
            ),
            None => "none".to_owned(),
        };
        let period = match &d.day {
            Some(day) => format!("day {day}"),
            None => format!("month {}", d.month),
        };
        println!(
            "user {} {} type {} scope {}: stored {}; from usages {}",
            d.org_id,
            period,
            d.usage_type_id,
            d.scope,
            show(&d.stored),
            show(&d.recomputed)
        );
    }
    for d in &report.count_differences {
        println!(
            "user {}: usage count stored {}, from usages {}",
            d.org_id, d.stored, d.recomputed
        );
    }
    println!(
        "checked {} users and {} rollups: {} rollups and {} usage counts differ{}",
        report.users,
        report.cells,
        report.cell_differences.len(),
        report.count_differences.len(),
        if repair {
            format!("; repaired {} users", report.repaired)
        } else {
            String::new()
        }
    );
    if report.is_clean() || repair {
        Ok(())
    } else {
        Err(CliError::RollupsDiffer {
            cells: report.cell_differences.len(),
            counts: report.count_differences.len(),
        })
    }
}

fn database_settings(env: &Env) -> Result<(MongoSettings, LogFormat), ConfigError> {
    Ok((
        MongoSettings::from_env(env, carbon_service::configuration::DEFAULT_MONGODB_URI)?,
        env.parse_or("LOG_FORMAT", LogFormat::Pretty)?,
    ))
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let app = carbon_service::startup::build(settings).await?;
    app.run_until_stopped().await.map_err(CliError::Serve)
}

async fn seed(
    mongodb: &MongoSettings,
    file: Option<PathBuf>,
    examples: bool,
    force: bool,
) -> Result<(), CliError> {
    let mut sources = vec![match file {
        Some(path) => {
            let json = std::fs::read_to_string(&path).map_err(|source| CliError::ReadSeed {
                path: path.display().to_string(),
                source,
            })?;
            (path.display().to_string(), json)
        }
        None => (
            "the bundled EPA GHG Emission Factors Hub 2025".to_owned(),
            carbon_service::seed::EPA_GHG_HUB_2025.to_owned(),
        ),
    }];
    if examples {
        sources.push((
            "the illustrative examples".to_owned(),
            carbon_service::seed::EXAMPLES.to_owned(),
        ));
    }
    let mut parsed = Vec::new();
    for (source_name, json) in &sources {
        let seeded = carbon_service::seed::parse_seed(json).map_err(|source| CliError::Seed {
            source_name: source_name.clone(),
            source,
        })?;
        parsed.push((source_name, seeded));
    }
    let database = common::db::connect_transactional(mongodb, "carbon-service").await?;
    carbon_service::storage::create_indexes(&database).await?;
    let mode = if force {
        carbon_service::seed::SeedMode::Force
    } else {
        carbon_service::seed::SeedMode::InsertOnly
    };
    for (source_name, seeded) in parsed {
        let report = carbon_service::seed::seed(&database, &seeded, mode)
            .await
            .map_err(|source| CliError::Seed {
                source_name: source_name.clone(),
                source,
            })?;
        println!(
            "seeded dataset {} ({} usage types) from {source_name}: {} created, {} updated, {} unchanged",
            seeded.dataset.id,
            seeded.types.len(),
            report.created,
            report.updated,
            report.unchanged
        );
        if seeded.dataset.illustrative {
            println!("  illustrative: not for reporting");
        }
    }
    Ok(())
}
