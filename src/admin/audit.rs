//! `GET /admin/audit`: the audit log, newest first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Frame, Nav};
use crate::audit::{Entry, recent};
use crate::auth::StaffSession;
use crate::db::Page;
use crate::state::AppState;
use crate::web::error::AppError;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    frame: Frame,
    entries: Vec<Entry>,
    page: i64,
    more: bool,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    page: Option<i64>,
}

/// `GET /admin/audit?page=N`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::asked(query.page);
    let (entries, more) = state.db.read(move |c| recent(c, page)).await?;
    super::render(&AuditPage {
        frame: staff.frame(&req, Nav::Audit),
        entries,
        page: page.number(),
        more,
    })
}
