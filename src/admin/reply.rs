//! The page the dashboard shows to say one thing (an unknown member, an email that cannot be
//! retried).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::{Frame, render_status};
use crate::web::error::AppError;

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    frame: Frame,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

/// A page with `status` that says `message` under `title`, with a link back to `back`.
pub fn message(
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
