//! `/admin/webhooks`: the endpoints that receive events, their secrets (admins), rotation,
//! and each endpoint's delivery log with a retry for what failed for good. Every change
//! writes its audit entry in the same transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Deserialize;

use super::{Delivery, JOB_KIND, endpoint_prefix, sign};
use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render_status};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::{jobs, webhook_endpoints};
use crate::db::{self, DbConnection, DbError, on_backend};
use crate::domain::EventType;
use crate::i18n::Lang;
use crate::jobs::{self as queue, State};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::see_other;

const PATH: &str = "/admin/webhooks";
/// How long a rotated-out secret still signs, so receivers can switch to the new one.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);
/// The longest URL, in characters.
const MAX_URL: usize = 2_000;
/// The longest description, in characters.
const MAX_DESCRIPTION: usize = 200;
/// The deliveries an endpoint's page shows, newest first.
const LOG: i64 = 50;

/// An endpoint as the pages show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
struct Endpoint {
    id: i32,
    url: String,
    description: String,
    events: String,
    secret: String,
    previous_secret_until: Option<NaiveDateTime>,
    disabled_at: Option<NaiveDateTime>,
}

impl Endpoint {
    fn receives(&self, event: &EventType) -> bool {
        self.events.split_whitespace().any(|e| e == event.as_str())
    }
}

/// What staff typed, to show again with the errors.
#[derive(Debug, Default)]
struct Typed {
    url: String,
    description: String,
    events: Vec<EventType>,
    enabled: bool,
}

/// A checked form.
struct Checked {
    url: String,
    description: String,
    events: String,
    enabled: bool,
}

impl Typed {
    fn of(form: &Form) -> Typed {
        Typed {
            url: form.get("url").unwrap_or_default().trim().to_owned(),
            description: form
                .get("description")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            events: form.all("event").filter_map(|e| e.parse().ok()).collect(),
            enabled: form.get("enabled").is_some(),
        }
    }

    /// The form's values, or the message that says what is wrong.
    fn check(&self, form: &Form, lang: Lang) -> Result<Checked, String> {
        let url = url::Url::parse(&self.url).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
        if url.is_none() || self.url.chars().count() > MAX_URL {
            return Err(lang.tr("admin-webhooks-bad-url"));
        }
        if self.description.chars().count() > MAX_DESCRIPTION {
            return Err(lang.t(
                "admin-webhooks-long-description",
                &[("max", MAX_DESCRIPTION.into())],
            ));
        }
        // A typo'd event type is refused, not dropped without a word.
        if self.events.is_empty() || form.all("event").count() != self.events.len() {
            return Err(lang.tr("admin-webhooks-no-events"));
        }
        Ok(Checked {
            url: self.url.clone(),
            description: self.description.clone(),
            events: self
                .events
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            enabled: self.enabled,
        })
    }
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct ListPage {
    frame: Frame,
    /// Each endpoint, with how many of its deliveries failed for good, said.
    endpoints: Vec<(Endpoint, Option<String>)>,
    can_edit: bool,
    typed: Typed,
    error: Option<String>,
    all_events: [EventType; 7],
}

/// One delivery in the log.
struct Line {
    job: i32,
    event: String,
    message_id: String,
    created: NaiveDateTime,
    state: State,
    attempts: i32,
    answer: Option<u16>,
    error: Option<String>,
    next: NaiveDateTime,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct EndpointPage {
    frame: Frame,
    endpoint: Endpoint,
    typed: Typed,
    error: Option<String>,
    notice: Option<String>,
    can_edit: bool,
    lines: Vec<Line>,
    all_events: [EventType; 7],
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

fn endpoints(conn: &mut DbConnection) -> QueryResult<Vec<(Endpoint, i64)>> {
    let all: Vec<Endpoint> = webhook_endpoints::table
        .order(webhook_endpoints::id)
        .select(Endpoint::as_select())
        .load(conn)?;
    let dead: Vec<String> = jobs::table
        .filter(jobs::kind.eq(JOB_KIND))
        .filter(jobs::status.eq("dead"))
        .select(jobs::dedupe_key)
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|e| {
            let prefix = endpoint_prefix(e.id);
            let failed = dead.iter().filter(|k| k.starts_with(&prefix)).count();
            (e, failed as i64)
        })
        .collect())
}

fn list_page(
    staff: &StaffSession,
    req: &HttpRequest,
    status: StatusCode,
    endpoints: Vec<(Endpoint, i64)>,
    typed: Typed,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(req, Nav::Webhooks);
    let lang = frame.lang;
    let endpoints = endpoints
        .into_iter()
        .map(|(e, failed)| {
            let said = (failed > 0)
                .then(|| lang.t("admin-webhooks-failed-count", &[("count", failed.into())]));
            (e, said)
        })
        .collect();
    render_status(
        status,
        &ListPage {
            frame,
            endpoints,
            can_edit: staff.role == Role::Admin,
            typed,
            error,
            all_events: EventType::ALL,
        },
    )
}

/// `GET /admin/webhooks`
pub(crate) async fn list(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let endpoints = state.db.read(endpoints).await?;
    let typed = Typed {
        enabled: true,
        ..Typed::default()
    };
    list_page(&staff, &req, StatusCode::OK, endpoints, typed, None)
}

/// `POST /admin/webhooks` (admins): adds an endpoint with a new secret.
pub(crate) async fn create(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<Form>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let typed = Typed {
        enabled: true,
        ..Typed::of(&form)
    };
    let checked = match typed.check(&form, lang) {
        Ok(checked) => checked,
        Err(error) => {
            let endpoints = state.db.read(endpoints).await?;
            return list_page(
                &staff,
                &req,
                StatusCode::BAD_REQUEST,
                endpoints,
                typed,
                Some(error),
            );
        }
    };
    let actor = staff.actor();
    let id = state
        .db
        .write(move |c| -> Result<i32, DbError> {
            let now = db::now();
            let insert = diesel::insert_into(webhook_endpoints::table)
                .values((
                    webhook_endpoints::url.eq(&checked.url),
                    webhook_endpoints::description.eq(&checked.description),
                    webhook_endpoints::events.eq(&checked.events),
                    webhook_endpoints::secret.eq(sign::new_secret()),
                    webhook_endpoints::created_at.eq(now),
                    webhook_endpoints::updated_at.eq(now),
                ))
                .returning(webhook_endpoints::id);
            let id: i32 = on_backend!(c, |c| insert.get_result(c)?);
            let details = serde_json::json!({ "url": checked.url, "events": checked.events });
            audit::record(
                c,
                &actor,
                "webhook.create",
                "webhook",
                &id.to_string(),
                &details,
            )?;
            Ok(id)
        })
        .await?;
    Ok(see_other(&format!("{PATH}/{id}?done=created")))
}

fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Endpoint>> {
    webhook_endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .first(conn)
        .optional()
}

type LogRow = (
    i32,
    String,
    String,
    i32,
    NaiveDateTime,
    Option<String>,
    NaiveDateTime,
);

fn log(conn: &mut DbConnection, id: i32) -> QueryResult<Vec<Line>> {
    let rows: Vec<LogRow> = jobs::table
        .filter(jobs::kind.eq(JOB_KIND))
        .filter(jobs::dedupe_key.like(format!("{}%", endpoint_prefix(id))))
        .order(jobs::id.desc())
        .limit(LOG)
        .select((
            jobs::id,
            jobs::payload,
            jobs::status,
            jobs::attempts,
            jobs::run_at,
            jobs::last_error,
            jobs::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(job, payload, status, attempts, next, error, created)| {
            let delivery = serde_json::from_str::<Delivery>(&payload).ok();
            Line {
                job,
                event: delivery
                    .as_ref()
                    .map(|d| d.event.clone())
                    .unwrap_or_default(),
                message_id: delivery.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
                answer: delivery.and_then(|d| d.status),
                created,
                state: State::of(&status, attempts),
                attempts,
                error,
                next,
            }
        })
        .collect())
}

async fn endpoint_page(
    staff: &StaffSession,
    req: &HttpRequest,
    state: &AppState,
    id: i32,
    status: StatusCode,
    edit: Option<(Typed, String)>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let found = state
        .db
        .read(move |c| Ok(find(c, id)?.map(|e| (e, log(c, id)))))
        .await?;
    let frame = staff.frame(req, Nav::Webhooks);
    let Some((endpoint, lines)) = found else {
        let lang = frame.lang;
        return message(
            frame,
            StatusCode::NOT_FOUND,
            &lang.tr("admin-not-found"),
            &lang.tr("admin-webhooks-unknown"),
            PATH,
        );
    };
    let (typed, error) = match edit {
        Some((typed, error)) => (typed, Some(error)),
        None => (
            Typed {
                url: endpoint.url.clone(),
                description: endpoint.description.clone(),
                events: EventType::ALL
                    .into_iter()
                    .filter(|e| endpoint.receives(e))
                    .collect(),
                enabled: endpoint.disabled_at.is_none(),
            },
            None,
        ),
    };
    render_status(
        status,
        &EndpointPage {
            frame,
            endpoint,
            typed,
            error,
            notice,
            can_edit: staff.role == Role::Admin,
            lines: lines?,
            all_events: EventType::ALL,
        },
    )
}

/// `GET /admin/webhooks/{id}`
pub(crate) async fn show(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let notice = match query.done.as_deref() {
        Some(done @ ("created" | "saved" | "rotated" | "retried")) => {
            Some(lang.tr(&format!("admin-webhooks-{done}")))
        }
        _ => None,
    };
    endpoint_page(
        &staff,
        &req,
        &state,
        path.into_inner(),
        StatusCode::OK,
        None,
        notice,
    )
    .await
}

/// Applies `change` to endpoint `id` (given as it was) and audits it as `action` with the
/// details `change` returns; false when there is no such endpoint or `change` made none.
async fn change(
    state: &AppState,
    staff: &StaffSession,
    id: i32,
    action: &'static str,
    change: impl FnOnce(
        &mut DbConnection,
        Endpoint,
        NaiveDateTime,
    ) -> QueryResult<Option<serde_json::Value>>
    + Send
    + 'static,
) -> Result<bool, AppError> {
    let actor = staff.actor();
    let changed = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            let Some(before) = find(c, id)? else {
                return Ok(false);
            };
            let Some(details) = change(c, before, db::now())? else {
                return Ok(false);
            };
            audit::record(c, &actor, action, "webhook", &id.to_string(), &details)?;
            Ok(true)
        })
        .await?;
    Ok(changed)
}

/// `POST /admin/webhooks/{id}` (admins): saves the URL, description, events and whether it
/// is enabled.
pub(crate) async fn update(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<Form>,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = Lang::of_request(&req);
    let typed = Typed::of(&form);
    let checked = match typed.check(&form, lang) {
        Ok(checked) => checked,
        Err(error) => {
            let edit = Some((typed, error));
            let status = StatusCode::BAD_REQUEST;
            return endpoint_page(&staff, &req, &state, id, status, edit, None).await;
        }
    };
    let saved = change(
        &state,
        &staff,
        id,
        "webhook.update",
        move |c, before, now| {
            let disabled_at = match (checked.enabled, before.disabled_at) {
                (true, _) => None,
                (false, since) => Some(since.unwrap_or(now)),
            };
            diesel::update(webhook_endpoints::table.find(id))
                .set((
                    webhook_endpoints::url.eq(&checked.url),
                    webhook_endpoints::description.eq(&checked.description),
                    webhook_endpoints::events.eq(&checked.events),
                    webhook_endpoints::disabled_at.eq(disabled_at),
                    webhook_endpoints::updated_at.eq(now),
                ))
                .execute(c)?;
            Ok(Some(serde_json::json!({
                "url": checked.url,
                "events": checked.events,
                "enabled": checked.enabled,
            })))
        },
    )
    .await?;
    done(&staff, &req, &state, id, saved, "saved").await
}

/// Where an action on endpoint `id` leads: back to its page saying `what`, or 404.
async fn done(
    staff: &StaffSession,
    req: &HttpRequest,
    state: &AppState,
    id: i32,
    changed: bool,
    what: &str,
) -> Result<HttpResponse, AppError> {
    if changed {
        return Ok(see_other(&format!("{PATH}/{id}?done={what}")));
    }
    endpoint_page(staff, req, state, id, StatusCode::NOT_FOUND, None, None).await
}

/// `POST /admin/webhooks/{id}/rotate` (admins): a new secret signs from now on; the old one
/// also signs for [`ROTATION_OVERLAP`].
pub(crate) async fn rotate(
    req: HttpRequest,
    StaffForm { staff, .. }: StaffForm<Form>,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rotated = change(
        &state,
        &staff,
        id,
        "webhook.rotate",
        move |c, before, now| {
            let until = now + ROTATION_OVERLAP;
            diesel::update(webhook_endpoints::table.find(id))
                .set((
                    webhook_endpoints::secret.eq(sign::new_secret()),
                    webhook_endpoints::previous_secret.eq(Some(before.secret)),
                    webhook_endpoints::previous_secret_until.eq(Some(until)),
                    webhook_endpoints::updated_at.eq(now),
                ))
                .execute(c)?;
            Ok(Some(serde_json::json!({ "previous_signs_until": until })))
        },
    )
    .await?;
    done(&staff, &req, &state, id, rotated, "rotated").await
}

/// `POST /admin/webhooks/{id}/remove` (admins): removes the endpoint and withdraws its
/// deliveries not sent yet.
pub(crate) async fn remove(
    req: HttpRequest,
    StaffForm { staff, .. }: StaffForm<Form>,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let removed = change(
        &state,
        &staff,
        id,
        "webhook.remove",
        move |c, before, now| {
            diesel::delete(webhook_endpoints::table.find(id)).execute(c)?;
            let prefix = endpoint_prefix(id);
            let withdrawn = queue::withdraw(c, prefix.trim_end_matches(':'), now)?;
            Ok(Some(
                serde_json::json!({ "url": before.url, "withdrawn": withdrawn }),
            ))
        },
    )
    .await?;
    if removed {
        return Ok(see_other(PATH));
    }
    done(&staff, &req, &state, id, false, "").await
}

/// `POST /admin/webhooks/{id}/deliveries/{job}/retry` (admins): queues a dead-lettered
/// delivery again.
pub(crate) async fn retry(
    req: HttpRequest,
    StaffForm { staff, .. }: StaffForm<Form>,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, job) = path.into_inner();
    let retried = change(&state, &staff, id, "webhook.retry", move |c, _, now| {
        let ours = jobs::table
            .find(job)
            .filter(jobs::kind.eq(JOB_KIND))
            .filter(jobs::dedupe_key.like(format!("{}%", endpoint_prefix(id))))
            .select(jobs::id)
            .first::<i32>(c)
            .optional()?
            .is_some();
        Ok((ours && queue::retry_dead(c, job, now)?).then(|| serde_json::json!({ "job": job })))
    })
    .await?;
    if retried {
        return Ok(see_other(&format!("{PATH}/{id}?done=retried")));
    }
    let frame = staff.frame(&req, Nav::Webhooks);
    let lang = frame.lang;
    message(
        frame,
        StatusCode::CONFLICT,
        &lang.tr("admin-webhooks-title"),
        &lang.tr("admin-webhooks-not-dead"),
        &format!("{PATH}/{id}"),
    )
}
