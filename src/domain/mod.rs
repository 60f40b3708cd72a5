//! Types that parse input at the edge; code past the edge takes only these.

mod email;
mod metric;

pub use email::EmailAddress;
pub use metric::Metric;
