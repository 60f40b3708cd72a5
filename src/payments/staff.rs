//! `/admin/payments`: the clients whose payments failed in the last day, which of them are
//! blocked from starting a Checkout (card testing, see [`super::failures`]) and until when,
//! and the button (admins) that clears a client's failures, say after a reader called.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Deserialize;

use super::failures::{BLOCK_AFTER, WINDOW, block_end};
use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::{campaigns, payment_failures};
use crate::db::{self, DbError};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

const PATH: &str = "/admin/payments";
/// How far back the page looks.
const SHOWN: TimeDelta = TimeDelta::days(1);
/// The most failures the page reads (a storm of card tests is summed, not listed).
const MOST: i64 = 10_000;

/// One client's failures, newest first.
struct Client {
    key: String,
    failures: Vec<NaiveDateTime>,
    campaigns: BTreeSet<String>,
    reasons: BTreeSet<String>,
    amounts: BTreeSet<String>,
}

struct Line {
    key: String,
    short: String,
    count: usize,
    last: NaiveDateTime,
    detail: String,
    blocked_until: Option<NaiveDateTime>,
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsPage {
    frame: Frame,
    intro: String,
    summary: String,
    lines: Vec<Line>,
    notice: Option<String>,
    can_clear: bool,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    cleared: Option<String>,
}

type Row = (
    String,
    NaiveDateTime,
    Option<String>,
    i64,
    String,
    Option<String>,
);

/// `GET /admin/payments`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let now = db::now();
    let rows: Vec<Row> = state
        .db
        .read(move |c| {
            payment_failures::table
                .left_join(campaigns::table)
                .filter(payment_failures::failed_at.gt(now - SHOWN))
                .filter(payment_failures::cleared_at.is_null())
                .order(payment_failures::failed_at.desc())
                .limit(MOST)
                .select((
                    payment_failures::client,
                    payment_failures::failed_at,
                    campaigns::slug.nullable(),
                    payment_failures::amount,
                    payment_failures::currency,
                    payment_failures::reason,
                ))
                .load(c)
        })
        .await?;
    let frame = staff.frame(&req, Nav::Payments);
    let lang = frame.lang;
    let total = rows.len();
    let mut clients: Vec<Client> = Vec::new();
    for (key, at, campaign, amount, currency, reason) in rows {
        let i = match clients.iter().position(|c| c.key == key) {
            Some(i) => i,
            None => {
                clients.push(Client {
                    key,
                    failures: Vec::new(),
                    campaigns: BTreeSet::new(),
                    reasons: BTreeSet::new(),
                    amounts: BTreeSet::new(),
                });
                clients.len() - 1
            }
        };
        let client = &mut clients[i];
        client.failures.push(at);
        client.campaigns.extend(campaign);
        client.reasons.extend(reason);
        client
            .amounts
            .insert(lang.money(amount, &currency.to_uppercase()));
    }
    let lines: Vec<Line> = clients
        .into_iter()
        .map(|c| Line {
            short: short(&c.key),
            count: c.failures.len(),
            last: c.failures[0],
            blocked_until: block_end(&c.failures, now),
            detail: [c.campaigns, c.amounts, c.reasons]
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
            key: c.key,
        })
        .collect();
    let blocked = lines.iter().filter(|l| l.blocked_until.is_some()).count();
    let summary = lang.t(
        "admin-payments-summary",
        &[
            ("failures", total.into()),
            ("clients", lines.len().into()),
            ("blocked", blocked.into()),
        ],
    );
    let intro = lang.t(
        "admin-payments-intro",
        &[
            ("failures", BLOCK_AFTER.into()),
            ("minutes", WINDOW.num_minutes().into()),
        ],
    );
    let notice = query
        .cleared
        .as_deref()
        .map(|key| lang.t("admin-payments-cleared", &[("client", short(key).into())]));
    render(&PaymentsPage {
        frame,
        intro,
        summary,
        lines,
        notice,
        can_clear: staff.role == Role::Admin,
    })
}

fn short(key: &str) -> String {
    key.chars().take(12).collect()
}

#[derive(Deserialize)]
pub(crate) struct ClearForm {
    client: String,
}

/// `POST /admin/payments/clear` (admins): forgets a client's failed payments, which ends its
/// block; audited with how many there were.
pub(crate) async fn clear(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<ClearForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let key = form.client.trim().to_owned();
    let client = key.clone();
    let cleared = state
        .db
        .write(move |c| -> Result<usize, DbError> {
            let now = db::now();
            let cleared = diesel::update(
                payment_failures::table
                    .filter(payment_failures::client.eq(&client))
                    .filter(payment_failures::cleared_at.is_null()),
            )
            .set(payment_failures::cleared_at.eq(now))
            .execute(c)?;
            if cleared > 0 {
                audit::record(
                    c,
                    &actor,
                    "payments.clear",
                    "client",
                    &client,
                    &serde_json::json!({ "failures": cleared }),
                )?;
            }
            Ok(cleared)
        })
        .await?;
    if cleared > 0 {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("cleared", &key)
            .finish();
        return Ok(see_other(&format!("{PATH}?{query}")));
    }
    let frame = staff.frame(&req, Nav::Payments);
    let lang = frame.lang;
    message(
        frame,
        StatusCode::NOT_FOUND,
        &lang.tr("admin-not-found"),
        &lang.tr("admin-payments-unknown"),
        PATH,
    )
}
