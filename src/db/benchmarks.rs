//! Cohort cells and their publication generations.
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{DbError, Store};

/// A stored cohort cell (its JSON is the benchmark module's `PublishedCell`).
#[derive(Debug, Clone)]
pub struct CellRow {
    pub cohort_key: String,
    pub cell_json: String,
    pub version: i64,
}

/// A cell to write back; `expected_version` is what was read (None: the cell is new).
#[derive(Debug, Clone)]
pub struct CellUpdate {
    pub cohort_key: String,
    pub cell_json: String,
    pub expected_version: Option<i64>,
}

/// What a submit (or an erasure) changes in one scope's statistics.
#[derive(Debug, Clone, Default)]
pub struct ScopeUpdate {
    pub cells: Vec<CellUpdate>,
    /// True when any cell republished: the scope's generation moves on.
    pub republished: bool,
}

/// The cohort side of a write: which cells to read, and the pure function that updates them.
pub struct CohortChange<'a> {
    pub scopes: &'a [&'a str],
    pub keys: &'a [String],
    #[allow(clippy::type_complexity)]
    pub apply: &'a (dyn Fn(&str, &[CellRow]) -> Result<ScopeUpdate, String> + Sync),
}

fn cell_row(row: &AnyRow) -> Result<CellRow, DbError> {
    Ok(CellRow {
        cohort_key: row.try_get(0)?,
        cell_json: row.try_get(1)?,
        version: row.try_get(2)?,
    })
}

/// Reads, updates and writes the cells of a change inside the caller's transaction. A cell
/// changed by another instance since it was read makes the whole transaction fail with
/// [`DbError::Conflict`], and the caller retries.
pub(super) async fn apply_cohort_change(
    tx: &mut Transaction<'_, Any>,
    change: &CohortChange<'_>,
    now: i64,
) -> Result<(), DbError> {
    for scope in change.scopes {
        lock_scope(tx, scope).await?;
        let mut current = Vec::with_capacity(change.keys.len());
        for key in change.keys {
            let row = sqlx::query(
                "SELECT cohort_key, cell_json, version FROM cohort_cells WHERE scope = $1 AND cohort_key = $2",
            )
            .bind(*scope)
            .bind(key.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(row) = row {
                current.push(cell_row(&row)?);
            }
        }
        let update = (change.apply)(scope, &current).map_err(DbError::Benchmark)?;
        for cell in &update.cells {
            let written = match cell.expected_version {
                Some(version) => sqlx::query(
                    "UPDATE cohort_cells SET cell_json = $3, version = version + 1
                     WHERE scope = $1 AND cohort_key = $2 AND version = $4",
                )
                .bind(*scope)
                .bind(cell.cohort_key.as_str())
                .bind(cell.cell_json.as_str())
                .bind(version)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
                None => sqlx::query(
                    "INSERT INTO cohort_cells (scope, cohort_key, cell_json, version) VALUES ($1, $2, $3, 1)
                     ON CONFLICT (scope, cohort_key) DO NOTHING",
                )
                .bind(*scope)
                .bind(cell.cohort_key.as_str())
                .bind(cell.cell_json.as_str())
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            };
            if written != 1 {
                return Err(DbError::Conflict);
            }
        }
        if update.republished {
            bump_generation(tx, scope, now).await?;
        }
    }
    Ok(())
}

/// Serialises writers of one scope's cells (see the migration); scopes are always taken in the
/// same order, so two submits cannot deadlock.
async fn lock_scope(tx: &mut Transaction<'_, Any>, scope: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO cohort_locks (scope, writes) VALUES ($1, 1)
         ON CONFLICT (scope) DO UPDATE SET writes = cohort_locks.writes + 1",
    )
    .bind(scope)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn bump_generation(
    tx: &mut Transaction<'_, Any>,
    scope: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO benchmark_generations (scope, generation, published_at) VALUES ($1, 1, $2)
         ON CONFLICT (scope) DO UPDATE SET generation = benchmark_generations.generation + 1,
             published_at = excluded.published_at",
    )
    .bind(scope)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// All cells of a scope, for disclosure over all of them at once.
    pub async fn cohort_cells(&self, scope: &str) -> Result<Vec<CellRow>, DbError> {
        let rows = sqlx::query(
            "SELECT cohort_key, cell_json, version FROM cohort_cells WHERE scope = $1 ORDER BY cohort_key",
        )
        .bind(scope)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(cell_row).collect()
    }

    /// The scope's publication generation and when it last moved (0, 0 before any).
    pub async fn benchmark_generation(&self, scope: &str) -> Result<(i64, i64), DbError> {
        let row = sqlx::query(
            "SELECT generation, published_at FROM benchmark_generations WHERE scope = $1",
        )
        .bind(scope)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(row) => Ok((row.try_get(0)?, row.try_get(1)?)),
            None => Ok((0, 0)),
        }
    }

    /// Replaces all cells of a scope (after a bulk load computed them in memory) and moves the
    /// generation on, in one transaction.
    pub async fn replace_cohort_cells(
        &self,
        scope: &str,
        cells: &[(String, String)],
        now: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.writer.begin().await?;
        lock_scope(&mut tx, scope).await?;
        sqlx::query("DELETE FROM cohort_cells WHERE scope = $1")
            .bind(scope)
            .execute(&mut *tx)
            .await?;
        for (key, json) in cells {
            sqlx::query("INSERT INTO cohort_cells (scope, cohort_key, cell_json, version) VALUES ($1, $2, $3, 1)")
                .bind(scope)
                .bind(key.as_str())
                .bind(json.as_str())
                .execute(&mut *tx)
                .await?;
        }
        bump_generation(&mut tx, scope, now).await?;
        self.commit(tx).await?;
        Ok(())
    }
}
