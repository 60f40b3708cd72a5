//! The one rule for what a campaign's progress is, used by the widget, the dashboard and
//! reports alike.
//!
//! Every change to memberships or payments calls [`refresh`] in its own transaction, which
//! recomputes the count from the source rows and stores it on the campaign. Recomputing (an
//! indexed count per write, never per page view) rather than adding deltas means the stored
//! number cannot drift from a recount, whatever order events arrive in.
//!
//! Recounts of one campaign take turns ([`lock`]), and a transaction that changes a count
//! takes its turn before any other lock: one order for every transaction, so two of them can
//! wait for each other only one way round.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable};

use super::{Campaign, ledger, stretch};
use crate::db::DbConnection;
use crate::db::schema::{campaigns, gifts, members, memberships, payments};
use crate::domain::{MembershipStatus, Metric};

/// Counts the campaign's progress from source rows at time `now`: memberships, payments and
/// gifts, and the [`ledger`] entries dated up to then.
pub fn count_from_sources(
    conn: &mut DbConnection,
    campaign: &Campaign,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let counted = match campaign.metric() {
        Metric::Members => count_people(conn, campaign, now, false),
        Metric::Supporters => count_people(conn, campaign, now, true),
        Metric::Amount => net_amount(conn, campaign),
    }?;
    Ok(counted.saturating_add(ledger::total(conn, campaign.id, now)?))
}

/// Distinct people with a membership in good standing, plus one-time donors where the
/// campaign counts them (`donors_in_window` for the supporters metric, or recent donors
/// for `donation_member_days`).
fn count_people(
    conn: &mut DbConnection,
    campaign: &Campaign,
    now: NaiveDateTime,
    donors_in_window: bool,
) -> QueryResult<i64> {
    // A payment that still holds: paid, not fully refunded, no dispute lost.
    let payment_holds = payments::status
        .eq("succeeded")
        .and(payments::amount_refunded.lt(payments::amount))
        .and(
            payments::dispute_status
                .is_null()
                .or(payments::dispute_status.ne("lost")),
        );

    let in_standing = memberships::campaign_id
        .eq(campaign.id)
        .and(memberships::member_id.eq(members::id))
        .and(memberships::status.eq_any(MembershipStatus::all(MembershipStatus::in_good_standing)))
        // Cancelled at period end: counted until that period ends.
        .and(not(memberships::cancel_at_period_end).or(memberships::current_period_end.gt(now)))
        // Paused: not counted until payments resume.
        .and(
            memberships::paused_until
                .is_null()
                .or(memberships::paused_until.le(now)),
        )
        // A membership whose every payment was refunded or lost a dispute does not count.
        .and(
            not(exists(payments::table.filter(
                payments::membership_id.eq(memberships::id.nullable()),
            )))
            .or(exists(
                payments::table
                    .filter(payments::membership_id.eq(memberships::id.nullable()))
                    .filter(payment_holds),
            )),
        );
    let is_member = exists(memberships::table.filter(in_standing));

    // Donors count within the campaign's window (supporters), or for their days (members).
    let (since, until) = if donors_in_window {
        (campaign.starts_at, campaign.ends_at)
    } else if campaign.donation_member_days > 0 {
        (
            Some(now - Duration::days(campaign.donation_member_days.into())),
            None,
        )
    } else {
        return members::table.filter(is_member).count().get_result(conn);
    };
    // An open end is a bound far beyond any payment (PostgreSQL has no NaiveDateTime::MAX).
    let far = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time");
    let is_donor = exists(
        payments::table
            .filter(payments::campaign_id.eq(campaign.id))
            .filter(payments::member_id.eq(members::id))
            .filter(payments::kind.eq("donation"))
            .filter(payments::paid_at.ge(since.unwrap_or(far)))
            .filter(payments::paid_at.le(until.unwrap_or(far + Duration::days(365 * 200))))
            .filter(payment_holds),
    );
    members::table
        .filter(is_member.or(is_donor))
        .count()
        .get_result(conn)
}

/// Money received in the campaign's currency within its window, net of refunds and lost
/// disputes.
fn net_amount(conn: &mut DbConnection, campaign: &Campaign) -> QueryResult<i64> {
    let mut query = payments::table
        .filter(payments::campaign_id.eq(campaign.id))
        .filter(payments::currency.eq(&campaign.currency))
        .filter(payments::status.eq("succeeded"))
        .filter(
            payments::dispute_status
                .is_null()
                .or(payments::dispute_status.ne("lost")),
        )
        .into_boxed();
    if let Some(start) = campaign.starts_at {
        query = query.filter(payments::paid_at.ge(start));
    }
    if let Some(end) = campaign.ends_at {
        query = query.filter(payments::paid_at.le(end));
    }
    // SUM(BIGINT) is NUMERIC on PostgreSQL; the cast gives both backends the same type.
    let total: Option<i64> = query
        .select(sql::<Nullable<BigInt>>(
            "CAST(SUM(payments.amount - payments.amount_refunded) AS BIGINT)",
        ))
        .get_result(conn)?;
    // Gifts bought, net of refunds, in the same window.
    let mut gifts_paid = gifts::table
        .filter(gifts::campaign_id.eq(campaign.id))
        .filter(gifts::currency.eq(&campaign.currency))
        .into_boxed();
    if let Some(start) = campaign.starts_at {
        gifts_paid = gifts_paid.filter(gifts::paid_at.ge(start));
    }
    if let Some(end) = campaign.ends_at {
        gifts_paid = gifts_paid.filter(gifts::paid_at.le(end));
    }
    let gifts_total: Option<i64> = gifts_paid
        .select(sql::<Nullable<BigInt>>(
            "CAST(SUM(gifts.amount - gifts.amount_refunded) AS BIGINT)",
        ))
        .get_result(conn)?;
    Ok(total.unwrap_or(0) + gifts_total.unwrap_or(0))
}

/// Recomputes and stores a campaign's count inside the caller's transaction; bumps the
/// version when it changed, so every instance's widget picks it up. Returns the new count.
/// Takes the campaign's [`lock`] if the transaction has not yet.
pub fn refresh(conn: &mut DbConnection, campaign_id: i32, now: NaiveDateTime) -> QueryResult<i64> {
    lock(conn, campaign_id)?;
    let campaign: Campaign = campaigns::table
        .find(campaign_id)
        .select(Campaign::as_select())
        .first(conn)?;
    let count = count_from_sources(conn, &campaign, now)?;
    stretch::advance(conn, &campaign, count.max(0), now)?;
    if count != campaign.progress_count {
        diesel::update(campaigns::table.find(campaign_id))
            .set((
                campaigns::progress_count.eq(count),
                campaigns::progress_version.eq(campaigns::progress_version + 1),
                campaigns::progress_updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(count)
}

/// Recounts every campaign (time moves counts too: a cancelled period ends, a donor's days
/// run out), taking their locks in id order. Returns how many counts changed.
pub fn refresh_all(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let rows: Vec<(i32, i64)> = campaigns::table
        .select((campaigns::id, campaigns::progress_count))
        .order(campaigns::id)
        .load(conn)?;
    let mut changed = 0;
    for (id, before) in rows {
        lock(conn, id)?;
        end_lapsed(conn, id, now)?;
        if refresh(conn, id, now)? != before {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Ends the memberships of campaign `campaign_id` that nothing else will end: those without a
/// Stripe subscription (a gift's, an imported one's) whose period, cancelled at its end, is
/// over. They stopped counting at that end already; this makes their status say so.
fn end_lapsed(conn: &mut DbConnection, campaign_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        memberships::table
            .filter(memberships::campaign_id.eq(campaign_id))
            .filter(memberships::stripe_subscription_id.is_null())
            .filter(memberships::cancel_at_period_end)
            .filter(memberships::current_period_end.le(now))
            .filter(
                memberships::status
                    .eq_any(MembershipStatus::all(MembershipStatus::in_good_standing)),
            ),
    )
    .set((
        memberships::status.eq(MembershipStatus::Canceled),
        memberships::ended_at.eq(memberships::current_period_end),
        memberships::updated_at.eq(now),
    ))
    .execute(conn)
}

/// The next moment a count will move by itself: the earliest end of a period that was
/// cancelled at period end and is still counted, or of a pause.
pub fn next_expiry(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let standing =
        memberships::status.eq_any(MembershipStatus::all(MembershipStatus::in_good_standing));
    let period_end = memberships::table
        .filter(standing.clone())
        .filter(memberships::cancel_at_period_end)
        .filter(memberships::current_period_end.gt(now))
        .select(diesel::dsl::min(memberships::current_period_end))
        .first::<Option<NaiveDateTime>>(conn)?;
    let pause_end = memberships::table
        .filter(standing)
        .filter(memberships::paused_until.gt(now))
        .select(diesel::dsl::min(memberships::paused_until))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(period_end.into_iter().chain(pause_end).min())
}

/// Marks a campaign as changed for the widget (after staff edit its title, goal, offset, …).
pub fn touch(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<()> {
    diesel::update(campaigns::table.find(campaign_id))
        .set(campaigns::progress_version.eq(campaigns::progress_version + 1))
        .execute(conn)
        .map(drop)
}

/// Makes the recounts of one campaign take turns until the transaction ends: on PostgreSQL,
/// two transactions that each recount under READ COMMITTED could both miss the other's
/// insert; with the lock the second waits, then counts the first's rows too. SQLite writers
/// are already serialised by [`crate::db::Db::write`].
///
/// A transaction that changes a campaign's count takes this first, before it writes the rows
/// it will count (several campaigns': in id order). The lock used to be the campaign row
/// itself (`SELECT … FOR UPDATE`), taken by the recount after those writes; but each insert
/// into memberships or payments holds a KEY SHARE lock on its campaign row through the
/// foreign key, so two such transactions waited for each other's. An advisory lock names the
/// campaign without locking its row: the recount writes the row only once it has counted,
/// and that write, which changes no key, waits for no foreign key. Taking it again in the
/// same transaction is harmless.
pub fn lock(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) => diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<Integer, _>(COUNT_LOCK)
            .bind::<Integer, _>(campaign_id)
            .execute(pg)
            .map(drop),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Takes every campaign's [`lock`], in id order, for a transaction that may change any count.
pub fn lock_all(conn: &mut DbConnection) -> QueryResult<()> {
    let ids: Vec<i32> = campaigns::table
        .select(campaigns::id)
        .order(campaigns::id)
        .load(conn)?;
    ids.into_iter().try_for_each(|id| lock(conn, id))
}

/// The first key of the advisory locks of [`lock`] (the campaign id is the second). It
/// names what they are for: another use of advisory locks takes another first key, so the
/// two never wait for each other.
const COUNT_LOCK: i32 = 0x6d64_0001;

/// Percent of the goal reached, one decimal, always within 0..=100.
pub fn percent(count: i64, goal: i64) -> f64 {
    if goal <= 0 || count <= 0 {
        return 0.0;
    }
    let raw = (count as f64 / goal as f64) * 100.0;
    (raw.min(100.0) * 10.0).floor() / 10.0
}

#[cfg(test)]
mod tests {
    use super::percent;
    use proptest::prelude::*;

    #[test]
    fn percent_examples() {
        assert_eq!(percent(12_345, 20_000), 61.7);
        assert_eq!(percent(0, 20_000), 0.0);
        assert_eq!(percent(19_999, 20_000), 99.9);
        assert_eq!(percent(25_000, 20_000), 100.0);
    }

    proptest! {
        #[test]
        fn percent_is_within_bounds_and_never_nan(count in any::<i64>(), goal in any::<i64>()) {
            let p = percent(count, goal);
            prop_assert!(!p.is_nan());
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
