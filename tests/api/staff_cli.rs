//! `memberdrive staff list | set-role | disable | enable | reset-password` against the database
//! of a running service, as an operator runs them beside it.

use std::process::Output;
use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{audit_log, staff_users};
use memberdrive::staff::Role;

use crate::both_backends;
use crate::helpers::{Backend, token_of};
use crate::helpers::{
    PASSWORD, TestApp, add_staff, get_as, memberdrive_command, session_of, sign_in, spawn_app,
};

both_backends!(
    staff_accounts_are_listed_and_managed_from_the_command_line,
    a_reset_link_sets_a_new_password_once_and_signs_the_account_out,
);

const WAIT: Duration = Duration::from_secs(30);
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Runs `memberdrive staff ARGS…` on the app's database, off the async runtime.
async fn staff(app: &TestApp, args: &[&str]) -> Output {
    let mut cmd = memberdrive_command();
    cmd.arg("staff")
        .args(args)
        .env("DATABASE_URL", &app.database.url)
        .env("MEMBERDRIVE_BASE_URL", &app.base_url)
        .env("RUST_LOG", "warn");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The one-line reason of a command that failed.
fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr.lines().last().unwrap_or_default().to_owned()
}

async fn role_of(app: &TestApp, email: &'static str) -> String {
    app.read(move |c| {
        staff_users::table
            .filter(staff_users::email.eq(email))
            .select(staff_users::role)
            .first(c)
    })
    .await
}

async fn audited(app: &TestApp, action: &'static str) -> i64 {
    app.count(audit_log::table.filter(audit_log::action.eq(action)))
        .await
}

/// The row of `email` in `staff list`, split into its columns.
fn listed(list: &str, email: &str) -> Vec<String> {
    list.lines()
        .find(|line| line.starts_with(&format!("{email} ")))
        .unwrap_or_else(|| panic!("{email} is not listed:\n{list}"))
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn staff_accounts_are_listed_and_managed_from_the_command_line(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    add_staff(&app, "intern@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "editor@news.example").await;

    let list = succeeded(&staff(&app, &["list"]).await);
    assert!(list.starts_with("EMAIL "), "a header line:\n{list}");
    let editor = listed(&list, "editor@news.example");
    assert_eq!(editor[1..3], ["admin", "active"], "{list}");
    assert!(editor[3].starts_with("20"), "a last sign-in time: {list}");
    assert_eq!(
        listed(&list, "intern@news.example")[1..],
        ["viewer", "active", "never"]
    );

    // A new role, audited; the same role again changes nothing.
    let out = staff(&app, &["set-role", "Intern@News.example", "admin"]).await;
    assert_eq!(succeeded(&out).trim(), "intern@news.example is now admin");
    assert_eq!(role_of(&app, "intern@news.example").await, "admin");
    let out = staff(&app, &["set-role", "intern@news.example", "admin"]).await;
    assert_eq!(
        succeeded(&out).trim(),
        "intern@news.example is already admin"
    );
    assert_eq!(audited(&app, "staff.set_role").await, 1);

    // Bad input: a clear one-line reason, nothing changed.
    let out = staff(&app, &["set-role", "nobody@news.example", "viewer"]).await;
    assert!(failed(&out).contains("there is no staff account for nobody@news.example"));
    let out = staff(&app, &["set-role", "intern@news.example", "owner"]).await;
    assert!(!out.status.success());
    // clap's usage error: the reason, then a line pointing at --help.
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'owner'"));
    let out = staff(&app, &["disable", "not an address"]).await;
    assert!(failed(&out).contains("is not a valid email address"));
    assert_eq!(role_of(&app, "intern@news.example").await, "admin");

    // Disabled: signed out at once, and the right password no longer signs in.
    let out = staff(&app, &["disable", "editor@news.example"]).await;
    assert!(succeeded(&out).starts_with("disabled editor@news.example"));
    let res = get_as(&app, "/admin", &cookie).await;
    assert_eq!(res.status(), 303, "the session ended");
    let res = sign_in(&app, "editor@news.example", PASSWORD).await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This account is disabled")
    );
    let res = sign_in(&app, "editor@news.example", "a wrong password!").await;
    assert_eq!(res.status(), 401, "a wrong password learns nothing more");
    let list = succeeded(&staff(&app, &["list"]).await);
    assert_eq!(listed(&list, "editor@news.example")[2], "disabled");
    let out = staff(&app, &["reset-password", "editor@news.example"]).await;
    assert!(failed(&out).contains("is disabled: enable it first"));

    // Enabled again: the password works.
    let out = staff(&app, &["enable", "editor@news.example"]).await;
    assert!(succeeded(&out).starts_with("enabled editor@news.example"));
    let res = sign_in(&app, "editor@news.example", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(audited(&app, "staff.disable").await, 1);
    assert_eq!(audited(&app, "staff.enable").await, 1);
}

async fn a_reset_link_sets_a_new_password_once_and_signs_the_account_out(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;

    let out = staff(
        &app,
        &["reset-password", "editor@news.example", "--lang", "uk"],
    )
    .await;
    assert!(succeeded(&out).starts_with("queued a password-reset link for editor@news.example"));
    let mail = app.smtp.wait_for_messages(1, WAIT).await.remove(0);
    assert_eq!(
        mail.decoded_header("Subject").unwrap(),
        "Новий пароль до панелі керування"
    );
    let text = mail.text_part();
    let prefix = format!("{}/admin/password?token=", app.base_url);
    let start = text.find(&prefix).expect("a reset link to the base URL");
    let link = text[start..].split_whitespace().next().unwrap().to_owned();
    assert!(link.ends_with("&lang=uk"), "{link}");
    let token = token_of(&link);
    let path = &link[app.base_url.len()..];

    // The page: the form, in the language of the email; the link is not used by looking.
    let res = app.client.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Оберіть новий пароль для editor@news.example"),
        "{page}"
    );
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);

    // Passwords that cannot be used change nothing.
    let post = |password: &str, repeat: &str| {
        app.client
            .post(format!("{}{path}", app.address))
            .form(&[
                ("token", token.as_str()),
                ("password", password),
                ("repeat", repeat),
            ])
            .send()
    };
    for (password, repeat, says) in [
        (NEW_PASSWORD, "another passphrase", "Паролі не збігаються."),
        ("too short", "too short", "Пароль закороткий"),
    ] {
        let res = post(password, repeat).await.unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains(says), "{says}");
    }
    let res = sign_in(&app, "editor@news.example", PASSWORD).await;
    assert_eq!(res.status(), 303, "the old password still works");

    // The new password: stored, every session ended, audited.
    let res = post(NEW_PASSWORD, NEW_PASSWORD).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Пароль змінено"));
    assert_eq!(get_as(&app, "/admin", &cookie).await.status(), 303);
    assert_eq!(
        sign_in(&app, "editor@news.example", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        sign_in(&app, "editor@news.example", NEW_PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(audited(&app, "staff.reset_password").await, 1);
    assert_eq!(audited(&app, "staff.password_changed").await, 1);

    // The link works once; a made-up one never.
    assert_eq!(
        post("yet another passphrase", "yet another passphrase")
            .await
            .unwrap()
            .status(),
        410
    );
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 410);
    let forged = format!("{}/admin/password?token={}", app.address, "A".repeat(43));
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 400);
    assert_eq!(
        sign_in(&app, "editor@news.example", NEW_PASSWORD)
            .await
            .status(),
        303
    );
}
