//! The ledger of outside contributions: members or money that came to a campaign outside
//! Stripe (bank transfers, an event, another platform), entered by staff with a date, a
//! source and a note, each entry audited. The campaign's count includes every entry dated up
//! to now ([`super::progress::count_from_sources`]), and the members chart adds each entry
//! from its date on. A correction is an entry of its own (it may be negative), or the removal
//! of a wrong one, which the audit log keeps.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::Campaign;
use super::stats::midnight;
use crate::db::DbConnection;
use crate::db::schema::ledger_entries;
use crate::i18n::Lang;

/// One entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_entries)]
pub struct Entry {
    pub id: i32,
    pub campaign_id: i32,
    /// The day it happened (midnight UTC).
    pub occurred_at: NaiveDateTime,
    /// Members, or minor units for a campaign counting money; negative for a correction.
    pub amount: i64,
    /// Where it came from ("bank transfers", "gala dinner").
    pub source: String,
    pub note: String,
    /// The staff member (as the audit log names them) who entered it.
    pub entered_by: String,
    pub created_at: NaiveDateTime,
}

/// An entry as the edit page shows it.
pub struct LedgerLine {
    pub id: i32,
    pub date: String,
    pub amount: String,
    pub source: String,
    pub note: String,
    pub entered_by: String,
}

impl LedgerLine {
    pub fn new(entry: Entry, campaign: &Campaign, lang: Lang) -> LedgerLine {
        LedgerLine {
            id: entry.id,
            date: entry.occurred_at.date().to_string(),
            amount: lang.in_metric(campaign.metric(), entry.amount, &campaign.currency),
            source: entry.source,
            note: entry.note,
            entered_by: entry.entered_by,
        }
    }
}

/// The sum of a campaign's entries dated up to `until`.
pub fn total(conn: &mut DbConnection, campaign_id: i32, until: NaiveDateTime) -> QueryResult<i64> {
    let sum: Option<i64> = ledger_entries::table
        .filter(ledger_entries::campaign_id.eq(campaign_id))
        .filter(ledger_entries::occurred_at.le(until))
        .select(sql::<Nullable<BigInt>>(
            "CAST(SUM(ledger_entries.amount) AS BIGINT)",
        ))
        .get_result(conn)?;
    Ok(sum.unwrap_or(0))
}

/// A campaign's entries, newest first.
pub fn entries(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<Vec<Entry>> {
    ledger_entries::table
        .filter(ledger_entries::campaign_id.eq(campaign_id))
        .order((
            ledger_entries::occurred_at.desc(),
            ledger_entries::id.desc(),
        ))
        .select(Entry::as_select())
        .load(conn)
}

/// The ledger's sum at the end of each of `days` (ascending).
pub fn at_end_of(
    conn: &mut DbConnection,
    campaign_id: i32,
    days: &[NaiveDate],
) -> QueryResult<Vec<i64>> {
    let Some(last) = days.last() else {
        return Ok(Vec::new());
    };
    let dated: Vec<(NaiveDateTime, i64)> = ledger_entries::table
        .filter(ledger_entries::campaign_id.eq(campaign_id))
        .filter(ledger_entries::occurred_at.lt(midnight(last.succ_opt().unwrap_or(*last))))
        .order(ledger_entries::occurred_at)
        .select((ledger_entries::occurred_at, ledger_entries::amount))
        .load(conn)?;
    Ok(sums_at_end_of(&dated, days))
}

/// Running sums of dated amounts (ascending) at the end of each day (ascending).
fn sums_at_end_of(dated: &[(NaiveDateTime, i64)], days: &[NaiveDate]) -> Vec<i64> {
    let mut next = 0;
    let mut sum = 0i64;
    days.iter()
        .map(|day| {
            while let Some(&(_, amount)) = dated.get(next).filter(|(at, _)| at.date() <= *day) {
                sum = sum.saturating_add(amount);
                next += 1;
            }
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_counts_from_its_day_on() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let at = |d: u32, h: u32| day(d).and_hms_opt(h, 0, 0).unwrap();
        let dated = [(at(2, 0), 100), (at(2, 23), 5), (at(4, 12), -10)];
        let days: Vec<NaiveDate> = (1..=5).map(day).collect();
        assert_eq!(sums_at_end_of(&dated, &days), [0, 105, 105, 95, 95]);
        assert_eq!(sums_at_end_of(&[], &days), [0; 5]);
    }
}
