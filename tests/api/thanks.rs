//! Back from Checkout: the success URL's one-time token signs the new member in before
//! Stripe's webhook arrives, and their account shows the tier, the amount and the next
//! payment; the welcome email names the tier. The link works once, and never signs anyone in
//! to an account that existed before the Checkout (anyone can type any address there).

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::tokens;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, join, spawn_app_with_stripe};
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(
    the_thank_you_page_signs_the_new_member_in_once,
    paying_with_someone_elses_address_signs_nobody_in
);

const WAIT: Duration = Duration::from_secs(10);
const READER: &str = "reader@readers.example";

fn form(email: &str) -> [(&str, &str); 4] {
    [
        ("email", email),
        ("tier", "sustainer"),
        ("interval", "month"),
        ("lang", "uk"),
    ]
}

/// The success URL Checkout sends the reader back to, on the app's own address.
fn success_url(app: &TestApp, stripe: &StripeServer, session: &str) -> String {
    let url = stripe.checkout_session(session)["success_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!("{}/account/welcome?token=", app.base_url)),
        "{url}"
    );
    url
}

/// Opens `url`; returns where it sends the reader and the member session cookie it set.
async fn open(app: &TestApp, url: &str) -> (String, Option<String>) {
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 303, "{url}");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let name = format!("{}=", memberdrive::auth::session::MEMBER.cookie);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&name))
        .map(|v| v.split(';').next().unwrap().to_owned());
    (location, cookie)
}

async fn account(app: &TestApp, location: &str, cookie: Option<&str>) -> String {
    let mut req = app.client.get(format!("{}{location}", app.address));
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn the_thank_you_page_signs_the_new_member_in_once(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = join(&app, &stripe, &form(READER)).await;
    stripe.pay_checkout(&session);
    let url = success_url(&app, &stripe, &session);

    // Straight back from Checkout, before Stripe's webhook: the page applies the Checkout
    // itself and signs the new member in.
    let (location, cookie) = open(&app, &url).await;
    assert_eq!(location, "/account?joined=members&lang=uk");
    let cookie = cookie.expect("the new member is signed in");
    let page = account(&app, &location, Some(&cookie)).await;
    assert!(page.contains(r#"<html lang="uk">"#), "{page}");
    assert!(page.contains(READER), "{page}");
    assert!(
        page.contains("Дякуємо, що долучилися! Ось ваше членство."),
        "{page}"
    );
    assert!(
        page.contains("<strong>Допоможіть нам об&#39;єднати 20 000 учасників</strong>"),
        "the campaign, in Ukrainian: {page}"
    );
    assert!(
        page.contains(r#"<span class="tier">Опора</span>"#),
        "{page}"
    );
    assert!(
        page.contains("Наступний платіж"),
        "the next payment, in Ukrainian: {page}"
    );
    assert!(
        page.contains("/account/billing"),
        "and the button to manage it"
    );

    // The link works once: opened again (a reload, a copied link) it signs nobody in.
    let (again, cookie) = open(&app, &url).await;
    assert_eq!(again, location);
    assert_eq!(cookie, None);
    assert!(
        account(&app, &again, None)
            .await
            .contains(r#"name="email""#),
        "the sign-in form"
    );

    // Stripe's events, when they come, count the member once and welcome them once, by tier.
    let statuses = stripe.deliver(Delivery::InOrder).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_jobs("stripe_event", WAIT * 3).await;
    assert_eq!(app.count(memberdrive::db::schema::members::table).await, 1);
    let mails = app.smtp.wait_for_messages(2, WAIT).await;
    let welcome: Vec<_> = mails
        .iter()
        .filter(|m| m.text_part().contains("на рівні «Опора»"))
        .collect();
    assert_eq!(welcome.len(), 1, "one welcome, naming the tier");

    // A forged or mangled token signs nobody in.
    let forged = url.replace("token=", "token=x");
    assert_eq!(open(&app, &forged).await.1, None);
}

async fn paying_with_someone_elses_address_signs_nobody_in(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    // The address is a member's already.
    let first = join(&app, &stripe, &form(READER)).await;
    stripe.pay_checkout(&first);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_count("members", 1, WAIT).await;

    // Someone else types it into a Checkout of their own and pays.
    let second = join(&app, &stripe, &form(READER)).await;
    stripe.pay_checkout(&second);
    let (location, cookie) = open(&app, &success_url(&app, &stripe, &second)).await;
    assert_eq!(cookie, None, "paying is no proof of owning the address");
    let page = account(&app, &location, None).await;
    assert!(
        page.contains(r#"name="email""#),
        "the thanks and the sign-in form: {page}"
    );
    // The token is spent all the same.
    let unused: i64 = app
        .read(|c| {
            tokens::table
                .filter(tokens::purpose.eq("welcome"))
                .filter(tokens::used_at.is_null())
                .count()
                .get_result(c)
        })
        .await;
    assert_eq!(
        unused, 1,
        "only the first Checkout's link, never opened, is left"
    );
}
