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
//!
//! This file holds the server, its public handle and its state; each resource's objects and
//! scenarios are in a module of their own, the API's routing in `api`, HTTP in `http`.

// Each test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

mod api;
mod charges;
mod checkout;
mod customers;
mod fixtures;
mod http;
mod invoices;
mod prices;
mod subscriptions;
mod webhooks;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use self::api::Replay;
use self::checkout::CheckoutExtras;
use self::http::accept_loop;

pub use self::webhooks::hmac_sha256;

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
    /// Each event `times` times, every copy of every event in one order shuffled by the seed,
    /// `at_once` POSTs in flight: Stripe's retries, duplicates and lack of order all at once,
    /// as many readers' payments arrive together.
    Storm {
        /// Deliveries per event.
        times: usize,
        /// Seed of the order.
        seed: u64,
        /// POSTs in flight at a time (at least 1).
        at_once: usize,
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
    /// `checkout.session.completed`, `customer.subscription.created`, `invoice.paid`,
    /// `invoice.payment_succeeded`.
    ///
    /// Payment mode (a donation): a payment intent (metadata = `payment_intent_data[metadata]`)
    /// and a charge; a customer only if the session named one or had
    /// `customer_creation=always`. Queues `checkout.session.completed` (`payment_status: paid`).
    pub fn pay_checkout(&self, session_id: &str) -> Paid {
        self.state().complete_checkout(session_id, true, None)
    }

    /// Like [`StripeServer::pay_checkout`], for a session created without `customer` or
    /// `customer_email`: the customer types `email` on Checkout's page, and it becomes the
    /// new customer's `email` and the session's `customer_details.email`.
    pub fn pay_checkout_as(&self, session_id: &str, email: &str) -> Paid {
        self.state()
            .complete_checkout(session_id, true, Some(email))
    }

    /// Payment mode only: a card is declined on the Checkout page. The session stays open
    /// (the reader may try another card); its payment intent gets a failed charge. Queues
    /// `payment_intent.payment_failed`. Returns the payment intent's id.
    pub fn decline_checkout(&self, session_id: &str) -> String {
        self.state().decline_checkout(session_id)
    }

    /// Subscription mode only: the session completes but the first payment fails (as with a
    /// delayed payment method): the subscription is `incomplete`, its first invoice `open`, the
    /// charge `failed`. Queues `checkout.session.completed` (`payment_status: unpaid`),
    /// `customer.subscription.created`, `invoice.payment_failed`. Follow with
    /// [`StripeServer::retry_payment_succeeds`] or [`StripeServer::end_subscription`].
    pub fn pay_checkout_first_payment_fails(&self, session_id: &str) -> Paid {
        self.state().complete_checkout(session_id, false, None)
    }

    /// The subscription's open latest invoice is paid on a retry: a new charge on the same
    /// payment intent, invoice `paid`, subscription `active` (from `incomplete` or `past_due`);
    /// the Checkout Session that created it becomes `payment_status: paid` (no event for
    /// that). Queues `invoice.paid`, `invoice.payment_succeeded`,
    /// `customer.subscription.updated`.
    pub fn retry_payment_succeeds(&self, subscription_id: &str) -> Paid {
        self.state().retry_payment(subscription_id)
    }

    /// The next billing period starts and is paid. If the server clock is before the current
    /// period's end it is moved there first (time passes). New invoice (`paid`,
    /// `subscription_cycle`), payment intent and charge. Queues
    /// `customer.subscription.updated` (new item period), `invoice.paid`,
    /// `invoice.payment_succeeded`.
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

    /// The date a paused subscription named comes: Stripe resumes collecting payments
    /// (`pause_collection` back to null). Queues `customer.subscription.updated`.
    pub fn resume_collection(&self, subscription_id: &str) {
        self.state().resume_collection(subscription_id);
    }

    /// The member cancels in the billing portal: `cancel_at_period_end: true`, `cancel_at` =
    /// the period's end, `canceled_at` = now; the status stays `active`. Queues
    /// `customer.subscription.updated`.
    pub fn cancel_at_period_end(&self, subscription_id: &str) {
        self.state().cancel_at_period_end(subscription_id);
    }

    /// A coupon as the outlet makes one in its Stripe dashboard: `percent_off` for
    /// `months` months (`duration: repeating`). Its id.
    pub fn create_coupon(&self, percent_off: f64, months: i64) -> String {
        self.state().create_coupon(percent_off, months)
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
    /// Queues `customer.subscription.created`, `invoice.paid`, `invoice.payment_succeeded`.
    /// Returns the subscription id.
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

fn unix_now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    since_epoch.expect("clock after 1970").as_secs() as i64
}

struct Shared {
    base_url: String,
    state: Mutex<State>,
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
}
