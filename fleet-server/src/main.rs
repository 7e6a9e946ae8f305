//! `fleet-server`: `serve`, `prepare db`, `version`.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use fleet_server::config::DatabaseArgs;
use fleet_server::db::{Db, prepare_db};
use fleet_server::serve::{self, ServeArgs};

/// The Fleet-style Apple MDM server.
#[derive(Debug, Parser)]
#[command(name = "fleet-server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, SCEP and MDM endpoints.
    Serve(Box<ServeArgs>),
    /// Prepare things before serving.
    Prepare {
        #[command(subcommand)]
        what: Prepare,
    },
    /// Print the version.
    Version,
}

#[derive(Debug, Subcommand)]
enum Prepare {
    /// Run the database migrations.
    Db(DatabaseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (json, debug) = match &cli.command {
        Command::Serve(args) => (args.server.logging_json, args.server.logging_debug),
        _ => (false, false),
    };
    init_logging(json, debug);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let shutdown = shutdown_signal();
            Ok(serve::run(*args, shutdown).await?)
        }
        Command::Prepare {
            what: Prepare::Db(args),
        } => {
            let db = Db::open(&args.db_config()?)?;
            let applied = prepare_db(&db).await.context("preparing the database")?;
            if applied.is_empty() {
                println!("Migrations already completed. Nothing to do.");
            } else {
                println!("Migrations completed: {}", applied.join(", "));
            }
            Ok(())
        }
        Command::Version => {
            println!("fleet-server {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

/// Logs to standard error as text or JSON lines, at info (or debug).
fn init_logging(json: bool, debug: bool) {
    let level = if debug {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    // Colours only for a terminal: files and log collectors get plain text.
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// at once, not when the future is first polled: `serve` says it listens
/// before it polls the future, and a SIGTERM sent right after that line
/// (by a test, a supervisor) must stop it gracefully, not kill it.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                () = received(interrupt) => {}
                () = received(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Completes when `signal` arrives; never when it could not be installed.
#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
