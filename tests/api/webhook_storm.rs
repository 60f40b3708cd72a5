//! Paid joins whose webhooks arrive three times each, shuffled and several at once, against
//! the built binary as its own process: every join counts once, every payment is recorded
//! once, and the server's log reports no deadlock and no unique violation.

use std::path::Path;
use std::sync::Arc;

use crate::both_backends;
use crate::helpers::{Backend, TestDatabase};
use crate::support::stripe_server::StripeServer;
use crate::support::webhook_storm::{self, Server, Storm};

both_backends!(paid_joins_in_a_webhook_storm_count_once_without_deadlocks_or_unique_violations);

async fn paid_joins_in_a_webhook_storm_count_once_without_deadlocks_or_unique_violations(
    backend: Backend,
) {
    let database = Arc::new(
        tokio::task::spawn_blocking(move || TestDatabase::new(backend))
            .await
            .unwrap(),
    );
    let stripe = StripeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_memberdrive"));
    let server = Server::start(bin, &database.url, &stripe, dir.path()).await;
    let storm = Storm {
        joins: 15,
        times: 3,
        at_once: 8,
        seed: 11,
    };
    let outcome = webhook_storm::run(&server, &stripe, storm).await;
    let faults = outcome.faults();
    assert!(faults.is_empty(), "{faults:#?}\n{outcome:#?}");
}
