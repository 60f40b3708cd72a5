//! The purge: what outlived its retention goes, what is newer (or never expires) stays, and
//! the outbox gauges follow; a once-only email is not sent again after its job's row aged.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Duration as Age;
use diesel::prelude::*;
use memberdrive::admin::Role;
use memberdrive::db::schema::{
    jobs, later_reminders, members, payment_failures, sessions, stripe_events, tokens,
};
use memberdrive::db::{self, DbConnection};
use memberdrive::retention;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, add_staff, join, spawn_app, spawn_app_with_stripe};
use crate::support::stripe_server::Delivery;
use crate::support::wait::eventually;

both_backends!(
    the_purge_deletes_what_outlived_its_retention_and_keeps_the_rest,
    a_renewal_after_the_purge_brings_a_receipt_and_no_second_welcome,
);

const WAIT: Duration = Duration::from_secs(30);

/// Queues a purge (the app queues one every few minutes) and waits until it is done.
async fn purge(app: &TestApp, name: &str) {
    let key = format!("purge:test-{name}");
    let queued = app
        .write(move |c| memberdrive::jobs::enqueue(c, retention::JOB_KIND, &key, "{}", None))
        .await;
    assert!(queued, "a purge queued");
    app.wait_for_jobs(retention::JOB_KIND, WAIT).await;
}

/// The values of one text column of `table`, filtered, as a set.
async fn keys<Q>(app: &TestApp, query: Q) -> BTreeSet<String>
where
    Q: RunQueryDsl<DbConnection>
        + diesel::query_dsl::LoadQuery<'static, DbConnection, String>
        + Send
        + 'static,
{
    app.read(move |c| query.load(c)).await.into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Waits until `/metrics` shows the outbox gauges `(queued, retrying, sent, dead)`.
async fn wait_for_gauges(app: &TestApp, expected: (i64, i64, i64, i64)) {
    let (queued, retrying, sent, dead) = expected;
    let lines = [
        format!("memberdrive_outbox_emails{{state=\"queued\"}} {queued}"),
        format!("memberdrive_outbox_emails{{state=\"retrying\"}} {retrying}"),
        format!("memberdrive_outbox_emails{{state=\"sent\"}} {sent}"),
        format!("memberdrive_outbox_emails{{state=\"dead\"}} {dead}"),
    ];
    eventually("the outbox gauges", WAIT, || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        let shown: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("memberdrive_outbox_emails{"))
            .collect();
        if lines.iter().all(|l| shown.contains(&l.as_str())) {
            Ok(())
        } else {
            Err(format!("{shown:?}"))
        }
    })
    .await;
}

async fn the_purge_deletes_what_outlived_its_retention_and_keeps_the_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    // One email sent for real: the tally of sent emails follows the worker, not only SQL.
    let res = app
        .post_form(
            "/newsletters/subscribe",
            &[("email", "reader@news.example"), ("newsletter", "news")],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.smtp.wait_for_messages(1, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let confirmation: String = app
        .read(|c| {
            jobs::table
                .filter(jobs::kind.eq("email"))
                .select(jobs::dedupe_key)
                .first(c)
        })
        .await;

    let staff = add_staff(&app, "editor@news.example", Role::Admin).await;
    let now = db::now();
    let ago = move |days: i64| now - Age::days(days);
    let minutes_ago = move |minutes: i64| now - Age::minutes(minutes);
    app.write(move |c| {
        diesel::insert_into(members::table)
            .values(members::email.eq("member@news.example"))
            .execute(c)?;
        let member: i32 = members::table.select(members::id).first(c)?;
        // Jobs: done ones for 30 days (but the once-only emails of payments), dead letters for 90,
        // queued ones however old.
        for (kind, key, status, finished) in [
            ("email", "old-sent", "done", Some(ago(31))),
            ("email", "recent-sent", "done", Some(ago(29))),
            ("email", "welcome:1:1", "done", Some(ago(400))),
            ("email", "receipt:in_old", "done", Some(ago(400))),
            ("email", "payment_failed:in_old:1", "done", Some(ago(400))),
            (
                "stripe_event",
                "stripe_event:evt_old",
                "done",
                Some(ago(31)),
            ),
            (
                "stripe_event",
                "stripe_event:evt_recent",
                "done",
                Some(ago(29)),
            ),
            ("email", "old-dead", "dead", Some(ago(91))),
            ("email", "recent-dead", "dead", Some(ago(89))),
            ("email", "old-queued", "queued", None),
        ] {
            diesel::insert_into(jobs::table)
                .values((
                    jobs::kind.eq(kind),
                    jobs::dedupe_key.eq(key),
                    jobs::payload.eq("{\"to\":\"someone@news.example\",\"subject\":\"s\"}"),
                    jobs::status.eq(status),
                    jobs::attempts.eq(i32::from(status != "queued")),
                    jobs::created_at.eq(ago(400)),
                    // Not due: no worker sends it during the test.
                    jobs::run_at.eq(now + Age::days(1)),
                    jobs::finished_at.eq(finished),
                ))
                .execute(c)?;
        }
        // Tokens: 7 days after they were used or expired; those without an end, never.
        for (hash, used, expires) in [
            ("used-8-days-ago", Some(ago(8)), Some(ago(-1))),
            ("used-6-days-ago", Some(ago(6)), None),
            ("expired-8-days-ago", None, Some(ago(8))),
            ("expired-6-days-ago", None, Some(ago(6))),
            ("without-end", None, None),
        ] {
            diesel::insert_into(tokens::table)
                .values((
                    tokens::token_hash.eq(hash),
                    tokens::purpose.eq("unsubscribe"),
                    tokens::member_id.eq(member),
                    tokens::used_at.eq(used),
                    tokens::expires_at.eq(expires),
                    tokens::created_at.eq(ago(400)),
                ))
                .execute(c)?;
        }
        // Sessions: once ended (idle for their kind's timeout, or past their absolute end).
        for (hash, staff, member, seen, expires) in [
            ("staff-idle", Some(staff), None, minutes_ago(31), ago(-1)),
            ("staff-active", Some(staff), None, minutes_ago(29), ago(-1)),
            ("member-idle", None, Some(member), ago(8), ago(-20)),
            ("member-active", None, Some(member), ago(6), ago(-20)),
            (
                "member-past-its-end",
                None,
                Some(member),
                minutes_ago(1),
                minutes_ago(1),
            ),
        ] {
            diesel::insert_into(sessions::table)
                .values((
                    sessions::token_hash.eq(hash),
                    sessions::staff_user_id.eq(staff),
                    sessions::member_id.eq(member),
                    sessions::csrf_token.eq("csrf"),
                    sessions::created_at.eq(ago(10)),
                    sessions::last_seen_at.eq(seen),
                    sessions::expires_at.eq(expires),
                ))
                .execute(c)?;
        }
        // Stripe events: 90 days after they were applied; one never applied stays.
        for (id, processed) in [
            ("evt_applied_91_days_ago", Some(ago(91))),
            ("evt_applied_89_days_ago", Some(ago(89))),
            ("evt_never_applied", None),
        ] {
            diesel::insert_into(stripe_events::table)
                .values((
                    stripe_events::id.eq(id),
                    stripe_events::event_type.eq("invoice.paid"),
                    stripe_events::payload.eq("{}"),
                    stripe_events::received_at.eq(ago(400)),
                    stripe_events::processed_at.eq(processed),
                ))
                .execute(c)?;
        }
        // "Remind me later" requests: 30 days.
        for (hash, made) in [
            ("reminder-31-days-ago", ago(31)),
            ("reminder-29-days-ago", ago(29)),
        ] {
            diesel::insert_into(later_reminders::table)
                .values((
                    later_reminders::campaign_id.eq(1),
                    later_reminders::email.eq("later@news.example"),
                    later_reminders::lang.eq("en"),
                    later_reminders::token_hash.eq(hash),
                    later_reminders::created_at.eq(made),
                ))
                .execute(c)?;
        }
        // Failed payments (card testing): 30 days.
        for (event, failed) in [
            ("evt_failed_31_days_ago", ago(31)),
            ("evt_failed_29_days_ago", ago(29)),
        ] {
            diesel::insert_into(payment_failures::table)
                .values((
                    payment_failures::stripe_event_id.eq(event),
                    payment_failures::client.eq("client-key"),
                    payment_failures::amount.eq(100),
                    payment_failures::currency.eq("eur"),
                    payment_failures::failed_at.eq(failed),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .await;
    // Sent: the confirmation and five seeded; one queued (not due), one dead letter more.
    wait_for_gauges(&app, (1, 0, 6, 2)).await;

    purge(&app, "retention").await;

    let seeded = jobs::table
        .filter(jobs::kind.ne(retention::JOB_KIND))
        .select(jobs::dedupe_key);
    let mut expected = set(&[
        "recent-sent",
        "welcome:1:1",
        "receipt:in_old",
        "payment_failed:in_old:1",
        "stripe_event:evt_recent",
        "recent-dead",
        "old-queued",
    ]);
    expected.insert(confirmation);
    assert_eq!(keys(&app, seeded).await, expected, "jobs kept");
    assert_eq!(
        // The subscription's own tokens (a reader's) are not the seeded ones (a member's).
        keys(
            &app,
            tokens::table
                .filter(tokens::member_id.is_not_null())
                .select(tokens::token_hash)
        )
        .await,
        set(&["used-6-days-ago", "expired-6-days-ago", "without-end"]),
        "tokens kept"
    );
    assert_eq!(
        keys(&app, sessions::table.select(sessions::token_hash)).await,
        set(&["staff-active", "member-active"]),
        "sessions kept"
    );
    assert_eq!(
        keys(&app, stripe_events::table.select(stripe_events::id)).await,
        set(&["evt_applied_89_days_ago", "evt_never_applied"]),
        "Stripe events kept"
    );
    assert_eq!(
        keys(
            &app,
            later_reminders::table.select(later_reminders::token_hash)
        )
        .await,
        set(&["reminder-29-days-ago"]),
        "reminder requests kept"
    );
    assert_eq!(
        keys(
            &app,
            payment_failures::table.select(payment_failures::stripe_event_id)
        )
        .await,
        set(&["evt_failed_29_days_ago"]),
        "failed payments kept"
    );
    // The purge's record says what it deleted of each kind (a purge the app queued itself
    // may have run since the rows were written, so the counts are not checked here).
    let record: String = app
        .read(|c| {
            jobs::table
                .filter(jobs::dedupe_key.eq("purge:test-retention"))
                .select(jobs::payload)
                .first(c)
        })
        .await;
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    let names: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        set(&names),
        set(&[
            "done_jobs",
            "dead_jobs",
            "used_tokens",
            "expired_tokens",
            "sessions",
            "stripe_events",
            "later_reminders",
            "payment_failures"
        ]),
        "{record}"
    );
    // The gauges count what is left.
    wait_for_gauges(&app, (1, 0, 5, 1)).await;
}

async fn a_renewal_after_the_purge_brings_a_receipt_and_no_second_welcome(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let to = "reader@news.example";
    let session = join(
        &app,
        &stripe,
        &[("email", to), ("tier", "supporter"), ("interval", "month")],
    )
    .await;
    let sub = stripe.pay_checkout(&session).subscription.unwrap();
    let delivered = stripe.deliver(Delivery::InOrder).await;
    assert!(delivered.iter().all(|s| *s == 200), "{delivered:?}");
    app.wait_for_jobs("stripe_event", WAIT).await;
    app.smtp.wait_for_messages(2, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;

    // A month and more later, every job of the join has aged past its retention.
    app.write(|c| {
        diesel::update(jobs::table.filter(jobs::status.eq("done")))
            .set(jobs::finished_at.eq(db::now() - retention::DONE_JOBS - Age::days(1)))
            .execute(c)
    })
    .await;
    purge(&app, "aged").await;
    let left = jobs::table
        .filter(jobs::kind.ne(retention::JOB_KIND))
        .select(jobs::dedupe_key);
    let left = keys(&app, left).await;
    assert!(
        left.iter()
            .all(|k| k.starts_with("welcome:") || k.starts_with("receipt:")),
        "only the once-only emails of the payment stay: {left:?}"
    );
    assert_eq!(left.len(), 2, "{left:?}");

    stripe.renew(&sub);
    let delivered = stripe.deliver(Delivery::InOrder).await;
    assert!(delivered.iter().all(|s| *s == 200), "{delivered:?}");
    app.wait_for_jobs("stripe_event", WAIT).await;
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let subjects: Vec<String> = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .map(|m| m.decoded_header("Subject").unwrap())
        .collect();
    let welcomes = subjects.iter().filter(|s| s.starts_with("Welcome")).count();
    let receipts = subjects
        .iter()
        .filter(|s| s.starts_with("Your receipt"))
        .count();
    assert_eq!((welcomes, receipts), (1, 2), "{subjects:?}");
}
