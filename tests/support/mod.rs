//! Real peers for the tests (an SMTP server, a Stripe test server, a browser driver), and
//! [`wait::eventually`], how a test waits for something to happen.

pub mod article;
pub mod browser;
pub mod connections;
pub mod postgres;
pub mod smtp;
pub mod stripe_server;
pub mod wait;
