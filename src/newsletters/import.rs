//! `memberdrive import-subscribers FILE.csv --newsletter SLUG`: readers who subscribed in
//! another tool (a newsletter service, a paper form at an event) and gave their consent there.
//!
//! They arrive confirmed and get no email for it. The whole file is checked first; one bad
//! row and nothing is imported, every bad row reported as `line N: reason`. An address that
//! unsubscribed here stays unsubscribed: an import never overrides a reader's own choice, and
//! an address we already know keeps its language (a name is filled in if we had none).
//! Importing the same file twice changes nothing the second time.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Newsletter;
use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::schema::{newsletter_subscriptions, subscribers};
use crate::db::{self, DbConnection, on_backend};
use crate::domain::{EmailAddress, OptIn};
use crate::i18n::Lang;
use crate::web::spreadsheet::{self, BYTES_TEMPLATE, Record, bar, parse_time};

/// The columns of the file, in any order and any case; only `email` is required.
pub const COLUMNS: [&str; 5] = ["email", "name", "language", "source", "subscribed_at"];
const EMAIL: usize = 0;
const NAME: usize = 1;
const LANGUAGE: usize = 2;
const SOURCE: usize = 3;
const SUBSCRIBED_AT: usize = 4;

/// Longest name or source kept (a name field of another tool, not an essay).
const MAX_TEXT: usize = 200;

/// `import-subscribers --help`: the file format.
pub const FORMAT_HELP: &str = "\
The file is CSV with a header row naming its columns, in any order and any case:

  email          required; one row per reader (compared lower-cased)
  name           their name
  language       en or uk (default: the newsletter's language); the language of the
                 newsletter's emails to them
  source         where they subscribed, e.g. mailchimp or print form (kept with the
                 subscription)
  subscribed_at  when they gave their consent: RFC 3339 (2024-03-01T09:30:00Z) or
                 YYYY-MM-DD (UTC); default: now

Only import readers who agreed to receive this newsletter: they are confirmed at once and
get no confirmation email. An address that unsubscribed here stays unsubscribed, and one we
already know keeps its language. If any row is bad, nothing is imported and each bad row is
printed as `line N: reason`. Importing the same file again changes nothing.";

/// Rows per multi-row statement (five bind parameters a row, far under both databases'
/// limits).
const CHUNK: usize = 1000;

/// A row that passed every check.
#[derive(Debug)]
struct Row {
    email: EmailAddress,
    name: Option<String>,
    lang: Option<Lang>,
    source: Option<String>,
    subscribed_at: Option<NaiveDateTime>,
}

/// What an import did, for its summary line and its audit entry.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Subscribed now (new to this newsletter).
    pub subscribed: usize,
    /// Were waiting for their confirmation here; confirmed by the import.
    pub confirmed: usize,
    /// Already subscribed: unchanged.
    pub unchanged: usize,
    /// Unsubscribed here: left unsubscribed.
    pub kept_unsubscribed: usize,
}

/// Runs `import-subscribers`.
pub fn run(settings: &Settings, path: &Path, newsletter: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut conn = db::connect_one(&settings.database_url)?;
    db::run_migrations(&mut conn)?;
    let now = db::now();

    let checking = bar(bytes.len() as u64, "checking", BYTES_TEMPLATE);
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    let table = spreadsheet::read(&bytes, &COLUMNS, EMAIL, &checking, |record| {
        check(record, now, &mut first_seen)
    });
    checking.finish_and_clear();
    if !table.rejected.is_empty() {
        table.report();
        if table.bad_header {
            bail!(
                "the header row of {} is not valid; nothing was imported",
                path.display()
            );
        }
        bail!(
            "{} of {} rows rejected; nothing was imported",
            table.rejected.len(),
            table.records
        );
    }

    let file = path.display().to_string();
    let outcome = db::write_transaction(&mut conn, |conn| -> anyhow::Result<Outcome> {
        let newsletter = super::open(conn, newsletter).context("nothing was imported")?;
        let outcome = import(conn, &newsletter, &table.rows, now)?;
        let details = serde_json::json!({
            "file": file,
            "rows": table.rows.len(),
            "outcome": outcome,
        });
        audit::record(
            conn,
            &Actor::Cli,
            "import_subscribers",
            "newsletter",
            &newsletter.slug,
            &details,
        )?;
        Ok(outcome)
    })?;
    println!(
        "{file}: {} rows; {} subscribed, {} confirmed (they were waiting for their \
         confirmation), {} already subscribed, {} left unsubscribed (they unsubscribed here)",
        table.records,
        outcome.subscribed,
        outcome.confirmed,
        outcome.unchanged,
        outcome.kept_unsubscribed
    );
    Ok(())
}

/// The checks of one record that need no database.
fn check(
    record: &Record<'_>,
    now: NaiveDateTime,
    first_seen: &mut HashMap<String, u64>,
) -> Result<Row, Vec<String>> {
    let mut reasons = Vec::new();
    let r = &mut reasons;
    let email = record.check(EMAIL, r, |raw| {
        EmailAddress::parse(raw).ok_or_else(|| "not an email address".into())
    });
    let lang = record.check(LANGUAGE, r, |raw| {
        Lang::parse(raw).ok_or_else(|| "expected en or uk".into())
    });
    let subscribed_at = record.check(SUBSCRIBED_AT, r, |raw| {
        parse_time(raw).and_then(|t| {
            if t > now {
                Err("a time in the future".into())
            } else {
                Ok(t)
            }
        })
    });
    let text = |raw: &str| {
        if raw.chars().count() > MAX_TEXT {
            Err(format!("at most {MAX_TEXT} characters"))
        } else if raw.chars().any(char::is_control) {
            Err("control characters".into())
        } else {
            Ok(raw.to_owned())
        }
    };
    let name = record.check(NAME, r, text);
    let source = record.check(SOURCE, r, text);
    if record.cell(EMAIL).is_none() {
        reasons.push("email is missing".to_owned());
    }
    if let Some(email) = &email {
        match first_seen.get(email.as_str()) {
            Some(first) => reasons.push(format!("duplicate email {email} (first on line {first})")),
            None => {
                first_seen.insert(email.as_str().to_owned(), record.line);
            }
        }
    }
    match email {
        Some(email) if reasons.is_empty() => Ok(Row {
            email,
            name,
            lang,
            source,
            subscribed_at,
        }),
        _ => Err(reasons),
    }
}

/// Writes the rows, a chunk at a time, and says what changed.
fn import(
    conn: &mut DbConnection,
    newsletter: &Newsletter,
    rows: &[Row],
    now: NaiveDateTime,
) -> QueryResult<Outcome> {
    let mut outcome = Outcome::default();
    let default_lang = Lang::from_code(&newsletter.language);
    for chunk in rows.chunks(CHUNK) {
        // New addresses become subscribers; known ones keep their language.
        let values: Vec<_> = chunk
            .iter()
            .map(|row| {
                (
                    subscribers::email.eq(row.email.as_str()),
                    subscribers::locale.eq(row.lang.unwrap_or(default_lang).code()),
                    subscribers::name.eq(row.name.as_deref()),
                    subscribers::created_at.eq(row.subscribed_at.unwrap_or(now)),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(subscribers::table)
            .values(&values)
            .on_conflict_do_nothing()
            .execute(c))?;
        let emails: Vec<&str> = chunk.iter().map(|row| row.email.as_str()).collect();
        let ids: HashMap<String, (i32, Option<String>)> = subscribers::table
            .filter(subscribers::email.eq_any(&emails))
            .select((subscribers::email, subscribers::id, subscribers::name))
            .load::<(String, i32, Option<String>)>(conn)?
            .into_iter()
            .map(|(email, id, name)| (email, (id, name)))
            .collect();
        for row in chunk.iter().filter(|row| row.name.is_some()) {
            let (id, stored) = &ids[row.email.as_str()];
            if stored.is_none() {
                diesel::update(subscribers::table.find(id))
                    .set(subscribers::name.eq(row.name.as_deref()))
                    .execute(conn)?;
            }
        }
        let subscriber_ids: Vec<i32> = ids.values().map(|(id, _)| *id).collect();
        let before: HashMap<i32, OptIn> = newsletter_subscriptions::table
            .filter(newsletter_subscriptions::newsletter_id.eq(newsletter.id))
            .filter(newsletter_subscriptions::subscriber_id.eq_any(&subscriber_ids))
            .select((
                newsletter_subscriptions::subscriber_id,
                newsletter_subscriptions::status,
            ))
            .load::<(i32, OptIn)>(conn)?
            .into_iter()
            .collect();
        let mut new = Vec::new();
        for row in chunk {
            let id = ids[row.email.as_str()].0;
            let consented = row.subscribed_at.unwrap_or(now);
            match before.get(&id) {
                None => {
                    outcome.subscribed += 1;
                    new.push((
                        newsletter_subscriptions::subscriber_id.eq(id),
                        newsletter_subscriptions::newsletter_id.eq(newsletter.id),
                        newsletter_subscriptions::status.eq(OptIn::Confirmed),
                        newsletter_subscriptions::confirmed_at.eq(Some(consented)),
                        newsletter_subscriptions::source.eq(row.source.as_deref()),
                        newsletter_subscriptions::created_at.eq(consented),
                        newsletter_subscriptions::updated_at.eq(now),
                    ));
                }
                Some(OptIn::Pending) => {
                    outcome.confirmed += 1;
                    diesel::update(
                        newsletter_subscriptions::table
                            .filter(newsletter_subscriptions::newsletter_id.eq(newsletter.id))
                            .filter(newsletter_subscriptions::subscriber_id.eq(id))
                            .filter(newsletter_subscriptions::status.eq(OptIn::Pending)),
                    )
                    .set((
                        newsletter_subscriptions::status.eq(OptIn::Confirmed),
                        newsletter_subscriptions::confirmed_at.eq(Some(consented)),
                        newsletter_subscriptions::source.eq(row.source.as_deref()),
                        newsletter_subscriptions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                }
                Some(OptIn::Confirmed) => outcome.unchanged += 1,
                Some(OptIn::Unsubscribed) => outcome.kept_unsubscribed += 1,
            }
        }
        // A sign-up of the same address committed since `before` was read keeps its row.
        on_backend!(conn, |c| diesel::insert_into(
            newsletter_subscriptions::table
        )
        .values(&new)
        .on_conflict_do_nothing()
        .execute(c))?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use indicatif::ProgressBar;

    use super::*;

    fn read(file: &str) -> spreadsheet::Table<Row> {
        let now = parse_time("2026-12-01T00:00:00Z").unwrap();
        let mut seen = HashMap::new();
        spreadsheet::read(
            file.as_bytes(),
            &COLUMNS,
            EMAIL,
            &ProgressBar::hidden(),
            |r| check(r, now, &mut seen),
        )
    }

    #[test]
    fn every_column_is_checked_and_reported_by_line() {
        let table = read(
            "Email,Language,subscribed_at,name,source\n\
             ana@example.com,uk-UA,2024-03-01,Ana,mailchimp\n\
             bad,xx,yesterday,,\n\
             ANA@example.com,,2030-01-01,,\n\
             ,,,Nobody,\n",
        );
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].lang, Some(Lang::Uk));
        assert_eq!(table.rows[0].source.as_deref(), Some("mailchimp"));
        let rejected: Vec<(u64, String)> = table
            .rejected
            .iter()
            .map(|r| (r.line, r.reasons.join("; ")))
            .collect();
        assert_eq!(
            rejected,
            [
                (
                    3,
                    "invalid email \"bad\" (not an email address); invalid language \"xx\" \
                     (expected en or uk); invalid subscribed_at \"yesterday\" (expected RFC \
                     3339, e.g. 2024-03-01T09:30:00Z, or YYYY-MM-DD)"
                        .to_owned()
                ),
                (
                    4,
                    "invalid subscribed_at \"2030-01-01\" (a time in the future); duplicate \
                     email ana@example.com (first on line 2)"
                        .to_owned()
                ),
                (5, "email is missing".to_owned()),
            ]
        );
    }

    #[test]
    fn the_help_names_every_column() {
        for column in COLUMNS {
            assert!(FORMAT_HELP.contains(column), "{column}");
        }
    }
}
