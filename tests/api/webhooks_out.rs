//! Outbound webhooks: every event a reader, a member or an edition causes reaches the
//! endpoints that asked for it, once, signed as the Standard Webhooks specification says
//! (checked by the verifier below, written from the specification and nothing of ours);
//! staff add endpoints, rotate secrets and retry failed deliveries from the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use memberdrive::db::schema::{jobs, webhook_endpoints};
use memberdrive::staff::Role;
use sha2::Sha256;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::editions::{ok, send_on};
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, deliver_twice, get_as, join, post_as, session_of,
    spawn_app_for, submit, text_as, token_of,
};
use crate::support::receiver::{Answer, Received, Receiver};
use crate::support::smtp::ReceivedMail;
use crate::support::stripe_server::StripeServer;
use crate::support::wait::eventually;

both_backends!(
    each_event_reaches_its_endpoints_once_signed,
    secrets_rotate_and_failed_deliveries_are_retried
);

const WAIT: Duration = Duration::from_secs(60);
const ADMIN: &str = "editor@news.example";
const VIEWER: &str = "viewer@news.example";

/// Verifies a delivery as the specification says a receiver does: each `v1,` entry of
/// `webhook-signature` is the base64 HMAC-SHA256, keyed with the base64-decoded secret after
/// `whsec_`, of `{webhook-id}.{webhook-timestamp}.{body}`; the timestamp is within five
/// minutes of now. Returns how many of the entries verify with `secret`.
fn verified_by(secret: &str, delivery: &Received) -> usize {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("a base64 secret");
    let (id, timestamp) = (
        delivery.header("webhook-id"),
        delivery.header("webhook-timestamp"),
    );
    let sent: i64 = timestamp.parse().expect("a Unix timestamp");
    assert!(
        (chrono::Utc::now().timestamp() - sent).abs() < 300,
        "timestamp {sent} is not recent"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", delivery.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    delivery
        .header("webhook-signature")
        .split(' ')
        .filter(|entry| *entry == expected)
        .count()
}

/// Adds an endpoint at `url` for `events` as the admin `cookie`; its id and secret.
async fn add_endpoint(app: &TestApp, cookie: &str, url: &str, events: &[&str]) -> (i32, String) {
    let token = csrf_in(&text_as(app, "/admin/webhooks", cookie).await);
    let mut fields = vec![("url", url), ("description", "CRM"), ("enabled", "on")];
    fields.extend(events.iter().map(|e| ("event", *e)));
    let res = submit(app, cookie, &token, "/admin/webhooks", fields).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id: i32 = location
        .strip_prefix("/admin/webhooks/")
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .expect("the endpoint's page")
        .parse()
        .unwrap();
    (id, secret_on(app, cookie, id).await)
}

/// The signing secret shown on endpoint `id`'s page.
async fn secret_on(app: &TestApp, cookie: &str, id: i32) -> String {
    let page = text_as(app, &format!("/admin/webhooks/{id}"), cookie).await;
    let start = page.find("whsec_").expect("the secret, to an admin");
    page[start..].split('<').next().unwrap().to_owned()
}

/// The deliveries `receiver` accepted (2xx), by event type: their webhook-ids.
fn accepted(receiver: &Receiver) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in receiver.received() {
        if d.answered.is_some_and(|s| (200..300).contains(&s)) {
            let event = d.json()["type"].as_str().unwrap().to_owned();
            out.entry(event)
                .or_default()
                .push(d.header("webhook-id").to_owned());
        }
    }
    out
}

/// The last delivery of `event` that `receiver` accepted.
fn last_of(receiver: &Receiver, event: &str) -> Received {
    receiver
        .received()
        .into_iter()
        .rev()
        .find(|d| d.answered == Some(200) && d.json()["type"] == event)
        .unwrap_or_else(|| panic!("no {event} delivered"))
}

/// Subscribes `email` to `news` and follows the confirmation link; the unsubscribe link of
/// the welcome email.
pub(crate) async fn subscribe_and_confirm(app: &TestApp, email: &str) -> String {
    let res = app
        .post_form(
            "/newsletters/subscribe",
            &[("email", email), ("newsletter", "news")],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let confirmation =
        |m: &ReceivedMail| m.to == [email] && m.text_part().contains("/newsletters/confirm?token=");
    let mail = app
        .smtp
        .wait_until("the confirmation email", WAIT, |m| {
            m.iter().any(confirmation)
        })
        .await;
    let text = mail.into_iter().find(confirmation).unwrap().text_part();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/newsletters/confirm?token="))
        .unwrap();
    let res = app
        .post_form("/newsletters/confirm", &[("token", &token_of(link))])
        .await;
    assert_eq!(res.status(), 200);
    // The welcome carries the unsubscribe link.
    let welcome = app
        .smtp
        .wait_until("the welcome email", WAIT, |m| {
            m.iter()
                .any(|m| m.to == [email] && m.text_part().contains("/unsubscribe?token="))
        })
        .await;
    let text = welcome
        .iter()
        .find(|m| m.to == [email] && m.text_part().contains("/unsubscribe?token="))
        .unwrap()
        .text_part();
    text.split_whitespace()
        .find(|w| w.contains("/unsubscribe?token="))
        .unwrap()
        .to_owned()
}

async fn each_event_reaches_its_endpoints_once_signed(backend: Backend) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(backend, &stripe, &[]).await;
    add_staff(&app, ADMIN, Role::Admin).await;
    add_staff(&app, VIEWER, Role::Viewer).await;
    let cookie = session_of(&app, ADMIN).await;
    let (crm, chat) = (Receiver::start().await, Receiver::start().await);
    let every: Vec<&str> = memberdrive::domain::EventType::ALL
        .iter()
        .map(|e| e.as_str())
        .collect();
    let (crm_id, crm_secret) = add_endpoint(&app, &cookie, crm.url(), &every).await;
    let (_, chat_secret) = add_endpoint(&app, &cookie, chat.url(), &["member.joined"]).await;
    assert_ne!(crm_secret, chat_secret);
    // The CRM is down for its first delivery: it gets it again, the same message.
    crm.script([Answer::Status(503)]);

    let reader = "reader@readers.example";
    let unsubscribe = subscribe_and_confirm(&app, reader).await;
    let member = "member@readers.example";
    let form = [
        ("email", member),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let subscription = stripe
        .pay_checkout(&join(&app, &stripe, &form).await)
        .subscription
        .unwrap();
    // Stripe's duplicates change nothing, here too.
    deliver_twice(&app, &stripe).await;
    let donor = "donor@readers.example";
    let gift = [("email", donor), ("amount", "2500"), ("interval", "once")];
    stripe.pay_checkout(&join(&app, &stripe, &gift).await);
    deliver_twice(&app, &stripe).await;
    stripe.renewal_fails(&subscription);
    deliver_twice(&app, &stripe).await;
    stripe.cancel_at_period_end(&subscription);
    deliver_twice(&app, &stripe).await;
    // One click in the mail client (RFC 8058).
    let res = app
        .client
        .post(&unsubscribe)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    ok(&send_on(
        &app.database.url,
        "# Briefing\n\nHello.",
        "Morning briefing",
        &[],
    ));

    let all: BTreeSet<String> = every.iter().map(|e| e.to_string()).collect();
    eventually("every event at the CRM", WAIT, || async {
        let got: BTreeSet<String> = accepted(&crm).into_keys().collect();
        (got == all).then_some(()).ok_or(format!("{got:?}"))
    })
    .await;
    eventually("member.joined in the chat", WAIT, || async {
        !accepted(&chat).is_empty()
    })
    .await;
    app.wait_for_jobs("webhook", WAIT).await;

    // Once each, however often Stripe delivered its events.
    for (event, ids) in accepted(&crm) {
        assert_eq!(ids.len(), 1, "{event}: {ids:?}");
    }
    assert_eq!(
        accepted(&chat).into_keys().collect::<Vec<_>>(),
        ["member.joined"]
    );
    // Each verifies with its endpoint's secret alone.
    for d in crm.received() {
        assert_eq!(verified_by(&crm_secret, &d), 1, "{}", d.body);
        assert_eq!(verified_by(&chat_secret, &d), 0);
        assert_eq!(d.header("content-type"), "application/json");
    }
    for d in chat.received() {
        assert_eq!(verified_by(&chat_secret, &d), 1);
    }
    // The refused delivery came again: the same message, signed anew.
    let first = &crm.received()[0];
    assert_eq!(first.answered, Some(503));
    let again = crm
        .received()
        .into_iter()
        .skip(1)
        .find(|d| d.header("webhook-id") == first.header("webhook-id"))
        .expect("the refused delivery again");
    assert_eq!(
        (again.body.as_str(), again.answered),
        (first.body.as_str(), Some(200))
    );
    // The same event has the same id at every endpoint.
    assert_eq!(
        last_of(&crm, "member.joined").header("webhook-id"),
        last_of(&chat, "member.joined").header("webhook-id")
    );

    // What the payloads say.
    let confirmed = last_of(&crm, "subscriber.confirmed").json();
    assert_eq!(confirmed["data"]["subscriber"]["email"], reader);
    assert_eq!(confirmed["data"]["newsletter"]["slug"], "news");
    assert!(confirmed["timestamp"].as_str().unwrap().ends_with('Z'));
    let left = last_of(&crm, "subscriber.unsubscribed").json();
    assert_eq!(left["data"]["subscriber"]["email"], reader);
    assert!(left["data"]["unsubscribed_at"].is_string());
    let joined = last_of(&crm, "member.joined").json();
    assert_eq!(joined["data"]["member"]["email"], member);
    assert_eq!(joined["data"]["campaign"]["slug"], "members");
    assert_eq!(joined["data"]["membership"]["interval"], "month");
    assert_eq!(
        joined["data"]["membership"]["stripe_subscription_id"],
        subscription
    );
    let failed = last_of(&crm, "member.payment_failed").json();
    assert_eq!(failed["data"]["member"]["email"], member);
    assert!(failed["data"]["amount_due"].as_i64().unwrap() > 0);
    let cancelled = last_of(&crm, "member.cancelled").json();
    assert!(cancelled["data"]["ends_at"].is_string(), "{cancelled}");
    let donation = last_of(&crm, "donation.received").json();
    assert_eq!(donation["data"]["member"]["email"], donor);
    assert_eq!(donation["data"]["donation"]["amount"], 2500);
    let edition = last_of(&crm, "edition.sent").json();
    assert_eq!(edition["data"]["edition"]["subject"], "Morning briefing");
    assert_eq!(edition["data"]["newsletter"]["slug"], "news");

    // The delivery log: every delivery delivered, the refused one in two attempts.
    let log = text_as(&app, &format!("/admin/webhooks/{crm_id}"), &cookie).await;
    assert_eq!(
        log.matches("<tr data-delivery=").count(),
        every.len(),
        "{log}"
    );
    assert_eq!(log.matches(">Delivered<").count(), every.len());
    // A viewer sees the endpoints and the log, not the secret, and cannot change anything.
    let viewer = session_of(&app, VIEWER).await;
    let page = text_as(&app, &format!("/admin/webhooks/{crm_id}"), &viewer).await;
    assert!(page.contains(">Delivered<") && !page.contains(&crm_secret));
    let token = csrf_in(&page);
    let res = submit(
        &app,
        &viewer,
        &token,
        &format!("/admin/webhooks/{crm_id}/rotate"),
        vec![],
    )
    .await;
    assert_eq!(res.status(), 403);
    let created = audit_actions(&app, "webhook.create").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].1, crm_id.to_string());
    assert!(created.iter().all(|(actor, ..)| actor.contains(ADMIN)));
}

/// The jobs of endpoint `id`: (status, attempts).
async fn deliveries(app: &TestApp, id: i32) -> Vec<(String, i32)> {
    let prefix = format!("webhook:{id}:%");
    app.read(move |c| {
        jobs::table
            .filter(jobs::dedupe_key.like(prefix))
            .order(jobs::id)
            .select((jobs::status, jobs::attempts))
            .load(c)
    })
    .await
}

async fn secrets_rotate_and_failed_deliveries_are_retried(backend: Backend) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(backend, &stripe, &[]).await;
    add_staff(&app, ADMIN, Role::Admin).await;
    let cookie = session_of(&app, ADMIN).await;
    let hook = Receiver::start().await;

    // Bad input is refused with a reason, and nothing is added.
    let token = csrf_in(&text_as(&app, "/admin/webhooks", &cookie).await);
    for (fields, reason) in [
        (
            vec![("url", "ftp://crm.example/x"), ("event", "member.joined")],
            "starting with https://",
        ),
        (vec![("url", hook.url())], "at least one"),
        (
            vec![("url", hook.url()), ("event", "member.created")],
            "at least one",
        ),
    ] {
        let res = submit(&app, &cookie, &token, "/admin/webhooks", fields).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains(reason), "{reason}");
    }
    assert_eq!(app.count(webhook_endpoints::table).await, 0);

    let (id, old) = add_endpoint(&app, &cookie, hook.url(), &["subscriber.confirmed"]).await;
    // The receiver says this endpoint is gone: failed at once, not retried for hours.
    hook.script([Answer::Status(410)]);
    subscribe_and_confirm(&app, "first@readers.example").await;
    eventually("the delivery dead-lettered", WAIT, || async {
        deliveries(&app, id).await == [("dead".to_owned(), 1)]
    })
    .await;
    let page = text_as(&app, &format!("/admin/webhooks/{id}"), &cookie).await;
    assert!(page.contains(">Failed<") && page.contains("410"), "{page}");
    let job: i32 = app
        .read(|c| {
            jobs::table
                .filter(jobs::kind.eq("webhook"))
                .select(jobs::id)
                .first(c)
        })
        .await;
    let retry = format!("/admin/webhooks/{id}/deliveries/{job}/retry");
    assert!(page.contains(&retry));
    let res = submit(&app, &cookie, &csrf_in(&page), &retry, vec![]).await;
    assert_eq!(res.status(), 303);
    eventually("the retried delivery accepted", WAIT, || async {
        hook.received().last().and_then(|d| d.answered) == Some(200)
    })
    .await;
    let [gone, retried] = &hook.received()[..] else {
        panic!("two requests")
    };
    assert_eq!(gone.header("webhook-id"), retried.header("webhook-id"));
    // Once retried and delivered, it is no longer a dead letter to retry.
    app.wait_for_jobs("webhook", WAIT).await;
    let res = submit(&app, &cookie, &csrf_in(&page), &retry, vec![]).await;
    assert_eq!(res.status(), 409);

    // Rotation: for a while both secrets sign, so a receiver switches without a gap.
    let token = csrf_in(&text_as(&app, &format!("/admin/webhooks/{id}"), &cookie).await);
    let res = submit(
        &app,
        &cookie,
        &token,
        &format!("/admin/webhooks/{id}/rotate"),
        vec![],
    )
    .await;
    assert_eq!(res.status(), 303);
    let new = secret_on(&app, &cookie, id).await;
    assert_ne!(new, old);
    // An endpoint that does not answer in time is given up on and tried again.
    hook.script([Answer::Stall(Duration::from_secs(40))]);
    subscribe_and_confirm(&app, "second@readers.example").await;
    let stalled = eventually(
        "the delivery sent again while the first waits",
        WAIT,
        || async {
            let received = hook.received();
            let [.., waiting, again] = &received[..] else {
                return None;
            };
            (waiting.answered.is_none()
                && again.answered == Some(200)
                && waiting.header("webhook-id") == again.header("webhook-id"))
            .then(|| again.clone())
        },
    )
    .await;
    assert_eq!(
        stalled.json()["data"]["subscriber"]["email"],
        "second@readers.example"
    );
    assert_eq!(verified_by(&new, &stalled), 1);
    assert_eq!(verified_by(&old, &stalled), 1);
    assert_eq!(stalled.header("webhook-signature").split(' ').count(), 2);

    // A disabled endpoint is sent nothing new.
    let token = csrf_in(&text_as(&app, &format!("/admin/webhooks/{id}"), &cookie).await);
    let fields = vec![("url", hook.url()), ("event", "subscriber.confirmed")];
    let res = submit(
        &app,
        &cookie,
        &token,
        &format!("/admin/webhooks/{id}"),
        fields,
    )
    .await;
    assert_eq!(res.status(), 303);
    let before = deliveries(&app, id).await.len();
    subscribe_and_confirm(&app, "third@readers.example").await;
    assert_eq!(deliveries(&app, id).await.len(), before);
    let page = text_as(&app, "/admin/webhooks", &cookie).await;
    assert!(page.contains(">Disabled<"), "{page}");

    // Removing it is audited with the rest.
    let token = csrf_in(&text_as(&app, &format!("/admin/webhooks/{id}"), &cookie).await);
    let res = post_as(
        &app,
        &format!("/admin/webhooks/{id}/remove"),
        &cookie,
        &[("csrf_token", token.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count(webhook_endpoints::table).await, 0);
    let res = get_as(&app, &format!("/admin/webhooks/{id}"), &cookie).await;
    assert_eq!(res.status(), 404);
    for action in [
        "webhook.retry",
        "webhook.rotate",
        "webhook.update",
        "webhook.remove",
    ] {
        assert_eq!(audit_actions(&app, action).await.len(), 1, "{action}");
    }
}
