//! `GET /gift`, `GET /gift/{campaign}`: the gift form; `POST /gift`: to Stripe Checkout.
//! Nothing is stored here: the gift is recorded when Stripe says it was paid.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use super::{MAX_MESSAGE, MONTHS, Order};
use crate::campaigns::Campaign;
use crate::campaigns::texts::Translations;
use crate::domain::EmailAddress;
use crate::i18n::Lang;
use crate::members::join::{DEFAULT_CAMPAIGN, Tier, tiers_of};
use crate::payments::client::CheckoutRequest;
use crate::payments::{failures, meta};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::{posting_to_stripe, see_other};

/// A tier as the form offers it, with its price for each length.
struct TierChoice {
    slug: String,
    name: String,
    description: String,
    /// "1 month: €5.00 · 3 months: €15.00 · …"
    prices: String,
}

#[derive(Template)]
#[template(path = "gift/page.html")]
struct GiftPage {
    lang: Lang,
    campaign: String,
    title: String,
    lead: String,
    tiers: Vec<TierChoice>,
    /// (months, "3 months")
    lengths: Vec<(i32, String)>,
    today: String,
    enabled: bool,
}

/// What a gift of `months` of `tier` costs: the tier's monthly price each month, or its
/// yearly price for a year.
fn price(tier: &Tier, months: i32) -> Option<i64> {
    match (months, tier.yearly_amount) {
        (12, Some(year)) => Some(year),
        _ => tier.monthly_amount.map(|m| m * i64::from(months)),
    }
}

/// `GET /gift`
pub(crate) async fn default_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, DEFAULT_CAMPAIGN.to_owned()).await
}

/// `GET /gift/{campaign}`
pub(crate) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, slug.into_inner()).await
}

async fn load(
    state: &AppState,
    slug: String,
    lang: Lang,
) -> Result<Option<(Campaign, Translations, Vec<Tier>)>, AppError> {
    Ok(state
        .db
        .read(move |c| {
            let Some(campaign) = Campaign::by_slug(c, &slug)?.filter(|c| !c.archived) else {
                return Ok(None);
            };
            let texts = Translations::of(c, campaign.id)?;
            let tiers = tiers_of(c, campaign.id, lang)?;
            Ok(Some((campaign, texts, tiers)))
        })
        .await?)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    slug: String,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let (campaign, texts, tiers) = load(state, slug, lang)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let length = |m: i32| lang.t("gift-months", &[("months", m.into())]);
    let tiers = tiers
        .iter()
        .filter(|tier| MONTHS.iter().all(|m| price(tier, *m).is_some()))
        .map(|tier| TierChoice {
            prices: MONTHS
                .iter()
                .filter_map(|m| {
                    let amount = price(tier, *m)?;
                    Some(format!(
                        "{}: {}",
                        length(*m),
                        lang.money(amount, &campaign.currency)
                    ))
                })
                .collect::<Vec<_>>()
                .join(" · "),
            slug: tier.slug.clone(),
            name: tier.name.clone(),
            description: tier.description.clone(),
        })
        .collect();
    let title = texts.title(&campaign, lang).to_owned();
    let page = GiftPage {
        lang,
        lead: lang.t("gift-lead", &[("campaign", title.clone().into())]),
        title,
        campaign: campaign.slug,
        tiers,
        lengths: MONTHS.iter().map(|m| (*m, length(*m))).collect(),
        today: crate::db::now().date().to_string(),
        enabled: state.stripe.is_some(),
    };
    let html = crate::branding::render(&page).map_err(AppError::internal)?;
    let res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html);
    posting_to_stripe(res, &state.payment_csp)
}

/// A checked gift form.
struct Checked {
    order: Order,
    amount: i64,
    buyer: EmailAddress,
    product: String,
}

/// What is wrong with a form: an error code and the message id that explains it.
type Wrong = (&'static str, &'static str);

fn check(
    form: &Form,
    lang: Lang,
    tiers: &[Tier],
    title: &str,
    today: NaiveDate,
) -> Result<Checked, Wrong> {
    let field = |name| form.get(name).unwrap_or_default().trim();
    let tier = tiers
        .iter()
        .find(|t| t.slug == field("tier"))
        .ok_or(("unknown_tier", "gift-error-tier"))?;
    let months: i32 = field("months")
        .parse()
        .ok()
        .filter(|m| MONTHS.contains(m))
        .ok_or(("invalid_months", "gift-error-months"))?;
    let amount = price(tier, months).ok_or(("invalid_months", "gift-error-months"))?;
    let recipient = EmailAddress::parse(field("recipient_email"))
        .ok_or(("invalid_email", "gift-error-recipient"))?;
    let buyer = EmailAddress::parse(field("email")).ok_or(("invalid_email", "gift-error-buyer"))?;
    let message = field("message");
    if message.chars().count() > MAX_MESSAGE
        || message
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(("invalid_message", "gift-error-message"));
    }
    let deliver_on = match field("deliver_on") {
        "" => today,
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|d| *d >= today && *d <= today + chrono::Duration::days(365))
            .ok_or(("invalid_date", "gift-error-date"))?,
    };
    Ok(Checked {
        product: lang.t(
            "gift-product",
            &[
                ("tier", tier.name.clone().into()),
                ("campaign", title.to_owned().into()),
                ("months", months.into()),
            ],
        ),
        order: Order {
            tier: tier.id,
            months,
            recipient: recipient.as_str().to_owned(),
            message: message.replace("\r\n", "\n"),
            deliver_on,
        },
        amount,
        buyer,
    })
}

/// `POST /gift`: fields `tier`, `months`, `recipient_email`, `message`, `deliver_on`,
/// `email` (the buyer), and `campaign`, `lang`; answers 303 to Stripe Checkout.
pub(crate) async fn buy(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let client = failures::admit(&state, &req, false, lang).await?;
    let slug = form
        .get("campaign")
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_CAMPAIGN)
        .to_owned();
    if form.is_bot() {
        // A bot filled the hidden field: back to the form, and no Checkout is started.
        return Ok(see_other("/gift"));
    }
    let refused = |(code, message): Wrong| {
        AppError::refused(&req, lang, StatusCode::BAD_REQUEST, code, message)
    };
    let (campaign, texts, tiers) = load(&state, slug, lang)
        .await?
        .ok_or_else(|| refused(("unknown_campaign", "gift-error-campaign")))?;
    let title = texts.title(&campaign, lang).to_owned();
    let checked = check(&form, lang, &tiers, &title, crate::db::now().date()).map_err(refused)?;
    state
        .checkout_limits
        .check_address(checked.buyer.as_str(), false, lang)
        .await?;
    let Some(stripe) = state.stripe.clone() else {
        return Err(AppError::refused(
            &req,
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            "payments_not_configured",
            "join-not-configured",
        ));
    };
    let mut metadata: HashMap<String, String> = checked.order.metadata().into_iter().collect();
    metadata.insert(meta::CAMPAIGN.to_owned(), campaign.id.to_string());
    metadata.insert(meta::TIER.to_owned(), checked.order.tier.to_string());
    metadata.insert(meta::LANG.to_owned(), lang.code().to_owned());
    if let Some(client) = client {
        metadata.insert(meta::CLIENT.to_owned(), client);
    }
    let checkout = stripe
        .create_checkout(&CheckoutRequest {
            email: Some(checked.buyer.as_str().to_owned()),
            interval: crate::domain::BillingInterval::Once,
            amount: checked.amount,
            currency: campaign.currency.clone(),
            product_name: checked.product,
            success_url: state
                .settings
                .public_url(&format!("/gift/thanks?lang={}", lang.code())),
            cancel_url: state.settings.public_url(&format!(
                "/gift/{}?lang={}",
                campaign.slug,
                lang.code()
            )),
            metadata,
            lang,
        })
        .await
        .map_err(AppError::internal)?;
    let url = checkout
        .url
        .ok_or_else(|| AppError::internal("Stripe returned a session without a URL"))?;
    Ok(see_other(&url))
}

#[derive(Template)]
#[template(path = "gift/thanks.html")]
struct ThanksPage {
    lang: Lang,
}

/// `GET /gift/thanks`: where Checkout sends the buyer.
pub(crate) async fn thanks(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let html = crate::branding::render(&ThanksPage {
        lang: Lang::of_request(&req),
    })
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
