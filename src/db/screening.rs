//! API keys, and the responses the plausibility screening held back from the statistics.
use sqlx::Row;
use sqlx::any::AnyRow;

use super::benchmarks::{CohortChange, journal_change};
use super::workspace::{CountedResponse, counted};
use super::{DbError, Store};

/// An API key as the admin sees it: never the key, only its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub rate: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub key_hash: &'a str,
    pub prefix: &'a str,
    pub rate: &'a str,
    pub now: i64,
}

/// Held-back responses of one reason and one cohort (industry × size class), awaiting an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBackGroup {
    pub reason: String,
    pub industry: String,
    pub size_class: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    /// The newest response of the group as listed: a decision covers no response that arrived
    /// after the admin looked.
    pub up_to_id: i64,
}

fn api_key(row: &AnyRow) -> Result<ApiKeyRecord, DbError> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        rate: row.try_get("rate")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The held responses of one listed group, pasted into queries at compile time.
macro_rules! held_in_group {
    () => {
        "held_back = 1 AND status = 'submitted' AND hold_reason = $1
         AND industry = $2 AND size_class = $3 AND id <= $4"
    };
}

impl Store {
    pub async fn create_api_key(&self, new: &NewApiKey<'_>) -> Result<i64, DbError> {
        let row = sqlx::query(
            "INSERT INTO api_keys (name, key_hash, prefix, rate, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.name)
        .bind(new.key_hash)
        .bind(new.prefix)
        .bind(new.rate)
        .bind(new.now)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// All keys, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, rate, created_at, revoked_at FROM api_keys ORDER BY id DESC",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(api_key).collect()
    }

    /// The key with this hash, unless it was revoked. A revocation holds from the moment it
    /// returns: it has committed, and every later read sees it, on SQLite's readers too (WAL).
    /// Not read from SQLite's one writer, which the open group-commit batch holds: every API
    /// submit queued there for its key between batches (issue 17).
    pub async fn active_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, DbError> {
        let row = sqlx::query(
            "SELECT id, name, prefix, rate, created_at, revoked_at FROM api_keys
             WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(api_key).transpose()
    }

    /// Revokes a key by id or by prefix; false if there is no such active key.
    pub async fn revoke_api_key(
        &self,
        id_or_prefix: ApiKeyRef<'_>,
        now: i64,
    ) -> Result<bool, DbError> {
        let query = match id_or_prefix {
            ApiKeyRef::Id(id) => sqlx::query(
                "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id),
            ApiKeyRef::Prefix(prefix) => sqlx::query(
                "UPDATE api_keys SET revoked_at = $2 WHERE prefix = $1 AND revoked_at IS NULL",
            )
            .bind(prefix),
        };
        let done = query.bind(now).execute(&self.writer).await?;
        Ok(done.rows_affected() >= 1)
    }

    /// The answer vectors of the responses submitted into a cohort since `since` (epoch ms).
    pub async fn recent_answer_vectors(
        &self,
        industry: &str,
        size_class: &str,
        since: i64,
    ) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT answer_vector FROM responses
             WHERE industry = $1 AND size_class = $2 AND submitted_at >= $3
               AND status = 'submitted' AND answer_vector IS NOT NULL",
        )
        .bind(industry)
        .bind(size_class)
        .bind(since)
        // Committed submits only, as from the writer (between its batches), without waiting
        // for it (see `active_api_key`).
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// How many submitted responses wait for an admin's decision.
    pub async fn held_back_count(&self) -> Result<i64, DbError> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM responses
             WHERE held_back = 1 AND status = 'submitted'",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn held_back_groups(&self) -> Result<Vec<HeldBackGroup>, DbError> {
        let rows = sqlx::query(
            "SELECT hold_reason, industry, size_class, CAST(COUNT(*) AS BIGINT) AS n,
                    MIN(submitted_at) AS first_at, MAX(submitted_at) AS last_at,
                    MAX(id) AS up_to_id
             FROM responses WHERE held_back = 1 AND status = 'submitted'
             GROUP BY hold_reason, industry, size_class
             ORDER BY MAX(submitted_at) DESC",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let text = |name: &str| -> Result<String, DbError> {
                    r.try_get::<Option<String>, _>(name)?
                        .ok_or_else(|| DbError::Corrupt(format!("a held response has no {name}")))
                };
                Ok(HeldBackGroup {
                    reason: text("hold_reason")?,
                    industry: text("industry")?,
                    size_class: text("size_class")?,
                    count: r.try_get("n")?,
                    first_at: r.try_get::<Option<i64>, _>("first_at")?.unwrap_or(0),
                    last_at: r.try_get::<Option<i64>, _>("last_at")?.unwrap_or(0),
                    up_to_id: r.try_get("up_to_id")?,
                })
            })
            .collect()
    }

    /// The held responses of a group as listed (ids up to `up_to_id`).
    // On the reader: releasing each listed response checks again that it is still held.
    pub async fn held_back_in_group(
        &self,
        reason: &str,
        industry: &str,
        size_class: &str,
        up_to_id: i64,
    ) -> Result<Vec<CountedResponse>, DbError> {
        let rows = sqlx::query(concat!(
            "SELECT id, industry, size_class, region, result_json FROM responses WHERE ",
            held_in_group!(),
            " ORDER BY id"
        ))
        .bind(reason)
        .bind(industry)
        .bind(size_class)
        .bind(up_to_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(counted).collect()
    }

    /// Counts a held response in the statistics, in one transaction with its cohort cells (and
    /// with taking out the earlier responses it supersedes). False if it is no longer held.
    pub async fn release_held_back(
        &self,
        response_id: i64,
        cohorts: &CohortChange<'_>,
        superseded: &[(i64, CohortChange<'_>)],
        now: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE responses SET held_back = 0, in_statistics = 1
             WHERE id = $1 AND held_back = 1 AND status = 'submitted'",
        )
        .bind(response_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            self.rollback(tx).await?;
            return Ok(false);
        }
        journal_change(&mut tx, cohorts, now).await?;
        for (old_id, removal) in superseded {
            let updated = sqlx::query(
                "UPDATE responses SET in_statistics = 0 WHERE id = $1 AND in_statistics = 1",
            )
            .bind(*old_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(DbError::Conflict);
            }
            journal_change(&mut tx, removal, now).await?;
        }
        self.commit(tx).await?;
        Ok(true)
    }

    /// Discards the held responses of a group as listed: stored, the owner keeps the result,
    /// never counted. Returns how many.
    pub async fn discard_held_back(
        &self,
        reason: &str,
        industry: &str,
        size_class: &str,
        up_to_id: i64,
        now: i64,
    ) -> Result<u64, DbError> {
        let done = sqlx::query(concat!(
            "UPDATE responses SET held_back = 0, discarded_at = $5 WHERE ",
            held_in_group!()
        ))
        .bind(reason)
        .bind(industry)
        .bind(size_class)
        .bind(up_to_id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

/// Which key to revoke: the admin page names the id, the CLI the prefix it was shown.
#[derive(Debug, Clone, Copy)]
pub enum ApiKeyRef<'a> {
    Id(i64),
    Prefix(&'a str),
}
