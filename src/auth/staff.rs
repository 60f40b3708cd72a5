//! Staff sessions, and the [`StaffSession`] extractor every `/admin` handler takes.
//!
//! The cookie holds 256 random bits; the `sessions` table holds only their SHA-256, so a copy
//! of the database signs nobody in. A session ends after [`IDLE_TIMEOUT`] without a request
//! (sliding `last_seen_at`), after [`ABSOLUTE_TIMEOUT`] in any case (`expires_at`), or at
//! sign-out, which deletes the row.
//!
//! The extractor does all the checking, so a handler cannot forget any of it:
//! 1. no valid session: a page (GET) redirects to the sign-in form, anything else is 401;
//! 2. any other method than GET/HEAD must come from our own pages (`Sec-Fetch-Site`/`Origin`)
//!    and carry the session's CSRF token — form field [`CSRF_FIELD`] of a urlencoded body, or
//!    header [`CSRF_HEADER`] — compared in constant time; otherwise 403;
//! 3. a route whose row in [`crate::admin::ROUTES`] says [`Access::Admin`] refuses viewers (403).
//!
//! To read the token from a form body without taking the body from the handler, the extractor
//! swaps the request's payload for a channel, reads the real body, and passes it on once the
//! token matched. A handler must therefore list `StaffSession` before `web::Form` and friends;
//! listed after them it finds the body gone and refuses the request (it fails closed).

use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::admin::staff::Role;
use crate::admin::{Access, Frame, FrameStaff, Nav, lang_of};
use crate::audit::Actor;
use crate::config::Settings;
use crate::db::schema::{sessions, staff_users};
use crate::db::{self, Db, DbConnection, DbError};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::csrf::{same_origin, tokens_match};
use crate::web::error::AppError;

/// The session cookie's name (path `/admin`).
pub const COOKIE: &str = "memberdrive_staff";
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often (not on every request).
pub const TOUCH_EVERY: Duration = Duration::seconds(60);
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

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a cookie value.
pub fn hash_token(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Opens a session with a new random id and CSRF token; returns the cookie value, the only
/// copy of the secret.
pub fn start(
    conn: &mut DbConnection,
    staff_user_id: i32,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let raw = random_token();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(hash_token(&raw)),
            sessions::staff_user_id.eq(staff_user_id),
            sessions::csrf_token.eq(random_token()),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ABSOLUTE_TIMEOUT),
        ))
        .execute(conn)?;
    Ok(raw)
}

/// Ends a session.
pub fn end(conn: &mut DbConnection, session_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(session_id)).execute(conn)
}

/// Ends the staff session a cookie value names, if any.
pub fn end_by_token(conn: &mut DbConnection, raw: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::token_hash.eq(hash_token(raw)))
            .filter(sessions::staff_user_id.is_not_null()),
    )
    .execute(conn)
}

/// Deletes staff sessions that can no longer be used.
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::staff_user_id.is_not_null())
            .filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::last_seen_at.le(now - IDLE_TIMEOUT)),
            ),
    )
    .execute(conn)
}

/// The session cookie: `HttpOnly`, `SameSite=Strict`, path `/admin`, `Secure` on https.
pub fn cookie(value: String, settings: &Settings) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.base_url.scheme() == "https")
        .finish()
}

/// A cookie that makes the browser forget the session cookie.
pub fn removal_cookie(settings: &Settings) -> Cookie<'static> {
    let mut cookie = cookie(String::new(), settings);
    cookie.make_removal();
    cookie
}

/// A request refused by the extractor.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    /// A message id of `locales/*.ftl`.
    message: &'static str,
    /// Where a page request should go instead (the sign-in form).
    location: Option<String>,
    /// The session cookie named a session that ended: tell the browser to drop it.
    clear_cookie: Option<Cookie<'static>>,
    lang: Lang,
    json: bool,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[derive(Template)]
#[template(path = "admin/refused.html")]
struct RefusedPage<'a> {
    frame: Frame,
    status: u16,
    message: &'a str,
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(cookie) = &self.clear_cookie {
            res.cookie(cookie.clone());
        }
        if let Some(location) = &self.location {
            return res
                .insert_header((header::LOCATION, location.as_str()))
                .finish();
        }
        let message = self.lang.tr(self.message);
        if self.json {
            return res.json(serde_json::json!({"error": self.code, "message": message}));
        }
        let page = RefusedPage {
            frame: Frame::anonymous(self.lang),
            status: self.status.as_u16(),
            message: &message,
        };
        match page.render() {
            Ok(html) => res.content_type("text/html; charset=utf-8").body(html),
            Err(_) => res.content_type("text/plain; charset=utf-8").body(message),
        }
    }
}

impl Refusal {
    fn new(
        req: &HttpRequest,
        status: StatusCode,
        code: &'static str,
        message: &'static str,
    ) -> Self {
        Refusal {
            status,
            code,
            message,
            location: None,
            clear_cookie: None,
            lang: lang_of(req),
            json: accepts_json(req),
        }
    }

    fn forbidden(req: &HttpRequest, code: &'static str, message: &'static str) -> Self {
        Refusal::new(req, StatusCode::FORBIDDEN, code, message)
    }

    /// No valid session: pages go to the sign-in form, anything else is 401.
    fn anonymous(req: &HttpRequest, settings: &Settings, ended: bool) -> Self {
        let mut refusal = Refusal::new(
            req,
            StatusCode::UNAUTHORIZED,
            "sign_in_required",
            "admin-refused-anonymous",
        );
        if ended {
            refusal.clear_cookie = Some(removal_cookie(settings));
        }
        if is_page_request(req) {
            let here = req.uri().path_and_query().map_or("/admin", |p| p.as_str());
            let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            refusal.status = StatusCode::SEE_OTHER;
            refusal.location = Some(format!("/admin/login?next={next}"));
        }
        refusal
    }

    fn internal(req: &HttpRequest, error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "staff session check failed");
        Refusal::new(
            req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "admin-refused-internal",
        )
    }
}

fn accepts_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
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

/// The access the request's route needs, from its row in [`crate::admin::ROUTES`]; a route missing
/// from the table is treated as admin-only.
fn access_of(req: &HttpRequest) -> Access {
    let pattern = req.match_pattern();
    crate::admin::ROUTES
        .iter()
        .find(|r| Some(r.path) == pattern.as_deref() && r.method == *req.method())
        .map_or(Access::Admin, |r| r.access)
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
    async fn read(self, req: &HttpRequest) -> Result<String, Refusal> {
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
            let chunk = chunk.map_err(|e| Refusal::internal(req, e))?;
            if bytes.len() + chunk.len() > MAX_FORM_BYTES {
                return Err(Refusal::new(
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

#[derive(Queryable)]
struct Row {
    id: i32,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    csrf_token: String,
    staff_user_id: i32,
    email: String,
    role: String,
}

/// The live session a cookie value names, sliding its idle timeout; ended sessions are deleted.
pub async fn resume(
    db: &Db,
    raw: String,
    now: NaiveDateTime,
) -> Result<Option<StaffSession>, DbError> {
    // Our cookie values are 43 characters of base64url; anything else cannot be one.
    if raw.len() != 43 {
        return Ok(None);
    }
    let hash = hash_token(&raw);
    let row = db
        .read(move |c| {
            sessions::table
                .inner_join(staff_users::table)
                .filter(sessions::token_hash.eq(hash))
                .select((
                    sessions::id,
                    sessions::last_seen_at,
                    sessions::expires_at,
                    sessions::csrf_token,
                    staff_users::id,
                    staff_users::email,
                    staff_users::role,
                ))
                .first::<Row>(c)
                .optional()
        })
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id = row.id;
    if row.expires_at <= now || row.last_seen_at + IDLE_TIMEOUT <= now {
        db.write(move |c| -> Result<_, DbError> { Ok(end(c, id)?) })
            .await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY {
        db.write(move |c| -> Result<_, DbError> {
            Ok(diesel::update(sessions::table.find(id))
                .set(sessions::last_seen_at.eq(now))
                .execute(c)?)
        })
        .await?;
    }
    Ok(Some(StaffSession {
        session_id: row.id,
        staff_user_id: row.staff_user_id,
        email: row.email,
        role: Role::from_stored(&row.role),
        csrf_token: row.csrf_token,
    }))
}

async fn authorise(req: HttpRequest, csrf: CsrfSource) -> Result<StaffSession, Refusal> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(Refusal::internal(&req, "AppState is missing"));
    };
    let settings = &state.settings;
    let Some(cookie) = req.cookie(COOKIE) else {
        return Err(Refusal::anonymous(&req, settings, false));
    };
    let session = match resume(&state.db, cookie.value().to_owned(), db::now()).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(Refusal::anonymous(&req, settings, true)),
        Err(DbError::Unavailable(e)) => {
            tracing::warn!(error = %e, "database unavailable");
            let mut refusal = Refusal::internal(&req, "database unavailable");
            refusal.status = StatusCode::SERVICE_UNAVAILABLE;
            return Err(refusal);
        }
        Err(e) => return Err(Refusal::internal(&req, e)),
    };
    if !is_safe(req.method()) {
        if !same_origin(&req, settings) {
            return Err(Refusal::forbidden(
                &req,
                "cross_site",
                "admin-refused-cross-site",
            ));
        }
        let submitted = csrf.read(&req).await?;
        if !tokens_match(&submitted, &session.csrf_token) {
            return Err(Refusal::forbidden(&req, "csrf", "admin-refused-csrf"));
        }
    }
    if access_of(&req) == Access::Admin && session.role != Role::Admin {
        return Err(Refusal::forbidden(
            &req,
            "forbidden",
            "admin-refused-viewer",
        ));
    }
    Ok(session)
}

impl FromRequest for StaffSession {
    type Error = Refusal;
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
            let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
                AppError::client(
                    StatusCode::BAD_REQUEST,
                    "invalid_form",
                    format!("The form could not be read: {e}."),
                )
            })?;
            Ok(StaffForm { staff, form })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base: &str) -> Settings {
        let values =
            std::collections::HashMap::from([("MEMBERDRIVE_BASE_URL".to_owned(), base.to_owned())]);
        Settings::from_map(&values).unwrap()
    }

    #[test]
    fn cookies_are_strict_http_only_and_secure_on_https() {
        let c = cookie("v".into(), &settings("https://m.example.org")).to_string();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
        let c = cookie("v".into(), &settings("http://127.0.0.1:8080")).to_string();
        assert!(!c.contains("Secure"), "{c}");
    }
}
