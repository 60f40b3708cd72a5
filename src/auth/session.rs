//! The one session store, for staff and members alike.
//!
//! The cookie holds 256 random bits; the `sessions` table holds only their SHA-256, so a copy
//! of the database signs nobody in. A session ends after its kind's idle timeout without a
//! request (sliding `last_seen_at`, written at most every [`TOUCH_EVERY`]), after its absolute
//! timeout in any case (`expires_at`), or at sign-out, which deletes the row. Each session has
//! its own CSRF token for the forms it posts.

use actix_web::cookie::{Cookie, SameSite};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::config::Settings;
use crate::db::schema::sessions;
use crate::db::{Db, DbConnection, DbError, MultiBackend};
use crate::tokens::{hash_of as hash, random_secret};

/// `last_seen_at` is written at most this often (not on every request).
pub const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Whose sessions: the cookie that carries them and how long they last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The cookie's name.
    pub cookie: &'static str,
    /// The cookie's path: the browser sends it nowhere else.
    pub path: &'static str,
    /// `Strict` for the dashboard; `Lax` for members, who arrive from an emailed link.
    pub same_site: SameSite,
    /// A session ends after this long without a request…
    pub idle: Duration,
    /// …and this long after sign-in in any case.
    pub absolute: Duration,
}

/// Staff on the dashboard.
pub const STAFF: Kind = Kind {
    cookie: "memberdrive_staff",
    path: "/admin",
    same_site: SameSite::Strict,
    idle: Duration::minutes(30),
    absolute: Duration::hours(12),
};

/// Members on `/account`.
pub const MEMBER: Kind = Kind {
    cookie: "memberdrive_member",
    path: "/account",
    same_site: SameSite::Lax,
    idle: Duration::days(7),
    absolute: Duration::days(30),
};

/// Who a session signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A `staff_users` row.
    Staff(i32),
    /// A `members` row.
    Member(i32),
}

impl Holder {
    fn kind(self) -> Kind {
        match self {
            Holder::Staff(_) => STAFF,
            Holder::Member(_) => MEMBER,
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// `sessions.id`.
    pub id: i32,
    /// Who it signs in.
    pub holder: Holder,
    /// The token every form it posts must carry.
    pub csrf_token: String,
}

/// Opens a session; returns the cookie value, the only copy of the secret.
pub fn start(conn: &mut DbConnection, holder: Holder, now: NaiveDateTime) -> QueryResult<String> {
    let raw = random_secret();
    let (staff, member) = match holder {
        Holder::Staff(id) => (Some(id), None),
        Holder::Member(id) => (None, Some(id)),
    };
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash(&raw)),
            sessions::staff_user_id.eq(staff),
            sessions::member_id.eq(member),
            sessions::csrf_token.eq(random_secret()),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + holder.kind().absolute),
        ))
        .execute(conn)?;
    Ok(raw)
}

/// The live session of `kind` that a cookie value names, sliding its idle timeout; a session
/// that ended is deleted.
pub async fn resume(
    db: &Db,
    kind: Kind,
    raw: String,
    now: NaiveDateTime,
) -> Result<Option<Session>, DbError> {
    // Our cookie values are 43 characters of base64url; anything else cannot be one.
    if raw.len() != 43 {
        return Ok(None);
    }
    let token_hash = hash(&raw);
    type Row = (
        i32,
        Option<i32>,
        Option<i32>,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let row: Option<Row> = db
        .read(move |c| {
            sessions::table
                .filter(sessions::token_hash.eq(token_hash))
                .select((
                    sessions::id,
                    sessions::staff_user_id,
                    sessions::member_id,
                    sessions::csrf_token,
                    sessions::last_seen_at,
                    sessions::expires_at,
                ))
                .first(c)
                .optional()
        })
        .await?;
    let Some((id, staff, member, csrf_token, last_seen_at, expires_at)) = row else {
        return Ok(None);
    };
    let holder = match (staff, member) {
        (Some(staff), None) if kind == STAFF => Holder::Staff(staff),
        (None, Some(member)) if kind == MEMBER => Holder::Member(member),
        _ => return Ok(None),
    };
    if expires_at <= now || last_seen_at + kind.idle <= now {
        db.write(move |c| -> Result<_, DbError> { Ok(end(c, id)?) })
            .await?;
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_EVERY {
        db.write(move |c| -> Result<_, DbError> {
            Ok(diesel::update(sessions::table.find(id))
                .set(sessions::last_seen_at.eq(now))
                .execute(c)?)
        })
        .await?;
    }
    Ok(Some(Session {
        id,
        holder,
        csrf_token,
    }))
}

/// Ends a session.
pub fn end(conn: &mut DbConnection, session_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(session_id)).execute(conn)
}

/// Ends the staff session a cookie value names, if any.
pub fn end_staff_by_token(conn: &mut DbConnection, raw: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::token_hash.eq(hash(raw)))
            .filter(sessions::staff_user_id.is_not_null()),
    )
    .execute(conn)
}

/// Ends every session of a staff account (disabled, or given a new password).
pub fn end_all_staff(conn: &mut DbConnection, staff_user_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::staff_user_id.eq(staff_user_id))).execute(conn)
}

/// The ids of the sessions that can no longer be used at `now`, one query per reason: past
/// their absolute end, or idle for longer than their kind allows. [`resume`] refuses such a
/// session at once; [`crate::retention`] deletes the rows.
pub fn ended(now: NaiveDateTime) -> [sessions::BoxedQuery<'static, MultiBackend, Integer>; 3] {
    let ids = || sessions::table.select(sessions::id).into_boxed();
    [
        ids().filter(sessions::expires_at.le(now)),
        ids()
            .filter(sessions::staff_user_id.is_not_null())
            .filter(sessions::last_seen_at.le(now - STAFF.idle)),
        ids()
            .filter(sessions::member_id.is_not_null())
            .filter(sessions::last_seen_at.le(now - MEMBER.idle)),
    ]
}

/// The session cookie: `HttpOnly`, the kind's path and `SameSite`, `Secure` on https.
pub fn cookie(kind: Kind, value: String, settings: &Settings) -> Cookie<'static> {
    Cookie::build(kind.cookie, value)
        .path(kind.path)
        .http_only(true)
        .same_site(kind.same_site)
        .secure(settings.base_url.scheme() == "https")
        .finish()
}

/// A cookie that makes the browser forget the session cookie.
pub fn removal_cookie(kind: Kind, settings: &Settings) -> Cookie<'static> {
    let mut cookie = cookie(kind, String::new(), settings);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_scoped_and_secure_on_https() {
        let c = cookie(
            STAFF,
            "v".into(),
            &Settings::with_base_url("https://m.example.org"),
        )
        .to_string();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
        let c = cookie(
            MEMBER,
            "v".into(),
            &Settings::with_base_url("https://m.example.org"),
        )
        .to_string();
        for part in ["HttpOnly", "SameSite=Lax", "Path=/account", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
        let c = cookie(
            STAFF,
            "v".into(),
            &Settings::with_base_url("http://127.0.0.1:8080"),
        )
        .to_string();
        assert!(!c.contains("Secure"), "{c}");
    }
}
