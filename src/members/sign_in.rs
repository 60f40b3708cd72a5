//! Asking for a sign-in link: the request does the same work whatever the address (it checks
//! the form and queues one `sign_in` job, in one transaction), so neither its answer nor its
//! timing tells whether the address belongs to a member. The job decides: a member gets a
//! link (at most [`LINKS_PER_HOUR`]), any other address gets nothing. A job deletes those
//! done an hour ago, so requests leave no rows behind.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::config::Settings;
use crate::db::schema::members;
use crate::db::{self, Db, DbConnection, DbError};
use crate::domain::EmailAddress;
use crate::email;
use crate::email::templates::Notice;
use crate::i18n::Lang;
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};
use crate::jobs::{self, Job};
use crate::newsletters::routes::{MessagePage, html};
use crate::state::AppState;
use crate::tokens::{self, Owner, Purpose, Unstored};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::limits::PerClient;

/// The job kind.
pub const JOB_KIND: &str = "sign_in";
/// Sign-in links work this long.
pub const LINK_TTL: Duration = Duration::minutes(15);
/// Sign-in links one address may be sent per hour.
const LINKS_PER_HOUR: i64 = 5;

/// What the job is asked: an address and the language of the page it was typed on. The
/// address is dropped from the row once the job is done.
#[derive(Serialize, Deserialize)]
struct LinkRequest {
    email: String,
    lang: String,
}

/// Queues a sign-in link for an address; answers the same whatever the address.
pub(crate) async fn request_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&body)?;
    let lang = form.get("lang").map(Lang::from_code).unwrap_or_default();
    let email = EmailAddress::parse(form.get("email").unwrap_or_default()).ok_or_else(|| {
        AppError::client(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            "Please enter a valid email address, like name@example.org.",
        )
    })?;
    let payload = serde_json::to_string(&LinkRequest {
        email: email.as_str().to_owned(),
        lang: lang.code().to_owned(),
    })
    .map_err(AppError::internal)?;
    // A random key: every request is its own job, and the key says nothing about the address.
    let key = format!("sign_in_request:{}", tokens::random_secret());
    let (limit, client) = (
        state.subscribe_limiter.clone(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    // The client's limit counts in the transaction that queues the request.
    let allowed = state
        .db
        .write(
            move |c| -> Result<Result<(), std::time::Duration>, DbError> {
                if let Err(wait) = limit.allows(c, client)? {
                    return Ok(Err(wait));
                }
                jobs::enqueue(c, JOB_KIND, &key, &payload, None)?;
                Ok(Ok(()))
            },
        )
        .await?;
    if let Err(wait) = allowed {
        return Err(PerClient::refusal(wait, false, lang));
    }
    state.sign_in_wake.notify_one();
    html(
        StatusCode::OK,
        &MessagePage {
            lang,
            title: lang.tr("acct-link-sent-title"),
            body: lang.tr("acct-link-sent-body"),
            items: Vec::new(),
        },
    )
}

/// Sends the sign-in links that requests queued.
pub struct SignInHandler {
    /// Members and the outbox.
    pub db: Db,
    /// Links in emails.
    pub settings: Arc<Settings>,
    /// Told when a link was queued.
    pub outbox: Arc<Notify>,
}

impl Handler for SignInHandler {
    const KIND: &'static str = JOB_KIND;
    const LEASE: StdDuration = StdDuration::from_secs(30);
    const CONCURRENCY: usize = 4;

    async fn run(&self, job: &Job, _claim: Claim<'_>) -> Result<String, JobError> {
        let request: LinkRequest = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::permanent(format!("unreadable payload: {e}")))?;
        let email = EmailAddress::parse(&request.email)
            .ok_or_else(|| JobError::permanent("payload without a valid address"))?;
        let lang = Lang::from_code(&request.lang);
        let settings = self.settings.clone();
        let sent = self
            .db
            .write(move |c| -> Result<bool, DbError> {
                let now = db::now();
                forget_done(c, now - Duration::hours(1))?;
                Ok(send_link(c, &settings, &email, lang, now)?)
            })
            .await?;
        if sent {
            self.outbox.notify_one();
        }
        Ok(serde_json::json!({ "sent": sent }).to_string())
    }
}

/// Deletes the `sign_in` jobs done before `before`: every request leaves one, of no use once
/// done. The condition is written out as `jobs_sign_in_done_idx` states it, so both databases
/// use that index (a bound parameter would not match a partial index's condition).
fn forget_done(c: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    use crate::db::schema::jobs::dsl::{finished_at, jobs as rows};
    diesel::delete(
        rows.filter(sql::<Bool>("kind = 'sign_in' AND status = 'done'"))
            .filter(finished_at.lt(before)),
    )
    .execute(c)
}

/// Queues a link for a member; nothing for an address that is no member's, or one that had
/// its links for the hour. Links are numbered per member and day in their key, so a link is
/// never queued twice.
fn send_link(
    c: &mut DbConnection,
    settings: &Settings,
    email: &EmailAddress,
    lang: Lang,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let member = members::table
        .filter(members::email.eq(email.as_str()))
        .select(members::id);
    // The member's row is locked until the link is queued: jobs for the same member take
    // turns, so each reads the count the one before it left (SQLite's writers take turns
    // already).
    let member = match c {
        DbConnection::Pg(pg) => member.for_update().first::<i32>(pg),
        DbConnection::Sqlite(sqlite) => member.first::<i32>(sqlite),
    };
    let Some(member) = member.optional()? else {
        return Ok(false);
    };
    let owner = Owner::Member(member);
    if tokens::issued_since(c, Purpose::SignIn, owner, now - Duration::hours(1))? >= LINKS_PER_HOUR
    {
        return Ok(false);
    }
    let key = format!(
        "sign_in:{member}:{}:{}",
        now.date(),
        tokens::issued_today(c, Purpose::SignIn, owner, now)? + 1
    );
    let token = Unstored::new(Purpose::SignIn, owner, "{}", Some(now + LINK_TTL));
    let url = settings.public_url(&format!(
        "/account/sign-in?token={}&lang={}",
        token.secret(),
        lang.code()
    ));
    let notice = Notice::sign_in_link(lang, &url);
    let message = email::render(c, &notice, email.as_str())?;
    email::queue_with_tokens(c, &key, &message, [token])
}
