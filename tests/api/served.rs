//! `memberdrive serve` as its own process, as an operator (or an orchestrator starting several
//! instances) runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::support::wait::eventually;

/// A running `serve` process, killed if still running when dropped.
pub struct Served {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
    /// The port it listens on, from its start-up summary line.
    pub port: u16,
}

impl Served {
    /// Runs `cmd serve` with its standard error read line by line; waits (up to `limit`) until
    /// it says where it listens, and panics with its log if it exits first.
    pub async fn start(mut cmd: Command, limit: Duration) -> Served {
        let mut child = cmd.arg("serve").stderr(Stdio::piped()).spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(AtomicBool::new(false));
        let reader = std::thread::spawn({
            let (stderr, log, ended) = (child.stderr.take().unwrap(), log.clone(), ended.clone());
            move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
                ended.store(true, Ordering::SeqCst);
            }
        });
        let port = eventually("serve to say where it listens", limit, || {
            let log = log.lock().unwrap();
            let port = log.iter().find_map(|l| listening_port(l));
            if port.is_none() && ended.load(Ordering::SeqCst) {
                panic!("serve exited before listening:\n{}", log.join("\n"));
            }
            std::future::ready(port)
        })
        .await;
        Served {
            child,
            log,
            reader: Some(reader),
            port,
        }
    }

    /// `GET path` on a connection of its own: the status and the whole answer, or `None` when
    /// the process does not answer.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let status = out.split(' ').nth(1)?.parse().ok()?;
        Some((status, out))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as an orchestrator stopping it would.
    pub fn sigterm(&self) {
        signal("-TERM", self.pid());
    }

    /// Waits for it to exit; its status and everything it logged.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.child.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        let log = std::mem::take(&mut *self.log.lock().unwrap());
        (status, log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a signal (`-TERM`, `-KILL`, `-STOP`, `-CONT`) to a process.
pub fn signal(which: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(which)
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill {which} {pid}");
}

/// The port of the start-up summary line (`listening listen=127.0.0.1:PORT database=…`).
fn listening_port(line: &str) -> Option<u16> {
    let (_, after) = line.split_once(" listening ")?.1.split_once("listen=")?;
    let address = after.split_whitespace().next()?;
    address
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.port())
}
