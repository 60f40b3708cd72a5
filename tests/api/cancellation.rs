//! A member cancels from the account page: asked why (optional), offered the outlet's Stripe
//! coupon instead; they stay with the discount, later cancel at the period's end, and the
//! reasons show beside churn in the overview.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{cancellations, memberships};
use memberdrive::staff::Role;

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, account_page, add_staff, csrf_in, csv_of, join, member_cookie, post_as,
    session_of, spawn_app_for, text_as,
};
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(a_member_takes_the_offer_and_later_cancels_with_their_reasons_counted);

const WAIT: Duration = Duration::from_secs(30);

/// The member's page at `path`, with their session `cookie`.
async fn page_as_member(app: &TestApp, cookie: &str, path: &str) -> String {
    app.client
        .get(format!("{}{path}", app.address))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// POSTs `fields` to `/account/cancel` as the member; the status and where it sends them.
async fn cancel(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .client
        .post(format!("{}/account/cancel", app.address))
        .header(reqwest::header::COOKIE, cookie)
        .form(fields)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

/// The link the account page gives to cancel, if any.
fn cancel_link(account: &str) -> Option<String> {
    let rest = account
        .split(r#"class="membership-cancel" href=""#)
        .nth(1)?;
    Some(rest.split('"').next()?.replace("&amp;", "&"))
}

/// Reason, note and whether the offer was taken, of every answer stored.
async fn answers(app: &TestApp) -> Vec<(Option<String>, String, bool)> {
    app.read(|c| {
        cancellations::table
            .order(cancellations::id)
            .select((
                cancellations::reason,
                cancellations::note,
                cancellations::offer_accepted,
            ))
            .load(c)
    })
    .await
}

/// Subscription updates sent to Stripe.
fn updates(stripe: &StripeServer) -> usize {
    stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/v1/subscriptions/"))
        .count()
}

async fn a_member_takes_the_offer_and_later_cancels_with_their_reasons_counted(backend: Backend) {
    let stripe = StripeServer::start().await;
    let coupon = stripe.create_coupon(50.0, 3);
    let app = spawn_app_for(
        backend,
        &stripe,
        &[("MEMBERDRIVE_CANCEL_OFFER_COUPON", &coupon)],
    )
    .await;
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
    let link = cancel_link(&account_page(&app, &cookie).await).expect("a link to cancel");
    let page = page_as_member(&app, &cookie, &link).await;
    assert!(page.contains("It costs too much"), "{page}");
    assert!(
        page.contains("50 % off each payment for 3 months"),
        "the offer, worded from the coupon: {page}"
    );
    let token = csrf_in(&page);
    let membership = link.split("membership=").nth(1).unwrap().split('&').next();
    let membership = membership.unwrap().to_owned();
    let with = |reason: &'static str, note: &'static str, choice: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("membership", membership.clone()),
            ("reason", reason.to_owned()),
            ("note", note.to_owned()),
            ("choice", choice.to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = &cookie;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            cancel(app, cookie, &fields).await
        }
    };

    // Bad input: a clear error, no call to Stripe, nothing stored.
    let long = "x".repeat(2_001);
    let mut too_long = with("price", "", "cancel");
    too_long[3].1 = long;
    let mut forged = with("price", "", "cancel");
    forged[0].1 = "nope".to_owned();
    let mut someone_elses = with("price", "", "cancel");
    someone_elses[1].1 = "9999".to_owned();
    for (fields, expected) in [
        (with("bored", "", "cancel"), 400),
        (with("price", "", "maybe"), 400),
        (too_long, 400),
        (forged, 403),
        (someone_elses, 404),
    ] {
        assert_eq!(send(fields.clone()).await.0, expected, "{fields:?}");
    }
    assert_eq!(updates(&stripe), 0);
    assert!(answers(&app).await.is_empty());

    // They take the offer: Stripe applies the coupon, the membership goes on and counts.
    let (status, location) = send(with("price", "Money is tight this winter", "offer")).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account?kept=1&lang=en")
    );
    let subscription = stripe.object(&sub).unwrap();
    let discount = subscription["discounts"][0].as_str().expect("a discount");
    assert_eq!(stripe.object(discount).unwrap()["source"]["coupon"], coupon);
    assert_eq!(subscription["cancel_at_period_end"], false);
    assert_eq!(
        answers(&app).await,
        [(
            Some("price".to_owned()),
            "Money is tight this winter".to_owned(),
            true
        )]
    );
    assert!(
        page_as_member(&app, &cookie, &location)
            .await
            .contains("Thank you for staying")
    );
    assert_eq!(app.widget_json("members").await["count"], 1);

    // An offer is made once: the page no longer shows it, and taking it again is refused.
    let page = page_as_member(&app, &cookie, &link).await;
    assert!(!page.contains("each payment for"), "{page}");
    assert_eq!(send(with("", "", "offer")).await.0, 409);

    // Later they cancel, giving no reason: at the period's end, counted until then.
    let (status, location) = send(with("", "", "cancel")).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/account?cancelling=1&lang=en")
    );
    assert_eq!(stripe.object(&sub).unwrap()["cancel_at_period_end"], true);
    let ending: bool = app
        .read(|c| {
            memberships::table
                .select(memberships::cancel_at_period_end)
                .first(c)
        })
        .await;
    assert!(ending, "Stripe's answer is applied at once");
    let account = page_as_member(&app, &cookie, &location).await;
    assert!(account.contains("Cancelled — member until"), "{account}");
    assert_eq!(cancel_link(&account), None, "nothing left to cancel");
    assert_eq!(send(with("", "", "cancel")).await.0, 404, "ending already");
    // Stripe's webhooks for both changes come later and change nothing more.
    stripe.deliver(Delivery::Reversed).await;
    assert_eq!(answers(&app).await.len(), 2);
    assert_eq!(app.widget_json("members").await["count"], 1);

    // The overview shows the reasons beside churn, and as CSV.
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let staff = session_of(&app, "editor@news.example").await;
    let overview = text_as(&app, "/admin?campaign=members", &staff).await;
    assert!(overview.contains("Why members cancel"), "{overview}");
    let rows = csv_of(
        &app,
        &staff,
        "/admin/campaigns/members/charts/reasons.csv?days=30",
    )
    .await;
    assert_eq!(
        rows,
        [
            ["Reason", "Cancelled", "Took the offer and stayed"],
            ["It costs too much", "0", "1"],
            ["No reason given", "1", "0"],
        ]
    );
    // Posting as staff is no member's session.
    let res = post_as(&app, "/account/cancel", &staff, &[("choice", "cancel")]).await;
    assert_eq!(res.status(), 401);
}
