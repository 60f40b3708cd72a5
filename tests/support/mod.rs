//! Real peers for the tests: an SMTP server, and (with later issues) a Stripe test server and
//! a browser driver.

pub mod article;
pub mod browser;
pub mod smtp;
pub mod stripe_server;
