//! `GET /account/welcome`: where Stripe Checkout sends a reader who paid. The success URL carries
//! a one-time token, stored hashed with the Checkout Session it names when the session was
//! made. The page applies that Checkout at once (the reader need not wait for Stripe's
//! webhook; the webhook's job changes nothing more), signs the new member in, and shows their
//! account: tier, amount, next payment and the button to manage it.
//!
//! Anyone can type any address into Checkout, so paying is no proof of owning one: an address
//! that was already a member's before this Checkout began is not signed in by it. That reader
//! gets the thanks and the sign-in form, which emails them a link.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::session::{self, Holder, MEMBER};
use crate::db::schema::members;
use crate::db::{self, DbError};
use crate::i18n::Lang;
use crate::payments::sync::Completed;
use crate::state::AppState;
use crate::tokens::{self, Owner, Purpose, Unstored};
use crate::web::error::AppError;
use crate::web::see_other;

/// How long the link works: as long as a Checkout Session may stay open (Stripe's default).
pub const TTL: Duration = Duration::hours(24);

/// The return link's token, before the Checkout Session it will name exists.
pub fn new_token() -> Unstored {
    Unstored::new(Purpose::Welcome, Owner::Nobody, "{}", Some(db::now() + TTL))
}

/// The payload that ties a token to its Checkout Session.
pub fn payload(checkout_session: &str) -> String {
    serde_json::json!({ "checkout": checkout_session }).to_string()
}

/// The account page a reader who joined lands on: it thanks them and, when they came from an
/// article of ours, links back to it so the widget there thanks them too.
pub fn account_path(campaign: &str, lang: Lang, article: Option<&str>) -> String {
    format!("/account?{}", query(campaign, lang, article))
}

/// Checkout's success URL: [`account_path`]'s query, and the token.
pub fn success_path(token: &str, campaign: &str, lang: Lang, article: Option<&str>) -> String {
    format!(
        "/account/welcome?token={token}&{}",
        query(campaign, lang, article)
    )
}

fn query(campaign: &str, lang: Lang, article: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("joined", campaign);
    query.append_pair("lang", lang.code());
    if let Some(article) = article {
        query.append_pair("ref", article);
    }
    query.finish()
}

#[derive(Deserialize)]
pub(crate) struct ThanksQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    joined: String,
    lang: Option<String>,
    r#ref: Option<String>,
}

/// `GET /account/welcome`: signs the new member in when the token holds, then shows the account
/// page (with the thanks); otherwise the same page asks them to sign in.
pub(crate) async fn thanks(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ThanksQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_code)
        .unwrap_or_else(|| Lang::of_request(&req));
    let next = account_path(&query.joined, lang, query.r#ref.as_deref());
    let Some(secret) = sign_in(&state, query.token.clone()).await else {
        return Ok(see_other(&next));
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(session::cookie(MEMBER, secret, &state.settings))
        .finish())
}

/// A new session's secret for the member the token's Checkout made, or `None` (an unknown,
/// used or expired token; a Checkout not completed; an address that was a member's before).
/// Failures are logged and the reader is asked to sign in instead: they paid, and must see
/// thanks, not an error.
async fn sign_in(state: &AppState, raw: String) -> Option<String> {
    let syncer = state.syncer.clone()?;
    let check = raw.clone();
    let token = state
        .db
        .read(move |c| tokens::check(c, Purpose::Welcome, &check, db::now()))
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "thank-you page: cannot read its token"))
        .ok()?
        .ok()?;
    let checkout = serde_json::from_str::<serde_json::Value>(&token.payload)
        .ok()?
        .get("checkout")?
        .as_str()?
        .to_owned();
    let member = match syncer.complete_checkout(&checkout).await {
        Ok(Completed::Member { member, .. }) => member,
        Ok(_) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "thank-you page: cannot apply its Checkout Session");
            return None;
        }
    };
    let issued = token.created_at;
    state
        .db
        .write(move |c| -> Result<Option<String>, DbError> {
            let now = db::now();
            // Used once: a second load of the page (or a copied link) signs nobody in.
            if tokens::consume(c, Purpose::Welcome, &raw, now)?.is_err() {
                return Ok(None);
            }
            let joined: chrono::NaiveDateTime = members::table
                .find(member)
                .select(members::created_at)
                .first(c)?;
            if joined < issued {
                return Ok(None);
            }
            Ok(Some(session::start(c, Holder::Member(member), now)?))
        })
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "thank-you page: cannot sign the member in"))
        .ok()
        .flatten()
}
