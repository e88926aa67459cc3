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
mod brand;
mod campaigns;
mod demo;
mod faults;
mod group_commit;
mod migrations;
mod profiles;
mod responses;
mod screening;
mod workspace;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};

pub use accounts::{SessionRecord, UserRecord};
pub use benchmarks::{
    CellRow, CellUpdate, CohortChange, JournalEntry, MergeFn, ReadFn, ScopeUpdate,
};
pub use brand::{BrandRecord, LogoRecord};
pub use campaigns::{
    CampaignRecord, CampaignRemovals, CampaignResponseRow, CampaignState, KeptView, NewCampaign,
    ResponseCampaign,
};
pub use demo::DemoResponse;
pub use group_commit::{BATCH_SIZE_BOUNDS, BatchMerge, BatchMergeUse, BatchSizes};
pub use profiles::ProfileRecord;
pub use responses::*;
pub use screening::*;
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
    /// Set when a COMMIT or ROLLBACK failed: the writer connection that saw it is closed before
    /// it is handed out again.
    retire_writer: Arc<AtomicBool>,
    faults: faults::SharedFaults,
    /// Submits on SQLite share commits (see the module); unused on PostgreSQL.
    group: group_commit::GroupCommit,
}

/// One connection pool's use at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub name: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// How long a request waits for a database connection before the service says 503.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A PostgreSQL connection idle this long is pinged before it is handed out (see
/// `connect_with`); under load none is, so none is pinged.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// How the service connects: settings, with defaults for the CLI.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    /// Longest wait for a connection (`DATABASE_TIMEOUT_MS`).
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
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
    /// The commit of a batch of submits (or another member's database error) failed; nothing
    /// of this request was stored.
    #[error("the shared commit failed: {message}")]
    CommitFailed { message: String, unavailable: bool },
}

impl DbError {
    /// The database cannot serve now, and may later: no connection within the acquire timeout,
    /// a lost connection, a full disk, a lock held too long. The service answers 503 with
    /// `Retry-After` for these, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlx(e) => sqlx_unavailable(e),
            DbError::CommitFailed { unavailable, .. } => *unavailable,
            // Concurrent writers kept winning the retries (say, a dashboard read while the
            // chamber's campaigns publish one after another): nothing was changed, and a retry
            // later succeeds, so it is a 503 with Retry-After, not a 500.
            DbError::Conflict => true,
            _ => false,
        }
    }
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => match db.code() {
            // PostgreSQL SQLSTATE: connection exception, insufficient resources (disk full,
            // out of memory, too many connections), operator intervention (shutdown).
            Some(code) if code.len() == 5 => {
                code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
            }
            // SQLite (extended) result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
            Some(code) => code
                .parse::<i64>()
                .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14)),
            None => false,
        },
        _ => false,
    }
}

/// `synchronous=FULL`: with WAL, a committed submit survives a power loss too, and the measured
/// 3.5–6.7k commits/s are far above what surveys need.
const SQLITE_SYNCHRONOUS: i64 = 2;

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections open, idle and at most, per pool (for `/metrics`). PostgreSQL has one pool
    /// for reads and writes; SQLite one writer and a pool of readers.
    pub fn pool_use(&self) -> Vec<PoolUse> {
        let of = |name: &'static str, pool: &AnyPool| PoolUse {
            name,
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        };
        match self.backend {
            Backend::Sqlite => vec![of("writer", &self.writer), of("reader", &self.reader)],
            Backend::Postgres => vec![of("shared", &self.writer)],
        }
    }

    /// How the SQLite writer's group-commit batches went (for `/metrics`); None on PostgreSQL,
    /// where every submit commits on its own connection.
    pub fn batch_sizes(&self) -> Option<BatchSizes> {
        match self.backend {
            Backend::Sqlite => Some(self.group.sizes()),
            Backend::Postgres => None,
        }
    }

    /// Lets SQLite's group-commit batches merge the statistics journal before they commit
    /// (see `group_commit`), with the statistics' pure merge `apply`. No effect on PostgreSQL,
    /// where every submit commits on its own and merges run in rounds.
    pub fn merge_in_batches(&self, apply: group_commit::BatchMerge) {
        if self.backend == Backend::Sqlite {
            self.group.set_merge(apply);
        }
    }

    /// Merges run inside SQLite's batches since start (zeros on PostgreSQL).
    pub fn batch_merge_use(&self) -> group_commit::BatchMergeUse {
        self.group.merge_use()
    }

    /// Connects with the default options (the CLI's commands).
    pub async fn connect(database_url: &str) -> Result<Store, DbError> {
        Self::connect_with(database_url, ConnectOptions::default()).await
    }

    /// Connects (creating the SQLite file and its directory if needed) and checks the setup.
    pub async fn connect_with(
        database_url: &str,
        options: ConnectOptions,
    ) -> Result<Store, DbError> {
        install_default_drivers();
        let retire_writer = Arc::new(AtomicBool::new(false));
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
            let faults = faults::SharedFaults::default();
            let writer = sqlite_pool(
                &url,
                1,
                options,
                Some((retire_writer.clone(), faults.clone())),
            )
            .await?;
            let reader = sqlite_pool(&url, 8, options, None).await?;
            let store = Store {
                writer,
                reader,
                backend: Backend::Sqlite,
                retire_writer,
                faults,
                group: group_commit::GroupCommit::default(),
            };
            store.assert_sqlite_pragmas().await?;
            Ok(store)
        } else {
            let faults = faults::SharedFaults::default();
            let checks = (retire_writer.clone(), faults.clone());
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(options.acquire_timeout)
                // sqlx pings every connection it hands out, and again when it is returned: a
                // round trip each, six per API submit with its key's read (issue 17: a tenth of
                // the app's CPU, and a wake-up of a PostgreSQL backend each). The return's ping
                // stays (it finds a connection an error left broken); a connection is pinged on
                // acquire only after it sat idle, when the server may have dropped it.
                .test_before_acquire(false)
                .before_acquire(move |conn, meta| {
                    let checks = checks.clone();
                    Box::pin(async move {
                        if meta.idle_for >= PING_IF_IDLE_FOR && conn.ping().await.is_err() {
                            return Ok(false);
                        }
                        fit_to_write(conn, &checks).await
                    })
                })
                .after_connect(|conn, _meta| Box::pin(prefer_lz4(conn)))
                .connect(database_url)
                .await?;
            Ok(Store {
                writer: pool.clone(),
                reader: pool,
                backend: Backend::Postgres,
                retire_writer,
                faults,
                group: group_commit::GroupCommit::default(),
            })
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        migrations::migrator(self.backend).run(&self.writer).await?;
        Ok(())
    }

    /// Checks the connection works.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// A write transaction. On SQLite `BEGIN IMMEDIATE`: the write lock is taken at the start,
    /// so a transaction that reads before it writes waits (`busy_timeout`) while another
    /// instance on the same file writes, instead of failing at its first write with "database
    /// is locked" because that instance committed after its read (WAL: a deferred transaction
    /// cannot move its snapshot on, and `busy_timeout` does not wait that out). Within one
    /// instance the writer pool's one connection serialises writes anyway, so it costs nothing
    /// there.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Readiness (`/ready`): stored data can be read, and a write transaction commits, within
    /// `timeout`. The write touches one row of its own, so a full disk or a stuck writer shows.
    pub async fn ready(&self, timeout: Duration) -> Result<(), DbError> {
        let check = async {
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM responses WHERE id = 0")
                .fetch_one(&self.reader)
                .await?;
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO service_checks (id, checked_at) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            )
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            self.commit(tx).await
        };
        match tokio::time::timeout(timeout, check).await {
            Ok(result) => result,
            Err(_) => Err(DbError::Sqlx(sqlx::Error::PoolTimedOut)),
        }
    }

    /// Commits; if COMMIT fails, the connection is retired (see [`fit_to_write`]).
    async fn commit(&self, tx: Transaction<'_, Any>) -> Result<(), DbError> {
        tx.commit().await.map_err(|e| {
            self.retire_writer.store(true, Ordering::SeqCst);
            DbError::from(e)
        })
    }

    /// Rolls back; if ROLLBACK fails, the connection is retired (see [`fit_to_write`]).
    async fn rollback(&self, tx: Transaction<'_, Any>) -> Result<(), DbError> {
        tx.rollback().await.map_err(|e| {
            self.retire_writer.store(true, Ordering::SeqCst);
            DbError::from(e)
        })
    }

    /// Test seam: makes the SQLite "disk" full (`true`) or frees it again (`false`).
    #[doc(hidden)]
    pub fn inject_disk_full(&self, full: bool) {
        self.faults.set_disk_full(full);
    }

    /// Test seam: the next write of a campaign snapshot fails (as a crash or a lost connection
    /// between two writes would).
    #[doc(hidden)]
    pub fn inject_publication_write_failure(&self) {
        self.faults.fail_next_publication_write();
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

/// What the writer is checked for before it is handed out. A connection still counting an open
/// transaction, or one whose COMMIT or ROLLBACK failed, is closed (and with it whatever SQLite
/// still holds open), never reused: SQLite rolls a transaction back by itself on a full disk,
/// sqlx's ROLLBACK then fails and its depth stays at 1, and every later `begin` would become a
/// SAVEPOINT inside a transaction that never commits (issue 15).
type WriterChecks = (Arc<AtomicBool>, faults::SharedFaults);

async fn fit_to_write(
    conn: &mut AnyConnection,
    checks: &WriterChecks,
) -> Result<bool, sqlx::Error> {
    let (retire, faults) = checks;
    let failed_end = retire.swap(false, Ordering::SeqCst);
    if failed_end || conn.is_in_transaction() {
        tracing::error!(
            failed_commit_or_rollback = failed_end,
            open_transaction = conn.is_in_transaction(),
            "retiring a database connection; a fresh one takes its place"
        );
        return Ok(false);
    }
    faults.apply(conn).await?;
    Ok(true)
}

/// PostgreSQL compresses a row's large values (a response's result and answers, the cohort
/// cells) with pglz unless told otherwise: pglz was the largest single item of PostgreSQL's CPU
/// per submit (about a tenth, issue 17); lz4 compresses several times faster. The setting only
/// chooses how values written by this connection are compressed; every value reads back the
/// same. A server built without lz4 refuses it and keeps pglz.
async fn prefer_lz4(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    match sqlx::query("SET default_toast_compression = 'lz4'")
        .execute(&mut *conn)
        .await
    {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) => {
            tracing::warn!(error = %e, "PostgreSQL without lz4: large values stay with pglz");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn sqlite_pool(
    url: &str,
    max_connections: u32,
    options: ConnectOptions,
    writer_checks: Option<WriterChecks>,
) -> Result<AnyPool, sqlx::Error> {
    let faults = writer_checks.as_ref().map(|(_, f)| f.clone());
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(options.acquire_timeout)
        // No ping before each use: SQLite is a file in this process, so there is no link to
        // lose, and the ping was a round trip to the connection's worker thread (two context
        // switches) before every read and every batch (issue 17). A connection that cannot
        // serve fails its statement instead, and the writer's checks below still run.
        .test_before_acquire(false)
        // Pragmas are per connection and do not pass through the Any URL.
        .after_connect(move |conn, _meta| {
            let faults = faults.clone();
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                if let Some(faults) = faults {
                    faults.apply(conn).await?;
                }
                Ok(())
            })
        })
        .before_acquire(move |conn, _meta| {
            let checks = writer_checks.clone();
            Box::pin(async move {
                match checks {
                    Some(checks) => fit_to_write(conn, &checks).await,
                    None => Ok(true),
                }
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

/// Milliseconds since the Unix epoch (the clock lives in `crate::clock`).
pub use crate::clock::now_ms;

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
