//! Stretch goals: once a campaign's count reaches its goal, the campaign moves on to its next
//! stretch goal ("20,000 reached — next: 25,000"), and every goal reached is kept with the
//! moment it was reached. It happens in [`super::progress::refresh`], in the transaction
//! that changed the count; a count that falls back later does not take a goal back.

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::Campaign;
use crate::db::schema::{campaign_goals_reached as reached, campaigns};
use crate::db::{DbConnection, on_backend};

/// A goal reached, as the widget JSON shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GoalReached {
    /// The goal.
    pub goal: i64,
    /// When the count reached it (RFC 3339, UTC).
    pub reached_at: String,
}

/// Records the goals `shown` (the count the widget shows) has reached, and moves the campaign
/// on to the next stretch goal while it is reached too. Called with the campaign's turn
/// taken ([`super::progress::lock`]).
pub fn advance(
    conn: &mut DbConnection,
    campaign: &Campaign,
    shown: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (mut goal, mut ahead) = (campaign.goal, campaign.stretch_goals());
    if shown < goal {
        return Ok(());
    }
    let known: Vec<i64> = reached::table
        .filter(reached::campaign_id.eq(campaign.id))
        .select(reached::goal)
        .load(conn)?;
    loop {
        if !known.contains(&goal) {
            let insert = diesel::insert_into(reached::table)
                .values((
                    reached::campaign_id.eq(campaign.id),
                    reached::goal.eq(goal),
                    reached::reached_at.eq(now),
                ))
                .on_conflict_do_nothing();
            on_backend!(conn, |c| insert.execute(c)?);
        }
        // Reached: on to the next stretch goal, if there is one and it is not reached too.
        let Some(&next) = ahead.first() else { break };
        goal = next;
        ahead.remove(0);
        if shown < goal {
            break;
        }
    }
    if goal != campaign.goal {
        diesel::update(campaigns::table.find(campaign.id))
            .set((
                campaigns::goal.eq(goal),
                campaigns::stretch_goals.eq(json!(ahead).to_string()),
                campaigns::progress_version.eq(campaigns::progress_version + 1),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The goals each of `ids` reached, in order.
pub fn of_each(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<(i32, GoalReached)>> {
    let rows: Vec<(i32, i64, NaiveDateTime)> = reached::table
        .filter(reached::campaign_id.eq_any(ids))
        .order((reached::campaign_id, reached::goal))
        .select((reached::campaign_id, reached::goal, reached::reached_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, goal, at)| {
            let reached_at = at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
            (id, GoalReached { goal, reached_at })
        })
        .collect())
}
