//! Newsletters with double opt-in.
//!
//! A subscription starts `pending`; the confirmation email's single-use link (48 hours)
//! makes it `confirmed`; nobody gets newsletter mail before that. Every well-formed address
//! gets the same answer whatever its state, so the form reveals nothing about who reads us.

pub mod archive;
pub mod editions;
pub mod import;
pub mod readers;
pub mod routes;
pub mod staff;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::schema::{newsletter_subscriptions, newsletters, subscribers};
use crate::db::{DbConnection, on_backend};
use crate::domain::{EmailAddress, EventType, OptIn};
use crate::email::templates::{AlreadySubscribed, ConfirmSubscription, SubscriptionConfirmed};
use crate::email::{self, Recipient};
use crate::i18n::Lang;
use crate::tokens::{self, Owner, Purpose, Rejected, Token, Unstored};
use crate::webhooks::{self, data};

/// Confirmation emails one address may be sent per day.
pub const CONFIRMATIONS_PER_DAY: i64 = 3;
/// How long a confirmation link works.
pub const CONFIRM_TTL: Duration = Duration::hours(48);

/// A newsletter row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = newsletters)]
pub struct Newsletter {
    /// Row id.
    pub id: i32,
    /// URL name, e.g. `news`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// One line about it.
    pub description: String,
    /// Its language.
    pub language: String,
}

/// The link an email gives a reader in `lang` to the page at `path` for `token`: the page
/// opens in their language.
pub(crate) fn token_link(settings: &Settings, path: &str, token: &Unstored, lang: Lang) -> String {
    settings.public_url(&format!(
        "{path}?token={}&lang={}",
        token.secret(),
        lang.code()
    ))
}

/// The public newsletters, in display order.
pub fn public(conn: &mut DbConnection) -> QueryResult<Vec<Newsletter>> {
    newsletters::table
        .filter(newsletters::archived.eq(false))
        .order((newsletters::position, newsletters::id))
        .select(Newsletter::as_select())
        .load(conn)
}

/// A newsletter a command names: not archived; an unknown slug's error lists the known ones.
pub fn open(conn: &mut DbConnection, slug: &str) -> anyhow::Result<Newsletter> {
    let found: Option<(Newsletter, bool)> = newsletters::table
        .filter(newsletters::slug.eq(slug))
        .select((Newsletter::as_select(), newsletters::archived))
        .first(conn)
        .optional()?;
    match found {
        Some((newsletter, false)) => Ok(newsletter),
        Some((_, true)) => anyhow::bail!("newsletter {slug} is archived"),
        None => {
            let known: Vec<String> = public(conn)?.into_iter().map(|n| n.slug).collect();
            anyhow::bail!("no newsletter {slug} (newsletters: {})", known.join(", "))
        }
    }
}

/// Whether `recipient` still receives their newsletter (checked right before each edition's
/// email is sent).
pub fn receives(conn: &mut DbConnection, recipient: &Recipient) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        newsletter_subscriptions::table
            .filter(newsletter_subscriptions::subscriber_id.eq(recipient.subscriber))
            .filter(newsletter_subscriptions::newsletter_id.eq(recipient.newsletter))
            .filter(newsletter_subscriptions::status.eq(OptIn::Confirmed)),
    ))
    .get_result(conn)
}

fn ids_payload(ids: &[i32]) -> String {
    serde_json::json!({ "newsletters": ids }).to_string()
}

fn ids_from(payload: &str) -> Vec<i32> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| serde_json::from_value(v["newsletters"].clone()).ok())
        .unwrap_or_default()
}

/// What a subscribe request did; the reader is told the same in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation email was queued.
    ConfirmationQueued,
    /// Every requested newsletter was already confirmed: an "already subscribed" email.
    AlreadyConfirmed,
    /// The address had its confirmations for today.
    Throttled,
}

/// Records the request and queues the right email, in the caller's transaction.
pub fn subscribe(
    conn: &mut DbConnection,
    settings: &Settings,
    email: &EmailAddress,
    requested: &[Newsletter],
    lang: Lang,
    now: NaiveDateTime,
) -> QueryResult<Subscribed> {
    let (subscriber, new) = find_or_create_subscriber(conn, email, lang)?;
    let ids: Vec<i32> = requested.iter().map(|n| n.id).collect();
    // A reader created just now has no subscriptions and no tokens: no need to look.
    let existing: Vec<(i32, OptIn)> = if new {
        Vec::new()
    } else {
        newsletter_subscriptions::table
            .filter(newsletter_subscriptions::subscriber_id.eq(subscriber))
            .filter(newsletter_subscriptions::newsletter_id.eq_any(&ids))
            .select((
                newsletter_subscriptions::newsletter_id,
                newsletter_subscriptions::status,
            ))
            .load(conn)?
    };
    let status_of = |id: i32| {
        existing
            .iter()
            .find(|(newsletter, _)| *newsletter == id)
            .map(|(_, status)| *status)
    };
    for id in ids.iter().filter(|id| status_of(**id).is_none()) {
        // A concurrent request of the same reader may have added it since `existing` was read.
        add_pending(conn, subscriber, *id)?;
    }
    let resumed: Vec<i32> = ids
        .iter()
        .copied()
        .filter(|id| status_of(*id) == Some(OptIn::Unsubscribed))
        .collect();
    if !resumed.is_empty() {
        diesel::update(
            newsletter_subscriptions::table
                .filter(newsletter_subscriptions::subscriber_id.eq(subscriber))
                .filter(newsletter_subscriptions::newsletter_id.eq_any(&resumed)),
        )
        .set((
            newsletter_subscriptions::status.eq(OptIn::Pending),
            newsletter_subscriptions::updated_at.eq(now),
        ))
        .execute(conn)?;
    }
    // Now pending: the new, the resumed, and those still waiting for their confirmation.
    let pending: Vec<i32> = ids
        .iter()
        .copied()
        .filter(|id| {
            matches!(
                status_of(*id),
                None | Some(OptIn::Unsubscribed | OptIn::Pending)
            )
        })
        .collect();
    let names: Vec<String> = requested.iter().map(|n| n.name.clone()).collect();
    // Each email's tokens are stored only if the email is queued (`queue_with_tokens`): a
    // request that sends nothing writes no token.
    let owner = Owner::Subscriber(subscriber);
    let unsubscribe = Unstored::new(Purpose::Unsubscribe, owner, &ids_payload(&ids), None);
    let unsubscribe_url = token_link(settings, "/unsubscribe", &unsubscribe, lang);

    if pending.is_empty() {
        // One "already subscribed" email a day at most, whatever the form is sent.
        let key = format!("already:{subscriber}:{}", now.date());
        let manage = Unstored::new(Purpose::Manage, owner, "{}", None);
        let message = AlreadySubscribed {
            lang,
            newsletters: names,
            manage_url: token_link(settings, "/newsletters/manage", &manage, lang),
            unsubscribe_url,
        };
        let email = email::render(conn, &message, email.as_str())?;
        email::queue_with_tokens(conn, &key, &email, [manage, unsubscribe])?;
        return Ok(Subscribed::AlreadyConfirmed);
    }
    let sent_today = if new {
        0
    } else {
        let last_day = tokens::issued_since(
            conn,
            Purpose::Confirm,
            Owner::Subscriber(subscriber),
            now - Duration::days(1),
        )?;
        if last_day >= CONFIRMATIONS_PER_DAY {
            return Ok(Subscribed::Throttled);
        }
        tokens::issued_today(conn, Purpose::Confirm, Owner::Subscriber(subscriber), now)?
    };
    let confirm = Unstored::new(
        Purpose::Confirm,
        owner,
        &ids_payload(&pending),
        Some(now + CONFIRM_TTL),
    );
    let message = ConfirmSubscription {
        lang,
        newsletters: names,
        confirm_url: token_link(settings, "/newsletters/confirm", &confirm, lang),
        unsubscribe_url,
    };
    let message = email::render(conn, &message, email.as_str())?;
    email::queue_with_tokens(
        conn,
        &format!("confirm:{subscriber}:{}:{}", now.date(), sent_today + 1),
        &message,
        [confirm, unsubscribe],
    )?;
    Ok(Subscribed::ConfirmationQueued)
}

/// The reader with this address, and whether it was created just now
/// (`subscribers_email_key` keeps addresses unique; a concurrent sign-up of the same new
/// address waits for the first to commit, then finds its row).
pub fn find_or_create_subscriber(
    conn: &mut DbConnection,
    email: &EmailAddress,
    lang: Lang,
) -> QueryResult<(i32, bool)> {
    let insert = diesel::insert_into(subscribers::table)
        .values((
            subscribers::email.eq(email.as_str()),
            subscribers::locale.eq(lang.code()),
        ))
        .on_conflict_do_nothing()
        .returning(subscribers::id);
    let created: Option<i32> = on_backend!(conn, |c| insert.get_result(c).optional()?);
    match created {
        Some(id) => Ok((id, true)),
        None => subscribers::table
            .filter(subscribers::email.eq(email.as_str()))
            .select(subscribers::id)
            .first(conn)
            .map(|id| (id, false)),
    }
}

/// Confirms the subscriptions a confirmation link names, and welcomes the reader.
pub fn confirm(
    conn: &mut DbConnection,
    settings: &Settings,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Vec<String>, Rejected>> {
    let (token, subscriber) =
        match of_subscriber(tokens::consume(conn, Purpose::Confirm, raw, now)?) {
            Ok(found) => found,
            Err(rejected) => return Ok(Err(rejected)),
        };
    let ids = ids_from(&token.payload);
    let update = diesel::update(
        newsletter_subscriptions::table
            .filter(newsletter_subscriptions::subscriber_id.eq(subscriber))
            .filter(newsletter_subscriptions::newsletter_id.eq_any(&ids))
            .filter(newsletter_subscriptions::status.eq(OptIn::Pending)),
    )
    .set((
        newsletter_subscriptions::status.eq(OptIn::Confirmed),
        newsletter_subscriptions::confirmed_at.eq(now),
        newsletter_subscriptions::updated_at.eq(now),
    ))
    .returning(newsletter_subscriptions::newsletter_id);
    let confirmed: Vec<i32> = on_backend!(conn, |c| update.get_results(c)?);
    report(conn, OptIn::Confirmed, subscriber, &confirmed, now)?;
    let (address, locale): (String, String) = subscribers::table
        .find(subscriber)
        .select((subscribers::email, subscribers::locale))
        .first(conn)?;
    let names = names_of(conn, &ids)?;
    let owner = Owner::Subscriber(subscriber);
    let manage = Unstored::new(Purpose::Manage, owner, "{}", None);
    let unsubscribe = Unstored::new(Purpose::Unsubscribe, owner, &ids_payload(&ids), None);
    let lang = Lang::from_code(&locale);
    let welcome = SubscriptionConfirmed {
        lang,
        newsletters: names.clone(),
        manage_url: token_link(settings, "/newsletters/manage", &manage, lang),
        unsubscribe_url: token_link(settings, "/unsubscribe", &unsubscribe, lang),
    };
    let message = email::render(conn, &welcome, &address)?;
    email::queue_with_tokens(
        conn,
        &format!("confirmed:{}", token.id),
        &message,
        [manage, unsubscribe],
    )?;
    Ok(Ok(names))
}

/// A link's token and the subscriber it belongs to (a link of a member is not valid here).
fn of_subscriber(checked: Result<Token, Rejected>) -> Result<(Token, i32), Rejected> {
    let token = checked?;
    let subscriber = token.subscriber_id.ok_or(Rejected::Invalid)?;
    Ok((token, subscriber))
}

fn names_of(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<String>> {
    newsletters::table
        .filter(newsletters::id.eq_any(ids))
        .order((newsletters::position, newsletters::id))
        .select(newsletters::name)
        .load(conn)
}

/// The newsletters a link names, if the link is valid (for the GET pages, which change nothing).
pub fn preview(
    conn: &mut DbConnection,
    purpose: Purpose,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Vec<String>, Rejected>> {
    match tokens::check(conn, purpose, raw, now)? {
        Ok(token) => names_of(conn, &ids_from(&token.payload)).map(Ok),
        Err(rejected) => Ok(Err(rejected)),
    }
}

/// Unsubscribes from the newsletters an unsubscribe link names (idempotent: a second POST
/// of the same link changes nothing more).
pub fn unsubscribe(
    conn: &mut DbConnection,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Vec<String>, Rejected>> {
    let (token, subscriber) =
        match of_subscriber(tokens::check(conn, Purpose::Unsubscribe, raw, now)?) {
            Ok(found) => found,
            Err(rejected) => return Ok(Err(rejected)),
        };
    let ids = ids_from(&token.payload);
    set_status(conn, subscriber, &ids, OptIn::Unsubscribed, now)?;
    names_of(conn, &ids).map(Ok)
}

/// Adds a pending subscription unless the reader has one to this newsletter (in any status):
/// `ON CONFLICT DO NOTHING`, so a concurrent request adding it too is no error.
fn add_pending(conn: &mut DbConnection, subscriber: i32, newsletter: i32) -> QueryResult<usize> {
    let insert = diesel::insert_into(newsletter_subscriptions::table)
        .values((
            newsletter_subscriptions::subscriber_id.eq(subscriber),
            newsletter_subscriptions::newsletter_id.eq(newsletter),
            newsletter_subscriptions::status.eq(OptIn::Pending),
        ))
        .on_conflict((
            newsletter_subscriptions::subscriber_id,
            newsletter_subscriptions::newsletter_id,
        ))
        .do_nothing();
    on_backend!(conn, |c| insert.execute(c))
}

/// Moves `subscriber`'s subscriptions to `ids` to `status` (confirmed or unsubscribed) and
/// reports those that changed; how many did.
fn set_status(
    conn: &mut DbConnection,
    subscriber: i32,
    ids: &[i32],
    status: OptIn,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = newsletter_subscriptions::table
        .filter(newsletter_subscriptions::subscriber_id.eq(subscriber))
        .filter(newsletter_subscriptions::newsletter_id.eq_any(ids))
        .filter(newsletter_subscriptions::status.ne(status));
    let changed: Vec<i32> = match status {
        OptIn::Confirmed => {
            let update = diesel::update(target)
                .set((
                    newsletter_subscriptions::status.eq(status),
                    newsletter_subscriptions::confirmed_at.eq(now),
                    newsletter_subscriptions::updated_at.eq(now),
                ))
                .returning(newsletter_subscriptions::newsletter_id);
            on_backend!(conn, |c| update.get_results(c)?)
        }
        _ => {
            let update = diesel::update(target)
                .set((
                    newsletter_subscriptions::status.eq(status),
                    newsletter_subscriptions::unsubscribed_at.eq(now),
                    newsletter_subscriptions::updated_at.eq(now),
                ))
                .returning(newsletter_subscriptions::newsletter_id);
            on_backend!(conn, |c| update.get_results(c)?)
        }
    };
    report(conn, status, subscriber, &changed, now)?;
    Ok(changed.len())
}

/// Unsubscribes `subscriber` from `newsletter` on their behalf (staff, after a reader wrote
/// in); whether they were subscribed (pending or confirmed).
pub fn unsubscribe_for(
    conn: &mut DbConnection,
    subscriber: i32,
    newsletter: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    set_status(conn, subscriber, &[newsletter], OptIn::Unsubscribed, now).map(|n| n == 1)
}

/// Tells the outlet's other tools ([`webhooks`]) that `subscriber`'s subscriptions to
/// `newsletters` became `status` at `now`.
fn report(
    conn: &mut DbConnection,
    status: OptIn,
    subscriber: i32,
    newsletters: &[i32],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (event, field) = match status {
        OptIn::Confirmed => (EventType::SubscriberConfirmed, "confirmed_at"),
        OptIn::Unsubscribed => (EventType::SubscriberUnsubscribed, "unsubscribed_at"),
        OptIn::Pending => return Ok(()),
    };
    for &newsletter in newsletters {
        // A reader may leave and come back: each change is an event of its own.
        let cause = format!(
            "{subscriber}:{newsletter}:{}",
            now.and_utc().timestamp_micros()
        );
        webhooks::emit(conn, event, &cause, now, |c| {
            let at = serde_json::json!({ field: crate::db::rfc3339(now) });
            data::subscription(c, subscriber, newsletter, at)
        })?;
    }
    Ok(())
}

/// One line of a reader's preference page.
#[derive(Debug, Clone)]
pub struct Preference {
    /// The newsletter.
    pub newsletter: Newsletter,
    /// Whether they receive it (confirmed).
    pub subscribed: bool,
}

/// A reader's preferences, from a manage link.
pub fn preferences(
    conn: &mut DbConnection,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(String, Vec<Preference>), Rejected>> {
    let (_, subscriber) = match of_subscriber(tokens::check(conn, Purpose::Manage, raw, now)?) {
        Ok(found) => found,
        Err(rejected) => return Ok(Err(rejected)),
    };
    let address: String = subscribers::table
        .find(subscriber)
        .select(subscribers::email)
        .first(conn)?;
    let confirmed: Vec<i32> = newsletter_subscriptions::table
        .filter(newsletter_subscriptions::subscriber_id.eq(subscriber))
        .filter(newsletter_subscriptions::status.eq(OptIn::Confirmed))
        .select(newsletter_subscriptions::newsletter_id)
        .load(conn)?;
    let list = public(conn)?
        .into_iter()
        .map(|newsletter| Preference {
            subscribed: confirmed.contains(&newsletter.id),
            newsletter,
        })
        .collect();
    Ok(Ok((address, list)))
}

/// Saves a reader's choices from their preference page. The manage link proves they read
/// the mailbox, so newly chosen newsletters are confirmed at once.
pub fn save_preferences(
    conn: &mut DbConnection,
    raw: &str,
    chosen: &[String],
    now: NaiveDateTime,
) -> QueryResult<Result<(), Rejected>> {
    let (_, subscriber) = match of_subscriber(tokens::check(conn, Purpose::Manage, raw, now)?) {
        Ok(found) => found,
        Err(rejected) => return Ok(Err(rejected)),
    };
    let all = public(conn)?;
    let (on, off): (Vec<&Newsletter>, Vec<&Newsletter>) =
        all.iter().partition(|n| chosen.contains(&n.slug));
    for newsletter in &on {
        add_pending(conn, subscriber, newsletter.id)?;
    }
    set_status(
        conn,
        subscriber,
        &on.iter().map(|n| n.id).collect::<Vec<_>>(),
        OptIn::Confirmed,
        now,
    )?;
    set_status(
        conn,
        subscriber,
        &off.iter().map(|n| n.id).collect::<Vec<_>>(),
        OptIn::Unsubscribed,
        now,
    )?;
    Ok(Ok(()))
}
