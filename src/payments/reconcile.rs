//! `memberdrive reconcile`: compares every subscription of ours in Stripe with our state,
//! reports the drift (a dropped webhook, a missed payment) and, with `--apply`, repairs it
//! through the same sync functions webhooks use. `serve` runs it daily with repairs on.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::client::job_error;
use super::sync::{Ours, Syncer, subscription_state};
use crate::db::schema::{memberships, payments};
use crate::domain::MembershipStatus;

/// One difference between Stripe and us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The Stripe subscription.
    pub subscription: String,
    /// What differs.
    pub what: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subscription, self.what)
    }
}

type Row = (MembershipStatus, bool, Option<NaiveDateTime>, i64);

/// Finds the drift; with `apply`, repairs each drifting subscription. Returns the drift found.
pub async fn reconcile(syncer: &Syncer, apply: bool) -> anyhow::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let (page, more) = syncer
            .api
            .subscriptions_page(after.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!(job_error(e).reason))?;
        after = page.last().map(|s| s.id.to_string());
        for sub in page {
            let Some(ours) = Ours::from(Some(&sub.metadata)) else {
                continue;
            };
            let id = sub.id.to_string();
            seen.insert(id.clone());
            // Only Stripe's terms are compared; a repair finds the member (`Syncer::member_of`).
            let expected = subscription_state(&sub, &ours, 0)
                .map_err(|e| anyhow::anyhow!("subscription {id}: {e}"))?;
            let latest_invoice = sub
                .latest_invoice
                .as_ref()
                .and_then(|i| i.id().as_ref().map(|id| id.to_string()));
            let (sub_id, invoice) = (id.clone(), latest_invoice.clone());
            let (row, invoice_recorded): (Option<Row>, bool) = syncer
                .db
                .read(move |c| {
                    let row = memberships::table
                        .filter(memberships::stripe_subscription_id.eq(&sub_id))
                        .select((
                            memberships::status,
                            memberships::cancel_at_period_end,
                            memberships::current_period_end,
                            memberships::amount,
                        ))
                        .first::<Row>(c)
                        .optional()?;
                    let recorded = match invoice {
                        Some(inv) => {
                            payments::table
                                .filter(payments::stripe_invoice_id.eq(inv))
                                .count()
                                .get_result::<i64>(c)?
                                > 0
                        }
                        None => true,
                    };
                    Ok((row, recorded))
                })
                .await?;
            let mut found = Vec::new();
            match row {
                None => found.push(format!("missing here (Stripe: {})", expected.status)),
                Some((status, at_end, period_end, amount)) => {
                    if status != expected.status {
                        found.push(format!(
                            "status {status} here, {} in Stripe",
                            expected.status
                        ));
                    }
                    if at_end != expected.cancel_at_period_end {
                        found.push(format!(
                            "cancel_at_period_end {at_end} here, {} in Stripe",
                            expected.cancel_at_period_end
                        ));
                    }
                    if period_end != expected.current_period_end {
                        found.push("current period end differs".to_owned());
                    }
                    if amount != expected.amount {
                        found.push(format!(
                            "amount {amount} here, {} in Stripe",
                            expected.amount
                        ));
                    }
                }
            }
            if !invoice_recorded {
                let invoice = syncer
                    .api
                    .invoice(latest_invoice.as_deref().unwrap_or_default())
                    .await
                    .map_err(|e| anyhow::anyhow!(job_error(e).reason))?;
                if invoice
                    .status
                    .as_ref()
                    .is_some_and(|s| s.as_str() == "paid")
                {
                    found.push(format!(
                        "payment of invoice {} not recorded",
                        latest_invoice.as_deref().unwrap_or_default()
                    ));
                }
            }
            if found.is_empty() {
                continue;
            }
            if apply {
                syncer
                    .subscription(&id)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.reason))?;
                if let Some(invoice) = &latest_invoice {
                    syncer
                        .invoice(invoice)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.reason))?;
                }
            }
            drift.extend(found.into_iter().map(|what| Drift {
                subscription: id.clone(),
                what,
            }));
        }
        if !more {
            break;
        }
    }
    let ours: Vec<String> = syncer
        .db
        .read(|c| {
            memberships::table
                .filter(memberships::stripe_subscription_id.is_not_null())
                .select(memberships::stripe_subscription_id.assume_not_null())
                .load(c)
        })
        .await?;
    for id in ours.into_iter().filter(|id| !seen.contains(id)) {
        drift.push(Drift {
            subscription: id,
            what: "unknown to Stripe".into(),
        });
    }
    Ok(drift)
}
