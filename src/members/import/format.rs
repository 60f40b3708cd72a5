//! The member file's columns and the statuses it names, shared by parsing, planning and
//! `export-members`.

use crate::domain::MembershipStatus;

/// The columns of the file format, in the order `export-members` writes them.
pub const COLUMNS: [&str; 12] = [
    "email",
    "name",
    "status",
    "tier",
    "joined_at",
    "stripe_customer_id",
    "stripe_subscription_id",
    "campaign",
    "interval",
    "amount",
    "current_period_end",
    "cancel_at_period_end",
];
pub(in crate::members) const EMAIL: usize = 0;
pub(in crate::members) const NAME: usize = 1;
pub(in crate::members) const STATUS: usize = 2;
pub(in crate::members) const TIER: usize = 3;
pub(in crate::members) const JOINED_AT: usize = 4;
pub(in crate::members) const CUSTOMER: usize = 5;
pub(in crate::members) const SUBSCRIPTION: usize = 6;
pub(in crate::members) const CAMPAIGN: usize = 7;
pub(in crate::members) const INTERVAL: usize = 8;
pub(in crate::members) const AMOUNT: usize = 9;
pub(in crate::members) const PERIOD_END: usize = 10;
pub(in crate::members) const CANCEL_AT_PERIOD_END: usize = 11;

/// The status of a member without a membership (what the export writes for one).
pub const NO_MEMBERSHIP: &str = "none";

/// A member's status as staff lists, filters and member files show it: the status of their
/// membership, or that they have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// No membership at all ([`NO_MEMBERSHIP`]).
    NoMembership,
    /// A membership in this status.
    Membership(MembershipStatus),
}

impl MemberStatus {
    /// Every member status, "no membership" first.
    pub fn all() -> impl Iterator<Item = MemberStatus> {
        std::iter::once(MemberStatus::NoMembership)
            .chain(MembershipStatus::ALL.map(MemberStatus::Membership))
    }

    /// The status a form or file names, exactly as [`MemberStatus::as_str`] prints it.
    pub fn parse(text: &str) -> Option<MemberStatus> {
        if text == NO_MEMBERSHIP {
            return Some(MemberStatus::NoMembership);
        }
        text.parse().ok().map(MemberStatus::Membership)
    }

    /// The membership's status, or [`NO_MEMBERSHIP`].
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::NoMembership => NO_MEMBERSHIP,
            MemberStatus::Membership(status) => status.as_str(),
        }
    }
}

/// The campaign of rows that name none.
pub(in crate::members) const DEFAULT_CAMPAIGN: &str = "members";
