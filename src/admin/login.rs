//! Signing in and out.
//!
//! An unknown email and a wrong password get the same page after the same work: the account
//! is looked up, then a hash is verified — the account's, or a dummy one. Throttling comes
//! first, so a refused guess costs no hashing.
//!
//! The sign-in form has no CSRF token (there is no session to tie one to yet). Login CSRF —
//! another site signing a visitor in to an account of the attacker's — is stopped by
//! [`crate::web::csrf::same_origin`]: every current browser labels a cross-site POST with
//! `Sec-Fetch-Site` or `Origin`, so checking them needs no key, no extra cookie and no
//! per-request value in the page, which also keeps the two failure answers byte-identical.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::throttle::{self, Refused, Throttled};
use super::{Frame, lang_of, render_status};
use crate::audit::{self, Actor};
use crate::auth::StaffSession;
use crate::auth::session::{self, Holder, STAFF};
use crate::db::{self, DbError};
use crate::i18n::Lang;
use crate::staff::{self, password::CheckError};
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::form::TextForm;

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    frame: Frame,
    email: String,
    next: String,
    error: Option<String>,
}

/// Only our own dashboard pages are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?"))
                && !n.starts_with("/admin/login")
                && !n.contains(['\\', '\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

fn page(
    status: StatusCode,
    lang: Lang,
    email: String,
    next: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::anonymous(lang);
    render_status(
        status,
        &LoginPage {
            frame,
            email,
            next,
            error,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /admin/login?next=…`
pub(crate) async fn form(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    page(StatusCode::OK, lang_of(&req), String::new(), next, None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn throttled(
    lang: Lang,
    email: String,
    next: String,
    t: Throttled,
) -> Result<HttpResponse, AppError> {
    let seconds = t.retry_after.as_millis().div_ceil(1000).max(1) as u64;
    let message = if seconds < 60 {
        lang.t(
            "admin-login-throttled-seconds",
            &[("seconds", seconds.into())],
        )
    } else {
        let minutes = seconds.div_ceil(60);
        lang.t("admin-login-throttled", &[("minutes", minutes.into())])
    };
    too_many(lang, email, next, message, seconds)
}

/// Every password check stayed busy: come back in a few seconds (nothing was counted).
fn busy(lang: Lang, email: String, next: String) -> Result<HttpResponse, AppError> {
    let message = lang.tr("admin-login-busy");
    too_many(lang, email, next, message, 5)
}

/// A 429 page asking to come back in `seconds`.
fn too_many(
    lang: Lang,
    email: String,
    next: String,
    message: String,
    seconds: u64,
) -> Result<HttpResponse, AppError> {
    let mut res = page(
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        email,
        next,
        Some(message),
    )?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(res)
}

/// `POST /admin/login`
pub(crate) async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    TextForm(form): TextForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    crate::web::csrf::require_same_origin(&req, &state.settings)?;
    let LoginForm {
        email,
        password,
        next,
    } = form;
    let email = email.trim().to_lowercase();
    let next = safe_next(next.as_deref());
    let ip = client_ip(&req, &state.settings.trusted_proxies);

    let attempt = match state.staff_logins.begin(&email, ip).await {
        Ok(attempt) => attempt,
        Err(Refused::Throttled(t)) => {
            tracing::warn!(client.ip = ?ip, "staff sign-in throttled");
            return throttled(lang, email, next, t);
        }
        Err(Refused::Db(e)) => return Err(e.into()),
    };
    if let Some(wait) = attempt.wait_first() {
        tokio::time::sleep(wait).await;
    }
    let lookup = email.clone();
    let account = state
        .db
        .read(move |c| staff::find_by_email(c, &lookup))
        .await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matched = match state
        .password_checks
        .verify_or_dummy(password, stored)
        .await
    {
        Ok(matched) => matched,
        Err(CheckError::Busy) => {
            tracing::warn!(client.ip = ?ip, "staff sign-in turned away: every password check busy");
            state.staff_logins.abandon(attempt).await?;
            return busy(lang, email, next);
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let account = match account {
        // Only someone who knows the password learns that the account is disabled.
        Some(account) if matched && !account.enabled() => {
            tracing::info!(client.ip = ?ip, "staff sign-in refused: the account is disabled");
            state.staff_logins.abandon(attempt).await?;
            let error = lang.tr("admin-login-disabled");
            return page(StatusCode::FORBIDDEN, lang, email, next, Some(error));
        }
        Some(account) if matched => account,
        other => {
            tracing::info!(client.ip = ?ip, "staff sign-in failed");
            let id = other.map(|a| a.id);
            state.staff_logins.failed(attempt, id).await?;
            let error = lang.tr("admin-login-failed");
            return page(StatusCode::UNAUTHORIZED, lang, email, next, Some(error));
        }
    };

    // A new session id at every sign-in; the one the browser held (if any) ends.
    let previous = req.cookie(STAFF.cookie).map(|c| c.value().to_owned());
    let address = ip.map(|ip| ip.to_string());
    let raw = state
        .db
        .write(move |c| -> Result<String, DbError> {
            let now = db::now();
            if let Some(previous) = previous {
                session::end_staff_by_token(c, &previous)?;
            }
            throttle::succeeded(c, &attempt)?;
            let raw = session::start(c, Holder::Staff(account.id), now)?;
            staff::touch_login(c, account.id, now)?;
            let actor = Actor::Staff {
                email: account.email.clone(),
            };
            let details = serde_json::json!({ "ip": address });
            audit::record(
                c,
                &actor,
                "staff.sign_in",
                "staff_user",
                &account.id.to_string(),
                &details,
            )?;
            Ok(raw)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(session::cookie(STAFF, raw, &state.settings))
        .finish())
}

/// `POST /admin/logout`: ends the session on the server and in the browser.
pub(crate) async fn logout(
    staff: StaffSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (session_id, user_id, actor) = (staff.session_id(), staff.staff_user_id, staff.actor());
    state
        .db
        .write(move |c| -> Result<(), DbError> {
            session::end(c, session_id)?;
            audit::record(
                c,
                &actor,
                "staff.sign_out",
                "staff_user",
                &user_id.to_string(),
                &serde_json::json!({}),
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .cookie(session::removal_cookie(STAFF, &state.settings))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_dashboard_pages_are_followed_after_sign_in() {
        for (next, expected) in [
            (None, "/admin"),
            (Some("/admin/audit?page=2"), "/admin/audit?page=2"),
            (Some("/admin"), "/admin"),
            (Some("https://evil.example/admin"), "/admin"),
            (Some("//evil.example"), "/admin"),
            (Some("/administrator"), "/admin"),
            (Some("/admin/login?next=/admin"), "/admin"),
            (Some("/admin\\@evil"), "/admin"),
        ] {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
