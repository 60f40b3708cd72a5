//! Sign-in throttling, decided before any password is hashed, in the database (shared by every
//! instance, kept across restarts; see [`crate::web::limits`]).
//!
//! - **Per account and client** a back-off: [`FREE_FAILURES`] failures cost nothing, then each
//!   failure doubles the wait before the next attempt, up to [`MAX_DELAY`]. A guesser is slowed
//!   to a trickle; nobody else is touched, so no one can lock staff out by failing on purpose.
//! - **Per client** at most [`ADDRESS_FAILURES`] failures in [`ADDRESS_WINDOW`], whatever the
//!   account: one address cannot spray guesses over many accounts.
//! - **Per account** a ceiling of [`ACCOUNT_CEILING`] failures in [`ACCOUNT_WINDOW`] from all
//!   clients together. Crossing it writes an audit entry; above it an attempt from a client
//!   that has not failed on the account waits [`CEILING_DELAY`] first. It never refuses, so the
//!   right password from a fresh client always gets in.
//!
//! An attempt counts as a failure from the moment it is admitted and is taken back when it
//! succeeds: concurrent guesses cannot slip past a limit while their hashes run.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::audit::{self, Actor};
use crate::db::{Db, DbConnection, DbError};
use crate::web::limits::{self, Rate, now_ms};

/// Failures one client may have on one account before it has to wait between attempts.
pub const FREE_FAILURES: i32 = 5;
/// The longest wait between two attempts of one client on one account.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A client's failures on an account are forgotten this long after its last wait ended.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Failed sign-ins one client address may have within [`ADDRESS_WINDOW`] (offices share
/// addresses), over all accounts.
pub const ADDRESS_FAILURES: u32 = 20;
/// The window of [`ADDRESS_FAILURES`].
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins on one account, from all clients, within [`ACCOUNT_WINDOW`] before the
/// audit log hears of it and fresh clients are slowed.
pub const ACCOUNT_CEILING: u32 = 50;
/// The window of [`ACCOUNT_CEILING`].
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(3600);
/// How long an attempt from a client without failures waits while its account is over the
/// ceiling.
pub const CEILING_DELAY: Duration = Duration::from_secs(2);
/// The audit action written when an account crosses its ceiling.
pub const CEILING_ACTION: &str = "staff.sign_in_ceiling";

const PAIR: &str = "staff_sign_in";
const ADDRESS: &str = "staff_sign_in_address";
const ACCOUNT: &str = "staff_sign_in_account";

fn address_rate() -> Rate {
    Rate {
        burst: ADDRESS_FAILURES,
        per: ADDRESS_WINDOW / ADDRESS_FAILURES,
    }
}

fn account_rate() -> Rate {
    Rate {
        burst: ACCOUNT_CEILING,
        per: ACCOUNT_WINDOW / ACCOUNT_CEILING,
    }
}

/// The wait after a client's `failures`-th failure on an account: none before the
/// [`FREE_FAILURES`]th, one second after it, then twice as long after each, at most
/// [`MAX_DELAY`].
pub fn delay_after(failures: i32) -> Duration {
    let doublings = failures - FREE_FAILURES;
    if doublings < 0 {
        return Duration::ZERO;
    }
    // 2^10 seconds is past MAX_DELAY already.
    Duration::from_secs(1_u64 << doublings.min(10)).min(MAX_DELAY)
}

/// What typed-in text keys a row by: a digest, so the table holds no address a stranger typed
/// and a key has one length whatever was sent.
fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The sign-in throttle over the shared database.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    db: Db,
}

/// An admitted sign-in attempt, counted as a failure until [`succeeded`] or
/// [`LoginThrottle::abandon`].
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless it succeeds or is abandoned"]
pub struct Attempt {
    account: String,
    pair: String,
    address: Option<String>,
    /// Whether the account is over its ceiling and this client has no failures on it.
    slowed: bool,
}

impl Attempt {
    /// How long to wait before checking the password (over the ceiling, for a fresh client).
    pub fn wait_first(&self) -> Option<Duration> {
        self.slowed.then_some(CEILING_DELAY)
    }
}

/// Refused: too many failures; try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Until the client may try again.
    pub retry_after: Duration,
}

/// Why an attempt was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A limit says no.
    #[error("throttled for {:?}", .0.retry_after)]
    Throttled(Throttled),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::Db(e.into())
    }
}

impl LoginThrottle {
    /// The throttle of the service on `db`.
    pub fn new(db: Db) -> LoginThrottle {
        LoginThrottle { db }
    }

    /// Admits an attempt on `account` (normalised email) from `client`, or refuses it; nothing
    /// is counted when it is refused.
    pub async fn begin(&self, account: &str, client: Option<IpAddr>) -> Result<Attempt, Refused> {
        let account = digest(account);
        let client = client.map(|ip| ip.to_string());
        let pair = format!("{account}:{}", client.as_deref().unwrap_or("-"));
        self.db
            .write(move |c| -> Result<Attempt, Refused> {
                let now = now_ms();
                let failures = limits::back_off(c, PAIR, &pair, now, delay_after, FORGET_AFTER)?
                    .map_err(|retry_after| Refused::Throttled(Throttled { retry_after }))?;
                if let Some(ip) = &client {
                    // Refused here, the transaction rolls back the count above too.
                    limits::take(c, ADDRESS, ip, address_rate(), now)?
                        .map_err(|retry_after| Refused::Throttled(Throttled { retry_after }))?;
                }
                let slowed =
                    failures == 1 && limits::is_over(c, ACCOUNT, &account, account_rate(), now)?;
                Ok(Attempt {
                    account,
                    pair,
                    address: client,
                    slowed,
                })
            })
            .await
    }

    /// The attempt failed: it stays counted, and the account's ceiling hears of it. The first
    /// failure over the ceiling writes an audit entry about `staff_user` (when the account
    /// exists).
    pub async fn failed(&self, attempt: Attempt, staff_user: Option<i32>) -> Result<(), DbError> {
        self.db
            .write(move |c| -> Result<(), DbError> {
                let level = limits::add(c, ACCOUNT, &attempt.account, account_rate(), now_ms())?;
                if let (true, Some(id)) = (level.crossed, staff_user) {
                    tracing::warn!(staff.id = id, "staff sign-in failures over the ceiling");
                    let details = serde_json::json!({
                        "failures": ACCOUNT_CEILING,
                        "window_minutes": ACCOUNT_WINDOW.as_secs() / 60,
                        "last_ip": attempt.address,
                    });
                    audit::record(
                        c,
                        &Actor::System,
                        CEILING_ACTION,
                        "staff_user",
                        &id.to_string(),
                        &details,
                    )?;
                }
                Ok(())
            })
            .await
    }

    /// The attempt was not decided (the server was too busy to check the password): it does
    /// not count.
    pub async fn abandon(&self, attempt: Attempt) -> Result<(), DbError> {
        self.db
            .write(move |c| -> Result<(), DbError> {
                limits::uncount(c, PAIR, &attempt.pair)?;
                give_back_address(c, &attempt)?;
                Ok(())
            })
            .await
    }
}

fn give_back_address(c: &mut DbConnection, attempt: &Attempt) -> diesel::QueryResult<()> {
    match &attempt.address {
        Some(ip) => limits::give_back(c, ADDRESS, ip, address_rate()),
        None => Ok(()),
    }
}

/// The attempt succeeded, in the transaction that starts the session: it is no failure, and
/// the client's earlier failures on the account are forgiven (the address's are not).
pub fn succeeded(c: &mut DbConnection, attempt: &Attempt) -> diesel::QueryResult<()> {
    limits::forget(c, PAIR, &attempt.pair)?;
    give_back_address(c, attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_cap() {
        for n in 0..FREE_FAILURES {
            assert_eq!(delay_after(n), Duration::ZERO, "failure {n}");
        }
        assert_eq!(delay_after(FREE_FAILURES), Duration::from_secs(1));
        assert_eq!(delay_after(FREE_FAILURES + 1), Duration::from_secs(2));
        assert_eq!(delay_after(FREE_FAILURES + 3), Duration::from_secs(8));
        assert_eq!(delay_after(FREE_FAILURES + 10), MAX_DELAY);
        assert_eq!(delay_after(i32::MAX), MAX_DELAY);
    }

    #[test]
    fn the_ceiling_is_far_above_what_one_client_may_try_freely() {
        assert!(ACCOUNT_CEILING >= 10 * FREE_FAILURES as u32);
        assert_eq!(account_rate().per * ACCOUNT_CEILING, ACCOUNT_WINDOW);
    }
}
