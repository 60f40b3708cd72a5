//! `HEAD` answers wherever `GET` does (RFC 9110): uptime monitors, CDNs and link checkers send
//! it, and expect the status and headers `GET` would give, without the body.

use std::collections::BTreeMap;
use std::time::Duration;

use memberdrive::routes::ROUTES;
use reqwest::{Method, Response, header};

use crate::both_backends;
use crate::helpers::{Backend, concrete, request, spawn_app};

both_backends!(
    head_answers_every_get_route_with_the_headers_of_get_and_no_body,
    head_on_the_widget_answers_not_modified_for_a_current_etag
);

/// The headers of an answer, except `Date` (two answers may fall in different seconds).
fn headers_of(res: &Response) -> BTreeMap<String, Vec<String>> {
    let mut headers = BTreeMap::<String, Vec<String>>::new();
    for (name, value) in res.headers() {
        if name != header::DATE {
            headers
                .entry(name.as_str().to_owned())
                .or_default()
                .push(value.to_str().unwrap_or("(not text)").to_owned());
        }
    }
    headers
}

async fn head_answers_every_get_route_with_the_headers_of_get_and_no_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let gets: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .collect();
    assert!(gets.len() >= 10, "the table lists the GET routes");
    let mut with_length = 0;
    for route in gets {
        let path = concrete(route.path);
        let get = request(&app, Method::GET, &path, None)
            .send()
            .await
            .unwrap();
        // The event stream never ends: a HEAD answer that waited for it would not come.
        let head = tokio::time::timeout(
            Duration::from_secs(10),
            request(&app, Method::HEAD, &path, None).send(),
        )
        .await
        .unwrap_or_else(|_| panic!("HEAD {path} answers"))
        .unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}: status");
        let (mut head_headers, mut get_headers) = (headers_of(&head), headers_of(&get));
        if path == "/metrics" {
            // Its body counts the requests before it, the GET among them: a little longer.
            assert!(head_headers.remove("content-length").is_some(), "{path}");
            assert!(get_headers.remove("content-length").is_some(), "{path}");
        }
        assert_eq!(head_headers, get_headers, "HEAD {path}: headers");
        if head.headers().contains_key(header::CONTENT_LENGTH) {
            with_length += 1;
        }
        let body = head.bytes().await.unwrap();
        assert!(body.is_empty(), "HEAD {path}: no body");
    }
    assert!(
        with_length >= 5,
        "Content-Length is compared where GET has it"
    );

    let get = app.get("/widget/members.json").await;
    let head = request(&app, Method::HEAD, "/widget/members.json", None)
        .send()
        .await
        .unwrap();
    let etag = head.headers()[header::ETAG].clone();
    let length = head.headers()[header::CONTENT_LENGTH].clone();
    assert_eq!(etag, get.headers()[header::ETAG]);
    let body = get.bytes().await.unwrap();
    assert_eq!(
        length,
        body.len().to_string().as_str(),
        "the length of GET's body"
    );
}

async fn head_on_the_widget_answers_not_modified_for_a_current_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/widget/members.json",
        "/widget/members.svg",
        "/widget/embed.js",
    ] {
        let get = app.get(path).await;
        let etag = get.headers()[header::ETAG].to_str().unwrap().to_owned();
        let cases = [
            (etag.as_str(), 304, "the current ETag"),
            ("\"stale\"", 200, "another ETag"),
        ];
        for (tag, status, why) in cases {
            let head = request(&app, Method::HEAD, path, None)
                .header(header::IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap();
            assert_eq!(head.status(), status, "HEAD {path} with {why}");
            assert_eq!(head.headers()[header::ETAG], etag.as_str(), "HEAD {path}");
            assert!(head.headers().get(header::SET_COOKIE).is_none(), "{path}");
        }
    }
}
