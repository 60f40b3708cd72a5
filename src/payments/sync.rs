//! Brings our state in line with Stripe's current objects. Webhook processing and
//! reconciliation both end here, so they can never disagree about what an object means.
//! Each function is idempotent: applying the same Stripe state twice changes nothing more.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use stripe_shared::{
    Charge, CheckoutSession, CheckoutSessionMode, Invoice, RecurringInterval, Subscription,
};

use super::client::{StripeApi, job_error};
use super::notices::{email_context, queue, tier_of};
use super::{dunning, meta};
use crate::campaigns::board::ProgressBoard;
use crate::campaigns::progress;
use crate::config::{MemberSettings, Settings};
use crate::db::schema::{members, memberships};
use crate::db::{self, Db, DbConnection, DbError};
use crate::domain::{
    AppealVariant, BillingInterval, EmailAddress, EventType, MembershipStatus, Unknown,
};
use crate::email::templates::Notice;
use crate::gifts;
use crate::i18n::Lang;
use crate::jobs::worker::JobError;
use crate::members::{
    ChargeState, Member, PaymentRecord, SubscriptionState, apply_charge, apply_payment,
    apply_subscription, holds,
};
use crate::webhooks::{self, data};

/// What syncing needs: Stripe, the database, and who to tell.
pub struct Syncer {
    /// Stripe.
    pub api: Arc<StripeApi>,
    /// Our state.
    pub db: Db,
    /// Links in emails.
    pub settings: Arc<Settings>,
    /// Told when a count may have moved.
    pub board: Arc<ProgressBoard>,
    /// Told when emails were queued.
    pub outbox: Arc<tokio::sync::Notify>,
}

/// What a join put on its Stripe objects, if they are ours.
#[derive(Debug, Clone)]
pub struct Ours {
    /// Campaign id.
    pub campaign: i32,
    /// The chosen tier, if any.
    pub tier: Option<i32>,
    /// The article that sent the reader, if any.
    pub ref_url: Option<String>,
    /// The reader's language.
    pub lang: Lang,
    /// The appeal's variant the reader saw, if any.
    pub variant: Option<AppealVariant>,
}

impl Ours {
    /// Reads our metadata; `None` for objects of other products on the same account.
    pub fn from(metadata: Option<&HashMap<String, String>>) -> Option<Ours> {
        let metadata = metadata?;
        Some(Ours {
            campaign: metadata.get(meta::CAMPAIGN)?.parse().ok()?,
            tier: metadata.get(meta::TIER).and_then(|t| t.parse().ok()),
            ref_url: metadata.get(meta::REF).cloned(),
            variant: metadata.get(meta::VARIANT).and_then(|v| v.parse().ok()),
            lang: metadata
                .get(meta::LANG)
                .map(|l| Lang::from_code(l))
                .unwrap_or_default(),
        })
    }
}

fn time(ts: i64) -> NaiveDateTime {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .naive_utc()
}

/// The membership state a Stripe subscription describes; an error for a status this version
/// of the API does not have, rather than a membership nothing would understand.
pub fn subscription_state(
    sub: &Subscription,
    ours: &Ours,
    member_id: i32,
) -> Result<SubscriptionState, Unknown> {
    let item = sub.items.data.first();
    let price = item.map(|i| &i.price);
    Ok(SubscriptionState {
        stripe_subscription_id: sub.id.to_string(),
        member_id,
        campaign_id: ours.campaign,
        tier_id: ours.tier,
        interval: match price
            .and_then(|p| p.recurring.as_ref())
            .map(|r| &r.interval)
        {
            Some(RecurringInterval::Year) => BillingInterval::Year,
            _ => BillingInterval::Month,
        },
        amount: price.and_then(|p| p.unit_amount).unwrap_or(0)
            * item.and_then(|i| i.quantity).unwrap_or(1) as i64,
        currency: sub.currency.to_string(),
        status: sub.status.as_str().parse()?,
        cancel_at_period_end: sub.cancel_at_period_end || sub.cancel_at.is_some(),
        current_period_end: item.map(|i| time(i.current_period_end)),
        ref_url: ours.ref_url.clone(),
        appeal_variant: ours.variant,
        // Paused with no date to resume (from Stripe's dashboard): until further notice.
        paused_until: sub.pause_collection.as_ref().map(|p| {
            p.resumes_at.map(time).unwrap_or_else(|| {
                chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .expect("a date")
            })
        }),
    })
}

/// What completing a Checkout Session came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completed {
    /// Not one of ours (no campaign in its metadata).
    NotOurs,
    /// A gift (whether it was applied).
    Gift(bool),
    /// A membership or donation of `member` (whether it was applied).
    Member {
        /// The member it belongs to.
        member: i32,
        /// Whether it was applied.
        applied: bool,
    },
}

impl Syncer {
    fn account_url(&self) -> String {
        self.settings.public_url("/account")
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, JobError> {
        let out = self
            .db
            .write(move |conn| -> Result<T, DbError> { Ok(f(conn)?) })
            .await?;
        self.board.poke();
        self.outbox.notify_one();
        Ok(out)
    }

    /// Applies a subscription's current state; `false` when it is not ours.
    pub async fn subscription(&self, id: &str) -> Result<bool, JobError> {
        self.subscription_of(id, None).await
    }

    /// Applies a subscription's current state to `member`, or (`None`) to the member
    /// [`Syncer::member_of`] finds; `false` when it is not ours.
    async fn subscription_of(&self, id: &str, member: Option<i32>) -> Result<bool, JobError> {
        let sub = self.api.subscription(id).await.map_err(job_error)?;
        let Some(ours) = Ours::from(Some(&sub.metadata)) else {
            return Ok(false);
        };
        let member = match member {
            Some(member) => member,
            None => self.member_of(&sub, ours.lang).await?,
        };
        let account_url = self.account_url();
        let sub_id = sub.id.to_string();
        let latest_invoice = sub
            .latest_invoice
            .as_ref()
            .and_then(|i| i.id().as_ref().map(|id| id.to_string()));
        let state = subscription_state(&sub, &ours, member)
            .map_err(|e| JobError::permanent(format!("subscription {sub_id}: {e}")))?;
        // Most syncs find what an earlier one stored: they read, and take no turn at the
        // campaign's count.
        let known = state.clone();
        if self.db.read(move |c| holds(c, &known)).await? {
            return Ok(true);
        }
        self.write(move |conn| {
            // The campaign's turn first, so `before` is the state the change is made to.
            progress::lock(conn, state.campaign_id)?;
            let before: Option<(MembershipStatus, bool)> = memberships::table
                .filter(memberships::stripe_subscription_id.eq(&sub_id))
                .select((memberships::status, memberships::cancel_at_period_end))
                .first(conn)
                .optional()?;
            apply_subscription(conn, &state)?;
            // Cancelled (at period end, or ended): tell the member once.
            let canceled = MembershipStatus::Canceled;
            let cancelled_now = state.cancel_at_period_end || state.status == canceled;
            let cancelled_before =
                before.is_some_and(|(status, at_end)| at_end || status == canceled);
            // Cancelled or given up: no more asking for the payment of its last invoice.
            if cancelled_now || state.status.has_ended() {
                if let Some(invoice) = &latest_invoice {
                    dunning::settled(conn, invoice, db::now())?;
                }
            }
            if cancelled_now && !cancelled_before {
                let (to, lang, _) = email_context(conn, state.member_id, state.campaign_id)?;
                let until = (state.status != canceled)
                    .then(|| state.current_period_end.map(|t| t.date().to_string()))
                    .flatten();
                queue(
                    conn,
                    &format!("cancelled:{sub_id}"),
                    &to,
                    &Notice::cancelled(lang, until.as_deref(), &account_url),
                )?;
                // A member may resume and cancel again: each cancellation is an event.
                let now = db::now();
                let cause = format!("{sub_id}:{}", now.and_utc().timestamp_micros());
                let ends_at = match state.status {
                    MembershipStatus::Canceled => Some(now),
                    _ => state.current_period_end,
                };
                webhooks::emit(conn, EventType::MemberCancelled, &cause, now, |c| {
                    let extra = serde_json::json!({ "ends_at": ends_at.map(db::rfc3339) });
                    data::subscription_membership(c, &sub_id, extra)
                })?;
            }
            Ok(true)
        })
        .await
    }

    /// Records an invoice's payment (or tells the member it failed); `false` when it is not a
    /// subscription invoice of ours.
    pub async fn invoice(&self, id: &str) -> Result<bool, JobError> {
        let invoice = self.api.invoice(id).await.map_err(job_error)?;
        let details = invoice
            .parent
            .as_ref()
            .and_then(|p| p.subscription_details.as_ref());
        let Some(sub_id) = details.map(|d| d.subscription.id().to_string()) else {
            return Ok(false);
        };
        if Ours::from(details.and_then(|d| d.metadata.as_ref())).is_none() {
            return Ok(false);
        }
        // The membership may not be known yet (events arrive in any order): sync it first.
        if !self.subscription(&sub_id).await? {
            return Ok(false);
        }
        let charge = match invoice_payment_intent(&invoice) {
            Some(_)
                if invoice
                    .status
                    .as_ref()
                    .is_some_and(|s| s.as_str() == "paid") =>
            {
                self.charge_of_invoice(&invoice).await?
            }
            _ => None,
        };
        let account_url = self.account_url();
        let notices = self.settings.members.clone();
        self.write(move |conn| {
            record_invoice(
                conn,
                &invoice,
                &sub_id,
                charge.as_ref(),
                &account_url,
                &notices,
            )
        })
        .await
    }

    /// The charge an invoice's payment made, for its refund state (a refund may have been
    /// processed before the invoice was).
    async fn charge_of_invoice(&self, invoice: &Invoice) -> Result<Option<Charge>, JobError> {
        let payments = invoice
            .payments
            .as_ref()
            .map(|p| p.data.as_slice())
            .unwrap_or_default();
        if let Some(charge) = payments.iter().find_map(|p| p.payment.charge.as_ref()) {
            return self
                .api
                .charge(charge.id().as_str())
                .await
                .map(Some)
                .map_err(job_error);
        }
        match invoice_payment_intent(invoice) {
            Some(intent) => self.api.latest_charge(&intent).await.map_err(job_error),
            None => Ok(None),
        }
    }

    /// The member a subscription of ours belongs to: the one its membership names, else the
    /// one its customer is attached to, else the customer's address as a member (a
    /// subscription exists only once its Checkout completed, so the address was given; this
    /// is how a subscription processed before its checkout, or a second one on another
    /// customer, finds its member).
    async fn member_of(&self, sub: &Subscription, lang: Lang) -> Result<i32, JobError> {
        let (sub_id, customer) = (sub.id.to_string(), sub.customer.id().to_string());
        let known = customer.clone();
        let found: Option<i32> = self
            .db
            .read(move |c| {
                let by_membership = memberships::table
                    .filter(memberships::stripe_subscription_id.eq(&sub_id))
                    .select(memberships::member_id)
                    .first(c)
                    .optional()?;
                match by_membership {
                    Some(member) => Ok(Some(member)),
                    None => members::table
                        .filter(members::stripe_customer_id.eq(&known))
                        .select(members::id)
                        .first(c)
                        .optional(),
                }
            })
            .await?;
        if let Some(member) = found {
            return Ok(member);
        }
        let email = self
            .api
            .customer_email(&customer)
            .await
            .map_err(job_error)?;
        let email = address(email.as_deref(), &customer)?;
        self.write(move |c| Member::for_checkout(c, &email, lang.code(), Some(&customer)))
            .await
    }

    /// Completes a checkout (the `checkout.session.completed` job): whether it was ours.
    pub async fn checkout(&self, id: &str) -> Result<bool, JobError> {
        Ok(match self.complete_checkout(id).await? {
            Completed::NotOurs => false,
            Completed::Gift(applied) | Completed::Member { applied, .. } => applied,
        })
    }

    /// Completes a checkout: makes (or finds) the member from the address the reader gave
    /// Checkout, then records the subscription it started or the donation it paid. Applying
    /// it again (the webhook's job after the thank-you page, or the other way round) changes
    /// nothing more.
    pub async fn complete_checkout(&self, id: &str) -> Result<Completed, JobError> {
        let session = self.api.checkout_session(id).await.map_err(job_error)?;
        let Some(ours) = Ours::from(session.metadata.as_ref()) else {
            return Ok(Completed::NotOurs);
        };
        if let Some(order) = session
            .metadata
            .as_ref()
            .and_then(|m| gifts::Order::from(m, ours.tier))
        {
            return Ok(Completed::Gift(self.gift(session, ours, order).await?));
        }
        let given = session
            .customer_details
            .as_ref()
            .and_then(|d| d.email.clone())
            .or_else(|| session.customer_email.clone());
        let email = address(given.as_deref(), id)?;
        let customer = session.customer.as_ref().map(|c| c.id().to_string());
        let lang = ours.lang;
        let member = self
            .write(move |c| Member::for_checkout(c, &email, lang.code(), customer.as_deref()))
            .await?;
        let applied = match session.mode {
            CheckoutSessionMode::Subscription => match session.subscription.as_ref() {
                Some(sub) => self.subscription_of(sub.id().as_str(), Some(member)).await,
                None => Ok(true), // not paid yet: the subscription events will follow
            },
            _ => {
                let charge = match session.payment_intent.as_ref() {
                    Some(intent) => self
                        .api
                        .latest_charge(intent.id().as_str())
                        .await
                        .map_err(job_error)?,
                    None => None,
                };
                let account_url = self.account_url();
                self.write(move |conn| {
                    record_donation(conn, &session, charge.as_ref(), &ours, member, &account_url)
                })
                .await
            }
        }?;
        Ok(Completed::Member { member, applied })
    }

    /// A paid gift: recorded with its receipt and scheduled delivery (the buyer becomes no
    /// member); nothing before it is paid.
    async fn gift(
        &self,
        session: CheckoutSession,
        ours: Ours,
        order: gifts::Order,
    ) -> Result<bool, JobError> {
        if session.payment_status.as_str() != "paid" {
            return Ok(true);
        }
        let given = session
            .customer_details
            .as_ref()
            .and_then(|d| d.email.clone())
            .or_else(|| session.customer_email.clone());
        let buyer = address(given.as_deref(), session.id.as_str())?;
        let purchase = gifts::Purchase {
            campaign: ours.campaign,
            order,
            buyer: buyer.as_str().to_owned(),
            lang: ours.lang,
            amount: session.amount_total.unwrap_or(0),
            currency: session
                .currency
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "eur".into()),
            checkout_session: session.id.to_string(),
            payment_intent: session
                .payment_intent
                .as_ref()
                .map(|pi| pi.id().to_string()),
        };
        let settings = self.settings.clone();
        self.write(move |conn| gifts::record(conn, &settings, &purchase, db::now()))
            .await?;
        Ok(true)
    }

    /// Applies a charge's refunds and disputes (to a payment, or to a gift); `false` when the
    /// charge is not ours (yet: a later invoice or checkout sync reads the charge again).
    pub async fn charge(&self, id: &str, dispute_status: Option<String>) -> Result<bool, JobError> {
        let charge = self.api.charge(id).await.map_err(job_error)?;
        let state = charge_state(&charge, dispute_status);
        self.write(move |conn| {
            if apply_charge(conn, &state)?.is_some() {
                return Ok(true);
            }
            match &state.payment_intent_id {
                Some(intent) => gifts::refunded(
                    conn,
                    intent,
                    state.amount_refunded,
                    state.dispute_status.as_deref() == Some("lost"),
                    db::now(),
                ),
                None => Ok(false),
            }
        })
        .await
    }

    /// Applies a dispute to its charge.
    pub async fn dispute(&self, id: &str) -> Result<bool, JobError> {
        let dispute = self.api.dispute(id).await.map_err(job_error)?;
        self.charge(
            dispute.charge.id().as_str(),
            Some(dispute.status.as_str().to_owned()),
        )
        .await
    }
}

fn invoice_payment_intent(invoice: &Invoice) -> Option<String> {
    let payments = invoice.payments.as_ref()?;
    payments.data.iter().find_map(|p| {
        p.payment
            .payment_intent
            .as_ref()
            .map(|pi| pi.id().to_string())
    })
}

fn charge_state(charge: &Charge, dispute_status: Option<String>) -> ChargeState {
    ChargeState {
        charge_id: charge.id.to_string(),
        payment_intent_id: charge.payment_intent.as_ref().map(|pi| pi.id().to_string()),
        amount_refunded: charge.amount_refunded,
        dispute_status,
    }
}

/// The address Checkout collected, parsed; a permanent failure (kept for staff) when Stripe
/// gave none we can write to.
fn address(given: Option<&str>, object: &str) -> Result<EmailAddress, JobError> {
    given
        .and_then(EmailAddress::parse)
        .ok_or_else(|| JobError::permanent(format!("{object} has no usable email address")))
}

fn record_invoice(
    conn: &mut DbConnection,
    invoice: &Invoice,
    sub_id: &str,
    charge: Option<&Charge>,
    account_url: &str,
    notices: &MemberSettings,
) -> QueryResult<bool> {
    type Row = (i32, i32, i32, BillingInterval, MembershipStatus, bool);
    let (membership_id, member_id, campaign_id, interval, status, cancelling): Row =
        memberships::table
            .filter(memberships::stripe_subscription_id.eq(sub_id))
            .select((
                memberships::id,
                memberships::member_id,
                memberships::campaign_id,
                memberships::billing_interval,
                memberships::status,
                memberships::cancel_at_period_end,
            ))
            .first(conn)?;
    let invoice_id = invoice
        .id
        .as_ref()
        .map(|i| i.to_string())
        .unwrap_or_default();
    let (to, lang, title) = email_context(conn, member_id, campaign_id)?;
    let amount = lang.money(
        invoice.amount_paid.max(invoice.amount_due),
        &invoice.currency.to_string(),
    );
    if invoice.status.as_ref().is_none_or(|s| s.as_str() != "paid") {
        // Voided or written off: nothing is asked for any more.
        if invoice
            .status
            .as_ref()
            .is_some_and(|s| matches!(s.as_str(), "void" | "uncollectible"))
        {
            dunning::settled(conn, &invoice_id, db::now())?;
            return Ok(true);
        }
        // Unpaid: a failed attempt (open, attempted) starts the emails asking for the payment,
        // unless the membership is ending anyway (then they were withdrawn, or never due).
        if invoice.attempted && !status.has_ended() && !cancelling {
            let due = dunning::Due {
                to: &to,
                lang,
                amount: &amount,
                account_url,
            };
            if dunning::failed(conn, &invoice_id, &due, notices, db::now())? {
                let amount_due = invoice.amount_due;
                let currency = invoice.currency.to_string();
                webhooks::emit(
                    conn,
                    EventType::MemberPaymentFailed,
                    &invoice_id,
                    db::now(),
                    |c| {
                        let extra = serde_json::json!({
                            "stripe_invoice_id": invoice_id,
                            "amount_due": amount_due,
                            "currency": currency,
                        });
                        data::membership(c, membership_id, extra)
                    },
                )?;
            }
        }
        return Ok(true);
    }
    dunning::settled(conn, &invoice_id, db::now())?;
    let paid_at = invoice
        .status_transitions
        .paid_at
        .map(time)
        .unwrap_or_else(db::now);
    let charge_state = charge.map(|c| charge_state(c, None));
    let record = PaymentRecord {
        member_id,
        campaign_id,
        membership_id: Some(membership_id),
        amount: invoice.amount_paid,
        amount_refunded: charge_state.as_ref().map_or(0, |c| c.amount_refunded),
        currency: invoice.currency.to_string(),
        status: "succeeded".into(),
        dispute_status: None,
        stripe_invoice_id: Some(invoice_id.clone()),
        stripe_payment_intent_id: invoice_payment_intent(invoice),
        stripe_charge_id: charge_state.as_ref().map(|c| c.charge_id.clone()),
        paid_at,
        ref_url: None,
    };
    apply_payment(conn, &record)?;
    let date = paid_at.date().to_string();
    queue(
        conn,
        &format!("receipt:{invoice_id}"),
        &to,
        &Notice::receipt(lang, &amount, &date, interval, account_url),
    )?;
    let tier = tier_of(conn, membership_id, lang)?;
    let welcomed = queue(
        conn,
        &format!("welcome:{member_id}:{campaign_id}"),
        &to,
        &Notice::welcome(lang, &title, tier.as_deref(), account_url),
    )?;
    // The welcome's key is kept for good: a membership joins once, however often its
    // invoices are applied again.
    if welcomed {
        webhooks::emit(conn, EventType::MemberJoined, sub_id, db::now(), |c| {
            let extra = serde_json::json!({ "stripe_invoice_id": invoice_id });
            data::membership(c, membership_id, extra)
        })?;
    }
    Ok(true)
}

fn record_donation(
    conn: &mut DbConnection,
    session: &CheckoutSession,
    charge: Option<&Charge>,
    ours: &Ours,
    member: i32,
    account_url: &str,
) -> QueryResult<bool> {
    if session.payment_status.as_str() != "paid" {
        return Ok(true); // async payment pending or failed: nothing was received
    }
    let Some(intent) = session
        .payment_intent
        .as_ref()
        .map(|pi| pi.id().to_string())
    else {
        return Ok(true);
    };
    let (to, lang, title) = email_context(conn, member, ours.campaign)?;
    let amount = session.amount_total.unwrap_or(0);
    let currency = session
        .currency
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "eur".into());
    let charge_state = charge.map(|c| charge_state(c, None));
    let record = PaymentRecord {
        member_id: member,
        campaign_id: ours.campaign,
        membership_id: None,
        amount,
        amount_refunded: charge_state.as_ref().map_or(0, |c| c.amount_refunded),
        currency: currency.clone(),
        status: "succeeded".into(),
        dispute_status: None,
        stripe_invoice_id: None,
        stripe_payment_intent_id: Some(intent.clone()),
        stripe_charge_id: charge_state.as_ref().map(|c| c.charge_id.clone()),
        paid_at: db::now(),
        ref_url: ours.ref_url.clone(),
    };
    apply_payment(conn, &record)?;
    let date = db::now().date().to_string();
    let money = lang.money(amount, &currency);
    // The receipt's key is kept for good: a donation is received once.
    if queue(
        conn,
        &format!("receipt:{intent}"),
        &to,
        &Notice::receipt(lang, &money, &date, BillingInterval::Once, account_url),
    )? {
        webhooks::emit(conn, EventType::DonationReceived, &intent, db::now(), |c| {
            let extra = serde_json::json!({
                "donation": {
                    "amount": amount,
                    "currency": currency,
                    "stripe_payment_intent_id": intent,
                    "article": ours.ref_url,
                },
            });
            data::member(c, member, ours.campaign, extra)
        })?;
    }
    queue(
        conn,
        &format!("welcome:{member}:{}", ours.campaign),
        &to,
        &Notice::welcome(lang, &title, None, account_url),
    )?;
    Ok(true)
}
