//! A worker's hold on the jobs it claimed: short leases, renewed by a heartbeat for as long
//! as a job runs or waits (in its claim, or for its outcome to be recorded), and confirmed
//! before a job starts and again before anything it does cannot be taken back (an email
//! handed to SMTP).
//!
//! Why short and renewed rather than long: a lease must outlast the work it covers, and an
//! SMTP server may take minutes to answer (RFC 5321 gives the reply to a message's final dot
//! ten), so no fixed lease is safe; but the longer a lease, the longer the rows of a worker
//! that died wait for another. Renewed every third of its term, a lease outlives a
//! slow job, and a dead worker's rows are free within one term.
//!
//! Confirming costs no query while the heartbeat keeps up: every lease this worker holds is
//! known to run until the end the last renewal (or the claim) wrote, and no other worker can
//! claim a job before its lease has run out. Only a lease that is not comfortably ahead (the
//! heartbeat was late: a busy machine, a slow database) is renewed on the spot, and a job
//! whose renewal finds it claimed by another worker is lost: it does not run.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDateTime;
use rand::Rng;
use tokio::sync::oneshot;

use super::Job;
use super::worker::JobError;
use crate::db::{self, Db, DbConnection, DbError};

/// The leases one worker holds, and its writes to their rows.
pub struct Lease {
    owner: String,
    term: Duration,
    db: Db,
    /// Each job this worker holds, and until when its lease is known to run.
    held: Mutex<HashMap<i32, NaiveDateTime>>,
    /// Renewals and outcomes take turns: on PostgreSQL, two transactions of this worker
    /// updating the same rows in different orders could deadlock, and the loser's write (an
    /// outcome) would be lost.
    writing: tokio::sync::Mutex<()>,
}

impl Lease {
    /// A new holder of leases of `term`, with an owner name no other worker has.
    pub fn new(db: Db, term: Duration) -> Lease {
        let owner = format!(
            "{}-{:016x}",
            std::process::id(),
            rand::rng().random::<u64>()
        );
        Lease {
            owner,
            term,
            db,
            held: Mutex::default(),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The name this worker's claims carry (`jobs.lease_owner`).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The jobs this worker holds.
    pub fn ids(&self) -> Vec<i32> {
        self.held().keys().copied().collect()
    }

    /// Starts holding the jobs of a claim.
    pub fn claimed(&self, jobs: &[Job]) {
        let mut held = self.held();
        for job in jobs {
            if let Some(until) = job.locked_until {
                held.insert(job.id, until);
            }
        }
    }

    /// Stops holding `ids` (their outcomes are recorded, or cannot be): no more renewals.
    pub fn forget(&self, ids: impl IntoIterator<Item = i32>) {
        let mut held = self.held();
        for id in ids {
            held.remove(&id);
        }
    }

    /// Runs `f` in one transaction, in turn with this worker's renewals.
    pub async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
    {
        let _turn = self.writing.lock().await;
        self.db.write(f).await
    }

    /// Ok when this worker holds job `id`'s lease with at least half a term to run; renews
    /// it first if the heartbeat is late. An `Err` ([`super::Failure::NotRun`]) means the job
    /// must not start: another worker holds it, or the database could not say.
    pub async fn confirm(&self, id: i32) -> Result<(), JobError> {
        if self.ahead(id) {
            return Ok(());
        }
        let _turn = self.writing.lock().await;
        // A renewal that finished while this one waited for its turn may have done the work.
        if !self.ahead(id) {
            self.renew_in_turn()
                .await
                .map_err(|e| JobError::not_run(format!("cannot renew the lease: {e}")))?;
        }
        if self.ahead(id) {
            Ok(())
        } else {
            Err(JobError::not_run("the lease was lost to another worker"))
        }
    }

    /// Renews the leases held, every third of a term, until `done` fires or is dropped.
    pub async fn keep_renewed(&self, mut done: oneshot::Receiver<()>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.term / 3) => {}
                _ = &mut done => return,
            }
            let _turn = self.writing.lock().await;
            if let Err(e) = self.renew_in_turn().await {
                tracing::warn!(lease.owner = %self.owner, error = %e, "cannot renew job leases");
            }
        }
    }

    /// Renews every lease held; those another worker has claimed since are dropped. The
    /// caller holds the `writing` turn.
    async fn renew_in_turn(&self) -> Result<(), DbError> {
        let asked = self.ids();
        if asked.is_empty() {
            return Ok(());
        }
        let (owner, term, ids) = (self.owner.clone(), self.term, asked.clone());
        let (until, kept) = self
            .db
            .write(move |conn| -> Result<_, DbError> {
                let until = super::lease_end(db::now(), term);
                Ok((until, super::renew(conn, &owner, &ids, until)?))
            })
            .await?;
        self.held().retain(|id, end| {
            if kept.contains(id) {
                *end = until;
                true
            } else {
                // Asked for and not renewed: another worker claimed it (or its outcome was
                // just recorded). A job claimed while the renewal ran was not asked for.
                !asked.contains(id)
            }
        });
        Ok(())
    }

    /// Whether job `id`'s lease is known to run for at least half a term more.
    fn ahead(&self, id: i32) -> bool {
        let margin = chrono::Duration::from_std(self.term / 2).expect("lease fits");
        self.held()
            .get(&id)
            .is_some_and(|until| *until - db::now() >= margin)
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<i32, NaiveDateTime>> {
        // The map is left consistent by every critical section: a panic elsewhere does not
        // make it wrong.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Job `id` of one claim, for a handler to confirm its lease right before the step that
/// cannot be taken back.
#[derive(Clone, Copy)]
pub struct Claim<'a> {
    lease: &'a Lease,
    id: i32,
}

impl<'a> Claim<'a> {
    /// Job `id`, held under `lease`.
    pub fn new(lease: &'a Lease, id: i32) -> Claim<'a> {
        Claim { lease, id }
    }

    /// [`Lease::confirm`] for this job.
    pub async fn confirm(self) -> Result<(), JobError> {
        self.lease.confirm(self.id).await
    }
}
