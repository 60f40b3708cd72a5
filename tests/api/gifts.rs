//! Gift memberships, bought through the test Stripe server and redeemed from the email.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::campaigns::{progress, stats};
use memberdrive::db::schema::{campaigns, gifts, jobs, members, memberships};
use memberdrive::db::{self};

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, deliver_twice, join, session_of, spawn_app_with_stripe,
    submit, text_as, token_of,
};
use crate::support::smtp::ReceivedMail;
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(
    a_gift_is_bought_delivered_redeemed_and_counted_until_it_ends,
    bad_gift_input_gets_a_clear_error_and_no_stripe_call,
    paying_members_cannot_redeem_and_refunds_leave_the_amount_goal,
    a_refund_in_full_ends_a_redeemed_gift_and_its_reminder,
    a_gift_not_redeemed_within_a_year_expires,
);

const WAIT: Duration = Duration::from_secs(30);
const BUYER: &str = "giver@news.example";
const RECIPIENT: &str = "olena@readers.example";

/// Posts the gift form; returns the Checkout Session it was sent to.
async fn buy(app: &TestApp, stripe: &StripeServer, form: &[(&str, &str)]) -> String {
    let res = app.post_form("/gift", form).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    location
        .strip_prefix(&format!("{}checkout/", stripe.url()))
        .unwrap_or_else(|| panic!("{location} is not a checkout URL"))
        .to_owned()
}

fn gift_form<'a>(recipient: &'a str, months: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("tier", "supporter"),
        ("months", months),
        ("recipient_email", recipient),
        ("message", "З днем народження! Read us every morning."),
        ("deliver_on", ""),
        ("email", BUYER),
        ("lang", "en"),
    ]
}

/// Pays `session` and waits until its events (each delivered twice) are processed.
async fn pay(app: &TestApp, stripe: &StripeServer, session: &str) -> String {
    let paid = stripe.pay_checkout(session);
    deliver_twice(app, stripe).await;
    paid.charge
}

fn to(mail: &[ReceivedMail], address: &str) -> Vec<ReceivedMail> {
    mail.iter().filter(|m| m.to == [address]).cloned().collect()
}

async fn a_gift_is_bought_delivered_redeemed_and_counted_until_it_ends(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let page = app.get("/gift").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Supporter") && html.contains("3 months: €15 ·"),
        "{html}"
    );
    let uk = app.get("/gift?lang=uk").await.text().await.unwrap();
    assert!(
        uk.contains("Подаруйте членство") && uk.contains("3 місяці"),
        "{uk}"
    );

    let session = buy(&app, &stripe, &gift_form(RECIPIENT, "3")).await;
    let sent = stripe.checkout_session(&session);
    assert_eq!(sent["mode"], "payment");
    assert_eq!(sent["amount_total"], 1500, "three months of 5.00: {sent}");
    assert_eq!(sent["metadata"]["memberdrive_gift_recipient"], RECIPIENT);
    assert_eq!(
        app.count(gifts::table).await,
        0,
        "nothing is stored before it is paid"
    );

    pay(&app, &stripe, &session).await;
    assert_eq!(
        app.count(gifts::table).await,
        1,
        "delivered twice, recorded once"
    );
    assert_eq!(
        app.count(members::table.filter(members::email.eq(BUYER)))
            .await,
        0,
        "a buyer is no member"
    );
    let mail = app
        .smtp
        .wait_until("the receipt and the gift", WAIT, |m| m.len() >= 2)
        .await;
    let receipt = &to(&mail, BUYER)[0];
    assert!(
        receipt.text_part().contains(RECIPIENT),
        "{}",
        receipt.text_part()
    );
    let delivery = &to(&mail, RECIPIENT)[0];
    assert_eq!(
        delivery.decoded_header("Subject").as_deref(),
        Some("giver@news.example gave you a membership")
    );
    let text = delivery.text_part();
    assert!(
        text.contains("3 months of Supporter membership") && text.contains("З днем народження!"),
        "{text}"
    );
    let token = token_of(&redeem_link(&app, RECIPIENT).await);

    // The link's page changes nothing; its button redeems.
    let page = app.get(&format!("/gift/redeem?token={token}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("З днем народження!"));
    assert_eq!(app.count(memberships::table).await, 0);
    let before = app.widget_json("members").await["count"].as_i64().unwrap();
    let res = app
        .post_form("/gift/redeem", &[("token", &token), ("lang", "en")])
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("runs until"));
    app.wait_for_count("members", before + 1, WAIT).await;
    let (status, at_end, ends): (String, bool, Option<NaiveDateTime>) = app
        .read(|c| {
            memberships::table
                .select((
                    memberships::status,
                    memberships::cancel_at_period_end,
                    memberships::current_period_end,
                ))
                .first(c)
        })
        .await;
    assert_eq!((status.as_str(), at_end), ("active", true));
    let ends = ends.unwrap();
    let days = (ends - db::now()).num_days();
    assert!((88..=92).contains(&days), "three months: {days} days");
    // The buyer hears of it; the member is reminded a week before the end.
    app.smtp
        .wait_until("the buyer's note", WAIT, |m| {
            m.iter().any(|m| {
                m.to == [BUYER]
                    && m.decoded_header("Subject")
                        .unwrap()
                        .contains("started your gift")
            })
        })
        .await;
    let reminder: NaiveDateTime = app
        .read(|c| {
            jobs::table
                .filter(jobs::dedupe_key.like("gift-ending:%"))
                .select(jobs::run_at)
                .first(c)
        })
        .await;
    assert_eq!(reminder, ends - chrono::Duration::days(7));

    // Once only.
    let again = app.post_form("/gift/redeem", &[("token", &token)]).await;
    assert_eq!(again.status(), 410);
    let forged = app.post_form("/gift/redeem", &[("token", "nope")]).await;
    assert_eq!(forged.status(), 404);

    // It counts until it ends, and no longer; then it is ended, as Stripe ends its own.
    app.write(move |c| progress::refresh_all(c, ends + chrono::Duration::seconds(1)))
        .await;
    app.wait_for_count("members", before, WAIT).await;
    let (status, ended): (String, Option<NaiveDateTime>) = app
        .read(|c| {
            memberships::table
                .select((memberships::status, memberships::ended_at))
                .first(c)
        })
        .await;
    assert_eq!((status.as_str(), ended), ("canceled", Some(ends)));

    // Staff see it, redeemed, and cannot send it again.
    add_staff(&app, "editor@news.example", memberdrive::admin::Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let page = text_as(&app, "/admin/gifts", &cookie).await;
    assert!(
        page.contains("Redeemed") && page.contains(RECIPIENT) && page.contains(BUYER),
        "{page}"
    );
    let id: i32 = app.read(|c| gifts::table.select(gifts::id).first(c)).await;
    let res = submit(
        &app,
        &cookie,
        &csrf_in(&page),
        &format!("/admin/gifts/{id}/resend"),
        vec![],
    )
    .await;
    assert_eq!(res.status(), 409);
}

async fn bad_gift_input_gets_a_clear_error_and_no_stripe_call(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let cases: [(&str, &str, &str); 6] = [
        ("tier", "gold", "unknown_tier"),
        ("months", "2", "invalid_months"),
        ("recipient_email", "olena", "invalid_email"),
        ("email", "", "invalid_email"),
        ("deliver_on", "2020-01-01", "invalid_date"),
        ("campaign", "nope", "unknown_campaign"),
    ];
    for (field, value, code) in cases {
        let mut form = gift_form(RECIPIENT, "3");
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let res = app.post_form_json("/gift", &form).await;
        assert_eq!(res.status(), 400, "{field}={value}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], code, "{field}={value}: {body}");
    }
    let long = "x".repeat(501);
    let mut form = gift_form(RECIPIENT, "3");
    form.retain(|(k, _)| *k != "message");
    form.push(("message", &long));
    let res = app.post_form("/gift", &form).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("at most 500 characters"));
    assert_eq!(stripe.objects_created("checkout.session"), 0);
}

async fn paying_members_cannot_redeem_and_refunds_leave_the_amount_goal(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    // The recipient pays for a membership already.
    let session = join(
        &app,
        &stripe,
        &[
            ("tier", "supporter"),
            ("interval", "month"),
            ("email", RECIPIENT),
        ],
    )
    .await;
    pay(&app, &stripe, &session).await;
    app.wait_for_count("members", 1, WAIT).await;

    let session = buy(&app, &stripe, &gift_form(RECIPIENT, "12")).await;
    assert_eq!(
        stripe.checkout_session(&session)["amount_total"],
        5000,
        "a year at the yearly price"
    );
    let charge = pay(&app, &stripe, &session).await;
    let link = redeem_link(&app, RECIPIENT).await;
    let res = app
        .post_form("/gift/redeem", &[("token", &token_of(&link))])
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("paying member already"));
    let redeemed: Option<NaiveDateTime> = app
        .read(|c| gifts::table.select(gifts::redeemed_at).first(c))
        .await;
    assert_eq!(redeemed, None, "a refused redemption changes nothing");

    // Counted toward an amount goal when paid, and no longer once refunded.
    app.write(|c| {
        diesel::update(campaigns::table.filter(campaigns::slug.eq("members")))
            .set(campaigns::metric.eq("amount"))
            .execute(c)?;
        let id: i32 = campaigns::table
            .filter(campaigns::slug.eq("members"))
            .select(campaigns::id)
            .first(c)?;
        progress::refresh(c, id, db::now())
    })
    .await;
    app.wait_for_count("members", 500 + 5000, WAIT).await;
    // The overview's pace counts the same money.
    let received = app
        .read(|c| {
            let campaign = memberdrive::campaigns::Campaign::by_slug(c, "members")?.unwrap();
            let day = chrono::Duration::days(1);
            stats::net_received(c, &campaign, db::now() - day, db::now() + day)
        })
        .await;
    assert_eq!(received, 500 + 5000);
    stripe.refund(&charge);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    app.wait_for_count("members", 500, WAIT).await;
    let res = app
        .post_form("/gift/redeem", &[("token", &token_of(&link))])
        .await;
    assert_eq!(res.status(), 410, "a refunded gift is withdrawn");
    assert!(res.text().await.unwrap().contains("refunded"));
}

/// The redeem link in the last gift email to `recipient`.
async fn redeem_link(app: &TestApp, recipient: &str) -> String {
    let gift_to =
        |m: &ReceivedMail| m.to == [recipient] && m.text_part().contains("/gift/redeem?token=");
    let mail = app
        .smtp
        .wait_until("the gift", WAIT, |m| m.iter().any(gift_to))
        .await;
    let text = mail.iter().rfind(|m| gift_to(m)).unwrap().text_part();
    text.lines()
        .find(|l| l.contains("/gift/redeem?token="))
        .unwrap()
        .trim()
        .to_owned()
}

async fn a_refund_in_full_ends_a_redeemed_gift_and_its_reminder(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = buy(&app, &stripe, &gift_form(RECIPIENT, "1")).await;
    let charge = pay(&app, &stripe, &session).await;
    let link = redeem_link(&app, RECIPIENT).await;
    let res = app
        .post_form("/gift/redeem", &[("token", &token_of(&link))])
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    app.wait_for_count("members", 1, WAIT).await;
    let reminder = jobs::table.filter(jobs::dedupe_key.like("gift-ending:%"));
    assert_eq!(app.count(reminder).await, 1, "the reminder is scheduled");

    stripe.refund(&charge);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    app.wait_for_count("members", 0, WAIT).await;
    let ended: Option<NaiveDateTime> = app
        .read(|c| memberships::table.select(memberships::ended_at).first(c))
        .await;
    assert!(ended.is_some(), "the membership it started has ended");
    assert_eq!(
        app.count(jobs::table.filter(jobs::dedupe_key.like("gift-ending:%")))
            .await,
        0,
        "no reminder for a gift that was taken back"
    );
}

async fn a_gift_not_redeemed_within_a_year_expires(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let session = buy(&app, &stripe, &gift_form(RECIPIENT, "3")).await;
    pay(&app, &stripe, &session).await;
    let link = redeem_link(&app, RECIPIENT).await;
    // Delivered a year and a day ago, never redeemed.
    let delivered = db::now() - chrono::Duration::days(366);
    app.write(move |c| {
        diesel::update(gifts::table)
            .set(gifts::deliver_on.eq(delivered))
            .execute(c)
    })
    .await;
    let res = app
        .post_form("/gift/redeem", &[("token", &token_of(&link))])
        .await;
    assert_eq!(res.status(), 410);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("not redeemed within a year"),
        "an expired gift is refused, saying why"
    );
    assert_eq!(
        app.count(memberships::table).await,
        0,
        "nothing is redeemed"
    );
    add_staff(&app, "editor@news.example", memberdrive::admin::Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let page = text_as(&app, "/admin/gifts", &cookie).await;
    assert!(page.contains("Expired"), "{page}");
    assert!(
        !page.contains("/resend"),
        "an expired gift cannot be sent again: {page}"
    );
}
