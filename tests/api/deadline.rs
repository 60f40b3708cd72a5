//! A campaign's dates are days in its time zone: it ends when its last day ends there, and a
//! new campaign's zone comes from `MEMBERDRIVE_TIME_ZONE`.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::db::schema::campaigns;
use memberdrive::db::{self, DbConnection};
use memberdrive::staff::Role;

use crate::admin_dashboard::{campaign_form, post_pairs};
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, TestDatabase, add_staff, session_of, spawn_app_with, text_as, undo_migration,
};
use crate::support::wait::eventually;

both_backends!(
    a_deadline_is_the_end_of_its_last_day_in_the_campaigns_time_zone,
    a_deadline_from_before_time_zones_ends_with_its_day_in_utc,
);

const WAIT: Duration = Duration::from_secs(30);

/// The widget JSON once its deadline is `ends_at`.
async fn widget_ending(app: &TestApp, ends_at: &str) -> serde_json::Value {
    eventually(&format!("the deadline {ends_at}"), WAIT, || async {
        let json = app.widget_json("members").await;
        if json["ends_at"] == ends_at {
            Ok(json)
        } else {
            Err(json)
        }
    })
    .await
}

async fn a_deadline_is_the_end_of_its_last_day_in_the_campaigns_time_zone(backend: Backend) {
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TIME_ZONE", "America/New_York")]).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;

    // Not a time zone: refused, named, nothing changed.
    let form = campaign_form(
        &app,
        &cookie,
        "members",
        &[("ends_on", "2026-12-31"), ("time_zone", "Europe/Kyiiv")],
    )
    .await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Choose a time zone"));
    assert_eq!(
        app.widget_json("members").await["ends_at"],
        serde_json::Value::Null
    );

    // Ending on 31 December in Kyiv: over at midnight there (22:00 UTC in winter); starting
    // on 1 July: at midnight there (21:00 UTC the day before, in summer time).
    let kyiv = [
        ("starts_on", "2026-07-01"),
        ("ends_on", "2026-12-31"),
        ("time_zone", "Europe/Kyiv"),
    ];
    let form = campaign_form(&app, &cookie, "members", &kyiv).await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    let json = widget_ending(&app, "2026-12-31T22:00:00Z").await;
    assert_eq!(json["starts_at"], "2026-06-30T21:00:00Z");
    assert_eq!(json["time_zone"], "Europe/Kyiv");
    // The form shows the days as they were typed, in their zone.
    let html = text_as(&app, "/admin/campaigns/members", &cookie).await;
    for value in ["2026-07-01", "2026-12-31", "Europe/Kyiv"] {
        assert!(html.contains(&format!(r#"value="{value}""#)), "{value}");
    }
    // A one-day campaign is fine; a form that leaves the zone out keeps the campaign's.
    let form = campaign_form(
        &app,
        &cookie,
        "members",
        &[("starts_on", "2026-12-31"), ("time_zone", "")],
    )
    .await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    let json = eventually("the one-day campaign", WAIT, || async {
        let json = app.widget_json("members").await;
        if json["starts_at"] == "2026-12-30T22:00:00Z" {
            Ok(json)
        } else {
            Err(json)
        }
    })
    .await;
    assert_eq!(json["ends_at"], "2026-12-31T22:00:00Z");

    // A new campaign's zone is the configured one.
    let html = text_as(&app, "/admin/campaigns/new", &cookie).await;
    assert!(html.contains(r#"value="America/New_York""#));
}

/// The deadline of the seeded campaign and its time zone.
fn deadline(conn: &mut DbConnection) -> (Option<NaiveDateTime>, String) {
    campaigns::table
        .filter(campaigns::slug.eq("members"))
        .select((campaigns::ends_at, campaigns::time_zone))
        .first(conn)
        .unwrap()
}

async fn a_deadline_from_before_time_zones_ends_with_its_day_in_utc(backend: Backend) {
    let database = TestDatabase::new(backend);
    let url = memberdrive::config::DatabaseUrl::parse(&database.url).unwrap();
    let mut conn = db::connect_one(&url).unwrap();
    db::run_migrations(&mut conn).unwrap();
    undo_migration(&mut conn, "2026-12-07-000016_campaign_time_zones");
    let named: NaiveDateTime = "2026-12-31T00:00:00".parse().unwrap();
    diesel::update(campaigns::table.filter(campaigns::slug.eq("members")))
        .set(campaigns::ends_at.eq(Some(named)))
        .execute(&mut conn)
        .unwrap();

    // "Ends on 31 December" now lasts all of that day, in UTC, the zone it was typed in.
    assert_eq!(db::run_migrations(&mut conn).unwrap(), 1);
    let end: NaiveDateTime = "2027-01-01T00:00:00".parse().unwrap();
    assert_eq!(deadline(&mut conn), (Some(end), "UTC".to_owned()));
}
