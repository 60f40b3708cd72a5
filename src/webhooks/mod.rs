//! Outbound webhooks: the outlet's other tools (CRM, ESP, analytics, chat) receive events
//! such as `member.joined` at endpoints staff add in the dashboard ([`staff`]).
//!
//! An event is queued by [`emit`] in the transaction of the change it reports: one job of
//! kind [`JOB_KIND`] per endpoint that receives its type, keyed by the endpoint and the
//! event's cause, so a cause reported twice (a duplicated Stripe event) queues nothing more.
//! The job carries the body as it will be sent, and the worker ([`deliver`]) posts it as
//! the Standard Webhooks specification says ([`sign`]): retried with backoff until the
//! endpoint answers 2xx for about 3.5 hours, then dead-lettered (staff may retry it from
//! the delivery log). One event reaches one endpoint once, unless the process dies
//! between the endpoint's answer and the record of it; the receiver tells a retry by its
//! `webhook-id`.

pub mod data;
pub mod deliver;
pub mod sign;
pub mod staff;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::schema::webhook_endpoints;
use crate::domain::EventType;
use crate::jobs;

/// The `jobs.kind` of a delivery.
pub const JOB_KIND: &str = "webhook";

/// What a delivery job carries: the endpoint, the message id and the body, fixed when the
/// event happened (a retry sends the same bytes, signed anew).
#[derive(Debug, Serialize, Deserialize)]
pub struct Delivery {
    /// `webhook_endpoints.id`.
    pub endpoint: i32,
    /// The `webhook-id` header: the same for every attempt, and for every endpoint.
    pub id: String,
    /// The event type, for the delivery log.
    #[serde(rename = "type")]
    pub event: String,
    /// The JSON body (`type`, `timestamp`, `data`); dropped once delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The endpoint's answer to the attempt that delivered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// The key of a delivery job: `webhook:{endpoint}:{type}:{cause}`.
fn job_key(endpoint: i32, event: EventType, cause: &str) -> String {
    format!("{}{event}:{cause}", endpoint_prefix(endpoint))
}

/// The start of the keys of an endpoint's delivery jobs.
pub fn endpoint_prefix(endpoint: i32) -> String {
    format!("{JOB_KIND}:{endpoint}:")
}

/// The `webhook-id` of the event `event` caused by `cause`: the same however often the cause
/// is reported.
fn message_id(event: EventType, cause: &str) -> String {
    let digest = Sha256::digest(format!("{event}:{cause}"));
    format!("msg_{}", &hex::encode(digest)[..24])
}

/// The endpoints that receive `event` now: enabled, with the type among their events.
fn receivers(conn: &mut DbConnection, event: EventType) -> QueryResult<Vec<i32>> {
    let enabled: Vec<(i32, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::disabled_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)?;
    Ok(enabled
        .into_iter()
        .filter(|(_, events)| events.split_whitespace().any(|e| e == event.as_str()))
        .map(|(id, _)| id)
        .collect())
}

/// Queues `event`, caused by `cause` (unique per occurrence: a subscription id, an invoice,
/// a row and the time of its change), for every endpoint that receives it, in the caller's
/// transaction. `data` builds the payload's `data` only when some endpoint listens. Returns
/// how many deliveries were queued.
pub fn emit(
    conn: &mut DbConnection,
    event: EventType,
    cause: &str,
    now: NaiveDateTime,
    data: impl FnOnce(&mut DbConnection) -> QueryResult<Value>,
) -> QueryResult<usize> {
    let endpoints = receivers(conn, event)?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let body = serde_json::json!({
        "type": event.as_str(),
        "timestamp": crate::db::rfc3339(now),
        "data": data(conn)?,
    })
    .to_string();
    let id = message_id(event, cause);
    let mut queued = 0;
    for endpoint in endpoints {
        let delivery = Delivery {
            endpoint,
            id: id.clone(),
            event: event.as_str().to_owned(),
            body: Some(body.clone()),
            status: None,
        };
        let payload = serde_json::to_string(&delivery).expect("a delivery serialises");
        let key = job_key(endpoint, event, cause);
        if jobs::enqueue(conn, JOB_KIND, &key, &payload, None)? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_has_one_message_id_per_event_type() {
        let a = message_id(EventType::MemberJoined, "12:3");
        assert_eq!(a, message_id(EventType::MemberJoined, "12:3"));
        assert_ne!(a, message_id(EventType::MemberCancelled, "12:3"));
        assert!(a.starts_with("msg_") && a.len() == 28, "{a}");
        assert_eq!(
            job_key(7, EventType::EditionSent, "4"),
            "webhook:7:edition.sent:4"
        );
        assert!(job_key(7, EventType::EditionSent, "4").starts_with(&endpoint_prefix(7)));
        assert!(!job_key(71, EventType::EditionSent, "4").starts_with(&endpoint_prefix(7)));
    }
}
