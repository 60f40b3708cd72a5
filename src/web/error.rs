//! The error policy.
//!
//! - Start-up and background workers use `anyhow` and log a failure once, where it is handled,
//!   with its cause chain.
//! - Model code returns diesel's `QueryResult`; `db::DbError` adds pool and task failures.
//! - Handlers and extractors return [`AppError`], the one type that answers clients: a status,
//!   a stable snake_case code and a message meant for the reader. Faults of ours (5xx) are
//!   logged here and shown to the client only as a generic message; bad input (4xx) is
//!   explained.
//! - HTML callers get a readable page in their language, whose link leads somewhere that
//!   exists; JSON callers `{"error": code, "message": …}`. A refusal may instead redirect (an
//!   anonymous staff page goes to the sign-in form) and drop a session cookie that ended.

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;
use crate::i18n::Lang;

/// Where an error page's link leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// The readers' start page.
    Home,
    /// The dashboard's sign-in form.
    StaffSignIn,
}

/// An error a handler shows to its caller.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
    json: bool,
    lang: Lang,
    back: Back,
    /// Where a page request should go instead (the sign-in form).
    location: Option<String>,
    /// A session cookie that named a session that ended: the browser should drop it.
    clear_cookie: Option<Box<Cookie<'static>>>,
    /// Seconds until a refused request may be tried again (`Retry-After`).
    retry_after: Option<u64>,
}

impl AppError {
    /// Bad input or an unknown resource, explained to the caller.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            json: false,
            lang: Lang::En,
            back: Back::Home,
            location: None,
            clear_cookie: None,
            retry_after: None,
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
        AppError::client(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. Please try again in a moment.",
        )
    }

    /// A refusal worded in the request's language (`message` is a message id of
    /// `locales/*.ftl`), answered as JSON when the caller asked for it.
    pub fn refused(
        req: &HttpRequest,
        lang: Lang,
        status: StatusCode,
        code: &'static str,
        message: &str,
    ) -> Self {
        let mut error = AppError::client(status, code, lang.tr(message));
        error.lang = lang;
        error.json = accepts_json(req);
        error
    }

    /// The error page in `lang` (its title and link; the message is the caller's).
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The error page's link leads to `back` instead of the start page.
    pub fn back_to(mut self, back: Back) -> Self {
        self.back = back;
        self
    }

    /// Answer pages with a redirect to `location` (303) instead.
    pub fn redirect(mut self, location: String) -> Self {
        self.status = StatusCode::SEE_OTHER;
        self.location = Some(location);
        self
    }

    /// Make the browser drop `cookie` with the answer.
    pub fn clearing(mut self, cookie: Cookie<'static>) -> Self {
        self.clear_cookie = Some(Box::new(cookie));
        self
    }

    /// Tell the caller to try again in `seconds` (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
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
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            AppError::client(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is briefly unavailable. Please try again in a moment.",
            )
        } else {
            AppError::internal(e)
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
    lang: Lang,
    status: u16,
    message: &'a str,
    back: Back,
}

impl ErrorPage<'_> {
    fn heading(&self) -> String {
        self.lang.tr(match (self.back, self.status) {
            (_, 404) => "error-not-found",
            (_, 500..) => "error-ours",
            (Back::StaffSignIn, 401) => "admin-refused-sign-in",
            (Back::StaffSignIn, _) => "admin-refused-title",
            (Back::Home, _) => "error-refused",
        })
    }

    fn link(&self) -> (&'static str, String) {
        match self.back {
            Back::Home => ("/", self.lang.tr("error-home")),
            Back::StaffSignIn => ("/admin/login", self.lang.tr("admin-refused-link")),
        }
    }
}

/// The answer for an address no route serves: a 404 page in the reader's language whose link
/// leads somewhere that exists (the sign-in form under `/admin`), or JSON for a JSON caller.
pub async fn no_such_page(req: HttpRequest) -> HttpResponse {
    let error = AppError::refused(
        &req,
        Lang::of_request(&req),
        StatusCode::NOT_FOUND,
        "not_found",
        "error-no-such-page",
    );
    let error = if req.path().starts_with("/admin") {
        error.back_to(Back::StaffSignIn)
    } else {
        error
    };
    error.error_response()
}

/// Whether the caller asked for JSON rather than a page.
pub fn accepts_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        // Every 503 is a moment's unavailability: say when to come back.
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        if let Some(cookie) = &self.clear_cookie {
            response.cookie((**cookie).clone());
        }
        if let Some(location) = &self.location {
            return response
                .insert_header((header::LOCATION, location.as_str()))
                .finish();
        }
        if self.json {
            return response.json(serde_json::json!({"error": self.code, "message": self.message}));
        }
        let page = ErrorPage {
            lang: self.lang,
            status: self.status.as_u16(),
            message: &self.message,
            back: self.back,
        };
        match crate::branding::render(&page) {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(self.message.clone()),
        }
    }
}
