//! A campaign's ledger of outside contributions on its edit page: the entries, adding one
//! (date, members or amount, source, note) and removing a wrong one. Each change commits
//! with its audit entry and the recount, then pokes the board so the widget shows it.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::form::Errors;
use super::page::{load, section_error};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::campaigns::ledger::Entry;
use crate::campaigns::stats::midnight;
use crate::campaigns::{Campaign, progress};
use crate::db::schema::ledger_entries;
use crate::db::{self, DbError};
use crate::domain::{Metric, major, parse_major};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

/// The earliest date an entry may have.
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
/// The largest entry, either way, in the campaign's unit (members or minor units).
const LARGEST: u64 = 1_000_000_000_000;

/// What the ledger form posts.
#[derive(Debug, Deserialize)]
pub(crate) struct LedgerForm {
    #[serde(default)]
    ledger_date: String,
    #[serde(default)]
    ledger_amount: String,
    #[serde(default)]
    ledger_source: String,
    #[serde(default)]
    ledger_note: String,
}

/// A checked entry.
struct NewEntry {
    day: NaiveDate,
    amount: i64,
    source: String,
    note: String,
}

impl LedgerForm {
    fn validate(&self, campaign: &Campaign, today: NaiveDate) -> Result<NewEntry, Errors> {
        let mut errors = Errors::new();
        let day = NaiveDate::parse_from_str(self.ledger_date.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (FIRST_DAY..=today).contains(d));
        if day.is_none() {
            errors.insert("ledger_date", "admin-error-ledger-date");
        }
        let raw = self.ledger_amount.trim();
        let (negative, digits) = raw.strip_prefix('-').map_or((false, raw), |d| (true, d));
        let amount = match campaign.metric() {
            Metric::Amount => parse_major(digits),
            Metric::Members | Metric::Supporters => digits
                .parse::<i64>()
                .ok()
                .filter(|_| digits.bytes().all(|b| b.is_ascii_digit())),
        }
        .map(|v| if negative { -v } else { v })
        .filter(|v| *v != 0 && v.unsigned_abs() <= LARGEST);
        if amount.is_none() {
            errors.insert("ledger_amount", "admin-error-ledger-amount");
        }
        let source = self.ledger_source.trim().to_owned();
        if source.is_empty() || source.chars().count() > 200 {
            errors.insert("ledger_source", "admin-error-ledger-source");
        }
        let note = self.ledger_note.trim().to_owned();
        if note.chars().count() > 500 {
            errors.insert("ledger_note", "admin-error-ledger-note");
        }
        match (day, amount) {
            (Some(day), Some(amount)) if errors.is_empty() => Ok(NewEntry {
                day,
                amount,
                source,
                note,
            }),
            _ => Err(errors),
        }
    }
}

/// The audit details of an entry in the campaign's unit as typed (money in major units).
fn details(
    campaign: &Campaign,
    day: NaiveDate,
    amount: i64,
    source: &str,
    note: &str,
) -> serde_json::Value {
    let amount = match campaign.metric() {
        Metric::Amount => major(amount),
        Metric::Members | Metric::Supporters => amount.to_string(),
    };
    json!({"date": day.to_string(), "amount": amount, "source": source, "note": note})
}

/// `POST /admin/campaigns/{slug}/ledger`: adds an entry.
pub(crate) async fn add_entry(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<LedgerForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&state, slug.into_inner()).await?;
    let now = db::now();
    let entry = match form.validate(&loaded.campaign, now.date()) {
        Ok(entry) => entry,
        Err(errors) => return section_error(&req, &staff, loaded, errors),
    };
    let actor = staff.actor();
    let campaign = loaded.campaign;
    let slug = campaign.slug.clone();
    state
        .db
        .write(move |conn| -> Result<(), DbError> {
            progress::lock(conn, campaign.id)?;
            let id: i32 = diesel::insert_into(ledger_entries::table)
                .values((
                    ledger_entries::campaign_id.eq(campaign.id),
                    ledger_entries::occurred_at.eq(midnight(entry.day)),
                    ledger_entries::amount.eq(entry.amount),
                    ledger_entries::source.eq(&entry.source),
                    ledger_entries::note.eq(&entry.note),
                    ledger_entries::entered_by.eq(actor.to_string()),
                    ledger_entries::created_at.eq(now),
                ))
                .returning(ledger_entries::id)
                .get_result(conn)?;
            let mut audited = details(
                &campaign,
                entry.day,
                entry.amount,
                &entry.source,
                &entry.note,
            );
            audited["entry"] = id.into();
            audit::record(
                conn,
                &actor,
                "ledger.add",
                "campaign",
                &campaign.slug,
                &audited,
            )?;
            progress::refresh(conn, campaign.id, now)?;
            Ok(())
        })
        .await?;
    state.board.poke();
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=ledger")))
}

/// `POST /admin/campaigns/{slug}/ledger/{id}/delete`: removes a wrong entry (the audit log
/// keeps what it was).
pub(crate) async fn remove_entry(
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, entry_id) = path.into_inner();
    let loaded = load(&state, slug).await?;
    let actor = staff.actor();
    let campaign = loaded.campaign;
    let slug = campaign.slug.clone();
    let removed = state
        .db
        .write(move |conn| -> Result<bool, DbError> {
            progress::lock(conn, campaign.id)?;
            // Under the campaign's lock, nobody else removes it between the read and the delete.
            let entry: Option<Entry> = ledger_entries::table
                .filter(ledger_entries::id.eq(entry_id))
                .filter(ledger_entries::campaign_id.eq(campaign.id))
                .select(Entry::as_select())
                .first(conn)
                .optional()?;
            let Some(entry) = entry else {
                return Ok(false);
            };
            diesel::delete(ledger_entries::table.find(entry.id)).execute(conn)?;
            let mut audited = details(
                &campaign,
                entry.occurred_at.date(),
                entry.amount,
                &entry.source,
                &entry.note,
            );
            audited["entry"] = entry.id.into();
            audited["entered_by"] = entry.entered_by.into();
            audit::record(
                conn,
                &actor,
                "ledger.remove",
                "campaign",
                &campaign.slug,
                &audited,
            )?;
            progress::refresh(conn, campaign.id, db::now())?;
            Ok(true)
        })
        .await?;
    if !removed {
        return Err(AppError::not_found("ledger entry"));
    }
    state.board.poke();
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=ledger")))
}
