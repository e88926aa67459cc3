//! Cohort cells and their publication generations.
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

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
    pub scopes: &'a [String],
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
///
/// Per scope a few statements, not one per cell: every statement is a round trip to the
/// database (on SQLite a hand-off to sqlx's worker thread), which was most of a submit's cost
/// (issue 17). `lock` takes the scope's lock row; on SQLite the single writer connection
/// serialises all writes already, so the row would only cost a write.
pub(super) async fn apply_cohort_change(
    conn: &mut AnyConnection,
    change: &CohortChange<'_>,
    now: i64,
    lock: bool,
) -> Result<(), DbError> {
    if change.keys.is_empty() {
        return Ok(());
    }
    let select = format!(
        "SELECT cohort_key, cell_json, version FROM cohort_cells WHERE scope = $1 AND cohort_key IN ({})",
        placeholders(2, change.keys.len())
    );
    for scope in change.scopes {
        if lock {
            lock_scope(conn, scope).await?;
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(select.as_str())).bind(scope.as_str());
        for key in change.keys {
            query = query.bind(key.as_str());
        }
        let current = query
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(cell_row)
            .collect::<Result<Vec<_>, _>>()?;
        let update = (change.apply)(scope, &current).map_err(DbError::Benchmark)?;
        write_cells(conn, scope, &update.cells).await?;
        if update.republished {
            bump_generation(conn, scope, now).await?;
        }
    }
    Ok(())
}

/// `$from, $from+1, …` (`count` of them), for an `IN (…)` list.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the cells in one statement, each only if its version is still the one read (a new
/// cell only if nobody created it meanwhile): an upsert whose update carries the version check,
/// so fewer rows written than cells means a concurrent change, and the caller retries.
async fn write_cells(
    conn: &mut AnyConnection,
    scope: &str,
    cells: &[CellUpdate],
) -> Result<(), DbError> {
    if cells.is_empty() {
        return Ok(());
    }
    let rows = (0..cells.len())
        .map(|i| format!("($1, ${}, ${}, ${})", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO cohort_cells (scope, cohort_key, cell_json, version) VALUES {rows}
         ON CONFLICT (scope, cohort_key) DO UPDATE SET cell_json = excluded.cell_json,
             version = excluded.version
         WHERE cohort_cells.version = excluded.version - 1"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(scope);
    for cell in cells {
        // A new cell is written as version 1: if it exists meanwhile (version >= 1), the
        // check `version = 0` fails and the row is not written.
        let next_version = cell.expected_version.map_or(1, |v| v + 1);
        query = query
            .bind(cell.cohort_key.as_str())
            .bind(cell.cell_json.as_str())
            .bind(next_version);
    }
    let written = query.execute(&mut *conn).await?.rows_affected();
    if written != cells.len() as u64 {
        return Err(DbError::Conflict);
    }
    Ok(())
}

/// Serialises writers of one scope's cells (see the migration); scopes are always taken in the
/// same order, so two submits cannot deadlock.
async fn lock_scope(conn: &mut AnyConnection, scope: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO cohort_locks (scope, writes) VALUES ($1, 1)
         ON CONFLICT (scope) DO UPDATE SET writes = cohort_locks.writes + 1",
    )
    .bind(scope)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn bump_generation(conn: &mut AnyConnection, scope: &str, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO benchmark_generations (scope, generation, published_at) VALUES ($1, 1, $2)
         ON CONFLICT (scope) DO UPDATE SET generation = benchmark_generations.generation + 1,
             published_at = excluded.published_at",
    )
    .bind(scope)
    .bind(now)
    .execute(&mut *conn)
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
