//! Everything held about one address, as JSON (GDPR articles 15 and 20: a person's right to
//! see their data and take it with them): their member record, memberships, payments and
//! cancellation reasons; their newsletter subscriptions with the consent history; gifts they
//! bought or received; "remind me later" requests; and the emails sent to them (when and
//! what kind, not their links). Tokens and sessions are secrets, not data about the person,
//! and are left out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::schema::{
    campaigns, cancellations, gifts, jobs, later_reminders, members, memberships,
    newsletter_subscriptions, newsletters, payments, subscribers, tiers,
};
use crate::domain::{BillingInterval, EmailAddress, MembershipStatus, OptIn};

fn time(t: Option<NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    })
}

/// The member part: the record, memberships (with their cancellation reasons) and payments.
fn member(conn: &mut DbConnection, address: &str) -> QueryResult<Value> {
    type Member = (i32, Option<String>, String, NaiveDateTime, Option<String>);
    let found: Option<Member> = members::table
        .filter(members::email.eq(address))
        .select((
            members::id,
            members::name,
            members::locale,
            members::created_at,
            members::stripe_customer_id,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, locale, created, customer)) = found else {
        return Ok(Value::Null);
    };
    type Membership = (
        i32,
        String,
        Option<String>,
        BillingInterval,
        i64,
        String,
        MembershipStatus,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Membership> = memberships::table
        .inner_join(campaigns::table)
        .left_join(tiers::table)
        .filter(memberships::member_id.eq(id))
        .order(memberships::id)
        .select((
            memberships::id,
            campaigns::slug,
            tiers::name.nullable(),
            memberships::billing_interval,
            memberships::amount,
            memberships::currency,
            memberships::status,
            memberships::started_at,
            memberships::ended_at,
        ))
        .load(conn)?;
    let mut list = Vec::new();
    for (membership, campaign, tier, interval, amount, currency, status, started, ended) in rows {
        let reasons: Vec<(Option<String>, String, NaiveDateTime)> = cancellations::table
            .filter(cancellations::membership_id.eq(membership))
            .select((
                cancellations::reason,
                cancellations::note,
                cancellations::created_at,
            ))
            .load(conn)?;
        list.push(json!({
            "campaign": campaign,
            "tier": tier,
            "interval": interval.as_str(),
            "amount": amount,
            "currency": currency,
            "status": status.as_str(),
            "started_at": time(started),
            "ended_at": time(ended),
            "cancellations": reasons.into_iter().map(|(reason, note, at)| json!({
                "reason": reason, "note": note, "at": time(Some(at)),
            })).collect::<Vec<_>>(),
        }));
    }
    type Payment = (String, i64, i64, String, String, NaiveDateTime);
    let paid: Vec<Payment> = payments::table
        .filter(payments::member_id.eq(id))
        .order(payments::paid_at)
        .select((
            payments::kind,
            payments::amount,
            payments::amount_refunded,
            payments::currency,
            payments::status,
            payments::paid_at,
        ))
        .load(conn)?;
    Ok(json!({
        "name": name,
        "language": locale,
        "member_since": time(Some(created)),
        "stripe_customer_id": customer,
        "memberships": list,
        "payments": paid.into_iter().map(|(kind, amount, refunded, currency, status, at)| json!({
            "kind": kind, "amount": amount, "refunded": refunded, "currency": currency,
            "status": status, "paid_at": time(Some(at)),
        })).collect::<Vec<_>>(),
    }))
}

/// The subscriber part: the record and each subscription's consent history.
fn subscriber(conn: &mut DbConnection, address: &str) -> QueryResult<Value> {
    let found: Option<(i32, Option<String>, String, NaiveDateTime)> = subscribers::table
        .filter(subscribers::email.eq(address))
        .select((
            subscribers::id,
            subscribers::name,
            subscribers::locale,
            subscribers::created_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, locale, created)) = found else {
        return Ok(Value::Null);
    };
    type Subscription = (
        String,
        OptIn,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Subscription> = newsletter_subscriptions::table
        .inner_join(newsletters::table)
        .filter(newsletter_subscriptions::subscriber_id.eq(id))
        .order(newsletters::position)
        .select((
            newsletters::slug,
            newsletter_subscriptions::status,
            newsletter_subscriptions::created_at,
            newsletter_subscriptions::confirmed_at,
            newsletter_subscriptions::unsubscribed_at,
            newsletter_subscriptions::source,
        ))
        .load(conn)?;
    Ok(json!({
        "name": name,
        "language": locale,
        "first_subscribed": time(Some(created)),
        "subscriptions": rows.into_iter().map(|(newsletter, status, asked, confirmed, left, source)| json!({
            "newsletter": newsletter, "status": status.as_str(), "subscribed_at": time(Some(asked)),
            "confirmed_at": time(confirmed), "unsubscribed_at": time(left), "source": source,
        })).collect::<Vec<_>>(),
    }))
}

/// Everything held about `email`, or `None` when nothing is.
pub fn export(conn: &mut DbConnection, email: &EmailAddress) -> QueryResult<Option<Value>> {
    let address = email.as_str();
    let member = member(conn, address)?;
    let subscriber = subscriber(conn, address)?;
    type Gift = (
        String,
        i32,
        i64,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let gift_rows: Vec<Gift> = gifts::table
        .inner_join(campaigns::table)
        .filter(
            gifts::buyer_email
                .eq(address)
                .or(gifts::recipient_email.eq(address)),
        )
        .order(gifts::id)
        .select((
            gifts::buyer_email,
            gifts::months,
            gifts::amount,
            gifts::currency,
            campaigns::slug,
            gifts::paid_at,
            gifts::redeemed_at,
        ))
        .load(conn)?;
    let gift_list: Vec<Value> = gift_rows
        .into_iter()
        .map(
            |(buyer, months, amount, currency, campaign, paid, redeemed)| {
                json!({
                    "role": if buyer == address { "buyer" } else { "recipient" },
                    "campaign": campaign, "months": months, "amount": amount, "currency": currency,
                    "paid_at": time(Some(paid)), "redeemed_at": time(redeemed),
                })
            },
        )
        .collect();
    let reminders: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = later_reminders::table
        .inner_join(campaigns::table)
        .filter(later_reminders::email.eq(address))
        .select((
            campaigns::slug,
            later_reminders::created_at,
            later_reminders::confirmed_at,
        ))
        .load(conn)?;
    let emails: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = jobs::table
        .filter(jobs::recipient.eq(address))
        .order(jobs::id)
        .select((
            jobs::dedupe_key,
            jobs::status,
            jobs::created_at,
            jobs::finished_at,
        ))
        .load(conn)?;
    if member.is_null()
        && subscriber.is_null()
        && gift_list.is_empty()
        && reminders.is_empty()
        && emails.is_empty()
    {
        return Ok(None);
    }
    Ok(Some(json!({
        "email": address,
        "member": member,
        "subscriber": subscriber,
        "gifts": gift_list,
        "remind_me_later": reminders.into_iter().map(|(campaign, asked, confirmed)| json!({
            "campaign": campaign, "asked_at": time(Some(asked)), "confirmed_at": time(confirmed),
        })).collect::<Vec<_>>(),
        "emails": emails.into_iter().map(|(key, status, queued, finished)| json!({
            // The kind of email, not its key's ids (`receipt:in_…` → `receipt`).
            "kind": key.split(':').next().unwrap_or_default(),
            "status": status, "queued_at": time(Some(queued)), "finished_at": time(finished),
        })).collect::<Vec<_>>(),
    })))
}
