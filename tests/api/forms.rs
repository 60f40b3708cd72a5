//! Forms, paths and query strings refuse what is not text (a NUL byte, invalid UTF-8) at the
//! edge, with the same 400 on both databases, before anything is looked up or stored.

use diesel::prelude::*;
use memberdrive::db::schema::{
    audit_log, campaigns, jobs, members, newsletters, subscribers, tokens,
};
use memberdrive::staff::Role;

use crate::both_backends;
use crate::helpers::{Backend, add_staff, csrf_in, request, session_of, spawn_app, text_as};

both_backends!(
    control_characters_and_invalid_utf8_in_a_public_form_get_400_and_store_nothing,
    staff_forms_paths_and_searches_refuse_what_is_not_text_and_change_nothing
);

/// Sends `req` asking for JSON or a page, and expects the 400 that refuses what is not text:
/// `code` in JSON, the readable message on a page.
async fn assert_refused(req: reqwest::RequestBuilder, json: bool, code: &str, case: &str) {
    let accept = if json {
        "application/json"
    } else {
        "text/html"
    };
    let res = req.header("accept", accept).send().await.unwrap();
    assert_eq!(res.status(), 400, "{case}, json: {json}");
    let text = res.text().await.unwrap();
    if json {
        let error: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["error"], code, "{case}: {text}");
    } else {
        assert!(text.contains("could not be read"), "{case}: {text}");
    }
}

async fn control_characters_and_invalid_utf8_in_a_public_form_get_400_and_store_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let cases: [(&str, &[u8], &str); 9] = [
        (
            "/newsletters/subscribe",
            b"email=a%00b%40news.example&newsletter=news",
            "a NUL byte in the address",
        ),
        (
            "/newsletters/subscribe",
            b"email=%FF%FE%40news.example&newsletter=news",
            "invalid UTF-8 in the address",
        ),
        (
            "/newsletters/subscribe",
            b"email=\xff\xfe@news.example&newsletter=news",
            "raw invalid UTF-8 in the address",
        ),
        (
            "/newsletters/subscribe",
            b"email=a%40news.example&newsletter=%00",
            "a NUL byte in a newsletter",
        ),
        (
            "/join",
            b"campaign=%00&amount=1000&interval=month",
            "a NUL byte in the campaign",
        ),
        (
            "/join",
            b"email=%FF%FE%40news.example&amount=1000&interval=month",
            "invalid UTF-8 in the address",
        ),
        (
            "/account/sign-in",
            b"email=a%00b%40news.example",
            "a NUL byte in the address",
        ),
        (
            "/account/sign-in",
            b"email=%FF%FE%40news.example",
            "invalid UTF-8 in the address",
        ),
        (
            "/newsletters/manage",
            b"token=%00&newsletter=news",
            "a NUL byte in the token",
        ),
    ];
    for (path, body, why) in cases {
        // The routes that answer JSON to a caller who asks for it, and every route in HTML.
        let modes: &[bool] = match path {
            "/newsletters/subscribe" | "/join" => &[true, false],
            _ => &[false],
        };
        for &json in modes {
            let req = app
                .client
                .post(format!("{}{path}", app.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec());
            assert_refused(req, json, "invalid_form", &format!("{path}, {why}")).await;
        }
    }
    let stored: (i64, i64, i64, i64) = app
        .db
        .read(|c| {
            Ok((
                subscribers::table.count().get_result(c)?,
                members::table.count().get_result(c)?,
                tokens::table.count().get_result(c)?,
                jobs::table.count().get_result(c)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(stored, (0, 0, 0, 0), "subscribers, members, tokens, jobs");
}

async fn staff_forms_paths_and_searches_refuse_what_is_not_text_and_change_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let token = csrf_in(&text_as(&app, "/admin/campaigns/new", &cookie).await);
    let counts = || async {
        app.db
            .read(|c| {
                Ok((
                    campaigns::table.count().get_result::<i64>(c)?,
                    newsletters::table.count().get_result::<i64>(c)?,
                    audit_log::table.count().get_result::<i64>(c)?,
                ))
            })
            .await
            .unwrap()
    };
    let before = counts().await;

    // Forms: a staff member's (with a valid CSRF token) and the sign-in form.
    let forms: [(&str, Vec<u8>, &str); 5] = [
        (
            "/admin/campaigns",
            format!("slug=spring&title=A%00B&goal=100&metric=members&csrf_token={token}").into(),
            "a NUL byte in a campaign title",
        ),
        (
            "/admin/newsletters",
            format!("slug=weekly&name=%00&csrf_token={token}").into(),
            "a NUL byte in a newsletter name",
        ),
        (
            "/admin/newsletters",
            [
                &b"slug=weekly&name=\xff\xfe&csrf_token="[..],
                token.as_bytes(),
            ]
            .concat(),
            "invalid UTF-8 in a newsletter name",
        ),
        (
            "/admin/login",
            b"email=a%00b%40news.example&password=x".to_vec(),
            "a NUL byte in the sign-in address",
        ),
        (
            "/admin/login",
            b"email=%FF%FE%40news.example&password=x".to_vec(),
            "invalid UTF-8 in the sign-in address",
        ),
    ];
    for (path, body, why) in forms {
        let res = request(&app, reqwest::Method::POST, path, Some(&cookie))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path}: {why}");
        let text = res.text().await.unwrap();
        assert!(text.contains("control character"), "{path}: {why}: {text}");
    }

    // Paths and query strings, for staff and readers, as pages and as JSON.
    for (path, why) in [
        ("/admin/members?q=%00", "a NUL byte in the member search"),
        (
            "/admin/members?q=%FF%FE",
            "invalid UTF-8 in the member search",
        ),
        ("/admin/campaigns/%00", "a NUL byte as a campaign"),
        ("/admin/newsletters/a%00b", "a NUL byte as a newsletter"),
        ("/join/%00", "a NUL byte as the campaign to join"),
        ("/join/%C3", "a truncated UTF-8 sequence as the campaign"),
        (
            "/widget/members.json?lang=%00",
            "a NUL byte as the widget's language",
        ),
        ("/newsletters?lang=%1B", "an escape as the language"),
    ] {
        for json in [false, true] {
            let req = request(&app, reqwest::Method::GET, path, Some(&cookie));
            assert_refused(req, json, "invalid_address", &format!("{path}: {why}")).await;
        }
    }
    // What is text still works, non-ASCII included.
    let res = request(
        &app,
        reqwest::Method::GET,
        "/admin/members?q=%D0%BE%D0%BB%D0%B5%D0%BD%D0%B0",
        Some(&cookie),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        counts().await,
        before,
        "campaigns, newsletters, audit entries"
    );
}
