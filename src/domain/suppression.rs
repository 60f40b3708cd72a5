//! Why an address gets no more mail of ours.

use super::stored::text_enum;

text_enum! {
    /// Why an address is on the suppression list.
    pub enum SuppressionReason as "suppression reason" {
        /// A permanent delivery failure: the address does not take mail. Nothing is sent to
        /// it, transactional mail included.
        Bounce = "bounce",
        /// The reader marked our mail as spam: no more newsletter mail.
        Complaint = "complaint",
    }
}
