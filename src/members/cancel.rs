//! Cancelling from the account page: `GET /account/cancel?membership=…` first asks why (a
//! short list and a note, both optional) and, when the outlet configured one
//! (`MEMBERDRIVE_CANCEL_OFFER_COUPON`), offers a Stripe coupon instead; `POST /account/cancel`
//! either applies the coupon to the subscription (the member stays) or cancels it at the end
//! of the period paid for. Either way the answer is kept in `cancellations`, and the overview
//! shows the reasons beside churn. An offer is made once per membership.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;
use stripe_shared::{Coupon, CouponDuration};

use super::account::{checked, current};
use crate::db::schema::{campaigns, cancellations, memberships};
use crate::db::{self, DbConnection, DbError};
use crate::domain::{CancelReason, MembershipStatus};
use crate::i18n::Lang;
use crate::newsletters::routes::html;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::see_other;

/// The longest note kept, in characters.
const NOTE_MAX: usize = 2_000;

/// A membership the signed-in member may cancel: theirs, with a Stripe subscription, in good
/// standing and not ending already.
struct Cancellable {
    campaign_id: i32,
    campaign: String,
    subscription: String,
    /// Whether it renews (an active one): only those are made an offer.
    renews: bool,
    /// Whether it took an offer before (it gets none again).
    offered_before: bool,
}

/// Id, campaign id, campaign title, status, cancelling, subscription.
type Row = (i32, i32, String, MembershipStatus, bool, Option<String>);

fn cancellable(
    conn: &mut DbConnection,
    member_id: i32,
    id: i32,
) -> QueryResult<Option<Cancellable>> {
    let row: Option<Row> = memberships::table
        .inner_join(campaigns::table)
        .filter(memberships::id.eq(id))
        .filter(memberships::member_id.eq(member_id))
        .select((
            memberships::id,
            campaigns::id,
            campaigns::title,
            memberships::status,
            memberships::cancel_at_period_end,
            memberships::stripe_subscription_id,
        ))
        .first(conn)
        .optional()?;
    let Some((id, campaign_id, campaign, status, cancelling, Some(subscription))) = row else {
        return Ok(None);
    };
    if !status.in_good_standing() || cancelling {
        return Ok(None);
    }
    let offered_before = diesel::select(diesel::dsl::exists(
        cancellations::table
            .filter(cancellations::membership_id.eq(id))
            .filter(cancellations::offer_accepted),
    ))
    .get_result(conn)?;
    Ok(Some(Cancellable {
        campaign_id,
        campaign,
        subscription,
        renews: status.renews(),
        offered_before,
    }))
}

/// What the configured coupon gives, in the reader's words ("50 % off each payment for 3
/// months"); `None` when the coupon cannot be used.
fn describe(coupon: &Coupon, lang: Lang) -> Option<String> {
    if !coupon.valid {
        return None;
    }
    let discount = match (coupon.percent_off, coupon.amount_off, &coupon.currency) {
        (Some(percent), _, _) => {
            // Whole percentages without decimals; the language's decimal comma otherwise.
            let mut shown = format!("{percent}");
            if lang == Lang::Uk {
                shown = shown.replace('.', ",");
            }
            lang.t("acct-cancel-offer-percent", &[("percent", shown.into())])
        }
        (None, Some(amount), Some(currency)) => lang.t(
            "acct-cancel-offer-amount",
            &[("amount", lang.money(amount, &currency.to_string()).into())],
        ),
        _ => return None,
    };
    let discount = discount.into();
    Some(match (&coupon.duration, coupon.duration_in_months) {
        (CouponDuration::Repeating, Some(months)) => lang.t(
            "acct-cancel-offer-months",
            &[("discount", discount), ("months", months.into())],
        ),
        (CouponDuration::Forever, _) => {
            lang.t("acct-cancel-offer-forever", &[("discount", discount)])
        }
        _ => lang.t("acct-cancel-offer-once", &[("discount", discount)]),
    })
}

/// The offer this membership gets, worded: the configured coupon, if it is still valid in
/// Stripe, for a renewing membership that never took one.
async fn offer(state: &AppState, found: &Cancellable, lang: Lang) -> Option<String> {
    let coupon = state.settings.members.cancel_offer_coupon.as_deref()?;
    if !found.renews || found.offered_before {
        return None;
    }
    match state.stripe.as_ref()?.coupon(coupon).await {
        Ok(coupon) => describe(&coupon, lang),
        Err(e) => {
            tracing::warn!(error = %e, "the cancellation offer's coupon could not be read");
            None
        }
    }
}

#[derive(Template)]
#[template(path = "account/cancel.html")]
struct CancelPage {
    lang: Lang,
    campaign: String,
    membership: i32,
    csrf_token: String,
    reasons: Vec<(&'static str, String)>,
    offer: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CancelQuery {
    membership: Option<String>,
    lang: Option<String>,
}

fn no_such(req: &HttpRequest, lang: Lang) -> AppError {
    AppError::refused(
        req,
        lang,
        StatusCode::NOT_FOUND,
        "no_such_membership",
        "acct-cancel-error-membership",
    )
}

/// `GET /account/cancel?membership=…`: the question, and the offer if there is one.
pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CancelQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_form(&req, query.lang.as_deref());
    let Some(session) = current(&req, &state).await? else {
        return Ok(see_other(&format!("/account?lang={}", lang.code())));
    };
    let id: i32 = query
        .membership
        .as_deref()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| no_such(&req, lang))?;
    let member = session.member_id;
    let found = state
        .db
        .read(move |c| cancellable(c, member, id))
        .await?
        .ok_or_else(|| no_such(&req, lang))?;
    let offer = offer(&state, &found, lang)
        .await
        .map(|o| lang.t("acct-cancel-offer", &[("offer", o.into())]));
    html(
        StatusCode::OK,
        &CancelPage {
            lang,
            campaign: found.campaign,
            membership: id,
            csrf_token: session.csrf_token,
            reasons: CancelReason::ALL
                .into_iter()
                .map(|r| (r.as_str(), lang.tr(&format!("cancel-reason-{r}"))))
                .collect(),
            offer,
        },
    )
}

/// `POST /account/cancel`: fields `membership`, `reason` (optional, one of the list), `note`
/// (optional), `choice` (`cancel` or `offer`), `lang` and `csrf_token`.
pub(crate) async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let refused = |status, code, message| AppError::refused(&req, lang, status, code, message);
    let reason = match form.get("reason").map(str::trim).unwrap_or_default() {
        "" => None,
        raw => Some(raw.parse::<CancelReason>().map_err(|_| {
            refused(
                StatusCode::BAD_REQUEST,
                "invalid_reason",
                "acct-cancel-error-reason",
            )
        })?),
    };
    let note = form
        .get("note")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if note.chars().count() > NOTE_MAX {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "note_too_long",
            "acct-cancel-error-note",
        ));
    }
    let take_offer = match form.get("choice") {
        Some("cancel") => false,
        Some("offer") => true,
        _ => {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                "invalid_choice",
                "acct-cancel-error-choice",
            ));
        }
    };
    let (Some(stripe), Some(syncer)) = (state.stripe.clone(), state.syncer.clone()) else {
        return Err(refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "payments_not_configured",
            "join-not-configured",
        ));
    };
    let id: i32 = form
        .get("membership")
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| no_such(&req, lang))?;
    let member = session.member_id;
    let found = state
        .db
        .read(move |c| cancellable(c, member, id))
        .await?
        .ok_or_else(|| no_such(&req, lang))?;
    if take_offer {
        let coupon = state.settings.members.cancel_offer_coupon.clone();
        let coupon = match coupon {
            Some(coupon) if offer(&state, &found, lang).await.is_some() => coupon,
            _ => {
                return Err(refused(
                    StatusCode::CONFLICT,
                    "no_offer",
                    "acct-cancel-error-offer",
                ));
            }
        };
        stripe
            .apply_coupon(&found.subscription, &coupon)
            .await
            .map_err(AppError::internal)?;
    } else {
        stripe
            .cancel_at_period_end(&found.subscription)
            .await
            .map_err(AppError::internal)?;
    }
    // Stripe's answer is applied at once (its webhook may come later, and changes nothing
    // then), so the account page shows the membership ending.
    syncer
        .subscription(&found.subscription)
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    let campaign = found.campaign_id;
    state
        .db
        .write(move |c| -> Result<usize, DbError> {
            Ok(diesel::insert_into(cancellations::table)
                .values((
                    cancellations::membership_id.eq(id),
                    cancellations::campaign_id.eq(campaign),
                    cancellations::reason.eq(reason.map(CancelReason::as_str)),
                    cancellations::note.eq(&note),
                    cancellations::offer_accepted.eq(take_offer),
                    cancellations::created_at.eq(db::now()),
                ))
                .execute(c)?)
        })
        .await?;
    let outcome = if take_offer { "kept" } else { "cancelling" };
    Ok(see_other(&format!(
        "/account?{outcome}=1&lang={}",
        lang.code()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(json: &str) -> Coupon {
        serde_json::from_str(json).expect("a coupon")
    }

    #[test]
    fn offers_are_worded_from_the_coupon() {
        let base = r#""object":"coupon","id":"stay","created":1,"livemode":false,"times_redeemed":0,"valid":true"#;
        let half = coupon(&format!(
            r#"{{{base},"percent_off":50,"duration":"repeating","duration_in_months":3}}"#
        ));
        assert_eq!(
            describe(&half, Lang::En).unwrap(),
            "50 % off each payment for 3 months"
        );
        let five = coupon(&format!(
            r#"{{{base},"amount_off":500,"currency":"eur","duration":"once"}}"#
        ));
        assert_eq!(
            describe(&five, Lang::En).unwrap(),
            "€5 off your next payment"
        );
        let forever = coupon(&format!(
            r#"{{{base},"percent_off":12.5,"duration":"forever"}}"#
        ));
        assert!(describe(&forever, Lang::Uk).unwrap().contains("12,5"));
        let expired = coupon(&format!(
            r#"{{{}}}"#,
            base.replace(
                r#""valid":true"#,
                r#""valid":false,"percent_off":10,"duration":"once""#
            )
        ));
        assert_eq!(describe(&expired, Lang::En), None);
    }
}
