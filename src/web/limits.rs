//! Rate limits kept in the database, so that every instance on one database shares one quota
//! and a restart forgets nothing.
//!
//! Each limit is a row of `rate_limits` keyed by (scope, key), changed by one statement that
//! decides (`INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`): two instances taking the
//! last place at the same moment cannot both have it. Two kinds of row:
//!
//! - a **bucket** ([`Rate`]): GCRA, the algorithm of the in-memory limiters it replaces. The
//!   row holds the theoretical arrival time; a bucket allows `burst` events at once and one
//!   more every `per`. Unlike counters per fixed window it has no window edge around which
//!   twice the quota gets through.
//! - a **back-off**: a count of failures and the earliest time of the next attempt, the delay
//!   growing with the count.
//!
//! Times are milliseconds since the Unix epoch, so that the arithmetic is the same SQL on both
//! databases. A row past its `expires_ms` holds nothing a limit needs; [`purge`] deletes them.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;

use diesel::dsl::case_when;
use diesel::prelude::*;

use crate::db::schema::rate_limits::dsl as r;
use crate::db::{Db, DbConnection, DbError, on_backend};
use crate::i18n::Lang;
use crate::web::client_ip;
use crate::web::error::AppError;

/// A bucket: `burst` events at once, then one more every `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Events allowed at once.
    pub burst: u32,
    /// How long it takes for one more to be allowed.
    pub per: Duration,
}

impl Rate {
    fn per_ms(self) -> i64 {
        i64::try_from(self.per.as_millis()).unwrap_or(i64::MAX)
    }

    /// How far ahead of now the bucket's arrival time may be before the bucket is full.
    fn depth_ms(self) -> i64 {
        self.per_ms().saturating_mul(i64::from(self.burst))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn after(until_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(until_ms - now_ms).unwrap_or(0))
}

/// One more event in a bucket, unless its arrival time is past `at_most` (then the bucket is
/// unchanged); the new arrival time.
fn arrive(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    rate: Rate,
    now_ms: i64,
    at_most: i64,
) -> QueryResult<Option<i64>> {
    let per = rate.per_ms();
    let next = case_when(r::until_ms.gt(now_ms), r::until_ms + per).otherwise(now_ms + per);
    let upsert = diesel::insert_into(r::rate_limits)
        .values((
            r::scope.eq(scope),
            r::key.eq(key),
            r::count.eq(1),
            r::until_ms.eq(now_ms + per),
            r::expires_ms.eq(now_ms + per),
        ))
        .on_conflict((r::scope, r::key))
        .do_update()
        .set((
            r::count.eq(r::count + 1),
            r::until_ms.eq(next),
            r::expires_ms.eq(next),
        ));
    // `ON CONFLICT … DO UPDATE … WHERE`: `QueryDsl::filter` does not reach it.
    let insert = diesel::query_dsl::methods::FilterDsl::filter(upsert, r::until_ms.le(at_most))
        .returning(r::until_ms);
    on_backend!(conn, |c| insert.get_result(c).optional())
}

/// Takes one place in a bucket, or answers how long until one is free (the bucket is
/// unchanged then).
pub fn take(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    rate: Rate,
    now_ms: i64,
) -> QueryResult<Result<(), Duration>> {
    // Full when one more `per` would put the arrival time past the bucket's depth.
    let at_most = now_ms + rate.depth_ms() - rate.per_ms();
    if arrive(conn, scope, key, rate, now_ms, at_most)?.is_some() {
        return Ok(Ok(()));
    }
    let until = until_of(conn, scope, key)?.unwrap_or(now_ms);
    Ok(Err(after(until, at_most)))
}

/// Where a bucket stands after an event that is never refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Whether the bucket is over its burst now.
    pub over: bool,
    /// Whether this event took it over (exactly one event does, until it drains).
    pub crossed: bool,
}

/// Adds an event to a bucket even when it is over its burst (a ceiling that warns and slows
/// but never refuses).
pub fn add(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    rate: Rate,
    now_ms: i64,
) -> QueryResult<Level> {
    let until =
        arrive(conn, scope, key, rate, now_ms, i64::MAX)?.ok_or(diesel::result::Error::NotFound)?;
    let over = until - now_ms > rate.depth_ms();
    Ok(Level {
        over,
        crossed: over && until - rate.per_ms() - now_ms <= rate.depth_ms(),
    })
}

/// Whether a bucket is over its burst, without adding to it.
pub fn is_over(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    rate: Rate,
    now_ms: i64,
) -> QueryResult<bool> {
    Ok(until_of(conn, scope, key)?.is_some_and(|until| until - now_ms > rate.depth_ms()))
}

/// Gives back a place taken with [`take`] (the event turned out not to count).
pub fn give_back(conn: &mut DbConnection, scope: &str, key: &str, rate: Rate) -> QueryResult<()> {
    diesel::update(r::rate_limits.find((scope, key)))
        .set((
            r::count.eq(r::count - 1),
            r::until_ms.eq(r::until_ms - rate.per_ms()),
            r::expires_ms.eq(r::expires_ms - rate.per_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Admits one more attempt of a back-off unless its delay runs: the attempt counts at once,
/// and the next may come `delay(count)` later. Answers the count, or how long to wait.
/// Failures are forgotten `forget` after the last delay ends.
pub fn back_off(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    now_ms: i64,
    delay: impl Fn(i32) -> Duration,
    forget: Duration,
) -> QueryResult<Result<i32, Duration>> {
    let upsert = diesel::insert_into(r::rate_limits)
        .values((
            r::scope.eq(scope),
            r::key.eq(key),
            r::count.eq(1),
            r::until_ms.eq(0),
            r::expires_ms.eq(now_ms),
        ))
        .on_conflict((r::scope, r::key))
        .do_update()
        .set(r::count.eq(r::count + 1));
    let insert = diesel::query_dsl::methods::FilterDsl::filter(upsert, r::until_ms.le(now_ms))
        .returning(r::count);
    let Some(count): Option<i32> = on_backend!(conn, |c| insert.get_result(c).optional()?) else {
        let until = until_of(conn, scope, key)?.unwrap_or(now_ms);
        return Ok(Err(after(until, now_ms)));
    };
    // The row is ours until the transaction ends (a row lock on PostgreSQL, the write lock on
    // SQLite): no other attempt sees it between the two statements.
    // No wait is 0, not now: a concurrent attempt whose clock read a millisecond earlier
    // must not find itself too early.
    let wait = delay(count);
    let until = if wait.is_zero() {
        0
    } else {
        now_ms.saturating_add(millis(wait))
    };
    diesel::update(r::rate_limits.find((scope, key)))
        .set((
            r::until_ms.eq(until),
            r::expires_ms.eq(until.max(now_ms).saturating_add(millis(forget))),
        ))
        .execute(conn)?;
    Ok(Ok(count))
}

/// Takes back one attempt of a back-off (it was never decided); its delay stays.
pub fn uncount(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<()> {
    diesel::update(r::rate_limits.find((scope, key)))
        .set(r::count.eq(r::count - 1))
        .execute(conn)?;
    Ok(())
}

/// Forgets a limit's row (a back-off whose client succeeded).
pub fn forget(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<()> {
    diesel::delete(r::rate_limits.find((scope, key))).execute(conn)?;
    Ok(())
}

/// Deletes the rows that no longer limit anything; returns how many.
pub fn purge(conn: &mut DbConnection, now_ms: i64) -> QueryResult<usize> {
    diesel::delete(r::rate_limits.filter(r::expires_ms.lt(now_ms))).execute(conn)
}

fn until_of(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<Option<i64>> {
    r::rate_limits
        .find((scope, key))
        .select(r::until_ms)
        .first(conn)
        .optional()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One bucket per client address for a family of public forms.
#[derive(Debug, Clone)]
pub struct PerClient {
    db: Db,
    scope: &'static str,
    rate: Rate,
}

impl PerClient {
    /// A limit named `scope` (the row's scope) allowing `rate` per client address.
    pub fn new(db: Db, scope: &'static str, rate: Rate) -> PerClient {
        PerClient { db, scope, rate }
    }

    /// Counts a request from `client`; when it is one too many (and then it does not count),
    /// how long until one more is allowed.
    pub async fn exceeded(&self, client: IpAddr) -> Result<Option<Duration>, DbError> {
        self.exceeded_by(client.to_string()).await
    }

    /// Counts a request against the bucket `key` of this limit's scope (a client's address,
    /// or another quota such as an email address's hash), as [`PerClient::exceeded`] does.
    async fn exceeded_by(&self, key: String) -> Result<Option<Duration>, DbError> {
        let limit = self.clone();
        self.db
            .write(move |c| -> Result<Option<Duration>, DbError> {
                Ok(take(c, limit.scope, &key, limit.rate, now_ms())?.err())
            })
            .await
    }

    /// Counts a request from `client` inside the caller's write transaction (a sign-up counts
    /// in the transaction that stores it: one turn at writing, not two); false when it is one
    /// too many, and then it does not count: how long until one more is allowed. A request whose
    /// client is unknown is allowed.
    pub fn allows(
        &self,
        conn: &mut DbConnection,
        client: Option<IpAddr>,
    ) -> QueryResult<Result<(), Duration>> {
        match client {
            Some(client) => take(conn, self.scope, &client.to_string(), self.rate, now_ms()),
            None => Ok(Ok(())),
        }
    }

    /// The answer to the one request too many, to be tried again after `wait`: 429
    /// `rate_limited`, in `lang`, as JSON when `json`.
    pub fn refusal(wait: Duration, json: bool, lang: Lang) -> AppError {
        AppError::client(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            lang.tr("limit-network"),
        )
        .in_lang(lang)
        .retry_after(wait.as_secs_f64().ceil() as u64)
        .json(json)
    }

    /// Counts a request from the client of `req` (the address `trusted_proxies` name) and
    /// refuses the one too many with [`PerClient::refusal`].
    pub async fn check(
        &self,
        req: &HttpRequest,
        trusted_proxies: &[IpAddr],
        json: bool,
        lang: Lang,
    ) -> Result<(), AppError> {
        let Some(client) = client_ip(req, trusted_proxies) else {
            return Ok(());
        };
        if let Some(wait) = self
            .exceeded(client)
            .await
            .map_err(|e| AppError::from(e).json(json))?
        {
            return Err(PerClient::refusal(wait, json, lang));
        }
        Ok(())
    }
}

/// The limits on Checkout Sessions started (joining, giving), against card testing: one quota
/// per client address and one per email address typed, kept as the address's hash.
#[derive(Debug, Clone)]
pub struct CheckoutLimits {
    per_client: PerClient,
    per_address: PerClient,
}

impl CheckoutLimits {
    /// `per_client` for each client address, `per_address` for each email address.
    pub fn new(db: Db, per_client: Rate, per_address: Rate) -> CheckoutLimits {
        CheckoutLimits {
            per_client: PerClient::new(db.clone(), "checkout", per_client),
            per_address: PerClient::new(db, "checkout-address", per_address),
        }
    }

    /// Counts a Checkout about to be started by the client of `req` and refuses the one too
    /// many, as [`PerClient::check`] does.
    pub async fn check_client(
        &self,
        req: &HttpRequest,
        trusted_proxies: &[IpAddr],
        json: bool,
        lang: Lang,
    ) -> Result<(), AppError> {
        self.per_client
            .check(req, trusted_proxies, json, lang)
            .await
    }

    /// Counts a Checkout about to be started for `address` and refuses the one too many with
    /// 429 `rate_limited`.
    pub async fn check_address(
        &self,
        address: &str,
        json: bool,
        lang: Lang,
    ) -> Result<(), AppError> {
        let key = crate::tokens::hash_of(&address.to_lowercase());
        if let Some(wait) = self
            .per_address
            .exceeded_by(key)
            .await
            .map_err(|e| AppError::from(e).json(json))?
        {
            return Err(AppError::client(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                lang.tr("limit-address"),
            )
            .in_lang(lang)
            .retry_after(wait.as_secs_f64().ceil() as u64)
            .json(json));
        }
        Ok(())
    }
}
