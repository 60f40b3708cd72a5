//! Why a member cancels: the short list the account page asks from.

use super::stored::text_enum;

text_enum! {
    /// The reason a member gave for cancelling (their note, if any, is kept beside it).
    pub enum CancelReason as "cancellation reason" {
        /// It costs too much.
        Price = "price",
        /// They don't read enough to pay for it.
        NotReading = "not_reading",
        /// They disagree with the coverage.
        Coverage = "coverage",
        /// Their own finances changed.
        Finances = "finances",
        /// They support another outlet instead.
        Elsewhere = "elsewhere",
        /// Something else (the note says what).
        Other = "other",
    }
}
