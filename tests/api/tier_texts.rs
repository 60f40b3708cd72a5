//! A tier's name and description in the reader's language: the seeded tiers speak Ukrainian,
//! editors write each language's words on the campaign page (audited, too-long text refused
//! with nothing changed), and the join page shows them for `?lang=uk` or a browser that asks
//! for Ukrainian, falling back to the tier's own words.

use diesel::prelude::*;
use memberdrive::admin::Role;
use memberdrive::db::schema::{tier_texts, tiers};

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, session_of, spawn_app_with_stripe, submit, text_as,
};

both_backends!(tiers_speak_the_readers_language);

async fn join_page(app: &TestApp, query: &str, accept_language: Option<&str>) -> String {
    let mut req = app
        .client
        .get(format!("{}/join/members{query}", app.address));
    if let Some(languages) = accept_language {
        req = req.header("accept-language", languages);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn tiers_speak_the_readers_language(backend: Backend) {
    // Tiers are offered when paid membership is on.
    let (app, _stripe) = spawn_app_with_stripe(backend).await;
    let english = join_page(&app, "", None).await;
    assert!(
        english.contains("Supporter") && english.contains("Keep the newsroom going."),
        "{english}"
    );
    for ukrainian in [
        join_page(&app, "?lang=uk", None).await,
        join_page(&app, "", Some("uk-UA,uk;q=0.9,en;q=0.5")).await,
    ] {
        assert!(ukrainian.contains(r#"<html lang="uk">"#));
        assert!(ukrainian.contains("Прихильник"), "{ukrainian}");
        assert!(ukrainian.contains("Тримайте редакцію на плаву."));
        assert!(!ukrainian.contains("Supporter"));
    }

    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let page = text_as(&app, "/admin/campaigns/members", &cookie).await;
    let token = csrf_in(&page);
    let supporter: i32 = app
        .read(|c| {
            tiers::table
                .filter(tiers::slug.eq("supporter"))
                .select(tiers::id)
                .first(c)
        })
        .await;
    assert!(
        page.contains(r#"name="name_uk" type="text" maxlength="100" value="Прихильник""#),
        "{page}"
    );
    let path = format!("/admin/campaigns/members/tiers/{supporter}");
    let fields = |description_uk: &'static str| {
        vec![
            ("name", "Supporter"),
            ("description", "Keep us reporting."),
            ("monthly", "5"),
            ("yearly", "50"),
            ("position", "1"),
            ("name_uk", "Друг редакції"),
            ("description_uk", description_uk),
            ("name_en", ""),
            ("description_en", ""),
        ]
    };

    // Too long: refused, with nothing changed.
    let long = "д".repeat(301).leak();
    let res = submit(&app, &cookie, &token, &path, fields(long)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("at most 300 characters"));
    assert!(
        join_page(&app, "?lang=uk", None)
            .await
            .contains("Прихильник")
    );

    let res = submit(&app, &cookie, &token, &path, fields("")).await;
    assert_eq!(res.status(), 303);
    let ukrainian = join_page(&app, "?lang=uk", None).await;
    assert!(ukrainian.contains("Друг редакції"), "{ukrainian}");
    assert!(
        ukrainian.contains("Keep us reporting."),
        "no Ukrainian description now: the tier's own"
    );
    let english = join_page(&app, "?lang=en", None).await;
    assert!(english.contains("Supporter") && english.contains("Keep us reporting."));
    let rows: Vec<(String, String, String)> = app
        .read(move |c| {
            tier_texts::table
                .filter(tier_texts::tier_id.eq(supporter))
                .select((tier_texts::lang, tier_texts::name, tier_texts::description))
                .load(c)
        })
        .await;
    assert_eq!(
        rows,
        [("uk".into(), "Друг редакції".into(), String::new())],
        "no row for an empty language"
    );
    let audit = audit_actions(&app, "tier.update").await;
    assert_eq!(audit.len(), 1);
    assert!(
        audit[0]
            .2
            .contains(r#""uk":{"description":"","name":"Друг редакції"}"#),
        "{audit:?}"
    );
}
