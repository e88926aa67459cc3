//! The real server on a random port against a fresh database (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` names a server), shared by the HTTP tests (`tests/app`) and the browser
//! tests (`tests/browser`), each of which includes this file with `#[path]`.
#![allow(dead_code)] // each test binary uses its own part of it

use social_readiness::clock::Clock;
use social_readiness::config::Settings;
use social_readiness::db::Store;
use social_readiness::startup::Application;
use sqlx::Connection;

pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test, removed when the test ends (also when it fails).
pub enum TestDb {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a runtime of our own on a thread.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        let mut conn = sqlx::PgConnection::connect(&admin_url)
                            .await
                            .map_err(std::io::Error::other)?;
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await
                            .map_err(std::io::Error::other)?;
                        Ok::<(), std::io::Error>(())
                    })
                })
                .join();
            }
        }
    }
}

pub fn random_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `TEST_DATABASE_URL`, if set; when set, an unreachable server fails the test loudly.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh, empty database: its URL, the guard that removes it, and the backend's name.
/// `None` for PostgreSQL when `TEST_DATABASE_URL` is not set.
pub async fn fresh_database(backend: Backend) -> Option<(String, TestDb, &'static str)> {
    Some(match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("sr_test_{}", random_suffix()));
            let url = format!("sqlite://{}/test.db", dir.display());
            (url, TestDb::Sqlite(dir), "sqlite")
        }
        Backend::Postgres => {
            let admin_url = postgres_url()?;
            let name = format!("t_{}", random_suffix());
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
                });
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (
                format!("{base}/{name}"),
                TestDb::Postgres {
                    admin_url: admin_url.clone(),
                    name,
                },
                "postgres",
            )
        }
    })
}

/// Tests fill in forms in milliseconds and post the same answers many times: the plausibility
/// screening is off unless a test sets its thresholds (its `extra` settings come first).
const SCREENING_OFF: &[(&str, &str)] = &[
    ("SCREEN_MIN_SECONDS_PER_QUESTION", "0"),
    ("SCREEN_BURST_SIZE", "0"),
];

/// Starts the application on `database_url` with extra settings, on a random port of 127.0.0.1;
/// returns its address (`http://127.0.0.1:{port}`) and its store. Needs an actix system (the
/// server is spawned on the current one).
pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> (String, Store) {
    start_with_clock(database_url, extra, Clock::system()).await
}

/// The same, with the service reading `clock` (a fixed one makes date-dependent pages repeatable).
pub async fn start_with_clock(
    database_url: &str,
    extra: &[(&str, &str)],
    clock: Clock,
) -> (String, Store) {
    let mut settings = Settings::from_lookup(|key| match key {
        "PORT" => Some("0".into()),
        "DATABASE_URL" => Some(database_url.to_owned()),
        other => extra
            .iter()
            .chain(SCREENING_OFF)
            .find(|(k, _)| *k == other)
            .map(|(_, v)| v.to_string()),
    })
    .expect("test settings");
    settings.clock = clock;
    let app = Application::build(&settings)
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    (address, store)
}
