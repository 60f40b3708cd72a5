//! `POST /webhooks/stripe`: verify the signature ourselves, store the raw event keyed by its
//! id, queue its processing, acknowledge. A duplicate is acknowledged and ignored; anything
//! unverified gets 400 and writes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::events::JOB_KIND;
use crate::config::Secret;
use crate::db::schema::stripe_events;
use crate::db::{DbConnection, DbError, on_backend};
use crate::jobs;
use crate::state::AppState;
use crate::web::error::AppError;

/// Signatures older or newer than this are refused (replay protection).
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("missing Stripe-Signature header")]
    Missing,
    /// No `t=` or no `v1=` in it.
    #[error("malformed Stripe-Signature header")]
    Malformed,
    /// Outside the tolerance.
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` matches any configured secret.
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` for `payload` against every secret (rotation), every `v1` signature, in
/// constant time, with [`TOLERANCE_SECS`] both ways around `now`.
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[Secret],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.extend(hex::decode(sig).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(payload);
    let any = secrets.iter().any(|secret| {
        let expected = mac(secret.expose().as_bytes(), &signed);
        // Check every candidate without stopping early, so timing tells nothing;
        // `verify_slice` compares in constant time.
        signatures.iter().fold(false, |found, sig| {
            found | expected.clone().verify_slice(sig).is_ok()
        })
    });
    if any {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// HMAC-SHA256 of `message` under `key`, ready to finalize or verify.
fn mac(key: &[u8], message: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key)
        .expect("HMAC takes a key of any length")
        .chain_update(message)
}

/// Stores a verified event and queues its processing, once per event id.
pub fn store(
    conn: &mut DbConnection,
    id: &str,
    event_type: &str,
    payload: &str,
) -> QueryResult<bool> {
    let row = (
        stripe_events::id.eq(id),
        stripe_events::event_type.eq(event_type),
        stripe_events::payload.eq(payload),
    );
    let insert = diesel::insert_into(stripe_events::table)
        .values(row)
        .on_conflict_do_nothing();
    let inserted = on_backend!(conn, |c| insert.execute(c)?);
    if inserted == 1 {
        jobs::enqueue(
            conn,
            JOB_KIND,
            &format!("stripe_event:{id}"),
            &serde_json::json!({ "event_id": id }).to_string(),
            None,
        )?;
    }
    Ok(inserted == 1)
}

/// The webhook endpoint.
pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let bad = |message: &str| {
        AppError::client(StatusCode::BAD_REQUEST, "bad_webhook", message.to_owned()).json(true)
    };
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = verify(&body, header, &state.settings.stripe_webhook_secrets, now) {
        tracing::warn!(reason = %e, "refused a webhook");
        return Err(bad(&e.to_string()));
    }
    let event: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| bad("the body is not JSON"))?;
    let (Some(id), Some(event_type)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(bad("the event has no id or type"));
    };
    if !id.starts_with("evt_") || id.len() > 255 {
        return Err(bad("not a Stripe event id"));
    }
    let (id, event_type) = (id.to_owned(), event_type.to_owned());
    let payload = String::from_utf8_lossy(&body).into_owned();
    let log_id = id.clone();
    // Stripe delivers an event again whenever it is unsure of an answer: a copy stored already
    // is acknowledged after a read, without a turn at writing (the write below would change
    // nothing: it inserts only what is new).
    let known = id.clone();
    let stored = state
        .db
        .read(move |conn| {
            diesel::select(diesel::dsl::exists(stripe_events::table.find(known)))
                .get_result::<bool>(conn)
        })
        .await
        .map_err(|e| AppError::from(e).json(true))?;
    let fresh = !stored
        && state
            .db
            .write(move |conn| -> Result<bool, DbError> {
                Ok(store(conn, &id, &event_type, &payload)?)
            })
            .await
            .map_err(|e| AppError::from(e).json(true))?;
    if fresh {
        state.stripe_wake.notify_one();
    } else {
        tracing::info!(stripe.event_id = %log_id, "duplicate webhook acknowledged");
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "received": true })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = mac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn long_keys_are_hashed_first() {
        // RFC 4231 test case 6.
        let mac = mac(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_stripe_signature_computed_elsewhere_verifies_and_a_changed_one_does_not() {
        // Computed independently with Python's hmac module over "1700000000.<payload>".
        let payload = br#"{"id":"evt_test","object":"event"}"#;
        let good = "7eb31a7746c65bbb897a8866310399c551bee599a760b505cfa306fa5f848a96";
        let bad = "7eb31a7746c65bbb897a8866310399c551bee599a760b505cfa306fa5f848a97";
        let secrets = [
            Secret::new("whsec_other"),
            Secret::new("whsec_memberdrive_test"),
        ];
        let now = 1_700_000_000 + TOLERANCE_SECS;
        for (header, expected) in [
            (format!("t=1700000000,v1={good}"), Ok(())),
            (format!("t=1700000000,v1={bad},v1={good}"), Ok(())),
            (
                format!("t=1700000000,v1={bad}"),
                Err(SignatureError::Mismatch),
            ),
            (
                format!("t=1700000000,v1={}", &good[..62]),
                Err(SignatureError::Mismatch),
            ),
            (
                format!("t=1699999999,v1={good}"),
                Err(SignatureError::Stale),
            ),
            (format!("v1={good}"), Err(SignatureError::Malformed)),
        ] {
            assert_eq!(
                verify(payload, Some(&header), &secrets, now),
                expected,
                "{header}"
            );
        }
        assert_eq!(
            verify(payload, None, &secrets, now),
            Err(SignatureError::Missing)
        );
    }
}
