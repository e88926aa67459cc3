//! Fault injection for tests: a seam, not a feature. Production never sets anything here, and
//! every hook is a no-op until a test switches it on.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use sqlx::{AnyConnection, Executor, Row};

/// The largest `max_page_count` SQLite accepts: "no limit".
const NO_PAGE_LIMIT: i64 = 4_294_967_294;

const NEVER: u8 = 0;
const FULL: u8 = 1;
const FREED: u8 = 2;

#[derive(Debug, Default)]
pub(super) struct Faults {
    disk: AtomicU8,
    fail_publication_write: AtomicBool,
}

pub(super) type SharedFaults = Arc<Faults>;

impl Faults {
    pub(super) fn set_disk_full(&self, full: bool) {
        self.disk
            .store(if full { FULL } else { FREED }, Ordering::SeqCst);
    }

    pub(super) fn fail_next_publication_write(&self) {
        self.fail_publication_write.store(true, Ordering::SeqCst);
    }

    /// Called just before a campaign snapshot is written: fails once when a test asked for it.
    pub(super) fn publication_write(&self) -> Result<(), super::DbError> {
        if self.fail_publication_write.swap(false, Ordering::SeqCst) {
            return Err(super::DbError::Corrupt(
                "injected failure before the snapshot write".into(),
            ));
        }
        Ok(())
    }

    /// Applied to the SQLite writer whenever it is connected or handed out: a "full disk" is a
    /// `max_page_count` at the current size, so any write that needs a new page fails with
    /// SQLITE_FULL, the error a full disk gives.
    pub(super) async fn apply(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let limit = match self.disk.load(Ordering::SeqCst) {
            NEVER => return Ok(()),
            FULL => sqlx::query("PRAGMA page_count")
                .fetch_one(&mut *conn)
                .await?
                .try_get::<i64, _>(0)?,
            _ => NO_PAGE_LIMIT,
        };
        conn.execute(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {limit}"
        )))
        .await?;
        Ok(())
    }
}
