//! `GET /admin`: the overview page. For now a shell that the dashboard fills in later.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::{Frame, Nav, StaffSession, render};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    frame: Frame,
}

/// `GET /admin`
pub(super) async fn page(req: HttpRequest, staff: StaffSession) -> Result<HttpResponse, AppError> {
    render(&OverviewPage {
        frame: staff.frame(&req, Nav::Overview),
    })
}
