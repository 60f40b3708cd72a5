//! The error policy.
//!
//! - Start-up and background workers use `anyhow` and log a failure once, where it is handled,
//!   with its cause chain.
//! - Model code returns diesel's `QueryResult`; `db::DbError` adds pool and task failures.
//! - Handlers return [`AppError`]: a status, a stable snake_case code and a message meant for
//!   the reader. Faults of ours (5xx) are logged here and shown to the client only as a generic
//!   message; bad input (4xx) is explained.
//! - HTML callers get a readable page, JSON callers `{"error": code, "message": …}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;

/// An error a handler shows to its caller.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
    json: bool,
}

impl AppError {
    /// Bad input or an unknown resource, explained to the caller.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            json: false,
        }
    }

    /// 404 for a thing that does not exist.
    pub fn not_found(what: &str) -> Self {
        AppError::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        )
    }

    /// A fault of ours: logged with its cause, shown as a generic message.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "request failed");
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "Something went wrong on our side. Please try again in a moment.".into(),
            json: false,
        }
    }

    /// Answer as JSON instead of an HTML page.
    pub fn json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    /// The snake_case code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => {
                tracing::warn!(error = %e, "database unavailable");
                AppError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: "The service is briefly unavailable. Please try again in a moment."
                        .into(),
                    json: false,
                }
            }
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::internal(e)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The HTML error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.json {
            return response.json(serde_json::json!({"error": self.code, "message": self.message}));
        }
        let page = ErrorPage {
            status: self.status.as_u16(),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(self.message.clone()),
        }
    }
}
