//! `/admin/newsletters`: subscribers and their movement per newsletter, and creating, editing
//! and archiving newsletters (archived ones leave the public page and the subscribe form).
//! Every change writes its audit entry in the same transaction.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{case_when, count_star, sum};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use fluent_bundle::FluentValue;
use serde::{Deserialize, Serialize};

use crate::admin::reply::message;
use crate::admin::{Frame, Nav, Role, render, render_status};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::{newsletter_subscriptions, newsletters};
use crate::db::{self, DbConnection, DbError, on_backend};
use crate::domain::{OptIn, Slug};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

/// "Gained" and "unsubscribes" count this far back.
const RECENT: Duration = Duration::days(30);
/// The longest name, in characters.
const MAX_NAME: usize = 100;
/// The longest description, in characters.
const MAX_DESCRIPTION: usize = 500;
/// The languages a newsletter may be written in.
const LANGUAGES: [&str; 2] = ["en", "uk"];

/// A newsletter with everything staff may change.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = newsletters)]
struct Stored {
    id: i32,
    slug: String,
    name: String,
    description: String,
    language: String,
    position: i32,
    archived: bool,
    public_archive: bool,
}

/// Subscribers of one newsletter.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    confirmed: i64,
    pending: i64,
    /// Confirmed within [`RECENT`].
    gained: i64,
    /// Unsubscribed within [`RECENT`].
    left: i64,
}

/// Newsletter, status, subscriptions, of them confirmed and unsubscribed within [`RECENT`].
type StatusFigures = (i32, OptIn, i64, Option<i64>, Option<i64>);

/// Every newsletter in display order, with its figures as of `now`.
fn overview(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<(Stored, Figures)>> {
    let list: Vec<Stored> = newsletters::table
        .order((newsletters::position, newsletters::id))
        .select(Stored::as_select())
        .load(conn)?;
    let since = now - RECENT;
    let one = || 1.into_sql::<Integer>();
    let rows: Vec<StatusFigures> = newsletter_subscriptions::table
        .group_by((
            newsletter_subscriptions::newsletter_id,
            newsletter_subscriptions::status,
        ))
        .select((
            newsletter_subscriptions::newsletter_id,
            newsletter_subscriptions::status,
            count_star(),
            // Flows: a reader who confirmed and left within the period counts in both.
            sum(case_when(newsletter_subscriptions::confirmed_at.ge(since), one()).otherwise(0)),
            sum(case_when(newsletter_subscriptions::unsubscribed_at.ge(since), one()).otherwise(0)),
        ))
        .load(conn)?;
    let mut figures: HashMap<i32, Figures> = HashMap::new();
    for (id, status, n, gained, left) in rows {
        let f = figures.entry(id).or_default();
        match status {
            OptIn::Confirmed => f.confirmed = n,
            OptIn::Pending => f.pending = n,
            OptIn::Unsubscribed => {}
        }
        f.gained += gained.unwrap_or_default();
        f.left += left.unwrap_or_default();
    }
    Ok(list
        .into_iter()
        .map(|n| {
            let f = figures.get(&n.id).copied().unwrap_or_default();
            (n, f)
        })
        .collect())
}

fn by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Stored>> {
    newsletters::table
        .filter(newsletters::slug.eq(slug))
        .select(Stored::as_select())
        .first(conn)
        .optional()
}

/// What a redirect after a change tells the list to say.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Done {
    Created,
    Saved,
    Unchanged,
    Archived,
    Restored,
}

impl Done {
    fn message_id(self) -> &'static str {
        match self {
            Done::Created => "admin-newsletters-created",
            Done::Saved => "admin-newsletters-saved",
            Done::Unchanged => "admin-newsletters-unchanged",
            Done::Archived => "admin-newsletters-archived-notice",
            Done::Restored => "admin-newsletters-restored",
        }
    }

    /// Where the browser goes after the change to `slug`.
    fn location(self, slug: &str) -> String {
        let query = ListQuery {
            done: Some(self),
            slug: Some(slug.to_owned()),
        };
        let query = serde_urlencoded::to_string(&query).expect("a query serialises");
        format!("/admin/newsletters?{query}")
    }
}

/// A newsletter as the list shows it.
struct Line {
    slug: String,
    name: String,
    language: String,
    confirmed: String,
    pending: String,
    gained: String,
    left: String,
    archived: bool,
}

#[derive(Template)]
#[template(path = "admin/newsletters.html")]
struct ListPage {
    frame: Frame,
    lines: Vec<Line>,
    notice: Option<String>,
    can_edit: bool,
}

/// The notice after a change.
#[derive(Deserialize, Serialize)]
pub(crate) struct ListQuery {
    done: Option<Done>,
    slug: Option<String>,
}

/// `GET /admin/newsletters`
pub(crate) async fn list(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let rows = state.db.read(|c| overview(c, db::now())).await?;
    let frame = staff.frame(&req, Nav::Newsletters);
    let lang = frame.lang;
    let notice = query.done.map(|done| {
        let slug = query.slug.clone().unwrap_or_default();
        lang.t(done.message_id(), &[("slug", FluentValue::from(slug))])
    });
    let lines = rows
        .into_iter()
        .map(|(n, f)| Line {
            slug: n.slug,
            name: n.name,
            language: language_name(lang, &n.language),
            confirmed: lang.number(f.confirmed),
            pending: lang.number(f.pending),
            gained: lang.number(f.gained),
            left: lang.number(f.left),
            archived: n.archived,
        })
        .collect();
    render(&ListPage {
        frame,
        lines,
        notice,
        can_edit: staff.role == Role::Admin,
    })
}

fn language_name(lang: Lang, code: &str) -> String {
    if LANGUAGES.contains(&code) {
        lang.tr(&format!("admin-newsletters-language-{code}"))
    } else {
        code.to_owned()
    }
}

/// The newsletter form as posted (and as shown again with its errors).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct NewsletterForm {
    slug: String,
    name: String,
    description: String,
    language: String,
    position: String,
    /// `on` when its sent editions are published.
    public_archive: Option<String>,
}

impl From<&Stored> for NewsletterForm {
    fn from(n: &Stored) -> Self {
        NewsletterForm {
            slug: n.slug.clone(),
            name: n.name.clone(),
            description: n.description.clone(),
            language: n.language.clone(),
            position: n.position.to_string(),
            public_archive: n.public_archive.then(|| "on".to_owned()),
        }
    }
}

/// What staff may change of a newsletter, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Fields {
    name: String,
    description: String,
    language: String,
    position: i32,
    public_archive: bool,
}

/// The form's errors, each shown next to its field (translated).
#[derive(Debug, Default)]
struct Errors {
    slug: Option<String>,
    name: Option<String>,
    description: Option<String>,
    language: Option<String>,
    position: Option<String>,
}

impl Errors {
    fn is_empty(&self) -> bool {
        [
            &self.slug,
            &self.name,
            &self.description,
            &self.language,
            &self.position,
        ]
        .iter()
        .all(|e| e.is_none())
    }
}

impl NewsletterForm {
    /// The fields, or the errors (the slug is checked only when `creating`).
    fn check(&self, lang: Lang, creating: bool) -> Result<Fields, Errors> {
        let name = self.name.trim();
        let description = self.description.trim();
        let position = self.position.trim();
        let mut errors = Errors::default();
        let error = |ok: bool, id: &str| (!ok).then(|| lang.tr(id));
        if creating {
            errors.slug = error(
                Slug::parse(&self.slug).is_some(),
                "admin-newsletters-bad-slug",
            );
        }
        errors.name = error(
            !name.is_empty() && name.chars().count() <= MAX_NAME,
            "admin-newsletters-bad-name",
        );
        errors.description = error(
            description.chars().count() <= MAX_DESCRIPTION,
            "admin-newsletters-bad-description",
        );
        errors.language = error(
            LANGUAGES.contains(&self.language.as_str()),
            "admin-newsletters-bad-language",
        );
        let position = if position.is_empty() {
            Ok(0)
        } else {
            position.parse::<i32>()
        };
        errors.position = error(position.is_ok(), "admin-newsletters-bad-position");
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Fields {
            name: name.to_owned(),
            description: description.to_owned(),
            language: self.language.clone(),
            position: position.unwrap_or_default(),
            public_archive: self.public_archive.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "admin/newsletter_form.html")]
struct FormPage {
    frame: Frame,
    /// `None` on the creation form.
    editing: Option<Stored>,
    form: NewsletterForm,
    errors: Errors,
    /// (code, translated name, selected)
    languages: Vec<(&'static str, String, bool)>,
    can_edit: bool,
}

fn form_page(
    staff: &StaffSession,
    req: &HttpRequest,
    status: StatusCode,
    editing: Option<Stored>,
    form: NewsletterForm,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(req, Nav::Newsletters);
    let lang = frame.lang;
    let languages = LANGUAGES
        .iter()
        .map(|code| (*code, language_name(lang, code), form.language == *code))
        .collect();
    render_status(
        status,
        &FormPage {
            frame,
            editing,
            form,
            errors,
            languages,
            can_edit: staff.role == Role::Admin,
        },
    )
}

fn unknown(staff: &StaffSession, req: &HttpRequest) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(req, Nav::Newsletters);
    let lang = frame.lang;
    message(
        frame,
        StatusCode::NOT_FOUND,
        &lang.tr("admin-not-found"),
        &lang.tr("admin-newsletters-unknown"),
        "/admin/newsletters",
    )
}

/// `GET /admin/newsletters/new` (admins)
pub(crate) async fn new(req: HttpRequest, staff: StaffSession) -> Result<HttpResponse, AppError> {
    let form = NewsletterForm {
        language: Lang::of_request(&req).code().to_owned(),
        position: "0".to_owned(),
        ..NewsletterForm::default()
    };
    form_page(&staff, &req, StatusCode::OK, None, form, Errors::default())
}

/// `POST /admin/newsletters` (admins)
pub(crate) async fn create(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<NewsletterForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let fields = match form.check(lang, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return form_page(&staff, &req, StatusCode::BAD_REQUEST, None, form, errors);
        }
    };
    let slug = form.slug.trim().to_owned();
    let actor = staff.actor();
    // The insert itself decides whether the slug is free (`newsletters_slug_key`).
    let created = {
        let slug = slug.clone();
        state
            .db
            .write(move |c| -> Result<bool, DbError> {
                let insert = diesel::insert_into(newsletters::table)
                    .values((
                        newsletters::slug.eq(&slug),
                        newsletters::name.eq(&fields.name),
                        newsletters::description.eq(&fields.description),
                        newsletters::language.eq(&fields.language),
                        newsletters::position.eq(fields.position),
                        newsletters::public_archive.eq(fields.public_archive),
                    ))
                    .on_conflict(newsletters::slug)
                    .do_nothing();
                if on_backend!(c, |c| insert.execute(c)?) == 0 {
                    return Ok(false);
                }
                let details = serde_json::to_value(&fields).expect("fields serialise");
                audit::record(
                    c,
                    &actor,
                    "newsletter.create",
                    "newsletter",
                    &slug,
                    &details,
                )?;
                Ok(true)
            })
            .await?
    };
    if created {
        return Ok(see_other(&Done::Created.location(&slug)));
    }
    let errors = Errors {
        slug: Some(lang.tr("admin-newsletters-slug-taken")),
        ..Errors::default()
    };
    form_page(&staff, &req, StatusCode::BAD_REQUEST, None, form, errors)
}

/// `GET /admin/newsletters/{slug}`: the edit form (read-only for viewers).
pub(crate) async fn edit(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(stored) = state.db.read(move |c| by_slug(c, &slug)).await? else {
        return unknown(&staff, &req);
    };
    let form = NewsletterForm::from(&stored);
    form_page(
        &staff,
        &req,
        StatusCode::OK,
        Some(stored),
        form,
        Errors::default(),
    )
}

/// `POST /admin/newsletters/{slug}` (admins): saves name, description, language and position.
pub(crate) async fn save(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<NewsletterForm>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let lookup = slug.clone();
    let Some(stored) = state.db.read(move |c| by_slug(c, &lookup)).await? else {
        return unknown(&staff, &req);
    };
    let form = NewsletterForm {
        slug: stored.slug.clone(),
        ..form
    };
    let fields = match form.check(Lang::of_request(&req), false) {
        Ok(fields) => fields,
        Err(errors) => {
            return form_page(
                &staff,
                &req,
                StatusCode::BAD_REQUEST,
                Some(stored),
                form,
                errors,
            );
        }
    };
    let actor = staff.actor();
    let changed = state
        .db
        .write(move |c| -> Result<bool, DbError> {
            // Compared with the row as it is now, inside the transaction.
            let Some(current) = by_slug(c, &slug)? else {
                return Ok(false);
            };
            let before = Fields {
                name: current.name,
                description: current.description,
                language: current.language,
                position: current.position,
                public_archive: current.public_archive,
            };
            if before == fields {
                return Ok(false);
            }
            diesel::update(newsletters::table.find(current.id))
                .set((
                    newsletters::name.eq(&fields.name),
                    newsletters::description.eq(&fields.description),
                    newsletters::language.eq(&fields.language),
                    newsletters::position.eq(fields.position),
                    newsletters::public_archive.eq(fields.public_archive),
                ))
                .execute(c)?;
            audit::record(
                c,
                &actor,
                "newsletter.update",
                "newsletter",
                &slug,
                &serde_json::json!({"before": before, "after": fields}),
            )?;
            Ok(true)
        })
        .await?;
    let done = if changed {
        Done::Saved
    } else {
        Done::Unchanged
    };
    Ok(see_other(&done.location(&stored.slug)))
}

#[derive(Deserialize)]
pub(crate) struct ArchiveForm {
    /// Archive (`true`) or bring back (`false`).
    archived: bool,
}

/// `POST /admin/newsletters/{slug}/archive` (admins): archives or brings back a newsletter.
pub(crate) async fn archive(
    req: HttpRequest,
    StaffForm {
        staff,
        form: ArchiveForm { archived },
    }: StaffForm<ArchiveForm>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let actor = staff.actor();
    let lookup = slug.clone();
    let found = state
        .db
        .write(move |c| -> Result<Option<bool>, DbError> {
            let Some(current) = by_slug(c, &lookup)? else {
                return Ok(None);
            };
            if current.archived == archived {
                return Ok(Some(false));
            }
            diesel::update(newsletters::table.find(current.id))
                .set(newsletters::archived.eq(archived))
                .execute(c)?;
            let action = if archived {
                "newsletter.archive"
            } else {
                "newsletter.unarchive"
            };
            audit::record(
                c,
                &actor,
                action,
                "newsletter",
                &lookup,
                &serde_json::json!({"archived": archived}),
            )?;
            Ok(Some(true))
        })
        .await?;
    let done = match found {
        None => return unknown(&staff, &req),
        Some(false) => Done::Unchanged,
        Some(true) if archived => Done::Archived,
        Some(true) => Done::Restored,
    };
    Ok(see_other(&done.location(&slug)))
}
