//! The staff dashboard: sign-in, sessions, CSRF, roles, the audit log, and the page layout.
//!
//! Access is decided in one place. Every `/admin` route is a row of [`ROUTES`] naming the
//! access it needs; [`configure`] mounts exactly that table; the [`StaffSession`] extractor,
//! which every admin handler takes, reads the row of the request's route to refuse anonymous
//! callers (303 to the sign-in form for pages, 401 otherwise), state-changing requests without
//! the session's CSRF token (403) and viewers on admin-only routes (403). The tests walk the
//! same table, so a new route is covered by adding its row.
//!
//! Every admin response carries `Cache-Control: no-store`.

pub mod audit;
pub mod login;
pub mod reply;
pub mod throttle;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::i18n::Lang;
use crate::web::error::AppError;

pub use crate::staff::Role;
pub use throttle::LoginThrottle;

/// Staff pages show members' personal data: no browser or proxy may keep a copy.
pub async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /static/admin.css`
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/admin.css"))
}

/// `GET /static/admin.js`
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/admin.js"))
}

/// The language of a staff page: [`Lang::of_request`].
pub fn lang_of(req: &HttpRequest) -> Lang {
    Lang::of_request(req)
}

/// Renders an admin page (200).
pub fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, page)
}

/// Renders an admin page with another status.
pub fn render_status(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/admin`
    Overview,
    /// `/admin/members`
    Members,
    /// `/admin/campaigns`
    Campaigns,
    /// `/admin/newsletters`
    Newsletters,
    /// `/admin/gifts`
    Gifts,
    /// `/admin/payments`
    Payments,
    /// `/admin/outbox`
    Outbox,
    /// `/admin/webhooks`
    Webhooks,
    /// `/admin/staff` (admins only)
    Staff,
    /// `/admin/branding` (admins only)
    Branding,
    /// `/admin/audit`
    Audit,
}

const NAV: [(Nav, &str, &str); 11] = [
    (Nav::Overview, "/admin", "admin-nav-overview"),
    (Nav::Members, "/admin/members", "admin-nav-members"),
    (Nav::Campaigns, "/admin/campaigns", "admin-nav-campaigns"),
    (
        Nav::Newsletters,
        "/admin/newsletters",
        "admin-nav-newsletters",
    ),
    (Nav::Gifts, "/admin/gifts", "admin-nav-gifts"),
    (Nav::Payments, "/admin/payments", "admin-nav-payments"),
    (Nav::Outbox, "/admin/outbox", "admin-nav-outbox"),
    (Nav::Webhooks, "/admin/webhooks", "admin-nav-webhooks"),
    (Nav::Staff, "/admin/staff", "admin-nav-staff"),
    (Nav::Branding, "/admin/branding", "admin-nav-branding"),
    (Nav::Audit, "/admin/audit", "admin-nav-audit"),
];

/// One link of the navigation, as the layout shows it.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// Its translated label.
    pub label: String,
    /// Whether it is the current section (`aria-current="page"`).
    pub current: bool,
}

/// The signed-in staff member, as the layout shows them.
#[derive(Debug, Clone)]
pub struct FrameStaff {
    /// Their address.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// For the sign-out form.
    pub csrf_token: String,
}

/// What `templates/admin/layout.html` needs: every admin page struct has a `frame: Frame`
/// field (from [`StaffSession::frame`]) and fills the layout's `title` and `content` blocks.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page's language.
    pub lang: Lang,
    /// The current section.
    pub active: Option<Nav>,
    /// Who is signed in; `None` on the sign-in form and error pages (no navigation).
    pub staff: Option<FrameStaff>,
}

impl Frame {
    /// The frame of a page nobody is signed in to.
    pub fn anonymous(lang: Lang) -> Frame {
        Frame {
            lang,
            active: None,
            staff: None,
        }
    }

    /// The session's CSRF token, for the hidden `csrf_token` field of every form that posts.
    pub fn csrf_token(&self) -> &str {
        self.staff.as_ref().map_or("", |s| s.csrf_token.as_str())
    }

    /// Whether an admin is signed in (for controls only admins may use).
    pub fn is_admin(&self) -> bool {
        self.staff.as_ref().is_some_and(|s| s.role == Role::Admin)
    }

    /// A translated string (shorthand for templates).
    pub fn tr(&self, id: &str) -> String {
        self.lang.tr(id)
    }

    /// The navigation links (a viewer's without the admins' sections).
    pub fn nav(&self) -> Vec<NavLink> {
        NAV.iter()
            .filter(|(nav, ..)| self.is_admin() || !matches!(nav, Nav::Staff | Nav::Branding))
            .map(|(nav, href, label)| NavLink {
                href,
                label: self.lang.tr(label),
                current: self.active == Some(*nav),
            })
            .collect()
    }

    /// The translated name of a role.
    pub fn role_label(&self, role: &Role) -> String {
        self.lang.tr(match role {
            Role::Admin => "admin-role-admin",
            Role::Viewer => "admin-role-viewer",
        })
    }
}
