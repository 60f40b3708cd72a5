//! The emails after a renewal could not be collected: at once, a reminder some days later,
//! and a last notice before Stripe stops retrying (the days are settings,
//! [`crate::config::MemberSettings`]). The first failed attempt of an invoice queues all three,
//! each under a key of its own (`payment_failed:{invoice}`, `…:reminder`, `…:last`), so
//! later attempts, duplicated events and reconciliation queue nothing more; paying the
//! invoice or ending the subscription withdraws what has not gone out yet.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::config::MemberSettings;
use crate::db::DbConnection;
use crate::email;
use crate::email::templates::{Dunning, Notice};
use crate::i18n::Lang;
use crate::jobs;

/// The member's address and language, the amount due, and where they update their card.
pub struct Due<'a> {
    /// The member's address.
    pub to: &'a str,
    /// The member's language.
    pub lang: Lang,
    /// The amount, formatted.
    pub amount: &'a str,
    /// The account page (its button opens Stripe's billing portal).
    pub account_url: &'a str,
}

fn key(invoice: &str) -> String {
    format!("payment_failed:{invoice}")
}

/// Queues the sequence for `invoice`, whose payment failed at `now` (nothing when an earlier
/// attempt queued it); whether it was queued now.
pub fn failed(
    conn: &mut DbConnection,
    invoice: &str,
    due: &Due,
    notices: &MemberSettings,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let steps = [
        (Dunning::Failed, key(invoice), now),
        (
            Dunning::Reminder,
            format!("{}:reminder", key(invoice)),
            now + notices.payment_reminder_after,
        ),
        (
            Dunning::LastNotice,
            format!("{}:last", key(invoice)),
            now + notices.payment_last_notice_after,
        ),
    ];
    let mut first = None;
    for (step, key, at) in steps {
        let notice = Notice::payment_failed(due.lang, step, due.amount, due.account_url);
        let email = email::render(conn, &notice, due.to)?;
        let queued = email::queue_at(conn, &key, &email, at)?;
        first.get_or_insert(queued);
    }
    Ok(first == Some(true))
}

/// `invoice` was paid, or its subscription ended: its emails not sent yet are withdrawn.
pub fn settled(conn: &mut DbConnection, invoice: &str, now: NaiveDateTime) -> QueryResult<usize> {
    jobs::withdraw(conn, &key(invoice), now)
}
