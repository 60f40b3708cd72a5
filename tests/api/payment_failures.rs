//! Card testing: the payments that fail for one client block it from starting a Checkout for
//! a while, each failure counted once however often Stripe delivers it, and staff see the
//! client on `/admin/payments`, where an admin may clear it.

use diesel::prelude::*;
use memberdrive::db::schema::{payment_failures, payments};
use memberdrive::payments::failures::{BLOCK_AFTER, client_key};
use memberdrive::staff::Role;
use reqwest::header;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, deliver_twice, post_as, post_from, session_of,
    spawn_app_for, submit, text_as,
};
use crate::support::stripe_server::StripeServer;

both_backends!(failed_payments_block_their_client_until_it_is_cleared);

const TESTER: &str = "203.0.113.40";
const READER: &str = "198.51.100.7";
const MEMBER: &str = "198.51.100.8";

/// A donation of 1.00 from `ip`: the Checkout Session's id, or the refusal.
async fn donate(
    app: &TestApp,
    stripe: &StripeServer,
    ip: &str,
) -> Result<String, reqwest::Response> {
    let res = post_from(app, "/join", ip, &[("amount", "100"), ("interval", "once")]).await;
    if res.status() != 303 {
        return Err(res);
    }
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    Ok(location
        .strip_prefix(&format!("{}checkout/", stripe.url()))
        .expect("a Checkout URL")
        .to_owned())
}

async fn failures_of(app: &TestApp, ip: &str) -> i64 {
    let key = client_key(ip.parse().unwrap());
    app.count(payment_failures::table.filter(payment_failures::client.eq(key)))
        .await
}

async fn failed_payments_block_their_client_until_it_is_cleared(backend: Backend) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(backend, &stripe, &[]).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;

    // The Checkout carries the client's key, never its address, down to the payment intent.
    let first = donate(&app, &stripe, TESTER).await.expect("not blocked");
    let key = client_key(TESTER.parse().unwrap());
    let session = stripe.checkout_session(&first);
    assert_eq!(session["metadata"]["memberdrive_client"], key.as_str());
    assert!(!session.to_string().contains(TESTER));

    // A card tester tries cards on one Checkout page: one short of the block.
    let blocking = usize::try_from(BLOCK_AFTER).unwrap();
    for _ in 1..blocking {
        let intent = stripe.decline_checkout(&first);
        assert_eq!(
            stripe.object(&intent).unwrap()["metadata"]["memberdrive_client"],
            key.as_str()
        );
    }
    deliver_twice(&app, &stripe).await;
    assert_eq!(
        failures_of(&app, TESTER).await,
        BLOCK_AFTER - 1,
        "each failure once, though delivered twice"
    );
    let second = donate(&app, &stripe, TESTER)
        .await
        .expect("not blocked yet");
    stripe.decline_checkout(&second);
    // A member's first monthly payment that fails counts for its client too.
    let join = [
        ("tier", "supporter"),
        ("interval", "month"),
        ("email", "m@readers.example"),
    ];
    let res = post_from(&app, "/join", MEMBER, &join).await;
    assert_eq!(res.status(), 303);
    let monthly = res.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    stripe.pay_checkout_first_payment_fails(&monthly);
    deliver_twice(&app, &stripe).await;
    assert_eq!(failures_of(&app, TESTER).await, BLOCK_AFTER);
    assert_eq!(failures_of(&app, MEMBER).await, 1);

    // Blocked: no Checkout is started for it, by joining or giving, as a page or as JSON.
    let sessions = stripe.objects_created("checkout.session");
    let res = post_from(
        &app,
        "/join",
        TESTER,
        &[("amount", "100"), ("interval", "once")],
    )
    .await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "Retry-After {retry}");
    let res = app
        .client
        .post(format!("{}/join", app.address))
        .header("x-forwarded-for", TESTER)
        .header(header::ACCEPT, "application/json")
        .form(&[("amount", "100"), ("interval", "once")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "payments_blocked"
    );
    let gift = [
        ("tier", "supporter"),
        ("months", "3"),
        ("recipient_email", "friend@readers.example"),
        ("email", "buyer@readers.example"),
    ];
    assert_eq!(post_from(&app, "/gift", TESTER, &gift).await.status(), 429);
    assert_eq!(stripe.objects_created("checkout.session"), sessions);
    // Nobody else is touched, and a reader whose card was declined may pay with another.
    donate(&app, &stripe, READER).await.expect("another client");
    stripe.pay_checkout(&first);
    deliver_twice(&app, &stripe).await;
    assert_eq!(
        app.count(payments::table).await,
        1,
        "the donation after the declines"
    );

    // Staff see it; viewers cannot clear it.
    let viewer = session_of(&app, "viewer@news.example").await;
    let page = text_as(&app, "/admin/payments", &viewer).await;
    assert!(page.contains(&key[..12]), "{page}");
    assert!(page.contains("Blocked"), "{page}");
    assert!(
        page.contains(&format!(
            "In the last 24 hours: {} failed payments from 2 clients; 1 blocked now.",
            BLOCK_AFTER + 1
        )),
        "{page}"
    );
    assert!(!page.contains("Clear failures"), "viewers only look");
    let refused = post_as(
        &app,
        "/admin/payments/clear",
        &viewer,
        &[("client", &key), ("csrf_token", &csrf_in(&page))],
    )
    .await;
    assert_eq!(refused.status(), 403);
    let admin = session_of(&app, "editor@news.example").await;
    let page = text_as(&app, "/admin/payments", &admin).await;
    let forged = submit(
        &app,
        &admin,
        "forged",
        "/admin/payments/clear",
        vec![("client", &key)],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        post_from(
            &app,
            "/join",
            TESTER,
            &[("amount", "100"), ("interval", "once")]
        )
        .await
        .status(),
        429
    );
    let clear = |page: String| {
        let (admin, key) = (admin.clone(), key.clone());
        let app = &app;
        async move {
            let fields = vec![("client", key.as_str())];
            submit(
                app,
                &admin,
                &csrf_in(&page),
                "/admin/payments/clear",
                fields,
            )
            .await
        }
    };
    assert_eq!(clear(page).await.status(), 303);
    let audit = audit_actions(&app, "payments.clear").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "staff:editor@news.example");
    assert_eq!(audit[0].1, key);
    assert!(
        audit[0].2.contains(&format!("\"failures\":{BLOCK_AFTER}")),
        "{:?}",
        audit[0]
    );
    donate(&app, &stripe, TESTER).await.expect("cleared");
    let page = text_as(&app, "/admin/payments", &admin).await;
    assert!(
        page.contains("In the last 24 hours: one failed payment from one client; 0 blocked now."),
        "{page}"
    );
    // Nothing left to clear: a clear answer, nothing audited.
    assert_eq!(clear(page).await.status(), 404);
    assert_eq!(audit_actions(&app, "payments.clear").await.len(), 1);
}
