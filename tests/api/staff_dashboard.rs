//! Staff accounts run from the dashboard (`/admin/staff`, admins only): invite, role,
//! disable and enable, reset link, remove, each audited, never locking the dashboard out;
//! and "forgot your password?" on the sign-in page, which tells nobody who has an account.

use std::time::Duration;

use memberdrive::staff::Role;

use crate::admin_manage::audit_actions;
use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, add_staff, csrf_in, get_as, session_of, sign_in, spawn_app, submit,
    text_as, token_of,
};

both_backends!(
    admins_invite_and_manage_staff_from_the_dashboard,
    a_forgotten_password_is_reset_from_the_sign_in_page
);

const WAIT: Duration = Duration::from_secs(30);
const ADMIN: &str = "editor@news.example";
const NEW_PASSWORD: &str = "a long and new passphrase";

/// The first link to `/admin/password?token=` in the newest email to `to` whose subject is
/// `subject`.
async fn password_link(app: &TestApp, to: &str, subject: &str) -> String {
    let prefix = format!("{}/admin/password?token=", app.base_url);
    let mails = app
        .smtp
        .wait_until(subject, WAIT, |m| {
            m.iter()
                .any(|m| m.to == [to] && m.decoded_header("Subject").as_deref() == Some(subject))
        })
        .await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to == [to] && m.decoded_header("Subject").as_deref() == Some(subject))
        .unwrap();
    let text = mail.text_part();
    let start = text.find(&prefix).expect("a link to choose a password");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Chooses `password` through `link`.
async fn choose_password(app: &TestApp, link: &str, password: &str) {
    let res = app
        .client
        .post(format!("{}/admin/password", app.address))
        .form(&[
            ("token", token_of(link).as_str()),
            ("password", password),
            ("repeat", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The row of `email` on the staff page.
fn row<'a>(page: &'a str, email: &str) -> &'a str {
    let start = page
        .find(&format!("<tr data-account=\"{email}\""))
        .unwrap_or_else(|| panic!("no row for {email}"));
    let end = page[start..].find("</tr>").unwrap();
    &page[start..start + end]
}

/// The id in the row's forms.
fn id_in(row: &str) -> String {
    let start = row.find("/admin/staff/").unwrap() + "/admin/staff/".len();
    row[start..].split('"').next().unwrap().to_owned()
}

async fn act(app: &TestApp, cookie: &str, id: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = csrf_in(&text_as(app, "/admin/staff", cookie).await);
    submit(
        app,
        cookie,
        &token,
        &format!("/admin/staff/{id}"),
        fields.to_vec(),
    )
    .await
}

async fn admins_invite_and_manage_staff_from_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, ADMIN, Role::Admin).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let admin = session_of(&app, ADMIN).await;
    let viewer = session_of(&app, "viewer@news.example").await;

    // Viewers neither see the section nor reach it.
    assert!(
        text_as(&app, "/admin", &admin)
            .await
            .contains("href=\"/admin/staff\"")
    );
    assert!(
        !text_as(&app, "/admin", &viewer)
            .await
            .contains("href=\"/admin/staff\"")
    );
    assert_eq!(get_as(&app, "/admin/staff", &viewer).await.status(), 403);

    // An invitation: an account without a password, and an email to choose one.
    let token = csrf_in(&text_as(&app, "/admin/staff", &admin).await);
    for (email, status) in [("not an address", 400), (ADMIN, 409)] {
        let fields = vec![("email", email), ("role", "viewer")];
        let res = submit(&app, &admin, &token, "/admin/staff", fields).await;
        assert_eq!(res.status(), status, "{email}");
    }
    let forged = submit(
        &app,
        &admin,
        "forged",
        "/admin/staff",
        vec![("email", "x@news.example"), ("role", "viewer")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let fields = vec![("email", "New.Reporter@News.example"), ("role", "viewer")];
    let res = submit(&app, &admin, &token, "/admin/staff", fields).await;
    assert_eq!(res.status(), 303);
    let invitee = "new.reporter@news.example";
    let page = text_as(&app, "/admin/staff", &admin).await;
    assert!(row(&page, invitee).contains(">Invited<"));
    assert_eq!(sign_in(&app, invitee, "").await.status(), 401);
    assert_eq!(sign_in(&app, invitee, PASSWORD).await.status(), 401);
    let link = password_link(&app, invitee, "You are invited to the members dashboard").await;
    choose_password(&app, &link, NEW_PASSWORD).await;
    assert_eq!(sign_in(&app, invitee, NEW_PASSWORD).await.status(), 303);
    let page = text_as(&app, "/admin/staff", &admin).await;
    let id = id_in(row(&page, invitee));
    assert!(row(&page, invitee).contains(">Active<"));

    // Role, disable (signed out everywhere), enable, reset link.
    let res = act(
        &app,
        &admin,
        &id,
        &[("action", "set_role"), ("role", "admin")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let session = session_of_with(&app, invitee, NEW_PASSWORD).await;
    assert_eq!(get_as(&app, "/admin/staff", &session).await.status(), 200);
    let res = act(&app, &admin, &id, &[("action", "disable")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(get_as(&app, "/admin/staff", &session).await.status(), 303);
    assert_eq!(sign_in(&app, invitee, NEW_PASSWORD).await.status(), 403);
    // A disabled account gets no reset link; nothing to change twice.
    assert_eq!(
        act(&app, &admin, &id, &[("action", "reset")])
            .await
            .status(),
        409
    );
    assert_eq!(
        act(&app, &admin, &id, &[("action", "disable")])
            .await
            .status(),
        409
    );
    assert_eq!(
        act(&app, &admin, &id, &[("action", "enable")])
            .await
            .status(),
        303
    );
    assert_eq!(sign_in(&app, invitee, NEW_PASSWORD).await.status(), 303);
    assert_eq!(
        act(&app, &admin, &id, &[("action", "reset")])
            .await
            .status(),
        303
    );
    password_link(&app, invitee, "Choose a new password for the dashboard").await;
    assert_eq!(
        act(&app, &admin, &id, &[("action", "launch")])
            .await
            .status(),
        400
    );
    assert_eq!(
        act(&app, &admin, "9999", &[("action", "disable")])
            .await
            .status(),
        404
    );

    // The dashboard is never left without an admin, nor an admin without their own account.
    let page = text_as(&app, "/admin/staff", &admin).await;
    let me = id_in(row(&page, ADMIN));
    for action in ["disable", "remove"] {
        let res = act(&app, &admin, &me, &[("action", action)]).await;
        assert_eq!(res.status(), 409, "{action} myself");
        assert!(res.text().await.unwrap().contains("your own account"));
    }
    let res = act(
        &app,
        &admin,
        &id,
        &[("action", "set_role"), ("role", "viewer")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = act(
        &app,
        &admin,
        &me,
        &[("action", "set_role"), ("role", "viewer")],
    )
    .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("last enabled admin"));

    // Removing: signed out, cannot sign in, gone from the list.
    let res = act(&app, &admin, &id, &[("action", "remove")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(sign_in(&app, invitee, NEW_PASSWORD).await.status(), 401);
    assert!(
        !text_as(&app, "/admin/staff", &admin)
            .await
            .contains(invitee)
    );

    // Every change audited, as the admin who made it.
    for (action, times) in [
        ("staff.invite", 1),
        ("staff.set_role", 2),
        ("staff.disable", 1),
        ("staff.enable", 1),
        ("staff.reset_password", 1),
        ("staff.remove", 1),
    ] {
        let entries = audit_actions(&app, action).await;
        assert_eq!(entries.len(), times, "{action}");
        assert!(
            entries.iter().all(|(actor, ..)| actor.contains(ADMIN)),
            "{action}"
        );
    }
}

/// Asks for a link for `email` on the sign-in page: the status, and the page with the
/// address replaced by `ADDRESS`.
async fn forgot(app: &TestApp, email: &str) -> (u16, String) {
    let res = app
        .client
        .post(format!("{}/admin/password/forgot", app.address))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap().replace(email, "ADDRESS"))
}

/// Signs `email` in with `password`; the session cookie's value.
async fn session_of_with(app: &TestApp, email: &str, password: &str) -> String {
    let res = sign_in(app, email, password).await;
    assert_eq!(res.status(), 303);
    let header = crate::helpers::set_cookie(&res).unwrap();
    let value = header.split(';').next().unwrap();
    value[value.find('=').unwrap() + 1..].to_owned()
}

async fn a_forgotten_password_is_reset_from_the_sign_in_page(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, ADMIN, Role::Admin).await;
    let disabled = "gone@news.example";
    add_staff(&app, disabled, Role::Viewer).await;
    let admin = session_of(&app, ADMIN).await;
    let page = text_as(&app, "/admin/staff", &admin).await;
    let res = act(
        &app,
        &admin,
        &id_in(row(&page, disabled)),
        &[("action", "disable")],
    )
    .await;
    assert_eq!(res.status(), 303);

    let login = app.get("/admin/login").await.text().await.unwrap();
    assert!(login.contains("href=\"/admin/password/forgot?lang=en\""));
    assert_eq!(app.get("/admin/password/forgot").await.status(), 200);
    // The same answer for an account, a disabled one and no account at all.
    let known = forgot(&app, ADMIN).await;
    assert_eq!(known.0, 200);
    assert!(
        known.1.contains("If ADDRESS has a staff account"),
        "{}",
        known.1
    );
    assert_eq!(forgot(&app, "nobody@news.example").await, known);
    assert_eq!(forgot(&app, disabled).await, known);
    assert_eq!(forgot(&app, "not an address").await.0, 400);
    let cross_site = app
        .client
        .post(format!("{}/admin/password/forgot", app.address))
        .header("origin", "https://evil.example")
        .form(&[("email", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    // Only the account's owner got a link; it works.
    let link = password_link(&app, ADMIN, "Choose a new password for the dashboard").await;
    app.wait_for_jobs("email", WAIT).await;
    let mail = app.smtp.messages();
    assert!(
        mail.iter().all(|m| m.to == [ADMIN]),
        "only {ADMIN} was sent mail"
    );
    assert_eq!(mail.len(), 1);
    choose_password(&app, &link, NEW_PASSWORD).await;
    assert_eq!(sign_in(&app, ADMIN, NEW_PASSWORD).await.status(), 303);
    assert_eq!(audit_actions(&app, "staff.forgot_password").await.len(), 1);
}
