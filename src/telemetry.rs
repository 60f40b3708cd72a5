//! Logs: `tracing` to stderr, human-readable (coloured on a terminal) or JSON, filtered by
//! `RUST_LOG`. And the request metrics of the widget's routes, counted cheaply.

use std::cell::RefCell;
use std::future::{Future, Ready, ready};
use std::io::IsTerminal;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, StatusCode};
use pin_project_lite::pin_project;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber (once; later calls, e.g. from a second test, do nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Request counts and latencies of the widget's routes, which take an outlet's whole read load:
/// `memberdrive_widget_http_requests_total` and
/// `memberdrive_widget_http_requests_duration_seconds`, with the labels and buckets of the
/// other routes' metrics (`actix-web-prom`). Those work out each request's route and labels
/// anew (matching the path against the route table twice, formatting the pattern, hashing the
/// labels); here the route is known when it is mounted, and each worker keeps the series it
/// has used.
#[derive(Clone)]
pub struct WidgetMetrics {
    requests: IntCounterVec,
    seconds: HistogramVec,
}

impl WidgetMetrics {
    /// Registers the two metrics.
    pub fn register(registry: &prometheus::Registry) -> prometheus::Result<WidgetMetrics> {
        const LABELS: [&str; 3] = ["endpoint", "method", "status"];
        let requests = IntCounterVec::new(
            Opts::new(
                "widget_http_requests_total",
                "Requests to the widget's routes",
            )
            .namespace("memberdrive"),
            &LABELS,
        )?;
        let seconds = HistogramVec::new(
            HistogramOpts::new(
                "widget_http_requests_duration_seconds",
                "Time from a widget request to its answer's headers",
            )
            .namespace("memberdrive"),
            &LABELS,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(seconds.clone()))?;
        Ok(WidgetMetrics { requests, seconds })
    }

    /// Middleware that counts the requests of the route `pattern` (mounted on that route).
    pub fn route(&self, pattern: &'static str) -> CountRoute {
        CountRoute {
            metrics: self.clone(),
            pattern,
        }
    }
}

/// Counts a route's requests into [`WidgetMetrics`]; see [`WidgetMetrics::route`].
pub struct CountRoute {
    metrics: WidgetMetrics,
    pattern: &'static str,
}

/// The series of one route a worker has used: few (a method or two, a status or three), so a
/// list beats a map.
struct Series {
    metrics: WidgetMetrics,
    pattern: &'static str,
    used: RefCell<Vec<(Method, StatusCode, IntCounter, Histogram)>>,
}

impl Series {
    fn record(&self, method: &Method, status: StatusCode, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        let mut used = self.used.borrow_mut();
        if let Some((.., count, time)) = used.iter().find(|s| s.0 == method && s.1 == status) {
            count.inc();
            time.observe(seconds);
            return;
        }
        let labels = [self.pattern, method.as_str(), status.as_str()];
        let count = self.metrics.requests.with_label_values(&labels);
        let time = self.metrics.seconds.with_label_values(&labels);
        count.inc();
        time.observe(seconds);
        used.push((method.clone(), status, count, time));
    }
}

impl<S, B> Transform<S, ServiceRequest> for CountRoute
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = CountRouteService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CountRouteService {
            service,
            series: Rc::new(Series {
                metrics: self.metrics.clone(),
                pattern: self.pattern,
                used: RefCell::default(),
            }),
        }))
    }
}

/// The service [`CountRoute`] wraps a route in.
pub struct CountRouteService<S> {
    service: S,
    series: Rc<Series>,
}

impl<S, B> Service<ServiceRequest> for CountRouteService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Counted<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Counted {
            method: req.method().clone(),
            started: Instant::now(),
            series: self.series.clone(),
            inner: self.service.call(req),
        }
    }
}

pin_project! {
    /// A request's answer, counted when it is ready.
    pub struct Counted<F> {
        #[pin]
        inner: F,
        method: Method,
        started: Instant,
        series: Rc<Series>,
    }
}

impl<F, B> Future for Counted<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = std::task::ready!(this.inner.poll(cx));
        let status = match &res {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        this.series.record(this.method, status, *this.started);
        Poll::Ready(res)
    }
}
