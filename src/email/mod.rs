//! Email: messages are rendered from askama templates (one folder per email under
//! `templates/emails/`, with `subject.txt`, `body.txt` and `body.html`), queued in the outbox
//! in the caller's transaction, and delivered by [`worker`].

pub mod outbox;
pub mod smtp;
pub mod staff;
pub mod templates;
pub mod transport;
pub mod worker;

use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::jobs;
use crate::tokens::Unstored;
use templates::EmailTemplate;

/// The outbox job kind for emails.
pub const JOB_KIND: &str = "email";

/// A rendered email waiting in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutgoingEmail {
    /// Recipient address.
    pub to: String,
    /// The name it comes from (the outlet's sender name); the address is `MAIL_FROM`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    #[serde(default)]
    pub text: String,
    /// HTML part.
    #[serde(default)]
    pub html: String,
    /// One-click unsubscribe URL (RFC 8058), for newsletter mail.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
    /// For an edition: whose subscription it goes by. It is not sent if they have left the
    /// newsletter by the time it would be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newsletter: Option<Recipient>,
}

/// A subscriber of a newsletter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Recipient {
    /// The subscriber's row id.
    pub subscriber: i32,
    /// The newsletter's row id.
    pub newsletter: i32,
}

impl OutgoingEmail {
    /// What the outbox keeps after delivery: who and what, not the body (which may hold a
    /// single-use link).
    pub fn receipt(&self) -> String {
        serde_json::json!({"to": self.to, "subject": self.subject}).to_string()
    }
}

/// Renders `template` to `to` in the outlet's brand as saved, read in the caller's
/// transaction (so an email queued with a change wears the brand of that moment).
pub fn render(
    conn: &mut DbConnection,
    template: &impl EmailTemplate,
    to: &str,
) -> QueryResult<OutgoingEmail> {
    let brand = crate::branding::load(conn)?;
    // Templates are compiled in and their inputs are plain strings: rendering cannot fail
    // short of a bug, which the template tests catch.
    Ok(template
        .render_email(to, &brand)
        .expect("email template renders"))
}

/// Queues `email` under `key` in the caller's transaction; a key already queued is a no-op.
/// Returns whether it was queued.
pub fn queue(conn: &mut DbConnection, key: &str, email: &OutgoingEmail) -> QueryResult<bool> {
    queue_at(conn, key, email, crate::db::now())
}

/// Queues `email` like [`queue`], to be sent at `at` (not before).
pub fn queue_at(
    conn: &mut DbConnection,
    key: &str,
    email: &OutgoingEmail,
    at: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let payload = serde_json::to_string(email).expect("email serialises");
    jobs::schedule(conn, JOB_KIND, key, &payload, Some(&email.to), at)
}

/// Queues each `(key, email, tokens)` of `batch` as [`queue_with_tokens`] would, in two
/// statements for the whole batch (the emails, then the tokens of those that were queued)
/// instead of one per row: an edition's walk queues hundreds at a time. Returns how many
/// were queued.
pub fn queue_all_with_tokens(
    conn: &mut DbConnection,
    batch: Vec<(String, OutgoingEmail, Vec<Unstored>)>,
) -> QueryResult<usize> {
    let rows: Vec<(String, String, Option<String>)> = batch
        .iter()
        .map(|(key, email, _)| {
            let payload = serde_json::to_string(email).expect("email serialises");
            (key.clone(), payload, Some(email.to.clone()))
        })
        .collect();
    let queued = jobs::enqueue_all(conn, JOB_KIND, &rows, crate::db::now())?;
    let tokens = batch
        .into_iter()
        .filter(|(key, ..)| queued.contains(key))
        .flat_map(|(_, _, tokens)| tokens)
        .collect();
    crate::tokens::store_all(conn, tokens)?;
    Ok(queued.len())
}

/// Queues `email` like [`queue`] and stores the tokens its links carry only if it was queued:
/// a key already queued writes nothing at all.
pub fn queue_with_tokens(
    conn: &mut DbConnection,
    key: &str,
    email: &OutgoingEmail,
    tokens: impl IntoIterator<Item = Unstored>,
) -> QueryResult<bool> {
    let queued = queue(conn, key, email)?;
    if queued {
        for token in tokens {
            token.store(conn)?;
        }
    }
    Ok(queued)
}
