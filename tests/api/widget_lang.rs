//! The campaign's own words in the reader's language: `?lang=` on every widget route, the
//! join page, and the dashboard where editors write them.

use std::time::Duration;

use futures_util::StreamExt;
use memberdrive::admin::Role;

use crate::admin_dashboard::{campaign_form, post_pairs};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, add_staff, session_of, spawn_app, text_as};
use crate::support::wait::eventually;

both_backends!(every_widget_route_shows_the_title_in_the_language_asked_for);

/// The Ukrainian title every new database starts with (a migration writes it).
const SEEDED_UK: &str = "Допоможіть нам об'єднати 20 000 учасників";
const OWN: &str = "Help us reach 20,000 members";

async fn json(app: &TestApp, query: &str) -> (serde_json::Value, String) {
    let res = app.get(&format!("/widget/members.json{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    (res.json().await.unwrap(), etag)
}

/// The first event of the live stream.
async fn first_event(app: &TestApp, query: &str) -> serde_json::Value {
    let res = app.get(&format!("/widget/members/events{query}")).await;
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("the first event")
            .unwrap()
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        if let Some(data) = buf.lines().find_map(|l| l.strip_prefix("data: ")) {
            return serde_json::from_str(data).unwrap();
        }
    }
}

async fn every_widget_route_shows_the_title_in_the_language_asked_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let (own, own_etag) = json(&app, "").await;
    assert_eq!(own["title"], OWN, "no ?lang=: the campaign's own title");
    let (uk, uk_etag) = json(&app, "?lang=uk").await;
    assert_eq!(uk["title"], SEEDED_UK);
    assert_eq!((&uk["count"], &uk["goal"]), (&own["count"], &own["goal"]));
    assert_ne!(uk_etag, own_etag, "each body has its own validator");
    // A language without a title of its own, or one we do not speak, falls back.
    for query in ["?lang=en", "?lang=de", "?lang="] {
        let (fallback, etag) = json(&app, query).await;
        assert_eq!(
            (fallback["title"].as_str(), etag.as_str()),
            (Some(OWN), own_etag.as_str())
        );
    }
    let res = app
        .client
        .get(format!("{}/widget/members.json?lang=uk", app.address))
        .header("if-none-match", &uk_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    let svg = app
        .get("/widget/members.svg?lang=uk")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        svg.contains("Допоможіть нам об&#39;єднати") || svg.contains(SEEDED_UK),
        "{svg}"
    );
    let frame = app
        .get("/widget/members?lang=uk")
        .await
        .text()
        .await
        .unwrap();
    assert!(frame.contains(r#"lang="uk""#), "{frame}");
    assert!(frame.contains("Допоможіть нам об"), "{frame}");
    let frame = app.get("/widget/members").await.text().await.unwrap();
    assert!(
        frame.contains(OWN) && !frame.contains("Допоможіть"),
        "{frame}"
    );
    assert_eq!(first_event(&app, "?lang=uk").await["title"], SEEDED_UK);
    assert_eq!(first_event(&app, "").await["title"], OWN);
    let join = app.get("/join?lang=uk").await.text().await.unwrap();
    assert!(join.contains("Допоможіть нам об"), "{join}");

    // An editor writes the titles and appeals of both languages; the widget shows them at
    // once, and the audit log keeps what changed.
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let form = campaign_form(
        &app,
        &cookie,
        "members",
        &[
            ("title_uk", "Разом до 20 000"),
            (
                "description_uk",
                "Незалежна журналістика тримається на вас.",
            ),
            ("title_en", "Together to 20,000"),
        ],
    )
    .await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    eventually("the new titles", Duration::from_secs(10), || async {
        let (uk, _) = json(&app, "?lang=uk").await;
        let (en, _) = json(&app, "?lang=en").await;
        if uk["title"] == "Разом до 20 000" && en["title"] == "Together to 20,000" {
            Ok(())
        } else {
            Err(format!("uk {}, en {}", uk["title"], en["title"]))
        }
    })
    .await;
    assert_eq!(json(&app, "").await.0["title"], OWN);
    let join = app.get("/join/members?lang=uk").await.text().await.unwrap();
    assert!(
        join.contains("Разом до 20 000")
            && join.contains("Незалежна журналістика тримається на вас."),
        "{join}"
    );
    let page = text_as(&app, "/admin/campaigns/members", &cookie).await;
    assert!(
        page.contains("Together to 20,000"),
        "the form shows what is stored"
    );
    let audit: Vec<String> = app
        .read(|c| {
            use diesel::prelude::*;
            use memberdrive::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("campaign.update"))
                .select(audit_log::details)
                .load(c)
        })
        .await;
    let details: serde_json::Value = serde_json::from_str(&audit[0]).unwrap();
    assert_eq!(
        details["translations"]["to"]["uk"]["title"], "Разом до 20 000",
        "{details}"
    );
    assert_eq!(details["translations"]["from"]["uk"]["title"], SEEDED_UK);

    // A title longer than any other is refused, and nothing changes.
    let form = campaign_form(&app, &cookie, "members", &[("title_uk", &"ї".repeat(201))]).await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("at most 200 characters"), "{html}");
    assert_eq!(json(&app, "?lang=uk").await.0["title"], "Разом до 20 000");
}
