//! `GET /gift/redeem?token=T` (a page with a button; changes nothing) and `POST
//! /gift/redeem` (form field `token`): the recipient starts their gift membership.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;

use super::{REDEEM_WITHIN, REMIND_BEFORE, names, queue};
use crate::campaigns::progress;
use crate::db::schema::{gifts, memberships};
use crate::db::{self, DbConnection, DbError, on_backend};
use crate::domain::{BillingInterval, EmailAddress, MembershipStatus};
use crate::email::templates::Notice;
use crate::i18n::Lang;
use crate::members::Member;
use crate::state::AppState;
use crate::tokens;
use crate::web::error::AppError;
use crate::web::form::Form;

/// A gift as its redeem page shows it.
#[derive(Debug, Clone, Queryable)]
struct Found {
    id: i32,
    campaign: i32,
    tier: Option<i32>,
    months: i32,
    currency: String,
    buyer: String,
    recipient: String,
    message: String,
    lang: String,
    deliver_on: NaiveDateTime,
    redeemed_at: Option<NaiveDateTime>,
    refunded_in_full: bool,
}

fn find(conn: &mut DbConnection, raw: &str) -> QueryResult<Option<Found>> {
    gifts::table
        .filter(gifts::token_hash.eq(tokens::hash_of(raw)))
        .select((
            gifts::id,
            gifts::campaign_id,
            gifts::tier_id,
            gifts::months,
            gifts::currency,
            gifts::buyer_email,
            gifts::recipient_email,
            gifts::message,
            gifts::lang,
            gifts::deliver_on,
            gifts::redeemed_at,
            gifts::amount_refunded.ge(gifts::amount),
        ))
        .first(conn)
        .optional()
}

/// Why a gift cannot be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unusable {
    Unknown,
    Redeemed,
    Expired,
    /// Refunded in full.
    Refunded,
    /// The recipient pays for a membership of this campaign already.
    Member,
}

impl Unusable {
    fn answer(self, req: &HttpRequest, lang: Lang) -> AppError {
        let (status, code, message) = match self {
            Unusable::Unknown => (
                StatusCode::NOT_FOUND,
                "invalid_token",
                "gift-redeem-unknown",
            ),
            Unusable::Redeemed => (StatusCode::GONE, "already_redeemed", "gift-redeem-used"),
            Unusable::Expired => (StatusCode::GONE, "expired", "gift-redeem-expired"),
            Unusable::Refunded => (StatusCode::GONE, "refunded", "gift-redeem-refunded"),
            Unusable::Member => (StatusCode::CONFLICT, "already_member", "gift-redeem-member"),
        };
        AppError::refused(req, lang, status, code, message)
    }
}

fn usable(found: Option<Found>, now: NaiveDateTime) -> Result<Found, Unusable> {
    let gift = found.ok_or(Unusable::Unknown)?;
    if gift.refunded_in_full {
        Err(Unusable::Refunded)
    } else if gift.redeemed_at.is_some() {
        Err(Unusable::Redeemed)
    } else if now > gift.deliver_on + REDEEM_WITHIN {
        Err(Unusable::Expired)
    } else {
        Ok(gift)
    }
}

#[derive(Template)]
#[template(path = "gift/redeem.html")]
struct RedeemPage {
    lang: Lang,
    token: String,
    intro: String,
    message: String,
}

#[derive(Template)]
#[template(path = "gift/redeemed.html")]
struct RedeemedPage {
    lang: Lang,
    body: String,
}

fn html(page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = crate::branding::render(page).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("referrer-policy", "no-referrer"))
        .body(body))
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /gift/redeem?token=T`
pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let raw = query.token.clone();
    let shown = state
        .db
        .read(move |c| {
            let gift = match usable(find(c, &raw)?, db::now()) {
                Ok(gift) => gift,
                Err(unusable) => return Ok(Err(unusable)),
            };
            let (tier, title) = names(c, gift.tier.unwrap_or_default(), gift.campaign, lang)?;
            Ok(Ok((gift, tier, title)))
        })
        .await?;
    let (gift, tier, title) = shown.map_err(|u| u.answer(&req, lang))?;
    html(&RedeemPage {
        lang,
        token: query.token.clone(),
        intro: lang.t(
            "email-gift-body",
            &[
                ("from", gift.buyer.into()),
                ("tier", tier.into()),
                ("campaign", title.into()),
                ("months", gift.months.into()),
            ],
        ),
        message: gift.message,
    })
}

/// `POST /gift/redeem`
pub(crate) async fn redeem(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let raw = form.get("token").unwrap_or_default().to_owned();
    let settings = state.settings.clone();
    let done = state
        .db
        .write(
            move |c| -> Result<Result<NaiveDateTime, Unusable>, DbError> {
                Ok(start(c, &settings, &raw, db::now())?)
            },
        )
        .await?;
    let until = done.map_err(|u| u.answer(&req, lang))?;
    state.board.poke();
    state.outbox_wake.notify_one();
    html(&RedeemedPage {
        lang,
        body: lang.t(
            "gift-redeemed-body",
            &[("until", until.date().to_string().into())],
        ),
    })
}

/// Redeems the gift of token `raw` in the caller's transaction: the membership, the buyer's
/// note and the reminder before the end. Returns when the gift ends.
fn start(
    c: &mut DbConnection,
    settings: &crate::config::Settings,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<NaiveDateTime, Unusable>> {
    let Some(campaign) = find(c, raw)?.map(|g| g.campaign) else {
        return Ok(Err(Unusable::Unknown));
    };
    // The count's turn before any row of ours, as every transaction that changes one takes it;
    // then the gift again, as a refund or another redemption may have committed meanwhile.
    progress::lock(c, campaign)?;
    let gift = match usable(find(c, raw)?, now) {
        Ok(gift) => gift,
        Err(unusable) => return Ok(Err(unusable)),
    };
    let Some(email) = EmailAddress::parse(&gift.recipient) else {
        return Ok(Err(Unusable::Unknown));
    };
    let lang = Lang::from_code(&gift.lang);
    let member = Member::for_checkout(c, &email, lang.code(), None)?;
    let paying = memberships::table
        .filter(memberships::member_id.eq(member))
        .filter(memberships::campaign_id.eq(gift.campaign))
        .filter(
            memberships::status.eq_any(MembershipStatus::all(MembershipStatus::in_good_standing)),
        )
        .filter(
            memberships::cancel_at_period_end
                .eq(false)
                .or(memberships::current_period_end.gt(now)),
        );
    if diesel::select(diesel::dsl::exists(paying)).get_result::<bool>(c)? {
        return Ok(Err(Unusable::Member));
    }
    let ends = now + Months::new(gift.months.unsigned_abs());
    // One redemption: the update that sets the date decides, whoever else tries at once.
    let won = diesel::update(
        gifts::table
            .find(gift.id)
            .filter(gifts::redeemed_at.is_null()),
    )
    .set((gifts::redeemed_at.eq(now), gifts::ends_at.eq(ends)))
    .execute(c)?;
    if won == 0 {
        return Ok(Err(Unusable::Redeemed));
    }
    let insert = diesel::insert_into(memberships::table)
        .values((
            (
                memberships::member_id.eq(member),
                memberships::campaign_id.eq(gift.campaign),
                memberships::tier_id.eq(gift.tier),
                memberships::billing_interval.eq(BillingInterval::Month),
                memberships::amount.eq(0),
                memberships::currency.eq(&gift.currency),
                memberships::status.eq(MembershipStatus::Active),
            ),
            (
                memberships::cancel_at_period_end.eq(true),
                memberships::current_period_end.eq(ends),
                memberships::started_at.eq(now),
                memberships::created_at.eq(now),
                memberships::updated_at.eq(now),
            ),
        ))
        .returning(memberships::id);
    let membership: i32 = on_backend!(c, |conn| insert.get_result(conn)?);
    diesel::update(gifts::table.find(gift.id))
        .set((
            gifts::member_id.eq(member),
            gifts::membership_id.eq(membership),
        ))
        .execute(c)?;
    progress::refresh(c, gift.campaign, now)?;
    let gift_url = settings.public_url(&format!("/gift?lang={}", lang.code()));
    queue(
        c,
        &format!("gift-redeemed:{}", gift.id),
        &gift.buyer,
        &Notice::gift_redeemed(lang, &gift.recipient, &gift_url),
        now,
    )?;
    let remind_at = ends - REMIND_BEFORE;
    if remind_at > now {
        let join_url = settings.public_url(&format!("/join?lang={}", lang.code()));
        queue(
            c,
            &format!("gift-ending:{}", gift.id),
            &gift.recipient,
            &Notice::gift_ending(lang, &ends.date().to_string(), &join_url),
            remind_at,
        )?;
    }
    Ok(Ok(ends))
}
