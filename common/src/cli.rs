//! How both binaries end: configuration errors exit 2 naming the variable,
//! command failures exit 1 after being logged.

use std::fmt::Display;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The commands both binaries have, then a service's own (`C`).
#[derive(Subcommand)]
pub enum Command<C: Subcommand> {
    /// Run the HTTP server (the default).
    Serve,
    /// Print the OpenAPI document (JSON) and exit; needs no settings.
    Openapi,
    #[command(flatten)]
    Own(C),
}

#[derive(Parser)]
struct Cli<C: Subcommand> {
    #[command(subcommand)]
    command: Option<Command<C>>,
}

/// The command line's command, `Serve` when none is given; `--help`,
/// `--version` and mistakes print and exit as clap does.
pub fn parse<C: Subcommand>(name: &'static str, about: &'static str) -> Command<C> {
    let matches = Cli::<C>::command()
        .name(name)
        .version(env!("CARGO_PKG_VERSION"))
        .about(about)
        .get_matches();
    Cli::<C>::from_arg_matches(&matches)
        .unwrap_or_else(|e| e.exit())
        .command
        .unwrap_or(Command::Serve)
}

/// The settings, or exit code 2 after printing why.
pub fn settings_or_exit<T, E: Display>(service: &str, loaded: Result<T, E>) -> Result<T, ExitCode> {
    loaded.map_err(|e| {
        eprintln!("{service}: {e}");
        ExitCode::from(2)
    })
}

/// The exit code for a command's result, logging and printing a failure
/// with its chain of causes ("reading seed.json: No such file").
pub fn finish<E: std::error::Error + 'static>(service: &str, result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = crate::error::cause_chain(&error);
            tracing::error!("{message}");
            eprintln!("{service}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a document (OpenAPI, a JWK Set) as JSON. A closed
/// pipe (`| head`) ends quietly instead of panicking.
pub fn print_document(service: &str, doc: &impl serde::Serialize) -> ExitCode {
    use std::io::Write;
    let json = match serde_json::to_string_pretty(doc) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("{service}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{json}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{service}: {e}");
            ExitCode::FAILURE
        }
    }
}
