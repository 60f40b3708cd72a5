//! Before a yearly membership renews, the member gets a notice of the amount, the date and how
//! to cancel (once per renewal), as many days ahead as `MEMBERDRIVE_RENEWAL_NOTICE_DAYS` says.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::schema::{members, memberships};
use crate::domain::{BillingInterval, MembershipStatus};
use crate::email;
use crate::email::templates::Notice;
use crate::i18n::Lang;
use crate::jobs;

/// Queues the reminders that are due at `now`; returns how many were new. Each is keyed on
/// the membership and the renewal date, so running this hourly sends each one once.
pub fn queue_due(
    conn: &mut DbConnection,
    settings: &Settings,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let due: Vec<(i32, NaiveDateTime, i64, String, String, String)> = memberships::table
        .inner_join(members::table)
        .filter(memberships::billing_interval.eq(BillingInterval::Year))
        .filter(memberships::status.eq_any(MembershipStatus::all(MembershipStatus::renews)))
        .filter(memberships::cancel_at_period_end.eq(false))
        .filter(memberships::current_period_end.gt(now))
        .filter(memberships::current_period_end.le(now + settings.members.renewal_ahead))
        .select((
            memberships::id,
            memberships::current_period_end.assume_not_null(),
            memberships::amount,
            memberships::currency,
            members::email,
            members::locale,
        ))
        .load(conn)?;
    // Each hour finds the coming renewals again: render only the reminders not queued yet.
    let keys: Vec<String> = due
        .iter()
        .map(|(id, renews, ..)| format!("renewal_reminder:{id}:{}", renews.date()))
        .collect();
    let known = jobs::existing(conn, &keys)?;
    let account_url = settings.public_url("/account");
    let mut queued = 0;
    for ((_, renews, amount, currency, to, locale), key) in due.into_iter().zip(keys) {
        if known.contains(&key) {
            continue;
        }
        let lang = Lang::from_code(&locale);
        let date = renews.date().to_string();
        let notice =
            Notice::renewal_reminder(lang, &lang.money(amount, &currency), &date, &account_url);
        let email = email::render(conn, &notice, &to)?;
        if email::queue(conn, &key, &email)? {
            queued += 1;
        }
    }
    Ok(queued)
}
