//! The `webhook` job: one delivery of one event to one endpoint, signed with the endpoint's
//! secrets as they are when it is sent.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::header::CONTENT_TYPE;

use super::{Delivery, JOB_KIND, sign};
use crate::db::schema::webhook_endpoints;
use crate::db::{self, Db};
use crate::jobs::Job;
use crate::jobs::lease::Claim;
use crate::jobs::worker::{Handler, JobError};

/// How long an endpoint has to answer one delivery, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take of that.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Posts deliveries.
pub struct WebhookHandler {
    db: Db,
    client: reqwest::Client,
}

impl WebhookHandler {
    /// A handler on `db`, with an HTTP client that follows no redirect (a delivery goes to the
    /// URL staff gave, or fails where they can see it).
    pub fn new(db: Db) -> WebhookHandler {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("memberdrive-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        WebhookHandler { db, client }
    }
}

/// An endpoint as a delivery needs it.
struct Target {
    url: String,
    secrets: Vec<String>,
    disabled: bool,
}

fn target(conn: &mut db::DbConnection, endpoint: i32) -> QueryResult<Option<Target>> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    );
    let row: Option<Row> = webhook_endpoints::table
        .find(endpoint)
        .select((
            webhook_endpoints::url,
            webhook_endpoints::secret,
            webhook_endpoints::previous_secret,
            webhook_endpoints::previous_secret_until,
            webhook_endpoints::disabled_at,
        ))
        .first(conn)
        .optional()?;
    let now = db::now();
    Ok(row.map(|(url, secret, previous, until, disabled)| {
        let previous = previous.filter(|_| until.is_some_and(|until| until > now));
        Target {
            url,
            secrets: std::iter::once(secret).chain(previous).collect(),
            disabled: disabled.is_some(),
        }
    }))
}

impl Handler for WebhookHandler {
    const KIND: &'static str = JOB_KIND;
    // Renewed while a delivery waits for its answer.
    const LEASE: Duration = Duration::from_secs(30);
    // Endpoints answer slowly at times; a slow one holds one of these for `TIMEOUT` at most.
    const CONCURRENCY: usize = 8;
    // A receiver down for a few hours (a deploy gone wrong, a night) misses nothing: the
    // retries back off to every 30 minutes and span about 3.5 hours.
    const MAX_ATTEMPTS: i32 = 18;

    async fn run(&self, job: &Job, claim: Claim<'_>) -> Result<String, JobError> {
        let delivery: Delivery = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::permanent(format!("unreadable payload: {e}")))?;
        let body = delivery
            .body
            .clone()
            .ok_or_else(|| JobError::permanent("the delivery has no body"))?;
        let endpoint = delivery.endpoint;
        let target = self
            .db
            .read(move |c| target(c, endpoint))
            .await?
            .ok_or_else(|| JobError::permanent("the endpoint was removed"))?;
        if target.disabled {
            return Err(JobError::permanent("the endpoint is disabled"));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign::header(
            target.secrets.iter().map(String::as_str),
            &delivery.id,
            timestamp,
            &body,
        )
        .ok_or_else(|| JobError::permanent("the endpoint's secret is not a whsec_ secret"))?;
        claim.confirm().await?;
        let answer = self
            .client
            .post(&target.url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            // The URL may hold a token of the receiver's (chat webhooks do): never in an error.
            .map_err(|e| JobError::temporary(unreachable(&e.without_url())))?;
        let status = answer.status();
        if status.is_success() {
            let done = Delivery {
                body: None,
                status: Some(status.as_u16()),
                ..delivery
            };
            return Ok(serde_json::to_string(&done).expect("a delivery serialises"));
        }
        let reason = format!("the endpoint answered {status}");
        // 410 Gone: the receiver says this endpoint is no more (the specification's advice).
        if status == reqwest::StatusCode::GONE {
            return Err(JobError::permanent(reason));
        }
        Err(JobError::temporary(reason))
    }
}

/// Why a delivery got no answer, for the delivery log.
fn unreachable(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        format!("the delivery failed: {e}")
    }
}
