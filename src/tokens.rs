//! Secrets sent by email (confirm, unsubscribe, manage, sign-in, a staff password reset): 256
//! random bits, given to their holder once and stored only as a SHA-256 hash.

use base64::Engine as _;
use chrono::{NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::tokens;
use crate::db::{DbConnection, on_backend};

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms pending newsletter subscriptions; single use, 48 hours.
    Confirm,
    /// Unsubscribes from the newsletters of the email it came in.
    Unsubscribe,
    /// Opens a reader's newsletter preferences.
    Manage,
    /// Signs a member in to their account; single use, 15 minutes.
    SignIn,
    /// Lets a staff member choose a new password; single use, 1 hour.
    StaffPassword,
    /// Brings a reader back from Stripe Checkout signed in (the success URL carries it; its
    /// payload names the Checkout Session); single use, as long as a Checkout Session lives.
    Welcome,
}

/// Whose a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A newsletter reader.
    Subscriber(i32),
    /// A member (account sign-in).
    Member(i32),
    /// A staff account (password reset).
    Staff(i32),
    /// Nobody yet: the reader who is paying in Checkout becomes a member only once the
    /// payment is applied.
    Nobody,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Manage => "manage",
            Purpose::SignIn => "sign_in",
            Purpose::StaffPassword => "staff_password",
            Purpose::Welcome => "welcome",
        }
    }
}

/// A stored token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Token {
    /// Row id.
    pub id: i32,
    /// The reader it belongs to.
    pub subscriber_id: Option<i32>,
    /// The member it belongs to.
    pub member_id: Option<i32>,
    /// The staff account it belongs to.
    pub staff_user_id: Option<i32>,
    /// JSON the issuer attached (e.g. newsletter ids).
    pub payload: String,
    /// When it stops working.
    pub expires_at: Option<NaiveDateTime>,
    /// When it was used (single-use tokens).
    pub used_at: Option<NaiveDateTime>,
    /// When it was issued.
    pub created_at: NaiveDateTime,
}

/// Why a token does not work, for a clear page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Unknown or forged.
    Invalid,
    /// Too old.
    Expired,
    /// Already used.
    Used,
}

/// 256 random bits, base64url: the secret of a token or a session cookie.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token (also for keys that must not reveal it).
pub fn hash_of(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// A token whose secret exists but which is not stored yet: put its secret in an email, queue
/// the email, and [`Unstored::store`] it only if the email was queued, so that no row is
/// written for an email that is not sent.
#[derive(Debug)]
pub struct Unstored {
    raw: String,
    purpose: Purpose,
    owner: Owner,
    payload: String,
    expires_at: Option<NaiveDateTime>,
}

impl Unstored {
    /// A new secret for `owner`.
    pub fn new(
        purpose: Purpose,
        owner: Owner,
        payload: &str,
        expires_at: Option<NaiveDateTime>,
    ) -> Unstored {
        Unstored {
            raw: random_secret(),
            purpose,
            owner,
            payload: payload.to_owned(),
            expires_at,
        }
    }

    /// The secret, for the link in the email.
    pub fn secret(&self) -> &str {
        &self.raw
    }

    /// The same token with `payload` (known only once the link exists, e.g. the Checkout
    /// Session whose success URL carries it).
    pub fn carrying(mut self, payload: String) -> Unstored {
        self.payload = payload;
        self
    }

    /// Stores the token (its hash); the secret is not kept.
    pub fn store(self, conn: &mut DbConnection) -> QueryResult<()> {
        store_all(conn, vec![self])
    }

    /// The row that stores it.
    fn row(&self) -> TokenRow {
        let (subscriber, member, staff) = match self.owner {
            Owner::Subscriber(id) => (Some(id), None, None),
            Owner::Member(id) => (None, Some(id), None),
            Owner::Staff(id) => (None, None, Some(id)),
            Owner::Nobody => (None, None, None),
        };
        (
            tokens::token_hash.eq(hash_of(&self.raw)),
            tokens::purpose.eq(self.purpose.as_str()),
            tokens::subscriber_id.eq(subscriber),
            tokens::member_id.eq(member),
            tokens::staff_user_id.eq(staff),
            tokens::payload.eq(self.payload.clone()),
            tokens::expires_at.eq(self.expires_at),
            tokens::created_at.eq(crate::db::now()),
        )
    }
}

type TokenRow = (
    diesel::dsl::Eq<tokens::token_hash, String>,
    diesel::dsl::Eq<tokens::purpose, &'static str>,
    diesel::dsl::Eq<tokens::subscriber_id, Option<i32>>,
    diesel::dsl::Eq<tokens::member_id, Option<i32>>,
    diesel::dsl::Eq<tokens::staff_user_id, Option<i32>>,
    diesel::dsl::Eq<tokens::payload, String>,
    diesel::dsl::Eq<tokens::expires_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<tokens::created_at, NaiveDateTime>,
);

/// Stores `unstored` (their hashes) in one statement per thousand.
pub fn store_all(conn: &mut DbConnection, unstored: Vec<Unstored>) -> QueryResult<()> {
    // Eight bound parameters a row: far under both databases' limits.
    for chunk in unstored.chunks(1_000) {
        let rows: Vec<TokenRow> = chunk.iter().map(Unstored::row).collect();
        let insert = diesel::insert_into(tokens::table).values(rows);
        on_backend!(conn, |c| insert.execute(c)?);
    }
    Ok(())
}

/// Issues a token and returns the only copy of its secret (for a link shown at once, not
/// emailed: emailed ones are [`Unstored`] until their email is queued).
pub fn issue(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner: Owner,
    payload: &str,
    expires_at: Option<NaiveDateTime>,
) -> QueryResult<String> {
    let token = Unstored::new(purpose, owner, payload, expires_at);
    let raw = token.raw.clone();
    token.store(conn)?;
    Ok(raw)
}

/// Looks a token up without using it.
pub fn check(
    conn: &mut DbConnection,
    purpose: Purpose,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Token, Rejected>> {
    // Tokens are 43 characters of base64url; anything else cannot be one.
    if raw.len() != 43
        || !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(Err(Rejected::Invalid));
    }
    let token = tokens::table
        .filter(tokens::token_hash.eq(hash_of(raw)))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .select(Token::as_select())
        .first(conn)
        .optional()?;
    Ok(match token {
        None => Err(Rejected::Invalid),
        Some(t) if t.used_at.is_some() => Err(Rejected::Used),
        Some(t) if t.expires_at.is_some_and(|at| at <= now) => Err(Rejected::Expired),
        Some(t) => Ok(t),
    })
}

/// Uses a single-use token: exactly one concurrent caller gets `Ok`.
pub fn consume(
    conn: &mut DbConnection,
    purpose: Purpose,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Token, Rejected>> {
    let token = match check(conn, purpose, raw, now)? {
        Ok(token) => token,
        Err(rejected) => return Ok(Err(rejected)),
    };
    let claimed = diesel::update(
        tokens::table
            .filter(tokens::id.eq(token.id))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(if claimed == 1 {
        Ok(token)
    } else {
        Err(Rejected::Used)
    })
}

/// How many tokens of `purpose` were issued to `owner` since `since` (per-address limits).
pub fn issued_since(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner: Owner,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    of(purpose, owner)
        .filter(tokens::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// How many tokens of `purpose` `owner` was sent today (UTC) before `now`. The emails that
/// carry them are numbered per day with it, so that two concurrent senders of the next one
/// share its key and one of them sends it. Per day, not ever: used and expired tokens are
/// purged ([`crate::retention`]), but never on the day they were issued, so a day's count
/// never goes back and no key is used twice.
pub fn issued_today(
    conn: &mut DbConnection,
    purpose: Purpose,
    owner: Owner,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    issued_since(conn, purpose, owner, now.date().and_time(NaiveTime::MIN))
}

fn of<'a>(purpose: Purpose, owner: Owner) -> tokens::BoxedQuery<'a, crate::db::MultiBackend> {
    let query = tokens::table
        .filter(tokens::purpose.eq(purpose.as_str()))
        .into_boxed();
    match owner {
        Owner::Subscriber(id) => query.filter(tokens::subscriber_id.eq(id)),
        Owner::Member(id) => query.filter(tokens::member_id.eq(id)),
        Owner::Staff(id) => query.filter(tokens::staff_user_id.eq(id)),
        Owner::Nobody => query
            .filter(tokens::subscriber_id.is_null())
            .filter(tokens::member_id.is_null())
            .filter(tokens::staff_user_id.is_null()),
    }
}
