//! Newsletter editions: written in Markdown, sent now or at a time to the newsletter's
//! confirmed subscribers, each of whom gets it exactly once.
//!
//! An edition is a row and one `edition` job that runs at its time. The job walks the
//! newsletter's subscribers who were confirmed when sending started, in id order, a batch per
//! transaction: each batch queues one email per subscriber under the key
//! `edition:{edition}:{subscriber}` and moves the edition's `cursor` past them, in the same
//! commit. The whole list is never in memory; a crash or another instance resumes after the
//! last committed batch, and a batch run twice queues nothing twice. A reader who unsubscribes
//! while an edition goes out gets nothing after that moment: the walk skips them, and an
//! email already queued is dropped right before it would be sent
//! ([`crate::email::worker::EmailHandler`]).

pub mod cli;
pub mod control;
pub mod local_time;
pub(crate) mod markdown;
pub(crate) mod progress;
pub mod send;
pub mod staff;
pub mod test_send;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Newsletter, token_link};
use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::schema::{self, editions, newsletter_subscriptions, subscribers};
use crate::db::{DbConnection, MultiBackend, on_backend};
use crate::domain::{EditionStatus, EventType, OptIn};
use crate::email::templates::{EditionEmail, EmailTemplate};
use crate::email::{self, Recipient};
use crate::i18n::Lang;
use crate::jobs;
use crate::tokens::{Owner, Purpose, Unstored};
use crate::webhooks;

/// The job kind that sends an edition.
pub const JOB_KIND: &str = "edition";
/// Subscribers queued per transaction: big enough that a list of 100,000 takes a few hundred
/// commits, small enough that a batch holds SQLite's write lock only briefly.
pub const BATCH: i64 = 200;
/// The longest subject line.
pub const MAX_SUBJECT: usize = 200;
/// The longest preheader: mail clients show 40 to 140 characters of it after the subject.
pub const MAX_PREHEADER: usize = 150;
/// The largest Markdown body.
pub const MAX_BODY: usize = 512 * 1024;

/// An edition row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = editions)]
pub struct Edition {
    /// Row id.
    pub id: i32,
    /// Its newsletter.
    pub newsletter_id: i32,
    /// Subject line.
    pub subject: String,
    /// Markdown.
    pub body: String,
    /// The preview text after the subject in an inbox ("" for none).
    pub preheader: String,
    /// Where it stands.
    pub status: EditionStatus,
    /// When sending starts.
    pub send_at: NaiveDateTime,
    /// When sending started: who was confirmed then receives it.
    pub started_at: Option<NaiveDateTime>,
    /// The last subscriber id queued.
    pub cursor: i32,
    /// Emails queued so far.
    pub queued: i32,
}

/// What a new edition is, checked.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Subject line.
    pub subject: String,
    /// The preview text after the subject in an inbox ("" for none).
    pub preheader: String,
    /// Markdown.
    pub body: String,
    /// When to send; `None` is now.
    pub send_at: Option<NaiveDateTime>,
}

/// Why a draft cannot be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Empty, too long, or with control characters.
    #[error("the subject must be 1 to {MAX_SUBJECT} characters on one line")]
    Subject,
    /// Too long, or with control characters.
    #[error("the preheader must be at most {MAX_PREHEADER} characters on one line")]
    Preheader,
    /// Empty or too large.
    #[error("the body must be non-empty Markdown of at most {} KiB", MAX_BODY / 1024)]
    Body,
    /// A time that has passed.
    #[error("the time to send is in the past; leave it out to send now")]
    Past,
}

impl Draft {
    /// Checks a subject, a preheader (empty: none), a Markdown body and a time to send
    /// (`None`: now) at `now`.
    pub fn new(
        subject: &str,
        preheader: &str,
        body: String,
        send_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Result<Draft, Refused> {
        let subject = subject.trim();
        if subject.is_empty() || !one_line(subject, MAX_SUBJECT) {
            return Err(Refused::Subject);
        }
        let preheader = preheader.trim();
        if !one_line(preheader, MAX_PREHEADER) {
            return Err(Refused::Preheader);
        }
        if body.trim().is_empty() || body.len() > MAX_BODY {
            return Err(Refused::Body);
        }
        if send_at.is_some_and(|at| at < now - chrono::Duration::minutes(1)) {
            return Err(Refused::Past);
        }
        Ok(Draft {
            subject: subject.to_owned(),
            preheader: preheader.to_owned(),
            body,
            send_at,
        })
    }
}

/// Whether `text` is at most `max` characters, none of them a control character (a line break).
fn one_line(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// An edition's email as every reader gets it, but for their own links.
pub struct Letter {
    lang: Lang,
    subject: String,
    preheader: String,
    why: String,
    html: String,
    text: String,
}

impl Letter {
    /// The email of an edition of the newsletter named `newsletter`, written in `lang`.
    pub fn new(lang: Lang, newsletter: &str, subject: &str, preheader: &str, body: &str) -> Letter {
        Letter {
            lang,
            subject: subject.to_owned(),
            preheader: preheader.to_owned(),
            why: lang.t("email-edition-why", &[("newsletter", newsletter.into())]),
            html: markdown::to_html(body),
            text: body.to_owned(),
        }
    }

    /// The email for one reader, with their preference page and one-click unsubscribe.
    pub fn to(&self, manage_url: String, unsubscribe_url: String) -> EditionEmail {
        EditionEmail {
            lang: self.lang,
            subject: self.subject.clone(),
            preheader: self.preheader.clone(),
            why: self.why.clone(),
            html: self.html.clone(),
            text: self.text.clone(),
            manage_url,
            unsubscribe_url,
        }
    }
}

/// Schedules an edition of `newsletter` (stored with its sending job) for `actor`, audited as
/// `edition.schedule`, in the caller's transaction; its id and how many confirmed subscribers
/// it would reach now.
pub fn schedule(
    conn: &mut DbConnection,
    newsletter: &Newsletter,
    draft: &Draft,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<(i32, i64)> {
    let id = create(conn, newsletter, draft, &actor.to_string(), now)?;
    audit::record(
        conn,
        actor,
        "edition.schedule",
        "newsletter",
        &newsletter.slug,
        &serde_json::json!({
            "edition": id,
            "subject": draft.subject,
            "send_at": draft.send_at.unwrap_or(now),
        }),
    )?;
    Ok((id, audience(conn, newsletter.id, now)?))
}

/// Stores an edition of `newsletter` and its sending job, in the caller's transaction.
pub fn create(
    conn: &mut DbConnection,
    newsletter: &Newsletter,
    draft: &Draft,
    created_by: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let send_at = draft.send_at.unwrap_or(now);
    let insert = diesel::insert_into(editions::table)
        .values((
            editions::newsletter_id.eq(newsletter.id),
            editions::subject.eq(&draft.subject),
            editions::preheader.eq(&draft.preheader),
            editions::body.eq(&draft.body),
            editions::status.eq(EditionStatus::Scheduled),
            editions::send_at.eq(send_at),
            editions::created_by.eq(created_by),
            editions::created_at.eq(now),
        ))
        .returning(editions::id);
    let id: i32 = on_backend!(conn, |c| insert.get_result(c)?);
    let payload = serde_json::json!({ "edition": id }).to_string();
    jobs::schedule(
        conn,
        JOB_KIND,
        &format!("edition:{id}"),
        &payload,
        None,
        send_at,
    )?;
    Ok(id)
}

/// The outbox rows of edition `id`'s emails to its readers (not its tests'), whatever their
/// status.
pub(crate) fn emails(id: i32) -> Emails {
    schema::jobs::table
        .filter(schema::jobs::kind.eq(email::JOB_KIND))
        .filter(schema::jobs::dedupe_key.like(format!("edition:{id}:%")))
}

/// The query [`emails`] builds.
pub(crate) type Emails = diesel::dsl::Filter<
    diesel::dsl::Filter<schema::jobs::table, diesel::dsl::Eq<schema::jobs::kind, &'static str>>,
    diesel::dsl::Like<schema::jobs::dedupe_key, String>,
>;

/// The newsletter's subscribers who would receive an edition that started at `at`.
pub fn audience(conn: &mut DbConnection, newsletter: i32, at: NaiveDateTime) -> QueryResult<i64> {
    confirmed_by(newsletter, at).count().get_result(conn)
}

/// Subscriptions to `newsletter` confirmed at `at` (and still confirmed), with their
/// subscribers.
fn confirmed_by<'a>(newsletter: i32, at: NaiveDateTime) -> ConfirmedBy<'a> {
    newsletter_subscriptions::table
        .inner_join(subscribers::table)
        .filter(newsletter_subscriptions::newsletter_id.eq(newsletter))
        .filter(newsletter_subscriptions::status.eq(OptIn::Confirmed))
        .filter(
            newsletter_subscriptions::confirmed_at
                .le(at)
                .or(newsletter_subscriptions::confirmed_at.is_null()),
        )
        .into_boxed()
}

type ConfirmedBy<'a> = diesel::helper_types::IntoBoxed<
    'a,
    diesel::helper_types::InnerJoin<newsletter_subscriptions::table, subscribers::table>,
    MultiBackend,
>;

/// What one step of sending did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Queued a batch; more may follow.
    Queued(usize),
    /// Nothing left to queue (sent, or cancelled).
    Finished,
    /// Its time has not come (a clock behind another instance's).
    NotYet,
}

/// Queues the emails of the next batch of recipients of edition `id`, in the caller's
/// transaction, and moves its cursor past them.
pub fn queue_batch(
    conn: &mut DbConnection,
    settings: &Settings,
    id: i32,
    now: NaiveDateTime,
) -> QueryResult<Step> {
    let edition = editions::table.find(id);
    // Two workers on one edition take turns (SQLite's writers do already).
    let edition: Edition = match conn {
        DbConnection::Pg(c) => edition.select(Edition::as_select()).for_update().first(c)?,
        DbConnection::Sqlite(c) => edition.select(Edition::as_select()).first(c)?,
    };
    let started = match (edition.status, edition.started_at) {
        // A paused edition's walk ends here; resuming starts another where it stopped.
        (EditionStatus::Sent | EditionStatus::Cancelled | EditionStatus::Paused, _) => {
            return Ok(Step::Finished);
        }
        (_, Some(started)) => started,
        (_, None) if edition.send_at > now => return Ok(Step::NotYet),
        (_, None) => {
            diesel::update(editions::table.find(id))
                .set((
                    editions::status.eq(EditionStatus::Sending),
                    editions::started_at.eq(now),
                ))
                .execute(conn)?;
            now
        }
    };
    let (newsletter, language): (String, String) = super::newsletters::table
        .find(edition.newsletter_id)
        .select((super::newsletters::name, super::newsletters::language))
        .first(conn)?;
    let letter = Letter::new(
        Lang::from_code(&language),
        &newsletter,
        &edition.subject,
        &edition.preheader,
        &edition.body,
    );
    let brand = crate::branding::load(conn)?;
    let batch: Vec<(i32, String)> = confirmed_by(edition.newsletter_id, started)
        .filter(newsletter_subscriptions::subscriber_id.gt(edition.cursor))
        .order(newsletter_subscriptions::subscriber_id)
        .limit(BATCH)
        .select((newsletter_subscriptions::subscriber_id, subscribers::email))
        .load(conn)?;
    let mut outgoing = Vec::with_capacity(batch.len());
    for (subscriber, address) in &batch {
        let owner = Owner::Subscriber(*subscriber);
        let ids = serde_json::json!({ "newsletters": [edition.newsletter_id] }).to_string();
        let unsubscribe = Unstored::new(Purpose::Unsubscribe, owner, &ids, None);
        let manage = Unstored::new(Purpose::Manage, owner, "{}", None);
        let message = letter.to(
            token_link(settings, "/newsletters/manage", &manage, letter.lang),
            token_link(settings, "/unsubscribe", &unsubscribe, letter.lang),
        );
        let mut email = message
            .render_email(address, &brand)
            .expect("the edition template renders");
        email.newsletter = Some(Recipient {
            subscriber: *subscriber,
            newsletter: edition.newsletter_id,
        });
        let key = format!("edition:{id}:{subscriber}");
        outgoing.push((key, email, vec![unsubscribe, manage]));
    }
    // One statement for the batch's emails and one for their links: per recipient, three
    // round trips made PostgreSQL the limit of a large send.
    let queued = i32::try_from(email::queue_all_with_tokens(conn, outgoing)?).expect("a batch");
    let last = batch.last().map_or(edition.cursor, |(s, _)| *s);
    let done = (batch.len() as i64) < BATCH;
    diesel::update(editions::table.find(id))
        .set((
            editions::cursor.eq(last),
            editions::queued.eq(editions::queued + queued),
        ))
        .execute(conn)?;
    if done {
        diesel::update(editions::table.find(id))
            .set((
                editions::status.eq(EditionStatus::Sent),
                editions::finished_at.eq(now),
            ))
            .execute(conn)?;
        webhooks::emit(conn, EventType::EditionSent, &id.to_string(), now, |c| {
            webhooks::data::edition(c, id)
        })?;
        return Ok(Step::Finished);
    }
    Ok(Step::Queued(batch.len()))
}

#[cfg(test)]
mod tests {
    use super::{Draft, MAX_PREHEADER, Refused};

    #[test]
    fn a_preheader_is_optional_trimmed_and_one_short_line() {
        let now = crate::db::now();
        let draft = |preheader: &str| Draft::new("News", preheader, "# News".into(), None, now);
        assert_eq!(draft("").unwrap().preheader, "");
        assert_eq!(draft("  What changes  ").unwrap().preheader, "What changes");
        assert!(draft(&"é".repeat(MAX_PREHEADER)).is_ok());
        for bad in ["é".repeat(MAX_PREHEADER + 1), "two\nlines".into()] {
            assert_eq!(draft(&bad).unwrap_err(), Refused::Preheader, "{bad}");
        }
    }
}
