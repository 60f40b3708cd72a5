//! The command line of the contract.

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{self, Db};
use crate::startup::Application;
use crate::telemetry;

/// Membership and donation campaigns for independent newsrooms.
#[derive(Debug, Parser)]
#[command(name = "memberdrive", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations, then run the HTTP server and background workers until SIGINT/SIGTERM.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

/// Runs the chosen command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(settings).await?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url)?;
    let applied = db::run_migrations(&mut *db.get()?)?;
    println!("applied {applied} migration(s)");
    Ok(())
}
