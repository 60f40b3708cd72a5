//! SMTP delivery over a pool of connections whose sockets have `TCP_NODELAY` set.
//!
//! lettre writes a message's body and its closing `\r\n.\r\n` in two writes. With Nagle's
//! algorithm on, the second write waits for the server to acknowledge the first, and servers
//! delay that ACK by ~40 ms: every message would cost 40 ms of nothing. lettre 0.11.23's
//! pooled transport opens its sockets itself and never sets `TCP_NODELAY`, so this module
//! opens them (plain, STARTTLS or implicit TLS, as `SMTP_URL` says), hands them to lettre's
//! [`AsyncSmtpConnection`] for the protocol, and keeps them in a [`deadpool`] pool.
//!
//! Each step of the exchange waits for its answer as long as RFC 5321 says a client should
//! (`smtp/exchange.rs`).

mod exchange;

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context, bail};
use deadpool::managed::{Manager, Metrics, Object, Pool, PoolError, RecycleError, RecycleResult};
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, RootCertStore};

use crate::jobs::worker::JobError;
use exchange::{COMMAND, step, transaction};

/// A connection idle longer than this is checked with `NOOP` before it is used again
/// (Postfix under stress drops idle clients after 10 s). Busy connections are never checked.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(5);
/// How long our own `NOOP` or `QUIT` waits for its answer: neither carries a message, and a
/// connection that does not answer it at once is dropped.
const SHORT_ANSWER: Duration = Duration::from_secs(5);

/// How the connection is encrypted (the `SMTP_URL` forms lettre documents).
enum Encryption {
    /// `smtp://host` — plain, for local relays.
    None,
    /// `smtp://host?tls=required` or `?tls=opportunistic` — STARTTLS, demanded or when offered.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// `smtps://host` — TLS from the first byte.
    Implicit {
        connector: TlsConnector,
        name: ServerName<'static>,
    },
}

/// Opens and checks connections to one SMTP server.
struct Connector {
    host: String,
    port: u16,
    encryption: Encryption,
    credentials: Option<Credentials>,
    hello: ClientId,
}

/// A pooled connection. `busy` is set for the length of a send: a send cancelled half-way
/// leaves it set, and such a connection is never used again.
pub struct Connection {
    smtp: AsyncSmtpConnection,
    busy: bool,
}

/// A pool of SMTP connections to the server of `SMTP_URL`.
pub struct Relay {
    pool: Pool<Connector>,
    /// Set by [`Relay::close`]: from then on a connection given back says QUIT instead of
    /// waiting in the pool. A lock rather than an atomic flag, so that giving a connection
    /// back and closing cannot interleave: the closing pass either finds a connection in the
    /// pool or has set the flag before it came back.
    closing: Mutex<bool>,
}

impl Relay {
    /// Reads `url` (`smtp://user:pass@host:587?tls=required`, `smtps://…`, `smtp://host:2525`)
    /// into a pool of at most `connections` connections; nothing is connected yet.
    pub fn from_url(url: &str, connections: usize) -> anyhow::Result<Relay> {
        Relay::trusting(url, connections, None)
    }

    /// [`Relay::from_url`] that also trusts the certificate `extra_root` (DER) as a root.
    fn trusting(url: &str, connections: usize, extra_root: Option<&[u8]>) -> anyhow::Result<Relay> {
        let parsed = url::Url::parse(url).context("SMTP_URL is not a URL")?;
        let host = parsed
            .host_str()
            .context("SMTP_URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (encryption, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Encryption::None, 25),
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
                Encryption::StartTls {
                    parameters: starttls_parameters(&host, extra_root)?,
                    required: mode == "required",
                },
                587,
            ),
            ("smtps", _) => (
                Encryption::Implicit {
                    connector: TlsConnector::from(Arc::new(tls_config(extra_root)?)),
                    name: ServerName::try_from(host.clone())
                        .context("SMTP_URL: the host is not a TLS server name")?,
                },
                465,
            ),
            (scheme, tls) => bail!(
                "SMTP_URL: unknown scheme {scheme:?} or tls={tls:?} \
                 (smtp://, smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://)"
            ),
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                percent_decode(parsed.username())?,
                percent_decode(password)?,
            )),
            None => None,
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let connector = Connector {
            port: parsed.port().unwrap_or(default_port),
            host,
            encryption,
            credentials,
            hello,
        };
        let pool = Pool::builder(connector)
            .max_size(connections)
            .build()
            .context("SMTP connection pool")?;
        Ok(Relay {
            pool,
            closing: Mutex::new(false),
        })
    }

    /// Sends `message` on a pooled connection once `ready` (the job's lease, confirmed right
    /// before the message is handed over) says so. Cancel-safe: a send dropped half-way
    /// retires its connection instead of returning it to the pool.
    pub async fn send(
        &self,
        message: &Message,
        ready: impl Future<Output = Result<(), JobError>>,
    ) -> Result<(), JobError> {
        let mut connection: Object<Connector> = self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => e,
            other => JobError::temporary(format!("SMTP pool: {other}")),
        })?;
        if let Err(not_ready) = ready.await {
            self.give_back(connection).await;
            return Err(not_ready);
        }
        connection.busy = true;
        let sent = transaction(&mut connection.smtp, message).await;
        if sent.is_ok() {
            connection.busy = false;
            self.give_back(connection).await;
        } else {
            // Aborted after an error answer, or in a state nobody knows after a step timed
            // out: never used again.
            drop(Object::take(connection));
        }
        sent
    }

    /// Returns `connection` to the pool, or closes it with QUIT once the relay is closing.
    async fn give_back(&self, connection: Object<Connector>) {
        let leaving = {
            let closing = self.closing();
            if *closing {
                Some(Object::take(connection))
            } else {
                // Back in the pool before the lock is let go.
                drop(connection);
                None
            }
        };
        if let Some(mut connection) = leaving {
            quit(&mut connection).await;
        }
    }

    /// Closes every connection with QUIT: the idle ones now, each busy one as its send ends.
    pub async fn close(&self) {
        *self.closing() = true;
        self.close_idle(Duration::ZERO).await;
    }

    /// Says `QUIT` on the pooled connections idle for `idle` or longer, and closes them.
    pub async fn close_idle(&self, idle: Duration) {
        let idle = self
            .pool
            .retain(|_, metrics| metrics.last_used() < idle)
            .removed;
        let usable = idle.into_iter().filter(|c| !c.busy && !c.smtp.has_broken());
        futures_util::future::join_all(usable.map(|mut connection| async move {
            quit(&mut connection).await;
        }))
        .await;
    }

    fn closing(&self) -> MutexGuard<'_, bool> {
        // A bool cannot be left half-written by a panic.
        self.closing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn quit(connection: &mut Connection) {
    let _ = tokio::time::timeout(SHORT_ANSWER, connection.smtp.quit()).await;
}

impl Manager for Connector {
    type Type = Connection;
    type Error = JobError;

    async fn create(&self) -> Result<Connection, JobError> {
        self.connect().await
    }

    async fn recycle(
        &self,
        connection: &mut Connection,
        metrics: &Metrics,
    ) -> RecycleResult<JobError> {
        if connection.busy || connection.smtp.has_broken() {
            return Err(RecycleError::Message(Cow::Borrowed("connection broken")));
        }
        if metrics.last_used() > IDLE_CHECK_AFTER {
            let alive = tokio::time::timeout(SHORT_ANSWER, connection.smtp.test_connected()).await;
            if !matches!(alive, Ok(true)) {
                return Err(RecycleError::Message(Cow::Borrowed("idle connection gone")));
            }
        }
        Ok(())
    }
}

impl Connector {
    /// Connects, encrypts and signs in, each step under [`COMMAND`].
    async fn connect(&self) -> Result<Connection, JobError> {
        let io = |what: &str, e: io::Error| JobError::temporary(format!("SMTP {what}: {e}"));
        let address = (self.host.as_str(), self.port);
        let tcp = step(COMMAND, "the connection", TcpStream::connect(address))
            .await?
            .map_err(|e| io("connect", e))?;
        tcp.set_nodelay(true).map_err(|e| io("TCP_NODELAY", e))?;
        let stream: Box<dyn AsyncTokioStream> = match &self.encryption {
            Encryption::Implicit { connector, name } => {
                let handshake = connector.connect(name.clone(), tcp);
                Box::new(TlsStream(
                    step(COMMAND, "the TLS handshake", handshake)
                        .await?
                        .map_err(|e| io("TLS", e))?,
                ))
            }
            _ => Box::new(tcp),
        };
        // lettre reads the greeting and says EHLO in one call: 5 minutes each.
        let hello = AsyncSmtpConnection::connect_with_transport(stream, &self.hello);
        let mut smtp = step(2 * COMMAND, "the greeting or EHLO", hello)
            .await?
            .map_err(classify)?;
        if let Encryption::StartTls {
            parameters,
            required,
        } = &self.encryption
            && (*required || smtp.can_starttls())
        {
            let starttls = smtp.starttls(parameters.clone(), &self.hello);
            step(COMMAND, "STARTTLS", starttls)
                .await?
                .map_err(classify)?;
        }
        if let Some(credentials) = &self.credentials {
            let auth = smtp.auth(DEFAULT_MECHANISMS, credentials);
            step(COMMAND, "AUTH", auth).await?.map_err(classify)?;
        }
        Ok(Connection { smtp, busy: false })
    }
}

/// 5xx answers will not change; everything else (4xx, network, TLS) may.
fn classify(e: lettre::transport::smtp::Error) -> JobError {
    if e.is_permanent() {
        JobError::permanent(e)
    } else {
        JobError::temporary(e)
    }
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    Ok(percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .context("SMTP_URL: credentials are not UTF-8")?
        .into_owned())
}

/// lettre's STARTTLS: the Mozilla roots, and `extra_root`.
fn starttls_parameters(host: &str, extra_root: Option<&[u8]>) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(der) = extra_root {
        builder = builder.add_root_certificate(Certificate::from_der(der.to_vec())?);
    }
    builder.build().context("SMTP_URL: TLS parameters")
}

/// rustls for implicit TLS: the Mozilla roots (as lettre's STARTTLS), and `extra_root`.
fn tls_config(extra_root: Option<&[u8]>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(der) = extra_root {
        roots
            .add(der.to_vec().into())
            .context("SMTP: an extra root certificate")?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// Implicit TLS as the stream lettre reads and writes.
#[derive(Debug)]
struct TlsStream(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use base64::Engine as _;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::*;

    /// What the TLS test server saw.
    #[derive(Debug, Default)]
    struct Seen {
        sessions: usize,
        encrypted_auth: Vec<String>,
        messages: Vec<String>,
        quits: usize,
    }

    /// An SMTP server on 127.0.0.1 with a certificate for `localhost`: TLS from the first
    /// byte (`implicit`), or plain with STARTTLS offered when `starttls`. It accepts AUTH
    /// PLAIN only once encrypted.
    struct TlsServer {
        port: u16,
        root: Vec<u8>,
        seen: Arc<Mutex<Seen>>,
    }

    impl TlsServer {
        async fn start(implicit: bool, starttls: bool) -> TlsServer {
            let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
            let root = key.cert.der().to_vec();
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![key.cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der())),
            )
            .unwrap();
            let acceptor = TlsAcceptor::from(Arc::new(config));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let seen = Arc::new(Mutex::new(Seen::default()));
            let shared = seen.clone();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let (acceptor, seen) = (acceptor.clone(), shared.clone());
                    tokio::spawn(async move {
                        seen.lock().unwrap().sessions += 1;
                        if implicit {
                            let tls = acceptor.accept(tcp).await?;
                            converse(BufReader::new(tls), true, true, false, &seen).await?;
                        } else if let Some(tcp) =
                            converse(BufReader::new(tcp), true, false, starttls, &seen).await?
                        {
                            // After STARTTLS the client speaks first, without a new greeting.
                            let tls = acceptor.accept(tcp).await?;
                            converse(BufReader::new(tls), false, true, false, &seen).await?;
                        }
                        std::io::Result::Ok(())
                    });
                }
            });
            TlsServer { port, root, seen }
        }
    }

    /// One SMTP conversation (opened with a greeting when `greet`); returns the stream when
    /// the client asked for STARTTLS.
    async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
        mut stream: BufReader<S>,
        greet: bool,
        encrypted: bool,
        offer_starttls: bool,
        seen: &Mutex<Seen>,
    ) -> io::Result<Option<S>> {
        if greet {
            stream.write_all(b"220 localhost ESMTP\r\n").await?;
        }
        let mut line = String::new();
        let mut data: Option<String> = None;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(None);
            }
            if let Some(body) = data.as_mut() {
                if line == ".\r\n" {
                    seen.lock()
                        .unwrap()
                        .messages
                        .push(data.take().unwrap_or_default());
                    stream.write_all(b"250 2.0.0 queued\r\n").await?;
                } else {
                    body.push_str(&line);
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" if offer_starttls => b"250-localhost\r\n250 STARTTLS\r\n",
                "EHLO" if encrypted => b"250-localhost\r\n250 AUTH PLAIN\r\n",
                "EHLO" => b"250 localhost\r\n",
                "STAR" if offer_starttls => {
                    stream.write_all(b"220 2.0.0 go ahead\r\n").await?;
                    return Ok(Some(stream.into_inner()));
                }
                "AUTH" if encrypted => {
                    let plain = line.trim_end().rsplit(' ').next().unwrap_or_default();
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(plain)
                        .unwrap_or_default();
                    let text = String::from_utf8_lossy(&decoded).replace('\0', "|");
                    seen.lock().unwrap().encrypted_auth.push(text);
                    b"235 2.7.0 accepted\r\n"
                }
                "MAIL" | "RCPT" | "NOOP" | "RSET" => b"250 2.0.0 OK\r\n",
                "DATA" => {
                    data = Some(String::new());
                    b"354 go on\r\n"
                }
                "QUIT" => {
                    seen.lock().unwrap().quits += 1;
                    stream.write_all(b"221 2.0.0 bye\r\n").await?;
                    return Ok(None);
                }
                _ => b"502 5.5.2 no\r\n",
            };
            stream.write_all(reply).await?;
        }
    }

    fn connector(url: &str) -> anyhow::Result<Relay> {
        Relay::from_url(url, 1)
    }

    #[test]
    fn reads_every_documented_smtp_url_form() {
        let plain = connector("smtp://127.0.0.1:2525").unwrap();
        let c = plain.pool.manager();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 2525));
        assert!(matches!(c.encryption, Encryption::None));
        assert!(c.credentials.is_none());

        let submission =
            connector("smtp://api%20key:s%3Acret@smtp.example.org?tls=required").unwrap();
        let c = submission.pool.manager();
        assert_eq!((c.host.as_str(), c.port), ("smtp.example.org", 587));
        assert!(matches!(
            c.encryption,
            Encryption::StartTls { required: true, .. }
        ));
        assert!(c.credentials == Some(Credentials::new("api key".into(), "s:cret".into())));

        let opportunistic = connector("smtp://mx.example.org:2587?tls=opportunistic").unwrap();
        let c = opportunistic.pool.manager();
        assert_eq!(c.port, 2587);
        assert!(matches!(
            c.encryption,
            Encryption::StartTls {
                required: false,
                ..
            }
        ));

        let implicit = connector("smtps://u:p@smtp.example.org/mail.outlet.example").unwrap();
        let c = implicit.pool.manager();
        assert_eq!(c.port, 465);
        assert!(matches!(c.encryption, Encryption::Implicit { .. }));
        assert_eq!(c.hello, ClientId::Domain("mail.outlet.example".into()));
    }

    #[test]
    fn refuses_unknown_forms_without_showing_the_password() {
        for url in [
            "http://user:hunter2@smtp.example.org",
            "smtp://user:hunter2@smtp.example.org?tls=always",
            "smtp://user:hunter2@",
            "smtp://user:hunter2@smtp.example.org:99999",
            "smtp://user:%FF%FE@smtp.example.org",
            "not a url",
        ] {
            let Err(error) = connector(url) else {
                panic!("{url} was taken");
            };
            let error = format!("{error:#}");
            assert!(error.starts_with("SMTP_URL"), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{url}: {error}");
        }
    }

    /// A lease that always holds.
    async fn ready() -> Result<(), JobError> {
        Ok(())
    }

    fn message(n: usize) -> Message {
        Message::builder()
            .from("Outlet <news@outlet.example>".parse().unwrap())
            .to(format!("reader{n}@example.org").parse().unwrap())
            .subject(format!("Message {n}"))
            .body(format!("Hello {n}"))
            .unwrap()
    }

    #[tokio::test]
    async fn sends_over_implicit_tls_and_starttls_signed_in_and_quits() {
        for (implicit, scheme) in [(true, "smtps"), (false, "smtp")] {
            let server = TlsServer::start(implicit, !implicit).await;
            let tls = if implicit { "" } else { "?tls=required" };
            let url = format!("{scheme}://user:s3cret@localhost:{}{tls}", server.port);
            let relay = Relay::trusting(&url, 2, Some(&server.root)).unwrap();
            for n in 0..3 {
                relay.send(&message(n), ready()).await.unwrap();
            }
            relay.close().await;
            let seen = server.seen.lock().unwrap();
            assert_eq!(
                seen.sessions, 1,
                "{scheme}: one pooled connection: {seen:?}"
            );
            assert_eq!(seen.encrypted_auth, ["|user|s3cret"], "{scheme}");
            assert_eq!(seen.messages.len(), 3, "{scheme}");
            assert!(seen.messages[2].contains("Hello 2"), "{scheme}");
            assert_eq!(seen.quits, 1, "{scheme}");
        }
    }

    #[tokio::test]
    async fn a_server_without_starttls_or_with_an_unknown_certificate_gets_nothing() {
        let plain = TlsServer::start(false, false).await;
        let url = format!("smtp://user:s3cret@localhost:{}?tls=required", plain.port);
        let relay = Relay::trusting(&url, 1, Some(&plain.root)).unwrap();
        let refused = relay.send(&message(0), ready()).await.unwrap_err();
        assert!(refused.reason.contains("STARTTLS"), "{refused}");

        let stranger = TlsServer::start(true, false).await;
        let url = format!("smtps://user:s3cret@localhost:{}", stranger.port);
        let refused = Relay::from_url(&url, 1)
            .unwrap()
            .send(&message(0), ready())
            .await
            .unwrap_err();
        assert!(
            matches!(refused.failure, crate::jobs::Failure::Temporary),
            "{refused}"
        );

        for server in [plain, stranger] {
            let seen = server.seen.lock().unwrap();
            assert!(
                seen.encrypted_auth.is_empty() && seen.messages.is_empty(),
                "{seen:?}"
            );
        }
    }
}
