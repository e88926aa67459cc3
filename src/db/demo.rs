//! Bulk loading of synthetic demo responses (`seed-demo`).
use super::{DbError, Store};

/// One synthetic, submitted response: profile and scores only (no answer rows, no result page).
#[derive(Debug, Clone)]
pub struct DemoResponse {
    pub token_hash: String,
    pub industry: &'static str,
    pub size_class: &'static str,
    pub region: &'static str,
    pub overall_score: i64,
    pub overall_level: i64,
    pub dimension_scores: String,
    pub red_flags: String,
}

const COLUMNS: usize = 11;
/// Rows per INSERT statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const ROWS_PER_STATEMENT: usize = 500;

fn insert_sql(rows: usize, numbered: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO responses (token_hash, catalogue_version, lang, now_placeholder) VALUES ",
    );
    sql = sql.replace(
        "now_placeholder",
        "created_at, industry, size_class, region, overall_score, overall_level, \
         dimension_scores, red_flags, consent_at, updated_at, submitted_at, status, \
         consent_version, is_demo",
    );
    for row in 0..rows {
        let p = row * COLUMNS;
        if row > 0 {
            sql.push(',');
        }
        if numbered {
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'submitted', 'demo', 1)",
                p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10, p + 11, p + 4, p + 4, p + 4
            ));
        } else {
            // Anonymous placeholders: SQLite resolves thousands of `$n` names slowly.
            sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', 'demo', 1)");
        }
    }
    sql
}

impl Store {
    /// Inserts demo responses in one transaction, in multi-row statements.
    pub async fn insert_demo_responses(
        &self,
        rows: &[DemoResponse],
        catalogue_version: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.writer.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            // Only placeholders are assembled here; every value is bound.
            let numbered = self.backend == super::Backend::Postgres;
            let sql = insert_sql(chunk.len(), numbered);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(r.token_hash.as_str())
                    .bind(catalogue_version)
                    .bind("de")
                    .bind(now)
                    .bind(r.industry)
                    .bind(r.size_class)
                    .bind(r.region)
                    .bind(r.overall_score)
                    .bind(r.overall_level)
                    .bind(r.dimension_scores.as_str())
                    .bind(r.red_flags.as_str());
                if !numbered {
                    // `?` placeholders are positional: repeat the timestamp for the last three.
                    query = query.bind(now).bind(now).bind(now);
                }
            }
            query.execute(&mut *tx).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn count_demo_responses(&self) -> Result<i64, DbError> {
        use sqlx::Row;
        Ok(
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM responses WHERE is_demo = 1")
                .fetch_one(&self.reader)
                .await?
                .try_get(0)?,
        )
    }
}
