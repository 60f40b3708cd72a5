//! The `edition` job: queue an edition's emails, a batch of recipients per transaction, until
//! every recipient has theirs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::{JOB_KIND, Step, queue_batch};
use crate::config::Settings;
use crate::db::{self, Db, DbError};
use crate::jobs::Job;
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};

/// Sends editions whose time has come.
pub struct EditionHandler {
    /// Editions, subscribers and the outbox.
    pub db: Db,
    /// Links in emails.
    pub settings: Arc<Settings>,
    /// Told after each batch, so the emails start going out while the rest are queued.
    pub outbox: Arc<Notify>,
    /// Turns true when the process stops: the walk ends after its current batch and the next
    /// worker resumes it.
    pub stopping: watch::Receiver<bool>,
}

#[derive(serde::Deserialize)]
struct Payload {
    edition: i32,
}

impl Handler for EditionHandler {
    const KIND: &'static str = JOB_KIND;
    // Renewed while the walk goes on; another instance resumes a dead one's walk after this.
    const LEASE: Duration = Duration::from_secs(10);
    // An edition's batches run in order; one edition at a time is plenty.
    const CONCURRENCY: usize = 1;

    async fn run(&self, job: &Job, claim: Claim<'_>) -> Result<String, JobError> {
        let Payload { edition } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::permanent(format!("unreadable payload: {e}")))?;
        let mut queued = 0;
        loop {
            if *self.stopping.borrow() {
                return Err(JobError::not_run(
                    "stopping; the next worker resumes the walk",
                ));
            }
            // A worker that lost its lease stops here; the batch it would have queued is the
            // new holder's (and would be no duplicate if both ran it).
            claim.confirm().await?;
            let settings = self.settings.clone();
            let step = self
                .db
                .write(move |conn| -> Result<Step, DbError> {
                    Ok(queue_batch(conn, &settings, edition, db::now())?)
                })
                .await?;
            match step {
                Step::Queued(n) => {
                    queued += n;
                    self.outbox.notify_one();
                }
                Step::Finished => {
                    self.outbox.notify_one();
                    return Ok(
                        serde_json::json!({ "edition": edition, "queued": queued }).to_string()
                    );
                }
                Step::NotYet => return Err(JobError::temporary("its time has not come")),
            }
        }
    }
}
