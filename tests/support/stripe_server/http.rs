//! HTTP/1.1: just enough of it for async-stripe's client and the hosted pages.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::api::Request;
use super::fixtures::new_id;
use super::{API_VERSION, Shared};
use crate::support::connections::serve_accepted;

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        serve_accepted(&mut connections, accepted, |stream| {
            let shared = Arc::clone(&shared);
            async move { serve_connection(stream, &shared).await }
        })
        .await;
    }
}

/// Serves requests on one connection until the client closes it (keep-alive is honoured).
async fn serve_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = match (parts.next(), parts.next()) {
            (Some(method), Some(target)) => (method.to_owned(), target.to_owned()),
            _ => return Ok(()),
        };
        let mut headers = Vec::new();
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let length: usize = header("Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        let close = header("Connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let request = Request {
            method,
            path: path.to_owned(),
            query: serde_urlencoded::from_str(query).unwrap_or_default(),
            form: serde_urlencoded::from_bytes(&body).unwrap_or_default(),
            headers,
        };
        let response = shared.handle(request);
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Request-Id: {}\r\nStripe-Version: {API_VERSION}\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len(),
            new_id("req", 14),
        );
        if response.replayed {
            head.push_str("Idempotent-Replayed: true\r\n");
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let writer = stream.get_mut();
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(&response.body).await?;
        writer.flush().await?;
        if close {
            return Ok(());
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    }
}
