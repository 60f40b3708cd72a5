//! A member pauses their payments from the account page: Stripe's `pause_collection`, the
//! campaign's count without them while paused, and with them again when payments resume.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::campaigns::progress;
use memberdrive::db::{self, schema::memberships};

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, account_page, csrf_in, join, member_cookie, spawn_app_with_stripe,
};
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(a_paused_member_is_not_counted_until_payments_resume);

const WAIT: Duration = Duration::from_secs(30);

/// POSTs `fields` to `/account/pause` as the member whose session `cookie` is.
async fn pause(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> u16 {
    app.client
        .post(format!("{}/account/pause", app.address))
        .header(reqwest::header::COOKIE, cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The Stripe calls that updated a subscription.
fn updates(stripe: &StripeServer) -> Vec<crate::support::stripe_server::RecordedRequest> {
    stripe
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/v1/subscriptions/"))
        .collect()
}

async fn paused_until(app: &TestApp) -> Option<NaiveDateTime> {
    app.read(|c| {
        memberships::table
            .select(memberships::paused_until)
            .first(c)
    })
    .await
}

async fn a_paused_member_is_not_counted_until_payments_resume(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let form = [
        ("email", "reader@news.example"),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let session = join(&app, &stripe, &form).await;
    let sub = stripe.pay_checkout(&session).subscription.unwrap();
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_count("members", 1, WAIT).await;

    let cookie = member_cookie(&app, "reader@news.example").await;
    let page = account_page(&app, &cookie).await;
    assert!(page.contains(r#"action="/account/pause""#), "{page}");
    assert!(page.contains("3 months"), "up to three months by default");
    let token = csrf_in(&page);
    let membership = page
        .split(r#"name="membership" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Bad input: a clear error, no call to Stripe.
    for (months, id, expected) in [
        ("4", membership.as_str(), 400),
        ("0", membership.as_str(), 400),
        ("2", "9999", 404),
    ] {
        let fields = [
            ("csrf_token", token.as_str()),
            ("membership", id),
            ("months", months),
        ];
        let status = pause(&app, &cookie, &fields).await;
        assert_eq!(status, expected, "{months} months of {id}");
    }
    let forged = [
        ("csrf_token", "nope"),
        ("membership", membership.as_str()),
        ("months", "2"),
    ];
    assert_eq!(pause(&app, &cookie, &forged).await, 403);
    assert!(updates(&stripe).is_empty());

    // Two months: Stripe pauses collection, and the count leaves the member out at once.
    let fields = [
        ("csrf_token", token.as_str()),
        ("membership", membership.as_str()),
        ("months", "2"),
    ];
    let status = pause(&app, &cookie, &fields).await;
    assert_eq!(status, 303);
    let update = &updates(&stripe)[0];
    assert_eq!(update.path, format!("/v1/subscriptions/{sub}"));
    assert_eq!(update.param("pause_collection[behavior]"), Some("void"));
    let resumes: i64 = update
        .param("pause_collection[resumes_at]")
        .unwrap()
        .parse()
        .unwrap();
    let expected = (db::now() + chrono::Months::new(2)).and_utc().timestamp();
    assert!((resumes - expected).abs() < 120, "{resumes} vs {expected}");
    app.wait_for_count("members", 0, WAIT).await;
    let page = account_page(&app, &cookie).await;
    assert!(page.contains("Payments paused until"), "{page}");
    assert!(
        !page.contains(r#"action="/account/pause""#),
        "paused already"
    );
    let status = pause(&app, &cookie, &fields).await;
    assert_eq!(status, 409, "a second pause");

    // Stripe's own events about it (twice) change nothing more.
    stripe
        .deliver(Delivery::Repeated {
            times: 2,
            concurrently: true,
        })
        .await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    assert!(paused_until(&app).await.is_some());
    app.wait_for_count("members", 0, WAIT).await;

    // Stripe resumes on the date: counted again.
    stripe.resume_collection(&sub);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    assert_eq!(paused_until(&app).await, None);
    app.wait_for_count("members", 1, WAIT).await;

    // The date passing is enough, whether or not Stripe's event has come yet.
    app.write(|c| {
        let now = db::now();
        diesel::update(memberships::table)
            .set(memberships::paused_until.eq(now + chrono::Duration::days(30)))
            .execute(c)?;
        progress::refresh_all(c, now)
    })
    .await;
    app.wait_for_count("members", 0, WAIT).await;
    app.write(|c| {
        let now = db::now();
        diesel::update(memberships::table)
            .set(memberships::paused_until.eq(now - chrono::Duration::seconds(1)))
            .execute(c)?;
        progress::refresh_all(c, now)
    })
    .await;
    app.wait_for_count("members", 1, WAIT).await;
}
