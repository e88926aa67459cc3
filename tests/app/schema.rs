//! Tables the service no longer uses are dropped by a migration, with whatever they held.
use std::path::Path;

use social_readiness::db::Store;
use sqlx::Connection;
use sqlx::migrate::Migrator;

use crate::helpers::{Backend, fresh_database};

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
    let Some((url, _db, folder_name)) = fresh_database(backend).await else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    // Connecting creates the SQLite file; the schema is built below, as it was before the drop.
    let store = Store::connect(&url).await.expect("connect");
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder_name);
    let all = Migrator::new(folder.as_path()).await.expect("migrations");
    let before: Vec<_> = all
        .iter()
        .filter(|m| m.version < COHORT_LOCKS_DROPPED)
        .cloned()
        .collect();
    assert!(
        before.len() < all.iter().count(),
        "the drop is among the migrations"
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .expect("connection");
    Migrator::with_migrations(before)
        .run(&mut conn)
        .await
        .expect("the schema before the drop");
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
