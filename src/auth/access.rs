//! Who may use a route. Every route of the service is a row of the one route table
//! (`crate::routes::ROUTES`) naming its access; the table is mounted as it is, and the staff
//! extractor reads the row of the request's route, so the access rides with the route.

use actix_web::HttpRequest;
use actix_web::http::Method;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: readers, article pages, probes, Stripe (verified by signature).
    Public,
    /// A member signed in by an emailed link (`/account`); pages without a session offer the
    /// sign-in form.
    Member,
    /// Any signed-in staff member, viewers included.
    Staff,
    /// Admins only: everything on the dashboard that changes data.
    Admin,
}

impl Access {
    /// Whether the route needs a staff session (the dashboard).
    pub fn is_staff(self) -> bool {
        matches!(self, Access::Staff | Access::Admin)
    }
}

/// One row of the route table.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The full path pattern (`/admin/members/{id}`).
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// The largest body it reads, when it takes more than actix's default (256 KiB).
    pub body_limit: Option<usize>,
    /// Attaches the handler: `|r| r.to(handler)`.
    pub handler: fn(actix_web::Route) -> actix_web::Route,
}

/// The mounted route table, as app data for the extractors that read it.
#[derive(Clone, Copy)]
pub struct AccessTable(pub &'static [Route]);

impl AccessTable {
    /// The access the request's route needs (for `HEAD`, that of `GET`); a route missing from
    /// the table (or a request that matched none) is treated as admin-only, so a forgotten row
    /// fails closed.
    pub fn of(req: &HttpRequest) -> Access {
        let pattern = req.match_pattern();
        // `HEAD` is served by the `GET` row (`crate::routes`), so it needs what `GET` needs.
        let method = match *req.method() {
            Method::HEAD => &Method::GET,
            ref other => other,
        };
        req.app_data::<AccessTable>()
            .and_then(|table| {
                table
                    .0
                    .iter()
                    .find(|r| Some(r.path) == pattern.as_deref() && r.method == method)
            })
            .map_or(Access::Admin, |r| r.access)
    }
}
