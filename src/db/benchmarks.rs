//! Cohort cells and their publication generations.
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::group_commit::Keep;
use super::{Backend, DbError, Store};

/// A stored cohort cell: the benchmark module's `PublishedCell` in its stored form
/// (`benchmark::encode_cell`; a format byte first, so cells written as JSON still read).
#[derive(Debug, Clone)]
pub struct CellRow {
    pub cohort_key: String,
    pub cell: Vec<u8>,
    pub version: i64,
}

/// A cell to write back; `expected_version` is what was read (None: the cell is new).
#[derive(Debug, Clone)]
pub struct CellUpdate {
    pub cohort_key: String,
    pub cell: Vec<u8>,
    pub expected_version: Option<i64>,
}

/// What a merge changes in one scope's statistics.
#[derive(Debug, Clone, Default)]
pub struct ScopeUpdate {
    pub cells: Vec<CellUpdate>,
    /// True when any cell republished: the scope's generation moves on.
    pub republished: bool,
    /// Journal entries the merge refused (id, why): they stay in the journal, marked, and count
    /// nowhere (a stored change that cannot apply means corrupt data, not a user's mistake).
    pub refused: Vec<(i64, String)>,
}

/// What a write (submit, erasure, release) changes in the statistics: one response's change to
/// the cells `keys` of each of `scopes`. The write appends it to the journal in its own
/// transaction; [`Store::merge_journal`] applies it to the cells.
pub struct CohortChange<'a> {
    pub scopes: &'a [String],
    pub keys: &'a [String],
    /// The encoded change (`statistics::encode_change`).
    pub change: &'a str,
}

/// A change waiting in the journal.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub id: i64,
    pub keys: Vec<String>,
    pub change_json: String,
}

/// The pure merge of one scope's waiting changes into its cells (in the order given).
pub type MergeFn<'a> =
    dyn Fn(&str, &[JournalEntry], &[CellRow]) -> Result<ScopeUpdate, String> + Sync + 'a;

/// How many journal entries a merge inside a group-commit batch reads at most (SQLite); more
/// waiting are left to a merge round.
pub(super) const MERGE_BATCH_IN_COMMIT: usize = 512;

/// The lock row every merge takes first (PostgreSQL): merges of several app instances run one at
/// a time, each reading the cells and the journal as the one before left them. Submits never
/// take it.
const MERGE_LOCK: &str = "*merge*";

/// The columns [`cell_row`] reads, in its order.
const CELL_COLUMNS: &str = "cohort_key, cell, cell_json, version";

/// A cell is in `cell` (binary), or still in `cell_json` if no merge has changed it since the
/// migration `binary_cohort_cells`; the JSON text is one more stored form of the same encoding
/// (its first byte `{` says so), so the domain reads either alike.
fn cell_row(row: &AnyRow) -> Result<CellRow, DbError> {
    cell_row_at(row, 0)
}

/// [`cell_row`] of the columns from `at` on.
fn cell_row_at(row: &AnyRow, at: usize) -> Result<CellRow, DbError> {
    let cell = match row.try_get::<Option<Vec<u8>>, _>(at + 1)? {
        Some(cell) => cell,
        None => row
            .try_get::<Option<String>, _>(at + 2)?
            .map(String::into_bytes)
            .unwrap_or_default(),
    };
    Ok(CellRow {
        cohort_key: row.try_get(at)?,
        cell,
        version: row.try_get(at + 3)?,
    })
}

/// Appends a change to the journal inside the caller's transaction: one insert (a row per
/// scope), no read, and no row any other submit writes, so concurrent submits on PostgreSQL do
/// not wait for each other here (issue 17).
pub(super) async fn journal_change(
    conn: &mut AnyConnection,
    change: &CohortChange<'_>,
    now: i64,
) -> Result<(), DbError> {
    if change.keys.is_empty() || change.scopes.is_empty() {
        return Ok(());
    }
    let rows = (0..change.scopes.len())
        .map(|i| format!("(${}, $1, $2, $3)", 4 + i))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO cohort_journal (scope, cohort_keys, change_json, created_at) VALUES {rows}"
    );
    let keys = change.keys.join(",");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(keys)
        .bind(change.change)
        .bind(now);
    for scope in change.scopes {
        query = query.bind(scope.as_str());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// One merge inside the caller's transaction: takes the merge lock (`lock`), reads up to `limit`
/// waiting changes in id order, reads the cells they touch, applies them per scope (`apply`) and
/// writes the changed cells back: five statements whatever the number of scopes (and one more
/// per refused change). Returns how many journal entries it read.
///
/// Order: on PostgreSQL ids are drawn before commit, so a change may become visible after one
/// with a higher id and be merged in a later round. Changes that depend on each other (a
/// response's removal on another's addition) are ordered: the later one's transaction began
/// after the earlier committed, so its id is higher and it is never visible without it.
pub(super) async fn merge_in(
    conn: &mut AnyConnection,
    limit: usize,
    apply: &MergeFn<'_>,
    now: i64,
    lock: bool,
) -> Result<usize, DbError> {
    if lock {
        lock_scope(conn, MERGE_LOCK).await?;
    }
    let rows = sqlx::query(
        "SELECT id, scope, cohort_keys, change_json FROM cohort_journal
         WHERE failed IS NULL ORDER BY id LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let read = rows.len();
    if read == 0 {
        return Ok(0);
    }
    let mut by_scope: std::collections::BTreeMap<String, Vec<JournalEntry>> = Default::default();
    for row in &rows {
        let scope: String = row.try_get(1)?;
        let keys: String = row.try_get(2)?;
        by_scope.entry(scope).or_default().push(JournalEntry {
            id: row.try_get(0)?,
            keys: keys.split(',').map(str::to_owned).collect(),
            change_json: row.try_get(3)?,
        });
    }
    // Every scope's cells in one read, one write and one generation bump (issue 17: a merge
    // round was 2 + 3 statements per scope, each a round trip to SQLite's worker thread). The
    // read may bring a cell of a key in a scope none of that scope's changes touch; the merge
    // leaves such a cell unchanged and does not write it.
    let scopes: Vec<&str> = by_scope.keys().map(String::as_str).collect();
    let mut keys: Vec<&str> = by_scope
        .values()
        .flatten()
        .flat_map(|e| e.keys.iter().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let select = format!(
        "SELECT scope, {CELL_COLUMNS} FROM cohort_cells WHERE scope IN ({}) AND cohort_key IN ({})",
        placeholders(1, scopes.len()),
        placeholders(1 + scopes.len(), keys.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(select.as_str()));
    for scope in &scopes {
        query = query.bind(*scope);
    }
    for key in &keys {
        query = query.bind(*key);
    }
    let mut current: std::collections::BTreeMap<String, Vec<CellRow>> = Default::default();
    for row in query.fetch_all(&mut *conn).await? {
        let scope: String = row.try_get(0)?;
        current
            .entry(scope)
            .or_default()
            .push(cell_row_at(&row, 1)?);
    }
    let mut merged: Vec<i64> = Vec::with_capacity(read);
    let mut writes: Vec<(&str, CellUpdate)> = Vec::new();
    let mut republished: Vec<&str> = Vec::new();
    for (scope, entries) in &by_scope {
        let cells = current.get(scope).map_or(&[][..], Vec::as_slice);
        let update = apply(scope, entries, cells).map_err(DbError::Benchmark)?;
        for (id, why) in &update.refused {
            tracing::error!(journal_id = id, scope = %scope, error = %why, "a statistics change was refused");
            sqlx::query("UPDATE cohort_journal SET failed = $2 WHERE id = $1")
                .bind(*id)
                .bind(why.as_str())
                .execute(&mut *conn)
                .await?;
        }
        if update.republished {
            republished.push(scope);
        }
        merged.extend(
            entries
                .iter()
                .map(|e| e.id)
                .filter(|id| !update.refused.iter().any(|(r, _)| r == id)),
        );
        writes.extend(update.cells.into_iter().map(|c| (scope.as_str(), c)));
    }
    write_cells(conn, &writes).await?;
    bump_generations(conn, &republished, now).await?;
    if !merged.is_empty() {
        // By id, never by range: an entry with a lower id may commit after this read.
        let delete = format!(
            "DELETE FROM cohort_journal WHERE id IN ({})",
            placeholders(1, merged.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(delete.as_str()));
        for id in &merged {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(read)
}

/// `$from, $from+1, …` (`count` of them), for an `IN (…)` list.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the cells (of any scopes) in one statement, each only if its version is still the one
/// read (a new cell only if nobody created it meanwhile): an upsert whose update carries the
/// version check, so fewer rows written than cells means a concurrent change, and the caller
/// retries.
async fn write_cells(
    conn: &mut AnyConnection,
    cells: &[(&str, CellUpdate)],
) -> Result<(), DbError> {
    if cells.is_empty() {
        return Ok(());
    }
    let rows = (0..cells.len())
        .map(|i| {
            let p = 4 * i;
            format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO cohort_cells (scope, cohort_key, cell, version) VALUES {rows}
         ON CONFLICT (scope, cohort_key) DO UPDATE SET cell = excluded.cell, cell_json = NULL,
             version = excluded.version
         WHERE cohort_cells.version = excluded.version - 1"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for (scope, cell) in cells {
        // A new cell is written as version 1: if it exists meanwhile (version >= 1), the
        // check `version = 0` fails and the row is not written.
        let next_version = cell.expected_version.map_or(1, |v| v + 1);
        query = query
            .bind(*scope)
            .bind(cell.cohort_key.as_str())
            .bind(cell.cell.as_slice())
            .bind(next_version);
    }
    let written = query.execute(&mut *conn).await?.rows_affected();
    if written != cells.len() as u64 {
        return Err(DbError::Conflict);
    }
    Ok(())
}

/// Takes a lock row (see the migrations `cohort_locks` and `cohort_journal`): held to the end
/// of the transaction, by merges and bulk replacements only.
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

/// [`bump_generation`] of several scopes in one statement.
async fn bump_generations(
    conn: &mut AnyConnection,
    scopes: &[&str],
    now: i64,
) -> Result<(), DbError> {
    if scopes.is_empty() {
        return Ok(());
    }
    let rows = (0..scopes.len())
        .map(|i| format!("(${}, 1, $1)", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO benchmark_generations (scope, generation, published_at) VALUES {rows}
         ON CONFLICT (scope) DO UPDATE SET generation = benchmark_generations.generation + 1,
             published_at = excluded.published_at"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
    for scope in scopes {
        query = query.bind(*scope);
    }
    query.execute(&mut *conn).await?;
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
    /// Merges up to `limit` waiting journal entries into the cells, in one transaction (on
    /// SQLite a member of the writer's group commit). Returns how many entries it read: fewer
    /// than `limit` means the journal was empty when it looked.
    pub async fn merge_journal(
        &self,
        limit: usize,
        apply: &MergeFn<'_>,
        now: i64,
    ) -> Result<usize, DbError> {
        match self.backend {
            Backend::Sqlite => {
                self.group
                    .run(self, async |conn: &mut AnyConnection| {
                        merge_in(conn, limit, apply, now, false)
                            .await
                            .map(Keep::Commit)
                    })
                    .await
            }
            Backend::Postgres => {
                let mut tx = self.writer.begin().await?;
                let read = merge_in(&mut tx, limit, apply, now, true).await?;
                self.commit(tx).await?;
                Ok(read)
            }
        }
    }

    /// Journal entries: waiting to be merged, and refused by a merge.
    pub async fn journal_counts(&self) -> Result<(i64, i64), DbError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN failed IS NULL THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN failed IS NULL THEN 0 ELSE 1 END), 0)
             FROM cohort_journal",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// All cells of a scope, for disclosure over all of them at once.
    pub async fn cohort_cells(&self, scope: &str) -> Result<Vec<CellRow>, DbError> {
        let select =
            format!("SELECT {CELL_COLUMNS} FROM cohort_cells WHERE scope = $1 ORDER BY cohort_key");
        let rows = sqlx::query(sqlx::AssertSqlSafe(select.as_str()))
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

    /// Rewrites all cells of a scope from what they hold now (a bulk load adding its firms):
    /// under the merge lock and in one transaction, `rewrite` gets the cells as stored and
    /// returns every cell in its new stored form; the scope's cells become exactly those, and its
    /// generation moves on. The cells are read under the lock, so that no merge between the
    /// read and the write is lost.
    pub async fn rewrite_cohort_cells(
        &self,
        scope: &str,
        rewrite: impl FnOnce(&[CellRow]) -> Result<Vec<(String, Vec<u8>)>, String>,
        now: i64,
    ) -> Result<usize, DbError> {
        let mut tx = self.writer.begin().await?;
        lock_scope(&mut tx, MERGE_LOCK).await?;
        let select =
            format!("SELECT {CELL_COLUMNS} FROM cohort_cells WHERE scope = $1 ORDER BY cohort_key");
        let current = sqlx::query(sqlx::AssertSqlSafe(select.as_str()))
            .bind(scope)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(cell_row)
            .collect::<Result<Vec<_>, _>>()?;
        let cells = rewrite(&current).map_err(DbError::Benchmark)?;
        sqlx::query("DELETE FROM cohort_cells WHERE scope = $1")
            .bind(scope)
            .execute(&mut *tx)
            .await?;
        for (key, cell) in &cells {
            sqlx::query("INSERT INTO cohort_cells (scope, cohort_key, cell, version) VALUES ($1, $2, $3, 1)")
                .bind(scope)
                .bind(key.as_str())
                .bind(cell.as_slice())
                .execute(&mut *tx)
                .await?;
        }
        bump_generation(&mut tx, scope, now).await?;
        self.commit(tx).await?;
        Ok(cells.len())
    }
}
