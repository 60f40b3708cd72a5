//! Pausing a monthly membership's payments from `/account` (1 to `MEMBERDRIVE_PAUSE_MAX_MONTHS`
//! months), through Stripe's `pause_collection`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::account::checked;
use crate::db;
use crate::db::schema::memberships;
use crate::domain::{BillingInterval, MembershipStatus};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::see_other;

/// Whether a membership's payments can be paused now: a monthly one (a pause over a yearly
/// renewal would void the whole year's invoice) that renews (not ending, not already paused),
/// where the outlet allows pauses.
pub(super) fn pausable(
    interval: BillingInterval,
    status: MembershipStatus,
    cancelling: bool,
    paused: Option<NaiveDateTime>,
    max_months: u32,
) -> bool {
    max_months > 0
        && interval == BillingInterval::Month
        && status.renews()
        && !cancelling
        && paused.is_none()
}

/// `POST /account/pause`: fields `membership`, `months` (1 to `MEMBERDRIVE_PAUSE_MAX_MONTHS`)
/// and `csrf_token`. Pauses the subscription's payments in Stripe until then (its invoices
/// meanwhile are voided; Stripe resumes by itself) and applies Stripe's answer at once, so
/// the campaign's count shows it (a paused member is not counted until payments resume).
pub(crate) async fn pause(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let refused = |status, code, message| AppError::refused(&req, lang, status, code, message);
    let max = state.settings.members.pause_max_months;
    let months: u32 = form
        .get("months")
        .and_then(|m| m.trim().parse().ok())
        .filter(|m| (1..=max).contains(m))
        .ok_or_else(|| {
            refused(
                StatusCode::BAD_REQUEST,
                "invalid_months",
                "acct-pause-error-months",
            )
        })?;
    let (Some(stripe), Some(syncer)) = (state.stripe.clone(), state.syncer.clone()) else {
        return Err(refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "payments_not_configured",
            "join-not-configured",
        ));
    };
    let no_such = || {
        refused(
            StatusCode::NOT_FOUND,
            "no_such_membership",
            "acct-pause-error-membership",
        )
    };
    let id: i32 = form
        .get("membership")
        .and_then(|m| m.parse().ok())
        .ok_or_else(no_such)?;
    let member = session.member_id;
    type Found = (
        Option<String>,
        BillingInterval,
        MembershipStatus,
        bool,
        Option<NaiveDateTime>,
    );
    let found: Option<Found> = state
        .db
        .read(move |c| {
            memberships::table
                .find(id)
                .filter(memberships::member_id.eq(member))
                .select((
                    memberships::stripe_subscription_id,
                    memberships::billing_interval,
                    memberships::status,
                    memberships::cancel_at_period_end,
                    memberships::paused_until,
                ))
                .first(c)
                .optional()
        })
        .await?;
    let Some((Some(subscription), interval, status, cancelling, paused)) = found else {
        return Err(no_such());
    };
    let now = db::now();
    if !pausable(
        interval,
        status,
        cancelling,
        paused.filter(|p| *p > now),
        max,
    ) {
        return Err(refused(
            StatusCode::CONFLICT,
            "cannot_pause",
            "acct-pause-error-state",
        ));
    }
    let resumes = now + chrono::Months::new(months);
    stripe
        .pause(&subscription, resumes.and_utc().timestamp())
        .await
        .map_err(AppError::internal)?;
    syncer
        .subscription(&subscription)
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(see_other(&format!(
        "/account?paused=1&lang={}",
        lang.code()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_running_monthly_membership_pauses() {
        use BillingInterval::{Month, Year};
        use MembershipStatus::{Active, PastDue};
        assert!(pausable(Month, Active, false, None, 3));
        assert!(!pausable(Year, Active, false, None, 3), "a yearly renewal");
        assert!(!pausable(Month, Active, true, None, 3), "ending");
        assert!(
            !pausable(Month, PastDue, false, None, 3),
            "a payment is due"
        );
        assert!(
            !pausable(Month, Active, false, Some(db::now()), 3),
            "paused"
        );
        assert!(
            !pausable(Month, Active, false, None, 0),
            "the outlet allows none"
        );
    }
}
