//! Staff accounts: who may sign in to `/admin`, and with which role; their passwords
//! ([`password`]), what is done to an account ([`manage`]) from the `memberdrive staff …`
//! commands ([`cli`]) or the dashboard ([`pages`]), "forgot your password?" ([`forgot`])
//! and the page a password link opens ([`reset`]). Signing in, its throttle and the dashboard's frame are `admin`'s.

pub mod cli;
pub mod forgot;
pub mod manage;
pub mod pages;
pub mod password;
pub mod reset;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::auth::session;
use crate::db::DbConnection;
use crate::db::schema::staff_users;
use crate::domain::EmailAddress;

/// What a staff member may do; stored as text (`admin`, `viewer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// Sees and changes everything.
    Admin,
    /// Sees everything, changes nothing.
    #[default]
    Viewer,
}

impl Role {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    /// The role a form names exactly (`admin` or `viewer`).
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Admin, Role::Viewer]
            .into_iter()
            .find(|role| role.as_str() == text)
    }

    /// From the stored text; anything unknown is the least privileged role.
    pub fn from_stored(text: &str) -> Role {
        match text {
            "admin" => Role::Admin,
            _ => Role::Viewer,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so that a width such as `{role:<6}` lines columns up.
        f.pad(self.as_str())
    }
}

/// A staff account row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct StaffUser {
    /// Row id.
    pub id: i32,
    /// Normalised (lower-case) address.
    pub email: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// `admin` or `viewer`.
    pub role: String,
    /// When the account was disabled; it cannot sign in while this is set.
    pub disabled_at: Option<NaiveDateTime>,
}

impl StaffUser {
    /// Whether the account may sign in.
    pub fn enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// An account as `memberdrive staff list` and the dashboard show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct Listing {
    /// Row id.
    pub id: i32,
    /// Normalised (lower-case) address.
    pub email: String,
    /// `admin` or `viewer`.
    pub role: String,
    /// When the account was disabled.
    pub disabled_at: Option<NaiveDateTime>,
    /// The last successful sign-in.
    pub last_login_at: Option<NaiveDateTime>,
    /// Invited, and no password chosen yet.
    #[diesel(select_expression = staff_users::password_hash.eq(""))]
    #[diesel(select_expression_type = diesel::dsl::Eq<staff_users::password_hash, &'static str>)]
    pub invited: bool,
}

/// Every account, by address.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Listing>> {
    staff_users::table
        .order(staff_users::email)
        .select(Listing::as_select())
        .load(conn)
}

/// The account with this id.
pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .find(id)
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

/// The account with this (already normalised) address.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// `staff_users_email_key`: the address has an account already.
    #[error("a staff account for {0} already exists")]
    Exists(String),
    /// Anything else.
    #[error(transparent)]
    Query(#[from] DieselError),
}

/// Inserts an account; returns its id.
pub fn create(
    conn: &mut DbConnection,
    email: &EmailAddress,
    password_hash: &str,
    role: Role,
    now: NaiveDateTime,
) -> Result<i32, CreateError> {
    if find_by_email(conn, email.as_str())?.is_some() {
        return Err(CreateError::Exists(email.to_string()));
    }
    diesel::insert_into(staff_users::table)
        .values((
            staff_users::email.eq(email.as_str()),
            staff_users::password_hash.eq(password_hash),
            staff_users::role.eq(role.as_str()),
            staff_users::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| match e {
            // Another process created it between our look-up and the insert.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                CreateError::Exists(email.to_string())
            }
            other => CreateError::Query(other),
        })?;
    staff_users::table
        .filter(staff_users::email.eq(email.as_str()))
        .select(staff_users::id)
        .first(conn)
        .map_err(CreateError::from)
}

/// Gives the account a role.
pub fn set_role(conn: &mut DbConnection, id: i32, role: Role) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::role.eq(role.as_str()))
        .execute(conn)
}

/// Disables the account (or enables it again, `disabled_at` `None`); disabling ends every
/// session it has, so it is signed out everywhere at once.
pub fn set_disabled(
    conn: &mut DbConnection,
    id: i32,
    disabled_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    if disabled_at.is_some() {
        session::end_all_staff(conn, id)?;
    }
    diesel::update(staff_users::table.find(id))
        .set(staff_users::disabled_at.eq(disabled_at))
        .execute(conn)
}

/// Stores a new password hash and ends every session the account has.
pub fn set_password(conn: &mut DbConnection, id: i32, password_hash: &str) -> QueryResult<usize> {
    session::end_all_staff(conn, id)?;
    diesel::update(staff_users::table.find(id))
        .set(staff_users::password_hash.eq(password_hash))
        .execute(conn)
}

/// Records a successful sign-in.
pub fn touch_login(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::last_login_at.eq(now))
        .execute(conn)
}
