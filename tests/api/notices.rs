//! What members are told about money: the notice before a yearly renewal, and the emails
//! after a renewal could not be collected.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::db::{self, schema::jobs};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, join, spawn_app_on, spawn_app_with, spawn_app_with_stripe};
use crate::support::smtp::ReceivedMail;
use crate::support::stripe_server::{Delivery, StripeServer};
use crate::support::wait::eventually;

both_backends!(
    yearly_members_get_a_renewal_notice_30_days_ahead_once,
    a_failed_renewal_sends_failed_reminder_and_last_notice_once_each,
    paying_or_ending_withdraws_the_emails_still_to_come,
);

const WAIT: Duration = Duration::from_secs(30);

/// Five instances of the renewal test share one PostgreSQL server with the rest of the suite:
/// two connections each are plenty.
const SMALL_POOL: &[(&str, &str)] = &[("MEMBERDRIVE_DB_POOL_SIZE", "2")];
const WEEK_AHEAD: &[(&str, &str)] = &[
    ("MEMBERDRIVE_DB_POOL_SIZE", "2"),
    ("MEMBERDRIVE_RENEWAL_NOTICE_DAYS", "7"),
];

/// Active members whose period ends in `days` days, each `(n, days, interval)`: the member
/// `y{n}@news.example`.
async fn add_members_renewing(app: &TestApp, renewing: &'static [(i32, i64, &'static str)]) {
    use memberdrive::domain::{EmailAddress, MembershipStatus};
    use memberdrive::members::{Member, SubscriptionState, apply_subscription};

    app.write(move |c| {
        let campaign = memberdrive::campaigns::Campaign::by_slug(c, "members")?
            .unwrap()
            .id;
        for &(n, days, interval) in renewing {
            let member = Member::find_or_create(
                c,
                &EmailAddress::parse(&format!("y{n}@news.example")).unwrap(),
                "en",
            )?;
            apply_subscription(
                c,
                &SubscriptionState {
                    stripe_subscription_id: format!("sub_y{n}"),
                    member_id: member.id,
                    campaign_id: campaign,
                    tier_id: None,
                    interval: interval.parse().unwrap(),
                    amount: 5000,
                    currency: "eur".into(),
                    status: MembershipStatus::Active,
                    cancel_at_period_end: false,
                    current_period_end: Some(db::now() + chrono::Duration::days(days)),
                    ref_url: None,
                    paused_until: None,
                    appeal_variant: None,
                },
            )?;
        }
        Ok(())
    })
    .await;
}

fn addressees(mails: &[ReceivedMail]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to
}

async fn yearly_members_get_a_renewal_notice_30_days_ahead_once(backend: Backend) {
    let app = spawn_app_with(backend, SMALL_POOL).await;
    // Yearly in 3, 29 and 45 days; monthly in 3 days (never noticed).
    add_members_renewing(
        &app,
        &[
            (1, 3, "year"),
            (2, 29, "year"),
            (3, 45, "year"),
            (4, 3, "month"),
        ],
    )
    .await;
    // The notice task runs when an instance starts, then hourly; two more instances start.
    // Any instance's worker may deliver it (they share the outbox): look at every SMTP server.
    let second = spawn_app_on(app.database.clone(), SMALL_POOL).await;
    let third = spawn_app_on(app.database.clone(), SMALL_POOL).await;
    let servers = [&app.smtp, &second.smtp, &third.smtp];
    eventually("two renewal notices", WAIT, || async {
        servers.iter().map(|s| s.accepted_count()).sum::<usize>() >= 2
    })
    .await;
    app.wait_for_jobs("email", WAIT).await;
    let mails: Vec<_> = servers.iter().flat_map(|s| s.messages()).collect();
    assert_eq!(
        addressees(&mails),
        ["y1@news.example", "y2@news.example"],
        "yearly renewals within 30 days, one notice each however many instances look"
    );
    let notice = mails.iter().find(|m| m.to == ["y2@news.example"]).unwrap();
    let date = (db::now() + chrono::Duration::days(29)).date().to_string();
    assert_eq!(
        notice.decoded_header("Subject").unwrap(),
        format!("Your yearly membership renews on {date}")
    );
    let text = notice.text_part();
    assert!(
        text.contains("€50") && text.contains(&date) && text.contains("To cancel"),
        "amount, date and how to cancel: {text}"
    );

    // The days are a setting.
    let week = spawn_app_with(backend, WEEK_AHEAD).await;
    add_members_renewing(&week, &[(1, 3, "year"), (2, 29, "year")]).await;
    // Its task ran at start, before the members existed: another instance looks again.
    let again = spawn_app_on(week.database.clone(), WEEK_AHEAD).await;
    let servers = [&week.smtp, &again.smtp];
    eventually("a renewal notice", WAIT, || async {
        servers.iter().map(|s| s.accepted_count()).sum::<usize>() >= 1
    })
    .await;
    week.wait_for_jobs("email", WAIT).await;
    let mails: Vec<_> = servers.iter().flat_map(|s| s.messages()).collect();
    assert_eq!(addressees(&mails), ["y1@news.example"], "7 days ahead");
}

/// A paying monthly member `email`; returns their subscription.
async fn member(app: &TestApp, stripe: &StripeServer, email: &str) -> String {
    let form = [
        ("email", email),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let session = join(app, stripe, &form).await;
    let sub = stripe.pay_checkout(&session).subscription.unwrap();
    deliver(app, stripe).await;
    sub
}

/// Delivers every pending event three times, at once, and waits until they are processed.
async fn deliver(app: &TestApp, stripe: &StripeServer) {
    stripe
        .deliver(Delivery::Repeated {
            times: 3,
            concurrently: true,
        })
        .await;
    app.wait_for_jobs("stripe_event", WAIT).await;
}

/// The emails about `invoice`'s payment still queued or sent: key and when due.
async fn sequence(app: &TestApp, invoice: &str) -> Vec<(String, NaiveDateTime)> {
    let prefix = format!("payment_failed:{invoice}%");
    app.read(move |c| {
        jobs::table
            .filter(jobs::dedupe_key.like(prefix))
            .order(jobs::run_at)
            .select((jobs::dedupe_key, jobs::run_at))
            .load(c)
    })
    .await
}

/// Makes the email keyed `key` due now, as if its days had passed.
async fn come_due(app: &TestApp, key: &str) {
    let key = key.to_owned();
    app.write(move |c| {
        diesel::update(jobs::table.filter(jobs::dedupe_key.eq(key)))
            .set(jobs::run_at.eq(db::now()))
            .execute(c)
    })
    .await;
}

fn subjects_to(mails: &[ReceivedMail], to: &str) -> Vec<String> {
    mails
        .iter()
        .filter(|m| m.to == [to])
        .map(|m| m.decoded_header("Subject").unwrap())
        .collect()
}

async fn a_failed_renewal_sends_failed_reminder_and_last_notice_once_each(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let reader = "late@news.example";
    let sub = member(&app, &stripe, reader).await;
    let invoice = stripe.renewal_fails(&sub);
    deliver(&app, &stripe).await;

    let steps = sequence(&app, &invoice).await;
    let keys: Vec<&str> = steps.iter().map(|(k, _)| k.as_str()).collect();
    let first = format!("payment_failed:{invoice}");
    let (reminder, last) = (format!("{first}:reminder"), format!("{first}:last"));
    assert_eq!(keys, [&first, &reminder, &last]);
    assert_eq!(steps[1].1 - steps[0].1, chrono::Duration::days(3));
    assert_eq!(steps[2].1 - steps[0].1, chrono::Duration::days(10));
    let failed = "Your payment did not go through";
    app.smtp
        .wait_until("the failed payment", WAIT, |m| {
            subjects_to(m, reader).iter().any(|s| s == failed)
        })
        .await;

    // Days pass; each comes once, with the way to the card.
    come_due(&app, &reminder).await;
    come_due(&app, &last).await;
    let mails = app
        .smtp
        .wait_until("the reminder and the last notice", WAIT, |m| {
            subjects_to(m, reader).len() >= 5
        })
        .await;
    app.wait_for_jobs("email", WAIT).await;
    let mut got = subjects_to(&app.smtp.messages(), reader);
    got.sort();
    assert_eq!(
        got,
        [
            "Last notice: your membership is about to end",
            "Reminder: your membership payment is still due",
            "Welcome, and thank you for joining",
            failed,
            "Your receipt: €5",
        ],
        "each once, though every event came three times"
    );
    let last_notice = mails
        .iter()
        .find(|m| {
            m.decoded_header("Subject")
                .unwrap()
                .starts_with("Last notice")
        })
        .unwrap();
    assert!(last_notice.text_part().contains("/account"));
}

async fn paying_or_ending_withdraws_the_emails_still_to_come(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    // Paid on Stripe's retry: the reminder and the last notice are not sent.
    let sub = member(&app, &stripe, "recovered@news.example").await;
    let invoice = stripe.renewal_fails(&sub);
    deliver(&app, &stripe).await;
    assert_eq!(sequence(&app, &invoice).await.len(), 3);
    stripe.retry_payment_succeeds(&sub);
    deliver(&app, &stripe).await;
    let left: Vec<String> = sequence(&app, &invoice)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        left,
        [format!("payment_failed:{invoice}")],
        "only the one sent"
    );

    // Stripe gave up and ended the subscription: nothing more asks for the payment.
    let sub = member(&app, &stripe, "gone@news.example").await;
    let invoice = stripe.renewal_fails(&sub);
    deliver(&app, &stripe).await;
    assert_eq!(sequence(&app, &invoice).await.len(), 3);
    stripe.end_subscription(&sub);
    deliver(&app, &stripe).await;
    assert_eq!(sequence(&app, &invoice).await.len(), 1);

    // Its failure processed only after it ended (events come in any order): nothing at all,
    // the cancellation says it.
    let sub = member(&app, &stripe, "late-news@news.example").await;
    let invoice = stripe.renewal_fails(&sub);
    stripe.end_subscription(&sub);
    stripe.deliver(Delivery::Shuffled(7)).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    assert_eq!(sequence(&app, &invoice).await, []);
}
