//! A person's data from the dashboard (admins): `GET /admin/people/export?email=` downloads
//! everything held about an address as JSON ([`super::export`]); `POST /admin/people/erase`
//! erases it ([`super::erase`], as `memberdrive erase-person` does) once the admin has typed
//! the address again. Both are audited. The customer at Stripe is left to Stripe: the page
//! says so.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{EraseError, Erasure};
use crate::admin::Nav;
use crate::admin::reply::message;
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::{self, DbError};
use crate::domain::EmailAddress;
use crate::state::AppState;
use crate::web::error::AppError;

#[derive(Deserialize)]
pub(crate) struct ExportQuery {
    #[serde(default)]
    email: String,
}

/// `GET /admin/people/export?email=`
pub(crate) async fn export(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Members);
    let lang = frame.lang;
    let Some(email) = EmailAddress::parse(&query.email) else {
        let says = lang.tr("admin-staff-bad-invite");
        return message(
            frame,
            StatusCode::BAD_REQUEST,
            &lang.tr("admin-person-title"),
            &says,
            "/admin/members",
        );
    };
    let actor = staff.actor();
    let found = state
        .db
        .write(move |c| -> Result<_, DbError> {
            let found = super::export::export(c, &email)?;
            if found.is_some() {
                let details = serde_json::json!({ "email": email.as_str() });
                audit::record(
                    c,
                    &actor,
                    "person.export",
                    "email",
                    email.as_str(),
                    &details,
                )?;
            }
            Ok(found)
        })
        .await?;
    let Some(data) = found else {
        let says = lang.tr("admin-person-nothing");
        return message(
            frame,
            StatusCode::NOT_FOUND,
            &lang.tr("admin-person-title"),
            &says,
            "/admin/members",
        );
    };
    let body = serde_json::to_string_pretty(&data).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"person-{}.json\"",
                db::now().format("%Y-%m-%d")
            ),
        ))
        .body(body))
}

#[derive(Deserialize)]
pub(crate) struct EraseForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/people/erase`: `email`, and `confirm`, the same address typed again.
pub(crate) async fn erase(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<EraseForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Members);
    let lang = frame.lang;
    let title = lang.tr("admin-person-title");
    let (given, typed) = (
        EmailAddress::parse(&form.email),
        EmailAddress::parse(&form.confirm),
    );
    let Some(email) = given.filter(|e| Some(e) == typed.as_ref()) else {
        let says = lang.tr("admin-person-confirm");
        return message(
            frame,
            StatusCode::BAD_REQUEST,
            &title,
            &says,
            "/admin/members",
        );
    };
    let actor = staff.actor();
    let address = email.clone();
    let erased = state
        .db
        .write(move |c| -> Result<Result<Erasure, String>, DbError> {
            match super::erase(c, &address, &actor, db::now()) {
                Ok(erasure) => Ok(Ok(erasure)),
                Err(refused @ EraseError::InGoodStanding { .. }) => Ok(Err(refused.to_string())),
                Err(EraseError::Query(e)) => Err(e.into()),
            }
        })
        .await?;
    let (status, says) = match erased {
        Ok(erasure) if erasure.found() => (StatusCode::OK, lang.tr("admin-person-erased")),
        Ok(_) => (StatusCode::NOT_FOUND, lang.tr("admin-person-nothing")),
        Err(reason) => (StatusCode::CONFLICT, reason),
    };
    message(frame, status, &title, &says, "/admin/members")
}
