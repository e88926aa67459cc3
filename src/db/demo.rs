//! Bulk loading of synthetic demo responses (`seed-demo`).
use super::{DbError, Store};

/// One synthetic, submitted response: profile and scores only (no answer rows), and for a
/// campaign's participants also the result (the dashboard reads it) and the counting consent.
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
    /// Epoch ms.
    pub submitted_at: i64,
    /// The campaign it was given in, counted there with the demo consent.
    pub campaign_id: Option<i64>,
    pub result_json: Option<String>,
}

/// The consent version of seeded campaign participants: recognisably not a person's.
pub const DEMO_CAMPAIGN_CONSENT: &str = "demo";

const COLUMNS: usize = 16;
/// Rows per INSERT statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const ROWS_PER_STATEMENT: usize = 500;

fn insert_sql(rows: usize, numbered: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO responses (token_hash, catalogue_version, lang, created_at, industry, \
         size_class, region, overall_score, overall_level, dimension_scores, red_flags, \
         submitted_at, campaign_id, campaign_consent_version, result_json, \
         campaign_consent_at, consent_at, updated_at, status, consent_version, is_demo) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        if numbered {
            let p = row * COLUMNS;
            let list: Vec<String> = (1..=COLUMNS).map(|i| format!("${}", p + i)).collect();
            sql.push_str(&format!(
                "({}, ${}, ${}, 'submitted', 'demo', 1)",
                list.join(", "),
                p + 4,
                p + 4
            ));
        } else {
            // Anonymous placeholders: SQLite resolves thousands of `$n` names slowly.
            sql.push_str(
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', 'demo', 1)",
            );
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
        let mut tx = self.begin_write().await?;
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
                    .bind(r.red_flags.as_str())
                    .bind(r.submitted_at)
                    .bind(r.campaign_id)
                    .bind(r.campaign_id.map(|_| DEMO_CAMPAIGN_CONSENT))
                    .bind(r.result_json.as_deref())
                    .bind(r.campaign_id.map(|_| r.submitted_at));
                if !numbered {
                    // `?` placeholders are positional: repeat the timestamp for the last two.
                    query = query.bind(now).bind(now);
                }
            }
            query.execute(&mut *tx).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// A campaign's first and last month (`YYYY-MM`), for seeding it; None if there is none.
    pub async fn demo_campaign_months(
        &self,
        campaign_id: i64,
    ) -> Result<Option<(String, String)>, DbError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT starts_on, ends_on FROM campaigns WHERE id = $1")
            .bind(campaign_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
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
