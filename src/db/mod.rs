//! Persistence: the only module with SQL in it.
//!
//! Why `AnyPool` with one SQL dialect rather than a `Store` over two typed pools: every query is
//! written once and runs unchanged on SQLite and PostgreSQL, so the one integration suite that runs
//! on both really tests the same code. The price is a portable subset (placeholders `$n`,
//! integers as BIGINT, timestamps as epoch milliseconds, booleans as 0/1, ids from `RETURNING`),
//! which this service needs anyway. DDL differs only where it must (identity columns), hence
//! `migrations/sqlite` and `migrations/postgres`.
//!
//! SQLite gets one writer connection and a pool of readers: many writer connections only raise tail
//! latency (see the tech notes), while WAL lets readers go on during a write.
mod accounts;
mod benchmarks;
mod campaigns;
mod demo;
mod migrations;
mod responses;
mod workspace;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor, Row};

pub use accounts::{SessionRecord, UserRecord};
pub use benchmarks::{CellRow, CellUpdate, CohortChange, ScopeUpdate};
pub use campaigns::{CampaignRecord, CampaignResponseRow, NewCampaign, ResponseCampaign};
pub use demo::DemoResponse;
pub use responses::*;
pub use workspace::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a writer pool and a reader pool (the same pool on PostgreSQL).
#[derive(Debug, Clone)]
pub struct Store {
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("SQLite is not set up as required: {0}")]
    Pragma(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("a concurrent write changed the same statistics; retry")]
    Conflict,
    #[error("updating the statistics failed: {0}")]
    Benchmark(String),
}

/// `synchronous=FULL`: with WAL, a committed submit survives a power loss too, and the measured
/// 3.5–6.7k commits/s are far above what surveys need.
const SQLITE_SYNCHRONOUS: i64 = 2;

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connects (creating the SQLite file and its directory if needed) and checks the setup.
    pub async fn connect(database_url: &str) -> Result<Store, DbError> {
        install_default_drivers();
        if database_url.starts_with("sqlite:") {
            let url = sqlite_url_with_create(database_url);
            if let Some(dir) =
                sqlite_file_path(&url).and_then(|p| p.parent().map(Path::to_path_buf))
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(&dir).map_err(|source| DbError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            let writer = sqlite_pool(&url, 1).await?;
            let reader = sqlite_pool(&url, 8).await?;
            let store = Store {
                writer,
                reader,
                backend: Backend::Sqlite,
            };
            store.assert_sqlite_pragmas().await?;
            Ok(store)
        } else {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(database_url)
                .await?;
            Ok(Store {
                writer: pool.clone(),
                reader: pool,
                backend: Backend::Postgres,
            })
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        migrations::migrator(self.backend).run(&self.writer).await?;
        Ok(())
    }

    /// Checks the connection works (for `/health`).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// The SQLite settings the durability argument rests on, checked rather than assumed.
    async fn assert_sqlite_pragmas(&self) -> Result<(), DbError> {
        let mut conn = self.writer.acquire().await?;
        let journal: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let synchronous: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let foreign_keys: i64 = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(DbError::Pragma(format!(
                "journal_mode is {journal}, not WAL"
            )));
        }
        if synchronous != SQLITE_SYNCHRONOUS {
            return Err(DbError::Pragma(format!(
                "synchronous is {synchronous}, not FULL (2)"
            )));
        }
        if foreign_keys != 1 {
            return Err(DbError::Pragma("foreign_keys is off".into()));
        }
        Ok(())
    }
}

async fn sqlite_pool(url: &str, max_connections: u32) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // Pragmas are per connection and do not pass through the Any URL.
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn sqlite_file_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::PathBuf::from_str(path).ok()
}

/// Milliseconds since the Unix epoch: the portable timestamp of both databases.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_a_directory() {
        let url = sqlite_url_with_create("sqlite://data/x.db");
        assert_eq!(url, "sqlite://data/x.db?mode=rwc");
        assert_eq!(sqlite_file_path(&url), Some("data/x.db".into()));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
    }
}
