//! What is done to a staff account, from the dashboard ([`super::pages`]) or the command
//! line ([`super::cli`]): the same rules and the same audit entries. From the dashboard an
//! admin cannot lock the dashboard out (disable, demote or remove the last enabled admin, or
//! disable or remove themselves); at the command line the operator can always undo it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{CreateError, Role, StaffUser};
use crate::audit::{self, Actor};
use crate::auth::session;
use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::schema::{staff_users, tokens as token_rows};
use crate::domain::EmailAddress;
use crate::email::{
    self,
    templates::{Notice, StaffLink},
};
use crate::i18n::Lang;
use crate::tokens::{self, Owner, Purpose, Unstored};

/// A change to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Give it this role.
    Role(Role),
    /// It may no longer sign in; its sessions end.
    Disable,
    /// It may sign in again.
    Enable,
    /// Delete it, its sessions and its links (the audit log keeps its address).
    Remove,
}

/// Why a change was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The account is so already.
    Already,
    /// It would leave no enabled admin.
    LastAdmin,
    /// An admin may not disable or remove their own account.
    Yourself,
}

/// How long a link to choose a password works.
pub fn link_lifetime(link: StaffLink) -> Duration {
    match link {
        // An invitation waits for someone back from holiday.
        StaffLink::Invite => Duration::days(7),
        StaffLink::Reset | StaffLink::Forgot => Duration::hours(1),
    }
}

/// Enabled admins other than `id`.
fn other_admins(conn: &mut DbConnection, id: i32) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::id.ne(id))
        .filter(staff_users::role.eq(Role::Admin.as_str()))
        .filter(staff_users::disabled_at.is_null())
        .count()
        .get_result(conn)
}

/// Makes `change` to `account` as `actor` and audits it, unless it is [`Refused`].
pub fn apply(
    conn: &mut DbConnection,
    account: &StaffUser,
    change: Change,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<Result<(), Refused>> {
    let before = Role::from_stored(&account.role);
    let already = match change {
        Change::Role(role) => role == before,
        Change::Disable => !account.enabled(),
        Change::Enable => account.enabled(),
        Change::Remove => false,
    };
    if already {
        return Ok(Err(Refused::Already));
    }
    if let Actor::Staff { email } = actor {
        let loses_admin = before == Role::Admin
            && account.enabled()
            && matches!(
                change,
                Change::Role(Role::Viewer) | Change::Disable | Change::Remove
            );
        if matches!(change, Change::Disable | Change::Remove) && *email == account.email {
            return Ok(Err(Refused::Yourself));
        }
        if loses_admin && other_admins(conn, account.id)? == 0 {
            return Ok(Err(Refused::LastAdmin));
        }
    }
    let mut details = serde_json::json!({ "email": account.email });
    let action = match change {
        Change::Role(role) => {
            super::set_role(conn, account.id, role)?;
            details["from"] = before.as_str().into();
            details["to"] = role.as_str().into();
            "staff.set_role"
        }
        Change::Disable => {
            super::set_disabled(conn, account.id, Some(now))?;
            "staff.disable"
        }
        Change::Enable => {
            super::set_disabled(conn, account.id, None)?;
            "staff.enable"
        }
        Change::Remove => {
            session::end_all_staff(conn, account.id)?;
            diesel::delete(token_rows::table.filter(token_rows::staff_user_id.eq(account.id)))
                .execute(conn)?;
            diesel::delete(staff_users::table.find(account.id)).execute(conn)?;
            "staff.remove"
        }
    };
    let id = account.id.to_string();
    audit::record(conn, actor, action, "staff_user", &id, &details)?;
    Ok(Ok(()))
}

/// Queues an email to `account` with a single-use link to choose a password (a `link`), in
/// `lang`, and audits it as `actor`'s.
pub fn send_link(
    conn: &mut DbConnection,
    settings: &Settings,
    account: &StaffUser,
    link: StaffLink,
    lang: Lang,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let owner = Owner::Staff(account.id);
    // Links are numbered per account and day, so each request queues its own email.
    let number = tokens::issued_today(conn, Purpose::StaffPassword, owner, now)? + 1;
    let key = format!("staff_password:{}:{}:{number}", account.id, now.date());
    let lifetime = link_lifetime(link);
    let token = Unstored::new(Purpose::StaffPassword, owner, "{}", Some(now + lifetime));
    let url = settings.public_url(&format!(
        "/admin/password?token={}&lang={}",
        token.secret(),
        lang.code()
    ));
    let notice = Notice::staff_link(lang, link, &account.email, &url);
    let message = email::render(conn, &notice, &account.email)?;
    email::queue_with_tokens(conn, &key, &message, [token])?;
    let action = match link {
        StaffLink::Invite => "staff.invite",
        StaffLink::Reset => "staff.reset_password",
        StaffLink::Forgot => "staff.forgot_password",
    };
    let details = serde_json::json!({ "email": account.email, "role": account.role });
    let id = account.id.to_string();
    audit::record(conn, actor, action, "staff_user", &id, &details)?;
    Ok(())
}

/// Creates an account for `email` with `role` and no password yet, and emails it a link to
/// choose one. Its id.
pub fn invite(
    conn: &mut DbConnection,
    settings: &Settings,
    email: &EmailAddress,
    role: Role,
    lang: Lang,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<i32, CreateError> {
    // No password signs in to an account without one (the hash does not parse).
    let id = super::create(conn, email, "", role, now)?;
    let account = super::find(conn, id)?.expect("just created");
    send_link(
        conn,
        settings,
        &account,
        StaffLink::Invite,
        lang,
        actor,
        now,
    )?;
    Ok(id)
}
