//! `/admin/newsletters/{slug}/editions`: a newsletter's editions with where each stands
//! ([`progress`], kept live by `static/editions.js`), and for admins the form that writes one:
//! preview it, send a test of it ([`test_send`]), then send it now or schedule it, on the
//! outlet's clock ([`local_time`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Deserialize;

use super::control::{self, Control};
use super::local_time::{self, Skipped};
use super::progress::{self, CONTROLS, Standing};
use super::test_send::{self, BadAddresses};
use super::{Draft, Refused, audience, markdown, schedule};
use crate::admin::{Frame, Nav, Role, render_status};
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::{editions, newsletters};
use crate::db::{self, DbConnection, DbError};
use crate::domain::{EditionStatus, EmailAddress};
use crate::i18n::Lang;
use crate::newsletters::Newsletter;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

/// Editions the page lists, newest first.
const SHOWN: i64 = 50;

/// An edition as the list shows it.
struct Line {
    id: i32,
    subject: String,
    status: EditionStatus,
    label: String,
    /// When it goes out or went out: RFC 3339 (UTC), and on the outlet's clock.
    at: String,
    when: String,
    progress: String,
    /// Whether nothing more will change (the live update leaves it alone).
    settled: bool,
    /// Every control: (`action`, label, whether it applies now).
    controls: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin/editions.html")]
struct EditionsPage {
    frame: Frame,
    newsletter: Newsletter,
    audience: String,
    lines: Vec<Line>,
    /// Says which time zone "send at" is in.
    send_at_hint: String,
    form: EditionForm,
    error: Option<String>,
    preview: Option<Preview>,
    notice: Option<String>,
    can_send: bool,
}

/// An edition as the preview shows it: its line in an inbox, then its email.
struct Preview {
    subject: String,
    preheader: String,
    html: String,
}

/// The edition form as posted: `action` is `preview`, `test` or `send`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct EditionForm {
    subject: String,
    preheader: String,
    body: String,
    /// `YYYY-MM-DDTHH:MM` in the outlet's time zone (a `datetime-local` field); empty: now.
    send_at: String,
    /// Where a test goes: addresses separated by commas or line breaks; empty: the staff
    /// member's own.
    test_to: String,
    action: String,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    scheduled: Option<i32>,
    /// `pause`, `resume` or `cancel`, done.
    done: Option<String>,
}

/// The newsletter named `slug`; an archived one only with `archived` (its editions stay
/// visible, but it gets no more).
fn newsletter(
    conn: &mut DbConnection,
    slug: &str,
    archived: bool,
) -> QueryResult<Option<Newsletter>> {
    let mut query = newsletters::table
        .filter(newsletters::slug.eq(slug))
        .into_boxed();
    if !archived {
        query = query.filter(newsletters::archived.eq(false));
    }
    query.select(Newsletter::as_select()).first(conn).optional()
}

/// What the page shows beyond the list: the form as posted, and what came of it.
#[derive(Default)]
struct Shown {
    form: EditionForm,
    error: Option<String>,
    preview: Option<Preview>,
    notice: Option<String>,
}

/// The page's lines, in `lang`, their times in `zone`.
fn lines(conn: &mut DbConnection, newsletter: i32, lang: Lang, zone: Tz) -> QueryResult<Vec<Line>> {
    let rows: Vec<(Standing, String, NaiveDateTime)> = editions::table
        .filter(editions::newsletter_id.eq(newsletter))
        .order(editions::id.desc())
        .limit(SHOWN)
        .select((Standing::as_select(), editions::subject, editions::send_at))
        .load(conn)?;
    let now = db::now();
    rows.into_iter()
        .map(|(standing, subject, send_at)| {
            let progress = progress::of(conn, &standing, now)?;
            let applies = progress.controls();
            let controls = CONTROLS
                .iter()
                .map(|a| {
                    (
                        *a,
                        lang.tr(&format!("admin-editions-{a}")),
                        applies.contains(a),
                    )
                })
                .collect();
            let at = standing.started_at.unwrap_or(send_at);
            Ok(Line {
                id: standing.id,
                subject,
                status: progress.status,
                label: progress.label(lang),
                at: db::rfc3339(at),
                when: local_time::shown(at, zone),
                progress: progress.text(lang),
                settled: progress.settled(),
                controls,
            })
        })
        .collect()
}

/// Renders the page with `status`.
async fn page_of(
    req: &HttpRequest,
    staff: &StaffSession,
    state: &AppState,
    slug: String,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(req, Nav::Newsletters);
    let lang = frame.lang;
    let zone = state.settings.time_zone;
    let loaded = state
        .db
        .read(move |c| {
            let Some(newsletter) = newsletter(c, &slug, true)? else {
                return Ok(None);
            };
            let lines = lines(c, newsletter.id, lang, zone)?;
            let readers = audience(c, newsletter.id, db::now())?;
            Ok(Some((newsletter, lines, readers)))
        })
        .await?;
    let (newsletter, lines, readers) = loaded.ok_or_else(|| AppError::not_found("newsletter"))?;
    let Shown {
        form,
        error,
        preview,
        notice,
    } = shown;
    render_status(
        status,
        &EditionsPage {
            audience: lang.t(
                "admin-editions-audience",
                &[("readers", lang.number(readers).into())],
            ),
            send_at_hint: lang.t(
                "admin-editions-send-at-hint",
                &[("zone", zone.name().into())],
            ),
            frame,
            newsletter,
            lines,
            form,
            error,
            preview,
            notice,
            can_send: staff.role == Role::Admin,
        },
    )
}

/// `GET /admin/newsletters/{slug}/editions`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = staff.frame(&req, Nav::Newsletters).lang;
    let notice = match (query.scheduled, query.done.as_deref()) {
        (Some(id), _) => Some(lang.t("admin-editions-scheduled", &[("id", id.into())])),
        (None, Some(done @ ("pause" | "resume" | "cancel"))) => {
            Some(lang.tr(&format!("admin-editions-done-{done}")))
        }
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    page_of(
        &req,
        &staff,
        &state,
        path.into_inner(),
        StatusCode::OK,
        shown,
    )
    .await
}

fn refused_message(refused: &Refused) -> &'static str {
    match refused {
        Refused::Subject => "admin-editions-error-subject",
        Refused::Preheader => "admin-editions-error-preheader",
        Refused::Body => "admin-editions-error-body",
        Refused::Past => "admin-editions-error-past",
    }
}

/// `POST /admin/newsletters/{slug}/editions` (admins): previews the edition, sends a test of
/// it to the addresses given (the staff member's own by default), or sends (schedules) it.
pub(crate) async fn post(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<EditionForm>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let lang = staff.frame(&req, Nav::Newsletters).lang;
    let now = db::now();
    let zone = state.settings.time_zone;
    let send_at = match form.send_at.trim() {
        "" => Ok(None),
        raw => match NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M") {
            Ok(local) => local_time::to_utc(local, zone)
                .map(Some)
                .map_err(|Skipped| {
                    lang.t(
                        "admin-editions-error-skipped",
                        &[("zone", zone.name().into())],
                    )
                }),
            Err(_) => Err(lang.tr("admin-editions-error-time")),
        },
    };
    let draft = send_at.and_then(|at| {
        Draft::new(&form.subject, &form.preheader, form.body.clone(), at, now)
            .map_err(|r| lang.tr(refused_message(&r)))
    });
    let draft = match draft {
        Ok(draft) => draft,
        Err(error) => {
            let shown = Shown {
                error: Some(error),
                form,
                ..Shown::default()
            };
            return page_of(&req, &staff, &state, slug, StatusCode::BAD_REQUEST, shown).await;
        }
    };
    match form.action.as_str() {
        "preview" => {
            let shown = Shown {
                preview: Some(Preview {
                    html: markdown::to_html(&draft.body),
                    subject: draft.subject,
                    preheader: draft.preheader,
                }),
                form,
                ..Shown::default()
            };
            page_of(&req, &staff, &state, slug, StatusCode::OK, shown).await
        }
        "test" => {
            let to = match test_send::addresses(&form.test_to, &staff.email) {
                Ok(to) => to,
                Err(bad) => {
                    let error = match bad {
                        BadAddresses::Invalid(address) => lang.t(
                            "admin-editions-error-test-address",
                            &[("address", address.into())],
                        ),
                        BadAddresses::TooMany => lang.tr("admin-editions-error-test-many"),
                    };
                    let shown = Shown {
                        error: Some(error),
                        form,
                        ..Shown::default()
                    };
                    return page_of(&req, &staff, &state, slug, StatusCode::BAD_REQUEST, shown)
                        .await;
                }
            };
            let tested = to
                .iter()
                .map(EmailAddress::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let subject = lang.t(
                "admin-editions-test-subject",
                &[("subject", draft.subject.as_str().into())],
            );
            let (key, settings) = (slug.clone(), state.settings.clone());
            let found = state
                .db
                .write(move |c| -> Result<bool, DbError> {
                    let Some(newsletter) = newsletter(c, &key, false)? else {
                        return Ok(false);
                    };
                    test_send::queue(c, &settings, &newsletter, &draft, &subject, &to, now)?;
                    Ok(true)
                })
                .await?;
            if !found {
                return Err(AppError::not_found("newsletter"));
            }
            state.outbox_wake.notify_one();
            let shown = Shown {
                notice: Some(lang.t("admin-editions-tested", &[("email", tested.into())])),
                form,
                ..Shown::default()
            };
            page_of(&req, &staff, &state, slug, StatusCode::OK, shown).await
        }
        _ => {
            let actor = staff.actor();
            let key = slug.clone();
            let id = state
                .db
                .write(move |c| -> Result<Option<i32>, DbError> {
                    let Some(newsletter) = newsletter(c, &key, false)? else {
                        return Ok(None);
                    };
                    Ok(Some(schedule(c, &newsletter, &draft, &actor, now)?.0))
                })
                .await?
                .ok_or_else(|| AppError::not_found("newsletter"))?;
            Ok(see_other(&format!(
                "/admin/newsletters/{slug}/editions?scheduled={id}"
            )))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ControlForm {
    #[serde(default)]
    action: String,
}

/// `POST /admin/newsletters/{slug}/editions/{id}` (admins): `action` is `pause`, `resume`
/// or `cancel` ([`control`]).
pub(crate) async fn control(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<ControlForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let lang = staff.frame(&req, Nav::Newsletters).lang;
    let Some(asked) = Control::parse(&form.action) else {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "invalid_action",
            "The action must be pause, resume or cancel.",
        ));
    };
    let actor = staff.actor();
    let of = slug.clone();
    let applied = state
        .db
        .write(move |c| -> Result<_, DbError> {
            let Some(newsletter) = newsletter(c, &of, true)? else {
                return Ok(Err(None));
            };
            let ours: i64 = editions::table
                .find(id)
                .filter(editions::newsletter_id.eq(newsletter.id))
                .count()
                .get_result(c)?;
            if ours == 0 {
                return Ok(Err(None));
            }
            Ok(control::apply(c, id, asked, &actor, db::now())?)
        })
        .await?;
    match applied {
        Ok(_) => {
            state.outbox_wake.notify_one();
            let done = &form.action;
            Ok(see_other(&format!(
                "/admin/newsletters/{slug}/editions?done={done}"
            )))
        }
        Err(None) => Err(AppError::not_found("edition")),
        Err(Some(status)) => Err(AppError::client(
            StatusCode::CONFLICT,
            "edition_state",
            lang.t(
                "admin-editions-cannot",
                &[(
                    "status",
                    lang.tr(&format!("admin-editions-status-{}", status.as_str()))
                        .into(),
                )],
            ),
        )),
    }
}
