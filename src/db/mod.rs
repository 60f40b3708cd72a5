//! The database layer: one code path over SQLite and PostgreSQL.
//!
//! `DbConnection` is a diesel `MultiConnection`; the pool's manager picks the backend from the
//! URL scheme. Blocking diesel calls run on tokio's blocking pool through [`Db::read`] and
//! [`Db::write`], each bounded in time by [`CALL_TIMEOUT`]: a database that stops answering
//! (a partition, a frozen server) costs a request a 503 after that long, never a hang. Writes
//! wait in a bounded queue; when it is full they are refused at once, so a flood cannot pile
//! up work and memory. Every write transaction, of the server and of the CLI, goes through
//! [`write_transaction`], which on SQLite takes the write lock before its first read.

pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, CacheSize, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::DatabaseUrl;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, for production and several instances.
    Pg(PgConnection),
    /// The embedded default.
    Sqlite(SqliteConnection),
}

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`
    Postgres,
    /// `sqlite://PATH`
    Sqlite,
}

/// Opens connections for the pool, reporting the driver's real error (the derived
/// `MultiConnection::establish` would hide it behind a generic message).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    fn connect(&self) -> ConnectionResult<DbConnection> {
        match self.url.backend() {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url.driver_url())?;
                // PgBouncer in transaction mode hands each transaction to any server
                // connection: statements prepared by name on one are missing on the next.
                if self.url.behind_pgbouncer() {
                    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
                }
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.url.sqlite_path())?;
                // WAL lets readers proceed during a write; the busy timeout covers other
                // processes (a CLI command next to `serve`), whose write transactions all
                // begin IMMEDIATE, so waiting for the lock is all they ever do.
                conn.batch_execute(
                    // busy_timeout first: switching to WAL needs a lock another
                    // connection may hold.
                    "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                // SQLite's own lower() folds ASCII only; PostgreSQL's folds every script.
                lower_utils::register_impl(&mut conn, |s: Option<String>| {
                    s.map(|s| s.to_lowercase())
                })
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        ConnectionManager::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        match conn {
            // A server can go away between two uses of a connection; a file cannot.
            DbConnection::Pg(c) => c.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError),
            DbConnection::Sqlite(_) => Ok(()),
        }
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Runs `$body` with `$c` bound to the backend's own connection, for the statements diesel's
/// `MultiConnection` does not span (upserts); the SQL is the same on each backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Rows per page of every staff listing.
pub const PER_PAGE: i64 = 50;

/// A page of a listing, from 1. At most 10,000: past that, OFFSET scans get slow, and nobody
/// pages that far by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page(i64);

impl Page {
    /// The page a request asks for (`?page=N`, the first when absent), within bounds.
    pub fn asked(number: Option<i64>) -> Page {
        Page(number.unwrap_or(1).clamp(1, 10_000))
    }

    /// Its number, from 1.
    pub fn number(self) -> i64 {
        self.0
    }

    /// The `OFFSET` of its first row.
    pub fn offset(self) -> i64 {
        (self.0 - 1) * PER_PAGE
    }

    /// Rows read with [`Page::offset`] and `LIMIT PER_PAGE + 1`: the page, and whether more
    /// follow it.
    pub fn and_more<T>(mut rows: Vec<T>) -> (Vec<T>, bool) {
        let more = rows.len() as i64 > PER_PAGE;
        rows.truncate(PER_PAGE as usize);
        (rows, more)
    }
}

/// How long a database call may take, waiting for a connection or the write lock included,
/// before its request is answered 503. A call that has not started by then never runs; one
/// that has runs to its end (its transaction commits or not, as a whole).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a write on SQLite may wait for the file's write lock, which a command beside
/// `serve` (an import, all or nothing) may hold for a while; there is no network to fail.
/// The busy timeout of every SQLite connection is the same.
pub const SQLITE_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes that may wait for their turn per connection of the pool; more are refused at once.
const QUEUED_WRITES_PER_CONNECTION: usize = 16;

/// Connections an instance holds at most, unless `MEMBERDRIVE_DB_POOL_SIZE` says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// Why a database call failed, as far as callers need to distinguish.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time: the database is down or overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] r2d2::PoolError),
    /// The call did not finish within [`CALL_TIMEOUT`].
    #[error("database call timed out after {CALL_TIMEOUT:?}")]
    TimedOut,
    /// The queue of writes is full.
    #[error("too many writes waiting")]
    Busy,
    /// The query itself failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// The blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl DbError {
    /// Whether the failure is the database's availability, not the query: the caller may try
    /// again in a moment.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            DbError::Unavailable(_) | DbError::TimedOut | DbError::Busy
        )
    }
}

/// The shared database handle: a pool, the SQLite writer lock and the queue of writes.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    queued_writes: Arc<Semaphore>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// One connection and no pool, for the CLI's commands: nothing keeps connecting in the
/// background while the process exits (a pool's thread still inside libpq or OpenSSL when
/// their exit handlers run can corrupt the heap).
pub fn connect_one(url: &DatabaseUrl) -> anyhow::Result<DbConnection> {
    ConnectionManager { url: url.clone() }
        .connect()
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", url.redacted()))
}

impl Db {
    /// Connects (failing with the driver's own message when the first connection fails), with
    /// at most `pool_size` connections.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Db> {
        // Fail fast with the real reason instead of r2d2's "timed out waiting for connection".
        connect_one(url)?;
        let manager = ConnectionManager { url: url.clone() };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // Connections are made when asked for, never in the background: a pool thread
            // inside libpq or OpenSSL when the process exits can corrupt the heap.
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(2))
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build_unchecked(manager);
        Ok(Db {
            pool,
            backend: url.backend(),
            sqlite_writer: Arc::default(),
            queued_writes: Arc::new(Semaphore::new(
                pool_size as usize * QUEUED_WRITES_PER_CONNECTION,
            )),
        })
    }

    /// The backend this handle talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for blocking code (CLI commands, tests).
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs read-only work on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let deadline = Instant::now() + CALL_TIMEOUT;
        let pool = self.pool.clone();
        bounded(deadline, move || {
            let mut conn = pool.get()?;
            Ok(f(&mut conn)?)
        })
        .await
    }

    /// Runs `f` in one write transaction: everything it writes (state, emails, jobs) commits
    /// together or not at all.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let deadline = Instant::now()
            + match self.backend {
                Backend::Sqlite => SQLITE_WRITE_TIMEOUT,
                Backend::Postgres => CALL_TIMEOUT,
            };
        let place = self
            .queued_writes
            .clone()
            .try_acquire_owned()
            .map_err(|_| DbError::Busy)?;
        // SQLite has one writer at a time: take turns here rather than in the busy handler.
        // The turn is held until the transaction ends, even past a caller that gave up.
        let turn = match self.backend {
            Backend::Sqlite => Some(
                tokio::time::timeout_at(deadline, self.sqlite_writer.clone().lock_owned())
                    .await
                    .map_err(|_| DbError::TimedOut)?,
            ),
            Backend::Postgres => None,
        };
        let pool = self.pool.clone();
        bounded(deadline, move || {
            let _held = (place, turn);
            let mut conn = pool.get().map_err(DbError::from)?;
            write_transaction(&mut conn, f)
        })
        .await
    }

    /// Whether the database answers right now (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.read(|conn| conn.batch_execute("SELECT 1"))
            .await
            .is_ok()
    }
}

/// Runs blocking database work, answering [`DbError::TimedOut`] at `deadline`. Work that has
/// not started by then is dropped unstarted.
async fn bounded<T, E, F>(deadline: Instant, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || {
        if Instant::now() >= deadline {
            return Err(DbError::TimedOut.into());
        }
        f()
    });
    match tokio::time::timeout_at(deadline, task).await {
        Ok(joined) => joined.map_err(DbError::from)?,
        Err(_) => Err(DbError::TimedOut.into()),
    }
}

/// Runs `f` in one transaction that may write, on either backend. On SQLite it begins
/// IMMEDIATE, taking the write lock before its first read: a DEFERRED transaction that read
/// first fails at once ("database is locked", no busy wait) when it must become a writer after
/// another connection wrote in between, while an IMMEDIATE one waits its turn within the busy
/// timeout. Every write of the server and of every CLI command goes through here.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(_) => Manager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Any number that no other application on the same PostgreSQL database is likely to use for
/// an advisory lock ("memb" in ASCII).
const MIGRATION_LOCK: i64 = 0x6d65_6d62;

/// Applies pending migrations for the connection's backend; returns how many ran. Instances
/// that start together take turns: on PostgreSQL an advisory lock held for the transaction
/// serialises them (the next one finds nothing left to apply; the lock is the transaction's, so
/// it works through PgBouncer in transaction mode too), on SQLite the IMMEDIATE transaction
/// does.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = write_transaction(conn, |conn| -> anyhow::Result<usize> {
        let applied = match conn {
            DbConnection::Pg(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))?;
                c.run_pending_migrations(POSTGRES_MIGRATIONS)
            }
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.len())
    })?;
    Ok(applied)
}

diesel::define_sql_function! {
    /// SQL `lower()`, which folds every script on both backends: on SQLite, whose own folds
    /// ASCII only, each connection replaces it with Rust's Unicode lower-casing.
    fn lower(s: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A `LIKE` pattern matching values that contain `needle`, with `%`, `_` and `\` taken
/// literally; use it with `.escape('\\')` (SQLite has no default escape character).
pub fn like_containing(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Today's UTC time, the only clock the database layer uses (timestamps are naive UTC).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A stored time as the JSON and files we give out write it: RFC 3339, UTC, whole seconds.
pub fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::like_containing;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_containing("ann"), "%ann%");
        assert_eq!(like_containing("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_containing(""), "%%");
    }
}
