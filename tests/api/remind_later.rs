//! "Remind me later": a reader leaves an address from the widget's link, confirms it, and
//! gets exactly one reminder a week later with a way back to the campaign; nothing else.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, later_reminders, subscribers};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_with, token_of};
use crate::support::smtp::ReceivedMail;

both_backends!(a_reader_confirms_and_gets_one_reminder_a_week_later);

const WAIT: Duration = Duration::from_secs(30);
const ARTICLE: &str = "https://news.example/2026/11/council-budget";

/// The mails sent to `to` so far.
fn mails_to(app: &TestApp, to: &str) -> Vec<ReceivedMail> {
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

/// The first link in `mail` that contains `part`.
fn link_in(mail: &ReceivedMail, part: &str) -> String {
    mail.text_part()
        .split_whitespace()
        .find(|w| w.contains(part))
        .unwrap_or_else(|| panic!("no {part} link in {}", mail.text_part()))
        .to_owned()
}

async fn a_reader_confirms_and_gets_one_reminder_a_week_later(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MEMBERDRIVE_WIDGET_ANCESTORS", "https://news.example"),
            ("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let page = app
        .get(&format!("/remind/members?ref={ARTICLE}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Help us reach 20,000 members") && page.contains(ARTICLE));

    let ask = |email: &'static str, extra: Option<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut form = vec![
                ("campaign", "members"),
                ("email", email),
                ("ref", ARTICLE),
                ("lang", "en"),
            ];
            form.extend(extra);
            app.post_form("/remind", &form).await
        }
    };
    // Bad input: a clear error, nothing stored; a bot gets the usual answer and nothing.
    assert_eq!(ask("not-an-address", None).await.status(), 400);
    let unknown = app
        .post_form(
            "/remind",
            &[("campaign", "nope"), ("email", "reader@news.example")],
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let bot = ask("bot@news.example", Some(("website", "http://spam.example"))).await;
    assert_eq!(bot.status(), 200);
    let rows = app.count(later_reminders::table.count()).await;
    assert_eq!(rows, 0);

    // The reader asks (twice: one confirmation).
    for _ in 0..2 {
        let res = ask("reader@news.example", None).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("confirmation email"));
    }
    let confirmation = app
        .smtp
        .wait_until("the confirmation", WAIT, |m| {
            m.iter()
                .any(|m| m.to.iter().any(|t| t == "reader@news.example"))
        })
        .await;
    let confirmation = confirmation
        .into_iter()
        .find(|m| m.to.iter().any(|t| t == "reader@news.example"))
        .unwrap();
    let link = link_in(&confirmation, "/remind/confirm?token=");
    let token = token_of(&link);
    // Opening the link changes nothing; the button confirms, once.
    let opened = app.get(&format!("/remind/confirm?token={token}")).await;
    assert!(opened.text().await.unwrap().contains("Yes, remind me"));
    let unconfirmed = later_reminders::confirmed_at.is_null();
    assert_eq!(
        app.count(later_reminders::table.filter(unconfirmed).count())
            .await,
        1
    );
    let res = app
        .post_form("/remind/confirm", &[("token", token.as_str())])
        .await;
    assert_eq!(res.status(), 200);
    let when = (memberdrive::db::now() + chrono::Duration::days(7)).date();
    assert!(res.text().await.unwrap().contains(&when.to_string()));
    let again = app
        .post_form("/remind/confirm", &[("token", token.as_str())])
        .await;
    assert_eq!(again.status(), 410, "a link works once");
    let forged = app
        .post_form("/remind/confirm", &[("token", "forged")])
        .await;
    assert_eq!(forged.status(), 400);

    // The reminder waits a week (moved to now here), then goes out once, with the join link.
    let key = "remind_later:%";
    let run_at: chrono::NaiveDateTime = app
        .read(move |c| {
            jobs::table
                .filter(jobs::dedupe_key.like(key))
                .select(jobs::run_at)
                .first(c)
        })
        .await;
    assert_eq!(run_at.date(), when);
    app.write(move |c| {
        diesel::update(jobs::table.filter(jobs::dedupe_key.like(key)))
            .set(jobs::run_at.eq(memberdrive::db::now()))
            .execute(c)
    })
    .await;
    let reminder = app
        .smtp
        .wait_until("the reminder", WAIT, |m| {
            m.iter()
                .filter(|m| m.to.iter().any(|t| t == "reader@news.example"))
                .count()
                == 2
        })
        .await;
    let reminder = reminder
        .into_iter()
        .rfind(|m| m.to.iter().any(|t| t == "reader@news.example"))
        .unwrap();
    let join = link_in(&reminder, "/join/members");
    assert!(join.contains("ref=https%3A%2F%2Fnews.example"), "{join}");
    app.wait_for_jobs("email", WAIT).await;
    assert_eq!(mails_to(&app, "reader@news.example").len(), 2);
    assert!(mails_to(&app, "bot@news.example").is_empty());
    // Nothing else: the address is no newsletter subscriber.
    assert_eq!(app.count(subscribers::table.count()).await, 0);
}
