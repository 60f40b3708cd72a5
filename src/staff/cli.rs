//! `memberdrive staff …`: staff accounts from the command line.

use std::io::BufRead;

use anyhow::{Context, bail};
use chrono::NaiveDateTime;
use clap::Subcommand;

use super::manage::{self, Change};
use super::password;
use super::{CreateError, Role, StaffUser};
use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::{self, DbConnection};
use crate::domain::EmailAddress;
use crate::email::templates::StaffLink;
use crate::i18n::Lang;

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
    /// List staff accounts: email, role, state and last sign-in.
    List,
    /// Give an account another role.
    SetRole {
        /// The account's email address.
        email: String,
        /// The new role.
        #[arg(value_enum)]
        role: Role,
    },
    /// Disable an account: it is signed out everywhere and cannot sign in.
    Disable {
        /// The account's email address.
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's email address.
        email: String,
    },
    /// Remove an account: it is signed out everywhere and its links stop working (the audit
    /// log keeps its address).
    Remove {
        /// The account's email address.
        email: String,
    },
    /// Email the account a single-use link (valid for an hour) to choose a new password; the
    /// running service sends it.
    ResetPassword {
        /// The account's email address.
        email: String,
        /// The language of the email and of the page it links to (`en` or `uk`).
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
}

fn parse_lang(code: &str) -> Result<Lang, String> {
    Lang::parse(code).ok_or_else(|| format!("{code:?} is not a language we speak (en, uk)"))
}

/// Runs a `staff` subcommand.
pub fn run(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::Add {
            email,
            role,
            password_stdin,
        } => add(settings, &email, role, password_stdin),
        StaffCommand::List => list(settings),
        StaffCommand::SetRole { email, role } => change(settings, &email, Change::Role(role)),
        StaffCommand::Disable { email } => change(settings, &email, Change::Disable),
        StaffCommand::Enable { email } => change(settings, &email, Change::Enable),
        StaffCommand::Remove { email } => change(settings, &email, Change::Remove),
        StaffCommand::ResetPassword { email, lang } => reset_password(settings, &email, lang),
    }
}

fn list(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    let accounts = super::list(&mut conn)?;
    if accounts.is_empty() {
        println!("no staff accounts (create one with `memberdrive staff add EMAIL --role admin`)");
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| a.email.len())
        .max()
        .unwrap_or(0)
        .max(5);
    println!(
        "{:<width$}  {:<6}  {:<8}  LAST SIGN-IN (UTC)",
        "EMAIL", "ROLE", "STATE"
    );
    let minute = |at: NaiveDateTime| at.format("%Y-%m-%d %H:%M").to_string();
    for account in accounts {
        let state = if account.disabled_at.is_some() {
            "disabled"
        } else {
            "active"
        };
        let last = account
            .last_login_at
            .map_or_else(|| "never".to_owned(), minute);
        let role = Role::from_stored(&account.role);
        println!("{:<width$}  {role:<6}  {state:<8}  {last}", account.email);
    }
    Ok(())
}

/// The account with this address, or a one-line reason why there is none.
fn account(conn: &mut DbConnection, raw_email: &str) -> anyhow::Result<StaffUser> {
    let Some(email) = EmailAddress::parse(raw_email) else {
        bail!("{raw_email:?} is not a valid email address");
    };
    match super::find_by_email(conn, email.as_str())? {
        Some(account) => Ok(account),
        None => bail!("there is no staff account for {email}"),
    }
}

fn change(settings: &Settings, raw_email: &str, change: Change) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    let said = db::write_transaction(&mut conn, |c| -> anyhow::Result<String> {
        let account = account(c, raw_email)?;
        let email = &account.email;
        let applied = manage::apply(c, &account, change, &Actor::Cli, db::now())?;
        Ok(match (change, applied) {
            (Change::Role(role), Err(_)) => format!("{email} is already {role}"),
            (Change::Role(role), Ok(())) => format!("{email} is now {role}"),
            (Change::Disable, Err(_)) => format!("{email} is already disabled"),
            (Change::Disable, Ok(())) => {
                format!("disabled {email}: signed out everywhere, cannot sign in")
            }
            (Change::Enable, Err(_)) => format!("{email} is already enabled"),
            (Change::Enable, Ok(())) => format!("enabled {email}: they can sign in again"),
            // Only a staff member is refused a removal (of themselves, or the last admin).
            (Change::Remove, _) => {
                format!(
                    "removed {email}: signed out everywhere, links void; the audit log keeps the address"
                )
            }
        })
    })?;
    println!("{said}");
    Ok(())
}

fn reset_password(settings: &Settings, raw_email: &str, lang: Lang) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    let email = db::write_transaction(&mut conn, |c| -> anyhow::Result<String> {
        let account = account(c, raw_email)?;
        if !account.enabled() {
            bail!(
                "{} is disabled: enable it first (memberdrive staff enable {})",
                account.email,
                account.email
            );
        }
        let (link, now) = (StaffLink::Reset, db::now());
        manage::send_link(c, settings, &account, link, lang, &Actor::Cli, now)?;
        Ok(account.email)
    })?;
    println!(
        "queued a password-reset link for {email} (it works once, within an hour); \
         the running service sends it"
    );
    Ok(())
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
    if super::find_by_email(&mut conn, email.as_str())?.is_some() {
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
        let id = super::create(c, &email, &hash, role, db::now())?;
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
