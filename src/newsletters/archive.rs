//! The public archive of a newsletter that publishes one (`public_archive`, set by staff):
//! `GET /newsletters/{slug}/archive` lists its sent editions, newest first, and
//! `GET /newsletters/{slug}/archive/{id}` shows one as readers got it, without any reader's
//! links, with the way to subscribe. Scheduled, paused and cancelled editions are not shown.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::editions::markdown;
use crate::db::schema::{editions, newsletters};
use crate::domain::EditionStatus;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;

/// The editions the list shows.
const SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "newsletters/archive.html")]
struct ArchivePage {
    lang: Lang,
    slug: String,
    name: String,
    description: String,
    editions: Vec<(i32, String, NaiveDateTime)>,
}

#[derive(Template)]
#[template(path = "newsletters/edition.html")]
struct EditionPage {
    lang: Lang,
    slug: String,
    name: String,
    subject: String,
    sent: NaiveDateTime,
    html: String,
}

/// The newsletter `slug` if it publishes its archive: id, name, description.
fn published(
    conn: &mut crate::db::DbConnection,
    slug: &str,
) -> QueryResult<Option<(i32, String, String)>> {
    newsletters::table
        .filter(newsletters::slug.eq(slug))
        .filter(newsletters::public_archive.eq(true))
        .filter(newsletters::archived.eq(false))
        .select((newsletters::id, newsletters::name, newsletters::description))
        .first(conn)
        .optional()
}

fn html(page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = crate::branding::render(page).map_err(AppError::internal)?;
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// `GET /newsletters/{slug}/archive`
pub(crate) async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let of = slug.clone();
    let found = state
        .db
        .read(move |c| {
            let Some((id, name, description)) = published(c, &of)? else {
                return Ok(None);
            };
            let sent: Vec<(i32, String, Option<NaiveDateTime>)> = editions::table
                .filter(editions::newsletter_id.eq(id))
                .filter(editions::status.eq(EditionStatus::Sent))
                .order(editions::started_at.desc())
                .limit(SHOWN)
                .select((editions::id, editions::subject, editions::started_at))
                .load(c)?;
            Ok(Some((name, description, sent)))
        })
        .await?;
    let (name, description, sent) =
        found.ok_or_else(|| AppError::not_found("newsletter archive"))?;
    html(&ArchivePage {
        lang: Lang::of_request(&req),
        slug,
        name,
        description,
        editions: sent
            .into_iter()
            .filter_map(|(id, subject, at)| Some((id, subject, at?)))
            .collect(),
    })
}

/// `GET /newsletters/{slug}/archive/{id}`
pub(crate) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, edition) = path.into_inner();
    let of = slug.clone();
    let found = state
        .db
        .read(move |c| {
            let Some((id, name, _)) = published(c, &of)? else {
                return Ok(None);
            };
            let row: Option<(String, String, Option<NaiveDateTime>)> = editions::table
                .find(edition)
                .filter(editions::newsletter_id.eq(id))
                .filter(editions::status.eq(EditionStatus::Sent))
                .select((editions::subject, editions::body, editions::started_at))
                .first(c)
                .optional()?;
            Ok(row.map(|r| (name, r)))
        })
        .await?;
    let Some((name, (subject, body, Some(sent)))) = found else {
        return Err(AppError::not_found("edition"));
    };
    html(&EditionPage {
        lang: Lang::of_request(&req),
        slug,
        name,
        subject,
        sent,
        html: markdown::to_html(&body),
    })
}
