//! The newsletter routes: subscribe (from any page), confirm, unsubscribe (RFC 8058) and
//! preferences. GET pages never change anything (mail scanners follow links); the POSTs do.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Newsletter, Preference};
use crate::db::{self, DbError};
use crate::domain::EmailAddress;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::tokens::{Purpose, Rejected};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::form::{Form, TextForm};
use crate::web::limits::PerClient;

#[derive(Template)]
#[template(path = "newsletters/index.html")]
struct IndexPage {
    lang: Lang,
    newsletters: Vec<Newsletter>,
}

/// A page with a message (and a list): shared by the reader-facing flows.
#[derive(Template)]
#[template(path = "newsletters/message.html")]
pub(crate) struct MessagePage {
    pub lang: Lang,
    pub title: String,
    pub body: String,
    pub items: Vec<String>,
}

/// A page with one button that POSTs (links in emails land here: a GET changes nothing).
#[derive(Template)]
#[template(path = "newsletters/action.html")]
pub(crate) struct ActionPage {
    pub lang: Lang,
    pub title: String,
    pub body: String,
    pub items: Vec<String>,
    pub action: String,
    pub token: Option<String>,
    pub button: String,
}

#[derive(Template)]
#[template(path = "newsletters/manage.html")]
struct ManagePage {
    lang: Lang,
    intro: String,
    token: String,
    preferences: Vec<Preference>,
    saved: bool,
}

pub(crate) fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = crate::branding::render(page).map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

fn message(
    status: StatusCode,
    lang: Lang,
    title: &str,
    body: &str,
    items: Vec<String>,
) -> Result<HttpResponse, AppError> {
    html(
        status,
        &MessagePage {
            lang,
            title: lang.tr(title),
            body: lang.tr(body),
            items,
        },
    )
}

/// The page for a link that does not work: invalid 400, expired or used 410.
fn rejected(lang: Lang, why: Rejected) -> Result<HttpResponse, AppError> {
    let (status, body) = match why {
        Rejected::Invalid => (StatusCode::BAD_REQUEST, "nl-link-invalid"),
        Rejected::Expired => (StatusCode::GONE, "nl-link-expired"),
        Rejected::Used => (StatusCode::GONE, "nl-link-used"),
    };
    message(status, lang, "nl-title", body, Vec::new())
}

pub(crate) async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let newsletters = state.db.read(super::public).await?;
    html(
        StatusCode::OK,
        &IndexPage {
            lang: Lang::of_request(&req),
            newsletters,
        },
    )
}

/// A subscribe form, as posted from our page or from any article.
#[derive(Debug)]
struct SubscribeForm {
    email: String,
    newsletters: Vec<String>,
    lang: Lang,
    honeypot: bool,
}

impl SubscribeForm {
    fn parse(body: &[u8]) -> Result<SubscribeForm, AppError> {
        let form = Form::parse(body)?;
        Ok(SubscribeForm {
            email: form.get("email").unwrap_or_default().to_owned(),
            newsletters: form
                .fields()
                .filter(|(name, _)| matches!(*name, "newsletter" | "newsletter[]"))
                .map(|(_, slug)| slug.to_owned())
                .collect(),
            lang: form.get("lang").map(Lang::from_code).unwrap_or_default(),
            honeypot: form.is_bot(),
        })
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The newsletters a form names (the first public one when it names none), or the error
/// for a name that is not one of them.
fn pick(all: &[Newsletter], slugs: &[String]) -> Result<Vec<Newsletter>, AppError> {
    let mut picked: Vec<Newsletter> = Vec::new();
    if slugs.is_empty() {
        picked.extend(all.first().cloned());
    }
    for slug in slugs {
        match all.iter().find(|n| &n.slug == slug) {
            Some(n) if !picked.iter().any(|p| p.id == n.id) => picked.push(n.clone()),
            Some(_) => {}
            None => {
                return Err(AppError::client(
                    StatusCode::BAD_REQUEST,
                    "unknown_newsletter",
                    format!("There is no newsletter called {slug:?}."),
                ));
            }
        }
    }
    if picked.is_empty() {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "unknown_newsletter",
            "There are no newsletters yet.",
        ));
    }
    Ok(picked)
}

/// The one answer every well-formed address gets.
fn subscribed(json: bool, lang: Lang) -> Result<HttpResponse, AppError> {
    if json {
        return Ok(HttpResponse::Ok()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({
                "status": "subscribed",
                "message": format!("{}. {}", lang.tr("nl-subscribed-title"), lang.tr("nl-subscribed-body")),
            })));
    }
    let mut res = message(
        StatusCode::OK,
        lang,
        "nl-subscribed-title",
        "nl-subscribed-body",
        Vec::new(),
    )?;
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    Ok(res)
}

pub(crate) async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let json = wants_json(&req);
    let form = SubscribeForm::parse(&body).map_err(|e| e.json(json))?;
    let Some(email) = EmailAddress::parse(&form.email) else {
        return Err(AppError::client(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            "Please enter a valid email address, like name@example.org.",
        )
        .json(json));
    };
    if form.honeypot {
        // A bot filled the hidden field: it gets the usual answer, and nothing happens.
        return subscribed(json, form.lang);
    }
    let slugs = form.newsletters;
    let settings = state.clone();
    let lang = form.lang;
    let client = client_ip(&req, &state.settings.trusted_proxies);
    // One transaction, the client's limit and the newsletter lookup included: the sign-up is
    // the hot write path.
    state
        .db
        .write(move |conn| -> Result<_, DbError> {
            if let Err(wait) = settings.subscribe_limiter.allows(conn, client)? {
                return Ok(Err(PerClient::refusal(wait, json, lang)));
            }
            let requested = match pick(&super::public(conn)?, &slugs) {
                Ok(requested) => requested,
                Err(unknown) => return Ok(Err(unknown)),
            };
            super::subscribe(
                conn,
                &settings.settings,
                &email,
                &requested,
                lang,
                db::now(),
            )?;
            Ok(Ok(()))
        })
        .await
        .map_err(AppError::from)
        .and_then(|picked| picked)
        .map_err(|e| e.json(json))?;
    state.outbox_wake.notify_one();
    subscribed(json, form.lang)
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

impl TokenQuery {
    fn token(&self) -> String {
        self.token.clone().unwrap_or_default()
    }
}

/// The page a link from an email opens: what the token is for, and a button that posts it.
/// Showing it changes nothing (mail scanners follow links).
async fn token_page(
    req: &HttpRequest,
    state: &AppState,
    query: &TokenQuery,
    purpose: Purpose,
    page: impl FnOnce(Lang, String, Vec<String>) -> ActionPage,
) -> Result<HttpResponse, AppError> {
    let (lang, token) = (Lang::of_request(req), query.token());
    let raw = token.clone();
    match state
        .db
        .read(move |c| super::preview(c, purpose, &raw, db::now()))
        .await?
    {
        Ok(items) => html(StatusCode::OK, &page(lang, token, items)),
        Err(why) => rejected(lang, why),
    }
}

pub(crate) async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    token_page(
        &req,
        &state,
        &query,
        Purpose::Confirm,
        |lang, token, items| ActionPage {
            lang,
            title: lang.tr("nl-confirm-title"),
            body: lang.tr("nl-confirm-body"),
            items,
            action: format!("/newsletters/confirm?lang={}", lang.code()),
            token: Some(token),
            button: lang.tr("nl-confirm-button"),
        },
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    token: String,
}

pub(crate) async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    TextForm(form): TextForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let app = state.clone();
    let outcome = state
        .db
        .write(move |c| -> Result<_, DbError> {
            Ok(super::confirm(c, &app.settings, &form.token, db::now())?)
        })
        .await?;
    match outcome {
        Ok(items) => {
            state.outbox_wake.notify_one();
            message(
                StatusCode::OK,
                lang,
                "nl-confirmed-title",
                "nl-confirmed-body",
                items,
            )
        }
        Err(why) => rejected(lang, why),
    }
}

pub(crate) async fn unsubscribe_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    token_page(
        &req,
        &state,
        &query,
        Purpose::Unsubscribe,
        |lang, token, items| {
            ActionPage {
                lang,
                title: lang.tr("nl-unsubscribe-title"),
                body: lang.tr("nl-unsubscribe-body"),
                items,
                // The same URL a mail client's one-click POST uses (RFC 8058).
                action: format!(
                    "/unsubscribe?token={}&lang={}",
                    url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
                    lang.code()
                ),
                token: None,
                button: lang.tr("nl-unsubscribe-button"),
            }
        },
    )
    .await
}

/// RFC 8058 one-click (body `List-Unsubscribe=One-Click`) and our own page's button alike;
/// no cookie is needed.
pub(crate) async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let (lang, raw) = (Lang::of_request(&req), query.token());
    let outcome = state
        .db
        .write(move |c| -> Result<_, DbError> { Ok(super::unsubscribe(c, &raw, db::now())?) })
        .await?;
    match outcome {
        Ok(items) => message(
            StatusCode::OK,
            lang,
            "nl-unsubscribed-title",
            "nl-unsubscribed-body",
            items,
        ),
        Err(why) => rejected(lang, why),
    }
}

pub(crate) async fn manage_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let (lang, token) = (Lang::of_request(&req), query.token());
    let raw = token.clone();
    match state
        .db
        .read(move |c| super::preferences(c, &raw, db::now()))
        .await?
    {
        Ok((email, preferences)) => html(
            StatusCode::OK,
            &manage(lang, &email, token, preferences, false),
        ),
        Err(why) => rejected(lang, why),
    }
}

fn manage(
    lang: Lang,
    email: &str,
    token: String,
    preferences: Vec<Preference>,
    saved: bool,
) -> ManagePage {
    let intro = lang.t("nl-manage-body", &[("email", email.to_owned().into())]);
    ManagePage {
        lang,
        intro,
        token,
        preferences,
        saved,
    }
}

pub(crate) async fn save_manage(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let token = form.get("token").unwrap_or_default().to_owned();
    let chosen: Vec<String> = form.all("newsletter").map(str::to_owned).collect();
    let raw = token.clone();
    let outcome = state
        .db
        .write(move |c| -> Result<_, DbError> {
            let now = db::now();
            Ok(match super::save_preferences(c, &raw, &chosen, now)? {
                Ok(()) => super::preferences(c, &raw, now)?,
                Err(why) => Err(why),
            })
        })
        .await?;
    match outcome {
        Ok((email, preferences)) => html(
            StatusCode::OK,
            &manage(lang, &email, token, preferences, true),
        ),
        Err(why) => rejected(lang, why),
    }
}
