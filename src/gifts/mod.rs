//! Gift memberships. Anyone buys 1, 3, 6 or 12 months of a tier for someone else in one
//! Checkout payment (`/gift`). Nothing is stored until Stripe says it was paid: then the gift
//! is recorded with its buyer's receipt and a delivery email scheduled for the chosen date,
//! carrying a single-use redeem link (only its hash is kept). Redeeming needs no card: it
//! makes the recipient a member of the campaign until the gift ends (a membership that is
//! cancelled at period end, so it counts until then and no longer), tells the buyer, and
//! schedules a note a week before the end asking whether to go on with a card. A gift not
//! redeemed within a year of its delivery expires. Paid gifts count toward an amount goal, net
//! of refunds.

pub mod form;
pub mod redeem;
pub mod staff;

use chrono::{Duration, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::campaigns::progress;
use crate::config::Settings;
use crate::db::schema::{campaigns, gifts, memberships, tiers};
use crate::db::{DbConnection, on_backend};
use crate::domain::MembershipStatus;
use crate::email;
use crate::email::templates::Notice;
use crate::i18n::Lang;
use crate::jobs;
use crate::tokens;

/// The lengths a gift can have, in months.
pub const MONTHS: [i32; 4] = [1, 3, 6, 12];
/// A gift not redeemed this long after it was delivered has expired.
pub const REDEEM_WITHIN: Duration = Duration::days(365);
/// How long before a redeemed gift ends its member is asked to go on with a card.
pub const REMIND_BEFORE: Duration = Duration::days(7);
/// The longest message a buyer may write (a Stripe metadata value holds 500 characters).
pub const MAX_MESSAGE: usize = 500;
/// The hour (UTC) of the delivery date at which the gift email goes out.
const DELIVERY_HOUR: u32 = 8;

/// What a buyer chose, as carried through Checkout's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The tier given.
    pub tier: i32,
    /// How long.
    pub months: i32,
    /// Who gets it.
    pub recipient: String,
    /// The buyer's message.
    pub message: String,
    /// When it is delivered (a day).
    pub deliver_on: chrono::NaiveDate,
}

/// Checkout metadata keys of a gift (beside the campaign and language of every purchase).
pub mod meta {
    /// The number of months; its presence marks a gift.
    pub const MONTHS: &str = "memberdrive_gift_months";
    /// The recipient's address.
    pub const RECIPIENT: &str = "memberdrive_gift_recipient";
    /// The buyer's message.
    pub const MESSAGE: &str = "memberdrive_gift_message";
    /// The delivery day, `YYYY-MM-DD`.
    pub const DELIVER_ON: &str = "memberdrive_gift_deliver_on";
}

impl Order {
    /// The gift a Checkout Session's metadata describes; `None` for a session that is not a
    /// gift.
    pub fn from(
        metadata: &std::collections::HashMap<String, String>,
        tier: Option<i32>,
    ) -> Option<Order> {
        let months: i32 = metadata.get(meta::MONTHS)?.parse().ok()?;
        Some(Order {
            tier: tier?,
            months: MONTHS.contains(&months).then_some(months)?,
            recipient: metadata.get(meta::RECIPIENT)?.clone(),
            message: metadata.get(meta::MESSAGE).cloned().unwrap_or_default(),
            deliver_on: metadata.get(meta::DELIVER_ON)?.parse().ok()?,
        })
    }

    /// The metadata that carries it.
    pub fn metadata(&self) -> [(String, String); 4] {
        [
            (meta::MONTHS.into(), self.months.to_string()),
            (meta::RECIPIENT.into(), self.recipient.clone()),
            (meta::MESSAGE.into(), self.message.clone()),
            (meta::DELIVER_ON.into(), self.deliver_on.to_string()),
        ]
    }
}

/// A paid Checkout Session for a gift.
#[derive(Debug, Clone)]
pub struct Purchase {
    /// The campaign.
    pub campaign: i32,
    /// What was bought.
    pub order: Order,
    /// The buyer's address, as Checkout collected it.
    pub buyer: String,
    /// The buyer's language (of every email about the gift).
    pub lang: Lang,
    /// Paid, in minor units.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// The session's id: one gift per session, however often its event comes.
    pub checkout_session: String,
    /// Its payment intent (refunds find the gift by it).
    pub payment_intent: Option<String>,
}

/// Records a paid gift, its buyer's receipt and its scheduled delivery, in the caller's
/// transaction. A session already recorded changes nothing. Returns whether it was new.
pub fn record(
    conn: &mut DbConnection,
    settings: &Settings,
    purchase: &Purchase,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    // The count's turn first, as every transaction that changes one takes it.
    progress::lock(conn, purchase.campaign)?;
    let secret = tokens::random_secret();
    let order = &purchase.order;
    // A gift for today goes at once; one for a later day in that day's morning.
    let deliver_at = if order.deliver_on <= now.date() {
        now
    } else {
        order
            .deliver_on
            .and_time(NaiveTime::from_hms_opt(DELIVERY_HOUR, 0, 0).expect("an hour"))
    };
    let insert = diesel::insert_into(gifts::table)
        .values((
            (
                gifts::campaign_id.eq(purchase.campaign),
                gifts::tier_id.eq(order.tier),
                gifts::months.eq(order.months),
                gifts::amount.eq(purchase.amount),
                gifts::currency.eq(&purchase.currency),
                gifts::buyer_email.eq(&purchase.buyer),
                gifts::recipient_email.eq(&order.recipient),
                gifts::message.eq(&order.message),
            ),
            (
                gifts::lang.eq(purchase.lang.code()),
                gifts::deliver_on.eq(deliver_at),
                gifts::token_hash.eq(tokens::hash_of(&secret)),
                gifts::stripe_checkout_session_id.eq(&purchase.checkout_session),
                gifts::stripe_payment_intent_id.eq(purchase.payment_intent.as_deref()),
                gifts::paid_at.eq(now),
                gifts::created_at.eq(now),
            ),
        ))
        .on_conflict(gifts::stripe_checkout_session_id)
        .do_nothing()
        .returning(gifts::id);
    let Some(id) = on_backend!(conn, |c| insert.get_result::<i32>(c).optional()?) else {
        return Ok(false);
    };
    let (tier, outlet) = names(conn, order.tier, purchase.campaign, purchase.lang)?;
    let lang = purchase.lang;
    let money = lang.money(purchase.amount, &purchase.currency);
    let receipt = Notice::gift_receipt(
        lang,
        &money,
        &order.recipient,
        &order.deliver_on.to_string(),
        &settings.public_url(&format!("/gift?lang={}", lang.code())),
    );
    queue(
        conn,
        &format!("gift-receipt:{id}"),
        &purchase.buyer,
        &receipt,
        now,
    )?;
    let delivery = Notice::gift(
        lang,
        &purchase.buyer,
        &tier,
        &outlet,
        order.months,
        &order.message,
        &settings.public_url(&format!("/gift/redeem?token={secret}&lang={}", lang.code())),
    );
    queue(
        conn,
        &format!("gift-delivery:{id}"),
        &order.recipient,
        &delivery,
        deliver_at,
    )?;
    progress::refresh(conn, purchase.campaign, now)?;
    Ok(true)
}

/// A tier's name and the campaign's title in `lang`, for emails and pages.
fn names(
    conn: &mut DbConnection,
    tier: i32,
    campaign: i32,
    lang: Lang,
) -> QueryResult<(String, String)> {
    let tier: String = tiers::table
        .find(tier)
        .select(tiers::name)
        .first(conn)
        .optional()?
        .unwrap_or_default();
    let row: crate::campaigns::Campaign = campaigns::table
        .find(campaign)
        .select(crate::campaigns::Campaign::as_select())
        .first(conn)?;
    let texts = crate::campaigns::texts::Translations::of(conn, campaign)?;
    Ok((tier, texts.title(&row, lang).to_owned()))
}

/// Queues `notice` to `to` under `key`, to go out at `at`.
fn queue(
    conn: &mut DbConnection,
    key: &str,
    to: &str,
    notice: &Notice,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let message = email::render(conn, notice, to)?;
    email::queue_at(conn, key, &message, at)
}

/// Applies a refund of the gift paid by `payment_intent` (`amount_refunded` in all; a dispute
/// the outlet lost takes it all back, as a refund in full would); `false`
/// when no gift was paid by it. A gift refunded in full is withdrawn: its emails still to go
/// out are not sent, it can no longer be redeemed, and a membership it started ends now.
pub fn refunded(
    conn: &mut DbConnection,
    payment_intent: &str,
    amount_refunded: i64,
    dispute_lost: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let paid_by = gifts::table.filter(gifts::stripe_payment_intent_id.eq(payment_intent));
    let campaign: Option<i32> = paid_by.select(gifts::campaign_id).first(conn).optional()?;
    let Some(campaign) = campaign else {
        return Ok(false);
    };
    // The count's turn first, then the gift: a redemption committed meanwhile is seen.
    progress::lock(conn, campaign)?;
    let (id, amount, membership): (i32, i64, Option<i32>) = paid_by
        .select((gifts::id, gifts::amount, gifts::membership_id))
        .first(conn)?;
    let amount_refunded = if dispute_lost {
        amount
    } else {
        amount_refunded
    };
    diesel::update(gifts::table.find(id))
        .set(gifts::amount_refunded.eq(amount_refunded))
        .execute(conn)?;
    if amount_refunded >= amount {
        for key in [format!("gift-delivery:{id}"), format!("gift-ending:{id}")] {
            jobs::withdraw(conn, &key, now)?;
        }
        if let Some(membership) = membership {
            diesel::update(
                memberships::table
                    .find(membership)
                    .filter(memberships::ended_at.is_null()),
            )
            .set((
                memberships::status.eq(MembershipStatus::Canceled),
                memberships::current_period_end.eq(now),
                memberships::ended_at.eq(now),
                memberships::updated_at.eq(now),
            ))
            .execute(conn)?;
            diesel::update(gifts::table.find(id))
                .set(gifts::ends_at.eq(now))
                .execute(conn)?;
        }
    }
    progress::refresh(conn, campaign, now)?;
    Ok(true)
}

/// Where a gift stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Paid; its email goes out on its date.
    Scheduled,
    /// Its email went out (or is going out); not redeemed yet.
    Delivered,
    /// Redeemed into a membership.
    Redeemed,
    /// Not redeemed within a year.
    Expired,
    /// Refunded in full: it cannot be redeemed, and a membership it started has ended.
    Refunded,
}

impl Stage {
    /// The stage of a gift at `now`.
    pub fn of(
        deliver_on: NaiveDateTime,
        redeemed: bool,
        refunded_in_full: bool,
        now: NaiveDateTime,
    ) -> Stage {
        if refunded_in_full {
            Stage::Refunded
        } else if redeemed {
            Stage::Redeemed
        } else if now > deliver_on + REDEEM_WITHIN {
            Stage::Expired
        } else if now >= deliver_on {
            Stage::Delivered
        } else {
            Stage::Scheduled
        }
    }

    /// Its message id in `locales/*.ftl`.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Scheduled => "gift-stage-scheduled",
            Stage::Delivered => "gift-stage-delivered",
            Stage::Redeemed => "gift-stage-redeemed",
            Stage::Expired => "gift-stage-expired",
            Stage::Refunded => "gift-stage-refunded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_travels_through_metadata_and_back() {
        let order = Order {
            tier: 7,
            months: 6,
            recipient: "olena@readers.example".into(),
            message: "З днем народження!".into(),
            deliver_on: "2026-12-24".parse().unwrap(),
        };
        let metadata = order.metadata().into_iter().collect();
        assert_eq!(Order::from(&metadata, Some(7)), Some(order.clone()));
        assert_eq!(Order::from(&metadata, None), None, "a gift names its tier");
        let mut odd = metadata.clone();
        odd.insert(meta::MONTHS.into(), "5".into());
        assert_eq!(Order::from(&odd, Some(7)), None);
        assert_eq!(Order::from(&Default::default(), Some(7)), None);
    }

    #[test]
    fn a_gift_moves_through_its_stages() {
        let at = |d: &str| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap()
        };
        let deliver = at("2026-12-24");
        assert_eq!(
            Stage::of(deliver, false, false, at("2026-12-02")),
            Stage::Scheduled
        );
        assert_eq!(
            Stage::of(deliver, false, false, at("2026-12-24")),
            Stage::Delivered
        );
        assert_eq!(
            Stage::of(deliver, true, false, at("2027-06-01")),
            Stage::Redeemed
        );
        assert_eq!(
            Stage::of(deliver, false, false, at("2027-12-02")),
            Stage::Delivered,
            "a year to redeem from the delivery, not from the payment"
        );
        assert_eq!(
            Stage::of(deliver, false, false, at("2027-12-25")),
            Stage::Expired
        );
        assert_eq!(
            Stage::of(deliver, true, true, at("2027-01-02")),
            Stage::Refunded
        );
    }
}
