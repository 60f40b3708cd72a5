//! Failed sign-ins do not take memory without bound: the built binary, as its own process,
//! answers a burst of them and its resident memory stays small (`scripts/bench-signin-memory`
//! runs the same with 500).

use std::process::{Child, Stdio};
use std::time::Duration;

use futures_util::StreamExt;

use crate::helpers::memberdrive_command;
use crate::support::wait::eventually;

/// Failed sign-ins in all, and the clients they come from.
const FAILURES: usize = 200;
const CLIENTS: usize = 50;
/// The most resident memory the process may hold once every answer came.
const LIMIT_MIB: f64 = 128.0;

/// Stops the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_from_many_clients_leave_the_process_under_128_mb() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let server = memberdrive_command()
        .arg("serve")
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/md.db", dir.path().display()),
        )
        .env("MEMBERDRIVE_BIND", format!("127.0.0.1:{port}"))
        .env("MEMBERDRIVE_MAIL_DIR", dir.path().join("mail"))
        .env("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start memberdrive serve");
    let server = Server(server);
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    eventually(
        "the server to answer /healthz",
        Duration::from_secs(30),
        || {
            let url = format!("{address}/healthz");
            let client = client.clone();
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        },
    )
    .await;

    // Every attempt is a full argon2id check: a wrong password for an address nobody has is
    // checked against a dummy hash of the same cost, and no back-off cuts it short.
    let attempts = (0..FAILURES).map(|i| (i % CLIENTS, i / CLIENTS));
    futures_util::stream::iter(attempts)
        .for_each_concurrent(CLIENTS, |(from, n)| {
            let (client, address) = (&client, &address);
            async move {
                let email = format!("guess{from}.{n}@news.example");
                let res = client
                    .post(format!("{address}/admin/login"))
                    .header("x-forwarded-for", format!("10.77.0.{}", from + 1))
                    .form(&[("email", email.as_str()), ("password", "not it")])
                    .send()
                    .await
                    .expect("POST /admin/login");
                assert_eq!(res.status(), 401, "attempt {n} of client {from}");
            }
        })
        .await;

    let resident = resident_mib(server.0.id());
    assert!(
        resident < LIMIT_MIB,
        "{FAILURES} failed sign-ins from {CLIENTS} clients left {resident:.1} MiB resident"
    );
}
