//! Waiting for something to happen: poll a condition until it holds or a deadline passes.
//!
//! A test never sleeps for a fixed time to let something happen. On a busy machine (CI shares
//! its cores) any fixed time can be too short; with a deadline the wait ends as soon as the
//! condition holds, so deadlines can be generous without slowing a passing test down.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long to wait before looking at a condition again.
const POLL: Duration = Duration::from_millis(20);

/// What a condition polled by [`eventually`] answers.
pub trait Outcome {
    /// What the wait returns once the condition holds.
    type Value;
    /// `Ok` once the condition holds; otherwise what was seen instead, for the failure message.
    fn holds(self) -> Result<Self::Value, String>;
}

impl Outcome for bool {
    type Value = ();
    fn holds(self) -> Result<(), String> {
        if self { Ok(()) } else { Err("not yet".into()) }
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn holds(self) -> Result<T, String> {
        self.ok_or_else(|| "not yet".into())
    }
}

impl<T, E: std::fmt::Display> Outcome for Result<T, E> {
    type Value = T;
    fn holds(self) -> Result<T, String> {
        self.map_err(|seen| seen.to_string())
    }
}

/// Polls `condition` until it holds (`true`, `Some(value)` or `Ok(value)`) and returns its
/// value. Panics once `timeout` has passed, naming `what` was awaited and what the last look
/// saw instead (the `Err` of a `Result` condition).
pub async fn eventually<O, F, Fut>(what: &str, timeout: Duration, mut condition: F) -> O::Value
where
    O: Outcome,
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
{
    let started = Instant::now();
    loop {
        match condition().await.holds() {
            Ok(value) => return value,
            Err(seen) if started.elapsed() >= timeout => {
                panic!("waited {timeout:?} for {what}, in vain; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
