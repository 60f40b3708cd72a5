//! `GET /admin/campaigns/{slug}/articles`: the articles that bring members (views, clicks,
//! members gained and conversion over a period), sortable, and as CSV.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::overview::{PeriodOption, period, period_options};
use super::stats;
use crate::admin::{Frame, Nav, render};
use crate::auth::StaffSession;
use crate::campaigns::Campaign;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::spreadsheet;

/// `?days=30&sort=members&dir=desc`
#[derive(Debug, Deserialize)]
pub(crate) struct ArticlesQuery {
    days: Option<i64>,
    sort: Option<String>,
    dir: Option<String>,
}

/// One row of the articles table, formatted.
struct ArticleLine {
    url: String,
    views: String,
    clicks: String,
    members: String,
    conversion: String,
}

impl ArticleLine {
    fn new(row: stats::ArticleRow, lang: Lang) -> ArticleLine {
        ArticleLine {
            views: lang.number(row.views),
            clicks: lang.number(row.clicks),
            members: lang.number(row.members),
            conversion: row
                .conversion()
                .map_or_else(|| "—".to_owned(), |c| format!("{c:.2} %")),
            url: row.url,
        }
    }
}

/// The columns the articles table sorts by.
const ARTICLE_SORTS: [&str; 5] = ["url", "views", "clicks", "members", "conversion"];

#[derive(Template)]
#[template(path = "admin/articles.html")]
struct ArticlesPage {
    frame: Frame,
    campaign: Campaign,
    rows: Vec<ArticleLine>,
    days: i64,
    periods: Vec<PeriodOption>,
    sort: String,
    descending: bool,
    first: NaiveDate,
    last: NaiveDate,
}

impl ArticlesPage {
    /// The link that sorts by `column`: descending first, flipping when already sorted by it.
    fn sort_href(&self, column: &str) -> String {
        let dir = if self.sort == column && self.descending {
            "asc"
        } else {
            "desc"
        };
        format!(
            "/admin/campaigns/{}/articles?days={}&sort={column}&dir={dir}",
            self.campaign.slug, self.days
        )
    }

    /// `aria-sort` of a column heading.
    fn aria_sort(&self, column: &str) -> &'static str {
        match (self.sort == column, self.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }
}

/// The articles table of a request: its campaign, period and sorted rows.
struct ArticlesTable {
    campaign: Campaign,
    rows: Vec<stats::ArticleRow>,
    days: i64,
    sort: String,
    descending: bool,
    first: NaiveDate,
    last: NaiveDate,
}

impl ArticlesTable {
    async fn load(state: &AppState, slug: String, query: &ArticlesQuery) -> Result<Self, AppError> {
        let days = period(query.days, 30);
        let sort = query
            .sort
            .as_deref()
            .filter(|s| ARTICLE_SORTS.contains(s))
            .unwrap_or("members")
            .to_owned();
        let descending = query.dir.as_deref() != Some("asc");
        let last = crate::db::now().date();
        let first = last - Duration::days(days - 1);
        let (campaign, mut rows) = state
            .db
            .read(move |conn| {
                let Some(campaign) = Campaign::by_slug(conn, &slug)? else {
                    return Ok(None);
                };
                let spans = stats::spans(conn, campaign.id)?;
                let rows = stats::articles(conn, campaign.id, &spans, first, last)?;
                Ok(Some((campaign, rows)))
            })
            .await?
            .ok_or_else(|| AppError::not_found("campaign"))?;
        rows.sort_by(|a, b| {
            let order = match sort.as_str() {
                "url" => a.url.cmp(&b.url),
                "views" => a.views.cmp(&b.views),
                "clicks" => a.clicks.cmp(&b.clicks),
                "conversion" => a
                    .conversion()
                    .unwrap_or(-1.0)
                    .total_cmp(&b.conversion().unwrap_or(-1.0)),
                _ => a.members.cmp(&b.members),
            };
            let order = if descending { order.reverse() } else { order };
            order.then_with(|| a.url.cmp(&b.url))
        });
        Ok(ArticlesTable {
            campaign,
            rows,
            days,
            sort,
            descending,
            first,
            last,
        })
    }
}

/// `GET /admin/campaigns/{slug}/articles`
pub(crate) async fn articles(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ArticlesQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Overview);
    let lang = frame.lang;
    let t = ArticlesTable::load(&state, slug.into_inner(), &query).await?;
    render(&ArticlesPage {
        frame,
        campaign: t.campaign,
        rows: t
            .rows
            .into_iter()
            .map(|r| ArticleLine::new(r, lang))
            .collect(),
        days: t.days,
        periods: period_options(t.days, lang),
        sort: t.sort,
        descending: t.descending,
        first: t.first,
        last: t.last,
    })
}

/// `GET /admin/campaigns/{slug}/articles.csv`: the same table, in the same order.
pub(crate) async fn articles_csv(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ArticlesQuery>,
) -> Result<HttpResponse, AppError> {
    let t = ArticlesTable::load(&state, slug.into_inner(), &query).await?;
    let tr = |id: &str| staff.frame(&req, Nav::Overview).tr(id);
    let columns = [
        "admin-col-article",
        "admin-col-views",
        "admin-col-clicks",
        "admin-col-members-gained",
        "admin-col-conversion",
    ]
    .map(tr);
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            vec![
                r.url.clone(),
                r.views.to_string(),
                r.clicks.to_string(),
                r.members.to_string(),
                r.conversion()
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    spreadsheet::download(
        &format!("{}-articles-{}d.csv", t.campaign.slug, t.days),
        &columns,
        &rows,
    )
}
