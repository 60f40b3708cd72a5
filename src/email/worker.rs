//! The email job: deliver one outbox row, keep only its receipt.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntGaugeVec, Opts, Registry};
use tokio::sync::watch;

use super::transport::{Mailer, SMTP_CONNECTIONS};
use super::{JOB_KIND, OutgoingEmail};
use crate::bounces::{self, Report};
use crate::db::{self, Db, DbError};
use crate::domain::SuppressionReason;
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};
use crate::jobs::{self, Job};

/// A `LIKE` pattern for what the outbox keeps of an email not sent at the last look (its
/// receipt names why it was `skipped`); the receipt of a sent one has no such field, and a
/// subject with these characters in it is escaped in its JSON.
pub const SKIPPED_RECEIPTS: &str = r#"%"skipped":%"#;

/// Delivers outbox emails.
pub struct EmailHandler {
    /// The transport.
    pub mailer: Arc<Mailer>,
    /// For the last look at an edition's recipient.
    pub db: Db,
}

impl Handler for EmailHandler {
    const KIND: &'static str = JOB_KIND;
    // Renewed while a send runs, however long the server takes; short, so that the emails of
    // an instance that died go out within seconds from another.
    const LEASE: Duration = Duration::from_secs(6);
    // One SMTP connection each.
    const CONCURRENCY: usize = SMTP_CONNECTIONS;

    async fn run(&self, job: &Job, claim: Claim<'_>) -> Result<String, JobError> {
        let email: OutgoingEmail = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::permanent(format!("unreadable payload: {e}")))?;
        let (to, recipient) = (email.to.clone(), email.newsletter);
        // The last look before sending: a suppressed address (a hard bounce: nothing; a
        // complaint: no newsletter), or a reader who left the newsletter since the edition
        // was queued, gets nothing.
        let skipped = self
            .db
            .read(move |conn| {
                if let Some(reason) = bounces::stops(conn, &to, recipient.is_some())? {
                    return Ok(Some(reason.as_str()));
                }
                match recipient {
                    Some(r) if !crate::newsletters::receives(conn, &r)? => Ok(Some("unsubscribed")),
                    _ => Ok(None),
                }
            })
            .await?;
        if let Some(why) = skipped {
            // Matched by SKIPPED_RECEIPTS.
            return Ok(serde_json::json!({"to": email.to, "skipped": why}).to_string());
        }
        let message = self.mailer.build(job.id, &job.dedupe_key, &email)?;
        let sent = self
            .mailer
            .send(&message, &format!("{:08}", job.id), claim.confirm())
            .await;
        if let Err(e) = &sent
            && e.recipient_refused
            && let Some(report) = Report::new(&email.to, SuppressionReason::Bounce, &e.reason)
        {
            self.db
                .write(move |conn| -> Result<usize, DbError> {
                    Ok(bounces::record(conn, "smtp", &[report], db::now())?)
                })
                .await?;
        }
        sent?;
        Ok(email.receipt())
    }
}

/// An SMTP connection unused for this long is closed (servers drop idle clients after a few
/// minutes, RFC 5321 4.5.3.2.7, and an idle connection holds one of their slots).
const SMTP_IDLE: Duration = Duration::from_secs(60);

/// Closes SMTP connections idle for [`SMTP_IDLE`], and all of them once `stop` turns true
/// (those in use as their sends end).
pub async fn close_idle_connections(mailer: Arc<Mailer>, mut stop: watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(SMTP_IDLE / 2) => false,
            _ = stop.wait_for(|s| *s) => true,
        };
        if stopping {
            return mailer.close().await;
        }
        mailer.close_idle(SMTP_IDLE).await;
    }
}

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
        let (queued, retrying, sent, dead) = db
            .write(|c| -> Result<_, DbError> {
                jobs::fold_tallies(c)?;
                Ok(jobs::counts(c, JOB_KIND)?)
            })
            .await?;
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

    /// Recounts the outbox every two seconds until `stop` turns true.
    pub async fn run(self, db: Db, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.refresh(&db).await {
                tracing::debug!(error = %e, "cannot count the outbox");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}
