//! The database layer: one code path over SQLite and PostgreSQL.
//!
//! `DbConnection` is a diesel `MultiConnection`; the pool's manager picks the backend from the
//! URL scheme. Blocking diesel calls run on tokio's blocking pool through [`Db::read`] and
//! [`Db::write`]. SQLite allows one writer at a time, so `write` serialises writers in-process
//! instead of letting concurrent transactions fail with `SQLITE_BUSY` on lock upgrade.

pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

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
                let mut conn = PgConnection::establish(self.url.expose())?;
                // Timestamps are naive UTC; CURRENT_TIMESTAMP defaults must be UTC too.
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.url.sqlite_path())?;
                // WAL lets readers proceed during a write; the busy timeout covers other
                // processes (a CLI command next to `serve`).
                conn.batch_execute(
                    // busy_timeout first: switching to WAL needs a lock another
                    // connection may hold.
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
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

/// Why a database call failed, as far as callers need to distinguish.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time: the database is down or overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] r2d2::PoolError),
    /// The query itself failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// The blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The shared database handle: a pool plus the SQLite writer lock.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
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
    /// Connects (failing with the driver's own message when the first connection fails).
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        // Fail fast with the real reason instead of r2d2's "timed out waiting for connection".
        connect_one(url)?;
        let manager = ConnectionManager { url: url.clone() };
        let max_size = match url.backend() {
            Backend::Postgres => 10,
            Backend::Sqlite => 8,
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
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
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            Ok(f(&mut conn)?)
        })
        .await?
    }

    /// Runs `f` in one transaction: everything it writes (state, emails, jobs) commits together
    /// or not at all.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            DbConnection::transaction(&mut conn, f)
        })
        .await
        .map_err(DbError::from)?
    }

    /// Whether the database answers right now (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.read(|conn| conn.batch_execute("SELECT 1"))
            .await
            .is_ok()
    }
}

/// Applies pending migrations for the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.len())
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
