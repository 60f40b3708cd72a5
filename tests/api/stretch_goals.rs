//! Stretch goals: a campaign that reaches its goal moves on to the next, and keeps the record.

use std::time::Duration;

use memberdrive::staff::Role;

use crate::admin_dashboard::{campaign_form, post_pairs};
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, join, session_of, spawn_app_with_stripe, text_as,
};
use crate::support::stripe_server::Delivery;
use crate::support::wait::eventually;

both_backends!(a_reached_goal_moves_on_to_the_next_stretch_goal);

const WAIT: Duration = Duration::from_secs(30);

/// The widget JSON once `holds` of it (the board follows the database within a second).
async fn widget_when(
    app: &TestApp,
    what: &str,
    holds: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    eventually(what, WAIT, || async {
        let json = app.widget_json("members").await;
        if holds(&json) { Ok(json) } else { Err(json) }
    })
    .await
}

async fn a_reached_goal_moves_on_to_the_next_stretch_goal(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;

    // Stretch goals must lie above the goal, ascending.
    for bad in ["1", "3, 2", "two"] {
        let form = campaign_form(
            &app,
            &cookie,
            "members",
            &[("goal", "2"), ("milestones", ""), ("stretch_goals", bad)],
        )
        .await;
        let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("ascending numbers above the goal")
        );
    }
    let form = campaign_form(
        &app,
        &cookie,
        "members",
        &[("goal", "2"), ("milestones", ""), ("stretch_goals", "3, 5")],
    )
    .await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    let json = widget_when(&app, "the goal of 2", |j| j["goal"] == 2).await;
    assert_eq!(
        (json["goal"].as_i64(), json["next_goals"].clone()),
        (Some(2), serde_json::json!([3, 5]))
    );

    // Two members reach the goal: the campaign goes on to 3 and says so.
    for reader in ["a@news.example", "b@news.example"] {
        let form = [
            ("email", reader),
            ("tier", "supporter"),
            ("interval", "month"),
        ];
        let session = join(&app, &stripe, &form).await;
        stripe.pay_checkout(&session);
    }
    stripe.deliver(Delivery::Shuffled(3)).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    let json = widget_when(&app, "two members", |j| j["count"] == 2).await;
    assert_eq!(json["goal"], 3, "{json}");
    assert_eq!(json["reached"], false);
    assert_eq!(json["next_goals"], serde_json::json!([5]));
    assert_eq!(json["goals_reached"][0]["goal"], 2, "{json}");
    assert!(
        json["goals_reached"][0]["reached_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let frame = app.get("/widget/members").await.text().await.unwrap();
    assert!(frame.contains("2 reached — next: 3"), "{frame}");
    let uk = app
        .get("/widget/members?lang=uk")
        .await
        .text()
        .await
        .unwrap();
    assert!(uk.contains("2 досягнуто — далі: 3"), "{uk}");

    // The dashboard keeps the record and shows the goal now.
    let page = text_as(&app, "/admin/campaigns/members", &cookie).await;
    assert!(page.contains(r#"data-goal-reached="2""#), "{page}");
    assert!(page.contains("Now going for 3, the next stretch goal."));
    assert!(
        page.contains(r#"name="stretch_goals" type="text" value="5""#),
        "{page}"
    );
}
