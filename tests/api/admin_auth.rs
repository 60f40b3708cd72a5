//! Staff access to `/admin`: sign-in and sign-out, sessions and their timeouts, throttling,
//! CSRF, roles, the audit log, `memberdrive staff add`, and a real browser.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::admin::Role;
use memberdrive::admin::throttle::ADDRESS_FAILURES;
use memberdrive::auth::Access;
use memberdrive::auth::session::STAFF;
use memberdrive::db;
use memberdrive::db::schema::{audit_log, sessions, staff_users};
use memberdrive::routes::ROUTES;
use reqwest::header;

use crate::both_backends;
use crate::helpers::{
    Backend, COOKIE, PASSWORD, TestApp, TestDatabase, add_staff, concrete, csrf_in, get_as,
    memberdrive_command, post_as, request, session_of, set_cookie, sign_in, sign_in_from,
    spawn_app, spawn_app_on, spawn_app_with, text_as,
};

both_backends!(
    signing_in_sets_a_strict_cookie_and_a_new_session_each_time,
    the_session_cookie_is_secure_when_the_base_url_is_https,
    signing_out_ends_the_session_on_the_server,
    unknown_emails_and_wrong_passwords_get_the_same_answer_in_the_same_time,
    an_address_is_refused_after_its_failures_and_other_addresses_are_not,
    posts_without_the_session_csrf_token_are_refused_and_change_nothing,
    sign_in_forms_posted_from_another_site_are_refused,
    every_admin_route_refuses_anonymous_requests,
    viewers_see_every_page_but_are_refused_on_admin_only_routes,
    idle_and_absolute_timeouts_end_sessions,
    the_audit_log_lists_entries_newest_first_in_pages,
    staff_add_creates_accounts_and_refuses_bad_input_with_one_line,
);

async fn session_count(app: &TestApp) -> i64 {
    app.count(sessions::table.filter(sessions::staff_user_id.is_not_null()))
        .await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn signing_in_sets_a_strict_cookie_and_a_new_session_each_time(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;

    let form = app.get("/admin/login").await;
    assert_eq!(form.status(), 200);
    assert_eq!(form.headers()[header::CACHE_CONTROL], "no-store");
    let html = form.text().await.unwrap();
    for label in [r#"<label for="email">"#, r#"<label for="password">"#] {
        assert!(html.contains(label), "{label} in {html}");
    }

    let res = sign_in(&app, "  Editor@News.example ", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin");
    let cookie = set_cookie(&res).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let first = session_of(&app, "editor@news.example").await;

    let overview = get_as(&app, "/admin", &first).await;
    assert_eq!(overview.status(), 200);
    assert_eq!(overview.headers()[header::CACHE_CONTROL], "no-store");
    let html = overview.text().await.unwrap();
    assert!(
        html.contains("<h1>Help us reach 20,000 members</h1>"),
        "{html}"
    );
    assert!(html.contains(r#"<span class="email">editor@news.example</span>"#));
    assert!(
        html.contains(r#"<span class="role">admin</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"action="/admin/logout""#));

    // Signing in again, with the old cookie: a new id, and the old session ends.
    let again = request(&app, reqwest::Method::POST, "/admin/login", Some(&first))
        .form(&[("email", "editor@news.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    let second = set_cookie(&again).unwrap();
    let second = second[COOKIE.len() + 1..].split(';').next().unwrap();
    assert_ne!(second, first, "a new session id at each sign-in");
    assert_eq!(get_as(&app, "/admin", second).await.status(), 200);
    assert_eq!(get_as(&app, "/admin", &first).await.status(), 303);

    // Only the hash of the cookie value is stored.
    let stored: Vec<String> = app
        .read(|c| sessions::table.select(sessions::token_hash).load(c))
        .await;
    assert!(!stored.iter().any(|h| h == second || h == &first));
    assert!(stored.contains(&memberdrive::tokens::hash_of(second)));
}

async fn the_session_cookie_is_secure_when_the_base_url_is_https(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("MEMBERDRIVE_BASE_URL", "https://members.news.example")],
    )
    .await;
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let res = sign_in(&app, "editor@news.example", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = set_cookie(&res).unwrap();
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
}

async fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let html = text_as(&app, "/admin", &cookie).await;
    assert_eq!(session_count(&app).await, 1);

    let out = post_as(
        &app,
        "/admin/logout",
        &cookie,
        &[("csrf_token", &csrf_in(&html))],
    )
    .await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/admin/login");
    let cleared = set_cookie(&out).expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(session_count(&app).await, 0, "the row is gone");
    // The old cookie, replayed, no longer works.
    let replay = get_as(&app, "/admin", &cookie).await;
    assert_eq!(replay.status(), 303);
    assert!(location(&replay).starts_with("/admin/login?next="));

    let actions: Vec<String> = app
        .read(|c| {
            audit_log::table
                .order(audit_log::id)
                .select(audit_log::action)
                .load(c)
        })
        .await;
    assert_eq!(actions, ["staff.sign_in", "staff.sign_out"]);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Timing rounds, and wrong-password/unknown-email pairs per round.
const ROUNDS: usize = 3;
const PAIRS: usize = 7;

async fn unknown_emails_and_wrong_passwords_get_the_same_answer_in_the_same_time(backend: Backend) {
    // Each timed attempt comes from its own (forwarded) address, so that the per-address
    // limit does not cut the sample short.
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    for j in 0..PAIRS {
        add_staff(&app, &format!("timed{j}@news.example"), Role::Admin).await;
    }
    // Warm up connections and code paths.
    let _ = sign_in(&app, "warm-up@news.example", "whatever at all").await;

    let normalise = |body: String, email: &str| body.replace(email, "EMAIL");
    let wrong = sign_in(&app, "editor@news.example", "not the password").await;
    let unknown = sign_in(&app, "nobody@news.example", "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), wrong.status());
    assert!(set_cookie(&wrong).is_none() && set_cookie(&unknown).is_none());
    assert_eq!(
        wrong.headers()[header::CONTENT_TYPE],
        unknown.headers()[header::CONTENT_TYPE]
    );
    let wrong = normalise(wrong.text().await.unwrap(), "editor@news.example");
    let unknown = normalise(unknown.text().await.unwrap(), "nobody@news.example");
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("The email address or password is not correct."));

    // Both paths hash, so their medians are close. The suite runs in parallel on two cores,
    // and a burst of other work can skew one round: a round within 50% passes, while a real
    // difference (no hashing for unknown emails: 20 times faster) fails every round.
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for j in 0..PAIRS {
            let from = format!("198.51.100.{}", round * PAIRS + j + 1);
            let timed = |email: String| {
                let (app, from) = (&app, from.clone());
                async move {
                    let started = Instant::now();
                    let res = sign_in_from(app, &email, "still not it", Some(&from)).await;
                    assert_eq!(res.status(), 401, "{email}");
                    started.elapsed()
                }
            };
            known.push(timed(format!("timed{j}@news.example")).await);
            unknown.push(timed(format!("nobody{round}.{j}@news.example")).await);
        }
        let (known, unknown) = (median(known), median(unknown));
        let (fast, slow) = (known.min(unknown), known.max(unknown));
        if slow.as_secs_f64() < fast.as_secs_f64() * 1.5 {
            return;
        }
        rounds.push(format!(
            "wrong password {known:?} vs unknown email {unknown:?}"
        ));
    }
    panic!("timings differ by more than 50% in every round: {rounds:#?}");
}

async fn an_address_is_refused_after_its_failures_and_other_addresses_are_not(backend: Backend) {
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let attacker = Some("198.51.100.7");
    for i in 0..ADDRESS_FAILURES {
        let email = format!("guess{i}@news.example");
        let res = sign_in_from(&app, &email, "wrong password", attacker).await;
        assert_eq!(res.status(), 401, "failure {} from one address", i + 1);
    }
    let res = sign_in_from(&app, "editor@news.example", PASSWORD, attacker).await;
    assert_eq!(res.status(), 429, "the address had its failures");
    let res = sign_in_from(&app, "editor@news.example", PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(res.status(), 303, "another address is unaffected");
}

async fn posts_without_the_session_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let token = csrf_in(&text_as(&app, "/admin", &cookie).await);

    let posts = ROUTES
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.access.is_staff());
    for route in posts {
        let path = concrete(route.path);
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[], "no token"),
            (&[("csrf_token", "")], "empty token"),
            (&[("csrf_token", "forged")], "wrong token"),
            (
                &[("csrf_token", &token[..token.len() - 1])],
                "truncated token",
            ),
        ];
        for (form, why) in cases {
            let res = post_as(&app, &path, &cookie, form).await;
            assert_eq!(res.status(), 403, "{path}: {why}");
        }
        // A wrong header token does not fall back to the form field.
        let res = request(&app, reqwest::Method::POST, &path, Some(&cookie))
            .header("x-csrf-token", "forged")
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}: wrong header token");
    }
    // Nothing changed: the session still works and sign-out was not recorded.
    assert_eq!(get_as(&app, "/admin", &cookie).await.status(), 200);
    assert_eq!(session_count(&app).await, 1);
    let sign_outs: i64 = app
        .count(audit_log::table.filter(audit_log::action.eq("staff.sign_out")))
        .await;
    assert_eq!(sign_outs, 0);

    // The right token in the header works as well as in the form.
    let res = request(&app, reqwest::Method::POST, "/admin/logout", Some(&cookie))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(session_count(&app).await, 0);
}

async fn sign_in_forms_posted_from_another_site_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let form = [("email", "editor@news.example"), ("password", PASSWORD)];
    let cases = [
        ("sec-fetch-site", "cross-site", 403),
        ("sec-fetch-site", "same-site", 403),
        ("origin", "https://evil.example", 403),
        ("origin", "null", 403),
        ("sec-fetch-site", "same-origin", 303),
    ];
    for (name, value, status) in cases {
        let res = app
            .client
            .post(format!("{}/admin/login", app.address))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{name}: {value}");
        assert_eq!(set_cookie(&res).is_some(), status == 303, "{name}: {value}");
    }
    let res = app
        .client
        .post(format!("{}/admin/login", app.address))
        .header("origin", &app.address)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "our own origin");
}

fn method_of(route: &memberdrive::auth::Route) -> reqwest::Method {
    reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap()
}

async fn every_admin_route_refuses_anonymous_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let stale = session_of(&app, "editor@news.example").await;
    app.write(|c| diesel::delete(sessions::table).execute(c))
        .await;
    let protected: Vec<_> = ROUTES.iter().filter(|r| r.access.is_staff()).collect();
    assert!(protected.len() >= 3, "the table lists the routes");
    for route in protected {
        let path = concrete(route.path);
        let what = format!("{} {path}", route.method);
        for cookie in [None, Some("not-a-session"), Some(stale.as_str())] {
            let page = request(&app, method_of(route), &path, cookie)
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .send()
                .await
                .unwrap();
            let api = request(&app, method_of(route), &path, cookie)
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), 401, "{what} as JSON, cookie {cookie:?}");
            let body: serde_json::Value = api.json().await.unwrap();
            assert_eq!(body["error"], "sign_in_required", "{what}");
            if route.method.as_str() == "GET" {
                assert_eq!(page.status(), 303, "{what}, cookie {cookie:?}");
                let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
                assert_eq!(
                    location(&page),
                    format!("/admin/login?next={next}"),
                    "{what}"
                );
            } else {
                assert_eq!(page.status(), 401, "{what}, cookie {cookie:?}");
            }
        }
    }
    // And `next` is followed after signing in.
    let res = app
        .client
        .post(format!("{}/admin/login", app.address))
        .form(&[
            ("email", "editor@news.example"),
            ("password", PASSWORD),
            ("next", "/admin/audit?page=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/audit?page=1");
}

async fn viewers_see_every_page_but_are_refused_on_admin_only_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "viewer@news.example").await;
    let html = text_as(&app, "/admin", &cookie).await;
    assert!(
        html.contains(r#"<span class="role">viewer</span>"#),
        "the role is shown"
    );
    let token = csrf_in(&html);
    for route in ROUTES.iter().filter(|r| r.path.starts_with("/admin")) {
        let path = concrete(route.path);
        let what = format!("{} {path}", route.method);
        let get = route.method.as_str() == "GET";
        let refused = match route.access {
            Access::Admin => true,
            Access::Staff if get => false,
            // Sign-in, and Staff actions such as signing out, are open to viewers.
            _ => continue,
        };
        let mut req = request(&app, method_of(route), &path, Some(&cookie));
        if !get {
            req = req.form(&[("csrf_token", token.as_str())]);
        }
        let status = req.send().await.unwrap().status().as_u16();
        if refused {
            assert_eq!(status, 403, "{what}");
        } else {
            // A page for a made-up id may be 404; it must not refuse the viewer.
            assert!(!matches!(status, 303 | 401 | 403), "{what}: {status}");
        }
    }
}

async fn set_session_times(app: &TestApp, last_seen_at: NaiveDateTime, expires_at: NaiveDateTime) {
    app.write(move |c| {
        diesel::update(sessions::table)
            .set((
                sessions::last_seen_at.eq(last_seen_at),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(c)
    })
    .await;
}

async fn idle_and_absolute_timeouts_end_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let minute = chrono::Duration::minutes(1);
    let later = db::now() + STAFF.absolute;

    // Idle for just under the limit: still signed in, and the idle clock restarts.
    let cookie = session_of(&app, "editor@news.example").await;
    set_session_times(&app, db::now() - STAFF.idle + minute, later).await;
    assert_eq!(get_as(&app, "/admin", &cookie).await.status(), 200);
    let seen: NaiveDateTime = app
        .read(|c| sessions::table.select(sessions::last_seen_at).first(c))
        .await;
    assert!(db::now() - seen < minute, "last_seen_at slides: {seen}");

    // Idle past the limit: signed out, and the row is deleted.
    set_session_times(&app, db::now() - STAFF.idle - minute, later).await;
    let res = get_as(&app, "/admin", &cookie).await;
    assert_eq!(res.status(), 303);
    assert!(
        set_cookie(&res).unwrap().contains("Max-Age=0"),
        "the browser forgets it"
    );
    assert_eq!(session_count(&app).await, 0);

    // Active, but past the absolute limit.
    let cookie = session_of(&app, "editor@news.example").await;
    set_session_times(&app, db::now(), db::now() - minute).await;
    assert_eq!(get_as(&app, "/admin", &cookie).await.status(), 303);
    assert_eq!(session_count(&app).await, 0);

    // A fresh session lasts the absolute timeout from sign-in.
    let _cookie = session_of(&app, "editor@news.example").await;
    let (created, expires): (NaiveDateTime, NaiveDateTime) = app
        .read(|c| {
            sessions::table
                .select((sessions::created_at, sessions::expires_at))
                .first(c)
        })
        .await;
    assert_eq!(expires - created, STAFF.absolute);
}

async fn the_audit_log_lists_entries_newest_first_in_pages(backend: Backend) {
    use memberdrive::audit::{self, Actor};
    use memberdrive::db::PER_PAGE;
    let app = spawn_app(backend).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let total = PER_PAGE + 5;
    app.write(move |c| {
        for i in 0..total {
            let details = serde_json::json!({ "n": i, "name": "<script>" });
            audit::record(
                c,
                &Actor::System,
                "test.event",
                "thing",
                &format!("t{i}"),
                &details,
            )?;
        }
        Ok(())
    })
    .await;
    let cookie = session_of(&app, "viewer@news.example").await;

    let first = get_as(&app, "/admin/audit", &cookie).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()[header::CACHE_CONTROL], "no-store");
    let html = first.text().await.unwrap();
    // The sign-in (recorded last) comes first, then the events from the newest.
    let signed_in = html.find("staff.sign_in").expect("the sign-in is listed");
    let newest = html
        .find(&format!("thing t{}<", total - 1))
        .expect("newest event");
    assert!(signed_in < newest);
    assert!(html.contains(r#"aria-current="page""#) && html.contains("Audit log"));
    assert!(!html.contains("<script>"), "details are escaped");
    assert!(
        html.contains(r#"href="/admin/audit?page=2""#),
        "a link to older entries"
    );
    assert!(!html.contains("thing t0<"), "the oldest is on page 2");

    let second = text_as(&app, "/admin/audit?page=2", &cookie).await;
    assert!(second.contains("thing t0<") && second.contains("thing t1<"));
    assert!(second.contains(r#"href="/admin/audit?page=1""#));
    assert!(!second.contains("?page=3"));
}

fn memberdrive(database: &TestDatabase) -> Command {
    let mut cmd = memberdrive_command();
    cmd.env("DATABASE_URL", &database.url);
    cmd
}

/// Runs `memberdrive ARGS` with `stdin`; returns (success, stdout, stderr).
fn run(database: &TestDatabase, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = memberdrive(database)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // A command refused for its arguments may exit before it reads its input.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn staff_add_creates_accounts_and_refuses_bad_input_with_one_line(backend: Backend) {
    let database = std::sync::Arc::new(
        tokio::task::spawn_blocking(move || TestDatabase::new(backend))
            .await
            .unwrap(),
    );
    let db = database.clone();
    let outcomes = tokio::task::spawn_blocking(move || {
        let line = format!("{PASSWORD}\n");
        let admin = run(
            &db,
            &[
                "staff",
                "add",
                "Admin@News.example",
                "--role",
                "admin",
                "--password-stdin",
            ],
            &line,
        );
        let viewer = run(
            &db,
            &["staff", "add", "viewer@news.example", "--password-stdin"],
            "twelve chars\r\n",
        );
        let help = run(&db, &["staff", "add", "--help"], "");
        let cases = [
            (
                vec!["new@news.example"],
                "eleven char\n".to_owned(),
                "too short",
                "short password",
            ),
            (
                vec!["admin@news.example"],
                line.clone(),
                "a staff account for admin@news.example already exists",
                "existing email",
            ),
            (
                vec!["ADMIN@news.example"],
                line.clone(),
                "already exists",
                "existing email, other case",
            ),
            (
                vec!["not-an-email"],
                line.clone(),
                "\"not-an-email\" is not a valid email address",
                "bad email",
            ),
            (
                vec!["new@news.example"],
                String::new(),
                "no password on standard input",
                "empty stdin",
            ),
        ];
        let failures: Vec<_> = cases
            .into_iter()
            .map(|(extra, stdin, expected, why)| {
                let mut args = vec!["staff", "add"];
                args.extend(extra);
                args.push("--password-stdin");
                (run(&db, &args, &stdin), expected, why)
            })
            .collect();
        let bad_role = run(
            &db,
            &[
                "staff",
                "add",
                "x@news.example",
                "--role",
                "owner",
                "--password-stdin",
            ],
            &line,
        );
        (admin, viewer, help, failures, bad_role)
    })
    .await
    .unwrap();
    let (admin, viewer, help, failures, bad_role) = outcomes;

    assert!(admin.0, "staff add failed: {}", admin.2);
    assert_eq!(
        admin.1.trim(),
        "created admin account admin@news.example (id 1)"
    );
    assert!(viewer.0, "{}", viewer.2);
    assert!(
        viewer
            .1
            .contains("created viewer account viewer@news.example"),
        "the default role"
    );
    assert!(
        help.0
            && help.1.contains("Usage: memberdrive staff add")
            && help.1.contains("--password-stdin")
    );
    for ((ok, _, stderr), expected, why) in failures {
        assert!(!ok, "{why}: accepted");
        assert_eq!(stderr.lines().count(), 1, "{why}: one line, got {stderr:?}");
        assert!(
            stderr.starts_with("memberdrive: ") && stderr.contains(expected),
            "{why}: {stderr:?}"
        );
    }
    assert!(
        !bad_role.0 && bad_role.2.contains("owner"),
        "{}",
        bad_role.2
    );

    // What was stored: two accounts, argon2id with at least OWASP's parameters, and the audit.
    let app = spawn_app_on(database, &[]).await;
    let accounts: Vec<(String, String, String)> = app
        .read(|c| {
            staff_users::table
                .order(staff_users::id)
                .select((
                    staff_users::email,
                    staff_users::role,
                    staff_users::password_hash,
                ))
                .load(c)
        })
        .await;
    let roles: Vec<(&str, &str)> = accounts
        .iter()
        .map(|(e, r, _)| (e.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("admin@news.example", "admin"),
            ("viewer@news.example", "viewer")
        ]
    );
    for (email, _, phc) in &accounts {
        let (m, t, p) = argon2_params(phc);
        assert!(
            m >= 19_456 && t >= 2 && p >= 1,
            "{email}: m={m} t={t} p={p}"
        );
    }
    let audit: Vec<(String, String, String)> = app
        .read(|c| {
            audit_log::table
                .order(audit_log::id)
                .select((audit_log::actor, audit_log::action, audit_log::details))
                .load(c)
        })
        .await;
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|(actor, action, _)| actor == "cli" && action == "staff.create")
    );
    assert!(audit[0].2.contains("\"role\":\"admin\""), "{:?}", audit[0]);

    // The account works: the password from standard input signs in.
    assert_eq!(
        sign_in(&app, "admin@news.example", PASSWORD).await.status(),
        303
    );
    assert_eq!(
        sign_in(&app, "viewer@news.example", "twelve chars")
            .await
            .status(),
        303
    );
}

/// `(m, t, p)` of a PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
fn argon2_params(phc: &str) -> (u32, u32, u32) {
    let parts: Vec<&str> = phc.split('$').collect();
    assert_eq!(parts.len(), 6, "not a PHC string: {phc}");
    assert_eq!(parts[1], "argon2id", "{phc}");
    assert_eq!(parts[2], "v=19", "{phc}");
    let value = |name: &str| -> u32 {
        parts[3]
            .split(',')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {phc}"))
            .parse()
            .unwrap()
    };
    (value("m"), value("t"), value("p"))
}

/// The dashboard's colours meet WCAG AA (4.5:1) in light and dark mode.
#[test]
fn dashboard_colours_have_aa_contrast_in_light_and_dark_mode() {
    let css = include_str!("../../static/admin.css");
    let dark_at = css.find("prefers-color-scheme: dark").unwrap();
    let palette = |block: &str| -> std::collections::HashMap<String, [f64; 3]> {
        block
            .split(';')
            .filter_map(|decl| {
                let (name, value) = decl[decl.rfind("--")?..].split_once(':')?;
                let hex = value.trim().strip_prefix('#')?;
                let hex = match hex.len() {
                    3 => hex.chars().flat_map(|c| [c, c]).collect(),
                    6 => hex.to_owned(),
                    _ => return None,
                };
                let channel =
                    |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                Some((name.to_owned(), [channel(0), channel(2), channel(4)]))
            })
            .collect()
    };
    let luminance = |c: [f64; 3]| {
        let lin = |v: f64| {
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
    };
    let ratio = |a, b| {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    };
    let pairs = [
        ("--fg", "--bg"),
        ("--fg", "--card"),
        ("--muted", "--bg"),
        ("--muted", "--card"),
        ("--accent", "--bg"),
        ("--accent", "--card"),
        ("--on-accent", "--accent"),
        ("--on-top", "--top"),
        ("--alert-fg", "--alert-bg"),
        ("--fg", "--current"),
    ];
    for (mode, block) in [("light", &css[..dark_at]), ("dark", &css[dark_at..])] {
        let colours = palette(block.split("\n}\n").next().unwrap());
        for (fg, bg) in pairs {
            let r = ratio(colours[fg], colours[bg]);
            assert!(r >= 4.5, "{mode}: {fg} on {bg} is {r:.2}:1");
        }
    }
}
