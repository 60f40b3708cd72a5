//! Member self-service at `/account`: sign in with an emailed link (single use, 15 minutes,
//! the same answer whether or not the address is a member), see the membership and next
//! payment, manage newsletters, and open Stripe's billing portal.
//!
//! The session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` on https, path `/account`) names a
//! row in `sessions` by its hash; every form carries the session's CSRF token and must come
//! from our own pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::session::{self, Holder, MEMBER};
use crate::campaigns::texts::Translations;
use crate::campaigns::tier_texts;
use crate::db::schema::{
    campaigns, members, memberships, newsletter_subscriptions, newsletters, subscribers,
};
use crate::db::{self, DbError};
use crate::domain::{BillingInterval, EmailAddress, MembershipStatus, OptIn, Slug};
use crate::i18n::Lang;
use crate::members::pause::pausable;
use crate::newsletters::routes::{ActionPage, MessagePage, html};
use crate::state::AppState;
use crate::tokens::{self, Owner, Purpose, Rejected};
use crate::web::csrf::{same_origin, tokens_match};
use crate::web::error::AppError;
use crate::web::form::{Form, TextForm};
use crate::web::{posting_to_stripe, see_other};

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInPage {
    lang: Lang,
    notice: Option<String>,
    back: Option<String>,
}

struct MembershipLine {
    campaign: String,
    /// The tier chosen, when one was.
    tier: Option<String>,
    status: String,
    detail: String,
    /// The membership's id when it has a Stripe subscription to manage.
    manage: Option<i32>,
    /// The membership's id when its payments can be paused now.
    pause: Option<i32>,
    /// The membership's id when it can be cancelled (at its period's end) from here.
    cancel: Option<i32>,
}

#[derive(Template)]
#[template(path = "account/status.html")]
struct StatusPage {
    lang: Lang,
    notice: Option<String>,
    /// After joining from an article: the way back to it, telling its widget.
    back: Option<String>,
    email: String,
    memberships: Vec<MembershipLine>,
    newsletters: Vec<String>,
    billing: bool,
    csrf_token: String,
    /// The lengths a pause may have: months and their label.
    pause_lengths: Vec<(u32, String)>,
    /// Whether they get last year's statement each January.
    yearly_statement: bool,
    /// The years whose statement can be downloaded, newest first, with their link's label.
    statement_years: Vec<(i32, String)>,
}

/// Id, campaign title, status, cancelled at period end, period end, amount, currency,
/// Stripe subscription, paused until, billing interval.
type MembershipRow = (
    i32,
    String,
    MembershipStatus,
    bool,
    Option<NaiveDateTime>,
    i64,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    BillingInterval,
    Option<i32>,
    i32,
);

/// A signed-in member.
pub(super) struct MemberSession {
    session_id: i32,
    pub(super) member_id: i32,
    pub(super) csrf_token: String,
}

/// The member session the request's cookie names, if it is still valid (touching it).
pub(super) async fn current(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<MemberSession>, AppError> {
    let Some(raw) = req.cookie(MEMBER.cookie).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let session = session::resume(&state.db, MEMBER, raw, db::now()).await?;
    Ok(session.and_then(|s| match s.holder {
        Holder::Member(member_id) => Some(MemberSession {
            session_id: s.id,
            member_id,
            csrf_token: s.csrf_token,
        }),
        Holder::Staff(_) => None,
    }))
}

/// The session for a state-changing request: signed in, from our own page, with its token.
pub(super) async fn checked(
    req: &HttpRequest,
    state: &AppState,
    form: &[u8],
) -> Result<MemberSession, AppError> {
    let forbidden = || {
        AppError::client(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This form has expired. Please reload the page and try again.",
        )
    };
    let session = current(req, state).await?.ok_or_else(|| {
        AppError::client(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "Please sign in again.",
        )
    })?;
    let form = Form::parse(form)?;
    let token = form.get("csrf_token").unwrap_or_default();
    if !same_origin(req, &state.settings) || !tokens_match(token, &session.csrf_token) {
        return Err(forbidden());
    }
    Ok(session)
}

#[derive(Deserialize)]
pub(crate) struct AccountQuery {
    lang: Option<String>,
    joined: Option<String>,
    paused: Option<String>,
    kept: Option<String>,
    cancelling: Option<String>,
    statements: Option<String>,
    r#ref: Option<String>,
}

pub(crate) async fn account(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_code)
        .unwrap_or_default();
    let notice = [
        (&query.joined, "acct-joined"),
        (&query.paused, "acct-paused"),
        (&query.kept, "acct-kept"),
        (&query.cancelling, "acct-cancelling"),
        (&query.statements, "acct-statements-saved"),
    ]
    .into_iter()
    .find_map(|(flag, id)| flag.as_ref().map(|_| lang.tr(id)));
    // Back to the article the reader joined from (one of ours), with the campaign in the
    // fragment: the widget there keeps a flag in that site's own storage and thanks them
    // instead of asking again.
    let back = query
        .joined
        .as_deref()
        .and_then(Slug::parse)
        .zip(query.r#ref.as_deref())
        .and_then(|(slug, raw)| {
            let article = state.stats.origins().article(raw)?;
            Some(format!("{article}#memberdrive-joined={}", slug.as_str()))
        });
    let Some(session) = current(&req, &state).await? else {
        return html(StatusCode::OK, &SignInPage { lang, notice, back });
    };
    let member_id = session.member_id;
    let (email, customer, yearly_statement, rows, subscribed, (titles, tier_names)) = state
        .db
        .read(move |c| {
            let (email, customer, yearly): (String, Option<String>, bool) = members::table
                .find(member_id)
                .select((
                    members::email,
                    members::stripe_customer_id,
                    members::yearly_statement,
                ))
                .first(c)?;
            let rows: Vec<MembershipRow> = memberships::table
                .inner_join(campaigns::table)
                .filter(memberships::member_id.eq(member_id))
                .order(memberships::created_at.desc())
                .select((
                    memberships::id,
                    campaigns::title,
                    memberships::status,
                    memberships::cancel_at_period_end,
                    memberships::current_period_end,
                    memberships::amount,
                    memberships::currency,
                    memberships::stripe_subscription_id,
                    memberships::paused_until,
                    memberships::billing_interval,
                    memberships::tier_id,
                    memberships::campaign_id,
                ))
                .load(c)?;
            let tier_ids: Vec<i32> = rows.iter().filter_map(|r| r.10).collect();
            let tier_names = tier_texts::names(c, &tier_ids, lang)?;
            let campaign_ids: Vec<i32> = rows.iter().map(|r| r.11).collect();
            let titles = Translations::titles_in(c, &campaign_ids, lang)?;
            let subscribed: Vec<String> = newsletter_subscriptions::table
                .inner_join(subscribers::table)
                .inner_join(newsletters::table)
                .filter(subscribers::email.eq(&email))
                .filter(newsletter_subscriptions::status.eq(OptIn::Confirmed))
                .select(newsletters::name)
                .load(c)?;
            Ok((
                email,
                customer,
                yearly,
                rows,
                subscribed,
                (titles, tier_names),
            ))
        })
        .await?;
    let now = db::now();
    let max_pause = state.settings.members.pause_max_months;
    let memberships = rows
        .into_iter()
        .map(
            |(
                id,
                campaign,
                status,
                at_end,
                period_end,
                amount,
                currency,
                subscription,
                paused,
                interval,
                tier,
                campaign_id,
            )| {
                let date = period_end.map(|t| t.date().to_string()).unwrap_or_default();
                let paused = paused.filter(|until| *until > now);
                let managed = subscription.is_some() && state.stripe.is_some();
                let detail = match (status.in_good_standing(), at_end) {
                    _ if let Some(until) = paused => lang.t(
                        "acct-paused-until",
                        &[("date", until.date().to_string().into())],
                    ),
                    (true, true) => lang.t("acct-ends", &[("date", date.into())]),
                    (true, false) if period_end.is_some() => lang.t(
                        "acct-next-payment",
                        &[
                            ("amount", lang.money(amount, &currency).into()),
                            ("date", date.into()),
                        ],
                    ),
                    _ => String::new(),
                };
                MembershipLine {
                    campaign: titles.get(&campaign_id).cloned().unwrap_or(campaign),
                    tier: tier.and_then(|t| tier_names.get(&t).cloned()),
                    status: lang.tr(&format!("acct-status-{status}")),
                    detail,
                    manage: managed.then_some(id),
                    pause: (managed && pausable(interval, status, at_end, paused, max_pause))
                        .then_some(id),
                    cancel: (managed && status.in_good_standing() && !at_end).then_some(id),
                }
            },
        )
        .collect::<Vec<MembershipLine>>();
    // Back from Checkout with the membership already here: no "appears as soon as".
    let notice = match (&query.joined, memberships.is_empty()) {
        (Some(_), false) => Some(lang.tr("acct-joined-here")),
        _ => notice,
    };
    let res = html(
        StatusCode::OK,
        &StatusPage {
            lang,
            notice,
            back,
            email,
            memberships,
            newsletters: subscribed,
            billing: customer.is_some() && state.stripe.is_some(),
            csrf_token: session.csrf_token,
            yearly_statement,
            statement_years: {
                let year = chrono::Datelike::year(&now.date());
                [year, year - 1]
                    .map(|y| {
                        (
                            y,
                            lang.t("acct-statement-download", &[("year", y.to_string().into())]),
                        )
                    })
                    .into()
            },
            pause_lengths: (1..=max_pause)
                .map(|months| {
                    (
                        months,
                        lang.t("acct-pause-months", &[("months", months.into())]),
                    )
                })
                .collect(),
        },
    )?;
    posting_to_stripe(res, &state.payment_csp)
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// The page a sign-in link opens: a button; nothing happens until it is pressed.
pub(crate) async fn link_page(
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_code)
        .unwrap_or_default();
    let token = query.token.clone().unwrap_or_default();
    let raw = token.clone();
    match state
        .db
        .read(move |c| tokens::check(c, Purpose::SignIn, &raw, db::now()))
        .await?
    {
        Ok(_) => html(
            StatusCode::OK,
            &ActionPage {
                lang,
                title: lang.tr("acct-link-title"),
                body: lang.tr("acct-link-body"),
                items: Vec::new(),
                action: "/account/sign-in/confirm".into(),
                token: Some(token),
                button: lang.tr("acct-link-button"),
            },
        ),
        Err(why) => link_rejected(lang, why),
    }
}

fn link_rejected(lang: Lang, why: Rejected) -> Result<HttpResponse, AppError> {
    let (status, body) = match why {
        Rejected::Invalid => (StatusCode::BAD_REQUEST, "nl-link-invalid"),
        Rejected::Expired | Rejected::Used => (StatusCode::GONE, "nl-link-expired"),
    };
    html(
        status,
        &MessagePage {
            lang,
            title: lang.tr("acct-link-title"),
            body: lang.tr(body),
            items: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    token: String,
}

/// Uses a sign-in link: a new session (a new id every time), then the account page.
pub(crate) async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    TextForm(form): TextForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    // Another site must not sign a visitor in to an account of its choosing.
    if !same_origin(&req, &state.settings) {
        return Err(AppError::client(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Please use the link from your email.",
        ));
    }
    let raw = form.token;
    let outcome = state
        .db
        .write(move |c| -> Result<Result<String, Rejected>, DbError> {
            let now = db::now();
            let token = match tokens::consume(c, Purpose::SignIn, &raw, now)? {
                Ok(token) => token,
                Err(why) => return Ok(Err(why)),
            };
            let Some(member) = token.member_id else {
                return Ok(Err(Rejected::Invalid));
            };
            Ok(Ok(session::start(c, Holder::Member(member), now)?))
        })
        .await?;
    match outcome {
        Ok(secret) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/account"))
            .cookie(session::cookie(MEMBER, secret, &state.settings))
            .finish()),
        Err(why) => link_rejected(Lang::En, why),
    }
}

/// Opens Stripe's billing portal: for the customer of one of the member's memberships when
/// the form names it (`membership`; a member who joined twice may have paid as two Stripe
/// customers), else for the member's customer.
pub(crate) async fn billing(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let stripe = state.stripe.clone().ok_or_else(|| {
        AppError::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "payments_not_configured",
            "Paid membership is not configured.",
        )
    })?;
    let member = session.member_id;
    let form = Form::parse(&body)?;
    let lang = Lang::of_form(&req, form.get("lang"));
    let membership: Option<i32> = form
        .get("membership")
        .map(|id| id.parse())
        .transpose()
        .map_err(|_| {
            AppError::client(
                StatusCode::BAD_REQUEST,
                "invalid_membership",
                "There is no such membership.",
            )
        })?;
    let (customer, subscription): (Option<String>, Option<String>) = state
        .db
        .read(move |c| {
            let customer = members::table
                .find(member)
                .select(members::stripe_customer_id)
                .first(c)?;
            let subscription = match membership {
                Some(id) => memberships::table
                    .find(id)
                    .filter(memberships::member_id.eq(member))
                    .select(memberships::stripe_subscription_id)
                    .first::<Option<String>>(c)
                    .optional()?
                    .flatten(),
                None => None,
            };
            Ok((customer, subscription))
        })
        .await?;
    let customer = match (membership, subscription) {
        (Some(_), Some(subscription)) => Some(
            stripe
                .subscription(&subscription)
                .await
                .map_err(AppError::internal)?
                .customer
                .id()
                .to_string(),
        ),
        // Another member's membership, or one without a subscription: nothing to open.
        (Some(_), None) => None,
        (None, _) => customer,
    };
    let customer = customer.ok_or_else(|| {
        AppError::client(
            StatusCode::NOT_FOUND,
            "no_billing",
            "There is no payment to manage yet.",
        )
    })?;
    let url = stripe
        .billing_portal(
            &customer,
            &state
                .settings
                .public_url(&format!("/account?lang={}", lang.code())),
            lang,
        )
        .await
        .map_err(AppError::internal)?;
    Ok(see_other(&url))
}

/// Opens the newsletter preference page for the member's address.
pub(crate) async fn manage_newsletters(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let member = session.member_id;
    let url = state
        .db
        .write(move |c| -> Result<String, DbError> {
            let (email, locale): (String, String) = members::table
                .find(member)
                .select((members::email, members::locale))
                .first(c)?;
            // Stored addresses were normalised on the way in, so they parse.
            let address = EmailAddress::parse(&email).ok_or(diesel::result::Error::NotFound)?;
            let (subscriber, _) = crate::newsletters::find_or_create_subscriber(
                c,
                &address,
                Lang::from_code(&locale),
            )?;
            let raw = tokens::issue(
                c,
                Purpose::Manage,
                Owner::Subscriber(subscriber),
                "{}",
                None,
            )?;
            Ok(format!("/newsletters/manage?token={raw}"))
        })
        .await?;
    Ok(see_other(&url))
}

/// Ends the session on the server and forgets the cookie.
pub(crate) async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = checked(&req, &state, &body).await?;
    let id = session.session_id;
    state
        .db
        .write(move |c| -> Result<usize, DbError> { Ok(session::end(c, id)?) })
        .await?;
    let gone = session::removal_cookie(MEMBER, &state.settings);
    let lang = Lang::En;
    let mut res = html(
        StatusCode::OK,
        &MessagePage {
            lang,
            title: lang.tr("acct-title"),
            body: lang.tr("acct-signed-out"),
            items: Vec::new(),
        },
    )?;
    res.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(res)
}
