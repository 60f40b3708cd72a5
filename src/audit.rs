//! The audit log: who changed what, written in the same transaction as the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, PER_PAGE, Page};

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator at the command line.
    Cli,
    /// The service itself (workers, webhooks).
    System,
    /// A signed-in staff member.
    Staff {
        /// Their address.
        email: String,
    },
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
            Actor::Staff { email } => write!(f, "staff:{email}"),
        }
    }
}

/// Appends an entry. Call it inside the transaction that makes the change, so that the change
/// and its record commit together.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor.eq(actor.to_string()),
            audit_log::action.eq(action),
            audit_log::subject_type.eq(subject_type),
            audit_log::subject_id.eq(subject_id),
            audit_log::details.eq(details.to_string()),
            audit_log::created_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    /// Row id.
    pub id: i32,
    /// `cli`, `system` or `staff:EMAIL`.
    pub actor: String,
    /// What happened, e.g. `staff.create`.
    pub action: String,
    /// The kind of thing it happened to.
    pub subject_type: String,
    /// Which one.
    pub subject_id: String,
    /// JSON details.
    pub details: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// A page of entries, newest first, and whether older ones follow.
pub fn recent(conn: &mut DbConnection, page: Page) -> QueryResult<(Vec<Entry>, bool)> {
    let entries = audit_log::table
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(page.offset())
        .limit(PER_PAGE + 1)
        .select(Entry::as_select())
        .load(conn)?;
    Ok(Page::and_more(entries))
}
