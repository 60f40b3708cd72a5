//! Failed payments by client, against card testing: a tester tries card after card from one
//! place. Each Checkout carries the key of the client that started it ([`client_key`], a hash
//! of its address) in its metadata, so the payment intent and subscription Stripe makes from it
//! do too; each failed payment Stripe reports is kept with that key, and a client with
//! [`BLOCK_AFTER`] failures within [`WINDOW`] cannot start a Checkout until the oldest of them
//! is [`WINDOW`] old. Staff see the clients on `/admin/payments/failed` and may clear one.
//!
//! A failure is one Stripe event (`payment_intent.payment_failed`, or `invoice.payment_failed`
//! for a subscription's first invoice), kept once however often the event is processed.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::Value;

use super::meta;
use crate::db::schema::{campaigns, payment_failures};
use crate::db::{self, DbConnection, on_backend};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tokens;
use crate::web::client_ip;
use crate::web::error::AppError;

/// Failed payments within [`WINDOW`] that block a client.
pub const BLOCK_AFTER: i64 = 5;
/// See [`BLOCK_AFTER`].
pub const WINDOW: TimeDelta = TimeDelta::hours(1);
/// How long a failure is kept (then purged).
pub const KEPT: TimeDelta = TimeDelta::days(30);

/// The key of a client: a hash of its address, never the address (an IPv6 address by its
/// /64, the block one household or server is given).
pub fn client_key(ip: IpAddr) -> String {
    let network = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    };
    tokens::hash_of(&format!("checkout-client {network}"))[..32].to_owned()
}

/// A failed payment a Stripe event reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The event's id (a failure is kept once).
    pub event_id: String,
    /// The key of the client that started the Checkout.
    pub client: String,
    /// The campaign paid for, if ours.
    pub campaign: Option<i32>,
    /// In the currency's smallest unit.
    pub amount: i64,
    /// ISO currency, lower case as Stripe writes it.
    pub currency: String,
    /// Stripe's decline code (or error code), when the event carries one.
    pub reason: Option<String>,
}

impl Failure {
    /// The failed payment a stored Stripe event reports, if a Checkout of ours with a known
    /// client made it: `payment_intent.payment_failed` (donations, gifts) or
    /// `invoice.payment_failed` of a subscription's first invoice (joining). The event's own
    /// snapshot is what failed; the object's current state may have moved on since.
    pub fn of_event(event: &Value) -> Option<Failure> {
        let object = &event["data"]["object"];
        let (metadata, amount) = match event["type"].as_str()? {
            "payment_intent.payment_failed" => (&object["metadata"], &object["amount"]),
            "invoice.payment_failed" if object["billing_reason"] == "subscription_create" => (
                &object["parent"]["subscription_details"]["metadata"],
                &object["amount_due"],
            ),
            _ => return None,
        };
        let error = &object["last_payment_error"];
        Some(Failure {
            event_id: event["id"].as_str()?.to_owned(),
            client: metadata[meta::CLIENT].as_str()?.to_owned(),
            campaign: metadata[meta::CAMPAIGN]
                .as_str()
                .and_then(|c| c.parse().ok()),
            amount: amount.as_i64().unwrap_or(0),
            currency: object["currency"].as_str().unwrap_or_default().to_owned(),
            reason: error["decline_code"]
                .as_str()
                .or(error["code"].as_str())
                .map(str::to_owned),
        })
    }

    /// Keeps the failure, failed at `now`, unless its event was kept before.
    pub fn record(&self, conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<()> {
        let campaign: Option<i32> = match self.campaign {
            Some(id) => campaigns::table
                .find(id)
                .select(campaigns::id)
                .first(conn)
                .optional()?,
            None => None,
        };
        let insert = diesel::insert_into(payment_failures::table)
            .values((
                payment_failures::stripe_event_id.eq(&self.event_id),
                payment_failures::client.eq(&self.client),
                payment_failures::campaign_id.eq(campaign),
                payment_failures::amount.eq(self.amount),
                payment_failures::currency.eq(&self.currency),
                payment_failures::reason.eq(&self.reason),
                payment_failures::failed_at.eq(now),
            ))
            .on_conflict_do_nothing();
        on_backend!(conn, |c| insert.execute(c)?);
        Ok(())
    }
}

/// When a client's block ends, given the times of its failures not cleared, newest first: the
/// moment the oldest of its last [`BLOCK_AFTER`] failures is [`WINDOW`] old, if that is after
/// `now`.
pub fn block_end(newest_first: &[NaiveDateTime], now: NaiveDateTime) -> Option<NaiveDateTime> {
    let oldest = newest_first.get(usize::try_from(BLOCK_AFTER - 1).ok()?)?;
    Some(*oldest + WINDOW).filter(|end| *end > now)
}

/// Until when `client` may not start a Checkout, if it is blocked at `now`.
pub fn blocked_until(
    conn: &mut DbConnection,
    client: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let newest_first: Vec<NaiveDateTime> = payment_failures::table
        .filter(payment_failures::client.eq(client))
        .filter(payment_failures::failed_at.gt(now - WINDOW))
        .filter(payment_failures::cleared_at.is_null())
        .order(payment_failures::failed_at.desc())
        .limit(BLOCK_AFTER)
        .select(payment_failures::failed_at)
        .load(conn)?;
    Ok(block_end(&newest_first, now))
}

/// Before a Checkout is started for the client of `req` (joining, giving): refuses a client
/// blocked after failed payments, then counts the Checkout against the client's limit
/// (`CheckoutLimits`). Answers the client's key, for the Checkout's metadata (`None` when the
/// client's address is unknown).
pub async fn admit(
    state: &AppState,
    req: &HttpRequest,
    json: bool,
    lang: Lang,
) -> Result<Option<String>, AppError> {
    let trusted = &state.settings.trusted_proxies;
    let client = client_ip(req, trusted).map(client_key);
    if let Some(key) = client.clone() {
        let until = state
            .db
            .read(move |c| blocked_until(c, &key, db::now()))
            .await
            .map_err(|e| AppError::from(e).json(json))?;
        if let Some(until) = until {
            let wait = (until - db::now()).num_seconds().max(1);
            return Err(AppError::client(
                StatusCode::TOO_MANY_REQUESTS,
                "payments_blocked",
                lang.tr("limit-payments-blocked"),
            )
            .in_lang(lang)
            .retry_after(wait.unsigned_abs())
            .json(json));
        }
    }
    state
        .checkout_limits
        .check_client(req, trusted, json, lang)
        .await?;
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minute * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn five_failures_within_the_hour_block_until_the_oldest_is_an_hour_old() {
        let times: Vec<_> = [50, 40, 30, 20, 10, 0].map(at).to_vec();
        assert_eq!(block_end(&times[..4], at(55)), None, "four do not block");
        assert_eq!(block_end(&times[..5], at(55)), Some(at(70)));
        assert_eq!(
            block_end(&times, at(55)),
            Some(at(70)),
            "the last five count"
        );
        assert_eq!(block_end(&times[..5], at(70)), None, "the block ends");
    }

    #[test]
    fn a_client_is_its_address_hashed_and_an_ipv6_client_its_network() {
        let v4 = client_key("203.0.113.7".parse().unwrap());
        assert_eq!(v4.len(), 32);
        assert!(!v4.contains("203"));
        assert_ne!(v4, client_key("203.0.113.8".parse().unwrap()));
        assert_eq!(
            client_key("2001:db8:1:2::1".parse().unwrap()),
            client_key("2001:db8:1:2:ffff::9".parse().unwrap())
        );
        assert_ne!(
            client_key("2001:db8:1:2::1".parse().unwrap()),
            client_key("2001:db8:1:3::1".parse().unwrap())
        );
    }

    #[test]
    fn the_failures_stripe_reports_are_read_from_the_event() {
        let intent = json!({
            "id": "evt_1", "type": "payment_intent.payment_failed",
            "data": {"object": {
                "amount": 500, "currency": "eur",
                "metadata": {"memberdrive_client": "k", "memberdrive_campaign": "3"},
                "last_payment_error": {"code": "card_declined", "decline_code": "stolen_card"},
            }},
        });
        assert_eq!(
            Failure::of_event(&intent),
            Some(Failure {
                event_id: "evt_1".into(),
                client: "k".into(),
                campaign: Some(3),
                amount: 500,
                currency: "eur".into(),
                reason: Some("stolen_card".into()),
            })
        );
        let first_invoice = json!({
            "id": "evt_2", "type": "invoice.payment_failed",
            "data": {"object": {
                "amount_due": 900, "currency": "eur", "billing_reason": "subscription_create",
                "parent": {"subscription_details": {"metadata": {"memberdrive_client": "k"}}},
            }},
        });
        assert_eq!(
            Failure::of_event(&first_invoice).map(|f| (f.amount, f.reason)),
            Some((900, None))
        );
        let mut renewal = first_invoice.clone();
        renewal["data"]["object"]["billing_reason"] = json!("subscription_cycle");
        assert_eq!(
            Failure::of_event(&renewal),
            None,
            "a member's renewal is no card test"
        );
        let mut unknown = intent.clone();
        unknown["data"]["object"]["metadata"] = json!({"memberdrive_campaign": "3"});
        assert_eq!(
            Failure::of_event(&unknown),
            None,
            "no client, nothing to block"
        );
    }
}
