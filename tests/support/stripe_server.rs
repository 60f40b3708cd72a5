//! In-process Stripe API for integration tests: a small, stateful HTTP server that answers the
//! calls memberdrive makes (customers, Checkout Sessions, the billing portal, and reads of
//! subscriptions, invoices, charges, disputes and payment intents) and sends signed webhook
//! events the way Stripe does.
//!
//! Every object is built from Stripe's own fixtures (`../shared/stripe/fixtures3.json`) with
//! ids and the fields a scenario needs changed, because async-stripe only parses objects that
//! carry every field required at its pinned API version (`2026-09-30.endive`).
//!
//! Tests drive it with scenario methods ([`StripeServer::pay_checkout`], [`StripeServer::renew`],
//! …) that change state as Stripe would and queue the events Stripe sends; they reach the app
//! only when the test calls [`StripeServer::deliver`], so each test chooses order, duplicates
//! and losses ([`Delivery`]).

// Each test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The API version objects are rendered in and events are stamped with: async-stripe's pin.
pub const API_VERSION: &str = "2026-09-30.endive";

const SECONDS_PER_DAY: i64 = 86_400;

/// A running Stripe test server on an ephemeral port of 127.0.0.1.
pub struct StripeServer {
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

/// One API call the server received under `/v1/`, in arrival order (rejected ones too).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without the query string, e.g. `/v1/checkout/sessions`.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Decoded form body, in order, with Stripe's nested keys as sent
    /// (`line_items[0][price_data][unit_amount]`, `metadata[memberdrive_campaign]`).
    pub form: Vec<(String, String)>,
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
    /// The `Stripe-Version` header, if any.
    pub stripe_version: Option<String>,
}

impl RecordedRequest {
    /// The value of a form field, or else of a query parameter, by its full key.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .chain(&self.query)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The ids a payment scenario produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// The Checkout Session (`cs_test_…`), for scenarios that complete one.
    pub checkout_session: Option<String>,
    /// The customer (`cus_…`); `None` for a guest donation without a customer.
    pub customer: Option<String>,
    /// The subscription (`sub_…`), in subscription mode.
    pub subscription: Option<String>,
    /// The invoice (`in_…`) that was paid (or left open), in subscription mode.
    pub invoice: Option<String>,
    /// The payment intent (`pi_…`).
    pub payment_intent: String,
    /// The charge (`ch_…`) of this attempt: `succeeded`, or `failed` when the payment failed.
    pub charge: String,
    /// Amount of the payment in minor units.
    pub amount: i64,
}

/// How [`StripeServer::deliver`] sends the queued events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Each event once, in the order they were queued.
    InOrder,
    /// Each event once, in an order shuffled by the seed (Stripe does not guarantee order).
    Shuffled(u64),
    /// Each event once, newest first.
    Reversed,
    /// Each event `times` times, with the same id, body and signature scheme (Stripe retries
    /// and sometimes delivers twice); with `concurrently`, the copies of one event race.
    Repeated {
        /// Deliveries per event.
        times: usize,
        /// Send the copies of each event at the same time instead of one after another.
        concurrently: bool,
    },
    /// Only about one event in `keep_one_in` (chosen by the seed) is sent; the rest are lost
    /// for good, as if every retry failed. For tests of `reconcile`.
    DropSome {
        /// Keep roughly one event in this many (1 keeps all).
        keep_one_in: usize,
        /// Seed of the choice.
        seed: u64,
    },
}

impl StripeServer {
    /// The only API key the server accepts (`Authorization: Bearer …`).
    pub const SECRET_KEY: &'static str = "sk_test_memberdrive";
    /// The secret events are signed with unless [`StripeServer::set_webhook_secret`] changes it.
    pub const WEBHOOK_SECRET: &'static str = "whsec_memberdrive_test";

    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start() -> StripeServer {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind test Stripe server");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            base_url: format!("http://127.0.0.1:{port}/"),
            state: Mutex::new(State::default()),
        });
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        StripeServer {
            shared,
            accept_task,
        }
    }

    /// Base URL for `STRIPE_API_BASE` and async-stripe's `ClientBuilder::url`:
    /// `http://127.0.0.1:PORT/` (the client appends `v1/…`).
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Where [`StripeServer::deliver`] posts events, e.g. the app's
    /// `http://127.0.0.1:P/webhooks/stripe`.
    pub fn set_webhook_url(&self, url: &str) {
        self.state().webhook_url = Some(url.to_owned());
    }

    /// Signs later deliveries with another secret (secret rotation, or a wrong secret).
    pub fn set_webhook_secret(&self, secret: &str) {
        self.state().webhook_secret = Some(secret.to_owned());
    }

    /// Every API call received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// How many objects of a type were created, by their `object` name (`"customer"`,
    /// `"checkout.session"`, `"subscription"`, `"invoice"`, `"payment_intent"`, `"charge"`,
    /// `"billing_portal.session"`, `"dispute"`, `"refund"`, `"price"`, `"product"`, …).
    /// Idempotent replays create nothing.
    pub fn objects_created(&self, kind: &str) -> usize {
        self.state().created.get(kind).copied().unwrap_or(0)
    }

    /// The current state of a Checkout Session as the API would return it; panics if unknown.
    pub fn checkout_session(&self, id: &str) -> Value {
        self.object(id)
            .unwrap_or_else(|| panic!("no checkout session {id} on the test Stripe server"))
    }

    /// The current state of any object by id (`cus_…`, `sub_…`, `in_…`, `ch_…`, …).
    pub fn object(&self, id: &str) -> Option<Value> {
        self.state().objects.get(id).cloned()
    }

    /// The server's clock in unix seconds: real time plus every [`StripeServer::advance`].
    pub fn now(&self) -> i64 {
        self.state().now()
    }

    /// Moves the server's clock forward; `created`, periods and `paid_at` of later objects
    /// follow it. Webhook signatures keep using real time, as the app checks them against its
    /// own clock.
    pub fn advance(&self, days: i64) {
        self.state().clock_offset += days * SECONDS_PER_DAY;
    }

    /// The customer completes a Checkout Session and pays.
    ///
    /// Subscription mode: creates the customer if the session named none, an `active`
    /// subscription (metadata = `subscription_data[metadata]`), its first invoice (`paid`,
    /// `subscription_create`), a payment intent and a charge. Queues
    /// `checkout.session.completed`, `customer.subscription.created`, `invoice.paid`.
    ///
    /// Payment mode (a donation): a payment intent (metadata = `payment_intent_data[metadata]`)
    /// and a charge; a customer only if the session named one or had
    /// `customer_creation=always`. Queues `checkout.session.completed` (`payment_status: paid`).
    pub fn pay_checkout(&self, session_id: &str) -> Paid {
        self.state().complete_checkout(session_id, true)
    }

    /// Subscription mode only: the session completes but the first payment fails (as with a
    /// delayed payment method): the subscription is `incomplete`, its first invoice `open`, the
    /// charge `failed`. Queues `checkout.session.completed` (`payment_status: unpaid`),
    /// `customer.subscription.created`, `invoice.payment_failed`. Follow with
    /// [`StripeServer::retry_payment_succeeds`] or [`StripeServer::end_subscription`].
    pub fn pay_checkout_first_payment_fails(&self, session_id: &str) -> Paid {
        self.state().complete_checkout(session_id, false)
    }

    /// The subscription's open latest invoice is paid on a retry: a new charge on the same
    /// payment intent, invoice `paid`, subscription `active` (from `incomplete` or `past_due`);
    /// the Checkout Session that created it becomes `payment_status: paid` (no event for
    /// that). Queues `invoice.paid`, `customer.subscription.updated`.
    pub fn retry_payment_succeeds(&self, subscription_id: &str) -> Paid {
        self.state().retry_payment(subscription_id)
    }

    /// The next billing period starts and is paid. If the server clock is before the current
    /// period's end it is moved there first (time passes). New invoice (`paid`,
    /// `subscription_cycle`), payment intent and charge. Queues
    /// `customer.subscription.updated` (new item period), `invoice.paid`.
    pub fn renew(&self, subscription_id: &str) -> Paid {
        self.state().renew(subscription_id, true)
    }

    /// Like [`StripeServer::renew`] but the payment fails: the new invoice stays `open`, the
    /// subscription turns `past_due`. Queues `invoice.payment_failed`,
    /// `customer.subscription.updated`. Returns the open invoice's id.
    pub fn renewal_fails(&self, subscription_id: &str) -> String {
        let paid = self.state().renew(subscription_id, false);
        paid.invoice.expect("a renewal has an invoice")
    }

    /// The member cancels in the billing portal: `cancel_at_period_end: true`, `cancel_at` =
    /// the period's end, `canceled_at` = now; the status stays `active`. Queues
    /// `customer.subscription.updated`.
    pub fn cancel_at_period_end(&self, subscription_id: &str) {
        self.state().cancel_at_period_end(subscription_id);
    }

    /// The subscription ends: status `canceled`, `ended_at` set. After
    /// [`StripeServer::cancel_at_period_end`] the clock first moves to the period's end;
    /// otherwise it ends now (dunning gave up, or an immediate cancellation). Queues
    /// `customer.subscription.deleted`.
    pub fn end_subscription(&self, subscription_id: &str) {
        self.state().end_subscription(subscription_id);
    }

    /// Refunds a charge in full: `refunded`, `amount_refunded`, a `refund` in `refunds`.
    /// Queues `charge.refunded`.
    pub fn refund(&self, charge_id: &str) {
        self.state().refund(charge_id);
    }

    /// The cardholder disputes a charge (`charge.disputed: true`); the dispute is then decided.
    /// Queues `charge.dispute.created` (status `needs_response`) and `charge.dispute.closed`
    /// (status `lost` or `won`). Returns nothing; the dispute id is in the events.
    pub fn dispute(&self, charge_id: &str, lost: bool) {
        self.state().dispute(charge_id, lost);
    }

    /// A subscription of another product on the same Stripe account (not made through
    /// memberdrive's checkout): its own customer, no memberdrive metadata, paid first invoice.
    /// Queues `customer.subscription.created`, `invoice.paid`. Returns the subscription id.
    pub fn foreign_subscription(&self) -> String {
        self.state().foreign_subscription()
    }

    /// The events queued and not yet delivered, oldest first.
    pub fn pending_events(&self) -> Vec<Value> {
        self.state().events.clone()
    }

    /// Removes the queued events without delivering them (lost for good) and returns them.
    pub fn take_events(&self) -> Vec<Value> {
        std::mem::take(&mut self.state().events)
    }

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
            Delivery::InOrder | Delivery::Repeated { .. } => {}
        }
        let (times, concurrently) = match how {
            Delivery::Repeated {
                times,
                concurrently,
            } => (times, concurrently),
            _ => (1, false),
        };
        // No proxy: a test environment's HTTP_PROXY must not capture loopback deliveries.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("webhook client");
        let mut statuses = Vec::new();
        for event in &events {
            // One body per event: every copy of a repeated delivery is byte-identical.
            let body = serde_json::to_string_pretty(event).expect("event JSON");
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

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the state from the others.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for StripeServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which closes every connection.
        self.accept_task.abort();
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

fn unix_now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    since_epoch.expect("clock after 1970").as_secs() as i64
}

// ---------------------------------------------------------------------------------------------
// Fixtures and ids
// ---------------------------------------------------------------------------------------------

/// A fresh copy of Stripe's example object of a type (`resources[kind]` in fixtures3.json).
fn fixture(kind: &str) -> Value {
    static RESOURCES: OnceLock<Value> = OnceLock::new();
    let resources = RESOURCES.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/stripe/fixtures3.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut all: Value = serde_json::from_str(&text).expect("fixtures3.json is JSON");
        all["resources"].take()
    });
    let object = resources[kind].clone();
    assert!(object.is_object(), "fixtures3.json has no {kind}");
    object
}

/// A fixture object with some top-level fields replaced.
fn from_fixture(kind: &str, fields: Value) -> Value {
    let mut object = fixture(kind);
    set(&mut object, fields);
    object
}

/// Replaces top-level fields of an object (shallow: nested objects are replaced whole).
fn set(object: &mut Value, fields: Value) {
    let Value::Object(fields) = fields else {
        panic!("fields must be a JSON object")
    };
    let object = object.as_object_mut().expect("a JSON object");
    object.extend(fields);
}

/// A Stripe-looking id: the type's prefix and random base-62 characters.
fn new_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let tail: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// The end of a billing period, by calendar (months and years as Stripe counts them).
fn period_end(start: i64, interval: &str, count: u32) -> i64 {
    use chrono::{DateTime, Months, TimeDelta};
    let at = DateTime::from_timestamp(start, 0).expect("valid timestamp");
    let end = match interval {
        "day" => Some(at + TimeDelta::days(count.into())),
        "week" => Some(at + TimeDelta::weeks(count.into())),
        "month" => at.checked_add_months(Months::new(count)),
        "year" => at.checked_add_months(Months::new(12 * count)),
        other => panic!("unknown interval {other}"),
    };
    end.expect("period end in range").timestamp()
}

fn string_map(pairs: &[(String, String)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(map)
}

// ---------------------------------------------------------------------------------------------
// State and scenarios
// ---------------------------------------------------------------------------------------------

struct Shared {
    base_url: String,
    state: Mutex<State>,
}

/// What a Checkout Session was created with beyond what the session object shows.
#[derive(Clone)]
struct CheckoutExtras {
    line: LineItem,
    subscription_metadata: Value,
    payment_intent_metadata: Value,
    payment_intent_description: Option<String>,
}

/// The one line item of a checkout or subscription.
#[derive(Clone)]
struct LineItem {
    price: String,
    product: String,
    name: String,
    currency: String,
    unit_amount: i64,
    quantity: u64,
    /// `(interval, interval_count)` for a recurring price.
    recurring: Option<(String, u32)>,
}

impl LineItem {
    fn amount(&self) -> i64 {
        self.unit_amount * self.quantity as i64
    }
}

/// A stored idempotent result, replayed for a repeated key.
struct Replay {
    method: String,
    path: String,
    /// Sorted: async-stripe serializes `HashMap`s (metadata) in a random order, and Stripe
    /// compares parameters, not their order.
    params: Vec<(String, String)>,
    response: Response,
}

fn sorted(form: &[(String, String)]) -> Vec<(String, String)> {
    let mut form = form.to_vec();
    form.sort();
    form
}

#[derive(Default)]
struct State {
    clock_offset: i64,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    requests: Vec<RecordedRequest>,
    /// Every object by id; `order` keeps creation order for lists (newest last).
    objects: HashMap<String, Value>,
    order: Vec<String>,
    created: HashMap<String, usize>,
    checkouts: HashMap<String, CheckoutExtras>,
    idempotent: HashMap<String, Replay>,
    events: Vec<Value>,
}

impl State {
    fn now(&self) -> i64 {
        unix_now() + self.clock_offset
    }

    fn insert(&mut self, object: Value) -> String {
        let id = object["id"].as_str().expect("object id").to_owned();
        let kind = object["object"].as_str().expect("object type").to_owned();
        *self.created.entry(kind).or_default() += 1;
        self.order.push(id.clone());
        self.objects.insert(id.clone(), object);
        id
    }

    fn get(&self, id: &str) -> &Value {
        self.objects
            .get(id)
            .unwrap_or_else(|| panic!("no object {id} on the test Stripe server"))
    }

    fn get_mut(&mut self, id: &str) -> &mut Value {
        self.objects
            .get_mut(id)
            .unwrap_or_else(|| panic!("no object {id} on the test Stripe server"))
    }

    /// An object of one type, or a panic naming what the test got wrong.
    fn expect_kind(&self, id: &str, kind: &str) -> &Value {
        let object = self.get(id);
        assert_eq!(object["object"], kind, "{id} is not a {kind}");
        object
    }

    /// Queues an event carrying a snapshot of an object as it is now.
    fn queue(&mut self, kind: &str, object_id: &str, previous: Option<Value>) {
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

    fn new_customer(&mut self, email: Option<&str>, name: Option<&str>, metadata: Value) -> String {
        let customer = from_fixture(
            "customer",
            json!({
                "id": new_id("cus", 14),
                "created": self.now(),
                "email": email,
                "name": name,
                "metadata": metadata,
                "description": null,
                "currency": null,
                "discount": null,
                "address": null,
                "shipping": null,
                "invoice_prefix": new_id("x", 8)[2..].to_uppercase(),
            }),
        );
        self.insert(customer)
    }

    /// A price and its product, as `price_data` with `product_data` creates them.
    fn new_price(
        &mut self,
        name: &str,
        currency: &str,
        unit_amount: i64,
        quantity: u64,
        recurring: Option<(String, u32)>,
    ) -> LineItem {
        let now = self.now();
        let product = from_fixture(
            "product",
            json!({
                "id": new_id("prod", 14),
                "created": now,
                "updated": now,
                "name": name,
                "description": null,
                "default_price": null,
                "package_dimensions": null,
                "type": "service",
            }),
        );
        let product = self.insert(product);
        let recurring_json = recurring.as_ref().map(|(interval, count)| {
            json!({
                "interval": interval, "interval_count": count, "meter": null,
                "trial_period_days": null, "usage_type": "licensed",
            })
        });
        let price = from_fixture(
            "price",
            json!({
                "id": new_id("price", 24),
                "created": now,
                "currency": currency,
                "product": product,
                "unit_amount": unit_amount,
                "unit_amount_decimal": unit_amount.to_string(),
                "recurring": recurring_json,
                "type": if recurring.is_some() { "recurring" } else { "one_time" },
                "custom_unit_amount": null,
                "transform_quantity": null,
                // Inline prices (`price_data`) are archived at once, as Stripe does.
                "active": false,
            }),
        );
        let price = self.insert(price);
        LineItem {
            price,
            product,
            name: name.to_owned(),
            currency: currency.to_owned(),
            unit_amount,
            quantity,
            recurring,
        }
    }

    /// A payment intent and the charge of its first attempt, succeeded or declined.
    fn new_payment(
        &mut self,
        customer: Option<&str>,
        amount: i64,
        currency: &str,
        description: &str,
        metadata: &Value,
        succeeded: bool,
    ) -> (String, String) {
        let pi_id = new_id("pi", 24);
        let charge_id = self.new_charge(
            &pi_id,
            customer,
            amount,
            currency,
            description,
            metadata,
            succeeded,
        );
        let payment_intent = from_fixture(
            "payment_intent",
            json!({
                "id": pi_id,
                "created": self.now(),
                "amount": amount,
                "amount_received": if succeeded { amount } else { 0 },
                "currency": currency,
                "customer": customer,
                "description": description,
                "metadata": metadata,
                "latest_charge": charge_id,
                "client_secret": format!("{pi_id}_secret_{}", &new_id("s", 25)[2..]),
                "canceled_at": null,
                "next_action": null,
                "processing": null,
                "shipping": null,
                "transfer_data": null,
                "automatic_payment_methods": null,
                "payment_method_configuration_details": null,
                "managed_payments": null,
            }),
        );
        self.insert(payment_intent);
        self.settle_payment_intent(&pi_id, &charge_id, succeeded);
        (pi_id, charge_id)
    }

    /// Points a payment intent at its latest charge and sets its status from the outcome.
    fn settle_payment_intent(&mut self, pi_id: &str, charge_id: &str, succeeded: bool) {
        let amount = self.get(pi_id)["amount"].clone();
        let payment_method = self.get(charge_id)["payment_method"].clone();
        let error = json!({
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "charge": charge_id,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        });
        set(
            self.get_mut(pi_id),
            json!({
                "latest_charge": charge_id,
                "status": if succeeded { "succeeded" } else { "requires_payment_method" },
                "amount_received": if succeeded { amount } else { json!(0) },
                "payment_method": if succeeded { payment_method } else { Value::Null },
                "last_payment_error": if succeeded { Value::Null } else { error },
            }),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn new_charge(
        &mut self,
        pi_id: &str,
        customer: Option<&str>,
        amount: i64,
        currency: &str,
        description: &str,
        metadata: &Value,
        succeeded: bool,
    ) -> String {
        let id = new_id("ch", 24);
        let outcome = if succeeded {
            json!({
                "advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized",
            })
        } else {
            json!({
                "advice_code": "try_again_later", "network_advice_code": null,
                "network_decline_code": null, "network_status": "declined_by_network",
                "reason": "generic_decline", "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            })
        };
        let mut billing_details = fixture("charge")["billing_details"].take();
        billing_details["name"] = Value::Null;
        let charge = from_fixture(
            "charge",
            json!({
                "id": id,
                "created": self.now(),
                "amount": amount,
                "amount_captured": if succeeded { amount } else { 0 },
                "amount_refunded": 0,
                "captured": succeeded,
                "paid": succeeded,
                "status": if succeeded { "succeeded" } else { "failed" },
                "failure_code": if succeeded { None } else { Some("card_declined") },
                "failure_message": if succeeded { None } else { Some("Your card was declined.") },
                "outcome": outcome,
                "currency": currency,
                "customer": customer,
                "description": description,
                "metadata": metadata,
                "payment_intent": pi_id,
                "payment_method": new_id("pm", 24),
                "billing_details": billing_details,
                "balance_transaction": if succeeded { Some(new_id("txn", 24)) } else { None },
                "receipt_url": null,
                "refunded": false,
                "disputed": false,
                "refunds": {
                    "object": "list", "data": [], "has_more": false,
                    "url": format!("/v1/charges/{id}/refunds"),
                },
                "source": null,
                "shipping": null,
                "transfer_data": null,
                "fraud_details": {},
            }),
        );
        self.insert(charge)
    }

    fn new_subscription(
        &mut self,
        customer: &str,
        line: &LineItem,
        metadata: Value,
        status: &str,
    ) -> String {
        let now = self.now();
        let id = new_id("sub", 24);
        let (interval, count) = line.recurring.clone().expect("a recurring price");
        let price = self.get(&line.price).clone();
        let mut item = fixture("subscription")["items"]["data"][0].take();
        set(
            &mut item,
            json!({
                "id": new_id("si", 14),
                "created": now,
                "metadata": {},
                "price": price,
                "plan": self.plan(line),
                "quantity": line.quantity,
                "subscription": id,
                "current_period_start": now,
                "current_period_end": period_end(now, &interval, count),
                "billing_thresholds": null,
            }),
        );
        let subscription = from_fixture(
            "subscription",
            json!({
                "id": id,
                "created": now,
                "start_date": now,
                "billing_cycle_anchor": now,
                "billing_cycle_anchor_config": null,
                "customer": customer,
                "currency": line.currency,
                "status": status,
                "metadata": metadata,
                "items": {
                    "object": "list", "data": [item], "has_more": false,
                    "url": format!("/v1/subscription_items?subscription={id}"),
                },
                "latest_invoice": null,
                "cancel_at": null,
                "cancel_at_period_end": false,
                "canceled_at": null,
                "cancellation_details": { "comment": null, "feedback": null, "reason": null },
                "ended_at": null,
                "trial_start": null,
                "trial_end": null,
                "trial_settings": null,
                "pause_collection": null,
                "pending_update": null,
                "pending_invoice_item_interval": null,
                "next_pending_invoice_item_invoice": null,
                "transfer_data": null,
                "billing_thresholds": null,
                "billing_schedules": [],
                "managed_payments": null,
                "automatic_tax": { "enabled": false, "liability": null, "disabled_reason": null },
            }),
        );
        self.insert(subscription)
    }

    /// The legacy `plan` twin of a recurring price, which subscription items still carry.
    fn plan(&self, line: &LineItem) -> Value {
        let (interval, count) = line.recurring.clone().expect("a recurring price");
        let price = self.get(&line.price);
        from_fixture(
            "plan",
            json!({
                "id": line.price,
                "created": price["created"],
                "active": price["active"],
                "amount": line.unit_amount,
                "amount_decimal": line.unit_amount.to_string(),
                "currency": line.currency,
                "interval": interval,
                "interval_count": count,
                "product": line.product,
                "transform_usage": null,
            }),
        )
    }

    /// The subscription's current item as a line item (price, quantity, period).
    fn subscription_line(&self, sub_id: &str) -> (LineItem, Value) {
        let item = &self.get(sub_id)["items"]["data"][0];
        let price = &item["price"];
        let line = LineItem {
            price: price["id"].as_str().expect("price id").to_owned(),
            product: price["product"].as_str().expect("product id").to_owned(),
            name: self.get(price["product"].as_str().unwrap())["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            currency: price["currency"].as_str().expect("currency").to_owned(),
            unit_amount: price["unit_amount"].as_i64().expect("unit amount"),
            quantity: item["quantity"].as_u64().unwrap_or(1),
            recurring: Some((
                price["recurring"]["interval"].as_str().unwrap().to_owned(),
                price["recurring"]["interval_count"].as_u64().unwrap() as u32,
            )),
        };
        let period =
            json!({ "start": item["current_period_start"], "end": item["current_period_end"] });
        (line, period)
    }

    /// Invoices the subscription's current period and tries to collect it.
    fn bill(
        &mut self,
        sub_id: &str,
        reason: &str,
        invoice_period: (i64, i64),
        succeed: bool,
    ) -> Paid {
        let now = self.now();
        let subscription = self.expect_kind(sub_id, "subscription").clone();
        let customer = subscription["customer"]
            .as_str()
            .expect("customer id")
            .to_owned();
        let (line, line_period) = self.subscription_line(sub_id);
        let amount = line.amount();
        let description = match reason {
            "subscription_create" => "Subscription creation",
            _ => "Subscription update",
        };
        let (pi_id, charge_id) = self.new_payment(
            Some(&customer),
            amount,
            &line.currency,
            description,
            &json!({}),
            succeed,
        );
        let id = new_id("in", 24);
        let customer_object = self.get(&customer).clone();
        let number = format!(
            "{}-{:04}",
            customer_object["invoice_prefix"].as_str().unwrap_or("MD"),
            customer_object["next_invoice_sequence"]
                .as_i64()
                .unwrap_or(1)
        );
        self.get_mut(&customer)["next_invoice_sequence"] = json!(
            customer_object["next_invoice_sequence"]
                .as_i64()
                .unwrap_or(1)
                + 1
        );
        let mut invoice_line = fixture("invoice")["lines"]["data"][0].take();
        set(
            &mut invoice_line,
            json!({
                "id": new_id("il", 24),
                "invoice": id,
                "amount": amount,
                "subtotal": amount,
                "currency": line.currency,
                "description": format!("{} × {}", line.quantity, line.name),
                "period": line_period,
                "quantity": line.quantity,
                "subscription": sub_id,
                "discountable": true,
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": null,
                    "subscription_item_details": {
                        "invoice_item": null,
                        "proration": false,
                        "proration_details": { "credited_items": null },
                        "subscription": sub_id,
                        "subscription_item": subscription["items"]["data"][0]["id"],
                    },
                },
                "pricing": {
                    "type": "price_details",
                    "price_details": { "price": line.price, "product": line.product },
                    "unit_amount_decimal": line.unit_amount.to_string(),
                },
            }),
        );
        let mut invoice = from_fixture(
            "invoice",
            json!({
                "id": id,
                "created": now,
                "customer": customer,
                "customer_email": customer_object["email"],
                "customer_name": customer_object["name"],
                "customer_address": null,
                "customer_shipping": null,
                "shipping_details": null,
                "shipping_cost": null,
                "currency": line.currency,
                "billing_reason": reason,
                "collection_method": "charge_automatically",
                "amount_due": amount,
                "amount_paid": 0,
                "amount_remaining": amount,
                "amount_overpaid": 0,
                "subtotal": amount,
                "subtotal_excluding_tax": amount,
                "total": amount,
                "total_excluding_tax": amount,
                "attempt_count": 1,
                "attempted": true,
                "auto_advance": !succeed,
                "status": "open",
                "status_transitions": {
                    "finalized_at": now, "marked_uncollectible_at": null,
                    "paid_at": null, "voided_at": null,
                },
                "number": number,
                "hosted_invoice_url": null,
                "invoice_pdf": null,
                "due_date": null,
                "effective_at": now,
                "period_start": invoice_period.0,
                "period_end": invoice_period.1,
                "next_payment_attempt": if succeed { None } else { Some(now + 3 * SECONDS_PER_DAY) },
            }),
        );
        // Two calls: one `json!` this size exceeds the macro recursion limit.
        set(
            &mut invoice,
            json!({
                "webhooks_delivered_at": now,
                "from_invoice": null,
                "last_finalization_error": null,
                "metadata": {},
                "lines": {
                    "object": "list", "data": [invoice_line], "has_more": false,
                    "url": format!("/v1/invoices/{id}/lines"),
                },
                "parent": {
                    "type": "subscription_details",
                    "quote_details": null,
                    "subscription_details": {
                        "metadata": subscription["metadata"],
                        "subscription": sub_id,
                    },
                },
                // The pre-2025 field, still in the fixture: older readers look here.
                "subscription": sub_id,
            }),
        );
        self.insert(invoice);
        let invoice_payment = from_fixture(
            "invoice_payment",
            json!({
                "id": new_id("inpay", 24),
                "created": now,
                "invoice": id,
                "currency": line.currency,
                "amount_requested": amount,
                "amount_paid": null,
                "is_default": true,
                "livemode": false,
                "payment": { "type": "payment_intent", "payment_intent": pi_id },
                "status": "open",
                "status_transitions": { "canceled_at": null, "paid_at": null },
            }),
        );
        self.insert(invoice_payment);
        if succeed {
            self.mark_invoice_paid(&id);
        }
        self.get_mut(sub_id)["latest_invoice"] = json!(id);
        Paid {
            checkout_session: None,
            customer: Some(customer),
            subscription: Some(sub_id.to_owned()),
            invoice: Some(id),
            payment_intent: pi_id,
            charge: charge_id,
            amount,
        }
    }

    fn mark_invoice_paid(&mut self, invoice_id: &str) {
        let now = self.now();
        let invoice = self.get_mut(invoice_id);
        let amount = invoice["amount_due"].clone();
        set(
            invoice,
            json!({
                "status": "paid",
                "amount_paid": amount,
                "amount_remaining": 0,
                "auto_advance": false,
                "next_payment_attempt": null,
            }),
        );
        invoice["status_transitions"]["paid_at"] = json!(now);
        let payment_id = self.invoice_payments(invoice_id)[0].clone();
        let payment = self.get_mut(&payment_id);
        set(payment, json!({ "status": "paid", "amount_paid": amount }));
        payment["status_transitions"]["paid_at"] = json!(now);
    }

    /// Ids of an invoice's `invoice_payment` objects, oldest first.
    fn invoice_payments(&self, invoice_id: &str) -> Vec<String> {
        self.order
            .iter()
            .filter(|id| {
                let object = &self.objects[*id];
                object["object"] == "invoice_payment" && object["invoice"] == invoice_id
            })
            .cloned()
            .collect()
    }

    fn complete_checkout(&mut self, session_id: &str, succeed: bool) -> Paid {
        let session = self.expect_kind(session_id, "checkout.session").clone();
        assert_eq!(
            session["status"], "open",
            "checkout session {session_id} is not open"
        );
        let extras = self.checkouts[session_id].clone();
        let subscription_mode = session["mode"] == "subscription";
        assert!(
            succeed || subscription_mode,
            "a declined card never completes a payment-mode Checkout Session: nothing to simulate"
        );
        let email = session["customer_email"]
            .as_str()
            .unwrap_or("customer@example.com")
            .to_owned();
        let mut customer = session["customer"].as_str().map(str::to_owned);
        if customer.is_none() && (subscription_mode || session["customer_creation"] == "always") {
            customer = Some(self.new_customer(Some(&email), None, json!({})));
        }
        let email = customer
            .as_ref()
            .and_then(|c| self.get(c)["email"].as_str().map(str::to_owned))
            .unwrap_or(email);
        let mut customer_details = fixture("checkout.session")["customer_details"].take();
        set(
            &mut customer_details,
            json!({ "email": email, "address": null }),
        );

        let paid = if subscription_mode {
            let customer = customer
                .as_deref()
                .expect("subscription mode has a customer");
            let status = if succeed { "active" } else { "incomplete" };
            let sub_id = self.new_subscription(
                customer,
                &extras.line,
                extras.subscription_metadata.clone(),
                status,
            );
            let now = self.now();
            self.bill(&sub_id, "subscription_create", (now, now), succeed)
        } else {
            let description = extras
                .payment_intent_description
                .clone()
                .unwrap_or_default();
            let (pi_id, charge_id) = self.new_payment(
                customer.as_deref(),
                extras.line.amount(),
                &extras.line.currency,
                &description,
                &extras.payment_intent_metadata,
                true,
            );
            Paid {
                checkout_session: None,
                customer: customer.clone(),
                subscription: None,
                invoice: None,
                payment_intent: pi_id,
                charge: charge_id,
                amount: extras.line.amount(),
            }
        };
        set(
            self.get_mut(session_id),
            json!({
                "status": "complete",
                "payment_status": if succeed { "paid" } else { "unpaid" },
                "customer": customer,
                "customer_details": customer_details,
                "subscription": paid.subscription,
                "invoice": paid.invoice,
                // Subscription mode pays through the invoice's own payment intent.
                "payment_intent": if subscription_mode { None } else { Some(&paid.payment_intent) },
                "url": null,
            }),
        );
        self.queue("checkout.session.completed", session_id, None);
        if let Some(sub_id) = &paid.subscription {
            let invoice_id = paid.invoice.clone().expect("subscription invoice");
            self.queue("customer.subscription.created", sub_id, None);
            let kind = if succeed {
                "invoice.paid"
            } else {
                "invoice.payment_failed"
            };
            self.queue(kind, &invoice_id, None);
        }
        Paid {
            checkout_session: Some(session_id.to_owned()),
            ..paid
        }
    }

    fn retry_payment(&mut self, sub_id: &str) -> Paid {
        let subscription = self.expect_kind(sub_id, "subscription").clone();
        let invoice_id = subscription["latest_invoice"]
            .as_str()
            .expect("an invoice")
            .to_owned();
        let invoice = self.get(&invoice_id).clone();
        assert_eq!(
            invoice["status"], "open",
            "the latest invoice of {sub_id} is not open"
        );
        let payment_id = self.invoice_payments(&invoice_id)[0].clone();
        let pi_id = self.get(&payment_id)["payment"]["payment_intent"]
            .as_str()
            .expect("payment intent")
            .to_owned();
        let pi = self.get(&pi_id).clone();
        let amount = pi["amount"].as_i64().expect("amount");
        let charge_id = self.new_charge(
            &pi_id,
            pi["customer"].as_str(),
            amount,
            pi["currency"].as_str().expect("currency"),
            pi["description"].as_str().unwrap_or_default(),
            &pi["metadata"],
            true,
        );
        self.settle_payment_intent(&pi_id, &charge_id, true);
        self.get_mut(&invoice_id)["attempt_count"] =
            json!(invoice["attempt_count"].as_i64().unwrap_or(1) + 1);
        self.mark_invoice_paid(&invoice_id);
        self.get_mut(sub_id)["status"] = json!("active");
        let session = self
            .order
            .iter()
            .find(|id| {
                self.objects[*id]["object"] == "checkout.session"
                    && self.objects[*id]["invoice"] == invoice_id.as_str()
            })
            .cloned();
        if let Some(session) = &session {
            self.get_mut(session)["payment_status"] = json!("paid");
        }
        self.queue("invoice.paid", &invoice_id, None);
        let previous = json!({ "status": subscription["status"] });
        self.queue("customer.subscription.updated", sub_id, Some(previous));
        Paid {
            checkout_session: session,
            customer: pi["customer"].as_str().map(str::to_owned),
            subscription: Some(sub_id.to_owned()),
            invoice: Some(invoice_id),
            payment_intent: pi_id,
            charge: charge_id,
            amount,
        }
    }

    fn renew(&mut self, sub_id: &str, succeed: bool) -> Paid {
        let before = self.expect_kind(sub_id, "subscription").clone();
        let (line, period) = self.subscription_line(sub_id);
        let (start, end) = (
            period["start"].as_i64().unwrap(),
            period["end"].as_i64().unwrap(),
        );
        // Renewal happens at the period's end: if the test has not moved the clock there, time
        // passes until it is.
        if self.now() < end {
            self.clock_offset += end - self.now();
        }
        let (interval, count) = line.recurring.clone().expect("recurring");
        let item = &mut self.get_mut(sub_id)["items"]["data"][0];
        item["current_period_start"] = json!(end);
        item["current_period_end"] = json!(period_end(end, &interval, count));
        let paid = self.bill(sub_id, "subscription_cycle", (start, end), succeed);
        let mut previous = json!({
            "items": before["items"],
            "latest_invoice": before["latest_invoice"],
        });
        if succeed {
            self.queue("customer.subscription.updated", sub_id, Some(previous));
            self.queue("invoice.paid", paid.invoice.as_deref().unwrap(), None);
        } else {
            self.get_mut(sub_id)["status"] = json!("past_due");
            previous["status"] = before["status"].clone();
            self.queue(
                "invoice.payment_failed",
                paid.invoice.as_deref().unwrap(),
                None,
            );
            self.queue("customer.subscription.updated", sub_id, Some(previous));
        }
        paid
    }

    fn cancel_at_period_end(&mut self, sub_id: &str) {
        let now = self.now();
        let before = self.expect_kind(sub_id, "subscription").clone();
        let end = before["items"]["data"][0]["current_period_end"].clone();
        set(
            self.get_mut(sub_id),
            json!({
                "cancel_at_period_end": true,
                "cancel_at": end,
                "canceled_at": now,
                "cancellation_details": {
                    "comment": null, "feedback": null, "reason": "cancellation_requested",
                },
            }),
        );
        let previous = json!({
            "cancel_at_period_end": before["cancel_at_period_end"],
            "cancel_at": before["cancel_at"],
            "canceled_at": before["canceled_at"],
            "cancellation_details": before["cancellation_details"],
        });
        self.queue("customer.subscription.updated", sub_id, Some(previous));
    }

    fn end_subscription(&mut self, sub_id: &str) {
        let before = self.expect_kind(sub_id, "subscription").clone();
        if before["cancel_at_period_end"] == true {
            let end = before["items"]["data"][0]["current_period_end"]
                .as_i64()
                .unwrap();
            if self.now() < end {
                self.clock_offset += end - self.now();
            }
        }
        let now = self.now();
        let reason = match before["status"].as_str() {
            Some("past_due" | "incomplete" | "unpaid") => "payment_failed",
            _ => "cancellation_requested",
        };
        let canceled_at = before["canceled_at"].as_i64().unwrap_or(now);
        set(
            self.get_mut(sub_id),
            json!({
                "status": "canceled",
                "ended_at": now,
                "canceled_at": canceled_at,
                "cancellation_details": { "comment": null, "feedback": null, "reason": reason },
            }),
        );
        self.queue("customer.subscription.deleted", sub_id, None);
    }

    fn refund(&mut self, charge_id: &str) {
        let charge = self.expect_kind(charge_id, "charge").clone();
        assert_eq!(
            charge["status"], "succeeded",
            "only a succeeded charge can be refunded"
        );
        let amount = charge["amount"].clone();
        let refund = from_fixture(
            "refund",
            json!({
                "id": new_id("re", 24),
                "created": self.now(),
                "amount": amount,
                "charge": charge_id,
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "customer": charge["customer"],
                "reason": "requested_by_customer",
                "status": "succeeded",
                "balance_transaction": new_id("txn", 24),
            }),
        );
        let refund_id = self.insert(refund);
        let refund = self.get(&refund_id).clone();
        let charge = self.get_mut(charge_id);
        set(
            charge,
            json!({ "amount_refunded": amount, "refunded": true }),
        );
        charge["refunds"]["data"]
            .as_array_mut()
            .expect("refund list")
            .insert(0, refund);
        let previous = json!({ "amount_refunded": 0, "refunded": false });
        self.queue("charge.refunded", charge_id, Some(previous));
    }

    fn dispute(&mut self, charge_id: &str, lost: bool) {
        let now = self.now();
        let charge = self.expect_kind(charge_id, "charge").clone();
        let mut evidence_details = fixture("dispute")["evidence_details"].take();
        evidence_details["due_by"] = json!(now + 7 * SECONDS_PER_DAY);
        let dispute = from_fixture(
            "dispute",
            json!({
                "id": new_id("dp", 24),
                "created": now,
                "amount": charge["amount"],
                "currency": charge["currency"],
                "charge": charge_id,
                "payment_intent": charge["payment_intent"],
                "reason": "fraudulent",
                "status": "needs_response",
                "is_charge_refundable": false,
                "evidence_details": evidence_details,
                "enhanced_eligibility_types": [],
            }),
        );
        let dispute_id = self.insert(dispute);
        self.get_mut(charge_id)["disputed"] = json!(true);
        self.queue("charge.dispute.created", &dispute_id, None);
        self.get_mut(&dispute_id)["status"] = json!(if lost { "lost" } else { "won" });
        let previous = json!({ "status": "needs_response" });
        self.queue("charge.dispute.closed", &dispute_id, Some(previous));
    }

    fn foreign_subscription(&mut self) -> String {
        let customer = self.new_customer(
            Some("subscriber@other-product.example"),
            Some("Other Subscriber"),
            json!({}),
        );
        let line = self.new_price("Crossword Club", "usd", 1200, 1, Some(("month".into(), 1)));
        let sub_id =
            self.new_subscription(&customer, &line, json!({ "app": "crosswords" }), "active");
        let now = self.now();
        let paid = self.bill(&sub_id, "subscription_create", (now, now), true);
        self.queue("customer.subscription.created", &sub_id, None);
        self.queue("invoice.paid", paid.invoice.as_deref().unwrap(), None);
        sub_id
    }
}

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

/// A decoded request.
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    replayed: bool,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            content_type: "application/json",
            body: serde_json::to_vec_pretty(body).expect("JSON"),
            replayed: false,
        }
    }

    fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            replayed: false,
        }
    }
}

/// A Stripe API error: `{"error": {"type": …, "message": …, …}}`.
struct ApiError {
    status: u16,
    error: Value,
}

type ApiResult = Result<Value, ApiError>;

fn invalid(param: Option<&str>, message: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        error: json!({ "type": "invalid_request_error", "message": message.into(), "param": param }),
    }
}

fn missing(param: &str) -> ApiError {
    let mut error = invalid(Some(param), format!("Missing required param: {param}."));
    error.error["code"] = json!("parameter_missing");
    error
}

fn no_such(kind: &str, id: &str, param: &str, status: u16) -> ApiError {
    ApiError {
        status,
        error: json!({
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": format!("No such {kind}: '{id}'"),
            "param": param,
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        }),
    }
}

/// Form or query parameters with Stripe's bracketed keys.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev() // the last value wins, as in Stripe
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn has_prefix(&self, prefix: &str) -> bool {
        self.0.iter().any(|(k, _)| k.starts_with(prefix))
    }

    /// A metadata hash (`metadata[key]=value`, or nested like `subscription_data[metadata]`)
    /// as a JSON object of strings, with Stripe's limits. An empty value means "no such key".
    fn metadata(&self, name: &str) -> Result<Value, ApiError> {
        let prefix = format!("{name}[");
        let mut map = Map::new();
        for (key, value) in self.0 {
            let Some(inner) = key.strip_prefix(&prefix).and_then(|k| k.strip_suffix(']')) else {
                continue;
            };
            if inner.chars().count() > 40 || value.chars().count() > 500 {
                return Err(invalid(
                    Some(key),
                    "Metadata keys can be at most 40 characters and values at most 500 characters.",
                ));
            }
            if value.is_empty() {
                map.remove(inner);
            } else {
                map.insert(inner.to_owned(), Value::String(value.clone()));
            }
        }
        if map.len() > 50 {
            return Err(invalid(Some(name), "Metadata can have at most 50 keys."));
        }
        Ok(Value::Object(map))
    }

    /// An array parameter sent as `name=a`, `name[]=a` or `name[0]=a`.
    fn array(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| {
                k == name
                    || k.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix('['))
                        .and_then(|rest| rest.strip_suffix(']'))
                        .is_some_and(|index| index.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| invalid(Some(key), format!("Invalid integer: {v}")))
            })
            .transpose()
    }
}

impl Shared {
    fn handle(&self, request: Request) -> Response {
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["checkout", id]) => return self.hosted_page("Checkout", id),
            ("GET", ["portal", id]) => return self.hosted_page("Billing portal", id),
            (_, ["v1", ..]) => {}
            _ => return Response::html(404, "<h1>Not found</h1>".into()),
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let idempotency_key = request.header("Idempotency-Key").map(str::to_owned);
        state.requests.push(RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            form: request.form.clone(),
            idempotency_key: idempotency_key.clone(),
            stripe_version: request.header("Stripe-Version").map(str::to_owned),
        });
        if let Err(error) = authenticate(&request) {
            return error_response(error);
        }
        let key = idempotency_key.filter(|_| request.method == "POST");
        if let Some(key) = &key
            && let Some(replay) = state.idempotent.get(key)
        {
            if replay.method == request.method
                && replay.path == request.path
                && replay.params == sorted(&request.form)
            {
                return Response {
                    replayed: true,
                    ..replay.response.clone()
                };
            }
            let mut error = invalid(
                None,
                format!(
                    "Keys for idempotent requests can only be used with the same parameters they \
                     were first used with. Try using a key other than '{key}' if you meant to \
                     execute a different request."
                ),
            );
            error.error["type"] = json!("idempotency_error");
            return error_response(error);
        }
        let response = match self.route(&mut state, &request, &segments[1..]) {
            Ok(body) => Response::json(200, &body),
            Err(error) => error_response(error),
        };
        // Like Stripe, only results of requests that ran are saved; failed validation is not.
        if let Some(key) = key
            && response.status == 200
        {
            state.idempotent.insert(
                key,
                Replay {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    params: sorted(&request.form),
                    response: response.clone(),
                },
            );
        }
        response
    }

    fn route(&self, state: &mut State, request: &Request, segments: &[&str]) -> ApiResult {
        let form = Params(&request.form);
        let query = Params(&request.query);
        // Expansion applies to the response of every call; POSTs send it in the body.
        let params = if request.method == "GET" {
            &query
        } else {
            &form
        };
        let body = match (request.method.as_str(), segments) {
            ("POST", ["customers"]) => {
                let metadata = form.metadata("metadata")?;
                let id = state.new_customer(form.get("email"), form.get("name"), metadata);
                state.get(&id).clone()
            }
            ("GET", ["customers", id]) => retrieve(state, "customer", id)?,
            ("GET", ["customers"]) => {
                let email = query.get("email");
                list(state, "customer", &query, "/v1/customers", |c| {
                    email.is_none_or(|e| c["email"] == e)
                })?
            }
            ("POST", ["checkout", "sessions"]) => self.create_checkout_session(state, &form)?,
            ("GET", ["checkout", "sessions", id]) => retrieve(state, "checkout.session", id)?,
            ("GET", ["checkout", "sessions", id, "line_items"]) => {
                retrieve(state, "checkout.session", id)?;
                line_items(state, id)
            }
            ("GET", ["subscriptions", id]) => retrieve(state, "subscription", id)?,
            ("GET", ["subscriptions"]) => {
                let customer = query.get("customer");
                let status = query.get("status");
                list(state, "subscription", &query, "/v1/subscriptions", |s| {
                    let listed = match status {
                        None => !matches!(
                            s["status"].as_str(),
                            Some("canceled" | "incomplete_expired")
                        ),
                        Some("all") => true,
                        Some("ended") => matches!(
                            s["status"].as_str(),
                            Some("canceled" | "incomplete_expired")
                        ),
                        Some(status) => s["status"] == status,
                    };
                    listed && customer.is_none_or(|c| s["customer"] == c)
                })?
            }
            ("GET", ["invoices", id]) => retrieve(state, "invoice", id)?,
            ("GET", ["invoices"]) => {
                let (customer, subscription) = (query.get("customer"), query.get("subscription"));
                let status = query.get("status");
                list(state, "invoice", &query, "/v1/invoices", |i| {
                    customer.is_none_or(|c| i["customer"] == c)
                        && subscription.is_none_or(|s| {
                            i["parent"]["subscription_details"]["subscription"] == s
                        })
                        && status.is_none_or(|s| i["status"] == s)
                })?
            }
            ("GET", ["charges", id]) => retrieve(state, "charge", id)?,
            ("GET", ["disputes", id]) => retrieve(state, "dispute", id)?,
            ("GET", ["payment_intents", id]) => retrieve(state, "payment_intent", id)?,
            ("POST", ["billing_portal", "sessions"]) => self.create_portal_session(state, &form)?,
            _ => {
                return Err(ApiError {
                    status: 404,
                    error: json!({
                        "type": "invalid_request_error",
                        "message": format!(
                            "Unrecognized request URL ({}: {}). This test server answers only \
                             the calls memberdrive makes.",
                            request.method, request.path
                        ),
                    }),
                });
            }
        };
        let mut body = body;
        for path in params.array("expand") {
            expand(state, &mut body, &path.split('.').collect::<Vec<_>>(), path)?;
        }
        Ok(body)
    }

    fn create_checkout_session(&self, state: &mut State, form: &Params) -> ApiResult {
        let mode = form.get("mode").ok_or_else(|| missing("mode"))?;
        if !matches!(mode, "payment" | "subscription") {
            return Err(invalid(
                Some("mode"),
                format!(
                    "Invalid mode `{mode}`: this test server supports payment and subscription."
                ),
            ));
        }
        let subscription_mode = mode == "subscription";
        if form.has_prefix("line_items[1]") {
            return Err(invalid(
                Some("line_items"),
                "This test server supports one line item per Checkout Session.",
            ));
        }
        let line = self.checkout_line_item(state, form, subscription_mode)?;
        if line.amount() < 50 {
            return Err(invalid(
                Some("line_items"),
                format!(
                    "The Checkout Session's total amount due must add up to at least 50 minor \
                     units of {} (a Stripe minimum).",
                    line.currency
                ),
            ));
        }
        if subscription_mode && form.has_prefix("payment_intent_data") {
            return Err(invalid(
                Some("payment_intent_data"),
                "You can not pass `payment_intent_data` in `subscription` mode.",
            ));
        }
        if !subscription_mode && form.has_prefix("subscription_data") {
            return Err(invalid(
                Some("subscription_data"),
                "You can not pass `subscription_data` in `payment` mode.",
            ));
        }
        if subscription_mode && form.get("customer_creation").is_some() {
            return Err(invalid(
                Some("customer_creation"),
                "`customer_creation` can only be used in `payment` mode.",
            ));
        }
        let customer = form.get("customer");
        if customer.is_some() && form.get("customer_email").is_some() {
            return Err(invalid(
                Some("customer"),
                "You may only specify one of these parameters: customer, customer_email.",
            ));
        }
        if let Some(customer) = customer
            && state
                .objects
                .get(customer)
                .is_none_or(|c| c["object"] != "customer")
        {
            return Err(no_such("customer", customer, "customer", 400));
        }
        let customer_creation = match (customer, subscription_mode) {
            (Some(_), _) => None,
            (None, true) => Some("always"),
            (None, false) => Some(form.get("customer_creation").unwrap_or("if_required")),
        };
        let now = state.now();
        let id = format!("cs_test_a1{}", &new_id("x", 56)[2..]);
        let amount = line.amount();
        let mut session = from_fixture(
            "checkout.session",
            json!({
                "id": id,
                "created": now,
                "expires_at": form.integer("expires_at")?.unwrap_or(now + SECONDS_PER_DAY),
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid",
                "url": format!("{}checkout/{id}", self.base_url),
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "customer": customer,
                "customer_email": form.get("customer_email"),
                "customer_creation": customer_creation,
                "customer_details": null,
                "client_reference_id": form.get("client_reference_id"),
                "metadata": form.metadata("metadata")?,
                "amount_subtotal": amount,
                "amount_total": amount,
                "currency": line.currency,
                "locale": form.get("locale"),
                "submit_type": form.get("submit_type"),
                "billing_address_collection": form.get("billing_address_collection"),
                "allow_promotion_codes": form.get("allow_promotion_codes").map(|v| v == "true"),
            }),
        );
        // Two calls: one `json!` this size exceeds the macro recursion limit.
        set(
            &mut session,
            json!({
                "payment_intent": null,
                "subscription": null,
                "invoice": null,
                "invoice_creation": null,
                "after_expiration": null,
                "consent": null,
                "consent_collection": null,
                "collected_information": null,
                "currency_conversion": null,
                "custom_text": {
                    "after_submit": null, "shipping_address": null, "submit": null,
                    "terms_of_service_acceptance": null,
                },
                "shipping_address_collection": null,
                "shipping_cost": null,
                "shipping_options": [],
                "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
                "payment_method_configuration_details": null,
                "payment_method_collection": if subscription_mode { Some("always") } else { None },
                "automatic_tax": { "enabled": false, "liability": null, "status": null, "provider": null },
                "ui_mode": "hosted",
                "managed_payments": null,
            }),
        );
        state.insert(session.clone());
        state.checkouts.insert(
            id,
            CheckoutExtras {
                line,
                subscription_metadata: form.metadata("subscription_data[metadata]")?,
                payment_intent_metadata: form.metadata("payment_intent_data[metadata]")?,
                payment_intent_description: form
                    .get("payment_intent_data[description]")
                    .map(str::to_owned),
            },
        );
        Ok(session)
    }

    /// `line_items[0]`: an existing `price`, or `price_data` with `product_data[name]` (or an
    /// existing `product`); creates the price (and product) as Stripe does.
    fn checkout_line_item(
        &self,
        state: &mut State,
        form: &Params,
        subscription_mode: bool,
    ) -> Result<LineItem, ApiError> {
        const ITEM: &str = "line_items[0]";
        if !form.has_prefix(ITEM) {
            return Err(missing("line_items"));
        }
        let quantity_key = format!("{ITEM}[quantity]");
        let quantity = form
            .integer(&quantity_key)?
            .ok_or_else(|| missing(&quantity_key))?;
        if quantity < 1 {
            return Err(invalid(Some(&quantity_key), "Quantity must be at least 1."));
        }
        let line = if let Some(price) = form.get(&format!("{ITEM}[price]")) {
            let object = state
                .objects
                .get(price)
                .filter(|p| p["object"] == "price")
                .ok_or_else(|| no_such("price", price, &format!("{ITEM}[price]"), 400))?;
            let recurring = object["recurring"].as_object().map(|r| {
                (
                    r["interval"].as_str().unwrap_or("month").to_owned(),
                    r["interval_count"].as_u64().unwrap_or(1) as u32,
                )
            });
            let product = object["product"].as_str().unwrap_or_default().to_owned();
            LineItem {
                price: price.to_owned(),
                name: state.get(&product)["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                product,
                currency: object["currency"].as_str().unwrap_or("usd").to_owned(),
                unit_amount: object["unit_amount"].as_i64().unwrap_or(0),
                quantity: quantity as u64,
                recurring,
            }
        } else {
            let data = format!("{ITEM}[price_data]");
            let currency_key = format!("{data}[currency]");
            let currency = form
                .get(&currency_key)
                .ok_or_else(|| missing(&currency_key))?;
            if currency.len() != 3 || currency.chars().any(|c| !c.is_ascii_lowercase()) {
                return Err(invalid(
                    Some(&currency_key),
                    format!("Invalid currency: {currency}"),
                ));
            }
            let amount_key = format!("{data}[unit_amount]");
            let unit_amount = form
                .integer(&amount_key)?
                .ok_or_else(|| missing(&amount_key))?;
            if unit_amount < 0 {
                return Err(invalid(Some(&amount_key), "Invalid non-negative integer"));
            }
            let name = match (
                form.get(&format!("{data}[product_data][name]")),
                form.get(&format!("{data}[product]")),
            ) {
                (Some(name), _) => name.to_owned(),
                (None, Some(product)) => state
                    .objects
                    .get(product)
                    .filter(|p| p["object"] == "product")
                    .ok_or_else(|| no_such("product", product, &format!("{data}[product]"), 400))?
                    ["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                (None, None) => return Err(missing(&format!("{data}[product_data]"))),
            };
            let recurring = match form.get(&format!("{data}[recurring][interval]")) {
                Some(interval @ ("day" | "week" | "month" | "year")) => {
                    let count_key = format!("{data}[recurring][interval_count]");
                    let count = form.integer(&count_key)?.unwrap_or(1);
                    Some((interval.to_owned(), count as u32))
                }
                Some(other) => {
                    return Err(invalid(
                        Some(&format!("{data}[recurring][interval]")),
                        format!("Invalid interval: {other}"),
                    ));
                }
                None => None,
            };
            state.new_price(&name, currency, unit_amount, quantity as u64, recurring)
        };
        match (subscription_mode, line.recurring.is_some()) {
            (true, false) => Err(invalid(
                Some("line_items"),
                "You must provide at least one recurring price in `subscription` mode when using prices.",
            )),
            (false, true) => Err(invalid(
                Some("line_items"),
                "You specified `payment` mode but passed a recurring price. Either switch to \
                 `subscription` mode or use only one-time prices.",
            )),
            _ => Ok(line),
        }
    }

    fn create_portal_session(&self, state: &mut State, form: &Params) -> ApiResult {
        let customer = form.get("customer").ok_or_else(|| missing("customer"))?;
        if state
            .objects
            .get(customer)
            .is_none_or(|c| c["object"] != "customer")
        {
            return Err(no_such("customer", customer, "customer", 400));
        }
        let id = new_id("bps", 24);
        let session = from_fixture(
            "billing_portal.session",
            json!({
                "id": id,
                "created": state.now(),
                "customer": customer,
                "return_url": form.get("return_url"),
                "url": format!("{}portal/{id}", self.base_url),
                "flow": null,
                "livemode": false,
                "locale": form.get("locale"),
                "configuration": new_id("bpc", 24),
            }),
        );
        state.insert(session.clone());
        Ok(session)
    }

    /// The "Stripe-hosted" page behind a session's `url`: enough for a browser to land on.
    fn hosted_page(&self, title: &str, id: &str) -> Response {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(object) = state.objects.get(id) else {
            return Response::html(404, format!("<h1>{title}: no session {id}</h1>"));
        };
        let amount = object["amount_total"].as_i64().unwrap_or_default();
        let currency = object["currency"].as_str().unwrap_or_default();
        Response::html(
            200,
            format!(
                "<!doctype html><html lang=\"en\"><head><title>{title} (test)</title></head>\
                 <body><h1>{title} (test)</h1><p id=\"session\">{id}</p>\
                 <p id=\"amount\">{amount} {currency}</p></body></html>"
            ),
        )
    }
}

fn authenticate(request: &Request) -> Result<(), ApiError> {
    let unauthorized = |message: String| ApiError {
        status: 401,
        error: json!({ "type": "invalid_request_error", "message": message }),
    };
    let Some(auth) = request.header("Authorization") else {
        return Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY')."
                .into(),
        ));
    };
    let key = auth.strip_prefix("Bearer ").unwrap_or(auth);
    if key == StripeServer::SECRET_KEY {
        return Ok(());
    }
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(unauthorized(format!(
        "Invalid API Key provided: sk_test_****{tail}"
    )))
}

fn error_response(error: ApiError) -> Response {
    let mut error_object = error.error;
    // Drop `param: null`: Stripe omits absent fields in errors.
    if let Some(map) = error_object.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    Response::json(error.status, &json!({ "error": error_object }))
}

fn retrieve(state: &State, kind: &str, id: &str) -> ApiResult {
    match state.objects.get(id) {
        Some(object) if object["object"] == kind => Ok(object.clone()),
        _ => Err(no_such(kind, id, "id", 404)),
    }
}

/// A Stripe list of one type, newest first, with `limit`, `starting_after` and `ending_before`.
fn list(
    state: &State,
    kind: &str,
    query: &Params,
    url: &str,
    filter: impl Fn(&Value) -> bool,
) -> ApiResult {
    let limit = query.integer("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid(Some("limit"), "Limit must be between 1 and 100."));
    }
    let limit = limit as usize;
    let items: Vec<&Value> = state
        .order
        .iter()
        .rev()
        .map(|id| &state.objects[id])
        .filter(|o| o["object"] == kind && filter(o))
        .collect();
    let position = |cursor: &str, param: &str| {
        items
            .iter()
            .position(|o| o["id"] == cursor)
            .ok_or_else(|| no_such(kind, cursor, param, 400))
    };
    let (start, end) = match (query.get("starting_after"), query.get("ending_before")) {
        (Some(cursor), _) => {
            let start = position(cursor, "starting_after")? + 1;
            (start, (start + limit).min(items.len()))
        }
        (None, Some(cursor)) => {
            let end = position(cursor, "ending_before")?;
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit.min(items.len())),
    };
    let has_more = if query.get("ending_before").is_some() && query.get("starting_after").is_none()
    {
        start > 0
    } else {
        end < items.len()
    };
    Ok(json!({
        "object": "list",
        "data": items[start..end],
        "has_more": has_more,
        "url": url,
    }))
}

/// The `item` list of a Checkout Session (`line_items`, expandable or its own endpoint).
fn line_items(state: &State, session_id: &str) -> Value {
    let line = &state.checkouts[session_id].line;
    let amount = line.amount();
    let item = from_fixture(
        "item",
        json!({
            "id": new_id("li", 24),
            "description": line.name,
            "currency": line.currency,
            "price": state.get(&line.price),
            "quantity": line.quantity,
            "amount_subtotal": amount,
            "amount_total": amount,
            "amount_discount": 0,
            "amount_tax": 0,
            "adjustable_quantity": null,
        }),
    );
    json!({
        "object": "list",
        "data": [item],
        "has_more": false,
        "url": format!("/v1/checkout/sessions/{session_id}/line_items"),
    })
}

/// Applies one `expand[]` path: ids along it become the objects they name. Lists are walked
/// through (`data.customer`), and includable fields (`payments` of an invoice, `line_items`
/// of a Checkout Session) are filled in first.
fn expand(state: &State, value: &mut Value, path: &[&str], full: &str) -> Result<(), ApiError> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(());
    };
    if let Value::Array(items) = value {
        for item in items {
            expand(state, item, path, full)?;
        }
        return Ok(());
    }
    let Some(object) = value.as_object_mut() else {
        return Ok(()); // null along the way: nothing to expand
    };
    let id = object.get("id").and_then(Value::as_str).map(str::to_owned);
    match (object.get("object").and_then(Value::as_str), *head, id) {
        (Some("invoice"), "payments", Some(id)) if !object.contains_key("payments") => {
            let data: Vec<Value> = state
                .invoice_payments(&id)
                .iter()
                .rev()
                .map(|p| state.get(p).clone())
                .collect();
            let list = json!({
                "object": "list", "data": data, "has_more": false,
                "url": format!("/v1/invoices/{id}/payments"),
            });
            object.insert("payments".into(), list);
        }
        (Some("checkout.session"), "line_items", Some(id))
            if !object.contains_key("line_items") =>
        {
            object.insert("line_items".into(), line_items(state, &id));
        }
        _ => {}
    }
    let Some(field) = object.get_mut(*head) else {
        return Err(invalid(
            Some("expand"),
            format!("This property cannot be expanded ({full})."),
        ));
    };
    if rest.is_empty() {
        if let Some(id) = field.as_str() {
            match state.objects.get(id) {
                Some(found) => *field = found.clone(),
                None => {
                    return Err(invalid(
                        Some("expand"),
                        format!("This property cannot be expanded ({full})."),
                    ));
                }
            }
        }
        return Ok(());
    }
    expand(state, field, rest, full)
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------------------------

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                // I/O errors are ignored: a client hanging up is not a failure.
                connections.spawn(async move { serve_connection(stream, &shared).await.ok() });
            }
            // Transient accept errors must not kill the server; back off so EMFILE cannot spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Serves requests on one connection until the client closes it (keep-alive is honoured).
async fn serve_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = match (parts.next(), parts.next()) {
            (Some(method), Some(target)) => (method.to_owned(), target.to_owned()),
            _ => return Ok(()),
        };
        let mut headers = Vec::new();
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let length: usize = header("Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        let close = header("Connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let request = Request {
            method,
            path: path.to_owned(),
            query: serde_urlencoded::from_str(query).unwrap_or_default(),
            form: serde_urlencoded::from_bytes(&body).unwrap_or_default(),
            headers,
        };
        let response = shared.handle(request);
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Request-Id: {}\r\nStripe-Version: {API_VERSION}\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len(),
            new_id("req", 14),
        );
        if response.replayed {
            head.push_str("Idempotent-Replayed: true\r\n");
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let writer = stream.get_mut();
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(&response.body).await?;
        writer.flush().await?;
        if close {
            return Ok(());
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    }
}
