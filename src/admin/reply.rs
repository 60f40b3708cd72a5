//! Answers the dashboard's pages share: a page that says one thing (an unknown member, an
//! email that cannot be retried), and the redirect that follows a change.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

use super::{Frame, render_status};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    frame: Frame,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

/// A page with `status` that says `message` under `title`, with a link back to `back`.
pub(super) fn message(
    frame: Frame,
    status: StatusCode,
    title: &str,
    message: &str,
    back: &str,
) -> Result<HttpResponse, AppError> {
    render_status(
        status,
        &MessagePage {
            frame,
            title,
            message,
            back,
        },
    )
}

/// 303 to `location`: after a form that changed something, the browser shows a page that
/// reloading does not post again.
pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
