//! "Forgot your password?" on the sign-in page: `GET /admin/password/forgot` asks for the
//! address, the `POST` emails a single-use link (an hour) to choose a new password if it is
//! an enabled staff account's. The answer is the same whether it is or not, so the page
//! tells nobody which addresses have accounts; the per-client limit of the public forms
//! keeps it from being used to flood a mailbox.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::manage;
use crate::admin::{Frame, lang_of, render_status};
use crate::audit::Actor;
use crate::db::{self, DbError};
use crate::domain::EmailAddress;
use crate::email::templates::StaffLink;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::require_same_origin;
use crate::web::error::AppError;
use crate::web::form::TextForm;
use crate::web::limits::PerClient;

#[derive(Template)]
#[template(path = "admin/forgot.html")]
struct ForgotPage {
    frame: Frame,
    email: String,
    error: Option<String>,
    sent: Option<String>,
}

fn page_of(
    status: StatusCode,
    lang: Lang,
    email: String,
    error: Option<String>,
    sent: Option<String>,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::anonymous(lang);
    render_status(
        status,
        &ForgotPage {
            frame,
            email,
            error,
            sent,
        },
    )
}

/// `GET /admin/password/forgot`
pub(crate) async fn page(req: HttpRequest) -> Result<HttpResponse, AppError> {
    page_of(StatusCode::OK, lang_of(&req), String::new(), None, None)
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /admin/password/forgot`
pub(crate) async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    TextForm(form): TextForm<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    require_same_origin(&req, &state.settings)?;
    let typed = form.email.trim().to_owned();
    let Some(email) = EmailAddress::parse(&typed) else {
        let error = Some(lang.tr("admin-staff-bad-invite"));
        return page_of(StatusCode::BAD_REQUEST, lang, typed, error, None);
    };
    let client = client_ip(&req, &state.settings.trusted_proxies);
    let settings = state.settings.clone();
    let limiter = state.subscribe_limiter.clone();
    let address = email.clone();
    let allowed = state
        .db
        .write(move |c| -> Result<_, DbError> {
            if let Err(wait) = limiter.allows(c, client)? {
                return Ok(Err(wait));
            }
            let account = super::find_by_email(c, address.as_str())?;
            if let Some(account) = account.filter(|a| a.enabled()) {
                let (link, now) = (StaffLink::Forgot, db::now());
                manage::send_link(c, &settings, &account, link, lang, &Actor::System, now)?;
            }
            Ok(Ok(()))
        })
        .await?;
    if let Err(wait) = allowed {
        return Err(PerClient::refusal(wait, false, lang));
    }
    state.outbox_wake.notify_one();
    let sent = lang.t("admin-forgot-sent", &[("email", email.to_string().into())]);
    page_of(StatusCode::OK, lang, typed, None, Some(sent))
}
