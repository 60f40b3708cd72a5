//! Public forms refuse what is not text (a NUL byte, invalid UTF-8) at the edge, with the
//! same 400 on both databases, before anything is looked up or stored.

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, members, subscribers, tokens};

use crate::both_backends;
use crate::helpers::{Backend, spawn_app};

both_backends!(control_characters_and_invalid_utf8_in_a_public_form_get_400_and_store_nothing);

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
            let res = app
                .client
                .post(format!("{}{path}", app.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .header(
                    "accept",
                    if json {
                        "application/json"
                    } else {
                        "text/html"
                    },
                )
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{path}, {why}, json: {json}");
            let text = res.text().await.unwrap();
            if json {
                let error: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(error["error"], "invalid_form", "{path}, {why}: {text}");
            } else {
                assert!(text.contains("could not be read"), "{path}, {why}: {text}");
            }
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
