//! `spawn_app()`: the real application on a random port with a fresh database, an in-process
//! SMTP server, and typed helpers. Every database test runs once per backend through
//! [`both_backends!`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::dsl::{CountStar, Select};
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::SelectDsl;
use memberdrive::config::Settings;
use memberdrive::db::schema::{jobs, ledger_entries};
use memberdrive::db::{self, Db, DbConnection, DbError};
use memberdrive::domain::EmailAddress;
use memberdrive::staff::{self, Role, password};
use memberdrive::startup::Application;
use reqwest::header;

use crate::support::smtp::SmtpServer;
use crate::support::stripe_server::StripeServer;
use crate::support::wait::eventually;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `mod NAME { fn sqlite(); fn postgres(); }` running `async fn NAME(Backend)` on each.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

/// The admin URL of the PostgreSQL server the tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("MEMBERDRIVE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database for one test; PostgreSQL databases are dropped by the next
/// `scripts/test` run (they may still have connections open when the test ends).
pub struct TestDatabase {
    pub url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}", dir.path().join("test.db").display()),
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let name = format!("md_test_{}", rand_suffix());
                let admin = pg_admin_url();
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {admin} ({e}). Run the suite with scripts/test, \
                         which starts one, or set MEMBERDRIVE_TEST_PG_URL."
                    )
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("admin URL");
                url.set_path(&format!("/{name}"));
                TestDatabase {
                    url: url.to_string(),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }

    /// Makes the PostgreSQL database refuse the application, as if its server stopped: new
    /// connections are refused and open ones are cut.
    pub async fn stop(&self) {
        let name = self
            .pg_name
            .clone()
            .expect("an embedded SQLite file has no server to stop");
        let refuse = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false;");
        tokio::task::spawn_blocking(move || admin_sql(&refuse))
            .await
            .unwrap();
        // A connection that was starting up when the database closed can still finish: end
        // sessions until a pass finds none left.
        let what = format!("no session of {name} left after it stopped accepting connections");
        eventually(&what, Duration::from_secs(10), || {
            let terminate = format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            );
            async move {
                let ended = tokio::task::spawn_blocking(move || {
                    let mut admin = PgConnection::establish(&pg_admin_url()).expect("admin");
                    diesel::sql_query(terminate).execute(&mut admin)
                });
                let ended = ended.await.unwrap().expect("terminate sessions");
                if ended == 0 {
                    Ok(())
                } else {
                    Err(format!("{ended} session(s) ended in the last pass"))
                }
            }
        })
        .await;
    }

    /// Lets the application back in.
    pub fn start(&self) {
        let name = self.pg_name.as_ref().expect("PostgreSQL only");
        admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"));
    }
}

fn admin_sql(sql: &str) {
    let mut conn = PgConnection::establish(&pg_admin_url()).expect("admin connection");
    conn.batch_execute(sql).expect(sql);
}

pub fn rand_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A running application and its peers.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub database: Arc<TestDatabase>,
    pub smtp: SmtpServer,
    pub client: reqwest::Client,
    /// Where `.eml` files go when a test unsets `SMTP_URL`.
    pub mail_dir: tempfile::TempDir,
    pub base_url: String,
    /// The settings it runs with.
    pub settings: Arc<Settings>,
    stopper: memberdrive::startup::Stopper,
}

impl TestApp {
    /// Stops the application as SIGTERM would; returns at once.
    pub fn stop(&self) {
        self.stopper.stop();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The server's workers run on threads of their own and would outlive the test,
        // keeping their database connections open.
        self.stopper.stop();
    }
}

/// Extra settings for one test (contract variable names).
pub type Overrides<'a> = &'a [(&'a str, &'a str)];

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, overrides: Overrides<'_>) -> TestApp {
    let database = Arc::new(
        tokio::task::spawn_blocking(move || TestDatabase::new(backend))
            .await
            .unwrap(),
    );
    spawn_app_on(database, overrides).await
}

/// Starts an application on an existing test database (a second instance, or a restart).
pub async fn spawn_app_on(database: Arc<TestDatabase>, overrides: Overrides<'_>) -> TestApp {
    let smtp = SmtpServer::start().await;
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let mut values: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database.url.clone()),
        ("MEMBERDRIVE_BIND".into(), "127.0.0.1:0".into()),
        ("SMTP_URL".into(), smtp.url()),
        (
            "MEMBERDRIVE_MAIL_DIR".into(),
            mail_dir.path().display().to_string(),
        ),
        (
            "MAIL_FROM".into(),
            "Newsroom Members <members@news.example>".into(),
        ),
    ]);
    for (k, v) in overrides {
        values.insert((*k).into(), (*v).into());
    }
    // The base URL names the real port, which is known only after binding: bind first, and
    // hand the bound listener to the application (a port probed and let go could be taken).
    let listener = listen_on_a_free_port();
    let port = listener.local_addr().unwrap().port();
    values.insert("MEMBERDRIVE_BIND".into(), format!("127.0.0.1:{port}"));
    values
        .entry("MEMBERDRIVE_BASE_URL".into())
        .or_insert_with(|| format!("http://127.0.0.1:{port}"));
    let base_url = values["MEMBERDRIVE_BASE_URL"].clone();
    let settings = Settings::from_map(&values).expect("test settings");
    if std::env::var("TEST_LOG").is_ok() {
        memberdrive::telemetry::init(settings.log_format);
    }
    let db = Db::connect(&settings.database_url, settings.db_pool_size).expect("test db");
    let shared = Arc::new(settings.clone());
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("application starts");
    let stopper = app.stopper();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        database,
        smtp,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        mail_dir,
        base_url,
        settings: shared,
        stopper,
    }
}

/// A listener on 127.0.0.1 and a port the system picked, with the deep accept queue the
/// application gives its own listener.
fn listen_on_a_free_port() -> std::net::TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind 127.0.0.1:0");
    let listener = socket.listen(4096).expect("listen");
    listener.into_std().expect("a std listener")
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_as(path, form, "*/*").await
    }

    /// POSTs `form` to `path` asking for JSON.
    pub async fn post_form_json(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_as(path, form, "application/json").await
    }

    /// Each form comes from a reader of its own, as on a real site: the app behind the trusted
    /// proxy of [`spawn_app_with_stripe`] sees a new client address each time (other apps
    /// ignore the header), so the limits per client never meet a test's many joins. Tests of
    /// those limits name their clients.
    async fn post_form_as(
        &self,
        path: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> reqwest::Response {
        static READERS: AtomicU32 = AtomicU32::new(1);
        let [_, b, c, d] = READERS.fetch_add(1, Ordering::Relaxed).to_be_bytes();
        self.client
            .post(format!("{}{path}", self.address))
            .header(header::ACCEPT, accept)
            .header("x-forwarded-for", format!("10.{b}.{c}.{d}"))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// The widget JSON of a campaign.
    pub async fn widget_json(&self, slug: &str) -> serde_json::Value {
        let res = self.get(&format!("/widget/{slug}.json")).await;
        assert_eq!(res.status(), 200, "widget json of {slug}");
        res.json().await.unwrap()
    }

    /// Waits until the widget shows `count`, failing after `limit`; returns how long it took.
    pub async fn wait_for_count(&self, slug: &str, count: i64, limit: Duration) -> Duration {
        let started = std::time::Instant::now();
        let what = format!("widget {slug} to show {count}");
        eventually(&what, limit, || async {
            let res = self.get(&format!("/widget/{slug}.json")).await;
            let shown = match res.status().as_u16() {
                200 => res.json::<serde_json::Value>().await.unwrap()["count"].clone(),
                404 => serde_json::Value::Null, // a new campaign, not on the board yet
                other => panic!("widget {slug} answered {other}"),
            };
            if shown == count {
                Ok(())
            } else {
                Err(format!("it shows {shown}"))
            }
        })
        .await;
        started.elapsed()
    }
}

impl TestApp {
    /// Runs read-only `f` on the test's database.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> T {
        self.db.read(f).await.expect("read the test database")
    }

    /// Runs `f` in one transaction on the test's database.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    ) -> T {
        self.db
            .write(move |c| -> Result<T, DbError> { Ok(f(c)?) })
            .await
            .expect("write the test database")
    }

    /// How many rows `query` (a table, or a table with filters) finds.
    pub async fn count<Q>(&self, query: Q) -> i64
    where
        Q: QueryDsl + SelectDsl<CountStar> + Send + 'static,
        Select<Q, CountStar>: LoadQuery<'static, DbConnection, i64>,
    {
        self.read(move |c| query.count().get_result(c)).await
    }

    /// Waits until no job of `kind` (`"email"`, `"stripe_event"`) is queued, retrying or
    /// running: each is done or dead-lettered, so nothing more will come of them. Jobs
    /// scheduled for later (never attempted, due in more than a minute: a reminder days
    /// ahead) are not waited for.
    pub async fn wait_for_jobs(&self, kind: &'static str, limit: Duration) {
        let what = format!("every {kind} job to be done or dead");
        eventually(&what, limit, || async {
            let later = db::now() + chrono::Duration::minutes(1);
            let queued = jobs::table
                .filter(jobs::status.eq("queued"))
                .filter(jobs::attempts.gt(0).or(jobs::run_at.le(later)));
            let open = self.count(queued.filter(jobs::kind.eq(kind))).await;
            if open == 0 {
                Ok(())
            } else {
                Err(format!("{open} still queued"))
            }
        })
        .await;
    }

    /// Waits until `/readyz` answers `status`, failing after `limit`.
    pub async fn wait_for_readyz(&self, status: u16, limit: Duration) {
        eventually(&format!("/readyz to answer {status}"), limit, || async {
            let answer = self.get("/readyz").await.status();
            if answer == status {
                Ok(())
            } else {
                Err(answer)
            }
        })
        .await;
    }
}

/// An application configured for Stripe against a fresh Stripe test server that sends its
/// webhooks to it.
pub async fn spawn_app_with_stripe(backend: Backend) -> (TestApp, StripeServer) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(backend, &stripe, &[]).await;
    (app, stripe)
}

/// An application configured for `stripe` (sending its webhooks to it) with `overrides`.
pub async fn spawn_app_for(
    backend: Backend,
    stripe: &StripeServer,
    overrides: Overrides<'_>,
) -> TestApp {
    let url = stripe.url();
    let mut settings = vec![
        ("STRIPE_SECRET_KEY", StripeServer::SECRET_KEY),
        ("STRIPE_WEBHOOK_SECRET", StripeServer::WEBHOOK_SECRET),
        ("STRIPE_API_BASE", url.as_str()),
        // The outlet's site, whose articles send readers to join.
        ("MEMBERDRIVE_WIDGET_ANCESTORS", "https://news.example"),
        // Behind a proxy that names each reader (see `TestApp::post_form`).
        ("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    settings.extend_from_slice(overrides);
    let app = spawn_app_with(backend, &settings).await;
    stripe.set_webhook_url(&format!("{}/webhooks/stripe", app.address));
    app
}

/// POSTs `form` to `path` as the client `ip`, which the app's trusted proxy names.
pub async fn post_from(
    app: &TestApp,
    path: &str,
    ip: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .header("x-forwarded-for", ip)
        .form(form)
        .send()
        .await
        .expect("POST")
}

/// Delivers every queued Stripe event twice at once (Stripe retries, and sometimes delivers
/// twice) and waits until they are processed.
pub async fn deliver_twice(app: &TestApp, stripe: &StripeServer) {
    let statuses = stripe
        .deliver(crate::support::stripe_server::Delivery::Repeated {
            times: 2,
            concurrently: true,
        })
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_jobs("stripe_event", Duration::from_secs(30))
        .await;
}

/// A database of `database`'s, migrated, without an application on it.
pub async fn migrated_db(database: &TestDatabase) -> Db {
    let db = Db::connect(
        &memberdrive::config::DatabaseUrl::parse(&database.url).unwrap(),
        db::DEFAULT_POOL_SIZE,
    )
    .unwrap();
    let migrate = db.clone();
    tokio::task::spawn_blocking(move || db::run_migrations(&mut migrate.get().unwrap()))
        .await
        .unwrap()
        .unwrap();
    db
}

/// Joins through the form; returns the Checkout Session id the app redirected to.
pub async fn join(app: &TestApp, stripe: &StripeServer, form: &[(&str, &str)]) -> String {
    let res = app.post_form("/join", form).await;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let prefix = format!("{}checkout/", stripe.url());
    location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location} is not a checkout URL"))
        .to_owned()
}

/// The session cookie's name.
pub const COOKIE: &str = memberdrive::auth::session::STAFF.cookie;
/// The password of every staff account a test creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates a staff account with [`PASSWORD`]; returns its id.
pub async fn add_staff(app: &TestApp, email: &str, role: Role) -> i32 {
    let hash = password::hash(PASSWORD).unwrap();
    let email = EmailAddress::parse(email).unwrap();
    app.db
        .write(move |c| -> anyhow::Result<i32> {
            Ok(staff::create(c, &email, &hash, role, db::now())?)
        })
        .await
        .unwrap()
}

pub async fn sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/admin/login", app.address))
        .form(&[("email", email), ("password", password), ("next", "/admin")]);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.expect("POST /admin/login")
}

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    sign_in_from(app, email, password, None).await
}

/// The whole `Set-Cookie` header of the session cookie.
pub fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{COOKIE}=")))
        .map(str::to_owned)
}

/// Signs in (password [`PASSWORD`]) and returns the session cookie's value.
pub async fn session_of(app: &TestApp, email: &str) -> String {
    let res = sign_in(app, email, PASSWORD).await;
    assert_eq!(res.status(), 303, "sign-in of {email}");
    let header = set_cookie(&res).expect("a session cookie");
    header[COOKIE.len() + 1..]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

pub fn request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = app.client.request(method, format!("{}{path}", app.address));
    if let Some(value) = cookie {
        req = req.header(header::COOKIE, format!("{COOKIE}={value}"));
    }
    req
}

pub async fn get_as(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    request(app, reqwest::Method::GET, path, Some(cookie))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap()
}

/// The page at `path`, fetched with the session `cookie`.
pub async fn text_as(app: &TestApp, path: &str, cookie: &str) -> String {
    get_as(app, path, cookie).await.text().await.unwrap()
}

/// POSTs `fields` with the CSRF `token` of the form to `path`, as the staff member whose
/// session is `cookie`.
pub async fn submit(
    app: &TestApp,
    cookie: &str,
    token: &str,
    path: &str,
    mut fields: Vec<(&str, &str)>,
) -> reqwest::Response {
    fields.push(("csrf_token", token));
    post_as(app, path, cookie, &fields).await
}

/// Sends `body`, as it is, as a form (`application/x-www-form-urlencoded`).
pub async fn post_raw_form(req: reqwest::RequestBuilder, body: &'static str) -> reqwest::Response {
    req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Sends `req` and returns the body of the answer, as text.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

pub async fn post_as(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    request(app, reqwest::Method::POST, path, Some(cookie))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs `email` in through the emailed link; the session's `Cookie` header value.
pub async fn member_cookie(app: &TestApp, email: &str) -> String {
    app.post_form("/account/sign-in", &[("email", email)]).await;
    let mail = app
        .smtp
        .wait_until("a sign-in link", Duration::from_secs(30), |m| {
            m.iter()
                .any(|m| m.text_part().contains("/account/sign-in?token="))
        })
        .await;
    let text = mail
        .iter()
        .find(|m| m.text_part().contains("/account/sign-in?token="))
        .unwrap()
        .text_part();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/account/sign-in?token="))
        .unwrap()
        .to_owned();
    let res = app
        .post_form("/account/sign-in/confirm", &[("token", &token_of(&link))])
        .await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// The account page as the member whose session `cookie` is.
pub async fn account_page(app: &TestApp, cookie: &str) -> String {
    let res = app
        .client
        .get(format!("{}/account", app.address))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    res.text().await.unwrap()
}

/// A CSV download at `path` (fetched as the staff member whose session is `cookie`), as rows.
pub async fn csv_of(app: &TestApp, cookie: &str, path: &str) -> Vec<Vec<String>> {
    let res = get_as(app, path, cookie).await;
    assert_eq!(res.status(), 200, "{path}");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "{path}"
    );
    let body = res.text().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Replaces campaign `campaign_id`'s ledger with one entry of `total` dated today (none for
/// 0) and recounts, as staff entering outside contributions would.
pub fn set_ledger(c: &mut DbConnection, campaign_id: i32, total: i64) -> QueryResult<()> {
    diesel::delete(ledger_entries::table.filter(ledger_entries::campaign_id.eq(campaign_id)))
        .execute(c)?;
    let now = db::now();
    if total != 0 {
        diesel::insert_into(ledger_entries::table)
            .values((
                ledger_entries::campaign_id.eq(campaign_id),
                ledger_entries::occurred_at.eq(now.date().and_hms_opt(0, 0, 0).unwrap()),
                ledger_entries::amount.eq(total),
                ledger_entries::source.eq("Bank transfers"),
                ledger_entries::entered_by.eq("staff:editor@news.example"),
                ledger_entries::created_at.eq(now),
            ))
            .execute(c)?;
    }
    memberdrive::campaigns::progress::refresh(c, campaign_id, now).map(drop)
}

/// The `memberdrive` binary, without the settings of the environment the tests run in.
/// Takes a migrated database back to before the migration in `folder` (its `down.sql`), as an
/// older release left it; the next `run_migrations` applies it again.
pub fn undo_migration(conn: &mut DbConnection, folder: &str) {
    let backend = match conn {
        DbConnection::Sqlite(_) => "sqlite",
        DbConnection::Pg(_) => "postgres",
    };
    let down = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/{folder}/down.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let version = folder.split('_').next().unwrap().replace('-', "");
    diesel::connection::SimpleConnection::batch_execute(
        conn,
        &format!("{down}; DELETE FROM __diesel_schema_migrations WHERE version = '{version}'"),
    )
    .unwrap();
}

pub fn memberdrive_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_memberdrive"));
    for var in [
        "DATABASE_URL",
        "MEMBERDRIVE_BIND",
        "MEMBERDRIVE_BASE_URL",
        "SMTP_URL",
        "MEMBERDRIVE_MAIL_DIR",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "MEMBERDRIVE_SESSION_KEY",
        "MEMBERDRIVE_CONFIG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The `token` parameter of a link.
pub fn token_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

/// The CSRF token in a page's forms.
pub fn csrf_in(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A route pattern of `memberdrive::routes::ROUTES` with every `{param}` filled in: the
/// campaign every new database has for `{campaign}`, `1` for the others.
pub fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| match (s.find('{'), s.find('}')) {
            (Some(open), Some(close)) => {
                let value = match &s[open..=close] {
                    "{campaign}" => "members",
                    _ => "1",
                };
                format!("{}{value}{}", &s[..open], &s[close + 1..])
            }
            _ => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}
