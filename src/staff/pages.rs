//! `/admin/staff` (admins): every staff account with its role, state and last sign-in;
//! inviting someone (an emailed link to choose a password), changing a role, disabling,
//! enabling, sending a reset link and removing. The rules and audit entries are
//! [`super::manage`]'s, the same as at the command line.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::manage::{self, Change, Refused};
use super::{CreateError, Listing, Role};
use crate::admin::reply::message;
use crate::admin::{Frame, Nav, render_status};
use crate::auth::{StaffForm, StaffSession};
use crate::db::{self, DbError};
use crate::domain::EmailAddress;
use crate::email::templates::StaffLink;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

const PATH: &str = "/admin/staff";

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    frame: Frame,
    accounts: Vec<Listing>,
    notice: Option<String>,
    error: Option<String>,
    invite_email: String,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

async fn page_of(
    staff: &StaffSession,
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    invite_email: String,
) -> Result<HttpResponse, AppError> {
    let accounts = state.db.read(super::list).await?;
    render_status(
        status,
        &StaffPage {
            frame: staff.frame(req, Nav::Staff),
            accounts,
            notice,
            error,
            invite_email,
        },
    )
}

/// `GET /admin/staff`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let notice = match query.done.as_deref() {
        Some(done @ ("invited" | "set_role" | "disable" | "enable" | "reset" | "remove")) => {
            Some(lang.tr(&format!("admin-staff-done-{done}")))
        }
        _ => None,
    };
    page_of(
        &staff,
        &req,
        &state,
        StatusCode::OK,
        notice,
        None,
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff`: creates an account without a password and emails its owner a link to
/// choose one.
pub(crate) async fn invite(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<InviteForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let typed = form.email.trim().to_owned();
    let (Some(email), Some(role)) = (EmailAddress::parse(&typed), Role::parse(&form.role)) else {
        let error = Some(lang.tr("admin-staff-bad-invite"));
        let status = StatusCode::BAD_REQUEST;
        return page_of(&staff, &req, &state, status, None, error, typed).await;
    };
    let (actor, settings) = (staff.actor(), state.settings.clone());
    let created = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            match manage::invite(c, &settings, &email, role, lang, &actor, db::now()) {
                Ok(_) => Ok(true),
                Err(CreateError::Exists(_)) => Ok(false),
                Err(CreateError::Query(e)) => Err(e.into()),
            }
        })
        .await?;
    if created {
        state.outbox_wake.notify_one();
        return Ok(see_other(&format!("{PATH}?done=invited")));
    }
    let error = Some(lang.tr("admin-staff-exists"));
    let status = StatusCode::CONFLICT;
    page_of(&staff, &req, &state, status, None, error, typed).await
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
}

/// What an action form asks for.
enum Asked {
    Change(Change),
    Reset,
}

impl Asked {
    fn of(form: &ActionForm) -> Option<Asked> {
        Some(match form.action.as_str() {
            "set_role" => Asked::Change(Change::Role(Role::parse(&form.role)?)),
            "disable" => Asked::Change(Change::Disable),
            "enable" => Asked::Change(Change::Enable),
            "remove" => Asked::Change(Change::Remove),
            "reset" => Asked::Reset,
            _ => return None,
        })
    }
}

/// `POST /admin/staff/{id}`: `action` is `set_role` (with `role`), `disable`, `enable`,
/// `reset` (email a link to choose a new password) or `remove`.
pub(crate) async fn act(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<ActionForm>,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = Lang::of_request(&req);
    let Some(asked) = Asked::of(&form) else {
        let error = Some(lang.tr("admin-staff-bad-action"));
        let status = StatusCode::BAD_REQUEST;
        return page_of(&staff, &req, &state, status, None, error, String::new()).await;
    };
    let (actor, settings) = (staff.actor(), state.settings.clone());
    let outcome = state
        .db
        .write(move |c| -> Result<Option<Result<(), Refused>>, DbError> {
            let Some(account) = super::find(c, id)? else {
                return Ok(None);
            };
            let now = db::now();
            Ok(Some(match asked {
                Asked::Change(change) => manage::apply(c, &account, change, &actor, now)?,
                // A disabled account cannot use the link; enable it first.
                Asked::Reset if !account.enabled() => Err(Refused::Already),
                Asked::Reset => {
                    let link = StaffLink::Reset;
                    manage::send_link(c, &settings, &account, link, lang, &actor, now)?;
                    Ok(())
                }
            }))
        })
        .await?;
    let frame = staff.frame(&req, Nav::Staff);
    let refusal = match outcome {
        None => "admin-staff-unknown",
        Some(Ok(())) => {
            state.outbox_wake.notify_one();
            return Ok(see_other(&format!("{PATH}?done={}", form.action)));
        }
        Some(Err(Refused::Already)) => "admin-staff-already",
        Some(Err(Refused::LastAdmin)) => "admin-staff-last-admin",
        Some(Err(Refused::Yourself)) => "admin-staff-yourself",
    };
    let status = match refusal {
        "admin-staff-unknown" => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    message(
        frame,
        status,
        &lang.tr("admin-staff-title"),
        &lang.tr(refusal),
        PATH,
    )
}
