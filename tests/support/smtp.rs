//! In-process SMTP server for integration tests, so mail goes through the real SMTP client
//! (lettre's protocol on the app's connection pool: envelope, encoding, pooling, error
//! mapping) and relay failures can be simulated on demand.

// Each test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::connections::serve_accepted;

/// A running SMTP server bound to an ephemeral port on 127.0.0.1.
pub struct SmtpServer {
    shared: Arc<Shared>,
    port: u16,
    // Re-binding in `set_mode` registers a socket with the reactor, which
    // needs a runtime context even if the caller is not inside one.
    runtime: Handle,
    accept_task: JoinHandle<()>,
}

/// One message the server accepted with `250` after `DATA`.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// Envelope recipients (`RCPT TO`), in the order they were given.
    pub to: Vec<String>,
    /// Raw RFC 5322 message: CRLF line endings kept, dot-unstuffed.
    pub data: String,
}

/// How the server behaves; switch with [`SmtpServer::set_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Behave like a healthy relay.
    Accept,
    /// Close the listening socket so connects fail with `ECONNREFUSED`;
    /// existing connections are closed too, as if the relay went down.
    RefuseConnections,
    /// Accept TCP connections but never say anything, like a hung relay.
    Stall,
    /// Reject `MAIL FROM` with `451`.
    TempFail,
    /// Reject every `RCPT TO` with `550`.
    PermFail,
}

struct Shared {
    // `None` while refusing connections: only closing the socket makes the
    // kernel refuse connects instead of queueing them in the backlog.
    listener: Mutex<Option<TcpListener>>,
    mode: watch::Sender<SmtpMode>,
    // A watch channel lets `wait_for_messages` wait without missed wakeups.
    messages: watch::Sender<Vec<ReceivedMail>>,
    sessions: watch::Sender<Sessions>,
    slow: Mutex<SlowAnswers>,
}

/// Messages still to be answered late, and how late.
#[derive(Default)]
struct SlowAnswers {
    left: usize,
    delay: Duration,
}

/// How many SMTP sessions were opened, how many of them ended with QUIT, and how many are
/// over (the connection closed, by either side).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sessions {
    pub opened: usize,
    pub quit: usize,
    pub closed: usize,
}

fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Re-binding the same port must work while connections accepted from the
    // previous listener (or their TIME_WAIT remnants) still exist.
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(128)
}

impl SmtpServer {
    /// Binds 127.0.0.1 on a free port and starts serving in [`SmtpMode::Accept`].
    pub async fn start() -> SmtpServer {
        let listener = bind(0).expect("bind test SMTP server");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            listener: Mutex::new(Some(listener)),
            mode: watch::Sender::new(SmtpMode::Accept),
            messages: watch::Sender::new(Vec::new()),
            sessions: watch::Sender::new(Sessions::default()),
            slow: Mutex::default(),
        });
        let accept_task = tokio::spawn(accept_loop(Arc::clone(&shared)));
        SmtpServer {
            shared,
            port,
            runtime: Handle::current(),
            accept_task,
        }
    }

    /// The TCP port the server listens on (stable across mode changes).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `SMTP_URL` for the app; `smtp://` without
    /// a `tls` parameter means plain TCP.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Switches behaviour for new connections and for the next command on
    /// existing ones. Listener changes are done before returning, so a
    /// connect right after this call already sees the new mode.
    pub fn set_mode(&self, mode: SmtpMode) {
        let _runtime = self.runtime.enter();
        {
            let mut listener = self.shared.listener.lock().unwrap();
            if mode == SmtpMode::RefuseConnections {
                *listener = None;
            } else if listener.is_none() {
                let port = self.port;
                let error = |e| panic!("re-binding test SMTP port {port} failed: {e}");
                *listener = Some(bind(port).unwrap_or_else(error));
            }
        }
        self.shared.mode.send_replace(mode);
    }

    /// The next `messages` messages are stored as soon as their final dot arrives, like any
    /// other, but answered (`250`) only `delay` later, as a relay that delivers before it
    /// answers (RFC 5321 4.5.3.2.6 lets it take ten minutes).
    pub fn answer_slowly(&self, delay: Duration, messages: usize) {
        *self.shared.slow.lock().unwrap() = SlowAnswers {
            left: messages,
            delay,
        };
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.messages.borrow().clone()
    }

    /// Waits until at least `n` messages were accepted and returns all of
    /// them; panics after `timeout`, saying how many did arrive.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        self.wait_until(&format!("at least {n} mail(s)"), timeout, |m| m.len() >= n)
            .await
    }

    /// Waits until the mail received so far satisfies `done` (described by `what`), failing
    /// after `timeout`; returns all of it.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[ReceivedMail]) -> bool,
    ) -> Vec<ReceivedMail> {
        watch_until(&self.shared.messages, timeout, |m| done(m))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "expected {what} on the test SMTP server within {timeout:?}, but {} arrived",
                    self.accepted_count()
                )
            })
    }

    /// Sessions opened and quit so far.
    pub fn sessions(&self) -> Sessions {
        *self.shared.sessions.borrow()
    }

    /// Waits until every session opened so far has said QUIT; panics after `timeout`.
    pub async fn wait_for_every_session_to_quit(&self, timeout: Duration) -> Sessions {
        self.wait_for_sessions("every SMTP session to end with QUIT", timeout, |s| {
            s.quit == s.opened
        })
        .await
    }

    /// Waits until every session opened so far is closed; panics after `timeout`.
    pub async fn wait_for_every_session_to_close(&self, timeout: Duration) -> Sessions {
        self.wait_for_sessions("every SMTP connection to be closed", timeout, |s| {
            s.closed == s.opened
        })
        .await
    }

    async fn wait_for_sessions(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Sessions) -> bool,
    ) -> Sessions {
        watch_until(&self.shared.sessions, timeout, done)
            .await
            .unwrap_or_else(|| panic!("expected {what} within {timeout:?}: {:?}", self.sessions()))
    }

    /// Number of messages accepted so far.
    pub fn accepted_count(&self) -> usize {
        self.shared.messages.borrow().len()
    }
}

/// The value of `channel` once it satisfies `done`; `None` if it does not within `timeout`.
async fn watch_until<T: Clone>(
    channel: &watch::Sender<T>,
    timeout: Duration,
    done: impl Fn(&T) -> bool,
) -> Option<T> {
    let mut rx = channel.subscribe();
    let waited = tokio::time::timeout(timeout, async move {
        rx.wait_for(|v| done(v)).await.map(|v| v.clone())
    });
    waited.await.ok()?.ok()
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts (and so
        // closes) every connection task.
        self.accept_task.abort();
        self.shared.listener.lock().unwrap().take();
    }
}

async fn accept_loop(shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    let mut mode_rx = shared.mode.subscribe();
    loop {
        let accepted = tokio::select! {
            accepted = poll_fn(|cx| match shared.listener.lock().unwrap().as_ref() {
                Some(listener) => listener.poll_accept(cx),
                // Woken by the mode change that re-binds, via the branch below.
                None => Poll::Pending,
            }) => accepted,
            // The listener may have been swapped out: poll the current one.
            _ = mode_rx.changed() => continue,
        };
        serve_accepted(&mut connections, accepted, |stream| {
            let shared = Arc::clone(&shared);
            async move { session(stream, &shared).await }
        })
        .await;
    }
}

/// The mode to answer the next command in, or `None` if the connection
/// must close. In `Stall` it first holds the connection open until the mode
/// changes; it is closed after that because the client's state is unknowable.
async fn current_mode(mode_rx: &mut watch::Receiver<SmtpMode>) -> Option<SmtpMode> {
    // Copied out so the channel's read lock is not held while stalling.
    let mode = *mode_rx.borrow_and_update();
    match mode {
        SmtpMode::Stall => {
            let _ = mode_rx.wait_for(|m| *m != SmtpMode::Stall).await;
            None
        }
        SmtpMode::RefuseConnections => None,
        mode => Some(mode),
    }
}

fn address(arg: &str) -> String {
    // `FROM:<a@b> BODY=8BITMIME` -> `a@b`; parameters are irrelevant here.
    let arg = arg
        .split_once(':')
        .map_or(arg, |(_, rest)| rest)
        .trim_start();
    match (arg.find('<'), arg.find('>')) {
        (Some(start), Some(end)) if start < end => arg[start + 1..end].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

async fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut mode_rx = shared.mode.subscribe();
    // `None` here means the accept raced with the listener being closed.
    if current_mode(&mut mode_rx).await.is_none() {
        return Ok(());
    }
    shared.sessions.send_modify(|s| s.opened += 1);
    // Declared before the stream's halves, so it is dropped after them: the count of closed
    // sessions moves once the socket is closed, on every way out of this function.
    let _closed = Closed(&shared.sessions);
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer
        .write_all(b"220 127.0.0.1 ESMTP test server\r\n")
        .await?;

    // The open transaction; its `data` is filled in by DATA.
    let mut txn: Option<ReceivedMail> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::select! {
            read = reader.read_until(b'\n', &mut line) => read?,
            // Close idle connections promptly, as a crashed relay would.
            _ = mode_rx.wait_for(|m| *m == SmtpMode::RefuseConnections) => return Ok(()),
        };
        if read == 0 {
            return Ok(());
        }
        let Some(mode) = current_mode(&mut mode_rx).await else {
            return Ok(());
        };

        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        let verb = verb.to_ascii_uppercase();
        // RFC 5321 4.1.4: each of these aborts any open transaction.
        if matches!(verb.as_str(), "EHLO" | "HELO" | "RSET") {
            txn = None;
        }
        let reply: &[u8] = match (verb.as_str(), txn.as_mut()) {
            ("EHLO", _) => b"250-127.0.0.1\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            ("HELO", _) => b"250 127.0.0.1\r\n",
            ("RSET" | "NOOP", _) => b"250 2.0.0 OK\r\n",
            ("MAIL", Some(_)) => b"503 5.5.1 Nested MAIL command\r\n",
            ("MAIL", None) if mode == SmtpMode::TempFail => b"451 4.3.0 Try again later\r\n",
            ("MAIL", None) => {
                let (from, to, data) = (address(arg), Vec::new(), String::new());
                txn = Some(ReceivedMail { from, to, data });
                b"250 2.1.0 OK\r\n"
            }
            ("RCPT" | "DATA", None) => b"503 5.5.1 Need MAIL first\r\n",
            ("RCPT", Some(_)) if mode == SmtpMode::PermFail => b"550 5.1.1 Mailbox unavailable\r\n",
            ("RCPT", Some(txn)) => {
                txn.to.push(address(arg));
                b"250 2.1.5 OK\r\n"
            }
            ("DATA", Some(mail)) if mail.to.is_empty() => b"503 5.5.1 Need RCPT first\r\n",
            ("DATA", Some(mail)) => {
                writer
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                mail.data = read_data(&mut reader).await?;
                let mail = txn.take().expect("transaction is open");
                // Decided before the message is seen stored, so a test that sees it and then
                // asks for slow answers gets them for the messages after it.
                let late = shared.slow_answer();
                shared.messages.send_modify(|m| m.push(mail));
                if let Some(delay) = late {
                    tokio::time::sleep(delay).await;
                }
                b"250 2.0.0 OK queued\r\n"
            }
            ("QUIT", _) => {
                shared.sessions.send_modify(|s| s.quit += 1);
                writer.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"500 5.5.2 Command not recognized\r\n",
        };
        writer.write_all(reply).await?;
    }
}

impl Shared {
    /// How late to answer the message being stored, if it is one of the slow ones.
    fn slow_answer(&self) -> Option<Duration> {
        let mut slow = self.slow.lock().unwrap();
        slow.left = slow.left.checked_sub(1)?;
        Some(slow.delay)
    }
}

/// Counts a session as closed when dropped.
struct Closed<'a>(&'a watch::Sender<Sessions>);

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|s| s.closed += 1);
    }
}

/// Reads a DATA payload up to the lone `.` line, undoing dot-stuffing.
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&data).into_owned());
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

/// Splits an entity into its header block and body at the first blank line.
fn split_entity(entity: &str) -> (&str, &str) {
    if let Some(body) = entity.strip_prefix("\r\n") {
        return ("", body); // no header fields at all
    }
    let split = entity.split_once("\r\n\r\n").or(entity.split_once("\n\n"));
    split.unwrap_or((entity, ""))
}

fn find_header(headers: &str, name: &str) -> Option<String> {
    // Unfolding per RFC 5322 2.2.3: a line starting with whitespace
    // continues the previous field.
    let mut fields: Vec<String> = Vec::new();
    for line in headers.lines() {
        match fields.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => fields.push(line.to_owned()),
        }
    }
    fields.into_iter().find_map(|field| {
        let (key, value) = field.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let hex = |c: Option<&u8>| c.and_then(|&c| (c as char).to_digit(16));
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        let eol = &line[content.len()..];
        // Trailing whitespace is transport padding (RFC 2045 6.7 rule 3).
        let content = content.trim_end_matches([' ', '\t']);
        // A trailing `=` is a soft line break: the line continues.
        let (content, eol) = content
            .strip_suffix('=')
            .map_or((content, eol), |c| (c, ""));
        let bytes = content.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (b'=', Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                }
                (byte, ..) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        out.extend_from_slice(eol.as_bytes());
    }
    out
}

/// Depth-first search for the first leaf part whose type is `mime`.
fn find_part(entity: &str, mime: &str) -> Option<String> {
    let (headers, body) = split_entity(entity);
    let content_type = find_header(headers, "Content-Type").unwrap_or("text/plain".into());
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = content_type.split(';').skip(1).find_map(|param| {
            let (key, value) = param.split_once('=')?;
            let boundary = value.trim().trim_matches('"').to_owned();
            key.trim()
                .eq_ignore_ascii_case("boundary")
                .then_some(boundary)
        })?;
        // Leading newline so a delimiter on the very first line matches too.
        let body = format!("\n{body}");
        return body
            .split(&format!("\n--{boundary}"))
            .skip(1) // preamble
            .take_while(|part| !part.starts_with("--")) // close delimiter
            .find_map(|part| {
                // Skip the rest of the delimiter line; the CR before the next
                // delimiter belongs to that delimiter, not to this part.
                let part = part.split_once('\n').map_or("", |(_, part)| part);
                find_part(part.strip_suffix('\r').unwrap_or(part), mime)
            });
    }
    if !essence.eq_ignore_ascii_case(mime) {
        return None;
    }
    let encoding = find_header(headers, "Content-Transfer-Encoding").unwrap_or_default();
    // Charset is assumed to be UTF-8, which is all lettre produces.
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|e| panic!("bad base64 in {mime} part: {e}"))
        }
        "quoted-printable" => decode_quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    Some(String::from_utf8(bytes).unwrap_or_else(|e| panic!("{mime} part is not UTF-8: {e}")))
}

impl ReceivedMail {
    /// First header field called `name` (case-insensitive), unfolded but
    /// not decoded, so encoded words (`=?utf-8?b?...?=`) stay as sent.
    pub fn header(&self, name: &str) -> Option<String> {
        find_header(split_entity(&self.data).0, name)
    }

    /// A header with its RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded, as a mail client
    /// shows it.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        let raw = self.header(name)?;
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(start) = rest.find("=?") {
            out.push_str(&rest[..start]);
            let word = &rest[start + 2..];
            let parts: Vec<&str> = word.splitn(3, '?').collect();
            let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
                out.push_str(&rest[start..]);
                return Some(out);
            };
            let text = &parts[2][..end];
            let bytes = match parts[1] {
                "b" | "B" => base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_default(),
                _ => decode_quoted_printable(&text.replace('_', " ")),
            };
            out.push_str(&String::from_utf8_lossy(&bytes));
            rest = &parts[2][end + 2..];
            // Whitespace between two encoded words is not part of the text.
            if rest.trim_start().starts_with("=?") {
                rest = rest.trim_start();
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// Decoded body of the first `text/plain` part; panics if there is none.
    pub fn text_part(&self) -> String {
        self.part("text/plain")
    }

    /// Decoded body of the first `text/html` part; panics if there is none.
    pub fn html_part(&self) -> String {
        self.part("text/html")
    }

    fn part(&self, mime: &str) -> String {
        find_part(&self.data, mime)
            .unwrap_or_else(|| panic!("no {mime} part in message:\n{}", self.data))
    }
}
