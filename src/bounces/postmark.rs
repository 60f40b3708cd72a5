//! Postmark's bounce and spam-complaint webhooks. Postmark authenticates them with the HTTP
//! Basic credentials written into the webhook's URL (`https://USER:PASSWORD@…`), which must
//! equal `POSTMARK_WEBHOOK_AUTH`.

use actix_web::http::header::{self, HeaderMap};
use base64::Engine as _;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::Report;
use crate::config::Secret;
use crate::domain::SuppressionReason;

/// Bounce types that say the address will never take mail (Postmark's `Type`).
const HARD: [&str; 3] = ["HardBounce", "BadEmailAddress", "ManuallyDeactivated"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    record_type: String,
    #[serde(default)]
    r#type: String,
    email: String,
    #[serde(default)]
    description: String,
}

/// Whether the request carries the configured credentials.
pub fn authentic(headers: &HeaderMap, auth: &Secret) -> bool {
    let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) else {
        return false;
    };
    decoded.ct_eq(auth.expose().as_bytes()).into()
}

/// The addresses one webhook call reports (none for soft bounces and other records).
pub fn reports(body: &[u8]) -> Result<Vec<Report>, String> {
    let record: Record =
        serde_json::from_slice(body).map_err(|e| format!("not a Postmark webhook: {e}"))?;
    let reason = match (record.record_type.as_str(), record.r#type.as_str()) {
        ("SpamComplaint", _) | ("Bounce", "SpamComplaint") => SuppressionReason::Complaint,
        ("Bounce", kind) if HARD.contains(&kind) => SuppressionReason::Bounce,
        _ => return Ok(Vec::new()),
    };
    let detail = format!("{}: {}", record.r#type, record.description);
    Ok(Report::new(&record.email, reason, &detail)
        .into_iter()
        .collect())
}
