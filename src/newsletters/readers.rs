//! `/admin/subscribers`: newsletter readers, one line per subscription, searched by address
//! and filtered by newsletter and state, as a page or a CSV file (the columns
//! `import-subscribers` reads, and more); a reader's page with their consent history (when
//! they asked, confirmed and left, and where from) and, for admins, unsubscribing them from
//! a newsletter on their behalf (audited, reported to webhooks like their own click).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render_status};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::{newsletter_subscriptions, newsletters, subscribers};
use crate::db::{self, DbConnection, DbError, MultiBackend, PER_PAGE, Page};
use crate::domain::OptIn;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::{see_other, spreadsheet};

const PATH: &str = "/admin/subscribers";

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    newsletter: String,
    #[serde(default)]
    state: String,
    page: Option<i64>,
}

impl ListQuery {
    fn state(&self) -> Option<OptIn> {
        self.state.parse().ok()
    }

    /// The filters, for the CSV link and the pages' links.
    fn query_string(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("newsletter", &self.newsletter)
            .append_pair("state", &self.state)
            .finish()
    }
}

type Joined = diesel::dsl::InnerJoin<
    diesel::dsl::InnerJoin<newsletter_subscriptions::table, subscribers::table>,
    newsletters::table,
>;

/// The subscriptions `query` selects.
fn filtered(query: &ListQuery) -> diesel::dsl::IntoBoxed<'static, Joined, MultiBackend> {
    let mut rows = newsletter_subscriptions::table
        .inner_join(subscribers::table)
        .inner_join(newsletters::table)
        .into_boxed();
    let text = query.q.trim().to_lowercase();
    if !text.is_empty() {
        let pattern = db::like_containing(&text);
        rows = rows.filter(
            db::lower(subscribers::email.nullable())
                .like(pattern)
                .escape('\\'),
        );
    }
    if !query.newsletter.is_empty() {
        rows = rows.filter(newsletters::slug.eq(query.newsletter.clone()));
    }
    if let Some(state) = query.state() {
        rows = rows.filter(newsletter_subscriptions::status.eq(state));
    }
    rows
}

/// One subscription, with its reader and newsletter.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = newsletter_subscriptions)]
struct Line {
    #[diesel(column_name = subscriber_id)]
    subscriber: i32,
    #[diesel(select_expression = subscribers::email)]
    email: String,
    #[diesel(select_expression = subscribers::name)]
    name: Option<String>,
    #[diesel(select_expression = subscribers::locale)]
    language: String,
    #[diesel(select_expression = newsletters::slug)]
    newsletter: String,
    #[diesel(select_expression = newsletters::name)]
    newsletter_name: String,
    #[diesel(column_name = status)]
    state: OptIn,
    #[diesel(column_name = created_at)]
    asked_at: NaiveDateTime,
    confirmed_at: Option<NaiveDateTime>,
    unsubscribed_at: Option<NaiveDateTime>,
    source: Option<String>,
}

/// A state's words.
fn state_label(lang: Lang, state: OptIn) -> String {
    lang.tr(match state {
        OptIn::Pending => "admin-subscribers-pending",
        OptIn::Confirmed => "admin-subscribers-confirmed",
        OptIn::Unsubscribed => "admin-subscribers-unsubscribed",
    })
}

#[derive(Template)]
#[template(path = "admin/subscribers.html")]
struct ListPage {
    frame: Frame,
    q: String,
    newsletters: Vec<(String, String, bool)>,
    states: Vec<(String, String, bool)>,
    summary: String,
    lines: Vec<(Line, String)>,
    page: i64,
    more: bool,
    query: String,
}

/// `GET /admin/subscribers?q=&newsletter=&state=&page=`
pub(crate) async fn list(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Newsletters);
    let lang = frame.lang;
    let query = query.into_inner();
    let page = Page::asked(query.page);
    let (total, rows, all) = {
        let (count, rows) = (filtered(&query), filtered(&query));
        state
            .db
            .read(move |c| {
                let total: i64 = count.count().get_result(c)?;
                let rows: Vec<Line> = rows
                    .order((subscribers::email, newsletters::position))
                    .offset(page.offset())
                    .limit(PER_PAGE + 1)
                    .select(Line::as_select())
                    .load(c)?;
                let all: Vec<(String, String)> = newsletters::table
                    .order((newsletters::position, newsletters::id))
                    .select((newsletters::slug, newsletters::name))
                    .load(c)?;
                Ok((total, rows, all))
            })
            .await?
    };
    let (rows, more) = Page::and_more(rows);
    let newsletters = all
        .into_iter()
        .map(|(slug, name)| {
            let chosen = slug == query.newsletter;
            (slug, name, chosen)
        })
        .collect();
    let states = OptIn::ALL
        .into_iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                state_label(lang, s),
                query.state() == Some(s),
            )
        })
        .collect();
    let summary = lang.t(
        "admin-subscribers-count",
        &[
            ("count", total.into()),
            ("count_text", lang.number(total).into()),
        ],
    );
    render_status(
        StatusCode::OK,
        &ListPage {
            frame,
            q: query.q.clone(),
            newsletters,
            states,
            summary,
            lines: rows
                .into_iter()
                .map(|l| {
                    let label = state_label(lang, l.state);
                    (l, label)
                })
                .collect(),
            page: page.number(),
            more,
            query: query.query_string(),
        },
    )
}

fn time(t: Option<NaiveDateTime>) -> String {
    t.map(db::rfc3339).unwrap_or_default()
}

/// `GET /admin/subscribers.csv?…`: the subscriptions of the filter, with their consent
/// history (`email`, `name`, `language`, `source` and `subscribed_at` are named as
/// `import-subscribers` names them).
pub(crate) async fn csv(
    _staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let rows = filtered(&query);
    let lines: Vec<Line> = state
        .db
        .read(move |c| {
            rows.order((subscribers::email, newsletters::position))
                .select(Line::as_select())
                .load(c)
        })
        .await?;
    let columns = [
        "email",
        "name",
        "language",
        "newsletter",
        "status",
        "subscribed_at",
        "confirmed_at",
        "unsubscribed_at",
        "source",
    ]
    .map(str::to_owned);
    let rows: Vec<Vec<String>> = lines
        .into_iter()
        .map(|l| {
            vec![
                l.email,
                l.name.unwrap_or_default(),
                l.language,
                l.newsletter,
                l.state.as_str().to_owned(),
                time(Some(l.asked_at)),
                time(l.confirmed_at),
                time(l.unsubscribed_at),
                l.source.unwrap_or_default(),
            ]
        })
        .collect();
    let name = format!("subscribers-{}.csv", db::now().format("%Y-%m-%d"));
    spreadsheet::download(&name, &columns, &rows)
}

#[derive(Template)]
#[template(path = "admin/subscriber.html")]
struct SubscriberPage {
    frame: Frame,
    email: String,
    name: Option<String>,
    language: String,
    since: NaiveDateTime,
    lines: Vec<(Line, String)>,
    can_edit: bool,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ShowQuery {
    left: Option<String>,
}

fn lines_of(conn: &mut DbConnection, id: i32) -> QueryResult<Vec<Line>> {
    newsletter_subscriptions::table
        .inner_join(subscribers::table)
        .inner_join(newsletters::table)
        .filter(newsletter_subscriptions::subscriber_id.eq(id))
        .order((newsletters::position, newsletters::id))
        .select(Line::as_select())
        .load(conn)
}

/// `GET /admin/subscribers/{id}`
pub(crate) async fn show(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let found = state
        .db
        .read(move |c| {
            let subscriber: Option<(String, Option<String>, String, NaiveDateTime)> =
                subscribers::table
                    .find(id)
                    .select((
                        subscribers::email,
                        subscribers::name,
                        subscribers::locale,
                        subscribers::created_at,
                    ))
                    .first(c)
                    .optional()?;
            subscriber.map(|s| Ok((s, lines_of(c, id)?))).transpose()
        })
        .await?;
    let frame = staff.frame(&req, Nav::Newsletters);
    let lang = frame.lang;
    let Some(((email, name, language, since), lines)) = found else {
        let (title, says) = (
            lang.tr("admin-not-found"),
            lang.tr("admin-subscribers-unknown"),
        );
        return message(frame, StatusCode::NOT_FOUND, &title, &says, PATH);
    };
    let notice = query.left.as_deref().map(|n| {
        lang.t(
            "admin-subscribers-left",
            &[("newsletter", n.to_owned().into())],
        )
    });
    render_status(
        StatusCode::OK,
        &SubscriberPage {
            frame,
            email,
            name,
            language,
            since,
            lines: lines
                .into_iter()
                .map(|l| {
                    let label = state_label(lang, l.state);
                    (l, label)
                })
                .collect(),
            can_edit: staff.role == Role::Admin,
            notice,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct UnsubscribeForm {
    #[serde(default)]
    newsletter: String,
}

/// `POST /admin/subscribers/{id}/unsubscribe` (admins): unsubscribes the reader from one
/// newsletter, audited.
pub(crate) async fn unsubscribe(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<UnsubscribeForm>,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = staff.actor();
    let slug = form.newsletter.clone();
    let left = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            let newsletter: Option<i32> = newsletters::table
                .filter(newsletters::slug.eq(&slug))
                .select(newsletters::id)
                .first(c)
                .optional()?;
            let Some(newsletter) = newsletter else {
                return Ok(false);
            };
            if !super::unsubscribe_for(c, id, newsletter, db::now())? {
                return Ok(false);
            }
            let details = serde_json::json!({ "newsletter": slug });
            let subject = id.to_string();
            audit::record(
                c,
                &actor,
                "subscriber.unsubscribe",
                "subscriber",
                &subject,
                &details,
            )?;
            Ok(true)
        })
        .await?;
    if left {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("left", &form.newsletter)
            .finish();
        return Ok(see_other(&format!("{PATH}/{id}?{query}")));
    }
    let frame = staff.frame(&req, Nav::Newsletters);
    let lang = frame.lang;
    let (title, says) = (
        lang.tr("admin-subscribers-title"),
        lang.tr("admin-subscribers-not-subscribed"),
    );
    message(
        frame,
        StatusCode::CONFLICT,
        &title,
        &says,
        &format!("{PATH}/{id}"),
    )
}
