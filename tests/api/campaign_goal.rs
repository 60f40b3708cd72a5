//! Moving a campaign's goal while a title still names the old one warns the editor (in the
//! title's own spelling of the number, in any language), and the save goes through.

use memberdrive::admin::Role;

use crate::admin_dashboard::{campaign_form, post_pairs};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, add_staff, session_of, spawn_app, text_as};

both_backends!(moving_the_goal_warns_while_a_title_names_the_old_one);

const WARNING: &str = r#"id="goal-in-title""#;

/// Saves the campaign with `changes`; the page it lands on.
async fn save(app: &TestApp, cookie: &str, changes: &[(&str, &str)]) -> (String, String) {
    let form = campaign_form(app, cookie, "members", changes).await;
    let res = post_pairs(app, "/admin/campaigns/members", cookie, &form).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let page = text_as(app, &location, cookie).await;
    (location, page)
}

async fn moving_the_goal_warns_while_a_title_names_the_old_one(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;

    // "Help us reach 20,000 members" (and the Ukrainian "20 000") over a goal of 25,000.
    let (location, page) = save(&app, &cookie, &[("goal", "25000")]).await;
    assert!(
        location.ends_with("?saved=campaign&title_goal=20000"),
        "{location}"
    );
    assert!(page.contains(WARNING), "{page}");
    assert!(
        page.contains("The goal is now 25,000, but a title still says 20,000."),
        "{page}"
    );
    assert!(
        page.contains(r#"value="25000""#),
        "the goal was saved all the same"
    );

    // The titles say the new goal: no warning, for this save or one that keeps the goal.
    let (_, page) = save(
        &app,
        &cookie,
        &[
            ("title", "Help us reach 25,000 members"),
            ("title_uk", "Допоможіть нам об'єднати 25 000 учасників"),
        ],
    )
    .await;
    assert!(!page.contains(WARNING), "{page}");
    // Only the Ukrainian title names the old goal: that is enough to warn.
    let (_, page) = save(
        &app,
        &cookie,
        &[
            ("goal", "30000"),
            ("title", "Help us reach 30k members"),
            ("title_uk", "Допоможіть нам об'єднати 25 000 учасників"),
        ],
    )
    .await;
    assert!(page.contains("a title still says 25,000"), "{page}");
    // "30k" is the goal's own number.
    let (location, page) = save(&app, &cookie, &[("goal", "40000"), ("title_uk", "")]).await;
    assert!(location.ends_with("&title_goal=30000"), "{location}");
    assert!(page.contains("a title still says 30,000"), "{page}");
}
