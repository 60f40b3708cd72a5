//! Choosing a new password with the single-use link `memberdrive staff reset-password` emails.
//!
//! `GET /admin/password?token=…` shows the form for a link that still works; the `POST` uses
//! the link (once), stores the new hash and ends every session the account had. The link's
//! secret is in the URL only as far as the page: the page sends no `Referer` anywhere.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::password::{self, CheckError, Weak};
use crate::admin::{Frame, lang_of, render_status};
use crate::audit::{self, Actor};
use crate::db::schema::staff_users;
use crate::db::{self, DbConnection, DbError};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tokens::{self, Purpose, Rejected, Token};
use crate::web::csrf::require_same_origin;
use crate::web::error::AppError;
use crate::web::form::TextForm;

#[derive(Template)]
#[template(path = "admin/password.html")]
struct PasswordPage {
    frame: Frame,
    title: String,
    error: Option<String>,
    message: Option<String>,
    form: Option<PasswordForm>,
}

struct PasswordForm {
    intro: String,
    email: String,
    token: String,
}

fn reply(status: StatusCode, page: PasswordPage) -> Result<HttpResponse, AppError> {
    let mut res = render_status(status, &page)?;
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}

/// The form for the account `email`, with `error` above it.
fn form(
    status: StatusCode,
    lang: Lang,
    email: String,
    token: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let intro = lang.t("admin-password-intro", &[("email", email.clone().into())]);
    reply(
        status,
        PasswordPage {
            frame: Frame::anonymous(lang),
            title: lang.tr("admin-password-title"),
            error,
            message: None,
            form: Some(PasswordForm {
                intro,
                email,
                token,
            }),
        },
    )
}

/// A link that does not work: why, and the way to sign-in.
fn rejected(lang: Lang, why: Rejected) -> Result<HttpResponse, AppError> {
    let (status, error) = match why {
        Rejected::Invalid => (StatusCode::BAD_REQUEST, "admin-password-invalid"),
        Rejected::Expired | Rejected::Used => (StatusCode::GONE, "admin-password-expired"),
    };
    reply(
        status,
        PasswordPage {
            frame: Frame::anonymous(lang),
            title: lang.tr("admin-password-title"),
            error: Some(lang.tr(error)),
            message: None,
            form: None,
        },
    )
}

/// The token's account, if it is a staff account that may still sign in.
fn enabled_account(conn: &mut DbConnection, token: &Token) -> QueryResult<Option<(i32, String)>> {
    let Some(id) = token.staff_user_id else {
        return Ok(None);
    };
    staff_users::table
        .find(id)
        .filter(staff_users::disabled_at.is_null())
        .select((staff_users::id, staff_users::email))
        .first(conn)
        .optional()
}

/// Checks a link without using it: its account, or why it does not work.
async fn check(state: &AppState, raw: String) -> Result<Result<(i32, String), Rejected>, AppError> {
    let checked = state
        .db
        .read(move |c| -> QueryResult<_> {
            let token = match tokens::check(c, Purpose::StaffPassword, &raw, db::now())? {
                Ok(token) => token,
                Err(why) => return Ok(Err(why)),
            };
            Ok(enabled_account(c, &token)?.ok_or(Rejected::Invalid))
        })
        .await?;
    Ok(checked)
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    #[serde(default)]
    token: String,
}

/// `GET /admin/password?token=…`
pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    let token = query.into_inner().token;
    match check(&state, token.clone()).await? {
        Ok((_, email)) => form(StatusCode::OK, lang, email, token, None),
        Err(why) => rejected(lang, why),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewPassword {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /admin/password`
pub(crate) async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    TextForm(posted): TextForm<NewPassword>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    require_same_origin(&req, &state.settings)?;
    let NewPassword {
        token,
        password,
        repeat,
    } = posted;
    // A link that does not work costs no hashing.
    let email = match check(&state, token.clone()).await? {
        Ok((_, email)) => email,
        Err(why) => return rejected(lang, why),
    };
    let weak = match password::check_new(&password) {
        _ if password != repeat => Some("admin-password-mismatch"),
        Err(Weak::TooShort) => Some("admin-password-too-short"),
        Err(Weak::TooLong) => Some("admin-password-too-long"),
        Ok(()) => None,
    };
    if let Some(weak) = weak {
        let error = Some(lang.tr(weak));
        return form(StatusCode::UNPROCESSABLE_ENTITY, lang, email, token, error);
    }
    let hash = match state.password_checks.hash(password).await {
        Ok(hash) => hash.map_err(AppError::internal)?,
        Err(CheckError::Busy) => {
            let error = Some(lang.tr("admin-login-busy"));
            let mut res = form(StatusCode::TOO_MANY_REQUESTS, lang, email, token, error)?;
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(5));
            return Ok(res);
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let saved = state
        .db
        .write(move |c| -> Result<Result<(), Rejected>, DbError> {
            let token = match tokens::consume(c, Purpose::StaffPassword, &token, db::now())? {
                Ok(token) => token,
                Err(why) => return Ok(Err(why)),
            };
            let Some((id, email)) = enabled_account(c, &token)? else {
                return Ok(Err(Rejected::Invalid));
            };
            super::set_password(c, id, &hash)?;
            let actor = Actor::Staff {
                email: email.clone(),
            };
            let details = serde_json::json!({ "email": email, "by": "reset link" });
            audit::record(
                c,
                &actor,
                "staff.password_changed",
                "staff_user",
                &id.to_string(),
                &details,
            )?;
            Ok(Ok(()))
        })
        .await?;
    if let Err(why) = saved {
        return rejected(lang, why);
    }
    reply(
        StatusCode::OK,
        PasswordPage {
            frame: Frame::anonymous(lang),
            title: lang.tr("admin-password-done-title"),
            error: None,
            message: Some(lang.tr("admin-password-done")),
            form: None,
        },
    )
}
