//! What operators and every page rely on: liveness and readiness probes, the metrics, and
//! the readers' stylesheet.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus::{Encoder, TextEncoder};

use crate::state::AppState;
use crate::web::error::AppError;

/// `GET /static/site.css`
pub async fn site_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../static/site.css"))
}

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// `GET /readyz`: 503 when the database does not answer within 3 s.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    // Bounded so that a hung database answers 503 quickly instead of stalling the probe.
    match tokio::time::timeout(Duration::from_secs(3), state.db.ping()).await {
        Ok(true) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        _ => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable"),
    }
}

/// `GET /metrics`: every metric of the registry in Prometheus' text format.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder
        .encode(&state.metrics.gather(), &mut body)
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(format!("{}; charset=utf-8", encoder.format_type()))
        .body(body))
}
