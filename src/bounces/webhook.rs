//! `POST /webhooks/mail/{provider}`: bounce and complaint reports from `ses`, `postmark` and
//! `sendgrid`. A provider without its setting is switched off (404); a call that does not
//! authenticate is refused (401 or 400) and changes nothing; an authentic one is stored in
//! one transaction and answered 200, also when it repeats an earlier one.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{Report, postmark, record, sendgrid, ses};
use crate::db::{self, DbError};
use crate::state::AppState;
use crate::web::error::AppError;

/// Reports are small; a SendGrid batch of a few thousand events stays well under this.
pub const BODY_LIMIT: usize = 1 << 20;

fn refused(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
    let message = message.into();
    tracing::warn!(code, reason = %message, "refused a mail webhook");
    AppError::client(status, code, message).json(true)
}

fn off(provider: &str) -> AppError {
    AppError::client(
        StatusCode::NOT_FOUND,
        "provider_not_configured",
        format!("Reports from {provider} are not configured here."),
    )
    .json(true)
}

/// Receives one report.
pub(crate) async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let settings = &state.settings.mail_webhooks;
    let bad = |e: String| refused(StatusCode::BAD_REQUEST, "bad_webhook", e);
    let reports: Vec<Report> = match provider.as_str() {
        "postmark" => {
            let auth = settings
                .postmark_auth
                .as_ref()
                .ok_or_else(|| off("postmark"))?;
            if !postmark::authentic(req.headers(), auth) {
                return Err(refused(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "wrong or missing credentials",
                ));
            }
            postmark::reports(&body).map_err(bad)?
        }
        "sendgrid" => {
            let key = settings
                .sendgrid_key
                .as_ref()
                .ok_or_else(|| off("sendgrid"))?;
            let now = chrono::Utc::now().timestamp();
            sendgrid::verify(req.headers(), &body, key, now).map_err(bad)?;
            sendgrid::reports(&body).map_err(bad)?
        }
        "ses" => {
            if settings.ses_topics.is_empty() {
                return Err(off("ses"));
            }
            match ses::receive(settings, &body).await {
                Ok(ses::Delivery::Reports(reports)) => reports,
                Ok(ses::Delivery::Subscribed) => Vec::new(),
                Err(e @ ses::Refused::Unreachable(_)) => {
                    // SNS retries; by then the certificate or the confirmation may answer.
                    return Err(refused(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unreachable",
                        e.to_string(),
                    ));
                }
                Err(e) => return Err(bad(e.to_string())),
            }
        }
        _ => return Err(AppError::not_found("mail provider").json(true)),
    };
    let source = provider.into_inner();
    let count = reports.len();
    if count > 0 {
        let changed = state
            .db
            .write(move |conn| -> Result<usize, DbError> {
                Ok(record(conn, &source, &reports, db::now())?)
            })
            .await
            .map_err(|e| AppError::from(e).json(true))?;
        tracing::info!(reported = count, changed, "mail webhook stored");
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "reported": count })))
}
