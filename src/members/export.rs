//! `memberdrive export-members [--out FILE]`: every member as CSV in the import's format, so
//! that an export imports back to no change. The dashboard's `/admin/members.csv` writes the
//! members of its current filter the same way ([`export`]).
//!
//! One row per member, sorted by email (byte order, the same on both databases). A member with
//! several memberships is written with one of them: one in good standing first, then the most
//! recently updated. Members without a membership get the status `none`. Rows are read and
//! written a page at a time; only the sorted (email, id) list is held whole.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use indicatif::ProgressBar;

use super::Member;
use super::import::format::{
    AMOUNT, CAMPAIGN, CANCEL_AT_PERIOD_END, COLUMNS, CUSTOMER, EMAIL, INTERVAL, JOINED_AT, NAME,
    NO_MEMBERSHIP, PERIOD_END, STATUS, SUBSCRIPTION, TIER,
};
use super::search::{self, MemberFilter, MembershipRow};
use crate::config::Settings;
use crate::db::schema::{campaigns, members, tiers};
use crate::db::{self, DbConnection};
use crate::web::spreadsheet::{self, bar};

/// Members read per query.
const PAGE: usize = 1000;

/// Runs `export-members`: to `out` (written whole, then renamed into place), or to stdout.
pub fn run(settings: &Settings, out: Option<&Path>) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    db::run_migrations(&mut conn)?;
    let all = MemberFilter::default();
    let progress = bar(
        0,
        "exporting",
        "{prefix:>9} [{bar:40}] {human_pos}/{human_len} ({eta})",
    );
    let summary = match out {
        None => export(&mut conn, &all, std::io::stdout().lock(), &progress)?,
        Some(path) => {
            let name = path.file_name().context("--out names no file")?;
            let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let summary = export(&mut conn, &all, file, &progress).inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            summary
        }
    };
    eprintln!("exported {} member(s)", summary.members);
    if summary.left_out > 0 {
        eprintln!(
            "note: {} more membership(s) of members with several are not in the file (one row per member)",
            summary.left_out
        );
    }
    Ok(())
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Members written, one row each.
    pub members: usize,
    /// Memberships not written because their member had another.
    pub left_out: usize,
}

/// Writes the members `filter` selects to `out` as CSV in the import's format, from one
/// snapshot of the database (a member changed meanwhile appears as before or after, whole),
/// counting rows on `progress`.
pub fn export(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    out: impl Write,
    progress: &ProgressBar,
) -> anyhow::Result<Summary> {
    conn.transaction(|conn| {
        if let DbConnection::Pg(pg) = conn {
            pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        write_csv(conn, filter, out, progress)
    })
}

fn write_csv(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    out: impl Write,
    progress: &ProgressBar,
) -> anyhow::Result<Summary> {
    let campaign_slugs: HashMap<i32, String> = campaigns::table
        .select((campaigns::id, campaigns::slug))
        .load(conn)?
        .into_iter()
        .collect();
    let tier_slugs: HashMap<i32, String> = tiers::table
        .select((tiers::id, tiers::slug))
        .load(conn)?
        .into_iter()
        .collect();
    let order = search::by_email(conn, filter)?;

    progress.set_length(order.len() as u64);
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::new(out));
    csv.write_record(COLUMNS)?;
    let mut summary = Summary {
        members: 0,
        left_out: 0,
    };
    for page in order.chunks(PAGE) {
        let ids: Vec<i32> = page.iter().map(|(_, id)| *id).collect();
        let mut rows: HashMap<i32, Member> = members::table
            .filter(members::id.eq_any(&ids))
            .select(Member::as_select())
            .load(conn)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let (mut chosen, left_out) = search::representatives(conn, &ids)?;
        summary.left_out += left_out;
        for id in ids {
            let Some(member) = rows.remove(&id) else {
                continue; // cannot happen within one snapshot
            };
            let membership = chosen.remove(&id);
            let row = record(&member, membership.as_ref(), &campaign_slugs, &tier_slugs);
            csv.write_record(
                row.iter()
                    .map(|cell| spreadsheet::defuse(cell).into_owned()),
            )?;
            summary.members += 1;
        }
        progress.inc(page.len() as u64);
    }
    csv.flush()?;
    progress.finish_and_clear();
    Ok(summary)
}

fn record(
    member: &Member,
    membership: Option<&MembershipRow>,
    campaign_slugs: &HashMap<i32, String>,
    tier_slugs: &HashMap<i32, String>,
) -> [String; COLUMNS.len()] {
    let mut row: [String; COLUMNS.len()] = Default::default();
    row[EMAIL] = member.email.clone();
    row[NAME] = member.name.clone().unwrap_or_default();
    row[JOINED_AT] = time(member.created_at);
    row[CUSTOMER] = member.stripe_customer_id.clone().unwrap_or_default();
    match membership {
        None => row[STATUS] = NO_MEMBERSHIP.to_owned(),
        Some(m) => {
            row[STATUS] = m.status.as_str().to_owned();
            row[TIER] = m
                .tier_id
                .and_then(|t| tier_slugs.get(&t).cloned())
                .unwrap_or_default();
            row[SUBSCRIPTION] = m.stripe_subscription_id.clone().unwrap_or_default();
            row[CAMPAIGN] = campaign_slugs
                .get(&m.campaign_id)
                .cloned()
                .unwrap_or_default();
            row[INTERVAL] = m.billing_interval.as_str().to_owned();
            row[AMOUNT] = m.amount.to_string();
            row[PERIOD_END] = m.current_period_end.map(time).unwrap_or_default();
            row[CANCEL_AT_PERIOD_END] = m.cancel_at_period_end.to_string();
        }
    }
    row
}

/// RFC 3339 in UTC, with the stored fraction of a second (so that it imports back equal).
fn time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}
