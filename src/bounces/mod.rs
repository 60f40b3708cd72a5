//! Bounces and complaints: the suppression list. An address lands on it when the SMTP server
//! refuses it for good (a 5xx answer to `RCPT TO`), or when Amazon SES, Postmark or SendGrid
//! report a hard bounce or a spam complaint (`POST /webhooks/mail/{provider}`, each
//! authenticated as its provider documents). A bounced address gets nothing more from us;
//! one that complained gets no more newsletter mail. Staff see the list and can lift an entry.

pub mod postmark;
pub mod sendgrid;
pub mod ses;
pub mod staff;
pub mod webhook;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::suppressions;
use crate::db::{DbConnection, PER_PAGE, Page, on_backend};
use crate::domain::{EmailAddress, SuppressionReason};

/// The longest detail kept (a provider's diagnostic line).
const MAX_DETAIL: usize = 500;

/// One address a provider or the SMTP server reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The address.
    pub email: EmailAddress,
    /// A hard bounce or a complaint.
    pub reason: SuppressionReason,
    /// What the provider said (a diagnostic code), shown to staff.
    pub detail: String,
}

impl Report {
    /// A report of `raw` (an address as the provider wrote it); `None` for one that is not
    /// an address.
    pub fn new(raw: &str, reason: SuppressionReason, detail: &str) -> Option<Report> {
        let detail: String = detail
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_DETAIL)
            .collect();
        Some(Report {
            email: EmailAddress::parse(raw)?,
            reason,
            detail,
        })
    }
}

/// Stores reports from `source` (`ses`, `postmark`, `sendgrid`, `smtp`): a new address is
/// added; a complaint already listed becomes a bounce when one is reported; a report repeated
/// changes nothing. Returns how many rows changed.
pub fn record(
    conn: &mut DbConnection,
    source: &str,
    reports: &[Report],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut changed = 0;
    for report in reports {
        let insert = diesel::insert_into(suppressions::table)
            .values((
                suppressions::email.eq(report.email.as_str()),
                suppressions::reason.eq(report.reason),
                suppressions::source.eq(source),
                suppressions::detail.eq(&report.detail),
                suppressions::created_at.eq(now),
            ))
            .on_conflict_do_nothing();
        let inserted = on_backend!(conn, |c| insert.execute(c)?);
        changed += inserted;
        if inserted == 0 && report.reason == SuppressionReason::Bounce {
            // Listed for a complaint: a bounce says more (nothing at all goes there now).
            changed += diesel::update(
                suppressions::table
                    .find(report.email.as_str())
                    .filter(suppressions::reason.eq(SuppressionReason::Complaint)),
            )
            .set((
                suppressions::reason.eq(report.reason),
                suppressions::source.eq(source),
                suppressions::detail.eq(&report.detail),
                suppressions::created_at.eq(now),
            ))
            .execute(conn)?;
        }
    }
    Ok(changed)
}

/// Why an email to `to` must not be sent, if it must not: a bounced address gets nothing, one
/// that complained no newsletter mail.
pub fn stops(
    conn: &mut DbConnection,
    to: &str,
    newsletter_mail: bool,
) -> QueryResult<Option<SuppressionReason>> {
    let reason: Option<SuppressionReason> = suppressions::table
        .find(to.to_lowercase())
        .select(suppressions::reason)
        .first(conn)
        .optional()?;
    Ok(reason.filter(|r| *r == SuppressionReason::Bounce || newsletter_mail))
}

/// One row of the list.
#[derive(Debug, Clone, Queryable)]
pub struct Suppression {
    /// The address.
    pub email: String,
    /// Why.
    pub reason: SuppressionReason,
    /// Who reported it.
    pub source: String,
    /// What they said.
    pub detail: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A page of the list, newest first, and whether there is a next one.
pub fn list(conn: &mut DbConnection, page: Page) -> QueryResult<(Vec<Suppression>, bool)> {
    let rows: Vec<Suppression> = suppressions::table
        .order((suppressions::created_at.desc(), suppressions::email))
        .offset(page.offset())
        .limit(PER_PAGE + 1)
        .select((
            suppressions::email,
            suppressions::reason,
            suppressions::source,
            suppressions::detail,
            suppressions::created_at,
        ))
        .load(conn)?;
    Ok(Page::and_more(rows))
}

/// Takes `email` off the list; returns the entry it removed.
pub fn lift(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Suppression>> {
    let found: Option<Suppression> = suppressions::table
        .find(email)
        .select((
            suppressions::email,
            suppressions::reason,
            suppressions::source,
            suppressions::detail,
            suppressions::created_at,
        ))
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(suppressions::table.find(email)).execute(conn)?;
    }
    Ok(found)
}
