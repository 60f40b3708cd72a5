//! The job queue and outbox: rows in `jobs`, written in the same transaction as the change
//! that causes them, each with a unique business key so that one cause queues at most once.
//!
//! Workers claim rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
//! instances share the work; SQLite's single writer serialises claims). A lease is short and
//! names its holder; the holder renews it while it works ([`lease`]), so a slow job keeps its
//! row, and a worker that dies stops renewing: within one lease another worker takes the row
//! over. Failures back off exponentially with jitter and are dead-lettered after
//! [`MAX_ATTEMPTS`] (or a handler's own [`worker::Handler::MAX_ATTEMPTS`]).

pub mod lease;
pub mod worker;

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::Rng;

use crate::db::schema::jobs;
use crate::db::{DbConnection, on_backend};

/// After this many failed attempts a job is dead-lettered, unless its handler says otherwise:
/// the retries span about 8 minutes ([`backoff`]).
pub const MAX_ATTEMPTS: i32 = 10;

/// A claimed job.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    /// Row id.
    pub id: i32,
    /// What to do: `email`, …
    pub kind: String,
    /// The business key (`confirm:12:1`, `receipt:in_…`).
    pub dedupe_key: String,
    /// JSON for the handler.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// Until when this worker holds the job, as claimed (renewals move it on).
    pub locked_until: Option<NaiveDateTime>,
    /// The worker that holds the job ([`lease::Lease::owner`]).
    pub lease_owner: Option<String>,
}

/// Queues a job unless one with the same key exists; returns whether it was queued.
/// `recipient` is the address an email job goes to.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    key: &str,
    payload: &str,
    recipient: Option<&str>,
) -> QueryResult<bool> {
    schedule(conn, kind, key, payload, recipient, crate::db::now())
}

/// Queues a job like [`enqueue`] that no worker takes before `run_at`.
pub fn schedule(
    conn: &mut DbConnection,
    kind: &str,
    key: &str,
    payload: &str,
    recipient: Option<&str>,
    run_at: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        jobs::kind.eq(kind),
        jobs::dedupe_key.eq(key),
        jobs::payload.eq(payload),
        jobs::recipient.eq(recipient),
        jobs::run_at.eq(run_at),
    );
    let query = diesel::insert_into(jobs::table)
        .values(row)
        .on_conflict_do_nothing();
    let inserted = on_backend!(conn, |c| query.execute(c)?);
    Ok(inserted == 1)
}

/// Queues each `(key, payload, recipient)` of `rows` as [`schedule`] would (at `run_at`), in
/// one statement per thousand; returns the keys that were queued (not queued before).
pub fn enqueue_all(
    conn: &mut DbConnection,
    kind: &str,
    rows: &[(String, String, Option<String>)],
    run_at: NaiveDateTime,
) -> QueryResult<HashSet<String>> {
    let mut queued = HashSet::with_capacity(rows.len());
    // Five bound parameters a row: far under both databases' limits.
    for chunk in rows.chunks(1_000) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(key, payload, recipient)| {
                (
                    jobs::kind.eq(kind),
                    jobs::dedupe_key.eq(key),
                    jobs::payload.eq(payload),
                    jobs::recipient.eq(recipient),
                    jobs::run_at.eq(run_at),
                )
            })
            .collect();
        let query = diesel::insert_into(jobs::table)
            .values(values)
            .on_conflict_do_nothing()
            .returning(jobs::dedupe_key);
        let keys: Vec<String> = on_backend!(conn, |c| query.get_results(c)?);
        queued.extend(keys);
    }
    Ok(queued)
}

/// Claims up to `limit` runnable jobs of `kind` for `owner`, for `lease`. `mine` are the jobs
/// `owner` still holds (running, or their outcome not recorded yet): a lease of one of them
/// that ran out while its renewal was late is not a job to start a second time.
pub fn claim(
    conn: &mut DbConnection,
    kind: &str,
    limit: i64,
    owner: &str,
    lease: Duration,
    mine: &[i32],
    now: NaiveDateTime,
) -> QueryResult<Vec<Job>> {
    let runnable = jobs::table
        .filter(jobs::kind.eq(kind))
        .filter(jobs::status.eq("queued"))
        .filter(jobs::run_at.le(now))
        .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(now)))
        .filter(jobs::id.ne_all(mine))
        .order(jobs::run_at)
        .limit(limit)
        .select(jobs::id);
    let ids: Vec<i32> = match conn {
        DbConnection::Pg(c) => runnable.for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => runnable.load(c)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(jobs::table.filter(jobs::id.eq_any(&ids)))
        .set((
            jobs::locked_until.eq(lease_end(now, lease)),
            jobs::lease_owner.eq(owner),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    jobs::table
        .filter(jobs::id.eq_any(&ids))
        .order(jobs::run_at)
        .select(Job::as_select())
        .load(conn)
}

/// When a lease taken or renewed at `now` runs out.
pub fn lease_end(now: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(lease).expect("lease fits")
}

/// Renews, until `until`, the leases of those of `ids` that `owner` still holds; returns
/// those. A lease that ran out is still renewed if no other worker has claimed the job since:
/// a claim is the only way a job changes hands.
pub fn renew(
    conn: &mut DbConnection,
    owner: &str,
    ids: &[i32],
    until: NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    let held = jobs::table
        .filter(jobs::id.eq_any(ids))
        .filter(jobs::lease_owner.eq(owner));
    diesel::update(held.clone())
        .set(jobs::locked_until.eq(until))
        .execute(conn)?;
    held.select(jobs::id).load(conn)
}

type Held = diesel::dsl::Filter<
    diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, i32>>,
    diesel::dsl::Eq<jobs::lease_owner, Option<String>>,
>;

/// The job's own row, only while this worker still holds its lease (no other has claimed it).
fn held(job: &Job) -> Held {
    jobs::table
        .filter(jobs::id.eq(job.id))
        .filter(jobs::lease_owner.eq(job.lease_owner.clone()))
}

/// Marks a job done, replacing its payload by `keep` (e.g. without the body that held a
/// token). Returns false when the lease was lost.
pub fn complete(
    conn: &mut DbConnection,
    job: &Job,
    keep: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(job))
        .set((
            jobs::status.eq("done"),
            jobs::payload.eq(keep),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::lease_owner.eq(None::<String>),
            jobs::last_error.eq(None::<String>),
            jobs::finished_at.eq(now),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// What happened to a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later.
    Temporary,
    /// Will never succeed (e.g. SMTP 5xx): dead-letter now.
    Permanent,
    /// Not attempted: the worker is stopping, or it could not confirm that it still holds the
    /// lease. The job goes back to the queue as it was ([`release`]).
    NotRun,
}

/// Records a failure: retry later with backoff, or dead-letter (a permanent failure, or the
/// `max_attempts`th). Returns the new status, or `None` when the lease was lost.
pub fn fail(
    conn: &mut DbConnection,
    job: &Job,
    failure: Failure,
    error: &str,
    max_attempts: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<&'static str>> {
    let status = if failure == Failure::Permanent || job.attempts >= max_attempts {
        "dead"
    } else {
        "queued"
    };
    let run_at = now + chrono::Duration::from_std(backoff(job.attempts)).expect("backoff fits");
    let updated = diesel::update(held(job))
        .set((
            jobs::status.eq(status),
            jobs::run_at.eq(run_at),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::lease_owner.eq(None::<String>),
            jobs::last_error.eq(error.chars().take(500).collect::<String>()),
            jobs::updated_at.eq(now),
            jobs::finished_at.eq((status == "dead").then_some(now)),
        ))
        .execute(conn)?;
    Ok((updated == 1).then_some(status))
}

/// Gives back a job that was claimed but not attempted, as if it had not been claimed: due
/// at once for any worker, its attempt not counted. Returns false when the lease was lost.
pub fn release(conn: &mut DbConnection, job: &Job, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(held(job))
        .set((
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::lease_owner.eq(None::<String>),
            jobs::attempts.eq(jobs::attempts - 1),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Withdraws the queued jobs keyed `key` or `key:…` (a resend's key) that no worker holds at
/// `now`: what they would have done is no longer wanted. Returns how many.
pub fn withdraw(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        jobs::table
            .filter(
                jobs::dedupe_key
                    .eq(key)
                    .or(jobs::dedupe_key.like(format!("{key}:%"))),
            )
            .filter(jobs::status.eq("queued"))
            .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(now))),
    )
    .execute(conn)
}

/// Puts a dead-lettered job back in the queue (staff's retry button).
pub fn retry_dead(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq("dead")),
    )
    .set((
        jobs::status.eq("queued"),
        jobs::attempts.eq(0),
        jobs::run_at.eq(now),
        jobs::finished_at.eq(None::<NaiveDateTime>),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// 1 s, 2 s, 4 s, … up to 30 min, each ±25% so that retries from an outage spread out.
pub fn backoff(attempts: i32) -> Duration {
    let base = 2f64.powi(attempts.clamp(1, 12) - 1).min(1800.0);
    let jitter = rand::rng().random_range(0.75..1.25);
    Duration::from_secs_f64(base * jitter)
}

/// Where a job stands, as the metrics and the dashboard tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for its first attempt.
    Queued,
    /// Failed before and waiting for another attempt.
    Retrying,
    /// Done (for an email: sent).
    Done,
    /// Dead-lettered: no worker will try it again unless staff retry it.
    Dead,
}

impl State {
    /// The state of a row with this `status` and `attempts`.
    pub fn of(status: &str, attempts: i32) -> State {
        match (status, attempts > 0) {
            ("queued", false) => State::Queued,
            ("queued", true) => State::Retrying,
            ("done", _) => State::Done,
            _ => State::Dead,
        }
    }
}

/// Counts per state of the jobs of `kind`: (queued, retrying, done, dead). Queued and dead
/// jobs are counted through `jobs_kind_status_run_idx`, done ones read from `job_tallies`
/// (see [`fold_tallies`]): the cost follows the queue, not the history.
pub fn counts(conn: &mut DbConnection, kind: &str) -> QueryResult<(i64, i64, i64, i64)> {
    let rows: Vec<(String, i32, i64)> = jobs::table
        .filter(jobs::kind.eq(kind))
        .filter(jobs::status.eq_any(["queued", "dead"]))
        .group_by((jobs::status, jobs::attempts))
        .select((jobs::status, jobs::attempts, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out = (0, 0, 0, 0);
    for (status, attempts, n) in rows {
        match State::of(&status, attempts) {
            State::Queued => out.0 += n,
            State::Retrying => out.1 += n,
            State::Done => out.2 += n,
            State::Dead => out.3 += n,
        }
    }
    // SUM(BIGINT) is NUMERIC on PostgreSQL; the cast gives both backends the same type.
    out.2 = diesel::select(
        sql::<BigInt>("COALESCE((SELECT CAST(SUM(done) AS BIGINT) FROM job_tallies WHERE kind = ")
            .bind::<Text, _>(kind)
            .sql("), 0)"),
    )
    .get_result(conn)?;
    Ok(out)
}

/// Which of `keys` are queued already (in any state), looked up through the unique index.
pub fn existing(conn: &mut DbConnection, keys: &[String]) -> QueryResult<HashSet<String>> {
    let mut found = HashSet::new();
    // Well below SQLite's limit of bound parameters per statement.
    for chunk in keys.chunks(1_000) {
        found.extend(
            jobs::table
                .filter(jobs::dedupe_key.eq_any(chunk))
                .select(jobs::dedupe_key)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

/// Sums the rows of `job_tallies` into one per kind. The table's triggers add a row for each
/// job that becomes done or stops being done, so that no two transactions wait on one
/// counter; this keeps what [`counts`] adds up to a few rows. Run it in a transaction.
pub fn fold_tallies(conn: &mut DbConnection) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Tally {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = BigInt)]
        done: i64,
    }
    match conn {
        // One statement: a concurrent fold (another instance) waits for the rows this one
        // deletes, then skips them, and sums only the rows it alone saw.
        DbConnection::Pg(c) => diesel::sql_query(
            "WITH gone AS (DELETE FROM job_tallies RETURNING kind, done) \
             INSERT INTO job_tallies (kind, done) \
             SELECT kind, CAST(SUM(done) AS BIGINT) FROM gone GROUP BY kind \
             HAVING SUM(done) <> 0",
        )
        .execute(c)
        .map(drop),
        // SQLite has one writer at a time: nothing is added between the two statements.
        DbConnection::Sqlite(c) => {
            let gone: Vec<Tally> =
                diesel::sql_query("DELETE FROM job_tallies RETURNING kind, done").load(c)?;
            let mut sums = std::collections::BTreeMap::<String, i64>::new();
            for row in gone {
                *sums.entry(row.kind).or_default() += row.done;
            }
            for (kind, done) in sums.into_iter().filter(|(_, done)| *done != 0) {
                diesel::sql_query("INSERT INTO job_tallies (kind, done) VALUES (?, ?)")
                    .bind::<Text, _>(kind)
                    .bind::<BigInt, _>(done)
                    .execute(c)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        for attempts in 1..=20 {
            let nominal = 2f64.powi(attempts.min(12) - 1).min(1800.0);
            let d = backoff(attempts).as_secs_f64();
            assert!(
                d >= nominal * 0.75 && d <= nominal * 1.25,
                "attempt {attempts}: {d}"
            );
        }
        assert!(backoff(100) <= Duration::from_secs(2250));
    }
}
