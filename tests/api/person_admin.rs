//! A person's data from the dashboard (admins): everything held about an address as JSON,
//! and erasing it once the address is typed again; both audited, viewers refused.

use std::time::Duration;

use memberdrive::staff::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::erasure::places_holding;
use crate::helpers::{
    Backend, add_staff, csrf_in, deliver_twice, get_as, join, session_of, spawn_app_with_stripe,
    submit, text_as,
};
use crate::webhooks_out::subscribe_and_confirm;

both_backends!(admins_export_and_erase_a_person_from_the_dashboard);

const READER: &str = "gdpr.reader@readers.example";
const WAIT: Duration = Duration::from_secs(30);

async fn admins_export_and_erase_a_person_from_the_dashboard(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let admin = session_of(&app, "editor@news.example").await;
    let viewer = session_of(&app, "viewer@news.example").await;
    // A paying member who also reads the newsletter.
    let form = [
        ("email", READER),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let subscription = stripe
        .pay_checkout(&join(&app, &stripe, &form).await)
        .subscription
        .unwrap();
    deliver_twice(&app, &stripe).await;
    subscribe_and_confirm(&app, READER).await;
    app.wait_for_jobs("email", WAIT).await;

    // The export: everything held, as JSON, to admins only.
    let path = format!("/admin/people/export?email={}", READER.replace('@', "%40"));
    assert_eq!(get_as(&app, &path, &viewer).await.status(), 403);
    let res = get_as(&app, &path, &admin).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: serde_json::Value = res.json().await.unwrap();
    assert_eq!(data["email"], READER);
    let membership = &data["member"]["memberships"][0];
    assert_eq!(membership["campaign"], "members");
    assert_eq!(membership["interval"], "month");
    assert_eq!(membership["status"], "active");
    assert!(data["member"]["payments"][0]["amount"].as_i64().unwrap() > 0);
    let subscription_of_news = &data["subscriber"]["subscriptions"][0];
    assert_eq!(subscription_of_news["newsletter"], "news");
    assert_eq!(subscription_of_news["status"], "confirmed");
    assert!(subscription_of_news["confirmed_at"].is_string());
    let kinds: Vec<&str> = data["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["welcome", "receipt", "confirm"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        !data.to_string().contains("token="),
        "no links in the export"
    );
    let nobody = get_as(
        &app,
        "/admin/people/export?email=nobody%40news.example",
        &admin,
    )
    .await;
    assert_eq!(nobody.status(), 404);
    assert_eq!(audit_actions(&app, "person.export").await.len(), 1);

    // Erasing: from the member's page, the address typed again.
    let members = text_as(&app, &format!("/admin/members?q={READER}"), &admin).await;
    let start = members.find("/admin/members/").unwrap();
    let member_path: String = members[start..].split('"').next().unwrap().to_owned();
    let page = text_as(&app, &member_path, &admin).await;
    assert!(page.contains("action=\"/admin/people/erase\""));
    assert!(
        !text_as(&app, &member_path, &viewer)
            .await
            .contains("/admin/people/erase")
    );
    let token = csrf_in(&page);
    let erase = |confirm: &'static str| {
        submit(
            &app,
            &admin,
            &token,
            "/admin/people/erase",
            vec![("email", READER), ("confirm", confirm)],
        )
    };
    assert_eq!(erase("someone.else@readers.example").await.status(), 400);
    let res = erase(READER).await;
    assert_eq!(res.status(), 409, "a membership still bills them");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("cancel it in Stripe first")
    );
    assert!(!places_holding(&app, "gdpr.reader").await.is_empty());

    stripe.end_subscription(&subscription);
    deliver_twice(&app, &stripe).await;
    let res = erase(READER).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Erase the customer at Stripe too")
    );
    assert_eq!(
        places_holding(&app, "gdpr.reader").await,
        Vec::<String>::new()
    );
    assert_eq!(get_as(&app, &path, &admin).await.status(), 404);
    let erased = audit_actions(&app, "person.erase").await;
    assert_eq!(erased.len(), 1);
    assert!(erased[0].0.contains("editor@news.example"));
}
