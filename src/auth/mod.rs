//! Who is asking: staff and member sessions, and the checks every staff handler gets by
//! taking [`StaffSession`].

pub mod staff;

pub use staff::{StaffForm, StaffSession};
