//! The worker loop shared by every job kind: claim a batch under a lease, run the jobs
//! concurrently, record their outcomes. A handler says what one job does.
//!
//! Outcomes are recorded by one task in as few transactions as the database allows: each
//! write takes every outcome that arrived while the previous one was in flight (a group
//! commit). An idle worker records at once; a busy one does not take a write transaction
//! per job from the requests that share the database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc, watch};

use super::{Failure, Job};
use crate::db::{self, Db, DbError};

/// Rows claimed at once, in units of the handler's concurrency: enough that a slow job at
/// the end of a batch does not idle the others for long.
const BATCHES_PER_CLAIM: usize = 4;
/// The most outcomes recorded in one transaction.
const RECORD_BATCH: usize = 256;
/// How often to look for due retries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(500);

/// Why a job failed.
#[derive(Debug)]
pub struct JobError {
    /// Retry later, or never.
    pub failure: Failure,
    /// For `last_error` (never a secret or a message body).
    pub reason: String,
}

impl JobError {
    /// A failure worth retrying.
    pub fn temporary(reason: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Temporary,
            reason: reason.to_string(),
        }
    }

    /// A failure that will not go away.
    pub fn permanent(reason: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Permanent,
            reason: reason.to_string(),
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::temporary(e)
    }
}

/// What one kind of job does.
pub trait Handler: Send + Sync + 'static {
    /// The `jobs.kind` it runs.
    const KIND: &'static str;
    /// How long a claimed job stays this worker's: longer than [`Handler::run`] can take.
    const LEASE: Duration;
    /// How many jobs run at once.
    const CONCURRENCY: usize;

    /// Runs one job (idempotently: a job whose outcome was not recorded runs again).
    /// `Ok` carries the payload to keep once it is done.
    fn run(&self, job: &Job) -> impl Future<Output = Result<String, JobError>> + Send;
}

/// A job and how it went.
type Outcome = (Job, Result<String, JobError>);

/// Runs jobs of `H::KIND` until `stop` turns true; `wake` says new rows were queued here.
/// Returns once the outcomes of the jobs it ran are recorded.
pub async fn run<H: Handler>(
    db: Db,
    handler: Arc<H>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let (outcomes, received) = mpsc::unbounded_channel::<Outcome>();
    let recorder = tokio::spawn(record::<H>(db.clone(), received));
    let limit = (H::CONCURRENCY * BATCHES_PER_CLAIM) as i64;
    loop {
        let claimed = db
            .write(move |conn| -> Result<Vec<Job>, DbError> {
                Ok(super::claim(conn, H::KIND, limit, H::LEASE, db::now())?)
            })
            .await;
        let full = match claimed {
            Ok(batch) => {
                let n = batch.len();
                futures_util::stream::iter(batch)
                    .for_each_concurrent(H::CONCURRENCY, |job| {
                        let (handler, outcomes) = (&handler, &outcomes);
                        async move {
                            let outcome = handler.run(&job).await;
                            // The recorder lives until this loop ends.
                            let _ = outcomes.send((job, outcome));
                        }
                    })
                    .await;
                n as i64 == limit
            }
            Err(e) => {
                tracing::warn!(job.kind = H::KIND, error = %e, "cannot claim jobs");
                false
            }
        };
        if full && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = wake.notified() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    drop(outcomes);
    if let Err(e) = recorder.await {
        tracing::error!(job.kind = H::KIND, error = %e, "the outcome recorder failed");
    }
}

/// Records outcomes until the worker loop ends, each write taking all that are waiting.
async fn record<H: Handler>(db: Db, mut received: mpsc::UnboundedReceiver<Outcome>) {
    let mut waiting = Vec::with_capacity(RECORD_BATCH);
    while received.recv_many(&mut waiting, RECORD_BATCH).await > 0 {
        let batch = std::mem::take(&mut waiting);
        let ids: Vec<(i32, String, i32)> = batch
            .iter()
            .map(|(job, _)| (job.id, job.dedupe_key.clone(), job.attempts))
            .collect();
        let recorded = db
            .write(move |conn| -> Result<Vec<String>, DbError> {
                let now = db::now();
                let mut results = Vec::with_capacity(batch.len());
                for (job, outcome) in &batch {
                    results.push(match outcome {
                        Ok(keep) if super::complete(conn, job, keep, now)? => "done".into(),
                        Ok(_) => "done, but the lease was lost".into(),
                        Err(e) => format!(
                            "{}: {}",
                            super::fail(conn, job, e.failure, &e.reason, now)?,
                            e.reason
                        ),
                    });
                }
                Ok(results)
            })
            .await;
        match recorded {
            Ok(results) => {
                for ((id, key, attempts), outcome) in ids.iter().zip(results) {
                    if outcome == "done" {
                        tracing::debug!(job.kind = H::KIND, job.id = id, job.key = %key, "job done");
                    } else {
                        tracing::warn!(job.kind = H::KIND, job.id = id, job.key = %key, attempts, outcome = %outcome, "job not done");
                    }
                }
            }
            // Done but not recorded: the leases expire and the jobs run again (handlers are
            // idempotent; an email goes out with the same Message-ID).
            Err(e) => {
                tracing::error!(job.kind = H::KIND, jobs = ids.len(), error = %e, "cannot record the outcome of jobs")
            }
        }
    }
}
