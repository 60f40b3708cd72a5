//! The `data` of each event's payload, read from the rows it is about in the transaction that
//! changed them. Amounts are in the currency's minor unit (cents), as Stripe gives them;
//! times are UTC, RFC 3339.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::schema::{
    campaigns, editions, members, memberships, newsletters, subscribers, tiers,
};
use crate::db::{self, DbConnection};
use crate::domain::BillingInterval;

/// `base`'s fields and `extra`'s.
fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// `member` and `campaign`, and `extra`'s fields.
pub fn member(
    conn: &mut DbConnection,
    member: i32,
    campaign: i32,
    extra: Value,
) -> QueryResult<Value> {
    let (email, name, locale): (String, Option<String>, String) = members::table
        .find(member)
        .select((members::email, members::name, members::locale))
        .first(conn)?;
    let (slug, title): (String, String) = campaigns::table
        .find(campaign)
        .select((campaigns::slug, campaigns::title))
        .first(conn)?;
    let base = json!({
        "member": { "id": member, "email": email, "name": name, "language": locale },
        "campaign": { "slug": slug, "title": title },
    });
    Ok(merged(base, extra))
}

/// The membership `id`, its member and campaign, and `extra`'s fields.
pub fn membership(conn: &mut DbConnection, id: i32, extra: Value) -> QueryResult<Value> {
    type Row = (
        i32,
        i32,
        Option<String>,
        BillingInterval,
        i64,
        String,
        Option<String>,
    );
    let (member_id, campaign_id, tier, interval, amount, currency, subscription): Row =
        memberships::table
            .left_join(tiers::table)
            .filter(memberships::id.eq(id))
            .select((
                memberships::member_id,
                memberships::campaign_id,
                tiers::slug.nullable(),
                memberships::billing_interval,
                memberships::amount,
                memberships::currency,
                memberships::stripe_subscription_id,
            ))
            .first(conn)?;
    let about = json!({
        "membership": {
            "id": id,
            "tier": tier,
            "interval": interval.as_str(),
            "amount": amount,
            "currency": currency,
            "stripe_subscription_id": subscription,
        },
    });
    member(conn, member_id, campaign_id, merged(about, extra))
}

/// The membership of Stripe subscription `id`, as [`membership`].
pub fn subscription_membership(
    conn: &mut DbConnection,
    id: &str,
    extra: Value,
) -> QueryResult<Value> {
    let membership: i32 = memberships::table
        .filter(memberships::stripe_subscription_id.eq(id))
        .select(memberships::id)
        .first(conn)?;
    self::membership(conn, membership, extra)
}

/// Subscriber `subscriber`'s subscription to `newsletter`, and `extra`'s fields.
pub fn subscription(
    conn: &mut DbConnection,
    subscriber: i32,
    newsletter: i32,
    extra: Value,
) -> QueryResult<Value> {
    let (email, name, locale): (String, Option<String>, String) = subscribers::table
        .find(subscriber)
        .select((subscribers::email, subscribers::name, subscribers::locale))
        .first(conn)?;
    let (slug, title): (String, String) = newsletters::table
        .find(newsletter)
        .select((newsletters::slug, newsletters::name))
        .first(conn)?;
    let base = json!({
        "subscriber": { "id": subscriber, "email": email, "name": name, "language": locale },
        "newsletter": { "slug": slug, "name": title },
    });
    Ok(merged(base, extra))
}

/// Edition `id` of its newsletter, as sent.
pub fn edition(conn: &mut DbConnection, id: i32) -> QueryResult<Value> {
    type Row = (
        String,
        String,
        String,
        i32,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let (slug, name, subject, queued, started, finished): Row = editions::table
        .inner_join(newsletters::table)
        .filter(editions::id.eq(id))
        .select((
            newsletters::slug,
            newsletters::name,
            editions::subject,
            editions::queued,
            editions::started_at,
            editions::finished_at,
        ))
        .first(conn)?;
    Ok(json!({
        "edition": {
            "id": id,
            "subject": subject,
            "recipients": queued,
            "started_at": started.map(db::rfc3339),
            "finished_at": finished.map(db::rfc3339),
        },
        "newsletter": { "slug": slug, "name": name },
    }))
}
