//! Paid membership through Stripe: the API client, webhook verification, the job that turns
//! verified events into our state, and reconciliation.
//!
//! Card data never touches us (Stripe-hosted Checkout). Every create call carries an
//! idempotency key derived from our row, so a retry after a dropped connection creates
//! nothing twice. Webhook events are stored raw and acknowledged at once; processing fetches
//! the current object from Stripe, so the order events arrive in does not matter.

pub mod client;
pub mod events;
pub mod reconcile;
pub mod sync;
pub mod webhook;

/// Metadata keys that mark Stripe objects as ours; objects without them (other products on
/// the same Stripe account) never become members.
pub mod meta {
    /// Our campaign id.
    pub const CAMPAIGN: &str = "memberdrive_campaign";
    /// Our member id.
    pub const MEMBER: &str = "memberdrive_member";
    /// Our sign-up id (the article that sent the reader is on it).
    pub const SIGNUP: &str = "memberdrive_signup";
}
