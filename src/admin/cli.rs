//! `memberdrive staff …`: staff accounts from the command line.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::password;
use super::staff::{self, CreateError, Role};
use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db;
use crate::domain::EmailAddress;

/// The `staff` subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account (prompts for the password twice, without echo).
    Add {
        /// The staff member's email address (they sign in with it).
        email: String,
        /// What the account may do: admins change things, viewers only look.
        #[arg(long, value_enum, default_value_t = Role::Viewer)]
        role: Role,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a `staff` subcommand.
pub fn run(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::Add {
            email,
            role,
            password_stdin,
        } => add(settings, &email, role, password_stdin),
    }
}

fn add(
    settings: &Settings,
    raw_email: &str,
    role: Role,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let Some(email) = EmailAddress::parse(raw_email) else {
        bail!("{raw_email:?} is not a valid email address");
    };
    let mut conn = db::connect_one(&settings.database_url)?;
    // A fresh install creates its first account before the first `serve`.
    db::run_migrations(&mut conn)?;
    // Before asking for a password that could not be used.
    if staff::find_by_email(&mut conn, email.as_str())?.is_some() {
        bail!("a staff account for {email} already exists");
    }
    let password = if password_stdin {
        read_stdin()?
    } else {
        prompt_twice(&email)?
    };
    password::check_new(&password)?;
    let hash = password::hash(&password)?;
    let id = db::write_transaction(&mut conn, |c| -> Result<i32, CreateError> {
        let id = staff::create(c, &email, &hash, role, db::now())?;
        let details = serde_json::json!({ "email": email.as_str(), "role": role.as_str() });
        audit::record(
            c,
            &Actor::Cli,
            "staff.create",
            "staff_user",
            &id.to_string(),
            &details,
        )?;
        Ok(id)
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    println!("created {role} account {email} (id {id})");
    Ok(())
}

fn read_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password.to_owned())
}

fn prompt_twice(email: &EmailAddress) -> anyhow::Result<String> {
    let no_terminal = "cannot read the password from the terminal (use --password-stdin)";
    let first =
        rpassword::prompt_password(format!("Password for {email}: ")).context(no_terminal)?;
    // Say so now rather than after the second prompt.
    password::check_new(&first)?;
    let second = rpassword::prompt_password("Repeat the password: ").context(no_terminal)?;
    if first != second {
        bail!("the passwords do not match");
    }
    Ok(first)
}
