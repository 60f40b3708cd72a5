//! `POST /join` tells no one who pays: a member's address and a stranger's get the same answer,
//! and nothing is stored for an address (here or at Stripe) until its Checkout completes. A
//! member who joins twice is counted once and can cancel either membership from `/account`.

use std::time::Duration;

use diesel::dsl::count_star;
use diesel::prelude::*;
use memberdrive::db::schema::{jobs, members, memberships, stripe_events, subscribers, tokens};
use reqwest::header;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_in, join, spawn_app_with_stripe, token_of};
use crate::support::stripe_server::{Delivery, RecordedRequest, StripeServer};

both_backends!(
    join_answers_a_member_and_a_stranger_alike_and_stores_nothing_before_checkout,
    a_member_who_joins_twice_is_counted_once_and_can_manage_both,
    a_donor_who_gives_no_address_becomes_a_member_with_the_one_typed_at_checkout,
);

const WAIT: Duration = Duration::from_secs(10);
const MEMBER: &str = "member@news.example";
const STRANGER: &str = "stranger@news.example";

fn form(email: &str) -> [(&str, &str); 4] {
    [
        ("email", email),
        ("tier", "supporter"),
        ("interval", "month"),
        ("ref", "https://news.example/2026/budget"),
    ]
}

/// Joins with `email` and pays; waits until the member exists and every event is processed.
async fn join_and_pay(app: &TestApp, stripe: &StripeServer, email: &str) -> String {
    let session = join(app, stripe, &form(email)).await;
    let paid = stripe.pay_checkout(&session);
    let statuses = stripe.deliver(Delivery::InOrder).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_jobs("stripe_event", WAIT * 3).await;
    paid.subscription.expect("a subscription")
}

/// Status, headers but `Date` and `Location`, body: what must not differ between addresses.
async fn answer(res: reqwest::Response) -> (u16, Vec<(String, String)>, String, String) {
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(name, _)| *name != header::DATE && *name != header::LOCATION)
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    (
        res.status().as_u16(),
        headers,
        location,
        res.text().await.unwrap(),
    )
}

/// Every row that names `email`, in the tables a join or its side effects could write.
async fn rows_naming(app: &TestApp, email: &'static str) -> i64 {
    app.read(move |c| {
        let pattern = format!("%{email}%");
        Ok(members::table
            .filter(members::email.eq(email))
            .select(count_star())
            .first::<i64>(c)?
            + subscribers::table
                .filter(subscribers::email.eq(email))
                .select(count_star())
                .first::<i64>(c)?
            + jobs::table
                .filter(
                    jobs::recipient
                        .eq(email)
                        .or(jobs::payload.like(&pattern))
                        .or(jobs::dedupe_key.like(&pattern)),
                )
                .select(count_star())
                .first::<i64>(c)?
            + stripe_events::table
                .filter(stripe_events::payload.like(&pattern))
                .select(count_star())
                .first::<i64>(c)?)
    })
    .await
}

/// Members, memberships, jobs, tokens, and customers at Stripe.
async fn stored(app: &TestApp, stripe: &StripeServer) -> (i64, i64, i64, i64, usize) {
    (
        app.count(members::table).await,
        app.count(memberships::table).await,
        app.count(jobs::table).await,
        app.count(tokens::table).await,
        stripe.objects_created("customer"),
    )
}

/// A success URL with its token blanked.
fn without_token(url: &str) -> String {
    let start = url.find("token=").expect("a token") + "token=".len();
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    format!("{}{}", &url[..start], &url[end..])
}

fn checkout_creations(stripe: &StripeServer) -> Vec<RecordedRequest> {
    stripe
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .collect()
}

async fn join_answers_a_member_and_a_stranger_alike_and_stores_nothing_before_checkout(
    backend: Backend,
) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    join_and_pay(&app, &stripe, MEMBER).await;
    app.smtp.wait_for_messages(2, WAIT).await;
    let before = stored(&app, &stripe).await;
    let sent_before = checkout_creations(&stripe).len();

    let member = answer(app.post_form("/join", &form(MEMBER)).await).await;
    let stranger = answer(app.post_form("/join", &form(STRANGER)).await).await;
    assert_eq!(member.0, 303);
    assert_eq!(
        (member.0, &member.1, &member.3),
        (stranger.0, &stranger.1, &stranger.3),
        "status, headers and body"
    );
    let checkout = format!("{}checkout/cs_test_", stripe.url());
    assert!(member.2.starts_with(&checkout), "{}", member.2);
    assert!(stranger.2.starts_with(&checkout), "{}", stranger.2);
    assert_ne!(member.2, stranger.2, "each join has its own session");

    // Stripe was asked the same for both, but for the address Checkout starts from, the key
    // of the client that asked (each form here comes from a reader of its own) and the
    // one-time token of the way back.
    let sent = checkout_creations(&stripe);
    let [to_member, to_stranger] = &sent[sent_before..] else {
        panic!("two Checkout Sessions: {sent:?}");
    };
    // Sorted: metadata comes from a map, in no particular order.
    let without_address = |r: &RecordedRequest| {
        let mut fields: Vec<_> = r
            .form
            .iter()
            .filter(|(k, _)| k != "customer_email" && !k.ends_with("[memberdrive_client]"))
            .map(|(k, v)| match k.as_str() {
                "success_url" => (k.clone(), without_token(v)),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        fields.sort();
        fields
    };
    assert_eq!(without_address(to_member), without_address(to_stranger));
    assert_eq!(to_member.param("customer_email"), Some(MEMBER));
    assert_eq!(
        to_member.param("locale"),
        Some("en"),
        "Checkout in the reader's language"
    );
    assert_eq!(to_stranger.param("customer_email"), Some(STRANGER));
    assert_eq!(to_stranger.param("customer"), None);

    // Nothing was written for either, here or at Stripe, but each one's way back (a token
    // that names its Checkout Session, not the address).
    let after = stored(&app, &stripe).await;
    assert_eq!(
        after,
        (before.0, before.1, before.2, before.3 + 2, before.4),
        "members, memberships, jobs, tokens, customers"
    );
    assert_eq!(
        rows_naming(&app, STRANGER).await,
        0,
        "rows naming the stranger"
    );

    // The member and membership appear when the stranger's Checkout completes.
    let session = stranger.2.rsplit('/').next().unwrap();
    let paid = stripe.pay_checkout(session);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT * 3).await;
    let joined: Vec<(Option<String>, String)> = app
        .read(|c| {
            members::table
                .inner_join(memberships::table)
                .filter(members::email.eq(STRANGER))
                .select((members::stripe_customer_id, memberships::status))
                .load(c)
        })
        .await;
    assert_eq!(joined, [(paid.customer, "active".to_owned())]);
}

/// Signs the member in through an emailed link (the `n`th message); returns the cookie.
async fn member_session(app: &TestApp, email: &str, n: usize) -> String {
    app.post_form("/account/sign-in", &[("email", email)]).await;
    let mails = app.smtp.wait_for_messages(n + 1, WAIT).await;
    let text = mails[n].text_part();
    let start = text
        .find(&format!("{}/account/sign-in?token=", app.base_url))
        .expect("a sign-in link");
    let link = text[start..].split_whitespace().next().unwrap();
    let res = app
        .post_form("/account/sign-in/confirm", &[("token", &token_of(link))])
        .await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn a_member_who_joins_twice_is_counted_once_and_can_manage_both(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let first = join_and_pay(&app, &stripe, MEMBER).await;
    let second = join_and_pay(&app, &stripe, MEMBER).await;
    let (n_members, n_memberships) = (
        app.count(members::table).await,
        app.count(memberships::table).await,
    );
    assert_eq!((n_members, n_memberships), (1, 2));
    assert_eq!(app.widget_json("members").await["count"], 1, "counted once");
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    // Welcome, receipt, second receipt.
    assert_eq!(app.smtp.messages().len(), 3);

    let cookie = member_session(&app, MEMBER, 3).await;
    let page = app
        .client
        .get(format!("{}/account", app.address))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let ids: Vec<i32> = app
        .read(|c| {
            memberships::table
                .order(memberships::id)
                .select(memberships::id)
                .load(c)
        })
        .await;
    for (id, sub) in ids.iter().zip([&first, &second]) {
        let id = id.to_string();
        assert!(
            page.contains(&format!(r#"name="membership" value="{id}""#)),
            "a button for membership {id}: {page}"
        );
        let res = app
            .client
            .post(format!("{}/account/billing", app.address))
            .header(header::COOKIE, &cookie)
            .form(&[("csrf_token", csrf.as_str()), ("membership", &id)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{:?}", res.text().await);
        let portal = stripe
            .requests()
            .into_iter()
            .rfind(|r| r.path == "/v1/billing_portal/sessions")
            .expect("a portal session");
        let customer = stripe.object(sub).unwrap()["customer"].clone();
        assert_eq!(
            portal.param("customer"),
            customer.as_str(),
            "the portal of the customer who pays {sub}"
        );
    }
    // Another member's membership (or none) opens nothing.
    let res = app
        .client
        .post(format!("{}/account/billing", app.address))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf_token", csrf.as_str()), ("membership", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn a_donor_who_gives_no_address_becomes_a_member_with_the_one_typed_at_checkout(
    backend: Backend,
) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = join(
        &app,
        &stripe,
        &[("amount", "2500"), ("interval", "once"), ("lang", "uk")],
    )
    .await;
    let sent = stripe.checkout_session(&session);
    assert!(sent["customer_email"].is_null(), "{sent}");
    // Stripe has no Ukrainian Checkout: the reader's browser language where Stripe has it,
    // and back to the Ukrainian pages either way.
    assert_eq!(sent["locale"], "auto");
    assert!(
        sent["cancel_url"]
            .as_str()
            .unwrap()
            .ends_with("/join/members?lang=uk"),
        "{sent}"
    );
    assert!(
        sent["success_url"].as_str().unwrap().contains("lang=uk"),
        "{sent}"
    );
    assert_eq!(sent["customer_creation"], "always");
    assert_eq!(stripe.objects_created("customer"), 0);

    let paid = stripe.pay_checkout_as(&session, "Donor@News.Example");
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT * 3).await;
    let member: Vec<(String, String, Option<String>)> = app
        .read(|c| {
            members::table
                .select((members::email, members::locale, members::stripe_customer_id))
                .load(c)
        })
        .await;
    assert_eq!(
        member,
        [(
            "donor@news.example".to_owned(),
            "uk".to_owned(),
            paid.customer
        )]
    );
    let mails = app.smtp.wait_for_messages(2, WAIT).await;
    assert!(
        mails.iter().all(|m| m.to == ["donor@news.example"]),
        "{mails:?}"
    );
}
