//! Builds the application: state, background tasks, and the one route table.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use anyhow::Context;
use tokio::sync::{Notify, watch};

use crate::campaigns::attribution::{ArticleOrigins, ArticleStats};
use crate::campaigns::board::ProgressBoard;
use crate::campaigns::progress;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::email::transport::Mailer;
use crate::email::worker::{EmailHandler, OutboxMetrics, close_idle_connections};
use crate::members::sign_in::SignInHandler;
use crate::newsletters::editions::send::EditionHandler;
use crate::payments::client::StripeApi;
use crate::payments::events::StripeEventHandler;
use crate::payments::sync::Syncer;
use crate::state::{AppState, CHECKOUT_ADDRESS_RATE, CHECKOUT_RATE, SIGNUP_RATE};
use crate::telemetry::WidgetMetrics;
use crate::web::limits::{self, CheckoutLimits, PerClient};
use crate::webhooks::deliver::WebhookHandler;
use crate::{admin, jobs, members, retention};

/// The `endpoint` label of requests whose path matches no route.
pub const UNMATCHED: &str = "unmatched";

/// A built, listening application.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Connects to the database, applies migrations, loads the progress board and binds the
    /// listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_on(settings, None).await
    }

    /// [`Application::build`] serving on `listener`, bound already (a caller that binds port 0
    /// knows the port before the application starts); `settings.bind` is not used.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        Application::build_on(settings, Some(listener)).await
    }

    /// Binds `settings.bind` when no listener is given, after the migrations as it always did.
    async fn build_on(
        settings: Settings,
        listener: Option<TcpListener>,
    ) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url, settings.db_pool_size)?;
        let migrate = db.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut conn = migrate.get()?;
            db::run_migrations(&mut conn)?;
            // Counts move with time (periods end while the process was down). In a write
            // transaction (IMMEDIATE on SQLite: one that read first could not become a writer
            // after an instance already running wrote), so the recounts take turns with theirs.
            db::write_transaction(&mut conn, |c| progress::refresh_all(c, db::now()))?;
            Ok(())
        })
        .await??;

        let board = Arc::new(ProgressBoard::new(settings.base_url.as_str()));
        board
            .reload(&db)
            .await
            .context("loading campaign progress")?;
        let listener = match listener {
            Some(listener) => listener,
            None => listen(settings.bind)
                .with_context(|| format!("cannot listen on {}", settings.bind))?,
        };
        let port = listener.local_addr()?.port();
        let (stop, stopping) = watch::channel(false);
        let registry = prometheus::Registry::new();
        let outbox_metrics = OutboxMetrics::register(&registry)?;
        // `/metrics` is a row of the route table (`ops::metrics`); a path that matches no
        // route is counted under one label, so scanners cannot grow the series without end.
        let metrics = PrometheusMetricsBuilder::new("memberdrive")
            .registry(registry.clone())
            .mask_unmatched_patterns(UNMATCHED)
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let mailer = Arc::new(Mailer::new(&settings)?);
        let settings = Arc::new(settings);
        let outbox_wake: Arc<Notify> = Arc::default();
        let stripe = StripeApi::new(&settings)?.map(Arc::new);
        let syncer = stripe.clone().map(|api| {
            Arc::new(Syncer {
                api,
                db: db.clone(),
                settings: settings.clone(),
                board: board.clone(),
                outbox: outbox_wake.clone(),
            })
        });
        let mut stripe_origins = vec![
            "https://checkout.stripe.com".to_owned(),
            "https://billing.stripe.com".to_owned(),
        ];
        // A proxy or test server named by STRIPE_API_BASE serves its pages from its own origin.
        if settings.stripe_api_base.host_str() != Some("api.stripe.com") {
            stripe_origins.push(settings.stripe_api_base.origin().ascii_serialization());
        }
        let payment_csp = crate::web::csp_allowing_forms_to(&stripe_origins);
        let stats = Arc::new(ArticleStats::new(ArticleOrigins::new(
            &settings.widget_ancestors,
            &settings.base_url,
        )));
        let state = web::Data::new(AppState {
            payment_csp,
            stripe,
            syncer,
            stripe_wake: Arc::default(),
            sign_in_wake: Arc::default(),
            settings,
            subscribe_limiter: PerClient::new(db.clone(), "signup", SIGNUP_RATE),
            checkout_limits: CheckoutLimits::new(db.clone(), CHECKOUT_RATE, CHECKOUT_ADDRESS_RATE),
            staff_logins: admin::throttle::LoginThrottle::new(db.clone()),
            password_checks: crate::staff::password::Checks::per_core(),
            db,
            branding: board.branding().clone(),
            board,
            stats,
            mailer,
            outbox_wake,
            outbox_metrics,
            metrics: registry,
            stopping,
        });
        let widget_metrics = WidgetMetrics::register(&state.metrics)?;
        let server = build_server(listener, state.clone(), metrics, widget_metrics)?;
        Ok(Application {
            port,
            server,
            state,
            stop,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Something that stops this application from outside (tests, embedding).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            stop: self.stop.clone(),
        }
    }

    /// Serves until SIGINT/SIGTERM (or the server is stopped), then stops the background
    /// work cleanly: live streams end, pending statistics are flushed.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            server,
            state,
            stop,
            ..
        } = self;
        let handle = server.handle();
        let background = spawn_background(&state);
        let signals = tokio::spawn({
            let stop = stop.clone();
            async move {
                shutdown_signal().await;
                tracing::info!("stopping");
                stop.send_replace(true);
                handle.stop(true).await;
            }
        });
        server.await?;
        stop.send_replace(true);
        signals.abort();
        for task in background {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        Ok(())
    }
}

/// Stops a running [`Application`]: its background work ends and its server stops.
#[derive(Clone)]
pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    stop: watch::Sender<bool>,
}

impl Stopper {
    /// Asks the application to stop; returns at once.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        // The command is sent when `stop` is called; the future only waits for completion.
        drop(self.server.stop(false));
    }
}

fn spawn_background(state: &web::Data<AppState>) -> Vec<tokio::task::JoinHandle<()>> {
    let s = state.clone();
    let stats = state.stats.clone();
    let mut tasks = vec![
        tokio::spawn(
            s.board
                .clone()
                .run_refresher(s.db.clone(), s.stopping.clone()),
        ),
        tokio::spawn({
            let (db, stop) = (s.db.clone(), s.stopping.clone());
            async move { stats.run_flusher(db, stop).await }
        }),
        tokio::spawn(recount_periodically(
            s.db.clone(),
            s.board.clone(),
            s.stopping.clone(),
        )),
        tokio::spawn(jobs::worker::run(
            s.db.clone(),
            Arc::new(EmailHandler {
                mailer: s.mailer.clone(),
                db: s.db.clone(),
            }),
            s.outbox_wake.clone(),
            s.stopping.clone(),
        )),
        tokio::spawn(jobs::worker::run(
            s.db.clone(),
            Arc::new(SignInHandler {
                db: s.db.clone(),
                settings: s.settings.clone(),
                outbox: s.outbox_wake.clone(),
            }),
            s.sign_in_wake.clone(),
            s.stopping.clone(),
        )),
        tokio::spawn(
            s.outbox_metrics
                .clone()
                .run(s.db.clone(), s.stopping.clone()),
        ),
        tokio::spawn(close_idle_connections(s.mailer.clone(), s.stopping.clone())),
        tokio::spawn(purge_rate_limits(s.db.clone(), s.stopping.clone())),
    ];
    tasks.push(tokio::spawn(jobs::worker::run(
        s.db.clone(),
        Arc::new(EditionHandler {
            db: s.db.clone(),
            settings: s.settings.clone(),
            outbox: s.outbox_wake.clone(),
            stopping: s.stopping.clone(),
        }),
        Arc::default(),
        s.stopping.clone(),
    )));
    tasks.push(tokio::spawn(jobs::worker::run(
        s.db.clone(),
        Arc::new(WebhookHandler::new(s.db.clone())),
        Arc::default(),
        s.stopping.clone(),
    )));
    let purge_wake: Arc<Notify> = Arc::default();
    tasks.push(tokio::spawn(jobs::worker::run(
        s.db.clone(),
        Arc::new(retention::Purge { db: s.db.clone() }),
        purge_wake.clone(),
        s.stopping.clone(),
    )));
    tasks.push(tokio::spawn(retention::schedule(
        s.db.clone(),
        purge_wake,
        s.stopping.clone(),
    )));
    tasks.push(tokio::spawn(remind_hourly(
        s.db.clone(),
        s.settings.clone(),
        s.outbox_wake.clone(),
        s.stopping.clone(),
    )));
    if let Some(syncer) = &s.syncer {
        tasks.push(tokio::spawn(jobs::worker::run(
            s.db.clone(),
            Arc::new(StripeEventHandler {
                syncer: syncer.clone(),
            }),
            s.stripe_wake.clone(),
            s.stopping.clone(),
        )));
        tasks.push(tokio::spawn(reconcile_daily(
            syncer.clone(),
            s.stopping.clone(),
        )));
    }
    tasks
}

/// Rate limits of clients that went quiet say nothing any more: delete them every minute.
async fn purge_rate_limits(db: Db, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let purged = db
            .write(|conn| -> Result<usize, db::DbError> {
                Ok(limits::purge(conn, limits::now_ms())?)
            })
            .await;
        if let Err(e) = purged {
            tracing::warn!(error = %e, "cannot purge rate limits");
        }
    }
}

/// Renewal reminders and January's statements are due as time passes, not on any write: look
/// every hour.
async fn remind_hourly(
    db: Db,
    settings: Arc<Settings>,
    outbox: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let settings = settings.clone();
        let queued = db
            .write(move |conn| -> Result<usize, db::DbError> {
                let now = db::now();
                Ok(members::reminders::queue_due(conn, &settings, now)?
                    + members::statement::queue_due(conn, &settings, now)?)
            })
            .await;
        match queued {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(emails = n, "renewal reminders and yearly statements queued");
                outbox.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "cannot queue renewal reminders or statements"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Webhooks can be lost on Stripe's side or ours: once a day, repair whatever drifted.
async fn reconcile_daily(syncer: Arc<Syncer>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(24 * 3600)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match crate::payments::reconcile::reconcile(&syncer, true).await {
            Ok(drift) if drift.is_empty() => tracing::info!("daily reconciliation: no drift"),
            Ok(drift) => {
                for d in &drift {
                    tracing::warn!(stripe.subscription = %d.subscription, drift = %d.what, "repaired drift");
                }
            }
            Err(e) => tracing::warn!(error = %e, "daily reconciliation failed"),
        }
    }
}

/// Time moves counts without any write (a cancelled period ends, a donor's days run out):
/// campaigns are recounted when the next cancelled period ends, and at least every minute.
async fn recount_periodically(db: Db, board: Arc<ProgressBoard>, mut stop: watch::Receiver<bool>) {
    const AT_LEAST: Duration = Duration::from_secs(60);
    loop {
        // Any change may bring an earlier expiry: wake on it and look again.
        let changed = board.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let next = db
            .read(|conn| progress::next_expiry(conn, db::now()))
            .await
            .ok()
            .flatten();
        let wait = next
            .and_then(|at| (at - db::now()).to_std().ok())
            .map_or(AT_LEAST, |d| d.min(AT_LEAST) + Duration::from_millis(10));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut changed => continue,
            _ = stop.wait_for(|s| *s) => return,
        }
        let result = db
            .write(|conn| -> Result<usize, db::DbError> {
                Ok(progress::refresh_all(conn, db::now())?)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(changed) => {
                tracing::info!(campaigns = changed, "counts moved with time");
                board.poke();
            }
            Err(e) => tracing::warn!(error = %e, "periodic recount failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Binds with a deep accept queue: after a restart every open widget's event stream
/// reconnects at once, and the OS default of 128 would drop most of them for a second.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)?.into_std()
}

fn build_server(
    listener: TcpListener,
    state: web::Data<AppState>,
    metrics: PrometheusMetrics,
    widget_metrics: WidgetMetrics,
) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        // Called once on each worker thread: the pages rendered there wear this app's brand.
        crate::branding::serve_on_this_thread(state.branding.clone());
        App::new()
            .wrap(crate::web::Edge)
            .app_data(state.clone())
            .configure(|cfg| crate::routes::configure(cfg, metrics.clone(), &widget_metrics))
    })
    .disable_signals()
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
