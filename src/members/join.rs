//! Joining: the campaign's appeal page, and `POST /join`, which validates everything and sends
//! the reader to Stripe Checkout. It writes nothing, here or at Stripe, for the address typed
//! in, and its answer does not depend on whose address it is: the member is made when
//! Checkout completes (`payments::sync`).

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::thanks;
use crate::campaigns::Campaign;
use crate::campaigns::attribution::{ArticleOrigins, normalize_article};
use crate::campaigns::board::Progress;
use crate::campaigns::texts::Translations;
use crate::campaigns::tier_texts;
use crate::db::schema::tiers;
use crate::db::{DbConnection, DbError};
use crate::domain::{AppealVariant, BillingInterval, EmailAddress, parse_major};
use crate::i18n::Lang;
use crate::payments::client::CheckoutRequest;
use crate::payments::{failures, meta};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::{posting_to_stripe, see_other};

/// The campaign `/join` shows.
pub const DEFAULT_CAMPAIGN: &str = "members";

/// A tier row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tiers)]
pub struct Tier {
    /// Row id.
    pub id: i32,
    /// URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// One line about it.
    pub description: String,
    /// Minor units a month, if offered monthly.
    pub monthly_amount: Option<i64>,
    /// Minor units a year, if offered yearly.
    pub yearly_amount: Option<i64>,
}

/// A campaign's public tiers, named and described for a reader of `lang` (the tier's own
/// words where none are written in it).
pub fn tiers_of(conn: &mut DbConnection, campaign_id: i32, lang: Lang) -> QueryResult<Vec<Tier>> {
    let mut tiers: Vec<Tier> = tiers::table
        .filter(tiers::campaign_id.eq(campaign_id))
        .filter(tiers::archived.eq(false))
        .order((tiers::position, tiers::id))
        .select(Tier::as_select())
        .load(conn)?;
    let ids: Vec<i32> = tiers.iter().map(|t| t.id).collect();
    let mut written = tier_texts::written(conn, &ids, lang)?;
    for tier in &mut tiers {
        if let Some(text) = written.remove(&tier.id) {
            if !text.name.is_empty() {
                tier.name = text.name;
            }
            if !text.description.is_empty() {
                tier.description = text.description;
            }
        }
    }
    Ok(tiers)
}

struct TierView {
    slug: String,
    name: String,
    description: String,
    monthly: String,
    yearly: String,
}

#[derive(Template)]
#[template(path = "join/page.html")]
struct JoinPage {
    lang: Lang,
    progress: Progress,
    count_text: String,
    description: String,
    enabled: bool,
    tiers: Vec<TierView>,
    presets: Vec<(i64, String)>,
    custom_label: String,
    ref_url: Option<String>,
    /// The appeal's variant the reader saw in the widget, passed on with the form.
    variant: Option<AppealVariant>,
}

/// The join page's query (its `lang` is read with the request's, by `Lang::of_request`).
#[derive(Deserialize)]
pub(crate) struct PageQuery {
    r#ref: Option<String>,
    variant: Option<String>,
}

pub(crate) async fn default_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    render_page(&state, DEFAULT_CAMPAIGN, &query, Lang::of_request(&req)).await
}

pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    render_page(&state, &slug, &query, Lang::of_request(&req)).await
}

/// The join page of `slug` for a reader of `lang` (from `?lang=`, else their browser's).
async fn render_page(
    state: &AppState,
    slug: &str,
    query: &PageQuery,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let snap = state
        .board
        .get(slug)
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let slug_owned = slug.to_owned();
    let (campaign, translations, tiers) = state
        .db
        .read(move |c| {
            let campaign =
                Campaign::by_slug(c, &slug_owned)?.ok_or(diesel::result::Error::NotFound)?;
            let translations = Translations::of(c, campaign.id)?;
            let tiers = tiers_of(c, campaign.id, lang)?;
            Ok((campaign, translations, tiers))
        })
        .await?;
    let money = |minor: i64| lang.money(minor, &campaign.currency);
    let tiers = tiers
        .into_iter()
        .map(|t| TierView {
            monthly: t
                .monthly_amount
                .map(|a| lang.t("join-per-month", &[("amount", money(a).into())]))
                .unwrap_or_default(),
            yearly: t
                .yearly_amount
                .map(|a| lang.t("join-per-year", &[("amount", money(a).into())]))
                .unwrap_or_default(),
            slug: t.slug,
            name: t.name,
            description: t.description,
        })
        .collect();
    let presets = serde_json::from_str::<Vec<i64>>(&campaign.donation_presets)
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a, money(a)))
        .collect();
    let progress = Progress {
        title: translations.title(&campaign, lang).to_owned(),
        ..snap.progress.clone()
    };
    let count_text = crate::widget::count_text(&progress, lang);
    let page = JoinPage {
        lang,
        count_text,
        description: translations.description(&campaign, lang).to_owned(),
        enabled: state.stripe.is_some(),
        tiers,
        presets,
        custom_label: lang.t(
            "join-custom",
            &[("currency", campaign.currency.to_uppercase().into())],
        ),
        ref_url: query.r#ref.as_deref().and_then(normalize_article),
        variant: query.variant.as_deref().and_then(|v| v.parse().ok()),
        progress,
    };
    let html = crate::branding::render(&page).map_err(AppError::internal)?;
    let res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html);
    posting_to_stripe(res, &state.payment_csp)
}

/// A join form as posted.
#[derive(Debug)]
struct JoinForm {
    email: String,
    tier: Option<String>,
    amount: Option<String>,
    custom_amount: Option<String>,
    interval: String,
    campaign: Option<String>,
    r#ref: Option<String>,
    variant: Option<AppealVariant>,
    lang: Lang,
    honeypot: bool,
}

impl JoinForm {
    fn parse(body: &[u8]) -> Result<JoinForm, AppError> {
        let form = Form::parse(body)?;
        let text = |name| form.get(name).unwrap_or_default().to_owned();
        let non_empty = |name| {
            form.get(name)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_owned)
        };
        Ok(JoinForm {
            email: text("email"),
            tier: non_empty("tier"),
            amount: non_empty("amount"),
            custom_amount: non_empty("custom_amount"),
            interval: text("interval"),
            campaign: non_empty("campaign"),
            r#ref: non_empty("ref"),
            // A variant we do not know is no variant: the join goes on uncredited.
            variant: form.get("variant").and_then(|v| v.parse().ok()),
            lang: form.get("lang").map(Lang::from_code).unwrap_or_default(),
            honeypot: form.is_bot(),
        })
    }
}

/// A validated join request.
#[derive(Debug, Clone)]
struct JoinRequest {
    campaign: Campaign,
    tier: Option<Tier>,
    interval: BillingInterval,
    amount: i64,
    email: Option<EmailAddress>,
    ref_url: Option<String>,
    variant: Option<AppealVariant>,
    lang: Lang,
}

fn bad(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::client(StatusCode::BAD_REQUEST, code, message)
}

fn validate(
    form: JoinForm,
    campaign: Option<Campaign>,
    tiers: &[Tier],
    articles: &ArticleOrigins,
) -> Result<JoinRequest, AppError> {
    let campaign = campaign
        .filter(|c| !c.archived)
        .ok_or_else(|| bad("unknown_campaign", "There is no such campaign."))?;
    let interval: BillingInterval = form
        .interval
        .parse()
        .map_err(|_| bad("invalid_interval", "Choose monthly, yearly or once."))?;
    // Optional: Checkout asks for it when it is not given.
    let email = match form.email.trim() {
        "" => None,
        typed => Some(EmailAddress::parse(typed).ok_or_else(|| {
            bad(
                "invalid_email",
                "Please enter a valid email address, like name@example.org.",
            )
        })?),
    };
    let custom = match &form.custom_amount {
        Some(raw) => Some(
            parse_major(raw)
                .ok_or_else(|| bad("invalid_amount", "The amount must be a number, like 12.50."))?,
        ),
        None => None,
    };
    let amount_field = match (&form.amount, custom) {
        (_, Some(custom)) => Some(custom),
        (Some(raw), None) => Some(raw.trim().parse::<i64>().map_err(|_| {
            bad(
                "invalid_amount",
                "The amount must be a whole number of cents.",
            )
        })?),
        (None, None) => None,
    };
    let (tier, amount) = match (&form.tier, amount_field) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "invalid_amount",
                "Choose a tier or an amount, not both.",
            ));
        }
        (None, None) => return Err(bad("invalid_amount", "Choose a tier or an amount.")),
        (Some(slug), None) => {
            let tier = tiers
                .iter()
                .find(|t| &t.slug == slug)
                .ok_or_else(|| bad("unknown_tier", format!("There is no tier called {slug:?}.")))?;
            let amount = match interval {
                BillingInterval::Month => tier.monthly_amount,
                BillingInterval::Year => tier.yearly_amount,
                BillingInterval::Once => None,
            }
            .ok_or_else(|| {
                bad(
                    "invalid_interval",
                    format!(
                        "The {} tier is not offered {}.",
                        tier.name,
                        if interval == BillingInterval::Once {
                            "as a one-time gift"
                        } else {
                            "at that interval"
                        }
                    ),
                )
            })?;
            (Some(tier.clone()), amount)
        }
        (None, Some(amount)) => {
            if amount < campaign.min_amount || amount > campaign.max_amount {
                return Err(bad(
                    "invalid_amount",
                    format!(
                        "The amount must be between {} and {}.",
                        form.lang.money(campaign.min_amount, &campaign.currency),
                        form.lang.money(campaign.max_amount, &campaign.currency)
                    ),
                ));
            }
            (None, amount)
        }
    };
    Ok(JoinRequest {
        campaign,
        tier,
        interval,
        amount,
        email,
        // Credited to an article only on the outlet's own sites, as widget hits are.
        ref_url: form.r#ref.as_deref().and_then(|r| articles.article(r)),
        variant: form.variant,
        lang: form.lang,
    })
}

pub(crate) async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let form = JoinForm::parse(&body).map_err(|e| e.json(json))?;
    let client = failures::admit(&state, &req, json, form.lang).await?;
    if form.honeypot {
        // A bot filled the hidden field: back to the form, and no Checkout is started.
        return Ok(see_other("/join"));
    }
    let slug = form
        .campaign
        .clone()
        .unwrap_or_else(|| DEFAULT_CAMPAIGN.to_owned());
    let lang = form.lang;
    let (campaign, tiers) = state
        .db
        .read(move |c| {
            let campaign = Campaign::by_slug(c, &slug)?;
            let tiers = match &campaign {
                Some(campaign) => tiers_of(c, campaign.id, lang)?,
                None => Vec::new(),
            };
            Ok((campaign, tiers))
        })
        .await
        .map_err(|e| AppError::from(e).json(json))?;
    let request =
        validate(form, campaign, &tiers, state.stats.origins()).map_err(|e| e.json(json))?;
    if let Some(email) = &request.email {
        state
            .checkout_limits
            .check_address(email.as_str(), json, request.lang)
            .await?;
    }
    let Some(stripe) = state.stripe.clone() else {
        return Err(AppError::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "payments_not_configured",
            "Paid membership is not configured yet. Please try again later, or subscribe to our free newsletters.",
        )
        .json(json));
    };

    let product_name = match &request.tier {
        Some(tier) => format!("{} — {}", request.campaign.title, tier.name),
        None => request.campaign.title.clone(),
    };
    let mut metadata = HashMap::from([
        (meta::CAMPAIGN.to_owned(), request.campaign.id.to_string()),
        (meta::LANG.to_owned(), request.lang.code().to_owned()),
    ]);
    if let Some(tier) = &request.tier {
        metadata.insert(meta::TIER.to_owned(), tier.id.to_string());
    }
    if let Some(ref_url) = &request.ref_url {
        metadata.insert(meta::REF.to_owned(), ref_url.clone());
    }
    if let Some(variant) = request.variant {
        metadata.insert(meta::VARIANT.to_owned(), variant.as_str().to_owned());
    }
    if let Some(client) = client {
        metadata.insert(meta::CLIENT.to_owned(), client);
    }
    // Back from Checkout, a one-time token signs the new member in (`thanks`).
    let welcome = thanks::new_token();
    let success_path = thanks::success_path(
        welcome.secret(),
        &request.campaign.slug,
        request.lang,
        request.ref_url.as_deref(),
    );
    let checkout = stripe
        .create_checkout(&CheckoutRequest {
            email: request.email.as_ref().map(|e| e.as_str().to_owned()),
            interval: request.interval,
            amount: request.amount,
            currency: request.campaign.currency.clone(),
            product_name,
            success_url: state.settings.public_url(&success_path),
            cancel_url: state.settings.public_url(&format!(
                "/join/{}?lang={}",
                request.campaign.slug,
                request.lang.code()
            )),
            metadata,
            lang: request.lang,
        })
        .await
        .map_err(|e| AppError::internal(e).json(json))?;
    let url = checkout
        .url
        .ok_or_else(|| AppError::internal("Stripe returned a session without a URL").json(json))?;
    // Without its row the link only shows the sign-in form: the reader still gets to pay.
    let welcome = welcome.carrying(thanks::payload(checkout.id.as_str()));
    let stored = state
        .db
        .write(move |c| -> Result<(), DbError> { Ok(welcome.store(c)?) })
        .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "cannot keep the Checkout's return link");
    }
    Ok(see_other(&url))
}
