//! Pausing, resuming and cancelling an edition from the dashboard: a paused edition sends
//! nothing more than the emails already in flight, a resumed one reaches everyone else once,
//! a cancelled one nobody more; each audited, viewers refused.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{editions, jobs};
use memberdrive::domain::{EditionStatus, OptIn};
use memberdrive::newsletters::editions::control::held_until;
use memberdrive::staff::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::editions::{EDITION, ok, readers, recipients, send_on};
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, session_of, spawn_app, submit, text_as,
};
use crate::support::wait::eventually;

both_backends!(an_edition_is_paused_resumed_and_cancelled_from_the_dashboard);

const WAIT: Duration = Duration::from_secs(60);
const READERS: usize = 120;
const PAGE: &str = "/admin/newsletters/news/editions";

async fn status_of(app: &TestApp, id: i32) -> EditionStatus {
    app.read(move |c| editions::table.find(id).select(editions::status).first(c))
        .await
}

/// The edition's emails: (waiting and held, waiting in a worker's hands).
async fn emails(app: &TestApp, id: i32) -> (i64, i64) {
    let key = format!("edition:{id}:%");
    app.read(move |c| {
        let of_edition = || {
            jobs::table
                .filter(jobs::kind.eq("email"))
                .filter(jobs::dedupe_key.like(key.clone()))
                .filter(jobs::status.eq("queued"))
        };
        let held = of_edition()
            .filter(jobs::run_at.eq(held_until()))
            .count()
            .get_result(c)?;
        let in_hand = of_edition()
            .filter(jobs::locked_until.gt(memberdrive::db::now()))
            .count()
            .get_result(c)?;
        Ok((held, in_hand))
    })
    .await
}

async fn control(app: &TestApp, cookie: &str, id: i32, action: &str) -> reqwest::Response {
    let token = csrf_in(&text_as(app, PAGE, cookie).await);
    submit(
        app,
        cookie,
        &token,
        &format!("{PAGE}/{id}"),
        vec![("action", action)],
    )
    .await
}

async fn an_edition_is_paused_resumed_and_cancelled_from_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let admin = session_of(&app, "editor@news.example").await;
    let viewer = session_of(&app, "viewer@news.example").await;
    let everyone = readers(&app, "reader", READERS, OptIn::Confirmed).await;

    // A relay that takes its time, so that the edition is still going out when it is paused.
    app.smtp.answer_slowly(Duration::from_millis(150), READERS);
    ok(&send_on(
        &app.database.url,
        EDITION,
        "Morning briefing",
        &[],
    ));
    let id: i32 = app
        .read(|c| editions::table.select(editions::id).first(c))
        .await;
    app.smtp.wait_for_messages(5, WAIT).await;
    let res = control(&app, &viewer, id, "pause").await;
    assert_eq!(res.status(), 403);
    let res = control(&app, &admin, id, "pause").await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of(&app, id).await, EditionStatus::Paused);

    // The emails in a worker's hands at that moment go; every other one is held.
    eventually("the emails in flight delivered", WAIT, || async {
        emails(&app, id).await.1 == 0
    })
    .await;
    let sent = app.smtp.messages().len() as i64;
    let (held, _) = emails(&app, id).await;
    assert!(sent < READERS as i64, "paused before the end: {sent}");
    let walked: i32 = app
        .read(move |c| editions::table.find(id).select(editions::queued).first(c))
        .await;
    assert_eq!(held + sent, i64::from(walked), "held {held}, sent {sent}");
    let page = text_as(&app, PAGE, &admin).await;
    assert!(page.contains(">Paused<"), "{page}");
    assert!(
        page.contains(r#"data-control="resume">"#)
            && page.contains(r#"data-control="pause" hidden>"#),
        "resume offered, pause not: {page}"
    );
    // Nothing to pause twice.
    assert_eq!(control(&app, &admin, id, "pause").await.status(), 409);

    // Resumed: everyone has it, once.
    let res = control(&app, &admin, id, "resume").await;
    assert_eq!(res.status(), 303);
    app.smtp.wait_for_messages(READERS, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let got = recipients(&app.smtp.messages());
    assert_eq!(got.len(), READERS);
    assert!(got.values().all(|n| *n == 1), "{got:?}");
    assert!(everyone.iter().all(|e| got.contains_key(e)));
    assert_eq!(status_of(&app, id).await, EditionStatus::Sent);
    // Delivered in full: nothing left to pause or cancel.
    assert_eq!(control(&app, &admin, id, "cancel").await.status(), 409);

    // A scheduled edition cancelled: nobody gets it, and it cannot come back.
    ok(&send_on(
        &app.database.url,
        EDITION,
        "Tomorrow",
        &["--at", "2099-01-01T07:00:00Z"],
    ));
    let later: i32 = app
        .read(|c| {
            editions::table
                .select(editions::id)
                .order(editions::id.desc())
                .first(c)
        })
        .await;
    assert_eq!(control(&app, &admin, later, "cancel").await.status(), 303);
    assert_eq!(status_of(&app, later).await, EditionStatus::Cancelled);
    let walk = format!("edition:{later}");
    let left = app
        .count(jobs::table.filter(jobs::dedupe_key.eq(walk)))
        .await;
    assert_eq!(left, 0, "its walk withdrawn");
    assert_eq!(control(&app, &admin, later, "resume").await.status(), 409);
    let res = control(&app, &admin, later, "launch").await;
    assert_eq!(res.status(), 400);

    for action in ["edition.pause", "edition.resume", "edition.cancel"] {
        let entries = audit_actions(&app, action).await;
        assert_eq!(entries.len(), 1, "{action}");
        assert!(entries[0].0.contains("editor@news.example"));
    }
}
