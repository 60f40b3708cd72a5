//! Typed settings from the environment and an optional `memberdrive.toml`.
//!
//! Every key of the contract may be set in either place; the environment wins. Each value is
//! parsed once at start-up, and a bad one stops the program with one line naming the variable.
//! Secrets are wrapped in [`Secret`], whose `Debug` never shows the value.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use url::Url;

use crate::db::Backend;

mod mail_webhooks;
mod members;
mod secret;

pub use mail_webhooks::MailWebhooks;
pub use members::MemberSettings;
pub use secret::Secret;

/// `DATABASE_URL`, validated: `sqlite://PATH` or `postgres://…`. May hold a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: Secret,
    backend: Backend,
}

impl DatabaseUrl {
    /// Parses and checks the scheme.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let backend = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
            Backend::Postgres
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://memberdrive.db".into());
            }
            Backend::Sqlite
        } else {
            return Err("must start with sqlite:// or postgres://".into());
        };
        Ok(DatabaseUrl {
            raw: Secret::new(raw),
            backend,
        })
    }

    /// Which backend this URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The full URL, password included, for the driver only.
    pub fn expose(&self) -> &str {
        self.raw.expose()
    }

    /// What libpq is given for a `postgres://` URL: the URL without `pgbouncer=true` (ours,
    /// not libpq's), with a connect timeout and TCP keepalives unless the URL sets its own, so
    /// neither an unreachable server nor a silently dead connection holds a caller for long.
    pub fn driver_url(&self) -> String {
        let Ok(mut url) = Url::parse(self.expose()) else {
            return self.expose().to_owned();
        };
        let mut pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| key != PGBOUNCER)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (key, value) in PG_CONNECTION_DEFAULTS {
            if !pairs.iter().any(|(k, _)| k == key) {
                pairs.push((key.to_string(), value.to_string()));
            }
        }
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.into()
    }

    /// Whether the URL says a PgBouncer in transaction mode stands between us and PostgreSQL
    /// (`?pgbouncer=true`): each transaction may then run on another server connection.
    pub fn behind_pgbouncer(&self) -> bool {
        Url::parse(self.expose()).is_ok_and(|url| {
            url.query_pairs()
                .any(|(key, value)| key == PGBOUNCER && value == "true")
        })
    }

    /// The file path of a `sqlite://` URL.
    pub fn sqlite_path(&self) -> &str {
        self.raw.expose().trim_start_matches("sqlite://")
    }

    /// The URL with any password replaced, safe for messages.
    pub fn redacted(&self) -> String {
        match Url::parse(self.expose()) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.expose().to_owned(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The query parameter of a `postgres://` URL that says PgBouncer runs in transaction mode.
const PGBOUNCER: &str = "pgbouncer";

/// libpq parameters every PostgreSQL connection gets unless its URL sets them: give up
/// connecting after 5 s, and find a dead peer within about a minute.
const PG_CONNECTION_DEFAULTS: [(&str, &str); 5] = [
    ("connect_timeout", "5"),
    ("keepalives", "1"),
    ("keepalives_idle", "30"),
    ("keepalives_interval", "10"),
    ("keepalives_count", "3"),
];

/// How request and worker logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Whether paid membership is on, and against which of Stripe's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeMode {
    /// No `STRIPE_SECRET_KEY`: the join page says paid membership is off.
    Off,
    /// A test key: Stripe's test mode, no real money.
    Test,
    /// A live key.
    Live,
}

impl StripeMode {
    /// The mode a secret (`sk_`) or restricted (`rk_`) key belongs to; `None` for anything else.
    fn of_key(key: &str) -> Option<StripeMode> {
        ["sk_", "rk_"].iter().find_map(|kind| {
            let mode = key.strip_prefix(kind)?;
            if mode.starts_with("test_") {
                Some(StripeMode::Test)
            } else if mode.starts_with("live_") {
                Some(StripeMode::Live)
            } else {
                None
            }
        })
    }

    /// `off`, `test` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            StripeMode::Off => "off",
            StripeMode::Test => "test",
            StripeMode::Live => "live",
        }
    }
}

/// All runtime settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the data lives.
    pub database_url: DatabaseUrl,
    /// Listen address.
    pub bind: SocketAddr,
    /// Public URL every emailed link is built from.
    pub base_url: Url,
    /// SMTP relay; `None` writes `.eml` files to `mail_dir`.
    pub smtp_url: Option<Secret>,
    /// Where `.eml` files go without SMTP.
    pub mail_dir: PathBuf,
    /// The From address.
    pub mail_from: Mailbox,
    /// Stripe API key; `None` switches paid membership off.
    pub stripe_secret_key: Option<Secret>,
    /// Webhook signing secrets (several during rotation).
    pub stripe_webhook_secrets: Vec<Secret>,
    /// Stripe API base URL.
    pub stripe_api_base: Url,
    /// What was set but no longer does anything, one line each, to be logged at start.
    pub deprecations: Vec<&'static str>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// `frame-ancestors` sources for the widget iframe.
    pub widget_ancestors: String,
    /// Log format.
    pub log_format: LogFormat,
    /// DKIM signing for outgoing mail: selector and RSA private key (PKCS#1 PEM).
    pub dkim: Option<DkimSettings>,
    /// Most database connections this instance holds.
    pub db_pool_size: u32,
    /// Who may report bounces and complaints.
    pub mail_webhooks: MailWebhooks,
    /// Renewal notices, the emails after a failed payment, and pausing.
    pub members: MemberSettings,
    /// The time zone a new campaign's dates default to.
    pub time_zone: chrono_tz::Tz,
}

/// DKIM settings; the signing domain is the From address's domain.
#[derive(Debug, Clone)]
pub struct DkimSettings {
    /// DNS selector (`selector._domainkey.example.org`).
    pub selector: String,
    /// The PEM text of the private key.
    pub private_key: Secret,
}

/// A setting that could not be used, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {key}: {problem}")]
pub struct ConfigError {
    /// The variable's name.
    pub key: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

const KEYS: &[&str] = &[
    "DATABASE_URL",
    "MEMBERDRIVE_BIND",
    "MEMBERDRIVE_BASE_URL",
    "SMTP_URL",
    "MEMBERDRIVE_MAIL_DIR",
    "MAIL_FROM",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "MEMBERDRIVE_SESSION_KEY",
    "MEMBERDRIVE_TRUSTED_PROXIES",
    "MEMBERDRIVE_WIDGET_ANCESTORS",
    "MEMBERDRIVE_LOG_FORMAT",
    "MEMBERDRIVE_DKIM_SELECTOR",
    "MEMBERDRIVE_DKIM_KEY_FILE",
    "MEMBERDRIVE_DB_POOL_SIZE",
    "MEMBERDRIVE_TIME_ZONE",
];

/// Every variable a setting is read from (the environment's and `memberdrive.toml`'s).
fn known_keys() -> impl Iterator<Item = &'static str> {
    KEYS.iter()
        .chain(&mail_webhooks::KEYS)
        .chain(&members::KEYS)
        .copied()
}

impl Settings {
    /// Reads `memberdrive.toml` (or the file named by `MEMBERDRIVE_CONFIG`) and the environment.
    pub fn load() -> Result<Settings, ConfigError> {
        // The default file is optional; a file named on purpose must be there.
        let mut values = match std::env::var_os("MEMBERDRIVE_CONFIG") {
            Some(file) => read_toml(Path::new(&file), true)?,
            None => read_toml(Path::new("memberdrive.toml"), false)?,
        };
        for key in known_keys() {
            if let Ok(value) = std::env::var(key) {
                values.insert(key.to_string(), value);
            }
        }
        Settings::from_map(&values)
    }

    /// The defaults with another public URL (unit tests of what depends on it).
    #[cfg(test)]
    pub fn with_base_url(base: &str) -> Settings {
        let values = HashMap::from([("MEMBERDRIVE_BASE_URL".to_owned(), base.to_owned())]);
        Settings::from_map(&values).unwrap()
    }

    /// Builds settings from key/value pairs (unset keys take the contract's defaults).
    pub fn from_map(values: &HashMap<String, String>) -> Result<Settings, ConfigError> {
        let get = |key: &'static str| values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let parse = |key: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(get(key).unwrap_or(default).to_owned())
        };
        let err = |key: &'static str| move |problem: String| ConfigError { key, problem };

        let database_url = DatabaseUrl::parse(&parse("DATABASE_URL", "sqlite://memberdrive.db")?)
            .map_err(err("DATABASE_URL"))?;
        let bind = parse("MEMBERDRIVE_BIND", "127.0.0.1:8080")?
            .parse::<SocketAddr>()
            .map_err(|e| {
                err("MEMBERDRIVE_BIND")(format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8080)"))
            })?;
        let base_url = parse_http_url(&parse("MEMBERDRIVE_BASE_URL", "http://127.0.0.1:8080")?)
            .map_err(err("MEMBERDRIVE_BASE_URL"))?;
        let smtp_url = match get("SMTP_URL") {
            Some(raw) => {
                let url = Url::parse(raw).map_err(|e| err("SMTP_URL")(e.to_string()))?;
                if !matches!(url.scheme(), "smtp" | "smtps") {
                    return Err(err("SMTP_URL")(
                        "must start with smtp:// or smtps://".into(),
                    ));
                }
                Some(Secret::new(raw))
            }
            None => None,
        };
        let mail_dir = PathBuf::from(parse("MEMBERDRIVE_MAIL_DIR", "./mail")?);
        let mail_from = parse("MAIL_FROM", "Members <members@localhost>")?
            .parse::<Mailbox>()
            .map_err(|e| err("MAIL_FROM")(format!("not an address: {e}")))?;
        let stripe_secret_key = match get("STRIPE_SECRET_KEY") {
            Some(key) if key.starts_with("pk_") => {
                return Err(err("STRIPE_SECRET_KEY")(
                    "this is a publishable key (pk_…), which cannot call Stripe's API; use the \
                     secret key (sk_…) or a restricted key (rk_…)"
                        .into(),
                ));
            }
            Some(key) if StripeMode::of_key(key).is_none() => {
                return Err(err("STRIPE_SECRET_KEY")(
                    "must start with sk_test_, sk_live_, rk_test_ or rk_live_".into(),
                ));
            }
            Some(key) => Some(Secret::new(key)),
            None => None,
        };
        let stripe_webhook_secrets = get("STRIPE_WEBHOOK_SECRET")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with("whsec_") {
                            Ok(Secret::new(s))
                        } else {
                            Err(err("STRIPE_WEBHOOK_SECRET")(
                                "each secret must start with whsec_".into(),
                            ))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        // Half a Stripe set-up takes payments it can never count (no webhook secret: every
        // event is refused), or counts events for payments it cannot take: neither starts.
        match (&stripe_secret_key, stripe_webhook_secrets.is_empty()) {
            (Some(_), true) => {
                return Err(err("STRIPE_WEBHOOK_SECRET")(
                    "required with STRIPE_SECRET_KEY: without it every Stripe event is refused \
                     and nobody who pays is counted"
                        .into(),
                ));
            }
            (None, false) => {
                return Err(err("STRIPE_SECRET_KEY")(
                    "required with STRIPE_WEBHOOK_SECRET (unset both to switch payments off)"
                        .into(),
                ));
            }
            _ => {}
        }
        let stripe_api_base = parse_http_url(&parse("STRIPE_API_BASE", "https://api.stripe.com/")?)
            .map_err(err("STRIPE_API_BASE"))?;
        let mut deprecations = Vec::new();
        if get("MEMBERDRIVE_SESSION_KEY").is_some() {
            deprecations.push(
                "MEMBERDRIVE_SESSION_KEY is deprecated and ignored: sessions are random tokens \
                 stored hashed in the database, which needs no key",
            );
        }
        let trusted_proxies = get("MEMBERDRIVE_TRUSTED_PROXIES")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<IpAddr>()
                            .map_err(|e| err("MEMBERDRIVE_TRUSTED_PROXIES")(format!("{s:?}: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let widget_ancestors = parse("MEMBERDRIVE_WIDGET_ANCESTORS", "*")?;
        if widget_ancestors.contains([';', ',', '\n', '\r']) {
            return Err(err("MEMBERDRIVE_WIDGET_ANCESTORS")(
                "space-separated origins only (no ; or ,)".into(),
            ));
        }
        let log_format = match parse("MEMBERDRIVE_LOG_FORMAT", "text")?.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(err("MEMBERDRIVE_LOG_FORMAT")(format!(
                    "{other:?} is neither text nor json"
                )));
            }
        };
        let dkim = match (
            get("MEMBERDRIVE_DKIM_SELECTOR"),
            get("MEMBERDRIVE_DKIM_KEY_FILE"),
        ) {
            (None, None) => None,
            (Some(selector), Some(path)) => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|e| err("MEMBERDRIVE_DKIM_KEY_FILE")(format!("{path}: {e}")))?;
                lettre::message::dkim::DkimSigningKey::new(
                    &pem,
                    lettre::message::dkim::DkimSigningAlgorithm::Rsa,
                )
                .map_err(|e| {
                    err("MEMBERDRIVE_DKIM_KEY_FILE")(format!(
                        "{path}: not an RSA PKCS#1 PEM key: {e}"
                    ))
                })?;
                Some(DkimSettings {
                    selector: selector.to_owned(),
                    private_key: Secret::new(pem),
                })
            }
            (Some(_), None) => {
                return Err(err("MEMBERDRIVE_DKIM_KEY_FILE")(
                    "required with MEMBERDRIVE_DKIM_SELECTOR".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(err("MEMBERDRIVE_DKIM_SELECTOR")(
                    "required with MEMBERDRIVE_DKIM_KEY_FILE".into(),
                ));
            }
        };
        let db_pool_size = parse(
            "MEMBERDRIVE_DB_POOL_SIZE",
            &crate::db::DEFAULT_POOL_SIZE.to_string(),
        )?
        .parse::<u32>()
        .ok()
        .filter(|size| (1..=1000).contains(size))
        .ok_or_else(|| {
            err("MEMBERDRIVE_DB_POOL_SIZE")("must be a whole number from 1 to 1000".into())
        })?;
        let time_zone = parse("MEMBERDRIVE_TIME_ZONE", "UTC")?
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                err("MEMBERDRIVE_TIME_ZONE")(
                    "not a time zone name (expected an IANA name such as Europe/Kyiv or UTC)"
                        .into(),
                )
            })?;
        let mail_webhooks =
            mail_webhooks::parse(get).map_err(|(key, problem)| ConfigError { key, problem })?;
        let members = members::parse(get).map_err(|(key, problem)| ConfigError { key, problem })?;
        Ok(Settings {
            time_zone,
            members,
            mail_webhooks,
            db_pool_size,
            dkim,
            database_url,
            bind,
            base_url,
            smtp_url,
            mail_dir,
            mail_from,
            stripe_secret_key,
            stripe_webhook_secrets,
            stripe_api_base,
            deprecations,
            trusted_proxies,
            widget_ancestors,
            log_format,
        })
    }

    /// Stripe's mode, from the key.
    pub fn stripe_mode(&self) -> StripeMode {
        self.stripe_secret_key
            .as_ref()
            .and_then(|key| StripeMode::of_key(key.expose()))
            .unwrap_or(StripeMode::Off)
    }

    /// Where mail goes, without credentials: `smtp://HOST:PORT` or `files in DIR`.
    pub fn mail_summary(&self) -> String {
        match self
            .smtp_url
            .as_ref()
            .and_then(|u| Url::parse(u.expose()).ok())
        {
            Some(url) => format!(
                "{}://{}:{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or(25)
            ),
            None => format!("files in {}", self.mail_dir.display()),
        }
    }

    /// The public URL of `path` (which starts with `/`), from the configured base URL.
    pub fn public_url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

fn parse_http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(url)
}

fn read_toml(path: &Path, required: bool) -> Result<HashMap<String, String>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(HashMap::new());
        }
        Err(e) => {
            return Err(ConfigError {
                key: "MEMBERDRIVE_CONFIG",
                problem: format!("{}: {e}", path.display()),
            });
        }
    };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
        key: "MEMBERDRIVE_CONFIG",
        problem: format!("{}: {}", path.display(), e.message()),
    })?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let upper = key.to_ascii_uppercase();
        let Some(known) = known_keys().find(|k| *k == upper) else {
            return Err(ConfigError {
                key: "MEMBERDRIVE_CONFIG",
                problem: format!("{}: unknown key {key:?}", path.display()),
            });
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Array(items) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        values.insert(known.to_owned(), value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_map(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url.backend(), Backend::Sqlite);
        assert_eq!(s.database_url.sqlite_path(), "memberdrive.db");
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(s.widget_ancestors, "*");
        assert!(s.smtp_url.is_none() && s.stripe_secret_key.is_none());
        assert_eq!(s.db_pool_size, 10);
    }

    #[test]
    fn postgres_urls_get_timeouts_and_keep_their_own_settings() {
        let url = DatabaseUrl::parse("postgres://u:pw@db:5432/app?sslmode=require").unwrap();
        assert!(!url.behind_pgbouncer());
        let driver = Url::parse(&url.driver_url()).unwrap();
        let pairs: HashMap<_, _> = driver.query_pairs().into_owned().collect();
        assert_eq!(pairs["sslmode"], "require");
        assert_eq!(pairs["connect_timeout"], "5");
        assert_eq!(pairs["keepalives_idle"], "30");
        assert_eq!(driver.password(), Some("pw"));

        let url = DatabaseUrl::parse("postgres://db/app?pgbouncer=true&connect_timeout=2").unwrap();
        assert!(url.behind_pgbouncer());
        let driver = url.driver_url();
        assert!(!driver.contains("pgbouncer"), "{driver}");
        assert!(driver.contains("connect_timeout=2") && !driver.contains("connect_timeout=5"));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            (
                "DATABASE_URL",
                "mysql://x",
                "must start with sqlite:// or postgres://",
            ),
            ("DATABASE_URL", "sqlite://", "needs a file path"),
            ("MEMBERDRIVE_BIND", "localhost", "HOST:PORT"),
            ("MEMBERDRIVE_BASE_URL", "ftp://x", "http"),
            ("SMTP_URL", "http://x", "smtp://"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_a,nope", "whsec_"),
            ("STRIPE_SECRET_KEY", "pk_test_123", "publishable key"),
            ("STRIPE_SECRET_KEY", "sk_123", "sk_test_"),
            ("MEMBERDRIVE_TRUSTED_PROXIES", "10.0.0.1,proxy", "proxy"),
            ("MEMBERDRIVE_LOG_FORMAT", "xml", "neither"),
            ("MEMBERDRIVE_DB_POOL_SIZE", "0", "from 1 to 1000"),
            ("MEMBERDRIVE_DB_POOL_SIZE", "ten", "from 1 to 1000"),
        ];
        for (key, value, expected) in cases {
            let e = settings(&[(key, value)]).expect_err(key);
            assert_eq!(e.key, key);
            assert!(e.to_string().contains(expected), "{key}={value}: {e}");
        }
    }

    #[test]
    fn half_a_stripe_set_up_is_refused_and_a_whole_one_names_its_mode() {
        let e = settings(&[("STRIPE_SECRET_KEY", "sk_test_1")]).unwrap_err();
        assert_eq!(e.key, "STRIPE_WEBHOOK_SECRET");
        assert!(
            e.to_string().contains("required with STRIPE_SECRET_KEY"),
            "{e}"
        );
        let e = settings(&[("STRIPE_WEBHOOK_SECRET", "whsec_1")]).unwrap_err();
        assert_eq!(e.key, "STRIPE_SECRET_KEY");
        assert_eq!(settings(&[]).unwrap().stripe_mode(), StripeMode::Off);
        for (key, mode) in [
            ("sk_test_1", StripeMode::Test),
            ("rk_live_1", StripeMode::Live),
        ] {
            let s = settings(&[
                ("STRIPE_SECRET_KEY", key),
                ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
            ])
            .unwrap();
            assert_eq!(s.stripe_mode(), mode, "{key}");
        }
    }

    #[test]
    fn mail_summary_names_the_server_without_credentials() {
        let s = settings(&[("SMTP_URL", "smtp://u:p4ss@mail.example:587?tls=required")]).unwrap();
        assert_eq!(s.mail_summary(), "smtp://mail.example:587");
        assert_eq!(settings(&[]).unwrap().mail_summary(), "files in ./mail");
    }

    #[test]
    fn the_session_key_is_accepted_with_a_deprecation() {
        let s = settings(&[("MEMBERDRIVE_SESSION_KEY", "anything")]).unwrap();
        assert_eq!(s.deprecations.len(), 1);
        assert!(s.deprecations[0].contains("MEMBERDRIVE_SESSION_KEY"));
        assert!(settings(&[]).unwrap().deprecations.is_empty());
    }

    #[test]
    fn a_named_config_file_must_exist() {
        let e = read_toml(Path::new("/nonexistent/memberdrive.toml"), true).unwrap_err();
        assert_eq!(e.key, "MEMBERDRIVE_CONFIG");
        assert!(
            read_toml(Path::new("/nonexistent/memberdrive.toml"), false)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://app:hunter2@db/app"),
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_123"),
            ("SMTP_URL", "smtp://u:p4ss@mail:587"),
        ])
        .unwrap();
        let debug = format!("{s:?}");
        for secret in ["hunter2", "sk_test_123", "p4ss"] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
    }
}
