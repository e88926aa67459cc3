//! Tables the service no longer uses are dropped by a migration, with whatever they held.
use sqlx::Connection;

use crate::helpers::{Backend, schema_before};

/// The migration that drops `cohort_locks` (issue 17: merges take an advisory lock instead).
const COHORT_LOCKS_DROPPED: i64 = 20261214100000;

/// Whether `table` exists: a read of it fails only with an error naming it (a read of a table
/// that exists, `responses`, succeeds on the same connection, so the failure is not another).
async fn has_table(conn: &mut sqlx::AnyConnection, table: &str) -> bool {
    sqlx::query("SELECT COUNT(*) FROM responses")
        .fetch_one(&mut *conn)
        .await
        .expect("the responses table is read");
    match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut *conn)
        .await
    {
        Ok(_) => true,
        Err(e) => {
            assert!(e.to_string().contains(table), "another error: {e}");
            false
        }
    }
}

async fn cohort_locks_are_dropped(backend: Backend) {
    let Some((store, mut conn, _db)) = schema_before(backend, COHORT_LOCKS_DROPPED).await else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    // A lock row as the service wrote them before issue 17.
    sqlx::query("INSERT INTO cohort_locks (scope, writes) VALUES ('all@2026.1', 3)")
        .execute(&mut conn)
        .await
        .expect("a lock row");
    assert!(has_table(&mut conn, "cohort_locks").await);

    store.migrate().await.expect("the drop");
    assert!(!has_table(&mut conn, "cohort_locks").await);
    // Migrating again changes nothing.
    store.migrate().await.expect("migrate again");
    assert!(!has_table(&mut conn, "cohort_locks").await);
    conn.close().await.expect("close");
    store.close().await;
}

#[actix_web::test]
async fn cohort_locks_are_dropped_on_sqlite() {
    cohort_locks_are_dropped(Backend::Sqlite).await;
}

#[actix_web::test]
async fn cohort_locks_are_dropped_on_postgres() {
    cohort_locks_are_dropped(Backend::Postgres).await;
}
