//! Members, their memberships and payments: the source rows every campaign count comes from.
//!
//! Each write here begins by taking its campaign's turn ([`progress::lock`]) and ends by
//! recounting the campaign in the same transaction ([`progress::refresh`]), so the count
//! moves exactly when the rows do, and a rolled-back change moves nothing.

pub mod account;
pub mod cancel;
pub mod export;
pub mod import;
pub mod join;
pub mod pause;
pub mod reminders;
pub mod search;
pub mod sign_in;
pub mod staff;
pub mod statement;
pub mod thanks;

use chrono::NaiveDateTime;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::campaigns::progress;
use crate::db::schema::{members, memberships, payments};
use crate::db::{self, DbConnection, on_backend};
use crate::domain::{AppealVariant, BillingInterval, EmailAddress, MembershipStatus};

/// A member row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = members)]
pub struct Member {
    /// Row id.
    pub id: i32,
    /// Normalised address (unique).
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// `en` or `uk`.
    pub locale: String,
    /// Stripe customer (one per member).
    pub stripe_customer_id: Option<String>,
    /// Joined.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl Member {
    /// The member with this address, created if new: `INSERT … ON CONFLICT (email) DO
    /// NOTHING RETURNING` (`members_email_key` keeps addresses unique). A concurrent first
    /// join of the same address waits for the other to commit, then finds its row, where a
    /// look before inserting would have let both insert and one fail.
    pub fn find_or_create(
        conn: &mut DbConnection,
        email: &EmailAddress,
        locale: &str,
    ) -> QueryResult<Member> {
        let insert = diesel::insert_into(members::table)
            .values((
                members::email.eq(email.as_str()),
                members::locale.eq(locale),
                // To the microsecond on both databases (the thank-you page compares it with
                // when its Checkout began).
                members::created_at.eq(crate::db::now()),
            ))
            .on_conflict(members::email)
            .do_nothing();
        // The selection is typed per backend, so each arm builds its own.
        let created: Option<Member> = on_backend!(conn, |c| insert
            .returning(Member::as_returning())
            .get_result(c)
            .optional()?);
        match created {
            Some(member) => Ok(member),
            None => members::table
                .filter(members::email.eq(email.as_str()))
                .select(Member::as_select())
                .first(conn),
        }
    }

    /// The member a completed Checkout (or its subscription) belongs to: the one with this
    /// address, created if new, given this Stripe customer if it has none yet. Both writes
    /// decide in one statement (`ON CONFLICT (email)`, `WHERE stripe_customer_id IS NULL`),
    /// so two completions for the same new address at once make one member, whose customer
    /// is the first one attached; a member who paid twice keeps their first customer.
    pub fn for_checkout(
        conn: &mut DbConnection,
        email: &EmailAddress,
        locale: &str,
        customer: Option<&str>,
    ) -> QueryResult<i32> {
        let member = Member::find_or_create(conn, email, locale)?;
        if let Some(customer) = customer
            && member.stripe_customer_id.is_none()
        {
            diesel::update(
                members::table
                    .find(member.id)
                    .filter(members::stripe_customer_id.is_null()),
            )
            .set(members::stripe_customer_id.eq(customer))
            .execute(conn)?;
        }
        Ok(member.id)
    }
}

/// A subscription's state as Stripe reports it (or as an import states it).
#[derive(Debug, Clone)]
pub struct SubscriptionState {
    /// Stripe's subscription id, the idempotency key.
    pub stripe_subscription_id: String,
    /// Whose.
    pub member_id: i32,
    /// Which campaign it counts toward.
    pub campaign_id: i32,
    /// Chosen tier, if any.
    pub tier_id: Option<i32>,
    /// Monthly or yearly.
    pub interval: BillingInterval,
    /// Per interval, minor units.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// Stripe's status.
    pub status: MembershipStatus,
    /// Cancelled at the end of the current period.
    pub cancel_at_period_end: bool,
    /// End of the paid period.
    pub current_period_end: Option<NaiveDateTime>,
    /// The article that brought the member.
    pub ref_url: Option<String>,
    /// Payments paused until then (Stripe's `pause_collection`): not counted meanwhile.
    pub paused_until: Option<NaiveDateTime>,
    /// The appeal's variant the reader joined from, if any (kept from the first sync).
    pub appeal_variant: Option<AppealVariant>,
}

/// A membership row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    /// Row id.
    pub id: i32,
    /// Whose.
    pub member_id: i32,
    /// Which campaign.
    pub campaign_id: i32,
    /// Stripe's status (or `pending`).
    pub status: MembershipStatus,
    /// Cancelled at period end.
    pub cancel_at_period_end: bool,
    /// End of the paid period.
    pub current_period_end: Option<NaiveDateTime>,
    /// Stripe's id.
    pub stripe_subscription_id: Option<String>,
    /// When it ended (the first time Stripe reported an ended status).
    pub ended_at: Option<NaiveDateTime>,
    /// Payments paused until then.
    pub paused_until: Option<NaiveDateTime>,
}

/// Whether the membership of `state`'s subscription holds `state` already, every field that
/// [`apply_subscription`] would write the same: applying it again would write a new row
/// version and recount for nothing. Stripe sends the same state many times (each event of a
/// subscription and each of its invoices sync it; each may be delivered more than once).
pub fn holds(conn: &mut DbConnection, state: &SubscriptionState) -> QueryResult<bool> {
    let stored = memberships::table
        .filter(memberships::stripe_subscription_id.eq(&state.stripe_subscription_id))
        .select((
            memberships::member_id,
            memberships::campaign_id,
            memberships::tier_id,
            memberships::billing_interval,
            memberships::amount,
            memberships::currency,
            memberships::status,
            memberships::cancel_at_period_end,
            memberships::current_period_end,
            memberships::paused_until,
        ))
        .first::<(
            i32,
            i32,
            Option<i32>,
            BillingInterval,
            i64,
            String,
            MembershipStatus,
            bool,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
        )>(conn)
        .optional()?;
    Ok(stored.is_some_and(|stored| {
        stored
            == (
                state.member_id,
                state.campaign_id,
                state.tier_id,
                state.interval,
                state.amount,
                state.currency.clone(),
                state.status,
                state.cancel_at_period_end,
                state.current_period_end,
                state.paused_until,
            )
    }))
}

/// Records a subscription's current state and recounts its campaign, the campaign's
/// [`progress::lock`] first. One statement decides between a new row and an update (`INSERT …
/// ON CONFLICT (stripe_subscription_id) DO UPDATE`, on
/// `memberships_stripe_subscription_id_key`): where a look before inserting let two events of
/// one subscription both insert and one fail, they update one row. Applying the same state
/// twice changes nothing the second time.
pub fn apply_subscription(
    conn: &mut DbConnection,
    state: &SubscriptionState,
) -> QueryResult<Membership> {
    let now = db::now();
    progress::lock(conn, state.campaign_id)?;
    let ended_at = excluded(memberships::ended_at);
    let upsert = diesel::insert_into(memberships::table)
        .values((
            memberships::member_id.eq(state.member_id),
            memberships::campaign_id.eq(state.campaign_id),
            memberships::tier_id.eq(state.tier_id),
            memberships::billing_interval.eq(state.interval),
            memberships::amount.eq(state.amount),
            memberships::currency.eq(&state.currency),
            memberships::status.eq(state.status),
            memberships::cancel_at_period_end.eq(state.cancel_at_period_end),
            memberships::current_period_end.eq(state.current_period_end),
            memberships::stripe_subscription_id.eq(&state.stripe_subscription_id),
            memberships::ref_url.eq(&state.ref_url),
            memberships::appeal_variant.eq(state.appeal_variant),
            memberships::paused_until.eq(state.paused_until),
            memberships::started_at.eq(now),
            memberships::ended_at.eq(state.status.has_ended().then_some(now)),
        ))
        .on_conflict(memberships::stripe_subscription_id)
        .do_update()
        .set((
            memberships::tier_id.eq(state.tier_id),
            memberships::billing_interval.eq(state.interval),
            memberships::amount.eq(state.amount),
            memberships::currency.eq(&state.currency),
            memberships::status.eq(state.status),
            memberships::cancel_at_period_end.eq(state.cancel_at_period_end),
            memberships::current_period_end.eq(state.current_period_end),
            memberships::paused_until.eq(state.paused_until),
            // The end is when Stripe first reported it, not every later update.
            memberships::ended_at.eq(case_when(
                ended_at.is_not_null(),
                coalesce(memberships::ended_at, ended_at),
            )),
            memberships::updated_at.eq(now),
        ));
    // The selection is typed per backend, so each arm builds its own.
    let membership = on_backend!(conn, |c| upsert
        .returning(Membership::as_returning())
        .get_result(c)?);
    progress::refresh(conn, state.campaign_id, now)?;
    Ok(membership)
}

/// Money received, as Stripe reports it.
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    /// Whose.
    pub member_id: i32,
    /// Which campaign.
    pub campaign_id: i32,
    /// The membership an invoice paid for; `None` for a one-time donation.
    pub membership_id: Option<i32>,
    /// Minor units.
    pub amount: i64,
    /// Refunded so far, minor units.
    pub amount_refunded: i64,
    /// ISO currency.
    pub currency: String,
    /// `succeeded` or `failed`.
    pub status: String,
    /// Stripe's dispute status (`lost`, `won`, …), if disputed.
    pub dispute_status: Option<String>,
    /// The invoice, for subscription payments (the key when present).
    pub stripe_invoice_id: Option<String>,
    /// The payment intent (the key of a one-time donation).
    pub stripe_payment_intent_id: Option<String>,
    /// The charge.
    pub stripe_charge_id: Option<String>,
    /// When it was paid.
    pub paid_at: NaiveDateTime,
    /// The article that brought the payment.
    pub ref_url: Option<String>,
}

/// Records a payment's current state and recounts its campaign, the campaign's
/// [`progress::lock`] first. Returns the row id. A payment is known by any of its Stripe ids
/// (invoice, payment intent, charge; each unique): the insert does nothing when one is taken
/// (`ON CONFLICT DO NOTHING`, waiting for a concurrent insert to commit), and the row that
/// holds it is brought up to date instead, keeping the ids and the dispute this record does
/// not know. (`invoice.paid` and `invoice.payment_succeeded` of one invoice, applied at once,
/// made two inserts of one payment where a look came first.)
pub fn apply_payment(conn: &mut DbConnection, record: &PaymentRecord) -> QueryResult<i32> {
    let now = db::now();
    progress::lock(conn, record.campaign_id)?;
    let insert = diesel::insert_into(payments::table)
        .values((
            payments::member_id.eq(record.member_id),
            payments::campaign_id.eq(record.campaign_id),
            payments::membership_id.eq(record.membership_id),
            payments::kind.eq(if record.membership_id.is_some() {
                "subscription"
            } else {
                "donation"
            }),
            payments::amount.eq(record.amount),
            payments::amount_refunded.eq(record.amount_refunded),
            payments::currency.eq(&record.currency),
            payments::status.eq(&record.status),
            payments::dispute_status.eq(&record.dispute_status),
            payments::stripe_invoice_id.eq(&record.stripe_invoice_id),
            payments::stripe_payment_intent_id.eq(&record.stripe_payment_intent_id),
            payments::stripe_charge_id.eq(&record.stripe_charge_id),
            payments::ref_url.eq(&record.ref_url),
            payments::paid_at.eq(record.paid_at),
        ))
        .on_conflict_do_nothing();
    let created = on_backend!(conn, |c| insert
        .returning(payments::id)
        .get_result::<i32>(c)
        .optional()?);
    let id = match created {
        Some(id) => id,
        None => {
            // The row holding any of the record's ids (one: each is unique, and a payment's
            // ids are its own); an id the record lacks is NULL, which equals nothing.
            let known = payments::stripe_invoice_id
                .eq(&record.stripe_invoice_id)
                .or(payments::stripe_payment_intent_id.eq(&record.stripe_payment_intent_id))
                .or(payments::stripe_charge_id.eq(&record.stripe_charge_id));
            let update = diesel::update(payments::table.filter(known))
                .set((
                    payments::amount_refunded.eq(record.amount_refunded),
                    payments::status.eq(&record.status),
                    payments::dispute_status
                        .eq(coalesce(&record.dispute_status, payments::dispute_status)),
                    payments::stripe_payment_intent_id.eq(coalesce(
                        &record.stripe_payment_intent_id,
                        payments::stripe_payment_intent_id,
                    )),
                    payments::stripe_charge_id.eq(coalesce(
                        &record.stripe_charge_id,
                        payments::stripe_charge_id,
                    )),
                    payments::updated_at.eq(now),
                ))
                .returning(payments::id);
            on_backend!(conn, |c| update.get_result(c)?)
        }
    };
    progress::refresh(conn, record.campaign_id, now)?;
    Ok(id)
}

/// A charge's refund and dispute state, as Stripe reports it.
#[derive(Debug, Clone)]
pub struct ChargeState {
    /// The charge.
    pub charge_id: String,
    /// Its payment intent, which names our payment.
    pub payment_intent_id: Option<String>,
    /// Refunded so far.
    pub amount_refunded: i64,
    /// `lost`, `won`, `needs_response`, …
    pub dispute_status: Option<String>,
}

/// Applies refunds and disputes to the payment a charge belongs to; `None` when the charge is
/// not one of ours (yet). Returns the campaign whose count was refreshed.
pub fn apply_charge(conn: &mut DbConnection, state: &ChargeState) -> QueryResult<Option<i32>> {
    let mut query = payments::table
        .select((payments::id, payments::campaign_id))
        .into_boxed();
    query = match &state.payment_intent_id {
        Some(intent) => query.filter(
            payments::stripe_payment_intent_id
                .eq(intent.clone())
                .or(payments::stripe_charge_id.eq(state.charge_id.clone())),
        ),
        None => query.filter(payments::stripe_charge_id.eq(state.charge_id.clone())),
    };
    let Some((id, campaign_id)) = query.first::<(i32, i32)>(conn).optional()? else {
        return Ok(None);
    };
    let now = db::now();
    progress::lock(conn, campaign_id)?;
    diesel::update(payments::table.find(id))
        .set((
            payments::amount_refunded.eq(state.amount_refunded),
            payments::stripe_charge_id.eq(&state.charge_id),
            // A charge read without its dispute keeps the one known.
            payments::dispute_status.eq(coalesce(&state.dispute_status, payments::dispute_status)),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
    progress::refresh(conn, campaign_id, now)?;
    Ok(Some(campaign_id))
}

diesel::define_sql_function! {
    /// SQL `coalesce()` of two values of one type: the first that is not NULL.
    fn coalesce<T: diesel::sql_types::SqlType + diesel::sql_types::SingleValue>(
        first: diesel::sql_types::Nullable<T>,
        second: diesel::sql_types::Nullable<T>,
    ) -> diesel::sql_types::Nullable<T>;
}
