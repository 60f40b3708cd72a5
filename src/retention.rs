//! How long what is finished is kept, and the `purge` job that deletes the rest.
//!
//! Sent emails, finished jobs, used and expired tokens, ended sessions and applied Stripe
//! events are kept for a while (for staff, for support, and as the record that a once-only
//! email went out), then deleted, so that neither the tables nor the work over them grow
//! with every reader who ever signed up or signed in.
//!
//! Every instance looks every [`EVERY`] whether anything is due and, if so, queues that
//! period's purge under the same key, so it is queued once; the instance whose worker claims
//! it runs it. It deletes in batches of [`BATCH`] rows, each in its own transaction, so that
//! it never holds the database for long, and stops after [`BUDGET`]: a backlog (the first
//! run on a large database) is worked off over the next runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use tokio::sync::{Notify, watch};

use crate::auth::session;
use crate::db::schema::{jobs, later_reminders, payment_failures, sessions, stripe_events, tokens};
use crate::db::{self, Db, DbConnection, DbError};
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};
use crate::jobs::{self as queue, Job};

/// The job kind.
pub const JOB_KIND: &str = "purge";
/// How often each instance looks whether a purge is due (it runs once over all instances).
pub const EVERY: Duration = Duration::from_secs(5 * 60);
/// Done jobs, sent emails among them, are kept this long after they finished; but see
/// [`PURGEABLE`].
pub const DONE_JOBS: chrono::Duration = chrono::Duration::days(30);
/// Dead-lettered jobs wait this long for staff to retry them.
pub const DEAD_JOBS: chrono::Duration = chrono::Duration::days(90);
/// Tokens are kept this long after they were used or expired (support can still tell a
/// reader why a link no longer works).
pub const SPENT_TOKENS: chrono::Duration = chrono::Duration::days(7);
/// The raw payload of a Stripe event is kept this long after it was applied (Stripe itself
/// resends an event for three days at most).
pub const STRIPE_EVENTS: chrono::Duration = chrono::Duration::days(90);

/// Rows one statement deletes at most.
pub const BATCH: i64 = 1_000;
/// How long one run goes on deleting; it always deletes a batch of each kind of row.
const BUDGET: Duration = Duration::from_secs(60);

/// The done jobs the purge may delete: all but the emails whose row is the only record that
/// they went out while their cause can come back. Every paid invoice asks for the welcome
/// (`welcome:{member}:{campaign}`), and reconciliation may apply an invoice again months
/// later (`receipt:…`, `payment_failed:…`), and a renewal notice may go out more than 30
/// days ahead (`renewal_reminder:…`): deleting those rows would send the email again.
/// They grow with payments, not with readers. Written as `jobs_purgeable_idx` states it, so
/// that both databases use that index (SQLite matches a partial index's condition as
/// written, and never a bound parameter).
pub const PURGEABLE: &str = "status = 'done' AND dedupe_key NOT LIKE 'welcome:%' \
    AND dedupe_key NOT LIKE 'receipt:%' AND dedupe_key NOT LIKE 'payment_failed:%' \
    AND dedupe_key NOT LIKE 'renewal_reminder:%'";

/// What a target does with the rows due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only counts them (is a purge due?).
    Look,
    /// Deletes them.
    Delete,
}

/// One kind of row the purge deletes: its name (in logs and the job's record), and a
/// function that finds up to `limit` of the rows due at `now` and, in [`Mode::Delete`],
/// deletes them; it returns how many.
pub type Target = (
    &'static str,
    fn(&mut DbConnection, NaiveDateTime, i64, Mode) -> QueryResult<usize>,
);

/// Everything the purge deletes, in order.
pub const TARGETS: [Target; 8] = [
    ("done_jobs", done_jobs),
    ("dead_jobs", dead_jobs),
    ("used_tokens", used_tokens),
    ("expired_tokens", expired_tokens),
    ("sessions", ended_sessions),
    ("stripe_events", applied_stripe_events),
    ("later_reminders", later_reminders),
    ("payment_failures", payment_failures),
];

/// Whether any row is due at `now`: a row looked up through an index per target. Every
/// target reads its rows oldest first, in the order of its (partial) index: with many rows
/// due, PostgreSQL would otherwise pick a sequential scan that stops at the first match it
/// meets, fast while rows are due and a scan of the whole table once none are. Only then
/// is a purge queued, so that a database with nothing to purge gets no job for it.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<bool> {
    for (_, target) in TARGETS {
        if target(conn, now, 1, Mode::Look)? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Deletes the rows `ids` names with `delete`, unless only looking; returns how many.
fn act<I>(
    ids: Vec<I>,
    mode: Mode,
    delete: impl FnOnce(Vec<I>) -> QueryResult<usize>,
) -> QueryResult<usize> {
    match mode {
        Mode::Delete if !ids.is_empty() => delete(ids),
        _ => Ok(ids.len()),
    }
}

/// Done jobs (sent emails among them) that finished before [`DONE_JOBS`].
fn done_jobs(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = jobs::table
        .filter(sql::<Bool>(PURGEABLE))
        .filter(jobs::finished_at.lt(now - DONE_JOBS))
        .order(jobs::finished_at)
        .select(jobs::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(jobs::table.filter(jobs::id.eq_any(ids))).execute(c)
    })
}

/// Dead-lettered jobs older than [`DEAD_JOBS`] (through `jobs_dead_idx`, as it states its
/// condition).
fn dead_jobs(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = jobs::table
        .filter(sql::<Bool>("status = 'dead'"))
        .filter(jobs::finished_at.lt(now - DEAD_JOBS))
        .order(jobs::finished_at)
        .select(jobs::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(jobs::table.filter(jobs::id.eq_any(ids))).execute(c)
    })
}

/// Tokens used before [`SPENT_TOKENS`].
fn used_tokens(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = tokens::table
        .filter(tokens::used_at.lt(now - SPENT_TOKENS))
        .order(tokens::used_at)
        .select(tokens::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(tokens::table.filter(tokens::id.eq_any(ids))).execute(c)
    })
}

/// Tokens that expired before [`SPENT_TOKENS`]. Tokens without an end (unsubscribe and
/// preference links, in every email a reader may keep) are never purged.
fn expired_tokens(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = tokens::table
        .filter(tokens::expires_at.lt(now - SPENT_TOKENS))
        .order(tokens::expires_at)
        .select(tokens::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(tokens::table.filter(tokens::id.eq_any(ids))).execute(c)
    })
}

/// Sessions that ended ([`session::ended`]): nothing can use them, so they go at once.
fn ended_sessions(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let mut ids: Vec<i32> = Vec::new();
    for query in session::ended(now) {
        let left = limit - ids.len() as i64;
        if left <= 0 {
            break;
        }
        ids.extend(query.limit(left).load::<i32>(c)?);
    }
    // A session both idle and past its end is found twice.
    ids.sort_unstable();
    ids.dedup();
    act(ids, mode, |ids| {
        diesel::delete(sessions::table.filter(sessions::id.eq_any(ids))).execute(c)
    })
}

/// Stripe events applied before [`STRIPE_EVENTS`]; one never applied is kept for staff.
fn applied_stripe_events(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<String> = stripe_events::table
        .filter(stripe_events::processed_at.lt(now - STRIPE_EVENTS))
        .order(stripe_events::processed_at)
        .select(stripe_events::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(stripe_events::table.filter(stripe_events::id.eq_any(ids))).execute(c)
    })
}

/// "Remind me later" requests made [`crate::remind::KEPT`] ago: their one reminder went out
/// (or was never confirmed) long before.
fn later_reminders(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = later_reminders::table
        .filter(later_reminders::created_at.lt(now - crate::remind::KEPT))
        .order(later_reminders::created_at)
        .select(later_reminders::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(later_reminders::table.filter(later_reminders::id.eq_any(ids))).execute(c)
    })
}

/// Failed payments [`crate::payments::failures::KEPT`] old: long past any block.
fn payment_failures(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    mode: Mode,
) -> QueryResult<usize> {
    let ids: Vec<i32> = payment_failures::table
        .filter(payment_failures::failed_at.lt(now - crate::payments::failures::KEPT))
        .order(payment_failures::failed_at)
        .select(payment_failures::id)
        .limit(limit)
        .load(c)?;
    act(ids, mode, |ids| {
        diesel::delete(payment_failures::table.filter(payment_failures::id.eq_any(ids))).execute(c)
    })
}

/// Runs the purge.
pub struct Purge {
    /// What it purges.
    pub db: Db,
}

impl Handler for Purge {
    const KIND: &'static str = JOB_KIND;
    // Well beyond the budget, so that no other instance takes a running purge over.
    const LEASE: Duration = Duration::from_secs(BUDGET.as_secs() * 5);
    const CONCURRENCY: usize = 1;

    async fn run(&self, _job: &Job, _claim: Claim<'_>) -> Result<String, JobError> {
        let started = Instant::now();
        let now = db::now();
        let mut purged = serde_json::Map::new();
        for (name, purge) in TARGETS {
            let mut deleted = 0;
            loop {
                let batch = self
                    .db
                    .write(move |c| -> Result<usize, DbError> {
                        Ok(purge(c, now, BATCH, Mode::Delete)?)
                    })
                    .await?;
                deleted += batch;
                if (batch as i64) < BATCH || started.elapsed() > BUDGET {
                    break;
                }
            }
            purged.insert(name.to_owned(), deleted.into());
        }
        let record = serde_json::Value::Object(purged).to_string();
        tracing::info!(
            purged = %record,
            duration_ms = started.elapsed().as_millis() as u64,
            "purge done"
        );
        Ok(record)
    }
}

/// Queues the purge of each period of [`EVERY`] in which something is [`due`], until `stop`
/// turns true, and wakes the worker when it was queued here. Every instance does; they share
/// the period's key, so the purge is queued once.
pub async fn schedule(db: Db, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let every = EVERY.as_secs();
    loop {
        let period = chrono::Utc::now().timestamp().unsigned_abs() / every;
        let key = format!("{JOB_KIND}:{period}");
        let queued = match db.read(|c| due(c, db::now())).await {
            Ok(true) => {
                db.write(move |c| -> Result<bool, DbError> {
                    Ok(queue::enqueue(c, JOB_KIND, &key, "{}", None)?)
                })
                .await
            }
            other => other,
        };
        match queued {
            Ok(true) => wake.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot queue the purge"),
        }
        let next = (period + 1) * every;
        let wait = next.saturating_sub(chrono::Utc::now().timestamp().unsigned_abs());
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
