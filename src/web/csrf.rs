//! Cross-site request forgery: a state-changing request must come from one of our own pages
//! and carry the session's token.

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::web::error::AppError;

/// Whether a state-changing request comes from one of our own pages.
///
/// Browsers mark every request with `Sec-Fetch-Site` (all current ones) or at least `Origin`
/// (every POST, for years): only `same-origin` passes, so another site — even a sibling
/// subdomain — cannot submit our forms. A request with neither header does not come from a
/// browser, so no other site can have made a visitor's browser send it; it passes, and must
/// still carry whatever credentials the route asks for.
pub fn same_origin(req: &HttpRequest, settings: &Settings) -> bool {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        return false; // `null` (sandboxed frames, some redirects) or garbage
    };
    if origin.origin() == settings.base_url.origin() {
        return true;
    }
    // Reached under another name than the public URL (an internal address): the browser sent
    // the page's own host as `Host`.
    let authority = match (origin.host_str(), origin.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return false,
    };
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(&authority))
}

/// [`same_origin`] for a form anyone may post (sign-in, a password link, "forgot your
/// password?"): the 403 `cross_site` when it came from another site.
pub fn require_same_origin(req: &HttpRequest, settings: &Settings) -> Result<(), AppError> {
    if same_origin(req, settings) {
        return Ok(());
    }
    Err(AppError::client(
        StatusCode::FORBIDDEN,
        "cross_site",
        "This form was sent from another site.",
    ))
}

/// Whether a submitted CSRF token is the session's (constant time; an empty one never is).
pub fn tokens_match(submitted: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(submitted.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_our_own_pages_may_post() {
        let s = Settings::with_base_url("https://members.example.org");
        type Headers = &'static [(&'static str, &'static str)];
        let cases: [(Headers, bool, &str); 8] = [
            (&[], true, "no browser headers: not a browser"),
            (&[("sec-fetch-site", "same-origin")], true, "same origin"),
            (
                &[("sec-fetch-site", "same-site")],
                false,
                "a sibling subdomain",
            ),
            (&[("sec-fetch-site", "cross-site")], false, "another site"),
            (
                &[("origin", "https://members.example.org")],
                true,
                "public origin",
            ),
            (
                &[("origin", "https://evil.example")],
                false,
                "another origin",
            ),
            (&[("origin", "null")], false, "opaque origin"),
            (
                &[
                    ("origin", "http://10.0.0.5:8080"),
                    ("host", "10.0.0.5:8080"),
                ],
                true,
                "internal name, matching Host",
            ),
        ];
        for (headers, expected, why) in cases {
            let mut req = TestRequest::post().uri("/admin/login");
            for h in headers {
                req = req.insert_header(*h);
            }
            assert_eq!(same_origin(&req.to_http_request(), &s), expected, "{why}");
        }
    }

    #[test]
    fn csrf_tokens_compare_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("ab", "abc"));
        assert!(
            !tokens_match("", ""),
            "an empty expected token matches nothing"
        );
    }
}
