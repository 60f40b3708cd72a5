//! A newsletter's public archive: off until staff publish it; then its sent editions, each
//! as readers got it but without any reader's links, and a way to subscribe; never a
//! scheduled or cancelled edition.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::editions;
use memberdrive::domain::{EditionStatus, OptIn};
use memberdrive::staff::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::editions::{EDITION, ok, readers, send_on};
use crate::helpers::{Backend, add_staff, csrf_in, session_of, spawn_app, submit, text_as};
use crate::support::wait::eventually;

both_backends!(a_published_archive_shows_sent_editions_without_personal_links);

async fn a_published_archive_shows_sent_editions_without_personal_links(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let admin = session_of(&app, "editor@news.example").await;
    readers(&app, "reader", 3, OptIn::Confirmed).await;
    ok(&send_on(
        &app.database.url,
        EDITION,
        "The budget, approved",
        &[],
    ));
    ok(&send_on(
        &app.database.url,
        EDITION,
        "Next year's budget",
        &["--at", "2099-01-01T07:00:00Z"],
    ));
    let (sent, later): (i32, i32) = app
        .read(|c| {
            let ids: Vec<i32> = editions::table
                .order(editions::id)
                .select(editions::id)
                .load(c)?;
            Ok((ids[0], ids[1]))
        })
        .await;
    eventually(
        "the first edition sent",
        Duration::from_secs(30),
        || async {
            app.read(move |c| {
                editions::table
                    .find(sent)
                    .select(editions::status)
                    .first::<EditionStatus>(c)
            })
            .await
                == EditionStatus::Sent
        },
    )
    .await;

    // Not published: no archive.
    assert_eq!(app.get("/newsletters/news/archive").await.status(), 404);
    assert_eq!(
        app.get(&format!("/newsletters/news/archive/{sent}"))
            .await
            .status(),
        404
    );

    let form = text_as(&app, "/admin/newsletters/news", &admin).await;
    assert!(form.contains("name=\"public_archive\""));
    let fields = vec![
        ("name", "Morning briefing"),
        ("description", "The day's news before breakfast."),
        ("language", "en"),
        ("position", "0"),
        ("public_archive", "on"),
    ];
    let res = submit(
        &app,
        &admin,
        &csrf_in(&form),
        "/admin/newsletters/news",
        fields,
    )
    .await;
    assert_eq!(res.status(), 303);
    let audited = audit_actions(&app, "newsletter.update").await;
    assert!(
        audited[0].2.contains("\"public_archive\":true"),
        "{audited:?}"
    );

    let res = app.get("/newsletters/news/archive").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Morning briefing") && page.contains("Past editions"));
    assert!(page.contains(&format!("/newsletters/news/archive/{sent}?lang=en")));
    assert!(page.contains("The budget, approved") && !page.contains("Next year"));
    assert!(
        page.contains("name=\"newsletter\" value=\"news\""),
        "a way to subscribe"
    );

    let page = app
        .get(&format!("/newsletters/news/archive/{sent}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<strong>approved</strong>"), "{page}");
    assert!(page.contains("&lt;script&gt;") && !page.contains("<script>alert"));
    assert!(!page.contains("token="), "no reader's links");
    assert_eq!(
        app.get(&format!("/newsletters/news/archive/{later}"))
            .await
            .status(),
        404
    );

    let uk = app
        .get("/newsletters/news/archive?lang=uk")
        .await
        .text()
        .await
        .unwrap();
    assert!(uk.contains("lang=\"uk\"") && uk.contains("Попередні випуски"));
}
