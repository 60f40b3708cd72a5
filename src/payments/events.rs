//! The `stripe_event` job: read a stored event, fetch the current object it names, apply it.
//! Events of types we do not handle are kept, marked done with a note; an event whose
//! processing fails permanently is dead-lettered with its raw payload kept, for a retry once
//! the cause is fixed.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::failures::Failure;
use super::sync::Syncer;
use crate::db::schema::stripe_events;
use crate::db::{self, DbConnection, DbError};
use crate::jobs::Job;
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};

/// The job kind.
pub const JOB_KIND: &str = "stripe_event";

/// Attempts a refund or dispute waits for the payment it concerns (1 + 2 + 4 s of backoff).
pub const PAYMENT_WAIT_ATTEMPTS: i32 = 4;

/// Stripe does not order its events: a refund or dispute can arrive before the invoice or
/// checkout that records its payment. Until [`PAYMENT_WAIT_ATTEMPTS`], a charge with no
/// payment here is retried; after that it is taken to be another product's.
fn once_paid(applied: Result<bool, JobError>, job: &Job) -> Result<bool, JobError> {
    match applied {
        Ok(false) if job.attempts < PAYMENT_WAIT_ATTEMPTS => Err(JobError::temporary(
            "no payment recorded for this charge yet",
        )),
        other => other,
    }
}

/// Processes stored Stripe events.
pub struct StripeEventHandler {
    /// Applies Stripe's state.
    pub syncer: Arc<Syncer>,
}

impl Handler for StripeEventHandler {
    const KIND: &'static str = JOB_KIND;
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 4;

    async fn run(&self, job: &Job, _claim: Claim<'_>) -> Result<String, JobError> {
        let event_id =
            event_id(job).ok_or_else(|| JobError::permanent("payload without event_id"))?;
        let id = event_id.clone();
        let payload: String = self
            .syncer
            .db
            .read(move |c| {
                stripe_events::table
                    .find(id)
                    .select(stripe_events::payload)
                    .first(c)
            })
            .await?;
        let event: serde_json::Value = serde_json::from_str(&payload)
            .map_err(|e| JobError::permanent(format!("stored event is not JSON: {e}")))?;
        let kind = event["type"].as_str().unwrap_or_default();
        let object = event["data"]["object"]["id"].as_str().unwrap_or_default();
        let s = &self.syncer;
        // A failed payment counts against the client that started it (card testing).
        let failure = Failure::of_event(&event);
        if let Some(failure) = failure.clone() {
            s.db.write(move |c| -> Result<(), DbError> { Ok(failure.record(c, db::now())?) })
                .await?;
        }
        let outcome = match kind {
            "payment_intent.payment_failed" => Some(Ok(failure.is_some())),
            "checkout.session.completed"
            | "checkout.session.async_payment_succeeded"
            | "checkout.session.async_payment_failed" => Some(s.checkout(object).await),
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
            | "customer.subscription.paused"
            | "customer.subscription.resumed" => Some(s.subscription(object).await),
            "invoice.paid"
            | "invoice.payment_succeeded"
            | "invoice.payment_failed"
            | "invoice.voided"
            | "invoice.marked_uncollectible" => Some(s.invoice(object).await),
            "charge.refunded" => Some(once_paid(s.charge(object, None).await, job)),
            "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed" => {
                Some(once_paid(s.dispute(object).await, job))
            }
            _ => None,
        };
        let note = match outcome {
            Some(Ok(true)) => "applied",
            Some(Ok(false)) => "not ours",
            Some(Err(e)) => {
                let reason = e.reason.clone();
                let id = event_id.clone();
                s.db.write(move |c| -> Result<usize, DbError> {
                    Ok(diesel::update(stripe_events::table.find(id))
                        .set(stripe_events::last_error.eq(reason))
                        .execute(c)?)
                })
                .await?;
                return Err(e);
            }
            None => "type not handled",
        };
        tracing::info!(stripe.event_id = %event_id, stripe.event_type = kind, outcome = note, "stripe event processed");
        Ok(serde_json::json!({ "event_id": event_id, "outcome": note }).to_string())
    }

    /// The stored event is marked processed with its job.
    fn completed(conn: &mut DbConnection, job: &Job, now: NaiveDateTime) -> QueryResult<()> {
        if let Some(id) = event_id(job) {
            diesel::update(stripe_events::table.find(id))
                .set((
                    stripe_events::processed_at.eq(now),
                    stripe_events::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// The id of the stored event a job processes.
fn event_id(job: &Job) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|v| v["event_id"].as_str().map(str::to_owned))
}
