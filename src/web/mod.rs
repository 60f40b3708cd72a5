//! What every handler shares below the capabilities: the one error type, the form parser,
//! security headers, request logs, the client's address, CSV and chart rendering.

pub mod charts;
pub mod csrf;
pub mod error;
pub mod form;
pub mod limits;
pub mod spreadsheet;

use std::future::{Future, Ready, ready};
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{Error, HttpRequest, HttpResponse, ResponseError};
use pin_project_lite::pin_project;
use sha2::Digest as _;

/// The CSP for our own pages: nothing is loaded from another site.
const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Our CSP for pages whose forms end at Stripe (Checkout, the billing portal): the browser
/// must be allowed to follow the redirect to those origins.
pub fn csp_allowing_forms_to(origins: &[String]) -> String {
    DEFAULT_CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", origins.join(" ")),
    )
}

/// Our CSP for a page that runs one inline script of ours besides, named by its `hash`
/// (`'sha256-…'`).
pub fn csp_allowing_script(hash: &str) -> String {
    DEFAULT_CSP.replace("script-src 'self'", &format!("script-src 'self' {hash}"))
}

/// Lets `res` (a page whose forms end at Stripe) send its forms on to Stripe: it takes the
/// `csp` of [`csp_allowing_forms_to`] (Chromium applies `form-action` to the redirect that
/// follows a form, so the default CSP would stop the reader at our 303).
pub fn posting_to_stripe(
    mut res: HttpResponse,
    csp: &str,
) -> Result<HttpResponse, error::AppError> {
    let csp = HeaderValue::from_str(csp).map_err(error::AppError::internal)?;
    res.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    Ok(res)
}

/// A strong `ETag` for `body`: a quoted prefix of its SHA-256, made once per body.
pub fn strong_etag(body: &[u8]) -> HeaderValue {
    let digest = sha2::Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .expect("hex is a valid header value")
}

/// 303 to `location`: after a form that changed something, the browser shows a page that
/// reloading does not post again.
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// What every request passes through, in one hand-written middleware (a `from_fn` layer
/// costs the widget's hot path a boxed future per request): an address that is not text is
/// refused before routing ([`form::unreadable_url`]); every answer gets the security headers;
/// one log line.
pub struct Edge;

impl<S, B> Transform<S, ServiceRequest> for Edge
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = EdgeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeService { service }))
    }
}

/// The service [`Edge`] wraps the application in.
pub struct EdgeService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for EdgeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Edged<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let inner = match form::unreadable_url(req.request()) {
            Some(refusal) => Step::Refused {
                res: Some(req.into_response(refusal.error_response())),
            },
            None => Step::Routed {
                fut: self.service.call(req),
            },
        };
        Edged { inner, started }
    }
}

pin_project! {
    /// A request's answer, finished by [`Edge`] when it is ready.
    pub struct Edged<F> {
        #[pin]
        inner: Step<F>,
        started: Instant,
    }
}

pin_project! {
    /// Refused at the edge, or on its way through the routes.
    #[project = StepProj]
    pub enum Step<F> {
        /// Answered already.
        Refused { res: Option<ServiceResponse> },
        /// Answered by the application.
        Routed { #[pin] fut: F },
    }
}

impl<F, B> Future for Edged<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = match this.inner.project() {
            StepProj::Refused { res } => res
                .take()
                .expect("an Edged future polled after it was ready")
                .map_into_right_body(),
            StepProj::Routed { fut } => match std::task::ready!(fut.poll(cx)) {
                Ok(res) => res.map_into_left_body(),
                Err(e) => {
                    let duration_ms = this.started.elapsed().as_secs_f64() * 1000.0;
                    tracing::warn!(error = %e, duration_ms, "request failed");
                    return Poll::Ready(Err(e));
                }
            },
        };
        security_headers(res.headers_mut());
        log_request(&res, *this.started);
        Poll::Ready(Ok(res))
    }
}

/// Adds the security headers every response carries, unless the handler set its own: a
/// response that sets a CSP with `frame-ancestors` wants to be framed, so it gets no
/// `X-Frame-Options`.
fn security_headers(headers: &mut HeaderMap) {
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
}

/// One log line per request: method, path (never the query string, which may carry a token),
/// status and duration.
fn log_request<B>(res: &ServiceResponse<B>, started: Instant) {
    let (req, status) = (res.request(), res.status().as_u16());
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The widget and probes take the site's whole read load: their successes are debug.
    if status < 400 && is_high_volume(req.path()) {
        tracing::debug!(http.method = %req.method(), http.path = %req.path(), http.status = status, duration_ms, "request");
    } else {
        tracing::info!(http.method = %req.method(), http.path = %req.path(), http.status = status, duration_ms, "request");
    }
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
