//! Newsletter readers in the dashboard: searched and filtered, exported as CSV, a reader's
//! consent history, and unsubscribing them on their behalf (admins, audited).

use diesel::prelude::*;
use memberdrive::db::schema::{newsletter_subscriptions, subscribers};
use memberdrive::domain::OptIn;
use memberdrive::staff::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::editions::readers;
use crate::helpers::{
    Backend, add_staff, csrf_in, csv_of, get_as, session_of, spawn_app, submit, text_as,
};

both_backends!(staff_find_export_and_unsubscribe_subscribers);

async fn staff_find_export_and_unsubscribe_subscribers(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let admin = session_of(&app, "editor@news.example").await;
    let viewer = session_of(&app, "viewer@news.example").await;
    let confirmed = readers(&app, "yes", 3, OptIn::Confirmed).await;
    readers(&app, "wait", 2, OptIn::Pending).await;
    // A name a spreadsheet would run as a formula.
    let first = confirmed[0].clone();
    app.write(move |c| {
        diesel::update(subscribers::table.filter(subscribers::email.eq(first)))
            .set(subscribers::name.eq("=HYPERLINK(\"http://evil.example\")"))
            .execute(c)
    })
    .await;

    // Search and filters.
    let page = text_as(&app, "/admin/subscribers?state=confirmed", &viewer).await;
    assert!(page.contains("3 subscriptions"), "{page}");
    let page = text_as(&app, "/admin/subscribers?q=WAIT&newsletter=news", &viewer).await;
    assert!(page.contains("2 subscriptions") && page.contains("wait0001@readers.example"));
    assert!(!page.contains("yes0000@"));
    let page = text_as(&app, "/admin/subscribers?newsletter=other", &viewer).await;
    assert!(page.contains("0 subscriptions"));
    assert!(
        text_as(&app, "/admin/newsletters", &viewer)
            .await
            .contains("/admin/subscribers?newsletter=news")
    );

    // The export: the filter's rows, formulas defused.
    let rows = csv_of(&app, &viewer, "/admin/subscribers.csv?state=confirmed").await;
    assert_eq!(
        rows[0],
        [
            "email",
            "name",
            "language",
            "newsletter",
            "status",
            "subscribed_at",
            "confirmed_at",
            "unsubscribed_at",
            "source"
        ]
    );
    let emails: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        emails,
        confirmed.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(rows[1][1], "'=HYPERLINK(\"http://evil.example\")");
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[4] == "confirmed" && r[6].ends_with('Z'))
    );

    // A reader's page: their consent history; only admins may unsubscribe them.
    let id: i32 = {
        let email = confirmed[1].clone();
        app.read(move |c| {
            subscribers::table
                .filter(subscribers::email.eq(email))
                .select(subscribers::id)
                .first(c)
        })
        .await
    };
    let path = format!("/admin/subscribers/{id}");
    let page = text_as(&app, &path, &viewer).await;
    assert!(page.contains(&confirmed[1]) && page.contains("Consent history"));
    assert!(page.contains(">Confirmed<") && !page.contains("/unsubscribe\""));
    let page = text_as(&app, &path, &admin).await;
    let action = format!("{path}/unsubscribe");
    assert!(page.contains(&action));
    let token = csrf_in(&page);
    let res = submit(&app, &viewer, &token, &action, vec![("newsletter", "news")]).await;
    assert_eq!(res.status(), 403);
    let res = submit(&app, &admin, &token, &action, vec![("newsletter", "news")]).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{path}?left=news"));
    let status: OptIn = app
        .read(move |c| {
            newsletter_subscriptions::table
                .filter(newsletter_subscriptions::subscriber_id.eq(id))
                .select(newsletter_subscriptions::status)
                .first(c)
        })
        .await;
    assert_eq!(status, OptIn::Unsubscribed);
    let page = text_as(&app, &location, &admin).await;
    assert!(page.contains(">Unsubscribed<") && page.contains("Unsubscribed from news"));
    let res = submit(&app, &admin, &token, &action, vec![("newsletter", "news")]).await;
    assert_eq!(res.status(), 409, "not subscribed any more");
    let audited = audit_actions(&app, "subscriber.unsubscribe").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].1, id.to_string());
    assert_eq!(
        get_as(&app, "/admin/subscribers/999999", &admin)
            .await
            .status(),
        404
    );
}
