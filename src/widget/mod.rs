//! The embeddable progress widget. Every handler here reads the in-memory progress board and
//! never the database, so the widget takes an outlet's whole read load and keeps answering
//! while the database is down.

mod snippet;
mod view;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;
use bytes::Bytes;
use serde::Deserialize;

use crate::campaigns::attribution::Hit;
use crate::campaigns::board::Snapshot;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::error::AppError;
pub use snippet::{FRAME_HEIGHT_PX, iframe_snippet};
pub use view::count_text;
use view::{FramePage, SvgImage, WidgetView};

/// Browsers and CDNs may keep a widget answer this long, then revalidate in the background.
const CACHE_CONTROL: &str = "public, max-age=5, stale-while-revalidate=60";
/// Live streams send a comment this often so that proxies keep them open.
const KEEPALIVE: Duration = Duration::from_secs(25);

/// Display options shared by the iframe page and the SVG.
#[derive(Debug, Deserialize, Default)]
pub struct Options {
    lang: Option<String>,
    theme: Option<String>,
    compact: Option<String>,
    join: Option<String>,
    r#ref: Option<String>,
}

fn snapshot(state: &AppState, slug: &str, json: bool) -> Result<Arc<Snapshot>, AppError> {
    state
        .board
        .get(slug)
        .ok_or_else(|| AppError::not_found("campaign").json(json))
}

/// A public, cacheable, cookie-free answer that any origin may read, or 304 when the
/// caller's copy is current.
fn cached(
    req: &HttpRequest,
    etag: HeaderValue,
    content_type: &'static str,
) -> Result<HttpResponseBuilder, HttpResponse> {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                t.trim().trim_start_matches("W/").as_bytes() == etag.as_bytes() || t.trim() == "*"
            })
        });
    // The widget's answers are the site's whole read load: their header values are made
    // once (static, or kept with the snapshot), not parsed and copied on each request.
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    if fresh {
        builder.status(StatusCode::NOT_MODIFIED);
        return Err(builder.finish());
    }
    Ok(builder)
}

/// `GET /widget/{campaign}.json`. The slug is read from the match, not extracted: this is
/// the busiest route, and its slugs are plain ASCII.
pub(crate) async fn json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let slug = req.match_info().get("campaign").unwrap_or_default();
    let snap = snapshot(&state, slug, true)?;
    let (json, etag) = snap.json_in(Lang::of_query(req.query_string()));
    Ok(match cached(&req, etag.clone(), "application/json") {
        Ok(mut ok) => ok.body(json.clone()),
        Err(not_modified) => not_modified,
    })
}

pub(crate) async fn svg(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    options: web::Query<Options>,
) -> Result<HttpResponse, AppError> {
    let snap = snapshot(&state, &slug, false)?;
    let view = WidgetView::new(&snap, &options, chrono::Utc::now());
    // The validator of the JSON in the same language: it changes with the title shown.
    let (_, etag) = snap.json_in(options.chosen());
    let base = etag.to_str().unwrap_or_default().trim_end_matches('"');
    let etag = HeaderValue::from_str(&format!("{base}-{}\"", view.lang.code()))
        .map_err(AppError::internal)?;
    Ok(match cached(&req, etag, "image/svg+xml") {
        Ok(mut ok) => ok.body(
            SvgImage { view: &view }
                .render()
                .map_err(AppError::internal)?,
        ),
        Err(not_modified) => not_modified,
    })
}

pub(crate) async fn frame(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    options: web::Query<Options>,
) -> Result<HttpResponse, AppError> {
    let snap = snapshot(&state, &slug, false)?;
    let view = WidgetView::new(&snap, &options, chrono::Utc::now());
    let html = FramePage {
        view: &view,
        slug: &slug,
    }
    .render()
    .map_err(AppError::internal)?;
    let csp = format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; \
         img-src 'self' data:; base-uri 'none'; frame-ancestors {}",
        state.settings.widget_ancestors
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .content_type("text/html; charset=utf-8")
        .body(html))
}

static EMBED_JS: &str = include_str!("../../static/embed.js");
static EMBED_JS_ETAG: LazyLock<HeaderValue> =
    LazyLock::new(|| crate::web::strong_etag(EMBED_JS.as_bytes()));

pub(crate) async fn embed_js(req: HttpRequest) -> HttpResponse {
    match cached(
        &req,
        EMBED_JS_ETAG.clone(),
        "text/javascript; charset=utf-8",
    ) {
        Ok(mut ok) => ok
            .insert_header((
                header::CACHE_CONTROL,
                "public, max-age=300, stale-while-revalidate=86400",
            ))
            .body(EMBED_JS),
        Err(not_modified) => not_modified,
    }
}

/// `GET /widget/demo`: an article embedding the widget every way, with the codes to copy.
/// Its hits never count: it is our page, not an article (`ArticleOrigins`).
pub(crate) async fn demo(state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    let iframe = iframe_snippet(base, "members", "Membership campaign progress");
    let page = include_str!("../../static/demo.html")
        .replace("{{IFRAME}}", &iframe)
        .replace("{{IFRAME_CODE}}", &crate::web::charts::escape(&iframe))
        .replace("{{BASE_URL}}", base);
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            crate::web::csp_allowing_script(&snippet::listener_hash()),
        ))
        .content_type("text/html; charset=utf-8")
        .body(page)
}

pub(crate) async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let rx = state
        .board
        .subscribe(&slug)
        .ok_or_else(|| AppError::not_found("campaign").json(true))?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        // Compression would buffer events; proxies must not buffer them either.
        .insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ))
        .insert_header(("x-accel-buffering", "no"));
    if req.method() == Method::HEAD {
        // The stream never ends by itself, and actix reads a HEAD answer's body to its end
        // (and drops it): the same headers, then an empty stream.
        let none = futures_util::stream::empty::<Result<Bytes, actix_web::Error>>();
        return Ok(response.streaming(none));
    }
    let stopping = state.stopping.clone();
    let lang = Lang::of_query(req.query_string());
    let stream = futures_util::stream::unfold(
        (rx, stopping, true),
        move |(mut rx, mut stopping, first)| async move {
            if first {
                let chunk = sse_event(&rx.borrow_and_update(), lang);
                return Some((Ok::<_, actix_web::Error>(chunk), (rx, stopping, false)));
            }
            let chunk = tokio::select! {
                changed = rx.changed() => match changed {
                    Ok(()) => sse_event(&rx.borrow_and_update(), lang),
                    Err(_) => return None, // the campaign left the board
                },
                _ = tokio::time::sleep(KEEPALIVE) => Bytes::from_static(b": keepalive\n\n"),
                _ = stopping.wait_for(|s| *s) => return None,
            };
            Some((Ok(chunk), (rx, stopping, false)))
        },
    );
    Ok(response.streaming(stream))
}

fn sse_event(snap: &Snapshot, lang: Option<Lang>) -> Bytes {
    let (json, _) = snap.json_in(lang);
    let mut out = Vec::with_capacity(json.len() + 32);
    out.extend_from_slice(b"retry: 5000\ndata: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

#[derive(Deserialize)]
struct HitForm {
    event: String,
    r#ref: String,
    /// The appeal's variant the widget showed, if the campaign has two.
    #[serde(default)]
    variant: String,
}

/// Counts a view or a join click for an article. Answers 204 whatever happens to the hit,
/// so it tells a caller nothing; malformed hits, articles on other sites and hits beyond the
/// client's limit are dropped.
pub(crate) async fn hit(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let no_content = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .finish();
    let Ok(form) = crate::web::form::deserialize::<HitForm>(&body) else {
        return no_content;
    };
    let kind = match form.event.as_str() {
        "view" => Hit::View,
        "click" => Hit::Click,
        _ => return no_content,
    };
    if let Some(snap) = state.board.get(&slug) {
        let client = client_ip(&req, &state.settings.trusted_proxies);
        state.stats.record(
            client,
            snap.campaign_id(),
            &form.r#ref,
            kind,
            form.variant.parse().ok(),
        );
    }
    no_content
}

impl Options {
    /// The language `?lang=` asks for, if we speak it.
    fn chosen(&self) -> Option<Lang> {
        self.lang.as_deref().and_then(Lang::parse)
    }

    /// The language of the widget's own words (English unless `?lang=` asks for another).
    fn lang(&self) -> Lang {
        self.chosen().unwrap_or_default()
    }
}
