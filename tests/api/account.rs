//! Member self-service: email-link sign-in, the status page, the billing portal.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, sessions, tokens};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, join, spawn_app_with_stripe, token_of};
use crate::support::browser::Browser;
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(
    sign_in_answers_alike_and_only_a_member_gets_a_link,
    sign_in_links_work_once,
    a_member_gets_at_most_five_links_an_hour,
    a_member_signs_in_sees_their_membership_and_opens_billing
);

const WAIT: Duration = Duration::from_secs(10);

async fn member_app(backend: Backend) -> (TestApp, StripeServer) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let form = [
        ("email", "member@news.example"),
        ("tier", "sustainer"),
        ("interval", "month"),
    ];
    let session = join(&app, &stripe, &form).await;
    stripe.pay_checkout(&session);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_count("members", 1, WAIT).await;
    // Welcome and receipt.
    app.smtp.wait_for_messages(2, WAIT).await;
    (app, stripe)
}

fn sign_in_link(app: &TestApp, n: usize) -> String {
    let mail = &app.smtp.messages()[n];
    assert_eq!(mail.decoded_header("Subject").unwrap(), "Your sign-in link");
    let text = mail.text_part();
    let start = text
        .find(&format!("{}/account/sign-in?token=", app.base_url))
        .expect("a sign-in link to the base URL");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Status, headers but `Date`, and body of an answer.
async fn answer(res: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(name, _)| *name != reqwest::header::DATE)
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (res.status().as_u16(), headers, res.text().await.unwrap())
}

async fn sign_in_answers_alike_and_only_a_member_gets_a_link(backend: Backend) {
    let (app, _stripe) = member_app(backend).await;
    let tokens_before: i64 = app.count(tokens::table).await;
    let member = app
        .post_form("/account/sign-in", &[("email", "member@news.example")])
        .await;
    let stranger = app
        .post_form("/account/sign-in", &[("email", "stranger@news.example")])
        .await;
    let (member, stranger) = (answer(member).await, answer(stranger).await);
    assert_eq!(member.0, 200);
    assert_eq!(member, stranger, "no address enumeration");

    // Each request queued one job, the same for both; the job decided.
    app.wait_for_jobs("sign_in", WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let outcomes: Vec<(String, String)> = app
        .read(|c| {
            jobs::table
                .filter(jobs::kind.eq("sign_in"))
                .order(jobs::id)
                .select((jobs::status, jobs::payload))
                .load(c)
        })
        .await;
    assert_eq!(
        outcomes,
        [
            ("done".to_owned(), r#"{"sent":true}"#.to_owned()),
            ("done".to_owned(), r#"{"sent":false}"#.to_owned()),
        ],
        "the addresses are not kept once the jobs are done"
    );
    let mails = app.smtp.messages();
    assert_eq!(mails.len(), 3, "only the member gets a link");
    assert_eq!(mails[2].to, ["member@news.example"]);
    sign_in_link(&app, 2);
    let tokens_after: i64 = app.count(tokens::table).await;
    assert_eq!(tokens_after, tokens_before + 1, "one token, the member's");

    // An hour on, the next job deletes the done ones: requests leave no rows behind.
    app.write(|c| {
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(61);
        diesel::update(jobs::table.filter(jobs::kind.eq("sign_in")))
            .set(jobs::finished_at.eq(past))
            .execute(c)
    })
    .await;
    app.post_form("/account/sign-in", &[("email", "stranger@news.example")])
        .await;
    app.wait_for_jobs("sign_in", WAIT).await;
    let left: i64 = app
        .count(jobs::table.filter(jobs::kind.eq("sign_in")))
        .await;
    assert_eq!(left, 1, "only the latest request's job");
}

async fn sign_in_links_work_once(backend: Backend) {
    let (app, _stripe) = member_app(backend).await;
    app.post_form("/account/sign-in", &[("email", "member@news.example")])
        .await;
    app.smtp.wait_for_messages(3, WAIT).await;
    let link = sign_in_link(&app, 2);
    let path = link.strip_prefix(&app.base_url).unwrap();

    // A GET (a mail scanner) shows a button and uses nothing.
    assert_eq!(app.get(path).await.status(), 200);
    let used: i64 = app
        .count(tokens::table.filter(tokens::used_at.is_not_null()))
        .await;
    assert_eq!(used, 0);
    let token = token_of(&link);
    let first = app
        .post_form("/account/sign-in/confirm", &[("token", &token)])
        .await;
    assert_eq!(first.status(), 303);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/account"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let again = app
        .post_form("/account/sign-in/confirm", &[("token", &token)])
        .await;
    assert_eq!(again.status(), 410, "a link works once");
    // Expired: 15 minutes.
    app.post_form("/account/sign-in", &[("email", "member@news.example")])
        .await;
    app.smtp.wait_for_messages(4, WAIT).await;
    let late = sign_in_link(&app, 3);
    app.write(|c| {
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(16);
        diesel::update(
            tokens::table
                .filter(tokens::purpose.eq("sign_in"))
                .filter(tokens::used_at.is_null()),
        )
        .set(tokens::expires_at.eq(past))
        .execute(c)
    })
    .await;
    let token = token_of(&late);
    assert_eq!(
        app.post_form("/account/sign-in/confirm", &[("token", &token)])
            .await
            .status(),
        410
    );
    let n: i64 = app.count(sessions::table).await;
    assert_eq!(n, 1, "only the first use opened a session");
}

async fn a_member_signs_in_sees_their_membership_and_opens_billing(backend: Backend) {
    let (app, stripe) = member_app(backend).await;
    let browser = Browser::start(390, 844).await;
    browser
        .client
        .goto(&format!("{}/account", app.address))
        .await
        .unwrap();
    browser.type_into("#email", "member@news.example").await;
    browser.click("form button").await;
    app.smtp.wait_for_messages(3, WAIT).await;
    let link = sign_in_link(&app, 2);
    browser.client.goto(&link).await.unwrap();
    browser.click("form button").await;
    let page = browser
        .wait_for(
            "return document.querySelector('.memberships') ? document.body.innerText : null;",
            WAIT,
        )
        .await;
    let text = page.as_str().unwrap();
    assert!(
        text.contains("Help us reach 20,000 members") && text.contains("Active"),
        "{text}"
    );
    assert!(text.contains("Next payment: €10 on"), "{text}");
    browser
        .screenshot(&format!("account-{backend:?}").to_lowercase())
        .await;

    // CSRF: the same form without its token is refused.
    let forged = app
        .post_form("/account/billing", &[("csrf_token", "nope")])
        .await;
    assert!(matches!(forged.status().as_u16(), 401 | 403));

    browser
        .click("form[action='/account/billing'] button")
        .await;
    let url = browser
        .wait_for(
            "return location.href.includes('/portal/') ? location.href : null;",
            WAIT,
        )
        .await;
    assert!(
        url.as_str()
            .unwrap()
            .starts_with(&format!("{}portal/", stripe.url())),
        "{url}"
    );
    let portal = stripe
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/billing_portal/sessions")
        .expect("a portal session");
    assert_eq!(
        portal.param("return_url"),
        Some(format!("{}/account?lang=en", app.base_url).as_str())
    );
    assert_eq!(
        portal.param("locale"),
        Some("en"),
        "the portal in the page's language"
    );
    browser.close().await;
}

async fn a_member_gets_at_most_five_links_an_hour(backend: Backend) {
    let (app, _stripe) = member_app(backend).await;
    let asks =
        (0..12).map(|_| app.post_form("/account/sign-in", &[("email", "member@news.example")]));
    let answers = futures_util::future::join_all(asks).await;
    assert!(answers.iter().all(|a| a.status() == 200));
    app.wait_for_jobs("sign_in", WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let links = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.decoded_header("Subject").unwrap() == "Your sign-in link")
        .count();
    assert_eq!(links, 5);
    let stored: i64 = app
        .count(tokens::table.filter(tokens::purpose.eq("sign_in")))
        .await;
    assert_eq!(stored, 5, "a token for each link sent, none for the rest");
}
