//! Newsletter editions: `memberdrive edition send`, run beside two serving instances, reaching
//! every confirmed subscriber once over SMTP.

use std::collections::{BTreeSet, HashMap};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::db::schema::{
    audit_log, editions, jobs, newsletter_subscriptions, newsletters, subscribers,
};
use memberdrive::db::{self, DbConnection};
use memberdrive::domain::OptIn;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, memberdrive_command, spawn_app, spawn_app_on};
use crate::support::smtp::{ReceivedMail, SmtpMode};
use crate::support::wait::eventually;

both_backends!(
    an_edition_reaches_each_confirmed_subscriber_once_across_two_instances,
    a_reader_who_unsubscribes_while_an_edition_goes_out_gets_nothing_more,
    a_scheduled_edition_waits_for_its_time_and_bad_input_changes_nothing,
);

const WAIT: Duration = Duration::from_secs(60);

/// The preheader the editions of these tests carry.
pub(crate) const PREHEADER: &str = "What the vote changes, street by street";

pub(crate) const EDITION: &str = "# Morning briefing\n\nThe council **approved** the budget.\n\n\
                       <script>alert(1)</script>\n";

/// Adds `n` readers of `news` in `status`, named `{prefix}{i}@readers.example`.
pub(crate) async fn readers(
    app: &TestApp,
    prefix: &'static str,
    n: usize,
    status: OptIn,
) -> Vec<String> {
    app.write(move |c| add_readers(c, prefix, n, status)).await
}

/// Adds `n` readers of `news` in `status`, as [`readers`] does, on a connection.
pub(crate) fn add_readers(
    c: &mut DbConnection,
    prefix: &str,
    n: usize,
    status: OptIn,
) -> QueryResult<Vec<String>> {
    let news: i32 = newsletters::table
        .filter(newsletters::slug.eq("news"))
        .select(newsletters::id)
        .first(c)?;
    let confirmed_at = (status == OptIn::Confirmed).then(|| db::now() - chrono::Duration::hours(1));
    let mut emails = Vec::new();
    for i in 0..n {
        let email = format!("{prefix}{i:04}@readers.example");
        let id: i32 = insert_subscriber(c, &email)?;
        diesel::insert_into(newsletter_subscriptions::table)
            .values((
                newsletter_subscriptions::subscriber_id.eq(id),
                newsletter_subscriptions::newsletter_id.eq(news),
                newsletter_subscriptions::status.eq(status),
                newsletter_subscriptions::confirmed_at.eq(confirmed_at),
            ))
            .execute(c)?;
        emails.push(email);
    }
    Ok(emails)
}

fn insert_subscriber(c: &mut DbConnection, email: &str) -> QueryResult<i32> {
    let insert = diesel::insert_into(subscribers::table)
        .values((subscribers::email.eq(email), subscribers::locale.eq("en")))
        .returning(subscribers::id);
    match c {
        DbConnection::Pg(pg) => insert.get_result(pg),
        DbConnection::Sqlite(sqlite) => insert.get_result(sqlite),
    }
}

/// Runs `memberdrive edition send news FILE --subject S [extra…]` against `app`'s database.
fn send(app: &TestApp, body: &str, subject: &str, extra: &[&str]) -> Output {
    send_on(&app.database.url, body, subject, extra)
}

/// [`send`] against the database at `url`.
pub(crate) fn send_on(url: &str, body: &str, subject: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edition.md");
    std::fs::write(&file, body).unwrap();
    memberdrive_command()
        .args(["edition", "send", "news"])
        .arg(&file)
        .args(["--subject", subject])
        .args(extra)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "edition send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Recipients of the mail received, with how many messages each got.
pub(crate) fn recipients(mail: &[ReceivedMail]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in mail {
        for to in &m.to {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
    }
    counts
}

async fn an_edition_reaches_each_confirmed_subscriber_once_across_two_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = spawn_app_on(Arc::clone(&app.database), &[]).await;
    // More than two batches, so the walk resumes from its cursor.
    let confirmed = readers(&app, "reader", 450, OptIn::Confirmed).await;
    let pending = readers(&app, "pending", 3, OptIn::Pending).await;
    let left = readers(&app, "left", 3, OptIn::Unsubscribed).await;

    let printed = ok(&send(
        &app,
        EDITION,
        "Morning briefing: the budget",
        &["--preheader", PREHEADER],
    ));
    assert!(
        printed.contains("sending now; 450 confirmed subscriber(s) today"),
        "{printed}"
    );
    let both = || [app.smtp.messages(), second.smtp.messages()].concat();
    eventually("every reader's email", WAIT, || async {
        let n = both().len();
        if n >= 450 {
            Ok(())
        } else {
            Err(format!("{n} of 450"))
        }
    })
    .await;
    app.wait_for_jobs("edition", WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let mail = both();
    let got = recipients(&mail);
    assert_eq!(got.len(), 450, "one recipient per confirmed reader");
    assert!(got.values().all(|n| *n == 1), "each gets it once");
    assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        confirmed.iter().cloned().collect::<BTreeSet<_>>()
    );
    assert!(pending.iter().chain(&left).all(|e| !got.contains_key(e)));

    let message = &mail[0];
    assert_eq!(
        message.decoded_header("Subject").as_deref(),
        Some("Morning briefing: the budget")
    );
    let html = message.html_part();
    assert!(html.contains("<h1>Morning briefing</h1>"), "{html}");
    let hidden = format!(
        "<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">{PREHEADER}"
    );
    let preheader = html.find(&hidden).expect("the preheader");
    assert!(
        preheader < html.find("<h1>").unwrap(),
        "the preheader opens the email: {html}"
    );
    assert!(!message.text_part().contains(PREHEADER));
    assert!(html.contains("<strong>approved</strong>"), "{html}");
    assert!(!html.contains("<script>"), "raw HTML stays text: {html}");
    assert!(
        message
            .text_part()
            .contains("The council **approved** the budget.")
    );
    assert!(
        html.contains("You receive this because you subscribed to"),
        "{html}"
    );
    let unsubscribe = message.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.contains("/unsubscribe?token="), "{unsubscribe}");
    assert_eq!(
        message.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let ids: BTreeSet<String> = mail
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 450, "a Message-ID per (edition, subscriber)");

    // The one-click link of one message unsubscribes that reader from this newsletter.
    let url = unsubscribe
        .split(['<', '>'])
        .find(|part| part.starts_with("http"))
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let who = message.to[0].clone();
    let status: OptIn = app
        .read(move |c| {
            newsletter_subscriptions::table
                .inner_join(subscribers::table)
                .filter(subscribers::email.eq(who))
                .select(newsletter_subscriptions::status)
                .first(c)
        })
        .await;
    assert_eq!(status, OptIn::Unsubscribed);

    let (status, queued, finished): (String, i32, Option<NaiveDateTime>) = app
        .read(|c| {
            editions::table
                .select((editions::status, editions::queued, editions::finished_at))
                .first(c)
        })
        .await;
    assert_eq!((status.as_str(), queued), ("sent", 450));
    assert!(finished.is_some());
    let audited: i64 = app
        .count(audit_log::table.filter(audit_log::action.eq("edition.schedule")))
        .await;
    assert_eq!(audited, 1);
}

async fn a_reader_who_unsubscribes_while_an_edition_goes_out_gets_nothing_more(backend: Backend) {
    let app = spawn_app(backend).await;
    let confirmed = readers(&app, "reader", 5, OptIn::Confirmed).await;
    // The relay is down: the edition's emails are queued and wait for it.
    app.smtp.set_mode(SmtpMode::RefuseConnections);
    ok(&send(&app, EDITION, "Evening edition", &[]));
    app.wait_for_jobs("edition", WAIT).await;
    let queued = app
        .count(jobs::table.filter(jobs::dedupe_key.like("edition:%:%")))
        .await;
    assert_eq!(queued, 5);
    // One reader leaves through the link in their (unsent) email.
    let leaving = confirmed[2].clone();
    let payload: String = app
        .read({
            let leaving = leaving.clone();
            move |c| {
                jobs::table
                    .filter(jobs::recipient.eq(leaving))
                    .select(jobs::payload)
                    .first(c)
            }
        })
        .await;
    let email: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let url = email["unsubscribe_url"].as_str().unwrap().to_owned();
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    // The relay comes back; the emails waiting are retried at once.
    app.smtp.set_mode(SmtpMode::Accept);
    app.write(|c| {
        diesel::update(jobs::table.filter(jobs::kind.eq("email")))
            .set(jobs::run_at.eq(db::now()))
            .execute(c)
    })
    .await;
    let mail = app.smtp.wait_for_messages(4, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let got = recipients(&app.smtp.messages());
    assert_eq!(got.len(), 4, "{got:?} ({} messages)", mail.len());
    assert!(
        !got.contains_key(&leaving),
        "{leaving} left before it was sent"
    );
    let skipped: String = app
        .read(move |c| {
            jobs::table
                .filter(jobs::recipient.eq(leaving))
                .select(jobs::payload)
                .first(c)
        })
        .await;
    assert!(skipped.contains("unsubscribed"), "{skipped}");
}

async fn a_scheduled_edition_waits_for_its_time_and_bad_input_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    readers(&app, "reader", 3, OptIn::Confirmed).await;
    let editions_stored = || app.count(editions::table);

    let long = "x".repeat(151);
    for (body, subject, extra, error) in [
        (
            EDITION,
            "News",
            &["--at", "tomorrow"][..],
            "--at \"tomorrow\": expected RFC 3339",
        ),
        (
            EDITION,
            "News",
            &["--at", "2020-01-01T07:00:00+02:00"][..],
            "in the past",
        ),
        (EDITION, " ", &[][..], "the subject must be"),
        (
            EDITION,
            "News",
            &["--preheader", long.as_str()][..],
            "the preheader must be at most 150 characters",
        ),
        ("  \n", "News", &[][..], "the body must be"),
    ] {
        let out = send(&app, body, subject, extra);
        assert!(!out.status.success(), "{subject} {extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(error), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    let out = memberdrive_command()
        .args([
            "edition",
            "send",
            "daily",
            "/nonexistent.md",
            "--subject",
            "x",
        ])
        .env("DATABASE_URL", &app.database.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(editions_stored().await, 0);

    // Tomorrow at seven in Kyiv: queued for then, nothing sent before.
    let at = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .format("%Y-%m-%dT07:00:00+02:00")
        .to_string();
    let printed = ok(&send(&app, EDITION, "Tomorrow's briefing", &["--at", &at]));
    assert!(printed.contains("scheduled for"), "{printed}");
    let expected = chrono::DateTime::parse_from_rfc3339(&at)
        .unwrap()
        .naive_utc();
    let (status, send_at): (String, NaiveDateTime) = app
        .read(|c| {
            editions::table
                .select((editions::status, editions::send_at))
                .first(c)
        })
        .await;
    assert_eq!((status.as_str(), send_at), ("scheduled", expected));
    let run_at: NaiveDateTime = app
        .read(|c| {
            jobs::table
                .filter(jobs::kind.eq("edition"))
                .select(jobs::run_at)
                .first(c)
        })
        .await;
    assert_eq!(run_at, expected, "no worker takes it before its time");

    // Its time comes (moved here rather than waited for): it goes out.
    app.write(|c| {
        diesel::update(editions::table)
            .set(editions::send_at.eq(db::now()))
            .execute(c)?;
        diesel::update(jobs::table.filter(jobs::kind.eq("edition")))
            .set(jobs::run_at.eq(db::now()))
            .execute(c)
    })
    .await;
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    assert_eq!(app.smtp.messages().len(), 3);
}
