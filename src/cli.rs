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
    /// Compare local membership state with Stripe and print the drift.
    Reconcile {
        /// Repair the drift (through the same code that processes webhooks).
        #[arg(long)]
        apply: bool,
    },
    /// Manage staff accounts for the dashboard.
    Staff {
        #[command(subcommand)]
        command: crate::staff::cli::StaffCommand,
    },
    /// Import members from a CSV file (idempotent on email; nothing is imported if a row is bad).
    #[command(after_long_help = crate::members::import::FORMAT_HELP)]
    ImportMembers {
        /// The CSV file: a header row naming the columns, then one member per row.
        file: std::path::PathBuf,
    },
    /// Import newsletter subscribers who gave their consent elsewhere, as confirmed (nothing
    /// is imported if a row is bad).
    #[command(after_long_help = crate::newsletters::import::FORMAT_HELP)]
    ImportSubscribers {
        /// The CSV file: a header row naming the columns, then one reader per row.
        file: std::path::PathBuf,
        /// The newsletter they subscribed to (its slug).
        #[arg(long, value_name = "SLUG")]
        newsletter: String,
    },
    /// Newsletter editions.
    Edition {
        #[command(subcommand)]
        command: crate::newsletters::editions::cli::EditionCommand,
    },
    /// Erase one person's personal data (member, subscriber, tokens, sessions, emails); their
    /// payments stay, without personal data. Audited. Their customer at Stripe is left to
    /// Stripe.
    ErasePerson {
        /// The person's email address.
        email: String,
    },
    /// Write every member as CSV, sorted by email, in the format import-members reads.
    ExportMembers {
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

/// Runs the chosen command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(settings.log_format);
    for deprecation in &settings.deprecations {
        tracing::warn!("{deprecation}");
    }
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Reconcile { apply } => reconcile(settings, apply),
        Command::Staff { command } => crate::staff::cli::run(&settings, command),
        Command::ImportMembers { file } => crate::members::import::run(&settings, &file),
        Command::ImportSubscribers { file, newsletter } => {
            crate::newsletters::import::run(&settings, &file, &newsletter)
        }
        Command::Edition { command } => crate::newsletters::editions::cli::run(&settings, command),
        Command::ErasePerson { email } => crate::privacy::run(&settings, &email),
        Command::ExportMembers { out } => crate::members::export::run(&settings, out.as_deref()),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let summary = StartSummary::of(&settings);
        let app = Application::build(settings).await?;
        summary.log(app.port());
        app.run_until_stopped().await
    })
}

/// What an operator checks first in a log: the one line `serve` writes once it listens.
struct StartSummary {
    ip: std::net::IpAddr,
    database: &'static str,
    mail: String,
    stripe: &'static str,
    base_url: String,
}

impl StartSummary {
    fn of(settings: &Settings) -> StartSummary {
        StartSummary {
            ip: settings.bind.ip(),
            database: match settings.database_url.backend() {
                db::Backend::Sqlite => "sqlite",
                db::Backend::Postgres => "postgresql",
            },
            mail: settings.mail_summary(),
            stripe: settings.stripe_mode().as_str(),
            base_url: settings.base_url.to_string(),
        }
    }

    /// Logs it with the port actually bound (`MEMBERDRIVE_BIND` may ask for port 0).
    fn log(&self, port: u16) {
        tracing::info!(
            listen = %std::net::SocketAddr::new(self.ip, port),
            database = self.database,
            mail = %self.mail,
            stripe = self.stripe,
            base_url = %self.base_url,
            "listening"
        );
    }
}

fn reconcile(settings: Settings, apply: bool) -> anyhow::Result<()> {
    use std::sync::Arc;

    use crate::campaigns::board::ProgressBoard;
    use crate::payments::client::StripeApi;
    use crate::payments::sync::Syncer;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let api = StripeApi::new(&settings)?
            .ok_or_else(|| anyhow::anyhow!("STRIPE_SECRET_KEY is not set"))?;
        let db = Db::connect(&settings.database_url, settings.db_pool_size)?;
        db::run_migrations(&mut *db.get()?)?;
        let syncer = Syncer {
            api: Arc::new(api),
            board: Arc::new(ProgressBoard::new(settings.base_url.as_str())),
            db,
            settings: Arc::new(settings),
            outbox: Arc::default(),
        };
        let drift = crate::payments::reconcile::reconcile(&syncer, apply).await?;
        for d in &drift {
            println!("{d}");
        }
        match (drift.len(), apply) {
            (0, _) => println!("no drift"),
            (n, false) => println!("{n} difference(s); run with --apply to repair"),
            (n, true) => println!("repaired {n} difference(s)"),
        }
        Ok(())
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = db::run_migrations(&mut db::connect_one(&settings.database_url)?)?;
    println!("applied {applied} migration(s)");
    Ok(())
}
