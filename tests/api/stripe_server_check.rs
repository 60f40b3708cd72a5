//! The Stripe test server checked with the real async-stripe client: every object the app
//! reads must parse at the pinned API version, scenarios must queue their events in the
//! documented order, and deliveries must be signed like Stripe's. No app is started here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use serde_json::Value;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::RetrieveInvoice;
use stripe_billing::subscription::{
    ListSubscription, ListSubscriptionStatus, RetrieveSubscription,
};
use stripe_billing::{InvoiceBillingReason, InvoiceStatus, SubscriptionStatus};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSubscriptionData, ProductData,
    RetrieveCheckoutSession,
};
use stripe_checkout::{
    CheckoutSession, CheckoutSessionLocale, CheckoutSessionMode, CheckoutSessionPaymentStatus,
    CheckoutSessionStatus,
};
use stripe_core::charge::RetrieveCharge;
use stripe_core::customer::{CreateCustomer, RetrieveCustomer, RetrieveCustomerReturned};
use stripe_core::dispute::RetrieveDispute;
use stripe_core::payment_intent::RetrievePaymentIntent;
use stripe_shared::{ApiErrorsCode, ApiErrorsType, DisputeStatus, PaymentIntentStatus};
use stripe_types::Expandable;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::stripe_server::{Delivery, Paid, StripeServer, hmac_sha256};

fn client(server: &StripeServer) -> Client {
    ClientBuilder::new(StripeServer::SECRET_KEY)
        .url(server.url())
        .build()
        .expect("client")
}

fn metadata(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A checkout like the app's: one inline price, memberdrive metadata on the session and on the
/// subscription (or payment intent).
fn checkout_request(subscription: bool, customer: Option<&str>) -> CreateCheckoutSession {
    let mut price_data = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::USD);
    price_data.unit_amount = Some(500);
    price_data.product_data = Some(ProductData::new("Monthly membership"));
    if subscription {
        price_data.recurring = Some(CreateCheckoutSessionLineItemsPriceDataRecurring::new(
            CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month,
        ));
    }
    let mut line = CreateCheckoutSessionLineItems::new();
    line.price_data = Some(price_data);
    line.quantity = Some(1);
    let tags = metadata(&[
        ("memberdrive_campaign", "members"),
        ("memberdrive_ref", "/a/1"),
    ]);
    let mut request = CreateCheckoutSession::new()
        .line_items(vec![line])
        .metadata(tags.clone())
        .client_reference_id("signup-42")
        .success_url("http://app.example/join/thanks?session={CHECKOUT_SESSION_ID}")
        .cancel_url("http://app.example/join");
    if subscription {
        let mut data = CreateCheckoutSessionSubscriptionData::new();
        data.metadata = Some(tags);
        request = request
            .mode(CheckoutSessionMode::Subscription)
            .subscription_data(data);
    } else {
        let mut data = CreateCheckoutSessionPaymentIntentData::new();
        data.metadata = Some(tags);
        data.description = Some("Donation".into());
        request = request
            .mode(CheckoutSessionMode::Payment)
            .payment_intent_data(data);
    }
    match customer {
        Some(customer) => request.customer(customer),
        None => request.customer_email("reader@example.com"),
    }
}

/// A running server, a client for it and an open Checkout Session (subscription or donation).
async fn server_with_checkout(subscription: bool) -> (StripeServer, Client, CheckoutSession) {
    let server = StripeServer::start().await;
    let client = client(&server);
    let session = new_checkout(&server, subscription).await;
    (server, client, session)
}

async fn new_checkout(server: &StripeServer, subscription: bool) -> CheckoutSession {
    checkout_request(subscription, None)
        .send(&client(server))
        .await
        .expect("create checkout session")
}

fn event_types(server: &StripeServer) -> Vec<String> {
    let events = server.pending_events();
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks every queued event parses as async-stripe's `Event`, and its object as its type.
fn check_events_parse(server: &StripeServer) {
    for event in server.pending_events() {
        let parsed: stripe_shared::Event = serde_json::from_value(event.clone())
            .unwrap_or_else(|e| panic!("event does not parse: {e}\n{event:#}"));
        assert_eq!(parsed.api_version.as_deref(), Some("2026-09-30.endive"));
        let object = event["data"]["object"].clone();
        let kind = event["type"].as_str().unwrap();
        let parsed = match kind.rsplit_once('.').unwrap().0 {
            "checkout.session" => serde_json::from_value::<CheckoutSession>(object).map(drop),
            "customer.subscription" => {
                serde_json::from_value::<stripe_shared::Subscription>(object).map(drop)
            }
            "invoice" => serde_json::from_value::<stripe_shared::Invoice>(object).map(drop),
            "charge" => serde_json::from_value::<stripe_shared::Charge>(object).map(drop),
            "charge.dispute" => serde_json::from_value::<stripe_shared::Dispute>(object).map(drop),
            other => panic!("unexpected event object {other}"),
        };
        parsed.unwrap_or_else(|e| panic!("{kind} object does not parse: {e}"));
    }
}

/// What completing a subscription checkout queues, the first invoice's events last.
fn subscription_checkout_events<'a>(invoice_events: &[&'a str]) -> Vec<&'a str> {
    let mut events = vec![
        "checkout.session.completed",
        "customer.subscription.created",
    ];
    events.extend(invoice_events);
    events
}

/// What Stripe sends once an invoice is paid.
const INVOICE_PAID: [&str; 2] = ["invoice.paid", "invoice.payment_succeeded"];

/// Asserts the queued events are of these types, in this order, and parse.
fn expect_events(server: &StripeServer, types: &[&str]) {
    assert_eq!(event_types(server), types);
    check_events_parse(server);
}

/// Defines `async fn NAME(client, id) -> OBJECT`: retrieves the object with `REQUEST`, or
/// panics naming the id.
macro_rules! retrievers {
    ($($name:ident: $request:ident -> $object:ty;)+) => {$(
        async fn $name(client: &Client, id: &str) -> $object {
            let found = $request::new(id).send(client).await;
            found.unwrap_or_else(|e| panic!("retrieve {id}: {e}"))
        }
    )+};
}

retrievers! {
    retrieve_subscription: RetrieveSubscription -> stripe_shared::Subscription;
    retrieve_invoice: RetrieveInvoice -> stripe_shared::Invoice;
    retrieve_charge: RetrieveCharge -> stripe_shared::Charge;
    retrieve_payment_intent: RetrievePaymentIntent -> stripe_shared::PaymentIntent;
    retrieve_checkout_session: RetrieveCheckoutSession -> CheckoutSession;
}

fn id_of<T: stripe_types::Object>(expandable: &Expandable<T>) -> String {
    // `AsCursorOpt` because some ids are optional (a preview invoice has none).
    let id = stripe_types::AsCursorOpt::as_cursor_opt(expandable.id());
    id.expect("an id").to_owned()
}

#[tokio::test]
async fn customers_and_checkout_sessions_parse() {
    let server = StripeServer::start().await;
    let client = client(&server);

    let customer = CreateCustomer::new()
        .email("member@example.com")
        .name("Mia Member")
        .metadata(metadata(&[("memberdrive_member", "7")]))
        .send(&client)
        .await
        .expect("create customer");
    assert!(customer.id.as_str().starts_with("cus_"));
    assert_eq!(customer.email.as_deref(), Some("member@example.com"));
    assert_eq!(customer.metadata.unwrap()["memberdrive_member"], "7");
    let again = RetrieveCustomer::new(customer.id.clone())
        .send(&client)
        .await
        .expect("retrieve customer");
    let RetrieveCustomerReturned::Customer(again) = again else {
        panic!("customer deleted")
    };
    assert_eq!(again.id, customer.id);

    let session = checkout_request(true, Some(customer.id.as_str()))
        .send(&client)
        .await
        .expect("create subscription checkout");
    let id = session.id.as_str();
    assert!(id.starts_with("cs_test_"), "{id}");
    assert_eq!(
        session.url.as_deref(),
        Some(&*format!("{}checkout/{id}", server.url()))
    );
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(session.mode, CheckoutSessionMode::Subscription);
    assert_eq!(session.amount_total, Some(500));
    assert_eq!(
        session.currency.as_ref().map(|c| c.to_string()).as_deref(),
        Some("usd")
    );
    assert_eq!(session.client_reference_id.as_deref(), Some("signup-42"));
    assert_eq!(
        session.metadata.as_ref().unwrap()["memberdrive_campaign"],
        "members"
    );
    assert_eq!(
        session.customer.as_ref().map(id_of).as_deref(),
        Some(customer.id.as_str())
    );

    // What async-stripe put on the wire, as the server decoded it.
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.path, "/v1/checkout/sessions");
    assert_eq!(sent.stripe_version.as_deref(), Some("2026-09-30.endive"));
    assert_eq!(
        sent.param("line_items[0][price_data][recurring][interval]"),
        Some("month")
    );
    assert_eq!(
        sent.param("line_items[0][price_data][unit_amount]"),
        Some("500")
    );
    assert_eq!(
        sent.param("subscription_data[metadata][memberdrive_campaign]"),
        Some("members")
    );

    // The hosted page answers a browser.
    let page = reqwest::get(session.url.clone().unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(id));

    let retrieved = RetrieveCheckoutSession::new(session.id.clone())
        .expand(vec!["line_items".to_string()])
        .send(&client)
        .await
        .expect("retrieve checkout session");
    let items = retrieved.line_items.expect("line_items expanded").data;
    assert_eq!(items[0].amount_total, 500);
    assert_eq!(items[0].description.as_deref(), Some("Monthly membership"));

    let donation = new_checkout(&server, false).await;
    assert_eq!(donation.mode, CheckoutSessionMode::Payment);
    assert_eq!(
        donation.customer_email.as_deref(),
        Some("reader@example.com")
    );
    assert_eq!(server.objects_created("checkout.session"), 2);
    assert_eq!(server.objects_created("customer"), 1);
}

#[tokio::test]
async fn idempotent_creates_return_the_same_object() {
    let server = StripeServer::start().await;
    let client = client(&server);
    let key = || RequestStrategy::Idempotent(IdempotencyKey::new("k1").unwrap());

    let create = || {
        checkout_request(true, None)
            .customize()
            .request_strategy(key())
            .send(&client)
    };
    let first = create().await.expect("first create");
    let second = create().await.expect("replayed create");
    assert_eq!(first.id, second.id);
    assert_eq!(server.objects_created("checkout.session"), 1);
    let keys: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys, [Some("k1".to_string()), Some("k1".to_string())]);

    // Reusing the key for different parameters is Stripe's idempotency error.
    let error = checkout_request(false, None)
        .customize()
        .request_strategy(key())
        .send(&client)
        .await
        .expect_err("key reused with other parameters");
    let StripeError::Stripe(error, 400) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.type_, ApiErrorsType::IdempotencyError);
    assert_eq!(server.objects_created("checkout.session"), 1);
}

#[tokio::test]
async fn paying_a_subscription_checkout() {
    let (server, client, session) = server_with_checkout(true).await;

    let paid = server.pay_checkout(session.id.as_str());
    expect_events(&server, &subscription_checkout_events(&INVOICE_PAID));
    let events = server.pending_events();
    assert_eq!(events[0]["data"]["object"]["payment_status"], "paid");
    assert_eq!(events[1]["data"]["object"]["status"], "active");
    assert!(events[0]["id"].as_str().unwrap().starts_with("evt_"));

    let (sub_id, invoice_id) = (
        paid.subscription.clone().unwrap(),
        paid.invoice.clone().unwrap(),
    );
    let customer_id = paid.customer.clone().unwrap();
    let session = retrieve_checkout_session(&client, &session.id).await;
    assert_eq!(session.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert_eq!(
        session.subscription.as_ref().map(id_of),
        Some(sub_id.clone())
    );
    assert_eq!(
        session.customer.as_ref().map(id_of),
        Some(customer_id.clone())
    );
    assert_eq!(
        session.customer_details.unwrap().email.as_deref(),
        Some("reader@example.com")
    );

    let subscription = retrieve_subscription(&client, &sub_id).await;
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert_eq!(id_of(&subscription.customer), customer_id);
    assert_eq!(subscription.metadata["memberdrive_campaign"], "members");
    assert!(!subscription.cancel_at_period_end);
    let item = &subscription.items.data[0];
    assert_eq!(item.price.unit_amount, Some(500));
    assert!(item.current_period_end > item.current_period_start);
    assert_eq!(
        subscription.latest_invoice.as_ref().map(id_of),
        Some(invoice_id.clone())
    );

    let invoice = RetrieveInvoice::new(invoice_id.as_str())
        .expand(vec!["payments".to_string()])
        .send(&client)
        .await
        .expect("retrieve invoice with payments");
    assert_eq!(invoice.status, Some(InvoiceStatus::Paid));
    assert_eq!(
        invoice.billing_reason,
        Some(InvoiceBillingReason::SubscriptionCreate)
    );
    assert_eq!((invoice.amount_paid, invoice.amount_due), (500, 500));
    assert!(invoice.status_transitions.paid_at.is_some());
    let parent = invoice.parent.unwrap().subscription_details.unwrap();
    assert_eq!(id_of(&parent.subscription), sub_id);
    assert_eq!(parent.metadata.unwrap()["memberdrive_campaign"], "members");
    let payments = invoice.payments.expect("payments expanded").data;
    let payment_intent = payments[0].payment.payment_intent.as_ref().map(id_of);
    assert_eq!(
        payment_intent.as_deref(),
        Some(paid.payment_intent.as_str())
    );
    // async-stripe sends `expand` as an indexed array in the query string.
    let get = server.requests().pop().unwrap();
    assert_eq!(
        get.query,
        [("expand[0]".to_string(), "payments".to_string())]
    );
    // Without expand, `payments` is absent as in Stripe (it is includable).
    let plain = retrieve_invoice(&client, &invoice_id).await;
    assert!(plain.payments.is_none());
    // Deeper expansion walks through lists.
    let deep = RetrieveInvoice::new(invoice_id.as_str())
        .expand(vec!["payments.data.payment.payment_intent".to_string()])
        .send(&client)
        .await
        .expect("expand the payment intent of each payment");
    let pi = deep.payments.unwrap().data[0]
        .payment
        .payment_intent
        .clone()
        .unwrap();
    assert!(matches!(pi, Expandable::Object(_)));

    let charge = retrieve_charge(&client, &paid.charge).await;
    assert_eq!(
        charge.payment_intent.as_ref().map(id_of),
        Some(paid.payment_intent.clone())
    );
    assert_eq!((charge.amount, charge.amount_refunded), (500, 0));
    assert!(charge.paid && !charge.refunded && !charge.disputed);

    let intent = retrieve_payment_intent(&client, &paid.payment_intent).await;
    assert_eq!(intent.status, PaymentIntentStatus::Succeeded);
    assert_eq!(
        intent.latest_charge.as_ref().map(id_of),
        Some(paid.charge.clone())
    );
    assert_eq!(server.objects_created("subscription"), 1);
    assert_eq!(server.objects_created("customer"), 1);
}

#[tokio::test]
async fn paying_a_donation_checkout() {
    let (server, client, session) = server_with_checkout(false).await;

    let paid = server.pay_checkout(session.id.as_str());
    expect_events(&server, &["checkout.session.completed"]);
    assert_eq!(paid.customer, None, "a guest donation creates no customer");
    assert_eq!(paid.subscription, None);
    assert_eq!(paid.amount, 500);

    let session = retrieve_checkout_session(&client, &session.id).await;
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert_eq!(
        session.payment_intent.as_ref().map(id_of),
        Some(paid.payment_intent.clone())
    );
    let intent = retrieve_payment_intent(&client, &paid.payment_intent).await;
    assert_eq!(intent.metadata["memberdrive_campaign"], "members");
    assert_eq!(intent.description.as_deref(), Some("Donation"));
    let charge = retrieve_charge(&client, &paid.charge).await;
    assert_eq!(charge.metadata["memberdrive_campaign"], "members");
}

#[tokio::test]
async fn a_failed_first_payment_and_its_retry() {
    let (server, client, session) = server_with_checkout(true).await;

    let failed = server.pay_checkout_first_payment_fails(session.id.as_str());
    expect_events(
        &server,
        &subscription_checkout_events(&["invoice.payment_failed"]),
    );
    let sub_id = failed.subscription.clone().unwrap();
    // The subscription's status and its first invoice, as they are now.
    let state = || async {
        let subscription = retrieve_subscription(&client, &sub_id).await;
        let invoice = retrieve_invoice(&client, failed.invoice.as_deref().unwrap()).await;
        (subscription.status, invoice)
    };
    let (status, invoice) = state().await;
    assert_eq!(status, SubscriptionStatus::Incomplete);
    assert_eq!(invoice.status, Some(InvoiceStatus::Open));
    assert_eq!(invoice.amount_paid, 0);
    let charge = retrieve_charge(&client, &failed.charge).await;
    assert!(!charge.paid);
    assert_eq!(charge.failure_code.as_deref(), Some("card_declined"));
    let intent = retrieve_payment_intent(&client, &failed.payment_intent).await;
    assert_eq!(intent.status, PaymentIntentStatus::RequiresPaymentMethod);
    let error = intent.last_payment_error.expect("decline recorded");
    assert_eq!(error.code, Some(ApiErrorsCode::CardDeclined));

    server.take_events();
    let retried = server.retry_payment_succeeds(&sub_id);
    expect_events(
        &server,
        &[
            "invoice.paid",
            "invoice.payment_succeeded",
            "customer.subscription.updated",
        ],
    );
    assert_eq!(retried.invoice, failed.invoice, "the same invoice is paid");
    assert_eq!(retried.payment_intent, failed.payment_intent);
    assert_ne!(retried.charge, failed.charge, "a new charge");
    let (status, invoice) = state().await;
    assert_eq!(status, SubscriptionStatus::Active);
    assert_eq!(invoice.status, Some(InvoiceStatus::Paid));
    assert_eq!(invoice.attempt_count, 2);
    let session = retrieve_checkout_session(&client, &session.id).await;
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Paid);
}

#[tokio::test]
async fn renewals_dunning_and_cancellation() {
    let (server, client, session) = server_with_checkout(true).await;
    let first = server.pay_checkout(session.id.as_str());
    let sub_id = first.subscription.clone().unwrap();
    server.take_events();
    let period = |s: &stripe_shared::Subscription| {
        let item = &s.items.data[0];
        (item.current_period_start, item.current_period_end)
    };
    let before = retrieve_subscription(&client, &sub_id).await;

    // A renewal moves the clock to the period's end and starts the next period there.
    let renewed = server.renew(&sub_id);
    expect_events(
        &server,
        &[
            "customer.subscription.updated",
            "invoice.paid",
            "invoice.payment_succeeded",
        ],
    );
    assert!(server.now() >= period(&before).1);
    let after = retrieve_subscription(&client, &sub_id).await;
    assert_eq!(period(&after).0, period(&before).1);
    assert!(period(&after).1 > period(&after).0);
    assert_eq!(
        after.latest_invoice.as_ref().map(id_of),
        renewed.invoice.clone()
    );
    let invoice = retrieve_invoice(&client, renewed.invoice.as_deref().unwrap()).await;
    assert_eq!(
        invoice.billing_reason,
        Some(InvoiceBillingReason::SubscriptionCycle)
    );
    assert_eq!(invoice.status, Some(InvoiceStatus::Paid));
    assert_ne!(renewed.charge, first.charge);
    let events = server.pending_events();
    assert!(events[0]["data"]["previous_attributes"]["items"].is_object());
    server.take_events();

    // The next renewal fails: past_due with an open invoice, then recovered.
    let open = server.renewal_fails(&sub_id);
    expect_events(
        &server,
        &["invoice.payment_failed", "customer.subscription.updated"],
    );
    let events = server.pending_events();
    assert_eq!(events[1]["data"]["object"]["status"], "past_due");
    assert_eq!(events[1]["data"]["previous_attributes"]["status"], "active");
    let invoice = retrieve_invoice(&client, &open).await;
    assert_eq!(invoice.status, Some(InvoiceStatus::Open));
    assert!(invoice.next_payment_attempt.is_some());
    let subscription = retrieve_subscription(&client, &sub_id).await;
    assert_eq!(subscription.status, SubscriptionStatus::PastDue);
    server.take_events();
    let recovered = server.retry_payment_succeeds(&sub_id);
    assert_eq!(recovered.invoice.as_deref(), Some(open.as_str()));
    server.take_events();

    // Cancelled in the portal: still active until the period is over.
    server.cancel_at_period_end(&sub_id);
    expect_events(&server, &["customer.subscription.updated"]);
    let subscription = retrieve_subscription(&client, &sub_id).await;
    assert!(subscription.cancel_at_period_end);
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert_eq!(subscription.cancel_at, Some(period(&subscription).1));
    server.take_events();

    server.end_subscription(&sub_id);
    expect_events(&server, &["customer.subscription.deleted"]);
    let ended = retrieve_subscription(&client, &sub_id).await;
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    assert!(ended.ended_at.unwrap() >= period(&subscription).1);
    assert!(ended.canceled_at.is_some());
}

#[tokio::test]
async fn dunning_that_gives_up_ends_the_subscription() {
    let (server, client, session) = server_with_checkout(true).await;
    let sub_id = server
        .pay_checkout(session.id.as_str())
        .subscription
        .unwrap();
    server.renewal_fails(&sub_id);
    server.take_events();
    server.advance(14);
    server.end_subscription(&sub_id);
    assert_eq!(event_types(&server), ["customer.subscription.deleted"]);
    let ended = retrieve_subscription(&client, &sub_id).await;
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    let reason = ended.cancellation_details.unwrap().reason.unwrap();
    assert_eq!(reason.as_str(), "payment_failed");
}

#[tokio::test]
async fn refunds_and_disputes() {
    let server = StripeServer::start().await;
    let client = client(&server);
    let first = server.pay_checkout(new_checkout(&server, false).await.id.as_str());
    let second = server.pay_checkout(new_checkout(&server, false).await.id.as_str());
    let third = server.pay_checkout(new_checkout(&server, false).await.id.as_str());
    server.take_events();

    server.refund(&first.charge);
    expect_events(&server, &["charge.refunded"]);
    let charge = retrieve_charge(&client, &first.charge).await;
    assert!(charge.refunded);
    assert_eq!(charge.amount_refunded, 500);
    assert_eq!(charge.refunds.unwrap().data.len(), 1);
    server.take_events();

    for (paid, lost) in [(&second, true), (&third, false)] {
        server.dispute(&paid.charge, lost);
        expect_events(
            &server,
            &["charge.dispute.created", "charge.dispute.closed"],
        );
        let events = server.pending_events();
        assert_eq!(events[0]["data"]["object"]["status"], "needs_response");
        let dispute_id = events[1]["data"]["object"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(dispute_id.starts_with("dp_"));
        let dispute = RetrieveDispute::new(dispute_id.as_str())
            .send(&client)
            .await
            .expect("dispute");
        let expected = if lost {
            DisputeStatus::Lost
        } else {
            DisputeStatus::Won
        };
        assert_eq!(dispute.status, expected);
        assert_eq!(id_of(&dispute.charge), paid.charge);
        let charge = retrieve_charge(&client, &paid.charge).await;
        assert!(charge.disputed);
        server.take_events();
    }
}

#[tokio::test]
async fn foreign_subscriptions_carry_no_memberdrive_metadata() {
    let server = StripeServer::start().await;
    let client = client(&server);
    let sub_id = server.foreign_subscription();
    expect_events(
        &server,
        &[
            "customer.subscription.created",
            "invoice.paid",
            "invoice.payment_succeeded",
        ],
    );
    let subscription = retrieve_subscription(&client, &sub_id).await;
    assert!(
        subscription
            .metadata
            .keys()
            .all(|k| !k.starts_with("memberdrive"))
    );
    assert_eq!(subscription.status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn listing_subscriptions_pages_newest_first() {
    let server = StripeServer::start().await;
    let client = client(&server);
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(server.foreign_subscription());
    }
    server.end_subscription(&created[1]);
    created.reverse(); // newest first

    let page = ListSubscription::new()
        .status(ListSubscriptionStatus::All)
        .limit(2)
        .send(&client)
        .await
        .expect("first page");
    assert!(page.has_more);
    assert_eq!(page.url, "/v1/subscriptions");
    let ids: Vec<String> = page.data.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(ids, created[..2]);

    let all: Vec<String> = ListSubscription::new()
        .status(ListSubscriptionStatus::All)
        .limit(2)
        .paginate()
        .stream(&client)
        .map(|s| s.expect("page").id.to_string())
        .collect()
        .await;
    assert_eq!(all, created);

    // Without `status`, canceled subscriptions are left out, as in Stripe.
    let live = ListSubscription::new().send(&client).await.unwrap();
    assert_eq!(live.data.len(), 4);
    let customer = live.data[0].customer.clone();
    let theirs = ListSubscription::new()
        .customer(id_of(&customer))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(theirs.data.len(), 1);
}

#[tokio::test]
async fn billing_portal_sessions() {
    let (server, client, session) = server_with_checkout(true).await;
    let customer = server.pay_checkout(session.id.as_str()).customer.unwrap();
    let portal = CreateBillingPortalSession::new()
        .customer(customer.as_str())
        .return_url("http://app.example/account")
        .send(&client)
        .await
        .expect("create portal session");
    assert!(portal.id.as_str().starts_with("bps_"));
    assert_eq!(portal.url, format!("{}portal/{}", server.url(), portal.id));
    assert_eq!(portal.customer, customer);
    assert_eq!(
        portal.return_url.as_deref(),
        Some("http://app.example/account")
    );
    assert_eq!(server.objects_created("billing_portal.session"), 1);
    let page = reqwest::get(portal.url).await.unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn errors_have_stripes_shape() {
    let server = StripeServer::start().await;
    let wrong = ClientBuilder::new("sk_test_wrong")
        .url(server.url())
        .build()
        .unwrap();
    let error = CreateCustomer::new().send(&wrong).await.unwrap_err();
    let StripeError::Stripe(error, 401) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.type_, ApiErrorsType::InvalidRequestError);
    assert!(error.message.unwrap().contains("Invalid API Key"));
    assert_eq!(server.objects_created("customer"), 0);

    let client = client(&server);
    let error = RetrieveSubscription::new("sub_missing")
        .send(&client)
        .await
        .unwrap_err();
    let StripeError::Stripe(error, 404) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.code, Some(ApiErrorsCode::ResourceMissing));
    assert_eq!(
        error.message.as_deref(),
        Some("No such subscription: 'sub_missing'")
    );

    // A one-time price in subscription mode is refused, as Stripe does.
    let mut request = checkout_request(false, None).mode(CheckoutSessionMode::Subscription);
    request = request.subscription_data(CreateCheckoutSessionSubscriptionData::new());
    let error = request.send(&client).await.unwrap_err();
    assert!(matches!(error, StripeError::Stripe(_, 400)), "{error:?}");
    let error = checkout_request(true, Some("cus_missing"))
        .send(&client)
        .await
        .unwrap_err();
    assert!(matches!(error, StripeError::Stripe(_, 400)), "{error:?}");
    // Stripe's Checkout has no Ukrainian: `uk` is refused, `auto` is not.
    let error = checkout_request(false, None)
        .locale(CheckoutSessionLocale::Unknown("uk".into()))
        .send(&client)
        .await
        .unwrap_err();
    let StripeError::Stripe(error, 400) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.param.as_deref(), Some("locale"));
    let session = checkout_request(false, None)
        .locale(CheckoutSessionLocale::Auto)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(session.locale, Some(CheckoutSessionLocale::Auto));
}

#[test]
fn signatures_match_stripes_scheme() {
    // RFC 4231 test cases 2 and 6 (a key longer than the block).
    let case2 = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(case2),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let case6 = hmac_sha256(
        &[0xaa; 131],
        b"Test Using Larger Than Block-Size Key - Hash Key First",
    );
    assert_eq!(
        hex::encode(case6),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    // Computed independently with Python's hmac module over "1700000000.<payload>".
    let payload = br#"{"id":"evt_test","object":"event"}"#;
    assert_eq!(
        StripeServer::sign(payload, 1_700_000_000, StripeServer::WEBHOOK_SECRET),
        "t=1700000000,v1=7eb31a7746c65bbb897a8866310399c551bee599a760b505cfa306fa5f848a96"
    );
}

/// A webhook endpoint that records what it receives and answers 200.
async fn receiver() -> (String, Arc<Mutex<Vec<(HashMap<String, String>, String)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut line = String::new();
                stream.read_line(&mut line).await.unwrap();
                let mut headers = HashMap::new();
                loop {
                    line.clear();
                    stream.read_line(&mut line).await.unwrap();
                    let Some((name, value)) = line.trim_end().split_once(':') else {
                        break;
                    };
                    headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                }
                let length = headers["content-length"].parse().unwrap();
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await.unwrap();
                log.lock()
                    .unwrap()
                    .push((headers, String::from_utf8(body).unwrap()));
                let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                stream.get_mut().write_all(reply).await.unwrap();
            });
        }
    });
    (url, received)
}

#[tokio::test]
async fn deliveries_are_signed_and_repeat_verbatim() {
    let server = StripeServer::start().await;
    let (url, received) = receiver().await;
    server.set_webhook_url(&url);
    let session = new_checkout(&server, true).await;
    let paid: Paid = server.pay_checkout(session.id.as_str());
    assert!(paid.subscription.is_some());
    let queued = server.pending_events();

    let statuses = server.deliver(Delivery::InOrder).await;
    assert_eq!(statuses, [200; 4]);
    assert!(
        server.pending_events().is_empty(),
        "delivery clears the queue"
    );
    let deliveries = std::mem::take(&mut *received.lock().unwrap());
    for ((headers, body), event) in deliveries.iter().zip(&queued) {
        assert!(headers["content-type"].starts_with("application/json"));
        let signature = &headers["stripe-signature"];
        let t: i64 = signature[2..signature.find(',').unwrap()].parse().unwrap();
        assert!(
            (t - chrono::Utc::now().timestamp()).abs() < 60,
            "signed with real time"
        );
        assert_eq!(
            *signature,
            StripeServer::sign(body.as_bytes(), t, StripeServer::WEBHOOK_SECRET)
        );
        let sent: Value = serde_json::from_str(body).unwrap();
        assert_eq!(&sent, event);
    }

    // Repeated: the same id and body every time, concurrently too.
    server.renew(paid.subscription.as_deref().unwrap());
    let statuses = server
        .deliver(Delivery::Repeated {
            times: 3,
            concurrently: true,
        })
        .await;
    assert_eq!(statuses, [200; 9]);
    let deliveries = std::mem::take(&mut *received.lock().unwrap());
    let mut bodies: Vec<&str> = deliveries.iter().map(|(_, b)| b.as_str()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 3, "three events, three identical copies each");

    // A storm: every copy of every event in one shuffled order, several at once.
    server.renew(paid.subscription.as_deref().unwrap());
    let queued: Vec<Value> = server.pending_events();
    let storm = Delivery::Storm {
        times: 3,
        seed: 5,
        at_once: 4,
    };
    assert_eq!(server.deliver(storm).await, [200; 9]);
    let deliveries = std::mem::take(&mut *received.lock().unwrap());
    let sent: Vec<String> = deliveries.iter().map(|(_, b)| id_in(b)).collect();
    for event in &queued {
        let id = event["id"].as_str().unwrap();
        let copies = sent.iter().filter(|s| *s == id).count();
        assert_eq!(copies, 3, "{id} in {sent:?}");
    }

    // Shuffled delivers a permutation; DropSome a subset; both are deterministic per seed.
    for _ in 0..3 {
        server.foreign_subscription();
    }
    let queued: Vec<Value> = server.pending_events();
    assert_eq!(server.deliver(Delivery::Shuffled(7)).await.len(), 9);
    let deliveries = std::mem::take(&mut *received.lock().unwrap());
    let mut sent: Vec<String> = deliveries.iter().map(|(_, b)| id_in(b)).collect();
    let mut expected: Vec<String> = queued
        .iter()
        .map(|e| e["id"].as_str().unwrap().into())
        .collect();
    sent.sort();
    expected.sort();
    assert_eq!(sent, expected);

    for _ in 0..10 {
        server.foreign_subscription();
    }
    let delivered = server
        .deliver(Delivery::DropSome {
            keep_one_in: 3,
            seed: 1,
        })
        .await
        .len();
    assert!(delivered < 30, "some of 30 events were dropped");
    assert!(server.pending_events().is_empty());
    assert_eq!(
        std::mem::take(&mut *received.lock().unwrap()).len(),
        delivered
    );

    // A rotated (or wrong) secret signs later deliveries.
    server.set_webhook_secret("whsec_other");
    server.refund(&paid.charge);
    server.deliver(Delivery::InOrder).await;
    let deliveries = std::mem::take(&mut *received.lock().unwrap());
    let (headers, body) = &deliveries[0];
    let signature = &headers["stripe-signature"];
    let t: i64 = signature[2..signature.find(',').unwrap()].parse().unwrap();
    assert_eq!(
        *signature,
        StripeServer::sign(body.as_bytes(), t, "whsec_other")
    );
}

fn id_in(body: &str) -> String {
    let event: Value = serde_json::from_str(body).unwrap();
    event["id"].as_str().unwrap().to_owned()
}
