//! The [`StaffSession`] extractor every `/admin` handler takes (sessions themselves live in
//! the one store, [`super::session`]).
//!
//! The extractor does all the checking, so a handler cannot forget any of it:
//! 1. no valid session: a page (GET) redirects to the sign-in form, anything else is 401;
//! 2. any other method than GET/HEAD must come from our own pages (`Sec-Fetch-Site`/`Origin`)
//!    and carry the session's CSRF token — form field [`CSRF_FIELD`] of a urlencoded body, or
//!    header [`CSRF_HEADER`] — compared in constant time; otherwise 403;
//! 3. a route whose row in `crate::routes::ROUTES` says [`Access::Admin`] refuses viewers (403).
//!
//! To read the token from a form body without taking the body from the handler, the extractor
//! swaps the request's payload for a channel, reads the real body, and passes it on once the
//! token matched. A handler must therefore list `StaffSession` before `web::Form` and friends;
//! listed after them it finds the body gone and refuses the request (it fails closed).

use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use bytes::{Bytes, BytesMut};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use super::session::{self, Holder, STAFF};
use super::{Access, AccessTable};
use crate::admin::{Frame, FrameStaff, Nav, lang_of};
use crate::audit::Actor;
use crate::config::Settings;
use crate::db::schema::staff_users;
use crate::db::{self, Db, DbError};
use crate::staff::Role;
use crate::state::AppState;
use crate::web::csrf::{same_origin, tokens_match};
use crate::web::error::{AppError, Back, accepts_json};

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The header that may carry it instead (scripts, multipart uploads).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest urlencoded body the extractor reads to find the token.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// A signed-in staff member, checked as described in the module docs.
#[derive(Debug, Clone)]
pub struct StaffSession {
    session_id: i32,
    /// Their `staff_users.id`.
    pub staff_user_id: i32,
    /// Their address.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// This session's CSRF token, for the hidden field of every form.
    pub csrf_token: String,
}

impl StaffSession {
    /// 403 unless the staff member is an admin; call it before anything that changes data
    /// when the route itself is open to viewers.
    pub fn require_admin(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Viewer => Err(AppError::client(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your account can view the dashboard but not change anything. Ask an admin.",
            )),
        }
    }

    /// Who they are in the audit log.
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            email: self.email.clone(),
        }
    }

    /// The layout's context for a page of theirs, with `active` marked in the navigation.
    pub fn frame(&self, req: &HttpRequest, active: Nav) -> Frame {
        Frame {
            lang: lang_of(req),
            active: Some(active),
            staff: Some(FrameStaff {
                email: self.email.clone(),
                role: self.role,
                csrf_token: self.csrf_token.clone(),
            }),
        }
    }

    /// The `sessions.id` of this session.
    pub fn session_id(&self) -> i32 {
        self.session_id
    }
}

/// Refusals of the extractor: worded in the staff member's language, linking to sign-in.
fn refused(req: &HttpRequest, status: StatusCode, code: &'static str, message: &str) -> AppError {
    AppError::refused(req, lang_of(req), status, code, message).back_to(Back::StaffSignIn)
}

/// No valid session: pages go to the sign-in form, anything else is 401.
fn anonymous(req: &HttpRequest, settings: &Settings, ended: bool) -> AppError {
    let mut refusal = refused(
        req,
        StatusCode::UNAUTHORIZED,
        "sign_in_required",
        "admin-refused-anonymous",
    );
    if ended {
        refusal = refusal.clearing(session::removal_cookie(STAFF, settings));
    }
    if is_page_request(req) {
        let here = req.uri().path_and_query().map_or("/admin", |p| p.as_str());
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        refusal = refusal.redirect(format!("/admin/login?next={next}"));
    }
    refusal
}

fn internal(req: &HttpRequest, error: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %error, "staff session check failed");
    refused(
        req,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "admin-refused-internal",
    )
}

/// A browser navigating to a page (as opposed to a form post, a script or an API client).
fn is_page_request(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !accepts_json(req)
        && !accept.contains("text/event-stream")
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Where the CSRF token of a state-changing request is.
enum CsrfSource {
    /// GET and HEAD change nothing.
    NotNeeded,
    /// `X-CSRF-Token`.
    Header(String),
    /// A field of the body; the real body is read here and handed on through `pass_on`.
    Body {
        body: Payload,
        pass_on: tokio::sync::oneshot::Sender<Result<Bytes, PayloadError>>,
    },
}

impl CsrfSource {
    fn of(req: &HttpRequest, payload: &mut Payload) -> CsrfSource {
        if is_safe(req.method()) {
            return CsrfSource::NotNeeded;
        }
        if let Some(value) = req.headers().get(CSRF_HEADER) {
            return CsrfSource::Header(value.to_str().unwrap_or_default().to_owned());
        }
        let (pass_on, received) = tokio::sync::oneshot::channel();
        let body = payload.take();
        let relay = futures_util::stream::once(async move {
            received
                .await
                .unwrap_or(Err(PayloadError::Incomplete(None)))
        });
        *payload = Payload::Stream {
            payload: Box::pin(relay) as Pin<Box<dyn futures_util::Stream<Item = _>>>,
        };
        CsrfSource::Body { body, pass_on }
    }

    /// The submitted token ("" when there is none).
    async fn read(self, req: &HttpRequest) -> Result<String, AppError> {
        let (mut body, pass_on) = match self {
            CsrfSource::NotNeeded => return Ok(String::new()),
            CsrfSource::Header(token) => return Ok(token),
            CsrfSource::Body { body, pass_on } => (body, pass_on),
        };
        let urlencoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        // A compressed body would reach the form parser compressed twice over; browsers never
        // compress form posts.
        let encoded = req.headers().contains_key(header::CONTENT_ENCODING);
        if !urlencoded || encoded {
            return Ok(String::new());
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| internal(req, e))?;
            if bytes.len() + chunk.len() > MAX_FORM_BYTES {
                return Err(refused(
                    req,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "admin-refused-too-large",
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        let token = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        // The handler reads the body only if the token matches; until then it waits.
        let _ = pass_on.send(Ok(bytes));
        Ok(token)
    }
}

/// The staff member a cookie value signs in, if its session is live (sliding its idle timeout).
pub async fn resume(
    db: &Db,
    raw: String,
    now: NaiveDateTime,
) -> Result<Option<StaffSession>, DbError> {
    let Some(session) = session::resume(db, STAFF, raw, now).await? else {
        return Ok(None);
    };
    let Holder::Staff(staff_user_id) = session.holder else {
        return Ok(None);
    };
    let account: Option<(String, String)> = db
        .read(move |c| {
            // A disabled account's sessions end when it is disabled; this holds even so.
            staff_users::table
                .find(staff_user_id)
                .filter(staff_users::disabled_at.is_null())
                .select((staff_users::email, staff_users::role))
                .first(c)
                .optional()
        })
        .await?;
    Ok(account.map(|(email, role)| StaffSession {
        session_id: session.id,
        staff_user_id,
        email,
        role: Role::from_stored(&role),
        csrf_token: session.csrf_token,
    }))
}

async fn authorise(req: HttpRequest, csrf: CsrfSource) -> Result<StaffSession, AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(internal(&req, "AppState is missing"));
    };
    let settings = &state.settings;
    let Some(cookie) = req.cookie(STAFF.cookie) else {
        return Err(anonymous(&req, settings, false));
    };
    let session = match resume(&state.db, cookie.value().to_owned(), db::now()).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(anonymous(&req, settings, true)),
        Err(e) if e.is_unavailable() => {
            return Err(AppError::from(e).json(accepts_json(&req)));
        }
        Err(e) => return Err(internal(&req, e)),
    };
    if !is_safe(req.method()) {
        if !same_origin(&req, settings) {
            return Err(refused(
                &req,
                StatusCode::FORBIDDEN,
                "cross_site",
                "admin-refused-cross-site",
            ));
        }
        let submitted = csrf.read(&req).await?;
        if !tokens_match(&submitted, &session.csrf_token) {
            return Err(refused(
                &req,
                StatusCode::FORBIDDEN,
                "csrf",
                "admin-refused-csrf",
            ));
        }
    }
    if AccessTable::of(&req) == Access::Admin && session.role != Role::Admin {
        return Err(refused(
            &req,
            StatusCode::FORBIDDEN,
            "forbidden",
            "admin-refused-viewer",
        ));
    }
    Ok(session)
}

impl FromRequest for StaffSession {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let csrf = CsrfSource::of(req, payload);
        let req = req.clone();
        Box::pin(authorise(req, csrf))
    }
}

/// A signed-in staff member and the urlencoded form they posted. The session is checked first
/// (sign-in, origin, CSRF token, role), so an anonymous or forged post is refused before its
/// body is parsed; a body that does not parse is then a 400.
pub struct StaffForm<T> {
    /// Who posted.
    pub staff: StaffSession,
    /// What they posted.
    pub form: T,
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for StaffForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = StaffSession::from_request(req, payload);
        // After the session's extractor, this is the body it relays once the token matched.
        let mut body = payload.take();
        Box::pin(async move {
            let staff = session.await?;
            let mut bytes = BytesMut::new();
            while let Some(chunk) = body.next().await {
                bytes.extend_from_slice(&chunk?);
                if bytes.len() > MAX_FORM_BYTES {
                    return Err(AppError::client(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "The form is too large.",
                    )
                    .into());
                }
            }
            let form = crate::web::form::deserialize(&bytes)?;
            Ok(StaffForm { staff, form })
        })
    }
}
