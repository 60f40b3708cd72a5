//! What every handler shares below the capabilities: the one error type, the form parser,
//! security headers, request logs, the client's address, CSV and chart rendering.

pub mod charts;
pub mod csrf;
pub mod error;
pub mod form;
pub mod limits;
pub mod spreadsheet;

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};

/// The CSP for our own pages: nothing is loaded from another site.
const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Our CSP for pages whose forms end at Stripe (Checkout, the billing portal): the browser
/// must be allowed to follow the redirect to those origins.
pub fn csp_allowing_forms_to(origins: &[String]) -> String {
    DEFAULT_CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", origins.join(" ")),
    )
}

/// 303 to `location`: after a form that changed something, the browser shows a page that
/// reloading does not post again.
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Adds the security headers every response carries, unless the handler set its own: a
/// response that sets a CSP with `frame-ancestors` wants to be framed, so it gets no
/// `X-Frame-Options`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let framable = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("frame-ancestors") && !v.contains("frame-ancestors 'none'"));
    let defaults: [(HeaderName, &str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !framable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.remove(header::SERVER);
    Ok(res)
}

/// One log line per request: method, path (never the query string, which may carry a token),
/// status and duration.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = next.call(req).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &res {
        // The widget and probes take the site's whole read load: their successes are debug.
        Ok(r) if r.status().as_u16() < 400 && is_high_volume(&path) => tracing::debug!(
            http.method = %method,
            http.path = %path,
            http.status = r.status().as_u16(),
            duration_ms,
            "request"
        ),
        Ok(r) => tracing::info!(
            http.method = %method,
            http.path = %path,
            http.status = r.status().as_u16(),
            duration_ms,
            "request"
        ),
        Err(e) => {
            tracing::warn!(http.method = %method, http.path = %path, error = %e, duration_ms, "request failed")
        }
    }
    res
}

fn is_high_volume(path: &str) -> bool {
    path.starts_with("/widget/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted_proxies.contains(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let peer_proxy = "10.0.0.2:4000".parse().unwrap();
        let stranger = "203.0.113.9:4000".parse().unwrap();
        let cases = [
            (
                stranger,
                "198.51.100.1",
                vec![],
                "203.0.113.9",
                "untrusted peer's header ignored",
            ),
            (
                peer_proxy,
                "198.51.100.1",
                vec![proxy],
                "198.51.100.1",
                "trusted proxy's client used",
            ),
            (
                peer_proxy,
                "1.2.3.4, 198.51.100.1",
                vec![proxy],
                "198.51.100.1",
                "spoofed left entry ignored",
            ),
            (
                peer_proxy,
                "198.51.100.1, 10.0.0.2",
                vec![proxy],
                "198.51.100.1",
                "chain of trusted proxies",
            ),
            (
                peer_proxy,
                "garbage",
                vec![proxy],
                "10.0.0.2",
                "unparsable header falls back to the proxy",
            ),
        ];
        for (peer, xff, trusted, expected, why) in cases {
            let req = TestRequest::default()
                .peer_addr(peer)
                .insert_header(("x-forwarded-for", xff))
                .to_http_request();
            assert_eq!(
                client_ip(&req, &trusted).unwrap().to_string(),
                expected,
                "{why}"
            );
        }
    }
}
