//! Paid membership end to end, against the Stripe test server: joining, signed webhooks in
//! any order and any number of times, reconciliation, and the service without Stripe.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, members, memberships, payments, stripe_events};

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, join, memberdrive_command, spawn_app, spawn_app_with, spawn_app_with_stripe,
};
use crate::support::smtp::ReceivedMail;
use crate::support::stripe_server::{Delivery, Paid, StripeServer};

both_backends!(
    joining_pays_activates_and_emails_once,
    bad_join_input_gets_a_clear_error_and_no_stripe_call,
    webhook_signatures_are_checked_and_rejections_write_nothing,
    every_event_delivered_three_times_has_one_effect,
    lifecycles_end_in_stripe_state_whatever_the_order,
    refunds_and_disputes_reported_before_their_payment_still_apply,
    subscriptions_of_other_products_never_become_members,
    reconcile_repairs_dropped_webhooks,
    without_stripe_the_join_page_says_so,
);

const WAIT: Duration = Duration::from_secs(10);

async fn join_monthly(app: &TestApp, stripe: &StripeServer, email: &str) -> String {
    join(
        app,
        stripe,
        &[
            ("email", email),
            ("tier", "supporter"),
            ("interval", "month"),
            ("ref", "https://news.example/2026/budget?utm=x"),
        ],
    )
    .await
}

/// Waits until every Stripe event is processed (its job done or dead).
async fn settle(app: &TestApp) {
    app.wait_for_jobs("stripe_event", WAIT * 3).await;
}

async fn membership(app: &TestApp, sub: &str) -> Option<(String, bool)> {
    let sub = sub.to_owned();
    app.read(move |c| {
        memberships::table
            .filter(memberships::stripe_subscription_id.eq(sub))
            .select((memberships::status, memberships::cancel_at_period_end))
            .first(c)
            .optional()
    })
    .await
}

fn subjects(mails: &[ReceivedMail], to: &str) -> Vec<String> {
    let mut s: Vec<String> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .map(|m| m.decoded_header("Subject").unwrap())
        .collect();
    s.sort();
    s
}

async fn joining_pays_activates_and_emails_once(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = join_monthly(&app, &stripe, "Reader@News.Example").await;
    let sent = stripe.checkout_session(&session);
    assert_eq!(sent["mode"], "subscription");
    for key in [
        "memberdrive_campaign",
        "memberdrive_tier",
        "memberdrive_ref",
        "memberdrive_lang",
    ] {
        assert!(
            sent["metadata"][key].as_str().is_some(),
            "{key} missing: {sent}"
        );
    }
    assert_eq!(
        sent["metadata"]["memberdrive_ref"],
        "https://news.example/2026/budget"
    );
    let create = stripe
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/checkout/sessions")
        .unwrap();
    // Checkout starts from the typed address and makes the customer when the reader pays.
    assert_eq!(create.param("customer_email"), Some("reader@news.example"));
    assert_eq!(create.param("customer"), None);
    assert_eq!(
        stripe.objects_created("customer"),
        0,
        "no customer before paying"
    );
    assert_eq!(
        create.param("line_items[0][price_data][unit_amount]"),
        Some("500")
    );
    assert_eq!(
        create.param("line_items[0][price_data][recurring][interval]"),
        Some("month")
    );
    assert!(
        create
            .param("success_url")
            .unwrap()
            .starts_with(&app.base_url)
    );

    let paid = stripe.pay_checkout(&session);
    let statuses = stripe.deliver(Delivery::InOrder).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Delivery returned once every webhook was stored; processing is a job.
    app.wait_for_count("members", 1, Duration::from_secs(1))
        .await;
    settle(&app).await;
    let sub = paid.subscription.clone().unwrap();
    assert_eq!(membership(&app, &sub).await, Some(("active".into(), false)));

    // The article that sent the reader is on the membership.
    let s2 = sub.clone();
    let ref_url: Option<String> = app
        .read(move |c| {
            memberships::table
                .filter(memberships::stripe_subscription_id.eq(s2))
                .select(memberships::ref_url)
                .first(c)
        })
        .await;
    assert_eq!(ref_url.as_deref(), Some("https://news.example/2026/budget"));
    let customer: Option<String> = app
        .read(|c| members::table.select(members::stripe_customer_id).first(c))
        .await;
    assert_eq!(
        customer, paid.customer,
        "the member has Checkout's customer"
    );

    let mails = app.smtp.wait_for_messages(2, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let all = app.smtp.messages();
    assert_eq!(
        subjects(&all, "reader@news.example"),
        ["Welcome, and thank you for joining", "Your receipt: €5"],
        "{mails:?}"
    );
    let receipt = all
        .iter()
        .find(|m| {
            m.decoded_header("Subject")
                .unwrap()
                .starts_with("Your receipt")
        })
        .unwrap();
    assert!(
        receipt
            .text_part()
            .contains(&format!("{}/account", app.base_url))
    );
    let _: Paid = paid;
}

async fn bad_join_input_gets_a_clear_error_and_no_stripe_call(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form, &str); 11] = [
        (
            &[
                ("email", "a@news.example"),
                ("tier", "nope"),
                ("interval", "month"),
            ],
            "unknown_tier",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("amount", "5"),
                ("interval", "once"),
            ],
            "invalid_amount",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("amount", "99999999"),
                ("interval", "once"),
            ],
            "invalid_amount",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("amount", "ten"),
                ("interval", "once"),
            ],
            "invalid_amount",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("amount", "1000"),
                ("interval", "once"),
                ("tier", "supporter"),
            ],
            "invalid_amount",
        ),
        (
            &[("email", "a@news.example"), ("interval", "month")],
            "invalid_amount",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("tier", "supporter"),
                ("interval", "weekly"),
            ],
            "invalid_interval",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("tier", "supporter"),
                ("interval", "once"),
            ],
            "invalid_interval",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("tier", "supporter"),
                ("interval", "month"),
                ("campaign", "nope"),
            ],
            "unknown_campaign",
        ),
        (
            &[
                ("email", "not-an-email"),
                ("tier", "supporter"),
                ("interval", "month"),
            ],
            "invalid_email",
        ),
        (
            &[
                ("email", "a@news.example"),
                ("custom_amount", "12.345"),
                ("interval", "once"),
            ],
            "invalid_amount",
        ),
    ];
    for (form, code) in cases {
        let res = app.post_form_json("/join", form).await;
        assert_eq!(res.status(), 400, "{form:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], code, "{form:?}: {body}");
        // The HTML form gets a readable page.
        let page = app.post_form("/join", form).await;
        assert_eq!(page.status(), 400);
        assert!(page.text().await.unwrap().contains("<h1>"), "{form:?}");
    }
    assert!(stripe.requests().is_empty(), "no Stripe call for bad input");
    let n: i64 = app.count(members::table).await + app.count(jobs::table).await;
    assert_eq!(n, 0, "bad input writes nothing");
}

async fn post_webhook(app: &TestApp, body: &str, signature: Option<&str>) -> u16 {
    let mut req = app
        .client
        .post(format!("{}/webhooks/stripe", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn webhook_signatures_are_checked_and_rejections_write_nothing(backend: Backend) {
    let other = "whsec_rotated_second_secret";
    let (app, _stripe) = spawn_app_with_secrets(
        backend,
        &format!("{},{other}", StripeServer::WEBHOOK_SECRET),
    )
    .await;
    let secret = StripeServer::WEBHOOK_SECRET;
    let now = chrono::Utc::now().timestamp();
    let body = r#"{"id":"evt_sigtest","object":"event","type":"ping.unhandled","data":{"object":{"id":"x"}}}"#;
    let v1 = |t: i64, s: &str, b: &str| StripeServer::sign(b.as_bytes(), t, s);
    let sig_of = |header: String| {
        header
            .split(',')
            .find_map(|p| p.strip_prefix("v1="))
            .unwrap()
            .to_owned()
    };
    let valid = sig_of(v1(now, secret, body));
    let wrong = sig_of(v1(now, "whsec_wrong", body));
    let tampered = body.replace("ping", "pong");
    let cases: Vec<(&str, Option<String>, &str, u16)> = vec![
        (
            "wrong secret",
            Some(v1(now, "whsec_wrong", body)),
            body,
            400,
        ),
        (
            "one body byte changed",
            Some(v1(now, secret, body)),
            &tampered,
            400,
        ),
        ("header missing", None, body, 400),
        ("no t", Some(format!("v1={valid}")), body, 400),
        ("no v1", Some(format!("t={now}")), body, 400),
        ("only v0", Some(format!("t={now},v0={valid}")), body, 400),
        (
            "valid v1 second",
            Some(format!("t={now},v1={wrong},v1={valid}")),
            body,
            200,
        ),
        (
            "valid v1 first",
            Some(format!("t={now},v1={valid},v1={wrong}")),
            body,
            200,
        ),
        (
            "second configured secret",
            Some(v1(now, other, body)),
            body,
            200,
        ),
    ];
    let stored = || async { app.count(stripe_events::table).await };
    let check = |case: &str, status: u16, before: i64, after: i64| {
        if status == 400 {
            assert_eq!(after, before, "{case}: a rejection wrote something");
        } else {
            assert_eq!(after, 1, "{case}: the event is stored once");
        }
    };
    for (case, header, payload, status) in cases {
        let before = stored().await;
        assert_eq!(
            post_webhook(&app, payload, header.as_deref()).await,
            status,
            "{case}"
        );
        check(case, status, before, stored().await);
    }
    // The tolerance's edges, signed just before sending; a case is sent again when the clock
    // ticked a second on the way, so the server judged exactly the age the case names.
    for (case, age, status) in [
        ("301 s old", 301, 400),
        ("301 s ahead", -301, 400),
        ("299 s old", 299, 200),
        ("299 s ahead", -299, 200),
    ] {
        let before = stored().await;
        let answer = loop {
            let now = chrono::Utc::now().timestamp();
            let answer = post_webhook(&app, body, Some(&v1(now - age, secret, body))).await;
            if chrono::Utc::now().timestamp() == now {
                break answer;
            }
        };
        assert_eq!(answer, status, "{case}");
        check(case, status, before, stored().await);
    }
}

async fn spawn_app_with_secrets(backend: Backend, secrets: &str) -> (TestApp, StripeServer) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_with(
        backend,
        &[
            ("STRIPE_SECRET_KEY", StripeServer::SECRET_KEY),
            ("STRIPE_WEBHOOK_SECRET", secrets),
            ("STRIPE_API_BASE", &stripe.url()),
        ],
    )
    .await;
    stripe.set_webhook_url(&format!("{}/webhooks/stripe", app.address));
    (app, stripe)
}

async fn every_event_delivered_three_times_has_one_effect(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = join_monthly(&app, &stripe, "reader@news.example").await;
    let paid = stripe.pay_checkout(&session);
    let sub = paid.subscription.unwrap();
    stripe.renew(&sub);
    let statuses = stripe
        .deliver(Delivery::Repeated {
            times: 3,
            concurrently: true,
        })
        .await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "duplicates are acknowledged too: {statuses:?}"
    );
    settle(&app).await;
    let events: i64 = app.count(stripe_events::table).await;
    assert_eq!(
        events as usize,
        statuses.len() / 3,
        "one stored row per event id"
    );
    let (n_members, n_payments): (i64, i64) = app
        .read(|c| {
            Ok((
                memberships::table.count().get_result(c)?,
                payments::table.count().get_result(c)?,
            ))
        })
        .await;
    assert_eq!(
        (n_members, n_payments),
        (1, 2),
        "one membership, two invoices paid"
    );
    app.wait_for_count("members", 1, WAIT).await;
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let mut subjects = subjects(&app.smtp.messages(), "reader@news.example");
    subjects.dedup();
    assert_eq!(
        app.smtp.messages().len(),
        3,
        "welcome once, one receipt per invoice: {subjects:?}"
    );
}

/// A scenario run against Stripe, then checked against Stripe's final state.
async fn lifecycle(
    app: &TestApp,
    stripe: &StripeServer,
    n: usize,
    scenario: &str,
) -> (String, Option<(String, bool)>, i64) {
    let email = format!("{scenario}{n}@news.example");
    let session = join_monthly(app, stripe, &email).await;
    let sub = match scenario {
        "paid" => stripe.pay_checkout(&session).subscription.unwrap(),
        "fails-then-succeeds" => {
            let sub = stripe
                .pay_checkout_first_payment_fails(&session)
                .subscription
                .unwrap();
            stripe.retry_payment_succeeds(&sub);
            sub
        }
        "cancel-at-period-end" => {
            let sub = stripe.pay_checkout(&session).subscription.unwrap();
            stripe.cancel_at_period_end(&sub);
            sub
        }
        "dunning-deleted" => {
            let sub = stripe.pay_checkout(&session).subscription.unwrap();
            stripe.renewal_fails(&sub);
            stripe.end_subscription(&sub);
            sub
        }
        "refund" => {
            let paid = stripe.pay_checkout(&session);
            stripe.refund(&paid.charge);
            paid.subscription.unwrap()
        }
        other => unreachable!("{other}"),
    };
    let stripe_status = stripe.object(&sub).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        sub,
        Some((stripe_status, scenario == "cancel-at-period-end")),
        if matches!(
            scenario,
            "paid" | "fails-then-succeeds" | "cancel-at-period-end"
        ) {
            1
        } else {
            0
        },
    )
}

async fn lifecycles_end_in_stripe_state_whatever_the_order(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let scenarios = [
        "paid",
        "fails-then-succeeds",
        "cancel-at-period-end",
        "dunning-deleted",
        "refund",
    ];
    let mut expected_count = 0;
    for seed in 0..4u64 {
        let mut expected = Vec::new();
        for (n, scenario) in scenarios.iter().enumerate() {
            let (sub, state, counts) =
                lifecycle(&app, &stripe, seed as usize * 10 + n, scenario).await;
            expected.push((scenario, sub, state));
            expected_count += counts;
        }
        let statuses = stripe.deliver(Delivery::Shuffled(seed)).await;
        assert!(
            statuses.iter().all(|s| *s == 200),
            "seed {seed}: {statuses:?}"
        );
        settle(&app).await;
        for (scenario, sub, state) in expected {
            assert_eq!(
                membership(&app, &sub).await,
                state,
                "seed {seed}, {scenario}"
            );
        }
        app.wait_for_count("members", expected_count, WAIT).await;
    }
}

async fn refunds_and_disputes_reported_before_their_payment_still_apply(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = join_monthly(&app, &stripe, "disputed@news.example").await;
    let disputed = stripe.pay_checkout(&session).charge;
    stripe.dispute(&disputed, true);
    let session = join_monthly(&app, &stripe, "refunded@news.example").await;
    let refunded = stripe.pay_checkout(&session).charge;
    stripe.refund(&refunded);
    // Newest first: each dispute and refund arrives before the invoice that records its payment.
    let statuses = stripe.deliver(Delivery::Reversed).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    settle(&app).await;
    let charges = [disputed.clone(), refunded.clone()];
    let rows: Vec<(Option<String>, Option<String>, i64, i64)> = app
        .read(move |c| {
            payments::table
                .filter(payments::stripe_charge_id.eq_any(charges))
                .select((
                    payments::stripe_charge_id,
                    payments::dispute_status,
                    payments::amount,
                    payments::amount_refunded,
                ))
                .load(c)
        })
        .await;
    let amount = rows.first().map_or(0, |r| r.2);
    let mut expected = vec![
        (Some(disputed), Some("lost".to_owned()), amount, 0),
        (Some(refunded), None, amount, amount),
    ];
    expected.sort();
    let mut rows = rows;
    rows.sort();
    assert_eq!(rows, expected);
}

async fn subscriptions_of_other_products_never_become_members(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let sub = stripe.foreign_subscription();
    stripe.deliver(Delivery::InOrder).await;
    settle(&app).await;
    assert_eq!(membership(&app, &sub).await, None);
    let n: i64 = app.count(members::table).await;
    assert_eq!(n, 0);
    let processed: i64 = app
        .count(stripe_events::table.filter(stripe_events::processed_at.is_not_null()))
        .await;
    assert!(
        processed > 0,
        "the events were processed and ignored, not left pending"
    );
}

async fn reconcile(app: &TestApp, stripe: &StripeServer, apply: bool) -> String {
    let mut cmd = memberdrive_command();
    cmd.arg("reconcile")
        .env("DATABASE_URL", &app.database.url)
        .env("STRIPE_SECRET_KEY", StripeServer::SECRET_KEY)
        .env("STRIPE_WEBHOOK_SECRET", StripeServer::WEBHOOK_SECRET)
        .env("STRIPE_API_BASE", stripe.url())
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL");
    if apply {
        cmd.arg("--apply");
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn reconcile_repairs_dropped_webhooks(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let mut subs = Vec::new();
    for n in 0..6 {
        let session = join_monthly(&app, &stripe, &format!("r{n}@news.example")).await;
        let sub = stripe.pay_checkout(&session).subscription.unwrap();
        if n % 3 == 0 {
            stripe.cancel_at_period_end(&sub);
        }
        subs.push(sub);
    }
    stripe
        .deliver(Delivery::DropSome {
            keep_one_in: 3,
            seed: 11,
        })
        .await;
    settle(&app).await;
    let before = reconcile(&app, &stripe, false).await;
    assert!(
        !before.contains("no drift"),
        "dropped webhooks must show as drift:\n{before}"
    );
    let repaired = reconcile(&app, &stripe, true).await;
    assert!(repaired.contains("repaired"), "{repaired}");
    assert_eq!(reconcile(&app, &stripe, false).await.trim(), "no drift");
    for sub in &subs {
        let stripe_state = stripe.object(sub).unwrap();
        let expected = (
            stripe_state["status"].as_str().unwrap().to_owned(),
            stripe_state["cancel_at_period_end"].as_bool().unwrap(),
        );
        assert_eq!(membership(&app, sub).await, Some(expected), "{sub}");
    }
    app.wait_for_count("members", 6, WAIT).await;
}

async fn without_stripe_the_join_page_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/join").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Paid membership is not configured yet"),
        "{html}"
    );
    assert!(html.contains("Help us reach 20,000 members"));
    let res = app
        .post_form_json(
            "/join",
            &[
                ("email", "a@news.example"),
                ("tier", "supporter"),
                ("interval", "month"),
            ],
        )
        .await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "payments_not_configured");
    // Everything else keeps working.
    assert_eq!(app.get("/widget/members.json").await.status(), 200);
    assert_eq!(
        app.post_form("/newsletters/subscribe", &[("email", "a@news.example")])
            .await
            .status(),
        200
    );
    let unsigned = post_webhook(&app, "{}", Some("t=1,v1=00")).await;
    assert_eq!(unsigned, 400, "no secret configured: nothing verifies");
}
