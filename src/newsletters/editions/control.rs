//! Pausing, resuming and cancelling an edition that has not gone out in full.
//!
//! Pausing holds the edition: its walk stops after the batch in hand ([`super::queue_batch`]
//! ends a paused edition's walk), and its emails not yet claimed by a worker are held (due at
//! [`HELD`], which no worker reaches); an email a worker is sending at that moment still goes,
//! so at most the emails in flight leave after the pause. Resuming releases the held emails
//! and, if the walk had not finished, starts another walk where the last one stopped (the
//! cursor), so nobody gets the edition twice. Cancelling withdraws the emails and the walk
//! not started; it cannot be undone.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Emails, JOB_KIND, emails};
use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::{editions, jobs};
use crate::domain::EditionStatus;

/// What staff do to an edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Hold it.
    Pause,
    /// Go on where it was held.
    Resume,
    /// Stop it for good.
    Cancel,
}

impl Control {
    /// From a form's `action`.
    pub fn parse(text: &str) -> Option<Control> {
        match text {
            "pause" => Some(Control::Pause),
            "resume" => Some(Control::Resume),
            "cancel" => Some(Control::Cancel),
            _ => None,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Control::Pause => "edition.pause",
            Control::Resume => "edition.resume",
            Control::Cancel => "edition.cancel",
        }
    }
}

/// When a held email is due: never, until it is released.
pub fn held_until() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .expect("a date")
        .and_hms_opt(0, 0, 0)
        .expect("a time")
}

type Unclaimed = diesel::dsl::Or<
    diesel::dsl::IsNull<jobs::locked_until>,
    diesel::dsl::Lt<jobs::locked_until, NaiveDateTime>,
>;
type Waiting = diesel::dsl::Filter<
    diesel::dsl::Filter<Emails, diesel::dsl::Eq<jobs::status, &'static str>>,
    Unclaimed,
>;

/// The edition's emails not sent yet that no worker holds now.
fn waiting_emails(id: i32, now: NaiveDateTime) -> Waiting {
    emails(id)
        .filter(jobs::status.eq("queued"))
        .filter(jobs::locked_until.is_null().or(jobs::locked_until.lt(now)))
}

/// Applies `control` to edition `id` as `actor`, audited, in the caller's transaction: the
/// edition's status after it, or `Err` with its status when the control does not apply
/// (`None`: no such edition).
pub fn apply(
    conn: &mut DbConnection,
    id: i32,
    control: Control,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<Result<EditionStatus, Option<EditionStatus>>> {
    let row: Option<(
        EditionStatus,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        NaiveDateTime,
    )> = editions::table
        .find(id)
        .select((
            editions::status,
            editions::started_at,
            editions::finished_at,
            editions::send_at,
        ))
        .first(conn)
        .optional()?;
    let Some((status, started, finished, send_at)) = row else {
        return Ok(Err(None));
    };
    // A sent edition (every email queued) may still be paused or cancelled while emails of
    // it wait to go out.
    let going_out = status != EditionStatus::Sent
        || waiting_emails(id, now).count().get_result::<i64>(conn)? > 0;
    let next = match (control, status) {
        (
            Control::Pause,
            EditionStatus::Scheduled | EditionStatus::Sending | EditionStatus::Sent,
        ) if going_out => EditionStatus::Paused,
        (Control::Resume, EditionStatus::Paused) => match (started, finished) {
            (_, Some(_)) => EditionStatus::Sent,
            (Some(_), None) => EditionStatus::Sending,
            (None, None) => EditionStatus::Scheduled,
        },
        (Control::Cancel, status) if status != EditionStatus::Cancelled && going_out => {
            EditionStatus::Cancelled
        }
        _ => return Ok(Err(Some(status))),
    };
    let emails = match control {
        Control::Pause => diesel::update(waiting_emails(id, now))
            .set(jobs::run_at.eq(held_until()))
            .execute(conn)?,
        Control::Resume => {
            let released = diesel::update(waiting_emails(id, now))
                .set(jobs::run_at.eq(now))
                .execute(conn)?;
            if finished.is_none() {
                // The walk that was stopped is done; this one goes on from the cursor.
                let walk = format!("edition:{id}:resumed:{}", now.and_utc().timestamp_micros());
                let payload = serde_json::json!({ "edition": id }).to_string();
                crate::jobs::schedule(conn, JOB_KIND, &walk, &payload, None, send_at.max(now))?;
            }
            released
        }
        Control::Cancel => {
            let withdrawn = diesel::delete(waiting_emails(id, now)).execute(conn)?;
            crate::jobs::withdraw(conn, &format!("edition:{id}"), now)?;
            withdrawn
        }
    };
    let finished = match next {
        EditionStatus::Cancelled => finished.or(Some(now)),
        _ => finished,
    };
    diesel::update(editions::table.find(id))
        .set((
            editions::status.eq(next),
            editions::finished_at.eq(finished),
        ))
        .execute(conn)?;
    let details =
        serde_json::json!({ "from": status.as_str(), "to": next.as_str(), "emails": emails });
    audit::record(
        conn,
        actor,
        control.action(),
        "edition",
        &id.to_string(),
        &details,
    )?;
    Ok(Ok(next))
}
