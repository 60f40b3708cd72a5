//! SendGrid's Event Webhook, signed: `X-Twilio-Email-Event-Webhook-Signature` is an ECDSA
//! P-256 signature (base64 DER) over `X-Twilio-Email-Event-Webhook-Timestamp` followed by
//! the raw body, checked with the verification key SendGrid shows
//! (`SENDGRID_WEBHOOK_PUBLIC_KEY`).

use actix_web::http::header::HeaderMap;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::Deserialize;

use super::Report;
use crate::domain::SuppressionReason;

const SIGNATURE: &str = "x-twilio-email-event-webhook-signature";
const TIMESTAMP: &str = "x-twilio-email-event-webhook-timestamp";
/// A signed call older (or newer) than this is refused: a replay, or a clock far off.
const TOLERANCE_SECS: i64 = 10 * 60;

#[derive(Deserialize)]
struct Event {
    email: String,
    event: String,
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    reason: String,
}

/// Checks the signature of a call made at `now` (Unix seconds).
pub fn verify(
    headers: &HeaderMap,
    body: &[u8],
    key: &VerifyingKey,
    now: i64,
) -> Result<(), String> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("no {name} header"))
    };
    let timestamp = header(TIMESTAMP)?;
    let at: i64 = timestamp
        .parse()
        .map_err(|_| "a timestamp that is not a number")?;
    if (now - at).abs() > TOLERANCE_SECS {
        return Err("the signed timestamp is too far from now".into());
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(header(SIGNATURE)?)
        .ok()
        .and_then(|der| Signature::from_der(&der).ok())
        .ok_or("a signature that is not base64 DER")?;
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(body);
    key.verify(&signed, &signature)
        .map_err(|_| "the signature does not match".to_owned())
}

/// The addresses one call reports: bounces (not blocks, which are temporary) and spam reports.
pub fn reports(body: &[u8]) -> Result<Vec<Report>, String> {
    let events: Vec<Event> =
        serde_json::from_slice(body).map_err(|e| format!("not SendGrid events: {e}"))?;
    Ok(events
        .iter()
        .filter_map(|e| {
            let reason = match (e.event.as_str(), e.r#type.as_str()) {
                ("bounce", "bounce" | "") => SuppressionReason::Bounce,
                ("spamreport", _) => SuppressionReason::Complaint,
                _ => return None,
            };
            Report::new(&e.email, reason, &e.reason)
        })
        .collect())
}
