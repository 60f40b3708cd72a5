//! Real peers for the tests (an SMTP server, a Stripe test server, a browser driver),
//! [`wait::eventually`], how a test waits for something to happen, and
//! [`webhook_storm`], many paid joins whose webhooks arrive at once, and [`receiver`], an
//! endpoint of the outlet's other tools for the webhooks we send.

pub mod article;
pub mod browser;
pub mod connections;
pub mod postgres;
pub mod receiver;
pub mod smtp;
pub mod stripe_server;
pub mod wait;
pub mod webhook_storm;
