//! `/admin/outbox/suppressions`: the addresses we no longer mail, why and since when, and the
//! button (admins) that lifts an entry, say after a reader fixed their mailbox.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Suppression, lift as lift_entry, list};
use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::{DbError, Page};
use crate::domain::SuppressionReason;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

const PATH: &str = "/admin/outbox/suppressions";

struct Line {
    entry: Suppression,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/suppressions.html")]
struct SuppressionsPage {
    frame: Frame,
    lines: Vec<Line>,
    page: i64,
    more: bool,
    notice: Option<String>,
    can_lift: bool,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    page: Option<i64>,
    lifted: Option<String>,
}

/// `GET /admin/outbox/suppressions?page=N`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::asked(query.page);
    let (entries, more) = state.db.read(move |c| list(c, page)).await?;
    let frame = staff.frame(&req, Nav::Outbox);
    let lang = frame.lang;
    let lines = entries
        .into_iter()
        .map(|entry| Line {
            reason: lang.tr(match entry.reason {
                SuppressionReason::Bounce => "admin-suppressions-bounce",
                SuppressionReason::Complaint => "admin-suppressions-complaint",
            }),
            entry,
        })
        .collect();
    let notice = query
        .lifted
        .as_deref()
        .map(|email| lang.t("admin-suppressions-lifted", &[("email", email.into())]));
    render(&SuppressionsPage {
        frame,
        lines,
        page: page.number(),
        more,
        notice,
        can_lift: staff.role == Role::Admin,
    })
}

#[derive(Deserialize)]
pub(crate) struct LiftForm {
    email: String,
}

/// `POST /admin/outbox/suppressions/lift` (admins): mail may go to the address again.
pub(crate) async fn lift(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<LiftForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = staff.actor();
    let email = form.email.trim().to_lowercase();
    let key = email.clone();
    let lifted = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            let Some(entry) = lift_entry(c, &key)? else {
                return Ok(false);
            };
            audit::record(
                c,
                &actor,
                "suppression.lift",
                "suppression",
                "",
                &serde_json::json!({
                    "email": entry.email,
                    "reason": entry.reason.as_str(),
                    "source": entry.source,
                    "detail": entry.detail,
                    "since": entry.created_at,
                }),
            )?;
            Ok(true)
        })
        .await?;
    if lifted {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("lifted", &email)
            .finish();
        return Ok(see_other(&format!("{PATH}?{query}")));
    }
    let frame = staff.frame(&req, Nav::Outbox);
    let lang = frame.lang;
    message(
        frame,
        StatusCode::NOT_FOUND,
        &lang.tr("admin-not-found"),
        &lang.tr("admin-suppressions-unknown"),
        PATH,
    )
}
