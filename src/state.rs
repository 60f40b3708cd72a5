//! The state every handler and background task shares: one object in `web::Data`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::admin::throttle::LoginThrottle;
use crate::branding::Branding;
use crate::campaigns::attribution::ArticleStats;
use crate::campaigns::board::ProgressBoard;
use crate::config::Settings;
use crate::db::Db;
use crate::email::transport::Mailer;
use crate::email::worker::OutboxMetrics;
use crate::payments::client::StripeApi;
use crate::payments::sync::Syncer;
use crate::staff::password::Checks;
use crate::web::limits::{CheckoutLimits, PerClient, Rate};

/// Sign-up attempts one client address may make per minute (a newsroom's office or a
/// campus shares one address, so this is generous; the per-address limit stops floods).
pub const SUBSCRIBES_PER_MINUTE: u32 = 30;

/// [`SUBSCRIBES_PER_MINUTE`] at once, then one more every `60 / SUBSCRIBES_PER_MINUTE` seconds.
pub const SIGNUP_RATE: Rate = Rate {
    burst: SUBSCRIBES_PER_MINUTE,
    per: Duration::from_millis(60_000 / SUBSCRIBES_PER_MINUTE as u64),
};

/// Checkout Sessions one client address may start per minute (joining and giving together).
/// A reader needs one or two; a card tester needs hundreds.
pub const CHECKOUTS_PER_MINUTE: u32 = 10;

/// [`CHECKOUTS_PER_MINUTE`] at once, then one more every `60 / CHECKOUTS_PER_MINUTE` seconds.
pub const CHECKOUT_RATE: Rate = Rate {
    burst: CHECKOUTS_PER_MINUTE,
    per: Duration::from_millis(60_000 / CHECKOUTS_PER_MINUTE as u64),
};

/// Checkout Sessions started for one email address per hour (the address typed to join, or
/// a gift's buyer).
pub const CHECKOUTS_PER_ADDRESS_PER_HOUR: u32 = 5;

/// [`CHECKOUTS_PER_ADDRESS_PER_HOUR`] at once, then one more every `60 /
/// CHECKOUTS_PER_ADDRESS_PER_HOUR` minutes.
pub const CHECKOUT_ADDRESS_RATE: Rate = Rate {
    burst: CHECKOUTS_PER_ADDRESS_PER_HOUR,
    per: Duration::from_millis(3_600_000 / CHECKOUTS_PER_ADDRESS_PER_HOUR as u64),
};

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    /// Settings as parsed at start-up.
    pub settings: Arc<Settings>,
    /// The database.
    pub db: Db,
    /// Every campaign's progress, in memory.
    pub board: Arc<ProgressBoard>,
    /// The outlet's brand, in memory (the board keeps it current).
    pub branding: Arc<Branding>,
    /// Widget views and clicks waiting to be flushed.
    pub stats: Arc<ArticleStats>,
    /// Delivers the outbox's emails.
    pub mailer: Arc<Mailer>,
    /// Wakes the email worker after a request queued mail.
    pub outbox_wake: Arc<Notify>,
    /// Limits sign-ups and account sign-in links per client address, in the database.
    pub subscribe_limiter: PerClient,
    /// Limits the Checkout Sessions started (joins and gifts) per client and per address.
    pub checkout_limits: CheckoutLimits,
    /// Failed staff sign-ins per account and per client address.
    pub staff_logins: LoginThrottle,
    /// Bounds the staff password checks running at once.
    pub password_checks: Checks,
    /// Outbox gauges for `/metrics`.
    pub outbox_metrics: OutboxMetrics,
    /// Every metric `/metrics` shows.
    pub metrics: prometheus::Registry,
    /// Stripe, when paid membership is configured.
    pub stripe: Option<Arc<StripeApi>>,
    /// Applies Stripe's state (webhook jobs, reconciliation), when Stripe is configured.
    pub syncer: Option<Arc<Syncer>>,
    /// Wakes the Stripe event worker after a webhook was stored here.
    pub stripe_wake: Arc<Notify>,
    /// Wakes the sign-in link worker after a request queued a job.
    pub sign_in_wake: Arc<Notify>,
    /// The CSP of pages whose forms redirect to Stripe.
    pub payment_csp: String,
    /// Turns true when the process is stopping; long-lived responses end on it.
    pub stopping: watch::Receiver<bool>,
}
