//! A person's data, by email address: erasure (GDPR article 17), `memberdrive erase-person`.
//!
//! In one write transaction, everything held about the address goes:
//! - the member row stays, so that their payments and memberships still add up in every
//!   figure, but without address, name or Stripe customer id (its address becomes
//!   `erased-ID@erased.invalid`, which no mail server accepts);
//! - their sessions and tokens, the subscriber row and its newsletter subscriptions are
//!   deleted;
//! - emails not sent yet are deleted, sent ones keep their row (a receipt's row is what stops
//!   a second receipt for the same invoice) without payload, recipient or error text;
//! - the address (and the member's name) is blanked wherever else it was written: stored
//!   Stripe events, the audit log, rate-limit keys.
//!
//! The customer at Stripe is left to Stripe: erase it there too (its dashboard, or
//! `DELETE /v1/customers/{id}`). A member whose membership is still in good standing is not
//! erased: the subscription would go on billing someone the service no longer knows; cancel
//! it first. The audit log records who erased which member and subscriber ids, and when.

use anyhow::bail;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::schema::{
    audit_log, cancellations, gifts, jobs, later_reminders, members, memberships, rate_limits,
    sessions, stripe_events, subscribers, suppressions, tokens,
};
use crate::db::{self, DbConnection, like_containing, lower};
use crate::domain::{EmailAddress, MembershipStatus};

pub mod export;
pub mod staff;

/// A job's id and status.
type JobRow = (i32, String);

/// What an erased address is replaced with in stored text.
pub const BLANKED: &str = "[erased]";

/// What an erasure found and did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Erasure {
    /// The member, now without personal data.
    pub member: Option<i32>,
    /// The subscriber, now deleted.
    pub subscriber: Option<i32>,
    /// Emails deleted before they were sent, and sent ones blanked.
    pub jobs: usize,
    /// Stored Stripe events and audit entries the address was blanked in.
    pub blanked: usize,
}

impl Erasure {
    /// Whether anything was held about the address.
    pub fn found(&self) -> bool {
        *self != Erasure::default()
    }
}

/// Why a person cannot be erased.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// A membership still bills them.
    #[error(
        "{email} has a membership in good standing ({status}): cancel it in Stripe first, \
         then erase"
    )]
    InGoodStanding {
        /// The address.
        email: String,
        /// The membership's status.
        status: String,
    },
    /// The database failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// `memberdrive erase-person EMAIL`: erases, then says what it found.
pub fn run(settings: &Settings, raw_email: &str) -> anyhow::Result<()> {
    let Some(email) = EmailAddress::parse(raw_email) else {
        bail!("{raw_email:?} is not a valid email address");
    };
    let mut conn = db::connect_one(&settings.database_url)?;
    let erasure = db::write_transaction(&mut conn, |c| erase(c, &email, &Actor::Cli, db::now()))?;
    if !erasure.found() {
        println!("nothing is held about {email}");
        return Ok(());
    }
    let what = |id: Option<i32>, kind: &str| id.map(|id| format!("{kind} {id}"));
    let people: Vec<String> = [
        what(erasure.member, "member"),
        what(erasure.subscriber, "subscriber"),
    ]
    .into_iter()
    .flatten()
    .collect();
    println!(
        "erased {email}: {}; {} email(s) deleted or blanked, the address blanked in {} stored \
         record(s). Payments stay, without personal data. Erase the customer at Stripe too.",
        if people.is_empty() {
            "no member or subscriber".to_owned()
        } else {
            people.join(", ")
        },
        erasure.jobs,
        erasure.blanked,
    );
    Ok(())
}

/// Erases everything held about `email`; call it inside a write transaction.
pub fn erase(
    conn: &mut DbConnection,
    email: &EmailAddress,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Erasure, EraseError> {
    let address = email.as_str();
    let mut erasure = Erasure::default();
    let member: Option<(i32, Option<String>)> = {
        let query = members::table
            .filter(members::email.eq(address))
            .select((members::id, members::name));
        // Webhooks for this member wait until the erasure commits (SQLite's writers take turns
        // already).
        match conn {
            DbConnection::Pg(pg) => query.for_update().first(pg),
            DbConnection::Sqlite(sqlite) => query.first(sqlite),
        }
        .optional()?
    };
    let mut names = vec![address.to_owned()];
    if let Some((id, name)) = member {
        let standing: Option<String> = memberships::table
            .filter(memberships::member_id.eq(id))
            .filter(
                memberships::status
                    .eq_any(MembershipStatus::all(MembershipStatus::in_good_standing)),
            )
            // A period cancelled at its end (a gift's too) stands only until that end.
            .filter(
                diesel::dsl::not(memberships::cancel_at_period_end)
                    .or(memberships::current_period_end.gt(now)),
            )
            .select(memberships::status)
            .first(conn)
            .optional()?;
        if let Some(status) = standing {
            return Err(EraseError::InGoodStanding {
                email: address.to_owned(),
                status,
            });
        }
        diesel::update(members::table.find(id))
            .set((
                members::email.eq(format!("erased-{id}@erased.invalid")),
                members::name.eq(None::<String>),
                members::stripe_customer_id.eq(None::<String>),
                members::yearly_statement.eq(false),
                members::updated_at.eq(now),
            ))
            .execute(conn)?;
        diesel::delete(sessions::table.filter(sessions::member_id.eq(id))).execute(conn)?;
        diesel::delete(tokens::table.filter(tokens::member_id.eq(id))).execute(conn)?;
        // Why they cancelled stays counted; what they wrote in their own words goes.
        let theirs = memberships::table
            .filter(memberships::member_id.eq(id))
            .select(memberships::id);
        erasure.blanked += diesel::update(
            cancellations::table
                .filter(cancellations::membership_id.eq_any(theirs))
                .filter(cancellations::note.ne("")),
        )
        .set(cancellations::note.eq(""))
        .execute(conn)?;
        // A name of a few letters would blank unrelated text.
        names.extend(name.filter(|n| n.trim().chars().count() >= 4));
        erasure.member = Some(id);
    }
    let subscriber: Option<i32> = subscribers::table
        .filter(subscribers::email.eq(address))
        .select(subscribers::id)
        .first(conn)
        .optional()?;
    if let Some(id) = subscriber {
        // Its subscriptions and tokens go with it (ON DELETE CASCADE).
        diesel::delete(subscribers::table.find(id)).execute(conn)?;
        erasure.subscriber = Some(id);
    }

    let pattern = like_containing(address);
    let mentioning = jobs::table
        .filter(
            lower(jobs::payload.nullable())
                .like(&pattern)
                .escape('\\')
                .or(lower(jobs::recipient).like(&pattern).escape('\\')),
        )
        .into_boxed();
    let (pending, finished): (Vec<JobRow>, Vec<JobRow>) = mentioning
        .select((jobs::id, jobs::status))
        .load::<JobRow>(conn)?
        .into_iter()
        .partition(|(_, status)| status != "done" && status != "dead");
    let ids = |rows: &[JobRow]| rows.iter().map(|(id, _)| *id).collect::<Vec<_>>();
    erasure.jobs +=
        diesel::delete(jobs::table.filter(jobs::id.eq_any(ids(&pending)))).execute(conn)?;
    erasure.jobs += diesel::update(jobs::table.filter(jobs::id.eq_any(ids(&finished))))
        .set((
            jobs::payload.eq("{}"),
            jobs::recipient.eq(None::<String>),
            jobs::last_error.eq(None::<String>),
        ))
        .execute(conn)?;

    let events: Vec<(String, String)> = stripe_events::table
        .filter(
            lower(stripe_events::payload.nullable())
                .like(&pattern)
                .escape('\\'),
        )
        .select((stripe_events::id, stripe_events::payload))
        .load(conn)?;
    for (id, payload) in events {
        diesel::update(stripe_events::table.find(id))
            .set(stripe_events::payload.eq(blank(&payload, &names)))
            .execute(conn)?;
        erasure.blanked += 1;
    }
    // An entry may name the person in its details, or be about them by address (an export).
    let entries: Vec<(i32, String, String)> = audit_log::table
        .filter(
            lower(audit_log::details.nullable())
                .like(&pattern)
                .escape('\\')
                .or(lower(audit_log::subject_id.nullable())
                    .like(&pattern)
                    .escape('\\')),
        )
        .select((audit_log::id, audit_log::details, audit_log::subject_id))
        .load(conn)?;
    for (id, details, subject) in entries {
        diesel::update(audit_log::table.find(id))
            .set((
                audit_log::details.eq(blank(&details, &names)),
                audit_log::subject_id.eq(blank(&subject, &names)),
            ))
            .execute(conn)?;
        erasure.blanked += 1;
    }
    diesel::delete(suppressions::table.find(address)).execute(conn)?;
    erasure.blanked += diesel::delete(
        later_reminders::table.filter(lower(later_reminders::email.nullable()).eq(address)),
    )
    .execute(conn)?;
    // Gifts keep their amounts (money received) but not who gave whom what message.
    let gone = "erased@erased.invalid";
    erasure.blanked +=
        diesel::update(gifts::table.filter(lower(gifts::buyer_email.nullable()).eq(address)))
            .set((gifts::buyer_email.eq(gone), gifts::message.eq("")))
            .execute(conn)?;
    erasure.blanked +=
        diesel::update(gifts::table.filter(lower(gifts::recipient_email.nullable()).eq(address)))
            .set((gifts::recipient_email.eq(gone), gifts::message.eq("")))
            .execute(conn)?;
    diesel::delete(
        rate_limits::table.filter(
            lower(rate_limits::key.nullable())
                .like(&pattern)
                .escape('\\')
                .or(rate_limits::key
                    .nullable()
                    .eq(crate::tokens::hash_of(&address.to_lowercase()))),
        ),
    )
    .execute(conn)?;

    if erasure.found() {
        let details = serde_json::json!({
            "member_id": erasure.member,
            "subscriber_id": erasure.subscriber,
            "emails": erasure.jobs,
            "blanked": erasure.blanked,
        });
        let subject = match (erasure.member, erasure.subscriber) {
            (Some(id), _) => ("member", id),
            (None, Some(id)) => ("subscriber", id),
            (None, None) => ("person", 0),
        };
        audit::record(
            conn,
            actor,
            "person.erase",
            subject.0,
            &subject.1.to_string(),
            &details,
        )?;
    }
    Ok(erasure)
}

/// `text` with every occurrence of each of `words` (ASCII case ignored) replaced by
/// [`BLANKED`]. Stored JSON stays JSON: an address or a name never holds a character JSON
/// escapes, and when a name does, its escaped form is what is stored and searched.
fn blank(text: &str, words: &[String]) -> String {
    let mut text = text.to_owned();
    for word in words {
        let escaped = serde_json::to_string(word).unwrap_or_default();
        let word = escaped.trim_matches('"');
        if word.is_empty() {
            continue;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = find_ignoring_ascii_case(rest, word) {
            out.push_str(&rest[..at]);
            out.push_str(BLANKED);
            rest = &rest[at + word.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

fn find_ignoring_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    (0..=hay.len().checked_sub(needle.len())?)
        .find(|&at| hay[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::blank;

    #[test]
    fn every_occurrence_is_blanked_whatever_its_case() {
        let words = [
            "reader@news.example".to_owned(),
            "Olena Petrenko".to_owned(),
        ];
        assert_eq!(
            blank(
                r#"{"email":"Reader@News.example","name":"olena petrenko","to":"reader@news.example"}"#,
                &words
            ),
            r#"{"email":"[erased]","name":"[erased]","to":"[erased]"}"#
        );
        assert_eq!(blank("nothing here", &words), "nothing here");
        assert_eq!(blank("", &words), "");
    }
}
