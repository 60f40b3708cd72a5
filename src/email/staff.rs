//! `/admin/outbox`: how many emails are queued, retrying, sent and dead-lettered, the ones not
//! sent yet, and the retry button that puts a dead letter back in the queue.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use fluent_bundle::FluentValue;
use serde::Deserialize;

use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render};
use crate::audit;
use crate::auth::StaffSession;
use crate::bounces;
use crate::db::{self, DbError, Page};
use crate::email::JOB_KIND;
use crate::email::outbox::{self, OutboxEntry, Retry};
use crate::i18n::Lang;
use crate::jobs::{self, State};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

/// The ftl id of an email's state.
pub(crate) fn state_label(state: State) -> &'static str {
    match state {
        State::Queued => "admin-outbox-queued",
        State::Retrying => "admin-outbox-retrying",
        State::Done => "admin-outbox-sent",
        State::Dead => "admin-outbox-dead",
    }
}

/// An unsent email as the list shows it.
struct Line {
    entry: OutboxEntry,
    state: String,
    dead: bool,
    /// The next attempt; none for a dead letter.
    next_try: Option<NaiveDateTime>,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    frame: Frame,
    /// (label, number) per state.
    counts: Vec<(String, String)>,
    lines: Vec<Line>,
    page: i64,
    more: bool,
    notice: Option<String>,
    can_retry: bool,
}

#[derive(Deserialize)]
pub(crate) struct OutboxQuery {
    page: Option<i64>,
    /// The email just queued again.
    retried: Option<i32>,
}

/// `GET /admin/outbox?page=N`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::asked(query.page);
    let ((queued, retrying, sent, dead), (entries, more)) = state
        .db
        .read(move |c| Ok((jobs::counts(c, JOB_KIND)?, outbox::unsent(c, page)?)))
        .await?;
    let frame = staff.frame(&req, Nav::Outbox);
    let lang = frame.lang;
    let counts = [
        (State::Queued, queued),
        (State::Retrying, retrying),
        (State::Done, sent),
        (State::Dead, dead),
    ]
    .into_iter()
    .map(|(s, n)| (lang.tr(state_label(s)), lang.number(n)))
    .collect();
    let lines = entries
        .into_iter()
        .map(|entry| Line {
            state: lang.tr(state_label(entry.state)),
            dead: entry.state == State::Dead,
            next_try: (entry.state != State::Dead).then_some(entry.run_at),
            entry,
        })
        .collect();
    let notice = query
        .retried
        .map(|id| lang.t("admin-outbox-retried", &[("id", FluentValue::from(id))]));
    render(&OutboxPage {
        frame,
        counts,
        lines,
        page: page.number(),
        more,
        notice,
        can_retry: staff.role == Role::Admin,
    })
}

/// `POST /admin/outbox/{id}/retry` (admins): queues a dead-lettered email again and wakes the
/// email worker; anything else is refused and changes nothing.
pub(crate) async fn retry(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = staff.actor();
    let outcome = state
        .db
        .write(move |c| -> Result<Retry, DbError> {
            let outcome = outbox::retry(c, id, db::now())?;
            if let Retry::Requeued(entry) = &outcome {
                // Asking for this email to go again overrides a bounce of its address.
                let lifted = bounces::lift(c, &entry.to)?;
                audit::record(
                    c,
                    &actor,
                    "outbox.retry",
                    "job",
                    &id.to_string(),
                    &serde_json::json!({
                        "to": entry.to,
                        "subject": entry.subject,
                        "attempts": entry.attempts,
                        "suppression_lifted": lifted.map(|s| s.reason.as_str()),
                    }),
                )?;
            }
            Ok(outcome)
        })
        .await?;
    let frame = staff.frame(&req, Nav::Outbox);
    let lang = frame.lang;
    match outcome {
        Retry::Requeued(_) => {
            state.outbox_wake.notify_one();
            Ok(see_other(&format!("/admin/outbox?retried={id}")))
        }
        Retry::NotDead(current) => message(
            frame,
            StatusCode::CONFLICT,
            &lang.tr("admin-outbox-not-dead-title"),
            &not_dead(lang, id, current),
            "/admin/outbox",
        ),
        Retry::Unknown => message(
            frame,
            StatusCode::NOT_FOUND,
            &lang.tr("admin-not-found"),
            &lang.tr("admin-outbox-unknown"),
            "/admin/outbox",
        ),
    }
}

fn not_dead(lang: Lang, id: i32, current: State) -> String {
    lang.t(
        "admin-outbox-not-dead",
        &[
            ("id", FluentValue::from(id)),
            ("state", FluentValue::from(lang.tr(state_label(current)))),
        ],
    )
}
