//! `memberdrive import-members FILE.csv`: members and their memberships from a CSV file.
//!
//! The whole file is checked before anything is written; one bad row and nothing is
//! imported, and every bad row is reported as `line N: reason` (N is the physical line in the
//! file, the header is line 1). Then one transaction writes everything: new rows in multi-row
//! INSERTs, changed rows through one UPDATE per table, one recount per touched campaign at
//! the end (a recount is O(members), so never per row) and one audit entry. What an import
//! would not change is not written, so importing the same file twice changes nothing the
//! second time.
//!
//! Which membership a row is about:
//! - with a `stripe_subscription_id`: the membership with that id (Stripe's key, as for
//!   webhooks); if there is none yet, the member's non-Stripe membership of the campaign
//!   adopts the id (a bank-transfer member who moved to Stripe), else a new one is made;
//! - without one (bank transfer, another platform, …): the member's one membership of the
//!   campaign whose `stripe_subscription_id` is NULL. Leaving it NULL, rather than inventing a
//!   key like `import:EMAIL:CAMPAIGN`, keeps such rows out of `reconcile`, which would report
//!   every made-up id as "unknown to Stripe". The schema has no unique key on
//!   (member, campaign), so this module is what keeps imports to one such membership per member
//!   per campaign: it looks the membership up in memory by (member, campaign) and never
//!   inserts a second one. A row without an id for a member who already has a Stripe
//!   membership there is rejected rather than guessed at.

pub(in crate::members) mod format;
mod parse;
mod plan;

pub use format::{COLUMNS, MemberStatus, NO_MEMBERSHIP};

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use indicatif::ProgressBar;

use self::parse::parse;
use self::plan::{Context, Owner, Plan, plan};
use crate::audit::{self, Actor};
use crate::campaigns::progress;
use crate::config::Settings;
use crate::db::schema::{members, memberships};
use crate::db::{self, DbConnection};
use crate::web::spreadsheet::{BYTES_TEMPLATE, ROWS_TEMPLATE, bar};

/// `import-members --help`: the file format.
pub const FORMAT_HELP: &str = "\
The file is CSV with a header row naming its columns, in any order and any case:

  email                   required; one row per member (compared lower-cased)
  name                    display name
  status                  active (default), trialing, past_due, canceled, unpaid, incomplete,
                          incomplete_expired, paused or pending; none for a member without
                          a membership
  tier                    a tier slug of the campaign
  joined_at               RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD (UTC)
  stripe_customer_id      cus_...
  stripe_subscription_id  sub_...; a row without one is the member's one non-Stripe
                          membership of the campaign (bank transfer, ...)
  campaign                campaign slug (default: members)
  interval                month (default) or year
  amount                  per interval, in minor units (default: the tier's price, else 0)
  current_period_end      end of the paid period (RFC 3339 or YYYY-MM-DD)
  cancel_at_period_end    true or false (default: false)

An empty cell keeps what is stored; defaults apply to new rows only. If any row is bad,
nothing is imported and each bad row is printed as `line N: reason`. Importing the same
file again changes nothing. `memberdrive export-members` writes this format.";

/// Rows per multi-row INSERT: at most 15 columns a row stays under SQLite's 32,766 bind
/// parameters (and PostgreSQL's 65,535), while a statement still carries enough rows that
/// round trips do not dominate.
const CHUNK: usize = 1000;

/// Runs `import-members`.
pub fn run(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut conn = db::connect_one(&settings.database_url)?;
    db::run_migrations(&mut conn)?;

    let checking = bar(bytes.len() as u64, "checking", BYTES_TEMPLATE);
    let mut parsed = parse(&bytes, &checking);
    checking.finish_and_clear();
    if parsed.bad_header {
        parsed.report();
        bail!(
            "the header row of {} is not valid; nothing was imported",
            path.display()
        );
    }

    let now = db::now();
    let file = path.display().to_string();
    let outcome = exclusive_transaction(&mut conn, |conn| {
        let context = Context::load(conn)?;
        let plan = plan(&parsed.rows, &context, now, &mut parsed.rejected);
        if !parsed.rejected.is_empty() {
            return Ok(None);
        }
        if plan.writes() > 0 {
            let writing = bar(plan.writes() as u64, "importing", ROWS_TEMPLATE);
            write(conn, &plan, now, &writing)?;
            writing.finish_and_clear();
            for campaign in &plan.campaigns {
                progress::refresh(conn, *campaign, now)?;
            }
            let details = serde_json::json!({
                "file": file,
                "rows": parsed.rows.len(),
                "members": plan.members.json(),
                "memberships": plan.memberships.json(),
            });
            audit::record(
                conn,
                &Actor::Cli,
                "import_members",
                "members",
                &file,
                &details,
            )?;
        }
        Ok(Some(plan.summary()))
    })?;
    let Some(summary) = outcome else {
        parsed.report();
        bail!(
            "{} of {} rows rejected; nothing was imported",
            parsed.rejected.len(),
            parsed.records
        );
    };
    println!("{file}: {} rows; {summary}", parsed.records);
    Ok(())
}

/// Runs `f` in a transaction that may write members and memberships from its first statement
/// (on SQLite every write transaction takes the write lock first). On PostgreSQL a table lock
/// keeps other writers from adding a member between our read of the table and our insert
/// (readers go on).
fn exclusive_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    db::write_transaction(conn, |conn| {
        if let DbConnection::Pg(_) = conn {
            // The counts' locks before the tables': the order of every transaction that
            // changes a count (`progress::lock`).
            progress::lock_all(conn)?;
            conn.batch_execute("LOCK TABLE members, memberships IN SHARE ROW EXCLUSIVE MODE")?;
        }
        f(conn)
    })
}

/// A multi-row INSERT, run on the concrete connection: diesel's `MultiConnection` cannot
/// express SQLite's batch insert, though both backends run the same statement.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $values:expr) => {
        match $conn {
            DbConnection::Pg(c) => diesel::insert_into($table).values($values).execute(c),
            DbConnection::Sqlite(c) => diesel::insert_into($table).values($values).execute(c),
        }
    };
}

// Changed rows are staged in a temporary table, then applied by one `UPDATE … FROM` per
// table, instead of one statement (and on PostgreSQL one round trip) per row. Both backends
// run the same SQL (SQLite has `UPDATE … FROM` since 3.33). The tables live only inside the
// import's transaction: dropped at the end, or rolled back with it.
diesel::table! {
    import_member_changes (id) {
        id -> Integer,
        name -> Nullable<Text>,
        stripe_customer_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    import_membership_changes (id) {
        id -> Integer,
        tier_id -> Nullable<Integer>,
        billing_interval -> Text,
        amount -> BigInt,
        status -> Text,
        cancel_at_period_end -> Bool,
        current_period_end -> Nullable<Timestamp>,
        stripe_subscription_id -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

/// Writes the plan: members first (memberships need their ids), in chunks.
fn write(
    conn: &mut DbConnection,
    plan: &Plan,
    now: NaiveDateTime,
    bar: &ProgressBar,
) -> QueryResult<()> {
    let mut new_ids = Vec::with_capacity(plan.new_members.len());
    for chunk in plan.new_members.chunks(CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|m| {
                (
                    members::email.eq(m.email.as_str()),
                    members::name.eq(m.name.as_deref()),
                    members::stripe_customer_id.eq(m.customer.as_deref()),
                    members::created_at.eq(m.created_at),
                    members::updated_at.eq(now),
                )
            })
            .collect();
        insert_rows!(conn, members::table, values)?;
        // RETURNING does not span both backends in diesel; read the ids back by the unique key.
        let emails: Vec<&str> = chunk.iter().map(|m| m.email.as_str()).collect();
        let ids: HashMap<String, i32> = members::table
            .filter(members::email.eq_any(&emails))
            .select((members::email, members::id))
            .load::<(String, i32)>(conn)?
            .into_iter()
            .collect();
        new_ids.extend(chunk.iter().map(|m| ids[&m.email]));
        bar.inc(chunk.len() as u64);
    }
    if !plan.member_updates.is_empty() {
        conn.batch_execute(
            "CREATE TEMPORARY TABLE import_member_changes (id INTEGER PRIMARY KEY, name TEXT, \
             stripe_customer_id TEXT, created_at TIMESTAMP NOT NULL, \
             updated_at TIMESTAMP NOT NULL)",
        )?;
        for chunk in plan.member_updates.chunks(CHUNK) {
            let values: Vec<_> = chunk
                .iter()
                .map(|m| {
                    (
                        import_member_changes::id.eq(m.id),
                        import_member_changes::name.eq(m.name.as_deref()),
                        import_member_changes::stripe_customer_id.eq(m.customer.as_deref()),
                        import_member_changes::created_at.eq(m.created_at),
                        import_member_changes::updated_at.eq(now),
                    )
                })
                .collect();
            insert_rows!(conn, import_member_changes::table, values)?;
            bar.inc(chunk.len() as u64);
        }
        conn.batch_execute(
            "UPDATE members SET name = c.name, stripe_customer_id = c.stripe_customer_id, \
             created_at = c.created_at, updated_at = c.updated_at \
             FROM import_member_changes AS c WHERE members.id = c.id; \
             DROP TABLE import_member_changes",
        )?;
    }
    for chunk in plan.new_memberships.chunks(CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|m| {
                let member_id = match m.owner {
                    Owner::Stored(id) => id,
                    Owner::New(i) => new_ids[i],
                };
                (
                    (
                        memberships::member_id.eq(member_id),
                        memberships::campaign_id.eq(m.campaign_id),
                        memberships::tier_id.eq(m.terms.tier_id),
                        memberships::billing_interval.eq(m.terms.interval),
                        memberships::amount.eq(m.terms.amount),
                        memberships::currency.eq(m.currency.as_str()),
                        memberships::status.eq(m.terms.status),
                    ),
                    (
                        memberships::cancel_at_period_end.eq(m.terms.cancel_at_period_end),
                        memberships::current_period_end.eq(m.terms.current_period_end),
                        memberships::stripe_subscription_id
                            .eq(m.terms.stripe_subscription_id.as_deref()),
                        memberships::started_at.eq(m.started_at),
                        memberships::ended_at.eq(m.ended_at),
                        memberships::created_at.eq(now),
                        memberships::updated_at.eq(now),
                    ),
                )
            })
            .collect();
        insert_rows!(conn, memberships::table, values)?;
        bar.inc(chunk.len() as u64);
    }
    if !plan.membership_updates.is_empty() {
        conn.batch_execute(
            "CREATE TEMPORARY TABLE import_membership_changes (id INTEGER PRIMARY KEY, \
             tier_id INTEGER, billing_interval TEXT NOT NULL, amount BIGINT NOT NULL, \
             status TEXT NOT NULL, cancel_at_period_end BOOLEAN NOT NULL, \
             current_period_end TIMESTAMP, stripe_subscription_id TEXT, ended_at TIMESTAMP, \
             updated_at TIMESTAMP NOT NULL)",
        )?;
        for chunk in plan.membership_updates.chunks(CHUNK) {
            let values: Vec<_> = chunk
                .iter()
                .map(|m| {
                    use import_membership_changes as c;
                    (
                        c::id.eq(m.id),
                        c::tier_id.eq(m.terms.tier_id),
                        c::billing_interval.eq(m.terms.interval),
                        c::amount.eq(m.terms.amount),
                        c::status.eq(m.terms.status),
                        c::cancel_at_period_end.eq(m.terms.cancel_at_period_end),
                        c::current_period_end.eq(m.terms.current_period_end),
                        c::stripe_subscription_id.eq(m.terms.stripe_subscription_id.as_deref()),
                        c::ended_at.eq(m.ended_at),
                        c::updated_at.eq(now),
                    )
                })
                .collect();
            insert_rows!(conn, import_membership_changes::table, values)?;
            bar.inc(chunk.len() as u64);
        }
        conn.batch_execute(
            "UPDATE memberships SET tier_id = c.tier_id, billing_interval = c.billing_interval, \
             amount = c.amount, status = c.status, \
             cancel_at_period_end = c.cancel_at_period_end, \
             current_period_end = c.current_period_end, \
             stripe_subscription_id = c.stripe_subscription_id, ended_at = c.ended_at, \
             updated_at = c.updated_at \
             FROM import_membership_changes AS c WHERE memberships.id = c.id; \
             DROP TABLE import_membership_changes",
        )?;
    }
    Ok(())
}
