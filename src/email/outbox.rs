//! The outbox as staff see it: who each email is for, what it is about and where it stands —
//! never its body, which may hold a single-use link.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use super::JOB_KIND;
use crate::db::schema::jobs;
use crate::db::{DbConnection, PER_PAGE, Page};
use crate::jobs::{self as queue, State};

/// One email of the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The job's id.
    pub id: i32,
    /// Recipient address ("" if the payload cannot be read).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Queued, retrying, sent or dead-lettered.
    pub state: State,
    /// Attempts so far.
    pub attempts: i32,
    /// The next attempt (for a queued or retrying email).
    pub run_at: NaiveDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: NaiveDateTime,
    /// When it was sent or dead-lettered.
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct Row {
    id: i32,
    payload: String,
    status: String,
    attempts: i32,
    run_at: NaiveDateTime,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

/// The part of a payload staff may see; a queued email and the receipt of a sent one both
/// have it.
#[derive(Default, Deserialize)]
struct Envelope {
    to: String,
    subject: String,
}

impl From<Row> for OutboxEntry {
    fn from(row: Row) -> Self {
        let envelope: Envelope = serde_json::from_str(&row.payload).unwrap_or_default();
        OutboxEntry {
            id: row.id,
            to: envelope.to,
            subject: envelope.subject,
            state: State::of(&row.status, row.attempts),
            attempts: row.attempts,
            run_at: row.run_at,
            last_error: row.last_error,
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

/// A page of the emails not sent yet (queued, retrying, dead-lettered), most recently changed
/// first, and whether more follow.
pub fn unsent(conn: &mut DbConnection, page: Page) -> QueryResult<(Vec<OutboxEntry>, bool)> {
    let rows = jobs::table
        .filter(jobs::kind.eq(JOB_KIND))
        .filter(jobs::status.ne("done"))
        .order((jobs::updated_at.desc(), jobs::id.desc()))
        .offset(page.offset())
        .limit(PER_PAGE + 1)
        .select(Row::as_select())
        .load(conn)?;
    let (rows, more) = Page::and_more(rows);
    Ok((rows.into_iter().map(OutboxEntry::from).collect(), more))
}

/// Every email queued for or sent to `address`, newest first.
pub fn addressed_to(conn: &mut DbConnection, address: &str) -> QueryResult<Vec<OutboxEntry>> {
    let rows = jobs::table
        .filter(jobs::recipient.eq(address))
        .filter(jobs::kind.eq(JOB_KIND))
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(OutboxEntry::from).collect())
}

/// What a retry did.
#[derive(Debug)]
pub enum Retry {
    /// The dead letter is queued again.
    Requeued(OutboxEntry),
    /// The email is not dead-lettered: nothing changed.
    NotDead(State),
    /// There is no such email.
    Unknown,
}

/// Puts dead-lettered email `id` back in the queue, due now, with its attempts reset.
pub fn retry(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<Retry> {
    let row = jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::kind.eq(JOB_KIND))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    let Some(entry) = row.map(OutboxEntry::from) else {
        return Ok(Retry::Unknown);
    };
    if entry.state != State::Dead || !queue::retry_dead(conn, id, now)? {
        return Ok(Retry::NotDead(entry.state));
    }
    Ok(Retry::Requeued(entry))
}
