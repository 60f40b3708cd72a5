//! Where a newsletter edition stands in its sending.

use super::stored::text_enum;

text_enum! {
    /// A newsletter edition's status.
    pub enum EditionStatus as "edition status" {
        /// Waiting for its time (`send_at`).
        Scheduled = "scheduled",
        /// Its emails are being queued, a batch of subscribers at a time.
        Sending = "sending",
        /// Every recipient's email is queued.
        Sent = "sent",
        /// Held by staff: nothing more is queued or sent until it is resumed.
        Paused = "paused",
        /// Stopped by staff: no more emails are queued.
        Cancelled = "cancelled",
    }
}
