//! Types that parse input at the edge; code past the edge takes only these.

mod appeal_variant;
mod cancel_reason;
mod edition_status;
mod email;
mod event_type;
mod interval;
mod membership_status;
mod metric;
mod money;
mod opt_in;
mod slug;
mod stored;
mod suppression;

pub use appeal_variant::AppealVariant;
pub use cancel_reason::CancelReason;
pub use edition_status::EditionStatus;
pub use email::EmailAddress;
pub use event_type::EventType;
pub use interval::BillingInterval;
pub use membership_status::MembershipStatus;
pub use metric::Metric;
pub use money::{major, parse_major};
pub use opt_in::OptIn;
pub use slug::Slug;
pub use stored::Unknown;
pub use suppression::SuppressionReason;
