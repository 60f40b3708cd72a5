//! The ledger of outside contributions: entries checked, counted from their date, audited and
//! removable; and a database from before the ledger, whose manual offset becomes one entry
//! with its audit trail, the count unchanged.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use memberdrive::db;
use memberdrive::db::schema::{audit_log, campaigns, ledger_entries};
use memberdrive::staff::Role;

use crate::admin_dashboard::{audit_actions, signed_in_admin};
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, TestDatabase, add_staff, csv_of, post_as, session_of, spawn_app_on, text_as,
    undo_migration,
};

both_backends!(
    entries_are_checked_counted_from_their_date_audited_and_removable,
    an_offset_becomes_one_ledger_entry_with_its_audit_trail_and_the_same_count,
);

const WAIT: Duration = Duration::from_secs(5);

/// The members chart's last `days` rows as (day, members).
async fn members_chart(app: &TestApp, cookie: &str, days: usize) -> Vec<(String, String)> {
    let rows = csv_of(
        app,
        cookie,
        "/admin/campaigns/members/charts/members.csv?days=90",
    )
    .await;
    rows[rows.len() - days..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// The chart's expected last `days` rows: `at(back)` members `back` days ago.
fn expected(days: i64, at: impl Fn(i64) -> i64) -> Vec<(String, String)> {
    let today = db::now().date();
    (0..days)
        .rev()
        .map(|back| {
            let day = today - chrono::Duration::days(back);
            (day.to_string(), at(back).to_string())
        })
        .collect()
}

async fn entries_are_checked_counted_from_their_date_audited_and_removable(backend: Backend) {
    let (app, cookie, token) = signed_in_admin(backend, "/admin/campaigns/members").await;
    let add = |date: String, amount: &'static str, source: &'static str| {
        let (app, cookie, token) = (&app, cookie.clone(), token.clone());
        async move {
            let form = [
                ("csrf_token", token.as_str()),
                ("ledger_date", date.as_str()),
                ("ledger_amount", amount),
                ("ledger_source", source),
                ("ledger_note", "Counted by the finance desk"),
            ];
            post_as(app, "/admin/campaigns/members/ledger", &cookie, &form).await
        }
    };
    let today = db::now().date();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let ten_days_ago = (today - chrono::Duration::days(10)).to_string();

    // Bad input: a clear error, nothing stored, nothing audited.
    for (date, amount, source, says) in [
        (tomorrow.clone(), "40", "Cheques", "today at the latest"),
        (
            "2026-02-30".to_owned(),
            "40",
            "Cheques",
            "today at the latest",
        ),
        (ten_days_ago.clone(), "0", "Cheques", "other than 0"),
        (ten_days_ago.clone(), "12.5", "Cheques", "other than 0"),
        (ten_days_ago.clone(), "40", "  ", "where it came from"),
    ] {
        let res = add(date.clone(), amount, source).await;
        assert_eq!(res.status(), 400, "{date} {amount} {source:?}");
        assert!(res.text().await.unwrap().contains(says), "{says}");
    }
    assert!(audit_actions(&app).await.is_empty());

    // 40 by cheque ten days ago, and a correction of -5 today: 35 counted at once.
    assert_eq!(
        add(ten_days_ago.clone(), "40", "Cheques").await.status(),
        303
    );
    assert_eq!(
        add(today.to_string(), "-5", "Correction").await.status(),
        303
    );
    app.wait_for_count("members", 35, WAIT).await;
    let page = text_as(&app, "/admin/campaigns/members", &cookie).await;
    assert!(page.contains("Counted by the finance desk") && page.contains("Cheques"));
    assert!(page.contains(r#"data-figure="ledger-total">35<"#), "{page}");
    assert_eq!(
        members_chart(&app, &cookie, 12).await,
        expected(12, |back| match back {
            0 => 35,
            1..=10 => 40,
            _ => 0,
        })
    );
    let (actor, action, details) = audit_actions(&app).await.remove(0);
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("staff:editor@news.example", "ledger.add")
    );
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["amount"], "40");
    assert_eq!(details["date"], ten_days_ago.as_str());

    // Removing the cheques: audited with what the entry was; the count follows.
    let cheques: i32 = app
        .read(|c| {
            ledger_entries::table
                .filter(ledger_entries::source.eq("Cheques"))
                .select(ledger_entries::id)
                .first(c)
        })
        .await;
    let path = format!("/admin/campaigns/members/ledger/{cheques}/delete");
    let res = post_as(&app, &path, &cookie, &[("csrf_token", &token)]).await;
    assert_eq!(res.status(), 303);
    app.wait_for_count("members", 0, WAIT).await;
    let (_, action, details) = audit_actions(&app).await.pop().unwrap();
    assert_eq!(action, "ledger.remove");
    assert!(details.contains("Cheques") && details.contains("staff:editor@news.example"));
    let again = post_as(&app, &path, &cookie, &[("csrf_token", &token)]).await;
    assert_eq!(again.status(), 404);

    // Viewers read the ledger and change nothing.
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let viewer = session_of(&app, "viewer@news.example").await;
    let page = text_as(&app, "/admin/campaigns/members", &viewer).await;
    assert!(page.contains("Correction") && !page.contains("/ledger/"));
    let form = [
        ("csrf_token", crate::helpers::csrf_in(&page)),
        ("ledger_date", today.to_string()),
        ("ledger_amount", "5".to_owned()),
        ("ledger_source", "x".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_as(&app, "/admin/campaigns/members/ledger", &viewer, &form).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.widget_json("members").await["count"], 0);
}

/// The migration that made the ledger, by folder name.
const LEDGER_MIGRATION: &str = "2026-12-07-000011_ledger";

#[derive(QueryableByName)]
struct Offset {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    manual_offset: i64,
}

async fn an_offset_becomes_one_ledger_entry_with_its_audit_trail_and_the_same_count(
    backend: Backend,
) {
    let database = Arc::new(TestDatabase::new(backend));
    let url = memberdrive::config::DatabaseUrl::parse(&database.url).unwrap();
    let mut conn = db::connect_one(&url).unwrap();
    db::run_migrations(&mut conn).unwrap();
    // As a release from before the ledger left it.
    undo_migration(&mut conn, LEDGER_MIGRATION);

    // As the offset form left it: 0 → 40 ten days ago, 40 → 120 three days ago.
    let now = db::now();
    let (ten, three) = (
        now - chrono::Duration::days(10),
        now - chrono::Duration::days(3),
    );
    for (at, from, to) in [(ten, 0, 40), (three, 40, 120)] {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::actor.eq("staff:editor@news.example"),
                audit_log::action.eq("campaign.offset"),
                audit_log::subject_type.eq("campaign"),
                audit_log::subject_id.eq("members"),
                audit_log::details.eq(
                    serde_json::json!({"from": from, "to": to, "reason": "Cheques"}).to_string(),
                ),
                audit_log::created_at.eq(at),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    conn.batch_execute("UPDATE campaigns SET manual_offset = 120 WHERE slug = 'members'")
        .unwrap();
    let before: Vec<Offset> = diesel::sql_query("SELECT manual_offset FROM campaigns")
        .load(&mut conn)
        .unwrap();
    assert_eq!(before.iter().map(|o| o.manual_offset).sum::<i64>(), 120);

    // The new release migrates it: one entry, dated and signed by the last change.
    assert_eq!(db::run_migrations(&mut conn).unwrap(), 1);
    let entries: Vec<(NaiveDateTime, i64, String, String)> = ledger_entries::table
        .select((
            ledger_entries::occurred_at,
            ledger_entries::amount,
            ledger_entries::source,
            ledger_entries::entered_by,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(entries.len(), 1);
    let (at, amount, source, by) = &entries[0];
    assert_eq!((*amount, source.as_str()), (120, "manual offset"));
    assert_eq!(by, "staff:editor@news.example");
    assert_eq!(at.date(), three.date());
    let count: i64 = campaigns::table
        .filter(campaigns::slug.eq("members"))
        .select(campaigns::progress_count)
        .first(&mut conn)
        .unwrap();
    assert_eq!(count, 120, "the stored count is the one shown before");
    let trail: Vec<(String, String)> = audit_log::table
        .order(audit_log::id)
        .select((audit_log::action, audit_log::details))
        .load(&mut conn)
        .unwrap();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["campaign.offset", "campaign.offset", "ledger.migrated"]
    );
    assert!(trail[2].1.contains("120"), "{}", trail[2].1);
    drop(conn);

    // The service on it shows the same count, and the chart has the entry from its date.
    let app = spawn_app_on(database, &[]).await;
    assert_eq!(app.widget_json("members").await["count"], 120);
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "editor@news.example").await;
    assert_eq!(
        members_chart(&app, &cookie, 6).await,
        expected(6, |back| if back <= 3 { 120 } else { 0 })
    );
}
