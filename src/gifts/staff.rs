//! `/admin/gifts`: every gift with where it stands (scheduled, delivered, redeemed,
//! expired), and the button (admins) that sends a gift's email again with a fresh link.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use super::{Stage, names, queue};
use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render};
use crate::audit;
use crate::auth::StaffSession;
use crate::db::schema::{campaigns, gifts, tiers};
use crate::db::{self, DbError, PER_PAGE, Page};
use crate::email::templates::Notice;
use crate::i18n::Lang;
use crate::jobs;
use crate::state::AppState;
use crate::tokens;
use crate::web::error::AppError;
use crate::web::see_other;

type Row = (
    (i32, String, Option<String>, i32, i64, i64, String),
    (
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    ),
);

struct Line {
    id: i32,
    campaign: String,
    tier: String,
    months: i32,
    amount: String,
    buyer: String,
    recipient: String,
    stage: String,
    paid: String,
    delivery: String,
    ends: String,
    resendable: bool,
}

#[derive(Template)]
#[template(path = "admin/gifts.html")]
struct GiftsPage {
    frame: Frame,
    lines: Vec<Line>,
    page: i64,
    more: bool,
    notice: Option<String>,
    can_resend: bool,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    page: Option<i64>,
    resent: Option<i32>,
}

/// `GET /admin/gifts`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::asked(query.page);
    let rows: Vec<Row> = state
        .db
        .read(move |c| {
            gifts::table
                .inner_join(campaigns::table)
                .left_join(tiers::table)
                .order(gifts::id.desc())
                .offset(page.offset())
                .limit(PER_PAGE + 1)
                .select((
                    (
                        gifts::id,
                        campaigns::slug,
                        tiers::name.nullable(),
                        gifts::months,
                        gifts::amount,
                        gifts::amount_refunded,
                        gifts::currency,
                    ),
                    (
                        gifts::buyer_email,
                        gifts::recipient_email,
                        gifts::paid_at,
                        gifts::deliver_on,
                        gifts::redeemed_at,
                        gifts::ends_at,
                    ),
                ))
                .load(c)
        })
        .await?;
    let (rows, more) = Page::and_more(rows);
    let frame = staff.frame(&req, Nav::Gifts);
    let lang = frame.lang;
    let now = db::now();
    let day = |t: NaiveDateTime| t.date().to_string();
    let lines = rows
        .into_iter()
        .map(
            |(
                (id, campaign, tier, months, amount, refunded, currency),
                (buyer, recipient, paid, deliver, redeemed, ends),
            )| {
                let stage = Stage::of(deliver, redeemed.is_some(), refunded >= amount, now);
                Line {
                    id,
                    campaign,
                    tier: tier.unwrap_or_default(),
                    months,
                    amount: if refunded > 0 {
                        format!(
                            "{} ({})",
                            lang.money(amount, &currency),
                            lang.t(
                                "admin-gifts-refunded",
                                &[("amount", lang.money(refunded, &currency).into())]
                            )
                        )
                    } else {
                        lang.money(amount, &currency)
                    },
                    buyer,
                    recipient,
                    stage: lang.tr(stage.label()),
                    paid: day(paid),
                    delivery: day(deliver),
                    ends: ends.map(day).unwrap_or_default(),
                    resendable: matches!(stage, Stage::Scheduled | Stage::Delivered),
                }
            },
        )
        .collect();
    let notice = query
        .resent
        .map(|id| lang.t("admin-gifts-resent", &[("id", id.into())]));
    render(&GiftsPage {
        frame,
        lines,
        page: page.number(),
        more,
        notice,
        can_resend: staff.role == Role::Admin,
    })
}

/// `POST /admin/gifts/{id}/resend` (admins): the gift's email again, now, with a fresh link
/// (the old one stops working). Only for a gift not redeemed and not expired.
pub(crate) async fn resend(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = staff.actor();
    let settings = state.settings.clone();
    let sent = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            let now = db::now();
            type Gift = (
                i32,
                Option<i32>,
                i32,
                String,
                String,
                String,
                String,
                NaiveDateTime,
                Option<NaiveDateTime>,
                bool,
            );
            let gift: Option<Gift> = gifts::table
                .find(id)
                .select((
                    gifts::campaign_id,
                    gifts::tier_id,
                    gifts::months,
                    gifts::buyer_email,
                    gifts::recipient_email,
                    gifts::message,
                    gifts::lang,
                    gifts::deliver_on,
                    gifts::redeemed_at,
                    gifts::amount_refunded.ge(gifts::amount),
                ))
                .first(c)
                .optional()?;
            let Some((
                campaign,
                tier,
                months,
                buyer,
                recipient,
                text,
                lang,
                deliver,
                redeemed,
                refunded,
            )) = gift
            else {
                return Ok(false);
            };
            if !matches!(
                Stage::of(deliver, redeemed.is_some(), refunded, now),
                Stage::Scheduled | Stage::Delivered
            ) {
                return Ok(false);
            }
            let secret = tokens::random_secret();
            diesel::update(gifts::table.find(id).filter(gifts::redeemed_at.is_null()))
                .set((
                    gifts::token_hash.eq(tokens::hash_of(&secret)),
                    gifts::deliver_on.eq(now.min(deliver)),
                ))
                .execute(c)?;
            let lang = Lang::from_code(&lang);
            let (tier, title) = names(c, tier.unwrap_or_default(), campaign, lang)?;
            let url =
                settings.public_url(&format!("/gift/redeem?token={secret}&lang={}", lang.code()));
            // The email not sent yet carries the old link: this one replaces it.
            jobs::withdraw(c, &format!("gift-delivery:{id}"), now)?;
            queue(
                c,
                &format!("gift-delivery:{id}:{}", now.and_utc().timestamp_millis()),
                &recipient,
                &Notice::gift(lang, &buyer, &tier, &title, months, &text, &url),
                now,
            )?;
            audit::record(
                c,
                &actor,
                "gift.resend",
                "gift",
                &id.to_string(),
                &serde_json::json!({"recipient": recipient}),
            )?;
            Ok(true)
        })
        .await?;
    if sent {
        state.outbox_wake.notify_one();
        return Ok(see_other(&format!("/admin/gifts?resent={id}")));
    }
    let frame = staff.frame(&req, Nav::Gifts);
    let lang = frame.lang;
    message(
        frame,
        StatusCode::CONFLICT,
        &lang.tr("admin-gifts-not-resendable-title"),
        &lang.tr("admin-gifts-not-resendable"),
        "/admin/gifts",
    )
}
