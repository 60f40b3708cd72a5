//! "Remind me later": from the widget, a reader who is not ready to join leaves an address
//! for one reminder about the campaign. Double opt-in as for newsletters: `POST /remind`
//! sends a confirmation link (its hash is stored), and confirming it queues the reminder for
//! 7 days later in the same transaction. Nothing else is ever sent to that address (it does
//! not become a subscriber), an address gets one request a week per campaign, and the row is
//! purged 30 days after it was made ([`crate::retention`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::campaigns::Campaign;
use crate::campaigns::attribution::normalize_article;
use crate::campaigns::texts::Translations;
use crate::config::Settings;
use crate::db::schema::later_reminders;
use crate::db::{self, DbConnection, DbError, on_backend};
use crate::domain::EmailAddress;
use crate::email::templates::Notice;
use crate::email::{self};
use crate::i18n::Lang;
use crate::newsletters::routes::{ActionPage, MessagePage, html};
use crate::state::AppState;
use crate::tokens::{self, Rejected};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::limits::PerClient;

/// How long after confirming the reminder goes out.
pub const AFTER: Duration = Duration::days(7);
/// How long a confirmation link works.
const CONFIRM_WITHIN: Duration = Duration::hours(48);
/// How long a row is kept (then purged).
pub const KEPT: Duration = Duration::days(30);

#[derive(Template)]
#[template(path = "remind/page.html")]
struct RemindPage {
    lang: Lang,
    campaign: String,
    lead: String,
    ref_url: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    lang: Option<String>,
    r#ref: Option<String>,
}

/// `GET /remind/{campaign}`: the form the widget's "Remind me later" opens.
pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_form(&req, query.lang.as_deref());
    let slug = slug.into_inner();
    let (campaign, texts) = open_campaign(&state, slug).await?;
    html(
        StatusCode::OK,
        &RemindPage {
            lang,
            lead: lang.t(
                "remind-lead",
                &[("campaign", texts.title(&campaign, lang).to_owned().into())],
            ),
            campaign: campaign.slug,
            ref_url: query.r#ref.as_deref().and_then(normalize_article),
        },
    )
}

/// A campaign readers can see, with its texts.
async fn open_campaign(
    state: &AppState,
    slug: String,
) -> Result<(Campaign, Translations), AppError> {
    state
        .db
        .read(move |c| {
            let Some(campaign) = Campaign::by_slug(c, &slug)?.filter(|c| !c.archived) else {
                return Ok(None);
            };
            let texts = Translations::of(c, campaign.id)?;
            Ok(Some((campaign, texts)))
        })
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))
}

/// The page after a request: the same whatever happened to it.
fn sent(lang: Lang) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &MessagePage {
            lang,
            title: lang.tr("remind-sent-title"),
            body: lang.tr("remind-sent-body"),
            items: Vec::new(),
        },
    )
}

/// `POST /remind`: fields `campaign`, `email`, `lang`, `ref` (the article, optional).
pub(crate) async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let email = EmailAddress::parse(form.get("email").unwrap_or_default()).ok_or_else(|| {
        AppError::refused(
            &req,
            lang,
            StatusCode::BAD_REQUEST,
            "invalid_email",
            "remind-error-email",
        )
    })?;
    let slug = form.get("campaign").unwrap_or_default().to_owned();
    let (campaign, texts) = open_campaign(&state, slug).await?;
    if form.is_bot() {
        // A bot filled the hidden field: it gets the usual answer, and nothing happens.
        return sent(lang);
    }
    let ref_url = form
        .get("ref")
        .and_then(|r| state.stats.origins().article(r));
    let client = client_ip(&req, &state.settings.trusted_proxies);
    let app = state.clone();
    let title = texts.title(&campaign, lang).to_owned();
    state
        .db
        .write(move |conn| -> Result<Result<(), AppError>, DbError> {
            if let Err(wait) = app.subscribe_limiter.allows(conn, client)? {
                return Ok(Err(PerClient::refusal(wait, false, lang)));
            }
            let new = Request {
                campaign: campaign.id,
                title: &title,
                email: &email,
                lang,
                ref_url: ref_url.as_deref(),
            };
            new.store(conn, &app.settings, db::now())?;
            Ok(Ok(()))
        })
        .await??;
    state.outbox_wake.notify_one();
    sent(lang)
}

/// A reader's request, checked.
struct Request<'a> {
    campaign: i32,
    title: &'a str,
    email: &'a EmailAddress,
    lang: Lang,
    ref_url: Option<&'a str>,
}

impl Request<'_> {
    /// Stores it and queues its confirmation, unless the address asked for this campaign in
    /// the last [`AFTER`] (then nothing: one reminder a week at most, and no stream of
    /// confirmation emails to someone else's address).
    fn store(
        &self,
        conn: &mut DbConnection,
        settings: &Settings,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        let asked_lately = diesel::select(diesel::dsl::exists(
            later_reminders::table
                .filter(later_reminders::campaign_id.eq(self.campaign))
                .filter(later_reminders::email.eq(self.email.as_str()))
                .filter(later_reminders::created_at.gt(now - AFTER)),
        ))
        .get_result::<bool>(conn)?;
        if asked_lately {
            return Ok(());
        }
        let secret = tokens::random_secret();
        let insert = diesel::insert_into(later_reminders::table)
            .values((
                later_reminders::campaign_id.eq(self.campaign),
                later_reminders::email.eq(self.email.as_str()),
                later_reminders::lang.eq(self.lang.code()),
                later_reminders::ref_url.eq(self.ref_url),
                later_reminders::token_hash.eq(tokens::hash_of(&secret)),
                later_reminders::created_at.eq(now),
            ))
            .returning(later_reminders::id);
        let id: i32 = on_backend!(conn, |c| insert.get_result(c)?);
        let link = settings.public_url(&format!(
            "/remind/confirm?token={secret}&lang={}",
            self.lang.code()
        ));
        let notice = Notice::remind_confirm(self.lang, self.title, &link);
        let message = email::render(conn, &notice, self.email.as_str())?;
        email::queue(conn, &format!("remind_confirm:{id}"), &message)?;
        Ok(())
    }
}

/// Confirms the request whose link carried `raw`: queues its one reminder for [`AFTER`]
/// from `now`. Returns when it goes out.
fn confirm(
    conn: &mut DbConnection,
    settings: &Settings,
    raw: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<NaiveDateTime, Rejected>> {
    type Row = (
        i32,
        i32,
        String,
        String,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = later_reminders::table
        .filter(later_reminders::token_hash.eq(tokens::hash_of(raw)))
        .select((
            later_reminders::id,
            later_reminders::campaign_id,
            later_reminders::email,
            later_reminders::lang,
            later_reminders::ref_url,
            later_reminders::created_at,
            later_reminders::confirmed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, campaign_id, address, lang, ref_url, created, confirmed)) = row else {
        return Ok(Err(Rejected::Invalid));
    };
    if confirmed.is_some() {
        return Ok(Err(Rejected::Used));
    }
    if created + CONFIRM_WITHIN < now {
        return Ok(Err(Rejected::Expired));
    }
    // Only the first of two confirmations racing gets here with a row to update.
    let claimed = diesel::update(
        later_reminders::table
            .find(id)
            .filter(later_reminders::confirmed_at.is_null()),
    )
    .set(later_reminders::confirmed_at.eq(now))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(Err(Rejected::Used));
    }
    let lang = Lang::from_code(&lang);
    let campaign: Campaign = crate::db::schema::campaigns::table
        .find(campaign_id)
        .select(Campaign::as_select())
        .first(conn)?;
    let title = Translations::of(conn, campaign_id)?
        .title(&campaign, lang)
        .to_owned();
    let mut join = format!("/join/{}?lang={}", campaign.slug, lang.code());
    if let Some(article) = ref_url {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("ref", &article);
        join.push('&');
        join.push_str(&query.finish());
    }
    let notice = Notice::remind_later(lang, &title, &settings.public_url(&join));
    let message = email::render(conn, &notice, &address)?;
    let at = now + AFTER;
    email::queue_at(conn, &format!("remind_later:{id}"), &message, at)?;
    Ok(Ok(at))
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /remind/confirm?token=…`: a button that confirms (a link in an email changes
/// nothing by being opened: mail scanners follow links).
pub(crate) async fn confirm_page(query: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_code)
        .unwrap_or_default();
    html(
        StatusCode::OK,
        &ActionPage {
            lang,
            title: lang.tr("remind-confirm-title"),
            body: lang.tr("remind-confirm-body"),
            items: Vec::new(),
            action: format!("/remind/confirm?lang={}", lang.code()),
            token: Some(query.token.clone().unwrap_or_default()),
            button: lang.tr("remind-confirm-button"),
        },
    )
}

/// `POST /remind/confirm`: field `token`.
pub(crate) async fn confirm_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_code)
        .unwrap_or_default();
    let raw = Form::parse(&body)?
        .get("token")
        .unwrap_or_default()
        .to_owned();
    let app = state.clone();
    let outcome = state
        .db
        .write(move |c| -> Result<_, DbError> { Ok(confirm(c, &app.settings, &raw, db::now())?) })
        .await?;
    let at = outcome.map_err(|why| {
        let (status, code, message) = match why {
            Rejected::Invalid => (StatusCode::BAD_REQUEST, "invalid_link", "nl-link-invalid"),
            Rejected::Expired => (StatusCode::GONE, "expired_link", "nl-link-expired"),
            Rejected::Used => (StatusCode::GONE, "used_link", "nl-link-used"),
        };
        AppError::refused(&req, lang, status, code, message)
    })?;
    html(
        StatusCode::OK,
        &MessagePage {
            lang,
            title: lang.tr("remind-confirmed-title"),
            body: lang.t(
                "remind-confirmed-body",
                &[("date", at.date().to_string().into())],
            ),
            items: Vec::new(),
        },
    )
}
