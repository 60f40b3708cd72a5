//! The outlet's brand (`/admin/branding`): with it set, the join page, the thank-you page,
//! the widget (JSON, iframe, SVG) and emails show the outlet's name, logo and colour, on
//! every instance; without it they look as they always did. Bad input changes nothing; a
//! save is audited; viewers cannot change it.

use std::time::Duration;

use memberdrive::admin::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, get_as, session_of, spawn_app, spawn_app_on, submit,
    text_as,
};
use crate::support::wait::eventually;

both_backends!(the_brand_reaches_pages_widget_and_emails_on_every_instance);

const WAIT: Duration = Duration::from_secs(30);
const LOGO: &str = "https://courier.example/logo.png";
const ACCENT: &str = "#c8102e";

/// The public pages that wear the brand.
const PAGES: [&str; 3] = [
    "/join/members",
    "/account?joined=members&lang=en",
    "/newsletters",
];

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

async fn widget_accent(app: &TestApp) -> String {
    let json: serde_json::Value = app.get("/widget/members.json").await.json().await.unwrap();
    json["accent"].as_str().unwrap().to_owned()
}

fn brand_form(token: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf_token", token),
        ("outlet_name", "Kyiv Courier"),
        ("site_url", "https://courier.example/"),
        ("logo_url", LOGO),
        ("accent_colour", "#C8102E"),
        ("sender_name", "Kyiv Courier Members"),
        ("email_footer", "1 Khreshchatyk St\r\nKyiv 01001, Ukraine"),
        ("privacy_url", "https://courier.example/privacy"),
        ("terms_url", "https://courier.example/terms"),
    ]
}

async fn the_brand_reaches_pages_widget_and_emails_on_every_instance(backend: Backend) {
    let app = spawn_app(backend).await;
    // Without a brand: the neutral look, as before.
    for path in PAGES {
        let html = page(&app, path).await;
        assert!(!html.contains("class=\"outlet"), "{path}: {html}");
        assert!(!html.contains("--accent:"), "{path}");
    }
    assert_eq!(widget_accent(&app).await, "#0a58ca");

    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let admin = session_of(&app, "editor@news.example").await;
    let viewer = session_of(&app, "viewer@news.example").await;
    assert_eq!(
        get_as(&app, "/admin/branding", &viewer).await.status(),
        403,
        "viewers cannot see or change the brand"
    );

    // Bad input: every problem is said, nothing is saved.
    let form = text_as(&app, "/admin/branding", &admin).await;
    let token = csrf_in(&form);
    let res = submit(
        &app,
        &admin,
        &token,
        "/admin/branding",
        vec![
            ("outlet_name", "Kyiv Courier"),
            ("site_url", "javascript:alert(1)"),
            ("accent_colour", "red"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let refused = res.text().await.unwrap();
    assert!(
        refused.contains("Your site: enter a full address"),
        "{refused}"
    );
    assert!(refused.contains("six hexadecimal digits"), "{refused}");
    assert!(
        refused.contains(r#"value="javascript:alert(1)""#),
        "what was typed is shown again"
    );
    assert!(audit_actions(&app, "branding.update").await.is_empty());
    assert!(!page(&app, "/join/members").await.contains("Kyiv Courier"));

    // A save without the form's token is refused.
    let mut forged = brand_form("");
    forged.remove(0);
    let res = submit(&app, &admin, "forged", "/admin/branding", forged).await;
    assert_eq!(res.status(), 403);

    let mut fields = brand_form(&token);
    fields.remove(0);
    let res = submit(&app, &admin, &token, "/admin/branding", fields).await;
    assert_eq!(res.status(), 303);
    let saved = text_as(&app, "/admin/branding?done=saved", &admin).await;
    assert!(
        saved.contains(r##"value="#c8102e""##),
        "colour kept in lower case"
    );
    let audit = audit_actions(&app, "branding.update").await;
    assert_eq!(audit.len(), 1);
    assert!(
        audit[0]
            .2
            .contains(r#""outlet_name":{"from":"","to":"Kyiv Courier"}"#),
        "{audit:?}"
    );

    // Pages: the outlet's name and logo link home, the accent, the links at the foot.
    for path in PAGES {
        let html = page(&app, path).await;
        assert!(
            html.contains(r#"<a href="https://courier.example/" class="outlet-home">"#),
            "{path}: {html}"
        );
        assert!(html.contains(&format!(r#"<img src="{LOGO}""#)), "{path}");
        assert!(
            html.contains(r#"<span class="outlet-name">Kyiv Courier</span>"#),
            "{path}"
        );
        assert!(
            html.contains(&format!("--accent: {ACCENT}; --on-accent: #ffffff;")),
            "{path}"
        );
        assert!(
            html.contains(r#"<a href="https://courier.example/privacy">Privacy policy</a>"#),
            "{path}"
        );
        assert!(html.contains("Back to Kyiv Courier"), "{path}");
    }
    // Error pages too, in the reader's language.
    let missing = app.get("/no-such-page?lang=uk").await;
    assert_eq!(missing.status(), 404);
    let missing = missing.text().await.unwrap();
    assert!(missing.contains("Назад до Kyiv Courier"), "{missing}");

    // The widget: JSON, iframe and SVG take the accent.
    eventually("the widget in the outlet's colour", WAIT, || async {
        let accent = widget_accent(&app).await;
        (accent == ACCENT).then_some(()).ok_or(accent)
    })
    .await;
    let frame = page(&app, "/widget/members").await;
    assert!(
        frame.contains(&format!(
            ".light .fill, .light .join {{ background: {ACCENT}; color: #ffffff; }}"
        )),
        "{frame}"
    );
    let svg = page(&app, "/widget/members.svg").await;
    assert!(svg.contains(&format!(r#"fill="{ACCENT}""#)), "{svg}");

    // An email: from the outlet's sender name, with its logo, colour and postal address.
    let res = app
        .post_form(
            "/newsletters/subscribe",
            &[("email", "reader@readers.example"), ("newsletter", "news")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mail = app.smtp.wait_for_messages(1, WAIT).await;
    let from = mail[0].decoded_header("From").unwrap();
    assert_eq!(from, r#""Kyiv Courier Members" <members@news.example>"#);
    let html = mail[0].html_part();
    assert!(html.contains(&format!(r#"<img src="{LOGO}""#)), "{html}");
    assert!(
        html.contains(&format!("background:{ACCENT};color:#ffffff")),
        "{html}"
    );
    assert!(
        html.contains("1 Khreshchatyk St<br>Kyiv 01001, Ukraine"),
        "{html}"
    );
    let text = mail[0].text_part().replace("\r\n", "\n");
    assert!(
        text.contains("\n1 Khreshchatyk St\nKyiv 01001, Ukraine\n"),
        "{text}"
    );

    // Another instance on the same database wears the brand without being told.
    let second = spawn_app_on(app.database.clone(), &[]).await;
    assert!(
        page(&second, "/join/members")
            .await
            .contains("Kyiv Courier")
    );
    assert_eq!(widget_accent(&second).await, ACCENT);
    // ... and a later change reaches it too.
    let token = csrf_in(&text_as(&app, "/admin/branding", &admin).await);
    let mut fields = brand_form(&token);
    fields.remove(0);
    fields.retain(|(k, _)| *k != "accent_colour");
    fields.push(("accent_colour", "#ffd500"));
    assert_eq!(
        submit(&app, &admin, &token, "/admin/branding", fields)
            .await
            .status(),
        303
    );
    eventually("the other instance in the new colour", WAIT, || async {
        let accent = widget_accent(&second).await;
        (accent == "#ffd500").then_some(()).ok_or(accent)
    })
    .await;
    let light = page(&second, "/join/members").await;
    assert!(
        light.contains("--accent: #ffd500; --on-accent: #1b1d21;"),
        "dark text on a light accent"
    );
}
