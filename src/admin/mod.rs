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
pub mod cli;
mod login;
pub mod password;
pub mod reply;
pub mod staff;
pub mod throttle;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpRequest, HttpResponse, Route, web};
use askama::Template;

use crate::i18n::Lang;
use crate::web::error::AppError;

pub use crate::auth::{StaffForm, StaffSession};
pub use staff::Role;
pub use throttle::LoginThrottle;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the sign-in form).
    Public,
    /// Any signed-in staff member, viewers included.
    Staff,
    /// Admins only: everything that changes data.
    Admin,
}

/// One row of the route table.
pub struct AdminRoute {
    /// The HTTP method.
    pub method: Method,
    /// The full path pattern, starting with `/admin` (`/admin/members/{id}`).
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// Attaches the handler: `|r| r.to(handler)`.
    handler: fn(Route) -> Route,
}

/// Every `/admin` route. Add a row here to add a route: it is mounted, guarded and tested.
pub static ROUTES: &[AdminRoute] = &[
    AdminRoute {
        method: Method::GET,
        path: "/admin",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::overview::page),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/login",
        access: Access::Public,
        handler: |r| r.to(login::form),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/login",
        access: Access::Public,
        handler: |r| r.to(login::submit),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/logout",
        access: Access::Staff,
        handler: |r| r.to(login::logout),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::staff::list),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/campaigns",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::create),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/new",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::new_form),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/{slug}",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::staff::edit_form),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/campaigns/{slug}",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::update),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/campaigns/{slug}/offset",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::set_offset),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/campaigns/{slug}/tiers",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::add_tier),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/campaigns/{slug}/tiers/{id}",
        access: Access::Admin,
        handler: |r| r.to(crate::campaigns::staff::update_tier),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/{slug}/embed",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::staff::embed),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/{slug}/articles",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::overview::articles),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/{slug}/articles.csv",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::overview::articles_csv),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/campaigns/{slug}/charts/{chart}.csv",
        access: Access::Staff,
        handler: |r| r.to(crate::campaigns::overview::chart_csv),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/audit",
        access: Access::Staff,
        handler: |r| r.to(audit::page),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/members",
        access: Access::Staff,
        handler: |r| r.to(crate::members::staff::list),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/members.csv",
        access: Access::Staff,
        handler: |r| r.to(crate::members::staff::csv),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/members/{id}",
        access: Access::Staff,
        handler: |r| r.to(crate::members::staff::show),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/outbox",
        access: Access::Staff,
        handler: |r| r.to(crate::email::staff::page),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/outbox/{id}/retry",
        access: Access::Admin,
        handler: |r| r.to(crate::email::staff::retry),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/newsletters",
        access: Access::Staff,
        handler: |r| r.to(crate::newsletters::staff::list),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/newsletters/new",
        access: Access::Admin,
        handler: |r| r.to(crate::newsletters::staff::new),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/newsletters",
        access: Access::Admin,
        handler: |r| r.to(crate::newsletters::staff::create),
    },
    AdminRoute {
        method: Method::GET,
        path: "/admin/newsletters/{slug}",
        access: Access::Staff,
        handler: |r| r.to(crate::newsletters::staff::edit),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/newsletters/{slug}",
        access: Access::Admin,
        handler: |r| r.to(crate::newsletters::staff::save),
    },
    AdminRoute {
        method: Method::POST,
        path: "/admin/newsletters/{slug}/archive",
        access: Access::Admin,
        handler: |r| r.to(crate::newsletters::staff::archive),
    },
];

/// Mounts [`ROUTES`] under one `/admin` scope, and the dashboard's stylesheet.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut scope = web::scope("/admin").wrap(from_fn(no_store));
    for route in ROUTES {
        let relative = route
            .path
            .strip_prefix("/admin")
            .expect("admin routes start with /admin");
        scope = scope.route(relative, (route.handler)(web::method(route.method.clone())));
    }
    cfg.route("/static/admin.css", web::get().to(stylesheet))
        .route("/static/admin.js", web::get().to(script))
        .service(scope);
}

/// Staff pages show members' personal data: no browser or proxy may keep a copy.
async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/admin.css"))
}

async fn script() -> HttpResponse {
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
    /// `/admin/outbox`
    Outbox,
    /// `/admin/audit`
    Audit,
}

const NAV: [(Nav, &str, &str); 6] = [
    (Nav::Overview, "/admin", "admin-nav-overview"),
    (Nav::Members, "/admin/members", "admin-nav-members"),
    (Nav::Campaigns, "/admin/campaigns", "admin-nav-campaigns"),
    (
        Nav::Newsletters,
        "/admin/newsletters",
        "admin-nav-newsletters",
    ),
    (Nav::Outbox, "/admin/outbox", "admin-nav-outbox"),
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

    /// A translated string (shorthand for templates).
    pub fn tr(&self, id: &str) -> String {
        self.lang.tr(id)
    }

    /// The navigation links.
    pub fn nav(&self) -> Vec<NavLink> {
        NAV.iter()
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
