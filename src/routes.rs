//! The one route table: every route of the service, with who may use it. Add a row here to
//! add a route: it is mounted, its access is checked by the extractors that read this table,
//! and the tests walk the same table.
//!
//! Every `/admin` response carries `Cache-Control: no-store` (staff pages show members'
//! personal data). Every `GET` row also answers `HEAD` (RFC 9110 §9.3.2): the same handler
//! runs, and actix sends its status and headers, `Content-Length` included, without the body.

use actix_web::guard;
use actix_web::http::Method;
use actix_web::middleware::{Compress, from_fn};
use actix_web::web;
use actix_web_prom::PrometheusMetrics;

use crate::auth::Access::{Admin, Member, Public, Staff};
use crate::auth::{Access, AccessTable, Route};
use crate::telemetry::WidgetMetrics;
use crate::{
    admin, bounces, branding, campaigns, email, gifts, members, newsletters, ops, payments,
    privacy, remind, staff, webhooks, widget,
};

/// Stripe's events can be large (an invoice with many lines).
const WEBHOOK_BODY_LIMIT: usize = 1 << 20;

const fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: fn(actix_web::Route) -> actix_web::Route,
) -> Route {
    Route {
        method,
        path,
        access,
        body_limit: None,
        handler,
    }
}

/// Every route.
pub static ROUTES: &[Route] = &[
    route(Method::GET, "/", Public, |r| {
        r.to(members::join::default_page)
    }),
    route(Method::GET, "/healthz", Public, |r| r.to(ops::healthz)),
    route(Method::GET, "/readyz", Public, |r| r.to(ops::readyz)),
    route(Method::GET, "/metrics", Public, |r| r.to(ops::metrics)),
    route(Method::GET, "/static/site.css", Public, |r| {
        r.to(ops::site_css)
    }),
    route(Method::GET, "/static/admin.css", Public, |r| {
        r.to(admin::stylesheet)
    }),
    route(Method::GET, "/static/admin.js", Public, |r| {
        r.to(admin::script)
    }),
    route(Method::GET, "/static/editions.js", Public, |r| {
        r.to(newsletters::editions::progress::script)
    }),
    Route {
        method: Method::POST,
        path: "/webhooks/stripe",
        access: Public,
        body_limit: Some(WEBHOOK_BODY_LIMIT),
        handler: |r| r.to(payments::webhook::receive),
    },
    Route {
        method: Method::POST,
        path: "/webhooks/mail/{provider}",
        access: Public,
        body_limit: Some(bounces::webhook::BODY_LIMIT),
        handler: |r| r.to(bounces::webhook::receive),
    },
    route(Method::GET, "/widget/embed.js", Public, |r| {
        r.to(widget::embed_js)
    }),
    route(Method::GET, "/widget/demo", Public, |r| r.to(widget::demo)),
    route(Method::GET, "/widget/{campaign}.json", Public, |r| {
        r.to(widget::json)
    }),
    route(Method::GET, "/widget/{campaign}.svg", Public, |r| {
        r.to(widget::svg)
    }),
    route(Method::GET, "/widget/{campaign}/events", Public, |r| {
        r.to(widget::events)
    }),
    route(Method::POST, "/widget/{campaign}/hit", Public, |r| {
        r.to(widget::hit)
    }),
    route(Method::GET, "/widget/{campaign}", Public, |r| {
        r.to(widget::frame)
    }),
    route(Method::GET, "/newsletters", Public, |r| {
        r.to(newsletters::routes::index)
    }),
    route(Method::GET, "/newsletters/{slug}/archive", Public, |r| {
        r.to(newsletters::archive::list)
    }),
    route(
        Method::GET,
        "/newsletters/{slug}/archive/{id}",
        Public,
        |r| r.to(newsletters::archive::show),
    ),
    route(Method::POST, "/newsletters/subscribe", Public, |r| {
        r.to(newsletters::routes::subscribe)
    }),
    route(Method::GET, "/newsletters/confirm", Public, |r| {
        r.to(newsletters::routes::confirm_page)
    }),
    route(Method::POST, "/newsletters/confirm", Public, |r| {
        r.to(newsletters::routes::confirm)
    }),
    route(Method::GET, "/newsletters/manage", Public, |r| {
        r.to(newsletters::routes::manage_page)
    }),
    route(Method::POST, "/newsletters/manage", Public, |r| {
        r.to(newsletters::routes::save_manage)
    }),
    route(Method::GET, "/unsubscribe", Public, |r| {
        r.to(newsletters::routes::unsubscribe_page)
    }),
    route(Method::POST, "/unsubscribe", Public, |r| {
        r.to(newsletters::routes::unsubscribe)
    }),
    route(Method::GET, "/join", Public, |r| {
        r.to(members::join::default_page)
    }),
    route(Method::POST, "/join", Public, |r| r.to(members::join::join)),
    route(Method::GET, "/join/{campaign}", Public, |r| {
        r.to(members::join::page)
    }),
    route(Method::GET, "/gift", Public, |r| {
        r.to(gifts::form::default_page)
    }),
    route(Method::POST, "/gift", Public, |r| r.to(gifts::form::buy)),
    route(Method::GET, "/gift/thanks", Public, |r| {
        r.to(gifts::form::thanks)
    }),
    route(Method::GET, "/gift/redeem", Public, |r| {
        r.to(gifts::redeem::page)
    }),
    route(Method::POST, "/gift/redeem", Public, |r| {
        r.to(gifts::redeem::redeem)
    }),
    route(Method::GET, "/gift/{campaign}", Public, |r| {
        r.to(gifts::form::page)
    }),
    route(Method::GET, "/remind/confirm", Public, |r| {
        r.to(remind::confirm_page)
    }),
    route(Method::POST, "/remind/confirm", Public, |r| {
        r.to(remind::confirm_post)
    }),
    route(Method::GET, "/remind/{campaign}", Public, |r| {
        r.to(remind::page)
    }),
    route(Method::POST, "/remind", Public, |r| r.to(remind::request)),
    route(Method::GET, "/account", Member, |r| {
        r.to(members::account::account)
    }),
    route(Method::POST, "/account/sign-in", Public, |r| {
        r.to(members::sign_in::request_link)
    }),
    route(Method::GET, "/account/sign-in", Public, |r| {
        r.to(members::account::link_page)
    }),
    route(Method::POST, "/account/sign-in/confirm", Public, |r| {
        r.to(members::account::sign_in)
    }),
    route(Method::POST, "/account/pause", Member, |r| {
        r.to(members::pause::pause)
    }),
    route(Method::GET, "/account/cancel", Member, |r| {
        r.to(members::cancel::page)
    }),
    route(Method::POST, "/account/cancel", Member, |r| {
        r.to(members::cancel::cancel)
    }),
    route(Method::GET, "/account/statement.csv", Member, |r| {
        r.to(members::statement::download)
    }),
    route(Method::POST, "/account/statements", Member, |r| {
        r.to(members::statement::settings)
    }),
    route(Method::POST, "/account/billing", Member, |r| {
        r.to(members::account::billing)
    }),
    route(Method::POST, "/account/newsletters", Member, |r| {
        r.to(members::account::manage_newsletters)
    }),
    route(Method::POST, "/account/sign-out", Member, |r| {
        r.to(members::account::sign_out)
    }),
    route(Method::GET, "/admin", Staff, |r| {
        r.to(campaigns::overview::page)
    }),
    route(Method::GET, "/admin/login", Public, |r| {
        r.to(admin::login::form)
    }),
    route(Method::POST, "/admin/login", Public, |r| {
        r.to(admin::login::submit)
    }),
    route(Method::GET, "/admin/password", Public, |r| {
        r.to(staff::reset::page)
    }),
    route(Method::POST, "/admin/password", Public, |r| {
        r.to(staff::reset::save)
    }),
    route(Method::GET, "/admin/password/forgot", Public, |r| {
        r.to(staff::forgot::page)
    }),
    route(Method::POST, "/admin/password/forgot", Public, |r| {
        r.to(staff::forgot::send)
    }),
    route(Method::GET, "/admin/staff", Admin, |r| {
        r.to(staff::pages::page)
    }),
    route(Method::POST, "/admin/staff", Admin, |r| {
        r.to(staff::pages::invite)
    }),
    route(Method::POST, "/admin/staff/{id}", Admin, |r| {
        r.to(staff::pages::act)
    }),
    route(Method::GET, "/account/welcome", Public, |r| {
        r.to(members::thanks::thanks)
    }),
    route(Method::GET, "/admin/branding", Admin, |r| {
        r.to(branding::staff::page)
    }),
    route(Method::POST, "/admin/branding", Admin, |r| {
        r.to(branding::staff::save)
    }),
    route(Method::POST, "/admin/logout", Staff, |r| {
        r.to(admin::login::logout)
    }),
    route(Method::GET, "/admin/campaigns", Staff, |r| {
        r.to(campaigns::staff::list)
    }),
    route(Method::POST, "/admin/campaigns", Admin, |r| {
        r.to(campaigns::staff::create)
    }),
    route(Method::GET, "/admin/campaigns/new", Admin, |r| {
        r.to(campaigns::staff::new_form)
    }),
    route(Method::GET, "/admin/campaigns/{slug}", Staff, |r| {
        r.to(campaigns::staff::edit_form)
    }),
    route(Method::POST, "/admin/campaigns/{slug}", Admin, |r| {
        r.to(campaigns::staff::update)
    }),
    route(Method::POST, "/admin/campaigns/{slug}/ledger", Admin, |r| {
        r.to(campaigns::staff::add_entry)
    }),
    route(
        Method::POST,
        "/admin/campaigns/{slug}/ledger/{id}/delete",
        Admin,
        |r| r.to(campaigns::staff::remove_entry),
    ),
    route(Method::POST, "/admin/campaigns/{slug}/tiers", Admin, |r| {
        r.to(campaigns::staff::add_tier)
    }),
    route(
        Method::POST,
        "/admin/campaigns/{slug}/tiers/{id}",
        Admin,
        |r| r.to(campaigns::staff::update_tier),
    ),
    route(Method::GET, "/admin/campaigns/{slug}/embed", Staff, |r| {
        r.to(campaigns::staff::embed)
    }),
    route(
        Method::GET,
        "/admin/campaigns/{slug}/articles",
        Staff,
        |r| r.to(campaigns::articles::articles),
    ),
    route(
        Method::GET,
        "/admin/campaigns/{slug}/articles.csv",
        Staff,
        |r| r.to(campaigns::articles::articles_csv),
    ),
    route(
        Method::GET,
        "/admin/campaigns/{slug}/charts/{chart}.csv",
        Staff,
        |r| r.to(campaigns::overview::chart_csv),
    ),
    route(Method::GET, "/admin/audit", Staff, |r| {
        r.to(admin::audit::page)
    }),
    route(Method::GET, "/admin/members", Staff, |r| {
        r.to(members::staff::list)
    }),
    route(Method::GET, "/admin/members.csv", Staff, |r| {
        r.to(members::staff::csv)
    }),
    route(Method::GET, "/admin/members/{id}", Staff, |r| {
        r.to(members::staff::show)
    }),
    route(Method::GET, "/admin/outbox", Staff, |r| {
        r.to(email::staff::page)
    }),
    route(Method::GET, "/admin/gifts", Staff, |r| {
        r.to(gifts::staff::page)
    }),
    route(Method::POST, "/admin/gifts/{id}/resend", Admin, |r| {
        r.to(gifts::staff::resend)
    }),
    route(Method::GET, "/admin/payments", Staff, |r| {
        r.to(payments::staff::page)
    }),
    route(Method::POST, "/admin/payments/clear", Admin, |r| {
        r.to(payments::staff::clear)
    }),
    route(Method::GET, "/admin/outbox/suppressions", Staff, |r| {
        r.to(bounces::staff::page)
    }),
    route(
        Method::POST,
        "/admin/outbox/suppressions/lift",
        Admin,
        |r| r.to(bounces::staff::lift),
    ),
    route(Method::POST, "/admin/outbox/{id}/retry", Admin, |r| {
        r.to(email::staff::retry)
    }),
    route(Method::GET, "/admin/webhooks", Staff, |r| {
        r.to(webhooks::staff::list)
    }),
    route(Method::POST, "/admin/webhooks", Admin, |r| {
        r.to(webhooks::staff::create)
    }),
    route(Method::GET, "/admin/webhooks/{id}", Staff, |r| {
        r.to(webhooks::staff::show)
    }),
    route(Method::POST, "/admin/webhooks/{id}", Admin, |r| {
        r.to(webhooks::staff::update)
    }),
    route(Method::POST, "/admin/webhooks/{id}/rotate", Admin, |r| {
        r.to(webhooks::staff::rotate)
    }),
    route(Method::POST, "/admin/webhooks/{id}/remove", Admin, |r| {
        r.to(webhooks::staff::remove)
    }),
    route(
        Method::POST,
        "/admin/webhooks/{id}/deliveries/{job}/retry",
        Admin,
        |r| r.to(webhooks::staff::retry),
    ),
    route(Method::GET, "/admin/subscribers", Staff, |r| {
        r.to(newsletters::readers::list)
    }),
    route(Method::GET, "/admin/subscribers.csv", Staff, |r| {
        r.to(newsletters::readers::csv)
    }),
    route(Method::GET, "/admin/subscribers/{id}", Staff, |r| {
        r.to(newsletters::readers::show)
    }),
    route(
        Method::POST,
        "/admin/subscribers/{id}/unsubscribe",
        Admin,
        |r| r.to(newsletters::readers::unsubscribe),
    ),
    route(Method::GET, "/admin/people/export", Admin, |r| {
        r.to(privacy::staff::export)
    }),
    route(Method::POST, "/admin/people/erase", Admin, |r| {
        r.to(privacy::staff::erase)
    }),
    route(Method::GET, "/admin/newsletters", Staff, |r| {
        r.to(newsletters::staff::list)
    }),
    route(Method::GET, "/admin/newsletters/new", Admin, |r| {
        r.to(newsletters::staff::new)
    }),
    route(Method::POST, "/admin/newsletters", Admin, |r| {
        r.to(newsletters::staff::create)
    }),
    route(
        Method::GET,
        "/admin/newsletters/{slug}/editions",
        Staff,
        |r| r.to(newsletters::editions::staff::page),
    ),
    route(
        Method::POST,
        "/admin/newsletters/{slug}/editions",
        Admin,
        |r| r.to(newsletters::editions::staff::post),
    ),
    route(
        Method::POST,
        "/admin/newsletters/{slug}/editions/{id}",
        Admin,
        |r| r.to(newsletters::editions::staff::control),
    ),
    route(
        Method::GET,
        "/admin/newsletters/{slug}/editions/{id}/progress",
        Staff,
        |r| r.to(newsletters::editions::progress::progress),
    ),
    route(Method::GET, "/admin/newsletters/{slug}", Staff, |r| {
        r.to(newsletters::staff::edit)
    }),
    route(Method::POST, "/admin/newsletters/{slug}", Admin, |r| {
        r.to(newsletters::staff::save)
    }),
    route(
        Method::POST,
        "/admin/newsletters/{slug}/archive",
        Admin,
        |r| r.to(newsletters::staff::archive),
    ),
];

/// Mounts [`ROUTES`]: the `/widget/` rows first, each counted by `widget_metrics`; then the
/// others, counted by `metrics`, with the `/admin` rows in one scope that marks every answer
/// `no-store`. A request that matches no row ends in the second group, so `metrics` counts it.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    metrics: PrometheusMetrics,
    widget_metrics: &WidgetMetrics,
) {
    let mut staff = web::scope("/admin").wrap(from_fn(admin::no_store));
    let mut others = web::scope("").wrap(Compress::default()).wrap(metrics);
    for row in ROUTES {
        let path = row.path.strip_prefix("/admin").unwrap_or(row.path);
        let mut resource = web::resource(path)
            .guard(method_guard(&row.method))
            .route((row.handler)(web::route()));
        if let Some(limit) = row.body_limit {
            resource = resource.app_data(web::PayloadConfig::new(limit));
        }
        if path != row.path {
            staff = staff.service(resource);
        } else if row.path.starts_with("/widget/") {
            let counted = resource.wrap(widget_metrics.route(row.path));
            // Only the script and the iframe's page are worth compressing. The JSON and the
            // SVG are a few hundred bytes asked for on every article view, where compressing
            // each answer again costs more than it saves; the event stream must not be
            // buffered.
            if matches!(row.path, "/widget/embed.js" | "/widget/{campaign}") {
                cfg.service(counted.wrap(Compress::default()));
            } else {
                cfg.service(counted);
            }
        } else {
            others = others.service(resource);
        }
    }
    // An address no row serves gets the 404 page, counted under the one unmatched label.
    let no_such_page = || web::to(crate::web::error::no_such_page);
    let others = others
        .service(staff.default_service(no_such_page()))
        .default_service(no_such_page());
    cfg.app_data(AccessTable(ROUTES)).service(others);
}

/// Takes `method`, and `HEAD` where `method` is `GET`. A guard on the resource, so that a
/// request in another method goes on to the next row of the same path (`GET`/`POST /join`).
fn method_guard(method: &Method) -> guard::AnyGuard {
    let only = guard::Any(guard::Method(method.clone()));
    if *method == Method::GET {
        only.or(guard::Head())
    } else {
        only
    }
}
