//! A response's answers live in its own row since issue 17 (one value instead of a row per
//! answer): a database that holds them as rows of the old `answers` table keeps every one.
use sqlx::{Connection, Row};

use crate::helpers::{Backend, schema_before};

/// The migration that moves the answers into their responses' rows.
const MOVED_IN: i64 = 20261202100000;

async fn answers_kept_as_rows_move_into_their_responses(backend: Backend) {
    let Some((store, mut conn, _db)) = schema_before(backend, MOVED_IN).await else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    let mut response = async |token: &str| -> i64 {
        sqlx::query(
            "INSERT INTO responses (token_hash, catalogue_version, lang, status, consent_version,
                 consent_at, created_at, updated_at)
             VALUES ($1, '2027.1', 'en', 'in_progress', 'v1', 0, 0, 0) RETURNING id",
        )
        .bind(token)
        .fetch_one(&mut conn)
        .await
        .expect("response")
        .try_get(0)
        .expect("id")
    };
    let (answered, unanswered, other) = (
        response("a").await,
        response("b").await,
        response("c").await,
    );
    // Ids are [A-Za-z0-9_-] in practice; a quote and a backslash check the move's escaping.
    let old_rows = [
        (answered, "q_b", "o1,o2"),
        (answered, "q_a", "o3"),
        (answered, "odd\"id\\", ""),
        (other, "q_a", "o4"),
    ];
    for (id, question, options) in old_rows {
        sqlx::query(
            "INSERT INTO answers (response_id, question_id, option_ids) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(question)
        .bind(options)
        .execute(&mut conn)
        .await
        .expect("old answer row");
    }
    conn.close().await.expect("close");

    store.migrate().await.expect("the move");
    let owned = |rows: &[(&str, &str)]| -> Vec<(String, String)> {
        rows.iter()
            .map(|(q, o)| (q.to_string(), o.to_string()))
            .collect()
    };
    assert_eq!(
        store.answers(answered).await.expect("answers"),
        owned(&[("odd\"id\\", ""), ("q_a", "o3"), ("q_b", "o1,o2")])
    );
    assert_eq!(
        store.answers(unanswered).await.expect("answers"),
        owned(&[])
    );
    assert_eq!(
        store.answers(other).await.expect("answers"),
        owned(&[("q_a", "o4")])
    );
    assert_eq!(store.table_counts().await.expect("counts").answers, 4);
    // Migrating again changes nothing.
    store.migrate().await.expect("migrate again");
    assert_eq!(store.table_counts().await.expect("counts").answers, 4);
    store.close().await;
}

#[actix_web::test]
async fn answers_kept_as_rows_move_into_their_responses_on_sqlite() {
    answers_kept_as_rows_move_into_their_responses(Backend::Sqlite).await;
}

#[actix_web::test]
async fn answers_kept_as_rows_move_into_their_responses_on_postgres() {
    answers_kept_as_rows_move_into_their_responses(Backend::Postgres).await;
}
