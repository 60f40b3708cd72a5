//! Webhook events: queued by the scenarios, then signed and delivered as Stripe does.

use std::time::Duration;

use futures_util::StreamExt;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::fixtures::{from_fixture, new_id};
use super::{API_VERSION, Delivery, State, StripeServer, unix_now};

impl StripeServer {
    /// POSTs the queued events to the webhook URL, signed like Stripe (`Stripe-Signature`,
    /// `Content-Type: application/json`, pretty-printed JSON as Stripe sends), and clears the
    /// queue. Returns the app's status code of each POST in sending order (`0` when the
    /// connection failed). Panics if no webhook URL was set.
    pub async fn deliver(&self, how: Delivery) -> Vec<u16> {
        let (url, secret, mut events) = {
            let mut state = self.state();
            let url = state.webhook_url.clone().expect(
                "set_webhook_url before deliver: the test Stripe server has nowhere to send events",
            );
            let secret = state
                .webhook_secret
                .clone()
                .unwrap_or_else(|| Self::WEBHOOK_SECRET.to_owned());
            (url, secret, std::mem::take(&mut state.events))
        };
        match how {
            Delivery::Shuffled(seed) => {
                events.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
            }
            Delivery::DropSome { keep_one_in, seed } => {
                assert!(keep_one_in > 0, "keep_one_in must be at least 1");
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                events.retain(|_| rng.random_range(0..keep_one_in) == 0);
            }
            Delivery::Reversed => events.reverse(),
            Delivery::InOrder | Delivery::Repeated { .. } | Delivery::Storm { .. } => {}
        }
        // No proxy: a test environment's HTTP_PROXY must not capture loopback deliveries.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("webhook client");
        let (times, concurrently) = match how {
            Delivery::Repeated {
                times,
                concurrently,
            } => (times, concurrently),
            Delivery::Storm {
                times,
                seed,
                at_once,
            } => {
                let bodies: Vec<String> = events.iter().map(body_of).collect();
                let mut copies: Vec<&String> = bodies
                    .iter()
                    .flat_map(|body| std::iter::repeat_n(body, times))
                    .collect();
                copies.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
                let posts = copies
                    .into_iter()
                    .map(|body| post_event(&client, &url, &secret, body));
                return futures_util::stream::iter(posts)
                    .buffered(at_once.max(1))
                    .collect()
                    .await;
            }
            _ => (1, false),
        };
        let mut statuses = Vec::new();
        for event in &events {
            let body = body_of(event);
            if concurrently {
                let posts = (0..times).map(|_| post_event(&client, &url, &secret, &body));
                statuses.extend(futures_util::future::join_all(posts).await);
            } else {
                for _ in 0..times {
                    statuses.push(post_event(&client, &url, &secret, &body).await);
                }
            }
        }
        statuses
    }

    /// A `Stripe-Signature` header value for a payload: `t=<timestamp>,v1=<hex>` where the
    /// signature is HMAC-SHA256 keyed with the whole secret (`whsec_` included, as Stripe
    /// does) over `"<timestamp>.<payload>"`.
    pub fn sign(payload: &[u8], timestamp: i64, secret: &str) -> String {
        let mut signed = format!("{timestamp}.").into_bytes();
        signed.extend_from_slice(payload);
        let mac = hmac_sha256(secret.as_bytes(), &signed);
        format!("t={timestamp},v1={}", hex::encode(mac))
    }
}

/// HMAC-SHA256 (RFC 2104) over SHA-256's 64-byte block; the crate has `sha2` but no `hmac`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// An event as Stripe sends it: pretty-printed JSON, one body per event, so every copy of a
/// repeated delivery is byte-identical.
fn body_of(event: &Value) -> String {
    serde_json::to_string_pretty(event).expect("event JSON")
}

async fn post_event(client: &reqwest::Client, url: &str, secret: &str, body: &str) -> u16 {
    // Signed at send time with real time, as Stripe signs each delivery attempt.
    let signature = StripeServer::sign(body.as_bytes(), unix_now(), secret);
    let sent = client
        .post(url)
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json; charset=utf-8")
        .header(
            "User-Agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(body.to_owned())
        .send()
        .await;
    sent.map_or(0, |response| response.status().as_u16())
}

impl State {
    /// Queues an event carrying a snapshot of an object as it is now.
    pub(super) fn queue(&mut self, kind: &str, object_id: &str, previous: Option<Value>) {
        let mut data = json!({ "object": self.get(object_id).clone() });
        if let Some(previous) = previous {
            data["previous_attributes"] = previous;
        }
        let event = from_fixture(
            "event",
            json!({
                "id": new_id("evt", 24),
                "type": kind,
                "created": self.now(),
                "api_version": API_VERSION,
                "data": data,
                "livemode": false,
                "pending_webhooks": 1,
                // Scenario events are automatic: no API request caused them.
                "request": { "id": null, "idempotency_key": null },
            }),
        );
        *self.created.entry("event".into()).or_default() += 1;
        self.events.push(event);
    }
}
