//! Shared set-up: start the real server on a random port against a fresh database, SQLite always
//! and PostgreSQL when `TEST_DATABASE_URL` names a server.
use std::time::Duration;

use awc::Client;
use serde_json::Value;
use social_readiness::accounts::Role;
use social_readiness::auth::Auth;
use social_readiness::clock::Clock;
use social_readiness::db::{Store, TableCounts};
use social_readiness::survey::{self, Catalogue, QuestionKind, ScoreRule};

#[path = "../support/server.rs"]
mod server;

pub use server::Backend;
pub use server::fresh_database;
use server::{TestDb, start_with_clock};

/// A fresh database whose schema is as it was before migration `version` (the earlier ones of
/// the backend's folder applied), for tests of what a migration does to data stored before it:
/// the service's store (its own migrations not run yet), a connection of its own, and the guard
/// that removes the database. `None` for PostgreSQL when `TEST_DATABASE_URL` is not set.
pub async fn schema_before(
    backend: Backend,
    version: i64,
) -> Option<(Store, sqlx::AnyConnection, TestDb)> {
    use sqlx::Connection;
    let (url, db, folder_name) = fresh_database(backend).await?;
    // Connecting creates the SQLite file; the schema is built below, as it was before `version`.
    let store = Store::connect(&url).await.expect("connect");
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder_name);
    let all = sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .expect("migrations");
    let before: Vec<_> = all
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    assert!(
        before.len() < all.iter().count(),
        "migration {version} is among the migrations"
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .expect("connection");
    sqlx::migrate::Migrator::with_migrations(before)
        .run(&mut conn)
        .await
        .expect("the schema before the migration");
    Some((store, conn, db))
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub store: Store,
    pub backend_name: &'static str,
    /// An API key issued for this test's database (limit 100000/hour): `post_json` to the API's
    /// responses sends it unless the test sends an `Authorization` of its own. A keyless
    /// submission goes through `post_raw`.
    pub api_key: String,
    /// The server's clock: the system's, or a fixed one (`spawn_app_at`) the test may move.
    pub clock: Clock,
    database_url: String,
    _db: std::sync::Arc<TestDb>,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

fn client() -> Client {
    Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(30))
        .finish()
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    spawn_app_with_clock(backend, extra, Clock::system()).await
}

/// A server whose clock stands at `ms` (until the test moves `app.clock`), so that what depends
/// on the date (campaign months, dashboard periods, "as of" dates) does not depend on today.
pub async fn spawn_app_at(backend: Backend, ms: i64) -> Option<TestApp> {
    spawn_app_with_clock(backend, &[], Clock::fixed(ms)).await
}

async fn spawn_app_with_clock(
    backend: Backend,
    extra: &[(&str, &str)],
    clock: Clock,
) -> Option<TestApp> {
    let (database_url, db, backend_name) = fresh_database(backend).await?;
    let (address, store) = start_with_clock(&database_url, extra, clock.clone()).await;
    let api_key = social_readiness::api_keys::ApiKeys::new(store.clone())
        .issue("tests", "100000/hour")
        .await
        .expect("test API key")
        .key;
    Some(TestApp {
        address,
        client: client(),
        store,
        api_key,
        clock,
        backend_name,
        database_url,
        _db: std::sync::Arc::new(db),
    })
}

/// Runs one `async fn(TestApp)` on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite");
                    super::$test(app).await;
                }
                #[actix_web::test]
                async fn postgres() {
                    match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        Some(app) => super::$test(app).await,
                        None => eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )*
    };
}

/// The same, with the server's clock standing at `$ms` (see `spawn_app_at`); `$ms` is read
/// inside each test's module, so a constant of the test file is `super::NAME`.
#[macro_export]
macro_rules! on_both_databases_at {
    ($ms:expr; $($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app_at($crate::helpers::Backend::Sqlite, $ms).await.expect("sqlite");
                    super::$test(app).await;
                }
                #[actix_web::test]
                async fn postgres() {
                    match $crate::helpers::spawn_app_at($crate::helpers::Backend::Postgres, $ms).await {
                        Some(app) => super::$test(app).await,
                        None => eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )*
    };
}

/// An HTTP answer, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location header (status {})", self.status))
    }
}

async fn read(
    mut response: awc::ClientResponse<
        impl futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
    >,
) -> Reply {
    let body = response.body().limit(4 * 1024 * 1024).await.expect("body");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

impl TestApp {
    /// A second instance of the service on the same database, with other settings (as behind a
    /// load balancer, or after a restart).
    pub async fn sibling(&self, extra: &[(&str, &str)]) -> TestApp {
        let (address, store) =
            start_with_clock(&self.database_url, extra, self.clock.clone()).await;
        TestApp {
            address,
            client: client(),
            store,
            api_key: self.api_key.clone(),
            clock: self.clock.clone(),
            backend_name: self.backend_name,
            database_url: self.database_url.clone(),
            _db: std::sync::Arc::clone(&self._db),
        }
    }

    /// This instance once its start-up preparation is done (`/ready` says 200; at most 60 s).
    /// Until then a chamber's view may be served the dashboard a previous run kept (task
    /// prev), so a test comparing an instance's figures with the data's latest state waits.
    pub async fn until_ready(self) -> TestApp {
        let started = std::time::Instant::now();
        loop {
            let ready = self.get("/ready").await;
            if ready.status == 200 {
                return self;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "not ready: {} {}",
                ready.status,
                ready.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A second instance on the same database reached through another URL (e.g. a proxy).
    pub async fn sibling_at(&self, database_url: &str, extra: &[(&str, &str)]) -> TestApp {
        let (address, store) = start_with_clock(database_url, extra, self.clock.clone()).await;
        TestApp {
            address,
            client: client(),
            store,
            api_key: self.api_key.clone(),
            clock: self.clock.clone(),
            backend_name: self.backend_name,
            database_url: database_url.to_owned(),
            _db: std::sync::Arc::clone(&self._db),
        }
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.address, path)
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn get_with(&self, path: &str, header: (&str, &str)) -> Reply {
        read(
            self.client
                .get(self.url(path))
                .insert_header(header)
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        read(
            self.client
                .post(self.url(path))
                .send_form(&fields)
                .await
                .expect("POST form"),
        )
        .await
    }

    /// The owner erases the response behind `token_path` (`/s/{token}`), confirmed, and the
    /// erasure is acknowledged.
    pub async fn erase(&self, token_path: &str) {
        let deleted = self
            .post_form(&format!("{token_path}/delete"), &[("confirm", "yes")])
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .insert_header(("Content-Type", content_type));
        for (k, v) in headers {
            request = request.insert_header((*k, *v));
        }
        read(request.send_body(body).await.expect("POST")).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let bearer = format!("Bearer {}", self.api_key);
        let mut headers = headers.to_vec();
        if path.starts_with("/api/v1/responses")
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            headers.push(("Authorization", &bearer));
        }
        self.post_raw(
            path,
            "application/json",
            body.to_string().into_bytes(),
            &headers,
        )
        .await
    }

    pub async fn counts(&self) -> TableCounts {
        self.store.table_counts().await.expect("counts")
    }

    /// Starts a survey through the landing page; returns the private path `/s/{token}`.
    pub async fn start_survey(&self, lang: &str) -> String {
        let reply = self
            .post_form(&format!("/start?lang={lang}"), &[("consent", "yes")])
            .await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        let location = reply.location();
        let path = location
            .split("/step/")
            .next()
            .expect("token path")
            .to_owned();
        assert!(path.starts_with("/s/"), "{location}");
        path
    }
}

/// Which answer to pick for each question.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pick {
    Best,
    Worst,
    /// The second option (a middling answer in a weakest-first catalogue).
    Second,
}

/// The served catalogue (2027.1): what new responses are answered under.
pub fn catalogue() -> &'static Catalogue {
    survey::served()
}

fn points(o: &survey::AnswerOption) -> i32 {
    match o.score {
        Some(ScoreRule::Points(p)) => i32::from(p),
        _ => -1,
    }
}

/// Answers to every scored question as (question id, option ids).
pub fn answers(pick: Pick) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for d in &catalogue().dimensions {
        for q in &d.questions {
            let ids: Vec<String> = match (q.kind, pick) {
                (QuestionKind::Multi, Pick::Best) => q
                    .options
                    .iter()
                    .filter(|o| !o.exclusive)
                    .map(|o| o.id.clone())
                    .collect(),
                (QuestionKind::Multi, Pick::Worst) => q
                    .options
                    .iter()
                    .filter(|o| o.exclusive)
                    .map(|o| o.id.clone())
                    .collect(),
                (QuestionKind::Multi, Pick::Second) => vec![q.options[1].id.clone()],
                (QuestionKind::Single, Pick::Best) => vec![
                    q.options
                        .iter()
                        .max_by_key(|o| points(o))
                        .expect("options")
                        .id
                        .clone(),
                ],
                (QuestionKind::Single, Pick::Worst) => {
                    // The lowest-scoring option, preferring one that raises a red flag.
                    let worst = q.options.iter().filter(|o| points(o) == 0);
                    let flagged = q.options.iter().find(|o| o.red_flag.is_some());
                    vec![
                        flagged
                            .or_else(|| worst.clone().next())
                            .expect("a 0 option")
                            .id
                            .clone(),
                    ]
                }
                (QuestionKind::Single, Pick::Second) => vec![q.options[1].id.clone()],
            };
            out.push((q.id.clone(), ids));
        }
    }
    out
}

pub fn profile() -> Vec<(&'static str, &'static str)> {
    vec![
        ("industry", "C"),
        ("size", "small"),
        ("region", "DE-BY"),
        ("market", "b2b"),
        ("years", "gt10"),
        ("social_media", "yes"),
    ]
}

/// A JSON body for `POST /api/v1/responses`.
pub fn api_body(pick: Pick, lang: &str) -> Value {
    api_body_for(pick, lang, "C", "small", "DE-BY")
}

/// `n` API submissions sent at once, best and worst answers alternating: concurrent writers
/// whose statistics differ, for tests of what the merges and commit batches keep.
pub async fn submit_alternating_at_once(app: &TestApp, n: usize) -> Vec<Reply> {
    let bodies: Vec<Value> = (0..n)
        .map(|i| api_body(if i % 2 == 0 { Pick::Best } else { Pick::Worst }, "de"))
        .collect();
    futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| app.post_json("/api/v1/responses", body, &[])),
    )
    .await
}

/// A JSON body for a firm of the given industry, size class and region.
pub fn api_body_for(pick: Pick, lang: &str, industry: &str, size: &str, region: &str) -> Value {
    let mut profile: serde_json::Map<String, Value> = profile()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    profile.insert("industry".into(), Value::from(industry));
    profile.insert("size".into(), Value::from(size));
    profile.insert("region".into(), Value::from(region));
    let mut answers = serde_json::Map::new();
    for (q, ids) in self::answers(pick) {
        let multi = matches!(
            catalogue().question(&q),
            Some(survey::QuestionRef::Scored(_, question)) if question.kind == QuestionKind::Multi
        );
        let value = if multi {
            Value::from(ids)
        } else {
            Value::from(ids[0].clone())
        };
        answers.insert(q, value);
    }
    serde_json::json!({"lang": lang, "profile": profile, "answers": answers})
}

/// A password that passes the policy, for test accounts.
pub const PASSWORD: &str = "Kammer und Beratung 2026";

impl TestApp {
    /// Creates an account directly through the accounts service (as `user add` does).
    pub async fn create_user(&self, role: Role, email: &str) {
        Auth::new(self.store.clone())
            .create_user(email, role, PASSWORD)
            .await
            .expect("create user");
    }

    /// Logs in through the login form, as a browser does.
    pub async fn login(&self, email: &str) -> Browser<'_> {
        let browser = Browser::new(self);
        let reply = browser.login(email, PASSWORD).await;
        assert_eq!(reply.status, 303, "login of {email}: {}", reply.body);
        browser
    }

    /// Answers every page of a started survey with `pick` and submits it.
    pub async fn complete_survey(&self, token_path: &str, pick: Pick, lang: &str) {
        self.complete_survey_as(token_path, pick, lang, &[]).await;
    }

    /// The same, with some profile answers (step 1) replaced, e.g. `("industry", "G")`.
    pub async fn complete_survey_as(
        &self,
        token_path: &str,
        pick: Pick,
        lang: &str,
        profile: &[(&str, &str)],
    ) {
        for step in 1..=10 {
            let mut fields = crate::survey_pages::step_fields(step, pick);
            for (key, value) in &mut fields {
                if let Some((_, v)) = profile.iter().find(|(k, _)| k == key) {
                    *value = (*v).to_owned();
                }
            }
            let reply =
                crate::survey_pages::post_step(self, token_path, step, &fields, "next", lang).await;
            assert_eq!(reply.status, 303, "step {step}: {}", reply.body);
        }
        let reply = self
            .post_form(&format!("{token_path}/submit?lang={lang}"), &[])
            .await;
        assert_eq!(reply.status, 303, "submit: {}", reply.body);
    }

    /// Opens an invitation link and starts the survey; `share` ticks the sharing consent.
    /// Returns the private path `/s/{token}`.
    pub async fn accept_invitation(&self, invitation_url: &str, share: bool) -> String {
        let path = invitation_url
            .strip_prefix(&self.address)
            .unwrap_or(invitation_url)
            .to_owned();
        let page = self.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let mut fields = vec![("consent", "yes"), ("action", "start")];
        if share {
            fields.push(("share", "yes"));
        }
        let reply = self.post_form(&path, &fields).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        reply
            .location()
            .split("/step/")
            .next()
            .expect("token path")
            .to_owned()
    }
}

/// The first value of a hidden form field in a page.
pub fn hidden_field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in the page"))
        + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A browser with a cookie jar: what a logged-in user is.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    cookies: std::sync::Mutex<Vec<(String, String)>>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .lock()
            .expect("cookies")
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Replaces the jar, e.g. to replay an old session cookie.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut jar = self.cookies.lock().expect("cookies");
        jar.retain(|(k, _)| k != name);
        jar.push((name.to_owned(), value.to_owned()));
    }

    fn remember(&self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let Some((pair, attributes)) = value.split_once(';').or(Some((value, ""))) else {
                continue;
            };
            let Some((name, v)) = pair.split_once('=') else {
                continue;
            };
            let mut jar = self.cookies.lock().expect("cookies");
            jar.retain(|(k, _)| k != name);
            if !attributes.contains("Max-Age=0") {
                jar.push((name.to_owned(), v.to_owned()));
            }
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        let reply = self
            .app
            .get_with(path, ("Cookie", &self.cookie_header()))
            .await;
        self.remember(&reply);
        reply
    }

    /// A download (PDF, ZIP) as bytes.
    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let mut response = self
            .app
            .client
            .get(self.app.url(path))
            .insert_header(("Cookie", self.cookie_header()))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("body")
            .to_vec()
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let reply = self
            .app
            .post_raw(
                path,
                "application/x-www-form-urlencoded",
                body.into_bytes(),
                &[("Cookie", &self.cookie_header())],
            )
            .await;
        self.remember(&reply);
        reply
    }

    /// Posts a form with the session's CSRF token, read from `page`.
    pub async fn submit(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let page = self.get(page).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let token = hidden_field(&page.body, "csrf_token");
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let token = hidden_field(&form.body, "csrf_token");
        self.post_form(
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }
}

/// A local SMTP sink: speaks just enough SMTP for one client at a time and keeps each message
/// (headers and body, as received after DATA).
pub struct SmtpSink {
    pub port: u16,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&messages);
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = smtp_session(stream, &kept).await;
            }
        });
        SmtpSink { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("messages").clone()
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    kept: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader);
    writer.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => writer.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?,
            "DATA" => {
                writer.write_all(b"354 go ahead\r\n").await?;
                let mut message = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    message.push_str(&line);
                }
                kept.lock().expect("messages").push(message);
                writer.write_all(b"250 queued\r\n").await?;
            }
            "QUIT" => {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => writer.write_all(b"250 OK\r\n").await?,
        }
    }
}
