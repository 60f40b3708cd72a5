//! A PostgreSQL cluster of a test's own, on a port of its own, for what cannot be done to the
//! shared server: freezing it (`SIGSTOP`, as a network partition looks to a client).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running private cluster; stopped (immediately) and deleted when dropped.
pub struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
}

impl PrivateCluster {
    /// Creates and starts a cluster with trust authentication. Panics with what to install
    /// when PostgreSQL's server programs are missing (`scripts/test` installs them).
    pub fn start() -> PrivateCluster {
        let bin = server_programs();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        // The server refuses to run as root: the cluster belongs to the `postgres` user then.
        if as_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        run(server_command(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--pgdata",
            ])
            .arg(&data));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        run(server_command(&bin.join("pg_ctl"))
            .args(["--wait", "--silent", "--pgdata"])
            .arg(&data)
            .args(["--options", &options, "--log"])
            .arg(dir.path().join("server.log"))
            .arg("start"));
        PrivateCluster {
            bin,
            data,
            _dir: dir,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        }
    }

    /// Stops every process of the cluster (`SIGSTOP`): connections stay open and nothing
    /// answers, as when the network between us and the database breaks.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets the cluster go on (`SIGCONT`).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = std::fs::read_to_string(self.data.join("postmaster.pid"))
            .expect("postmaster.pid")
            .lines()
            .next()
            .expect("the postmaster's pid")
            .trim()
            .to_owned();
        run(Command::new("kill").arg(which).arg(&pid));
        // Every process it started (backends, background workers); one may end meanwhile.
        let children = Command::new("pgrep").args(["-P", &pid]).output().unwrap();
        let children = String::from_utf8_lossy(&children.stdout);
        let _ = Command::new("kill")
            .arg(which)
            .args(children.split_whitespace())
            .output();
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.thaw();
        let _ = server_command(&self.bin.join("pg_ctl"))
            .args(["--mode=immediate", "--silent", "--pgdata"])
            .arg(&self.data)
            .arg("stop")
            .status();
    }
}

/// The newest `/usr/lib/postgresql/VERSION/bin` (Debian's layout), or the directory of an
/// `initdb` on the `PATH`.
fn server_programs() -> PathBuf {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .max_by_key(|bin| {
            bin.parent()
                .and_then(Path::file_name)
                .and_then(|v| v.to_str()?.parse::<u32>().ok())
        });
    let on_path = || {
        let out = Command::new("sh")
            .args(["-c", "command -v initdb"])
            .output()
            .ok()?;
        let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        path.parent().map(Path::to_path_buf)
    };
    debian.or_else(on_path).unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed; scripts/test \
             installs them (Debian package postgresql)"
        )
    })
}

fn as_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// `program`, run as the `postgres` user when we are root.
fn server_command(program: &Path) -> Command {
    if as_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PgBouncer in transaction mode in front of the PostgreSQL server at `server_url`, with two
/// server connections per database, so that consecutive transactions of one client land on
/// different server connections. Stopped when dropped.
pub struct PgBouncer {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    /// The port it listens on, at 127.0.0.1.
    pub port: u16,
}

impl PgBouncer {
    /// Starts it and waits (up to 30 s) until it accepts connections. Panics with what to
    /// install when it is missing (`scripts/test` installs it).
    pub fn start(server_url: &str) -> PgBouncer {
        let program = Path::new("/usr/sbin/pgbouncer");
        assert!(
            program.exists(),
            "PgBouncer is not installed; scripts/test installs it (Debian package pgbouncer)"
        );
        let server = url::Url::parse(server_url).expect("server URL");
        let dir = tempfile::tempdir().expect("temp dir");
        if as_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("pgbouncer.ini");
        std::fs::write(
            &config,
            format!(
                "[databases]\n* = host={host} port={server_port} user={user}\n\
                 [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
                 unix_socket_dir =\nauth_type = any\npool_mode = transaction\n\
                 default_pool_size = 2\nmax_client_conn = 200\n\
                 logfile = {dir}/pgbouncer.log\n",
                host = server.host_str().unwrap_or("127.0.0.1"),
                server_port = server.port().unwrap_or(5432),
                user = server.username(),
                dir = dir.path().display(),
            ),
        )
        .unwrap();
        let mut cmd = Command::new(program);
        // It refuses to run as root, and changes to another user itself when asked.
        if as_root() {
            cmd.args(["-u", "postgres"]);
        }
        let child = cmd
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start pgbouncer");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "PgBouncer did not listen on {port} within 30 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        PgBouncer {
            child,
            _dir: dir,
            port,
        }
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
