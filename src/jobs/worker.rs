//! The worker loop shared by every job kind: claim a batch under a lease, run the jobs
//! concurrently, record their outcomes. A handler says what one job does.
//!
//! A heartbeat renews the leases of every job the worker holds, running, waiting in its batch
//! or waiting for its outcome to be recorded ([`super::lease`]); each job starts only once its
//! lease is confirmed, and none starts once the worker is stopping (those go back to the
//! queue for another worker).
//!
//! Outcomes are recorded by one task in as few transactions as the database allows: each
//! write takes every outcome that arrived while the previous one was in flight (a group
//! commit). An idle worker records at once; a busy one does not take a write transaction
//! per job from the requests that share the database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::lease::{Claim, Lease};
use super::{Failure, Job};
use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::{self, Db, DbConnection, DbError};

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
    /// An email's recipient was refused for good (a 5xx answer to `RCPT TO`).
    pub recipient_refused: bool,
}

impl JobError {
    /// A failure worth retrying.
    pub fn temporary(reason: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Temporary,
            reason: reason.to_string(),
            recipient_refused: false,
        }
    }

    /// A failure that will not go away.
    pub fn permanent(reason: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::Permanent,
            reason: reason.to_string(),
            recipient_refused: false,
        }
    }

    /// An email's recipient refused for good: the address is suppressed, the email
    /// dead-lettered.
    pub fn recipient_refused(reason: impl std::fmt::Display) -> Self {
        JobError {
            recipient_refused: true,
            ..JobError::permanent(reason)
        }
    }

    /// The job was not attempted ([`Failure::NotRun`]).
    pub fn not_run(reason: impl std::fmt::Display) -> Self {
        JobError {
            failure: Failure::NotRun,
            reason: reason.to_string(),
            recipient_refused: false,
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
    /// How long a claimed job stays this worker's without renewal. The heartbeat renews it
    /// while the job runs, so this bounds how long the jobs of a worker that died wait for
    /// another, not how long a job may take.
    const LEASE: Duration;
    /// How many jobs run at once.
    const CONCURRENCY: usize;
    /// After this many failed attempts a job is dead-lettered.
    const MAX_ATTEMPTS: i32 = super::MAX_ATTEMPTS;

    /// Runs one job (idempotently: a job whose outcome was not recorded runs again), calling
    /// [`Claim::confirm`] right before a step that cannot be taken back. `Ok` carries the
    /// payload to keep once it is done.
    fn run(
        &self,
        job: &Job,
        claim: Claim<'_>,
    ) -> impl Future<Output = Result<String, JobError>> + Send;

    /// What a job's success means beyond its own row, written in the transaction that records
    /// it done (with the outcomes of the jobs done meanwhile: one commit for them all, where a
    /// write of its own in [`Handler::run`] would take one per job). Nothing by default.
    fn completed(_conn: &mut DbConnection, _job: &Job, _now: NaiveDateTime) -> QueryResult<()> {
        Ok(())
    }
}

/// A job and how it went.
type Outcome = (Job, Result<String, JobError>);

/// Runs jobs of `H::KIND` until `stop` turns true; `wake` says new rows were queued here.
/// Returns once the outcomes of the jobs it claimed are recorded.
pub async fn run<H: Handler>(
    db: Db,
    handler: Arc<H>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let lease = Arc::new(Lease::new(db.clone(), H::LEASE));
    let (recorded, heartbeat_done) = oneshot::channel::<()>();
    let heartbeat = tokio::spawn({
        let lease = lease.clone();
        async move { lease.keep_renewed(heartbeat_done).await }
    });
    let (outcomes, received) = mpsc::unbounded_channel::<Outcome>();
    let recorder = tokio::spawn(record::<H>(lease.clone(), received));
    let limit = (H::CONCURRENCY * BATCHES_PER_CLAIM) as i64;
    loop {
        let (owner, mine) = (lease.owner().to_owned(), lease.ids());
        let claimed = db
            .write(move |conn| -> Result<Vec<Job>, DbError> {
                let now = db::now();
                Ok(super::claim(
                    conn,
                    H::KIND,
                    limit,
                    &owner,
                    H::LEASE,
                    &mine,
                    now,
                )?)
            })
            .await;
        let full = match claimed {
            Ok(batch) => {
                lease.claimed(&batch);
                let n = batch.len();
                futures_util::stream::iter(batch)
                    .for_each_concurrent(H::CONCURRENCY, |job| {
                        let (handler, lease, outcomes, stop) =
                            (&*handler, &*lease, &outcomes, &stop);
                        async move {
                            let stopping = *stop.borrow();
                            let outcome = attempt(handler, lease, &job, stopping).await;
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
    drop(recorded);
    let _ = heartbeat.await;
}

/// Runs `job`, unless the worker is `stopping` or no longer holds the job's lease.
async fn attempt<H: Handler>(
    handler: &H,
    lease: &Lease,
    job: &Job,
    stopping: bool,
) -> Result<String, JobError> {
    if stopping {
        return Err(JobError::not_run("the worker is stopping"));
    }
    lease.confirm(job.id).await?;
    handler.run(job, Claim::new(lease, job.id)).await
}

/// Records outcomes until the worker loop ends, each write taking all that are waiting.
async fn record<H: Handler>(lease: Arc<Lease>, mut received: mpsc::UnboundedReceiver<Outcome>) {
    let mut waiting = Vec::with_capacity(RECORD_BATCH);
    while received.recv_many(&mut waiting, RECORD_BATCH).await > 0 {
        let batch = std::mem::take(&mut waiting);
        let ids: Vec<(i32, String, i32)> = batch
            .iter()
            .map(|(job, _)| (job.id, job.dedupe_key.clone(), job.attempts))
            .collect();
        let recorded = lease
            .write(
                move |conn| -> Result<Vec<Result<String, String>>, DbError> {
                    let now = db::now();
                    let mut results = Vec::with_capacity(batch.len());
                    for (job, outcome) in &batch {
                        results.push(match outcome {
                            Ok(keep) if super::complete(conn, job, keep, now)? => {
                                H::completed(conn, job, now)?;
                                Ok("done".into())
                            }
                            Ok(_) => Err("done, but the lease was lost".into()),
                            Err(e) if e.failure == Failure::NotRun => {
                                if super::release(conn, job, now)? {
                                    Ok(format!("given back to the queue: {}", e.reason))
                                } else {
                                    Err(format!("not run: {}", e.reason))
                                }
                            }
                            Err(e) => match super::fail(
                                conn,
                                job,
                                e.failure,
                                &e.reason,
                                H::MAX_ATTEMPTS,
                                now,
                            )? {
                                Some(status) => Err(format!("{status}: {}", e.reason)),
                                None => {
                                    Err(format!("failed, and the lease was lost: {}", e.reason))
                                }
                            },
                        });
                    }
                    Ok(results)
                },
            )
            .await;
        // Recorded or not, these jobs are no longer this worker's to renew.
        lease.forget(ids.iter().map(|(id, ..)| *id));
        match recorded {
            Ok(results) => {
                for ((id, key, attempts), outcome) in ids.iter().zip(results) {
                    match outcome {
                        Ok(outcome) => {
                            tracing::debug!(job.kind = H::KIND, job.id = id, job.key = %key, outcome = %outcome, "job recorded")
                        }
                        Err(outcome) => {
                            tracing::warn!(job.kind = H::KIND, job.id = id, job.key = %key, attempts, outcome = %outcome, "job not done")
                        }
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
