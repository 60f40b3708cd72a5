//! An endpoint of one of the outlet's other tools (a CRM, a chat channel): it records every
//! request it is sent and answers with the statuses a test scripts (200 once the script is
//! used up), or keeps a request waiting longer than any sender should wait.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// How to answer one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// With this status.
    Status(u16),
    /// Not before this long, and then with 200 (a sender that waits so long gets it).
    Stall(Duration),
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers, names in lower case.
    pub headers: HashMap<String, String>,
    /// Its body.
    pub body: String,
    /// The status it was answered with; `None` while it waits for its answer.
    pub answered: Option<u16>,
}

impl Received {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    received: Vec<Received>,
}

/// The endpoint; it lives as long as the test's runtime.
#[derive(Clone)]
pub struct Receiver {
    url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    /// Listens on a free loopback port.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hooks/memberdrive",
            listener.local_addr().unwrap().port()
        );
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        Receiver { url, state }
    }

    /// Where it listens.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the next requests so, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().unwrap().script.extend(answers);
    }

    /// Every request so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

/// Reads one request, records it, answers it (recording the answer) and closes the
/// connection.
async fn serve(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(socket);
    let mut line = String::new();
    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let (answer, index) = {
        let mut state = state.lock().unwrap();
        state.received.push(Received {
            headers,
            body: String::from_utf8(body).expect("a UTF-8 body"),
            answered: None,
        });
        (state.script.pop_front(), state.received.len() - 1)
    };
    let status = match answer {
        Some(Answer::Status(status)) => status,
        Some(Answer::Stall(wait)) => {
            tokio::time::sleep(wait).await;
            200
        }
        None => 200,
    };
    let mut socket = reader.into_inner();
    let reply =
        format!("HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    // A sender that gave up no longer reads it; the answer is recorded as given all the same.
    let _ = socket.write_all(reply.as_bytes()).await;
    let _ = socket.shutdown().await;
    state.lock().unwrap().received[index].answered = Some(status);
}
