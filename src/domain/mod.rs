//! Types that parse input at the edge; code past the edge takes only these.

mod email;
mod metric;
mod money;

pub use email::EmailAddress;
pub use metric::Metric;
pub use money::{major, parse_major};
