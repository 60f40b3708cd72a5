//! Sign-in throttling: failures per account and per client address in a sliding window,
//! checked before any password is hashed.
//!
//! A keyed GCRA limiter (`governor`) counts every attempt; this counts failures only, so staff
//! signing in from one office are not locked out by their own successes. An attempt is counted
//! as a failure from the moment it is admitted, and taken back when it succeeds: concurrent
//! guesses cannot slip past the limit while their hashes run.
//!
//! The counts live in memory, per process: with several instances behind a load balancer each
//! one allows its own quota.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins one account may have within [`WINDOW`].
pub const ACCOUNT_FAILURES: usize = 5;
/// Failed sign-ins one client address may have within [`WINDOW`] (offices share addresses).
pub const ADDRESS_FAILURES: usize = 20;
/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept before quiet ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Failure counts per account and per address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    inner: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    accounts: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

/// An admitted sign-in attempt, counted as a failure until [`LoginThrottle::succeeded`].
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless it is passed to `succeeded`"]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: Instant,
}

/// Refused: too many failures; try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Until the oldest counted failure leaves the window.
    pub retry_after: Duration,
}

fn recent<K: Eq + Hash>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: K,
    now: Instant,
) -> &mut VecDeque<Instant> {
    let times = map.entry(key).or_default();
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
    times
}

fn retry_after(times: &VecDeque<Instant>, now: Instant) -> Duration {
    times
        .front()
        .map_or(WINDOW, |t| WINDOW.saturating_sub(now.duration_since(*t)))
}

fn prune<K: Eq + Hash>(map: &mut HashMap<K, VecDeque<Instant>>, now: Instant) {
    if map.len() > PRUNE_ABOVE {
        map.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < WINDOW)
        });
    }
}

impl LoginThrottle {
    /// Admits an attempt for `account` (normalised email) from `address`, or refuses it when
    /// either has had its failures for the window.
    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, Throttled> {
        let now = Instant::now();
        let mut counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Counts {
            accounts,
            addresses,
        } = &mut *counts;
        prune(accounts, now);
        prune(addresses, now);
        let by_account = recent(accounts, account.to_owned(), now);
        if by_account.len() >= ACCOUNT_FAILURES {
            return Err(Throttled {
                retry_after: retry_after(by_account, now),
            });
        }
        if let Some(ip) = address {
            let by_address = recent(addresses, ip, now);
            if by_address.len() >= ADDRESS_FAILURES {
                return Err(Throttled {
                    retry_after: retry_after(by_address, now),
                });
            }
            by_address.push_back(now);
        }
        recent(accounts, account.to_owned(), now).push_back(now);
        Ok(Attempt {
            account: account.to_owned(),
            address,
            at: now,
        })
    }

    /// The attempt succeeded: it is not a failure, and the account's earlier failures are
    /// forgiven (the address's are not).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        counts.accounts.remove(&attempt.account);
        if let Some(times) = attempt.address.and_then(|ip| counts.addresses.get_mut(&ip))
            && let Some(i) = times.iter().rposition(|t| *t == attempt.at)
        {
            times.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_sixth_failure_for_an_account_is_refused_and_others_are_unaffected() {
        let throttle = LoginThrottle::default();
        for i in 0..ACCOUNT_FAILURES {
            let _failed = throttle
                .begin("a@example.org", ip("192.0.2.1"))
                .unwrap_or_else(|_| panic!("attempt {i} refused"));
        }
        let refused = throttle
            .begin("a@example.org", ip("192.0.2.99"))
            .unwrap_err();
        assert!(refused.retry_after <= WINDOW && refused.retry_after > Duration::ZERO);
        let other = throttle.begin("b@example.org", ip("192.0.2.1")).unwrap();
        throttle.succeeded(other);
    }

    #[test]
    fn an_address_gets_its_own_larger_quota() {
        let throttle = LoginThrottle::default();
        for i in 0..ADDRESS_FAILURES {
            let _failed = throttle
                .begin(&format!("user{i}@example.org"), ip("192.0.2.1"))
                .unwrap();
        }
        assert!(throttle.begin("new@example.org", ip("192.0.2.1")).is_err());
        assert!(throttle.begin("new@example.org", ip("192.0.2.2")).is_ok());
    }

    #[test]
    fn successes_do_not_count_and_forgive_the_account() {
        let throttle = LoginThrottle::default();
        for _ in 0..ACCOUNT_FAILURES - 1 {
            let _failed = throttle.begin("a@example.org", ip("192.0.2.1")).unwrap();
        }
        for _ in 0..3 * ADDRESS_FAILURES {
            let ok = throttle.begin("a@example.org", ip("192.0.2.1")).unwrap();
            throttle.succeeded(ok);
        }
    }
}
