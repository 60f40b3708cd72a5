//! What the test servers (SMTP, Stripe) do with each connection they accept.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// Serves an accepted connection with `serve` beside the others in `connections` (dropping
/// those that ended). A failed accept (a connection reset while queued, EMFILE) must not kill
/// the server: it backs off a moment, so that it cannot spin.
pub async fn serve_accepted<F>(
    connections: &mut JoinSet<()>,
    accepted: std::io::Result<(TcpStream, SocketAddr)>,
    serve: impl FnOnce(TcpStream) -> F,
) where
    F: Future<Output = std::io::Result<()>> + Send + 'static,
{
    while connections.try_join_next().is_some() {}
    match accepted {
        Ok((stream, _)) => {
            let served = serve(stream);
            // I/O errors are ignored: a client hanging up is not a failure.
            connections.spawn(async move {
                let _ = served.await;
            });
        }
        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
    }
}
