//! Staff passwords: argon2id with at least OWASP's minimum cost, stored as a PHC string.
//!
//! Verification runs for unknown accounts too, against [`DUMMY_HASH`] made with the same
//! parameters, so that a wrong password and an unknown email take the same time.
//!
//! Each check takes [`MEMORY_KIB`] of memory: [`Checks`] bounds how many run at once, so a
//! flood of sign-ins waits in line instead of taking memory without limit.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

/// Memory cost in KiB (OWASP's minimum for argon2id: 19 MiB).
pub const MEMORY_KIB: u32 = 19_456;
/// Passes over memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;
/// The shortest password we accept for a staff account.
pub const MIN_CHARS: usize = 12;
/// The longest: hashing cost grows with the input, and no one types more.
pub const MAX_CHARS: usize = 1024;

/// A hash of a random password nobody knows, made with the parameters above; unknown accounts
/// are verified against it. `dummy_hash_uses_the_current_parameters` keeps it in step.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$spwoQ3dKERnugxMrGNpDqg$qpBc7HCxDWMPDsFh+edGIk0OB6L731cdlQyb5GYiKmY";

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Weak {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password is too short: use at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("the password is too long: use at most {MAX_CHARS} characters")]
    TooLong,
}

/// Checks a new password against our rules.
pub fn check_new(password: &str) -> Result<(), Weak> {
    match password.chars().count() {
        n if n < MIN_CHARS => Err(Weak::TooShort),
        n if n > MAX_CHARS => Err(Weak::TooLong),
        _ => Ok(()),
    }
}

/// Hashes a password with a fresh random salt; returns the PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). CPU-heavy: call it off the async runtime.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = argon2()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc` (the hash's own parameters are used). A malformed stored
/// hash never matches. CPU-heavy: call it off the async runtime.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        // Still spend the usual time, on a bounded input.
        let _ = argon2().verify_password(b"", DUMMY_HASH);
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored staff password hash is malformed");
            false
        }
    }
}

/// Verifies against `phc` when the account exists, else against [`DUMMY_HASH`]: the same work
/// either way.
pub fn verify_or_dummy(password: &str, phc: Option<&str>) -> bool {
    let matched = verify(password, phc.unwrap_or(DUMMY_HASH));
    matched && phc.is_some()
}

/// How long a sign-in waits for a password check to be free before it is turned away.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Every check was busy for [`QUEUE_WAIT`].
    #[error("every password check is busy")]
    Busy,
    /// The check itself failed (it panicked).
    #[error("the password check failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
}

/// Password checks, at most a fixed number at once.
#[derive(Debug, Clone)]
pub struct Checks {
    permits: Arc<Semaphore>,
}

impl Checks {
    /// At most `at_once` checks at a time.
    pub fn new(at_once: NonZeroUsize) -> Checks {
        Checks {
            permits: Arc::new(Semaphore::new(at_once.get())),
        }
    }

    /// One check per core: more would only wait for a CPU while holding their memory.
    pub fn per_core() -> Checks {
        Checks::new(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }

    /// [`verify_or_dummy`] on the blocking pool, once a check is free.
    pub async fn verify_or_dummy(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, CheckError> {
        self.bounded(move || verify_or_dummy(&password, phc.as_deref()))
            .await
    }

    /// [`hash`] on the blocking pool, once a check is free: a new hash costs what a check does.
    pub async fn hash(&self, password: String) -> Result<anyhow::Result<String>, CheckError> {
        self.bounded(move || hash(&password)).await
    }

    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CheckError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| CheckError::Busy)?
            .map_err(|_| CheckError::Busy)?;
        // The permit goes with the work: a request that gives up does not free it while its
        // hash still runs.
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(
            phc.starts_with(&format!(
                "$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={PARALLELISM}$"
            )),
            "{phc}"
        );
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse battery!", &phc));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn dummy_hash_uses_the_current_parameters() {
        let prefix = format!("$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={PARALLELISM}$");
        assert!(DUMMY_HASH.starts_with(&prefix), "regenerate DUMMY_HASH");
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_or_dummy("anything at all", None));
    }

    #[test]
    fn new_passwords_need_twelve_characters() {
        assert_eq!(check_new("short"), Err(Weak::TooShort));
        assert_eq!(check_new("elevenchars"), Err(Weak::TooShort));
        assert_eq!(check_new("twelve chars"), Ok(()));
        // Characters, not bytes.
        assert_eq!(check_new("пароль-дов"), Err(Weak::TooShort));
        assert_eq!(check_new(&"x".repeat(MAX_CHARS + 1)), Err(Weak::TooLong));
    }
}
