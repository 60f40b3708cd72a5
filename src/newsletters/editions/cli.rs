//! `memberdrive edition send NEWSLETTER FILE.md --subject TEXT [--preheader TEXT] [--at TIME]`.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use clap::Subcommand;

use super::{Draft, schedule};
use crate::audit::Actor;
use crate::config::Settings;
use crate::db;

/// `memberdrive edition …`
#[derive(Debug, Subcommand)]
pub enum EditionCommand {
    /// Send a newsletter edition written in Markdown to the newsletter's confirmed
    /// subscribers, now or at a time. A running `memberdrive serve` sends it; each subscriber
    /// gets it once.
    Send {
        /// The newsletter (its slug).
        newsletter: String,
        /// The edition in Markdown (UTF-8).
        file: PathBuf,
        /// The subject line.
        #[arg(long)]
        subject: String,
        /// The preview text mail clients show after the subject, at most 150 characters
        /// (default: none).
        #[arg(long, value_name = "TEXT", default_value = "")]
        preheader: String,
        /// When to send, RFC 3339 with its offset, e.g. 2026-12-08T07:00:00+02:00 (default:
        /// now). Those confirmed by then receive it.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

/// Runs `edition …`.
pub fn run(settings: &Settings, command: EditionCommand) -> anyhow::Result<()> {
    let EditionCommand::Send {
        newsletter,
        file,
        subject,
        preheader,
        at,
    } = command;
    let at = at.as_deref().map(parse_at).transpose()?;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let body = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
    let now = db::now();
    let draft = Draft::new(&subject, &preheader, body, at, now)?;
    let mut conn = db::connect_one(&settings.database_url)?;
    db::run_migrations(&mut conn)?;
    let (id, slug, recipients) = db::write_transaction(&mut conn, |conn| -> anyhow::Result<_> {
        let newsletter = crate::newsletters::open(conn, &newsletter)?;
        let (id, recipients) = schedule(conn, &newsletter, &draft, &Actor::Cli, now)?;
        Ok((id, newsletter.slug, recipients))
    })?;
    let when = match draft.send_at {
        Some(at) => format!(
            "scheduled for {}",
            at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        None => "sending now".to_owned(),
    };
    println!(
        "edition {id} of {slug}: {when}; {recipients} confirmed subscriber(s) today (memberdrive serve sends it)"
    );
    Ok(())
}

fn parse_at(raw: &str) -> anyhow::Result<NaiveDateTime> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| {
            anyhow::anyhow!(
                "--at {raw:?}: expected RFC 3339 with its offset, e.g. 2026-12-08T07:00:00+02:00"
            )
        })
}
