//! Paid membership through Stripe: the API client, webhook verification, the job that turns
//! verified events into our state, and reconciliation.
//!
//! Card data never touches us (Stripe-hosted Checkout), and neither does a reader's address
//! before they pay: `POST /join` only creates a Checkout Session, and the member is made when
//! its completion (or its subscription) is processed, race-safely by address. Webhook events
//! are stored raw and acknowledged at once; processing fetches the current object from
//! Stripe, so the order events arrive in does not matter.

pub mod client;
pub mod dunning;
pub mod events;
pub mod failures;
pub mod notices;
pub mod reconcile;
pub mod staff;
pub mod sync;
pub mod webhook;

/// Metadata keys that mark Stripe objects as ours; objects without a campaign (other
/// products on the same Stripe account) never become members. They name no member: the
/// member is made from the address Checkout collected, once the reader paid.
pub mod meta {
    /// Our campaign id.
    pub const CAMPAIGN: &str = "memberdrive_campaign";
    /// The chosen tier's id, if any.
    pub const TIER: &str = "memberdrive_tier";
    /// The article that sent the reader, if any (normalised, at most 500 characters: Stripe's
    /// limit for a metadata value).
    pub const REF: &str = "memberdrive_ref";
    /// The reader's language, for the emails that follow.
    pub const LANG: &str = "memberdrive_lang";
    /// The variant of the appeal the reader saw in the widget (`a` or `b`), if any.
    pub const VARIANT: &str = "memberdrive_variant";
    /// The key of the client that started the Checkout (a hash of its address; see
    /// `failures::client_key`), so that failed payments can be told apart by client.
    pub const CLIENT: &str = "memberdrive_client";
}
