//! Year-end statements: a member's payments of a calendar year (net of refunds) with their
//! totals, as a CSV download from the account page, and by email each January to members
//! who asked for it there (once a year, keyed on the year and the member).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use super::account::{checked, current};
use crate::config::Settings;
use crate::db::schema::{campaigns, members, payments};
use crate::db::{self, DbConnection, DbError};
use crate::email::templates::Notice;
use crate::email::{self};
use crate::i18n::Lang;
use crate::jobs;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::see_other;
use crate::web::spreadsheet;

/// One payment on a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub day: NaiveDate,
    pub campaign: String,
    /// What it was for: `subscription` (a membership) or `donation`.
    pub kind: String,
    /// Kept after refunds (a dispute lost keeps nothing), minor units.
    pub amount: i64,
    pub currency: String,
}

/// Paid at, campaign title, kind, amount, refunded, currency, dispute status.
type PaymentRow = (
    NaiveDateTime,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
);

/// The member's payments of `year` that they kept paying, oldest first.
pub fn lines(conn: &mut DbConnection, member_id: i32, year: i32) -> QueryResult<Vec<Line>> {
    let (from, to) = (start_of(year), start_of(year + 1));
    let rows: Vec<PaymentRow> = payments::table
        .inner_join(campaigns::table)
        .filter(payments::member_id.eq(member_id))
        .filter(payments::status.eq("succeeded"))
        .filter(payments::paid_at.ge(from))
        .filter(payments::paid_at.lt(to))
        .order((payments::paid_at, payments::id))
        .select((
            payments::paid_at,
            campaigns::title,
            payments::kind,
            payments::amount,
            payments::amount_refunded,
            payments::currency,
            payments::dispute_status,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(at, campaign, kind, amount, refunded, currency, dispute)| {
                let kept = if dispute.as_deref() == Some("lost") {
                    0
                } else {
                    amount - refunded
                };
                (kept > 0).then_some(Line {
                    day: at.date(),
                    campaign,
                    kind,
                    amount: kept,
                    currency,
                })
            },
        )
        .collect())
}

fn start_of(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
}

/// Totals per currency, in the order currencies first appear.
pub fn totals(lines: &[Line]) -> Vec<(String, i64)> {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for line in lines {
        match totals.iter_mut().find(|(c, _)| *c == line.currency) {
            Some((_, sum)) => *sum += line.amount,
            None => totals.push((line.currency.clone(), line.amount)),
        }
    }
    totals
}

/// In January, queues last year's statement to each member who asked for one and paid
/// something that year; returns how many were new (each member and year once).
pub fn queue_due(
    conn: &mut DbConnection,
    settings: &Settings,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if now.month() != 1 {
        return Ok(0);
    }
    let year = now.year() - 1;
    let asked: Vec<(i32, String, String)> = members::table
        .filter(members::yearly_statement)
        .filter(diesel::dsl::exists(
            payments::table
                .filter(payments::member_id.eq(members::id))
                .filter(payments::paid_at.ge(start_of(year)))
                .filter(payments::paid_at.lt(start_of(year + 1))),
        ))
        .select((members::id, members::email, members::locale))
        .load(conn)?;
    let keys: Vec<String> = asked
        .iter()
        .map(|(id, ..)| format!("statement:{year}:{id}"))
        .collect();
    let known = jobs::existing(conn, &keys)?;
    let account_url = settings.public_url("/account");
    let mut queued = 0;
    for ((member, to, locale), key) in asked.into_iter().zip(keys) {
        if known.contains(&key) {
            continue;
        }
        let lines = lines(conn, member, year)?;
        if lines.is_empty() {
            continue;
        }
        let lang = Lang::from_code(&locale);
        let listed: Vec<String> = lines
            .iter()
            .map(|l| {
                format!(
                    "{} · {} · {}",
                    l.day,
                    l.campaign,
                    lang.money(l.amount, &l.currency)
                )
            })
            .collect();
        let total = totals(&lines)
            .iter()
            .map(|(currency, sum)| lang.money(*sum, currency))
            .collect::<Vec<_>>()
            .join(" + ");
        let notice = Notice::statement(lang, year, &listed.join("\n"), &total, &account_url);
        let message = email::render(conn, &notice, &to)?;
        if email::queue(conn, &key, &message)? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[derive(Deserialize)]
pub(crate) struct StatementQuery {
    year: Option<i32>,
    lang: Option<String>,
}

/// `GET /account/statement.csv?year=2026`: the signed-in member's payments of that year
/// (default: last year) with a total per currency.
pub(crate) async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_form(&req, query.lang.as_deref());
    let Some(member) = current(&req, &state).await?.map(|s| s.member_id) else {
        return Ok(see_other(&format!("/account?lang={}", lang.code())));
    };
    let this_year = db::now().year();
    let year = query.year.unwrap_or(this_year - 1);
    if !(2000..=this_year).contains(&year) {
        return Err(AppError::refused(
            &req,
            lang,
            StatusCode::BAD_REQUEST,
            "invalid_year",
            "acct-statement-error-year",
        ));
    }
    let lines = state.db.read(move |c| lines(c, member, year)).await?;
    let columns = [
        "acct-statement-date",
        "acct-statement-campaign",
        "acct-statement-kind",
        "acct-statement-amount",
        "acct-statement-currency",
    ]
    .map(|id| lang.tr(id));
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.day.to_string(),
                l.campaign.clone(),
                lang.tr(&format!("acct-statement-{}", l.kind)),
                crate::domain::major(l.amount),
                l.currency.to_uppercase(),
            ]
        })
        .collect();
    for (currency, sum) in totals(&lines) {
        rows.push(vec![
            lang.tr("acct-statement-total"),
            String::new(),
            String::new(),
            crate::domain::major(sum),
            currency.to_uppercase(),
        ]);
    }
    spreadsheet::download(&format!("payments-{year}.csv"), &columns, &rows)
}

/// `POST /account/statements`: fields `yearly` (present: send one each January) and
/// `csrf_token`.
pub(crate) async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let yearly = form.get("yearly").is_some();
    let member = session.member_id;
    state
        .db
        .write(move |c| -> Result<usize, DbError> {
            Ok(diesel::update(members::table.find(member))
                .set(members::yearly_statement.eq(yearly))
                .execute(c)?)
        })
        .await?;
    Ok(see_other(&format!(
        "/account?statements=1&lang={}",
        lang.code()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_per_currency() {
        let line = |amount, currency: &str| Line {
            day: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            campaign: "Members".into(),
            kind: "membership".into(),
            amount,
            currency: currency.into(),
        };
        let lines = [line(500, "eur"), line(1000, "usd"), line(250, "eur")];
        assert_eq!(
            totals(&lines),
            [("eur".to_owned(), 750), ("usd".to_owned(), 1000)]
        );
    }
}
