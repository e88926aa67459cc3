//! Settings: defaults, overridden by environment variables.
use std::env;
use std::time::Duration;

/// Where the service keeps its data when nothing is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/social-readiness.db";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `HOST`, default 127.0.0.1.
    pub host: String,
    /// `PORT`, default 8080; 0 picks a free port.
    pub port: u16,
    /// `DATABASE_URL`: `sqlite://…` (default) or `postgres://…`.
    pub database_url: String,
    /// `BASE_URL`: the public address in links (private links, e-mails, QR codes); default from
    /// host and port ([`Settings::base_url_at`]).
    pub base_url: Option<String>,
    /// `LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_json: bool,
    /// `BENCHMARK_MIN_COHORT`: the disclosure threshold k (default 5, never below 3).
    pub min_cohort: u32,
    /// `INCLUDE_DEMO_DATA`: count `seed-demo` responses in the statistics (default false).
    pub include_demo_data: bool,
    /// `TOKEN_GUESSES_PER_MINUTE`: unknown private links one client may try per minute before
    /// it gets 429 (default 60).
    pub token_guesses_per_minute: u32,
    /// `DATABASE_TIMEOUT_MS`: the longest a request waits for a database connection before it
    /// gets 503 with `Retry-After` (default 3000).
    pub database_timeout: Duration,
    /// `READY_TIMEOUT_MS`: the time `/ready` gives the database to read and commit a write
    /// before it says 503 (default 2000).
    pub ready_timeout: Duration,
    /// `READY_WARMING_AT_MOST_MS`: how long after a start `/ready` may say "warming" while the
    /// chambers' dashboards are made ready (default 60000; then ready anyway).
    pub ready_warming_at_most: Duration,
    /// `BODY_TIMEOUT_MS`: the longest a request body may take to arrive (default 10000).
    pub body_timeout: Duration,
    /// `DASHBOARD_WARM_QUIET_MS`: after a submit or an erasure, how long a chamber's campaigns
    /// stay quiet before its dashboards are made ready in the background (default 300; at most
    /// 3 s pass while submits keep coming, or this if longer).
    pub dashboard_warm_quiet: Duration,
    /// `DASHBOARD_AUDIT_HISTORY`: whether the dashboard audit takes every figure shown at a
    /// chamber's earlier states as known (issue 14; default true, see the README). The figures
    /// shown are recorded either way.
    pub dashboard_audit_history: bool,
    /// `BODY_MIN_BYTES_PER_SECOND`: after the first second, a body slower than this is cut off
    /// with 408 (default 1024).
    pub body_min_rate: u32,
    /// `SMTP_URL` (`smtp://host[:port]`) and `MAIL_FROM`: when both are set, owners may have
    /// their private link sent by e-mail. Without them the option is not shown.
    pub mail: Option<MailSettings>,
    /// `OPERATOR_*`: who runs the service, for the Impressum and the privacy notice.
    pub operator: Operator,
    /// `TRUSTED_PROXIES`: addresses or CIDR ranges of reverse proxies (comma-separated) whose
    /// `Forwarded`/`X-Forwarded-*` headers name the client and host (default: none).
    pub trusted_proxies: crate::limits::TrustedProxies,
    /// `RATE_LIMIT_STARTS`: responses one client may start (`/start`, campaign and invitation
    /// links) (default 60/hour).
    pub rate_starts: crate::limits::Rate,
    /// `RATE_LIMIT_FORM_POSTS`: survey pages one client may save or submit (default 1200/hour).
    pub rate_form_posts: crate::limits::Rate,
    /// `RATE_LIMIT_API_RESPONSES`: `POST /api/v1/responses` per client (default 60/hour).
    pub rate_api_responses: crate::limits::Rate,
    /// `MAX_CONNECTIONS_PER_CLIENT`: connections one address may hold open at once; beyond it a
    /// connection's first request gets 429 and the connection is closed (default 128, 0 = no
    /// cap; trusted proxies are exempt).
    pub max_connections_per_client: usize,
    /// `METRICS_ALLOW`: addresses and CIDR ranges of clients that may read `/metrics` (default:
    /// none). The client is the one `TRUSTED_PROXIES` determines.
    pub metrics_allow: crate::limits::TrustedProxies,
    /// `METRICS_TOKEN`: a bearer token (at least 24 characters) that reads `/metrics` from
    /// anywhere (default: none).
    pub metrics_token: Option<String>,
    /// `LOGIN_FAILURES_PER_ACCOUNT` (5), `LOGIN_FAILURES_PER_CLIENT` (20), `LOGIN_LOCK_SECONDS`
    /// (60, doubling per further failure up to an hour).
    pub login_limits: crate::limits::LoginLimits,
    /// `SCREEN_MIN_SECONDS_PER_QUESTION` (2), `SCREEN_BURST_SIZE` (5),
    /// `SCREEN_BURST_WINDOW_SECONDS` (3600), `SCREEN_BURST_MAX_DIFFERENT` (2): when a response is
    /// held back from the statistics (see `crate::screening`); 0 turns a check off.
    pub screening: crate::screening::Screening,
    /// The service's clock: the system's; not a setting of the environment, tests fix it.
    pub clock: crate::clock::Clock,
}

/// A plain-SMTP relay and the sender address of the service's mails.
///
/// No TLS and no login: the service hands its few mails to a relay on the same host or a
/// trusted network (Postfix, an MTA sidecar), which does the TLS to the outside world. A password
/// in `SMTP_URL` is refused, because plain SMTP would send it in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub from: String,
}

/// `smtp://host[:port]`, port 25 by default.
fn parse_smtp_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .trim()
        .strip_prefix("smtp://")
        .ok_or("must start with smtp:// (plain SMTP to a relay; no TLS is built in)")?;
    let authority = rest.trim_end_matches('/');
    if authority.contains('@') {
        return Err("must not hold a user or password: plain SMTP would send them in clear".into());
    }
    if authority.contains(['/', '?', '#']) {
        return Err("must be smtp://host or smtp://host:port".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => (
            host,
            port.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{port:?} is not a port number"))?,
        ),
        _ => (authority, 25),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("names no host".into());
    }
    Ok((host.to_owned(), port))
}

/// The operator of the service (§ 5 DDG, Art. 13 GDPR): shown on `/impressum` and
/// `/datenschutz`. Required once the service is public (an https `BASE_URL`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Operator {
    /// `OPERATOR_NAME`: the person or organisation responsible (with legal form).
    pub name: Option<String>,
    /// `OPERATOR_ADDRESS`: a postal address; `\n` or `;` separate the lines.
    pub address: Option<Vec<String>>,
    /// `OPERATOR_EMAIL`: a contact address.
    pub email: Option<String>,
    /// `OPERATOR_PHONE`: optional.
    pub phone: Option<String>,
    /// `PRIVACY_OFFICER`: the data protection officer's name and contact, where one is required.
    pub privacy_officer: Option<String>,
}

impl Operator {
    /// The settings a public service needs and this one lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.name.is_none() {
            missing.push("OPERATOR_NAME");
        }
        if self.address.is_none() {
            missing.push("OPERATOR_ADDRESS");
        }
        if self.email.is_none() {
            missing.push("OPERATOR_EMAIL");
        }
        missing
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(
        "BASE_URL is https://, so the service is public and needs its Impressum and privacy notice: set {}",
        .0.join(", ")
    )]
    MissingOperator(Vec<&'static str>),
}

impl Settings {
    pub fn disclosure_policy(&self) -> Result<crate::benchmark::DisclosurePolicy, ConfigError> {
        crate::benchmark::DisclosurePolicy::new(self.min_cohort).map_err(|e| ConfigError::Invalid {
            name: "BENCHMARK_MIN_COHORT",
            message: e.to_string(),
        })
    }

    pub fn from_env() -> Result<Settings, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// The address in links once the service listens on `port` (the bound one: `PORT=0` picks
    /// it): `BASE_URL`, or `http://HOST:port`. A host that means every interface (`0.0.0.0`,
    /// `::`) is no address to open, so links would say `http://0.0.0.0:8080`: they say
    /// `localhost` instead (right on this machine only: see [`Settings::base_url_is_local_guess`]).
    /// An IPv6 address is written in brackets.
    pub fn base_url_at(&self, port: u16) -> String {
        if let Some(url) = &self.base_url {
            return url.clone();
        }
        let host = self.host.trim();
        let host = match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
        {
            Ok(ip) if ip.is_unspecified() => "localhost".to_owned(),
            Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => host.to_owned(),
        };
        format!("http://{host}:{port}")
    }

    /// Whether the service listens on every interface (as in a container, or a public
    /// deployment) without `BASE_URL`: its links then say `localhost`, which works on this
    /// machine only, so the start warns.
    pub fn base_url_is_local_guess(&self) -> bool {
        self.base_url.is_none()
            && self
                .host
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_unspecified())
    }

    /// Reads settings through `lookup`, so tests can pass their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let port = match get("PORT") {
            None => 8080,
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                name: "PORT",
                message: format!("{v:?} is not a port number (0–65535)"),
            })?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                message: "must start with sqlite: or postgres://".into(),
            });
        }
        let base_url = get("BASE_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                name: "BASE_URL",
                message: "must start with http:// or https://".into(),
            });
        }
        let min_cohort = match get("BENCHMARK_MIN_COHORT") {
            None => 5,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(k) if (3..=100).contains(&k) => k,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "BENCHMARK_MIN_COHORT",
                        message: format!("{v:?} is not a whole number from 3 to 100"),
                    });
                }
            },
        };
        let flag = |name: &'static str, default: bool| match get(name).as_deref().map(str::trim) {
            None => Ok(default),
            Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(other) => Err(ConfigError::Invalid {
                name,
                message: format!("{other:?} is not true or false"),
            }),
        };
        let include_demo_data = flag("INCLUDE_DEMO_DATA", false)?;
        let dashboard_audit_history = flag("DASHBOARD_AUDIT_HISTORY", true)?;
        let token_guesses_per_minute = match get("TOKEN_GUESSES_PER_MINUTE") {
            None => 60,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "TOKEN_GUESSES_PER_MINUTE",
                        message: format!("{v:?} is not a whole number of at least 1"),
                    });
                }
            },
        };
        let millis = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_millis(default)),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(ms) if (1..=3_600_000).contains(&ms) => Ok(Duration::from_millis(ms)),
                    _ => Err(ConfigError::Invalid {
                        name,
                        message: format!("{v:?} is not a number of milliseconds (1–3600000)"),
                    }),
                },
            }
        };
        let body_min_rate = match get("BODY_MIN_BYTES_PER_SECOND") {
            None => 1024,
            Some(v) => v.trim().parse::<u32>().map_err(|_| ConfigError::Invalid {
                name: "BODY_MIN_BYTES_PER_SECOND",
                message: format!("{v:?} is not a whole number (0 turns the check off)"),
            })?,
        };
        let mail = match (get("SMTP_URL"), get("MAIL_FROM")) {
            (None, None) => None,
            (Some(url), Some(from)) => {
                let (host, port) =
                    parse_smtp_url(&url).map_err(|message| ConfigError::Invalid {
                        name: "SMTP_URL",
                        message,
                    })?;
                let from = from.trim().to_owned();
                if from.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(ConfigError::Invalid {
                        name: "MAIL_FROM",
                        message: format!("{from:?} is not an e-mail address"),
                    });
                }
                Some(MailSettings { host, port, from })
            }
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "MAIL_FROM",
                    message: "is needed when SMTP_URL is set".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "SMTP_URL",
                    message: "is needed when MAIL_FROM is set".into(),
                });
            }
        };
        let text = |name: &str| get(name).map(|v| v.trim().to_owned());
        let operator = Operator {
            name: text("OPERATOR_NAME"),
            address: text("OPERATOR_ADDRESS").map(|a| {
                a.replace("\\n", "\n")
                    .split(['\n', ';'])
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            email: text("OPERATOR_EMAIL"),
            phone: text("OPERATOR_PHONE"),
            privacy_officer: text("PRIVACY_OFFICER"),
        };
        if let Some(email) = &operator.email
            && crate::accounts::Email::parse(email).is_err()
        {
            return Err(ConfigError::Invalid {
                name: "OPERATOR_EMAIL",
                message: format!("{email:?} is not an e-mail address"),
            });
        }
        let missing = operator.missing();
        if base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
            && !missing.is_empty()
        {
            return Err(ConfigError::MissingOperator(missing));
        }
        let rate = |name: &'static str, default: &str| {
            crate::limits::Rate::parse(get(name).as_deref().unwrap_or(default)).map_err(|e| {
                ConfigError::Invalid {
                    name,
                    message: e.to_string(),
                }
            })
        };
        let count = |name: &'static str, default: u32| match get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(ConfigError::Invalid {
                    name,
                    message: format!("{v:?} is not a whole number of at least 1"),
                }),
            },
        };
        let whole = |name: &'static str, default: u32| match get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u32>().map_err(|_| ConfigError::Invalid {
                name,
                message: format!("{v:?} is not a whole number (0 turns the check off)"),
            }),
        };
        let screening = crate::screening::Screening {
            min_seconds_per_question: whole("SCREEN_MIN_SECONDS_PER_QUESTION", 2)?,
            burst_size: whole("SCREEN_BURST_SIZE", 5)?,
            burst_window: Duration::from_secs(u64::from(whole(
                "SCREEN_BURST_WINDOW_SECONDS",
                3600,
            )?)),
            burst_max_different: whole("SCREEN_BURST_MAX_DIFFERENT", 2)?,
        };
        let lock = Duration::from_secs(u64::from(count("LOGIN_LOCK_SECONDS", 60)?));
        let login_limits = crate::limits::LoginLimits {
            per_account: count("LOGIN_FAILURES_PER_ACCOUNT", 5)?,
            per_client: count("LOGIN_FAILURES_PER_CLIENT", 20)?,
            lock,
            max_lock: lock.max(Duration::from_secs(3600)),
        };
        let trusted_proxies =
            crate::limits::TrustedProxies::parse(get("TRUSTED_PROXIES").as_deref().unwrap_or(""))
                .map_err(|e| ConfigError::Invalid {
                name: "TRUSTED_PROXIES",
                message: e.to_string(),
            })?;
        let metrics_allow =
            crate::limits::TrustedProxies::parse(get("METRICS_ALLOW").as_deref().unwrap_or(""))
                .map_err(|e| ConfigError::Invalid {
                    name: "METRICS_ALLOW",
                    message: e.to_string(),
                })?;
        let metrics_token = match get("METRICS_TOKEN").map(|t| t.trim().to_owned()) {
            None => None,
            Some(t) if t.is_empty() => None,
            // A short token can be guessed; /metrics has no guess limit of its own.
            Some(t) if t.len() < 24 || !t.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(ConfigError::Invalid {
                    name: "METRICS_TOKEN",
                    message: "must be at least 24 visible ASCII characters".into(),
                });
            }
            Some(t) => Some(t),
        };
        let max_connections_per_client = match get("MAX_CONNECTIONS_PER_CLIENT") {
            None => 128,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map_err(|_| ConfigError::Invalid {
                    name: "MAX_CONNECTIONS_PER_CLIENT",
                    message: format!("{v:?} is not a whole number (0 turns the cap off)"),
                })?,
        };
        Ok(Settings {
            clock: crate::clock::Clock::system(),
            max_connections_per_client,
            metrics_allow,
            metrics_token,
            operator,
            mail,
            trusted_proxies,
            rate_starts: rate("RATE_LIMIT_STARTS", "60/hour")?,
            rate_form_posts: rate("RATE_LIMIT_FORM_POSTS", "1200/hour")?,
            rate_api_responses: rate("RATE_LIMIT_API_RESPONSES", "60/hour")?,
            login_limits,
            screening,
            database_timeout: millis("DATABASE_TIMEOUT_MS", 3000)?,
            ready_timeout: millis("READY_TIMEOUT_MS", 2000)?,
            ready_warming_at_most: millis("READY_WARMING_AT_MOST_MS", 60_000)?,
            body_timeout: millis("BODY_TIMEOUT_MS", 10_000)?,
            dashboard_warm_quiet: millis("DASHBOARD_WARM_QUIET_MS", 300)?,
            dashboard_audit_history,
            body_min_rate,
            token_guesses_per_minute,
            min_cohort,
            include_demo_data,
            host: get("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port,
            database_url,
            base_url,
            log_json: get("LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn metrics_readers_are_named_and_tokens_are_long() {
        let s = settings(&[]).expect("defaults");
        assert!(
            s.metrics_allow.is_empty() && s.metrics_token.is_none(),
            "nobody by default"
        );
        let s = settings(&[
            ("METRICS_ALLOW", "10.0.0.0/8, ::1"),
            ("METRICS_TOKEN", " abcdefghijklmnopqrstuvwxyz "),
        ])
        .expect("valid");
        assert!(s.metrics_allow.contains("10.1.2.3".parse().expect("ip")));
        assert_eq!(
            s.metrics_token.as_deref(),
            Some("abcdefghijklmnopqrstuvwxyz")
        );
        for (name, value) in [
            ("METRICS_TOKEN", "short"),
            ("METRICS_TOKEN", "a token with spaces in it, long enough"),
            ("METRICS_ALLOW", "localhost"),
        ] {
            let e = settings(&[(name, value)]).expect_err(value);
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    /// Without `BASE_URL`, links use the listening address and the bound port; listening on
    /// every interface, `localhost` (never `0.0.0.0` or `::`), with the start's warning due.
    #[test]
    fn base_url_defaults_to_an_address_a_browser_can_open() {
        let at = |host: &str, port: u16| {
            let s = settings(&[("HOST", host)]).expect("valid");
            (s.base_url_at(port), s.base_url_is_local_guess())
        };
        assert_eq!(
            at("127.0.0.1", 8080),
            ("http://127.0.0.1:8080".into(), false)
        );
        assert_eq!(at("0.0.0.0", 8080), ("http://localhost:8080".into(), true));
        assert_eq!(at("::", 43117), ("http://localhost:43117".into(), true));
        assert_eq!(at("[::]", 80), ("http://localhost:80".into(), true));
        assert_eq!(at("::1", 8080), ("http://[::1]:8080".into(), false));
        assert_eq!(
            at("check.internal", 8080),
            ("http://check.internal:8080".into(), false)
        );
        let s = settings(&[]).expect("defaults");
        assert_eq!(s.base_url_at(8080), "http://127.0.0.1:8080");
        // Set, it is used as it is, whatever the service listens on.
        let s = settings(&[("HOST", "0.0.0.0"), ("BASE_URL", "http://check.lan:9000/")])
            .expect("valid");
        assert_eq!(s.base_url_at(8080), "http://check.lan:9000");
        assert!(!s.base_url_is_local_guess());
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = settings(&[]).expect("defaults");
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 8080));
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert!(s.base_url.is_none());
        assert!(s.mail.is_none(), "no SMTP, no e-mail option");
    }

    #[test]
    fn mail_needs_a_plain_relay_and_a_sender() {
        let s = settings(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("MAIL_FROM", "Readiness Check <check@kammer.example>"),
        ])
        .expect("valid");
        let mail = s.mail.expect("mail configured");
        assert_eq!((mail.host.as_str(), mail.port), ("127.0.0.1", 2525));
        let s = settings(&[
            ("SMTP_URL", "smtp://relay.internal"),
            ("MAIL_FROM", "check@kammer.example"),
        ])
        .expect("valid");
        assert_eq!(s.mail.expect("mail").port, 25);
        for (url, from, name) in [
            ("smtp://relay", "", "MAIL_FROM"),
            ("", "check@kammer.example", "SMTP_URL"),
            ("smtps://relay:465", "check@kammer.example", "SMTP_URL"),
            (
                "smtp://user:secret@relay",
                "check@kammer.example",
                "SMTP_URL",
            ),
            ("smtp://relay:0", "check@kammer.example", "SMTP_URL"),
            ("smtp://relay", "not an address", "MAIL_FROM"),
        ] {
            let e = settings(&[("SMTP_URL", url), ("MAIL_FROM", from)]).expect_err(url);
            assert!(e.to_string().contains(name), "{url} {from}: {e}");
        }
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = settings(&[
            ("PORT", "0"),
            ("HOST", "0.0.0.0"),
            ("BASE_URL", "https://check.example/"),
            ("DATABASE_URL", "postgres://u@h/db"),
            ("OPERATOR_NAME", "Beispiel GmbH"),
            ("OPERATOR_ADDRESS", "Hauptstraße 1; 12345 Musterstadt"),
            ("OPERATOR_EMAIL", "kontakt@example.de"),
        ])
        .expect("valid");
        assert_eq!(
            s.operator.address,
            Some(vec!["Hauptstraße 1".into(), "12345 Musterstadt".into()])
        );
        assert_eq!((s.host.as_str(), s.port), ("0.0.0.0", 0));
        assert_eq!(s.base_url.as_deref(), Some("https://check.example"));
        assert!(s.database_url.starts_with("postgres://"));
    }

    #[test]
    fn bad_values_are_named() {
        let e = settings(&[("PORT", "eighty")]).expect_err("invalid");
        assert!(e.to_string().contains("PORT"));
        let e = settings(&[("DATABASE_URL", "mysql://x")]).expect_err("invalid");
        assert!(e.to_string().contains("DATABASE_URL"));
        let e = settings(&[("BENCHMARK_MIN_COHORT", "2")]).expect_err("k below 3");
        assert!(e.to_string().contains("BENCHMARK_MIN_COHORT"));
        let e = settings(&[("DATABASE_TIMEOUT_MS", "soon")]).expect_err("not a number");
        assert!(e.to_string().contains("DATABASE_TIMEOUT_MS"));
        let s = settings(&[("READY_TIMEOUT_MS", "250")]).expect("valid");
        assert_eq!(s.ready_timeout, Duration::from_millis(250));
        for name in [
            "TRUSTED_PROXIES",
            "RATE_LIMIT_STARTS",
            "RATE_LIMIT_FORM_POSTS",
            "RATE_LIMIT_API_RESPONSES",
            "LOGIN_FAILURES_PER_CLIENT",
            "SCREEN_BURST_SIZE",
            "SCREEN_MIN_SECONDS_PER_QUESTION",
        ] {
            let e = settings(&[(name, "lots")]).expect_err("invalid");
            assert!(e.to_string().contains(name), "{e}");
        }
        let s = settings(&[
            ("RATE_LIMIT_STARTS", "3/min"),
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
        ])
        .expect("valid");
        assert_eq!(s.rate_starts.count, 3);
        let screen = settings(&[
            ("SCREEN_BURST_SIZE", "0"),
            ("SCREEN_BURST_WINDOW_SECONDS", "60"),
        ])
        .expect("valid");
        assert_eq!(screen.screening.burst_size, 0);
        assert_eq!(screen.screening.burst_window, Duration::from_secs(60));
        assert!(!s.trusted_proxies.is_empty());
        assert!(
            settings(&[("INCLUDE_DEMO_DATA", "true")])
                .expect("valid")
                .include_demo_data
        );
        // Issue 14: the audit knows the history unless told not to, and a typo is an error,
        // not a silent default.
        assert!(s.dashboard_audit_history);
        assert!(
            !settings(&[("DASHBOARD_AUDIT_HISTORY", "no")])
                .expect("valid")
                .dashboard_audit_history
        );
        let typo = settings(&[("DASHBOARD_AUDIT_HISTORY", "ja")]).expect_err("not a flag");
        assert!(
            typo.to_string().contains("DASHBOARD_AUDIT_HISTORY"),
            "{typo}"
        );
    }

    #[test]
    fn a_public_service_names_its_missing_operator_settings() {
        let e = settings(&[("BASE_URL", "https://check.example")]).expect_err("no operator");
        let message = e.to_string();
        for name in ["OPERATOR_NAME", "OPERATOR_ADDRESS", "OPERATOR_EMAIL"] {
            assert!(message.contains(name), "{message}");
        }
        assert!(!message.contains("OPERATOR_PHONE"), "optional: {message}");
        let e = settings(&[
            ("BASE_URL", "https://check.example"),
            ("OPERATOR_NAME", "Beispiel GmbH"),
            ("OPERATOR_EMAIL", "kontakt@example.de"),
        ])
        .expect_err("no address");
        assert!(e.to_string().ends_with("set OPERATOR_ADDRESS"), "{e}");
        // Local and test runs over plain HTTP need none of it.
        assert!(settings(&[("BASE_URL", "http://localhost:8080")]).is_ok());
        let e = settings(&[("OPERATOR_EMAIL", "keine")]).expect_err("bad e-mail");
        assert!(e.to_string().contains("OPERATOR_EMAIL"));
    }
}
