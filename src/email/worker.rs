//! The email worker: claims outbox rows with a lease, delivers them concurrently, and records
//! the outcome. Runs inside `serve`; several instances share the outbox.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use prometheus::{IntGaugeVec, Opts, Registry};
use tokio::sync::{Notify, watch};

use super::transport::{Mailer, SEND_TIMEOUT};
use super::{JOB_KIND, OutgoingEmail};
use crate::db::{self, Db, DbError};
use crate::jobs::{self, Failure, Job};

/// Longer than a send may take, so a healthy worker never loses its lease.
const LEASE: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() * 3);
/// Rows claimed at once, and sent concurrently.
const BATCH: i64 = 32;
const CONCURRENCY: usize = 8;
/// How often to look for due retries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

/// Outbox gauges for `/metrics`: queued, retrying, sent and dead-lettered emails.
#[derive(Clone)]
pub struct OutboxMetrics {
    emails: IntGaugeVec,
}

impl OutboxMetrics {
    /// Registers the gauges.
    pub fn register(registry: &Registry) -> anyhow::Result<OutboxMetrics> {
        let emails = IntGaugeVec::new(
            Opts::new("memberdrive_outbox_emails", "Emails in the outbox by state"),
            &["state"],
        )?;
        registry.register(Box::new(emails.clone()))?;
        Ok(OutboxMetrics { emails })
    }

    async fn refresh(&self, db: &Db) -> Result<(), DbError> {
        let (queued, retrying, sent, dead) = db.read(|c| jobs::counts(c, JOB_KIND)).await?;
        for (state, n) in [
            ("queued", queued),
            ("retrying", retrying),
            ("sent", sent),
            ("dead", dead),
        ] {
            self.emails.with_label_values(&[state]).set(n);
        }
        Ok(())
    }
}

/// Delivers queued emails until `stop` turns true; `wake` says new rows were queued here.
pub async fn run(
    db: Db,
    mailer: Arc<Mailer>,
    wake: Arc<Notify>,
    metrics: OutboxMetrics,
    mut stop: watch::Receiver<bool>,
) {
    let mut since_metrics = Duration::MAX;
    loop {
        let claimed = db
            .write(|conn| -> Result<Vec<Job>, DbError> {
                Ok(jobs::claim(conn, JOB_KIND, BATCH, LEASE, db::now())?)
            })
            .await;
        let busy = match claimed {
            Ok(batch) => {
                let n = batch.len();
                futures_util::stream::iter(batch)
                    .for_each_concurrent(CONCURRENCY, |job| deliver(&db, &mailer, job))
                    .await;
                n as i64 == BATCH
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim emails");
                false
            }
        };
        if since_metrics >= Duration::from_secs(2) {
            if let Err(e) = metrics.refresh(&db).await {
                tracing::debug!(error = %e, "cannot count the outbox");
            }
            since_metrics = Duration::ZERO;
        }
        if busy {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => since_metrics = since_metrics.saturating_add(POLL),
            _ = wake.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn deliver(db: &Db, mailer: &Mailer, job: Job) {
    let outcome = match serde_json::from_str::<OutgoingEmail>(&job.payload) {
        Ok(email) => match mailer.build(job.id, &job.dedupe_key, &email) {
            Ok(message) => mailer
                .send(&message, &format!("{:08}", job.id))
                .await
                .map(|()| email.receipt()),
            Err(e) => Err(e),
        },
        Err(e) => Err(super::transport::SendError {
            failure: Failure::Permanent,
            reason: format!("unreadable payload: {e}"),
        }),
    };
    let (id, key, attempts) = (job.id, job.dedupe_key.clone(), job.attempts);
    let recorded = db
        .write(move |conn| -> Result<String, DbError> {
            let now = db::now();
            Ok(match &outcome {
                Ok(receipt) => {
                    if jobs::complete(conn, &job, receipt, now)? {
                        "sent".into()
                    } else {
                        "lease lost".into()
                    }
                }
                Err(e) => format!(
                    "{} ({})",
                    jobs::fail(conn, &job, e.failure, &e.reason, now)?,
                    e.reason
                ),
            })
        })
        .await;
    match recorded {
        Ok(outcome) if outcome == "sent" => {
            tracing::debug!(job.id = id, job.key = %key, "email sent")
        }
        Ok(outcome) => {
            tracing::warn!(job.id = id, job.key = %key, attempts, outcome = %outcome, "email not sent")
        }
        // Delivered but not recorded: the lease expires and the email goes out again, with
        // the same Message-ID so that receivers can tell it is the same message.
        Err(e) => {
            tracing::error!(job.id = id, job.key = %key, error = %e, "cannot record a delivery")
        }
    }
}
