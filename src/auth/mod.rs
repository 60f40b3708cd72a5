//! Who is asking and what they may do: the access each route needs, staff and member
//! sessions, and the checks every staff handler gets by taking [`StaffSession`].

pub mod access;
pub mod session;
pub mod staff;

pub use access::{Access, AccessTable, Route};
pub use staff::{StaffForm, StaffSession};
