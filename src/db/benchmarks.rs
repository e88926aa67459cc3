//! Cohort cells and their publication generations.
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

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

impl JournalEntry {
    /// An entry as the journal stores it: its cohort keys comma-joined (see [`journal_change`]).
    /// The one reading of a stored entry, for both databases' merges.
    fn stored(id: i64, cohort_keys: &str, change_json: String) -> JournalEntry {
        JournalEntry {
            id,
            keys: cohort_keys.split(',').map(str::to_owned).collect(),
            change_json,
        }
    }
}

/// Told the ids of the journal entries a merge on PostgreSQL read under the merge lock, before
/// it writes, and whether that read was short (it took every entry waiting).
pub type ReadFn<'a> = dyn Fn(&[i64], bool) + Sync + 'a;

/// The pure merge of one scope's waiting changes into its cells (in the order given).
pub type MergeFn<'a> =
    dyn Fn(&str, &[JournalEntry], &[CellRow]) -> Result<ScopeUpdate, String> + Sync + 'a;

/// How many journal entries a merge inside a group-commit batch reads at most (SQLite); more
/// waiting are left to a merge round.
pub(super) const MERGE_BATCH_IN_COMMIT: usize = 512;

/// The key of the advisory lock that merges take (PostgreSQL; see [`begin_merge_postgres`]).
const MERGE_LOCK: i64 = 17_017;

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

/// One merge of every scope inside the caller's transaction (SQLite, whose one writer connection
/// is the lock): reads up to `limit` waiting changes in id order, reads the cells they touch,
/// applies them per scope (`apply`) and writes the changed cells back: five statements whatever
/// the number of scopes (and one more per refused change). Returns how many journal entries it
/// read. PostgreSQL runs the same merge in fewer statements ([`merge_postgres`]).
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
) -> Result<usize, DbError> {
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
        by_scope
            .entry(scope)
            .or_default()
            .push(JournalEntry::stored(
                row.try_get(0)?,
                &keys,
                row.try_get(3)?,
            ));
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
    let Applied {
        merged,
        writes,
        republished,
    } = apply_changes(conn, &mut by_scope, &current, apply).await?;
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

/// What [`apply_changes`] made of a round's waiting changes.
struct Applied<'s> {
    /// The ids of the changes merged (not those refused).
    merged: Vec<i64>,
    /// The changed cells, by scope.
    writes: Vec<(&'s str, CellUpdate)>,
    /// Scopes whose published statistics moved.
    republished: Vec<&'s str>,
}

/// Applies each scope's waiting changes, in id order, to its `current` cells (`apply`); a
/// change the merge refuses is marked failed in the journal and left out. The same for both
/// databases: only how the round is read and written differs.
async fn apply_changes<'s>(
    conn: &mut AnyConnection,
    by_scope: &'s mut std::collections::BTreeMap<String, Vec<JournalEntry>>,
    current: &std::collections::BTreeMap<String, Vec<CellRow>>,
    apply: &MergeFn<'_>,
) -> Result<Applied<'s>, DbError> {
    let mut applied = Applied {
        merged: Vec::new(),
        writes: Vec::new(),
        republished: Vec::new(),
    };
    for (scope, entries) in by_scope.iter_mut() {
        // In id order, as `merge_in` reads them (a union's parts come in no promised order).
        entries.sort_unstable_by_key(|e| e.id);
        let cells = current.get(scope.as_str()).map_or(&[][..], Vec::as_slice);
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
            applied.republished.push(scope);
        }
        applied.merged.extend(
            entries
                .iter()
                .map(|e| e.id)
                .filter(|id| !update.refused.iter().any(|(r, _)| r == id)),
        );
        applied
            .writes
            .extend(update.cells.into_iter().map(|c| (scope.as_str(), c)));
    }
    Ok(applied)
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

/// Opens a transaction holding the merge lock (PostgreSQL): merges of several app instances
/// (and bulk rewrites) run one at a time, each reading the cells and the journal as the one
/// before left them; submits never take it. An advisory lock held to the end of the
/// transaction, taken in the same round trip as `BEGIN` (a simple query of two statements). The
/// lock row it replaces (`cohort_locks`) cost a round trip of its own, made every merge a write
/// (a WAL record, a dead tuple and a flush at COMMIT, even a merge that found the journal empty
/// because the other instance's merge had taken its changes), and was held across six round
/// trips instead of three (issue 17).
async fn begin_merge_postgres(pool: &sqlx::AnyPool) -> Result<Transaction<'static, Any>, DbError> {
    Ok(pool
        .begin_with(sqlx::AssertSqlSafe(format!(
            "BEGIN; SELECT pg_advisory_xact_lock({MERGE_LOCK})"
        )))
        .await?)
}

/// A merge on PostgreSQL, inside a transaction from [`begin_merge_postgres`]: [`merge_in`]'s
/// work in two statements, whatever the number of scopes (plus one per refused change): up to
/// `limit` waiting changes in id order read together with the cells they touch, then the
/// changed cells, the generations of republished scopes and the deletion of the merged changes
/// written as data-modifying CTEs of one statement. Returns how many journal entries it read.
async fn merge_postgres(
    conn: &mut AnyConnection,
    limit: usize,
    apply: &MergeFn<'_>,
    on_read: &ReadFn<'_>,
    now: i64,
) -> Result<usize, DbError> {
    // `j` is read twice, so PostgreSQL materialises it: both parts see the same entries.
    let rows = sqlx::query(
        "WITH j AS (SELECT id, scope, cohort_keys, change_json FROM cohort_journal
                    WHERE failed IS NULL ORDER BY id LIMIT $1)
         SELECT CAST(0 AS BIGINT) AS kind, id, scope, cohort_keys AS key, change_json AS text,
                CAST(NULL AS BYTEA) AS cell, CAST(0 AS BIGINT) AS version
         FROM j
         UNION ALL
         SELECT 1, 0, c.scope, c.cohort_key, c.cell_json, c.cell, c.version FROM cohort_cells c
         WHERE (c.scope, c.cohort_key) IN
               (SELECT scope, unnest(string_to_array(cohort_keys, ',')) FROM j)",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_scope: std::collections::BTreeMap<String, Vec<JournalEntry>> = Default::default();
    let mut current: std::collections::BTreeMap<String, Vec<CellRow>> = Default::default();
    let mut read = 0;
    for row in &rows {
        let scope: String = row.try_get(2)?;
        let key: String = row.try_get(3)?;
        if row.try_get::<i64, _>(0)? == 0 {
            read += 1;
            by_scope
                .entry(scope)
                .or_default()
                .push(JournalEntry::stored(row.try_get(1)?, &key, row.try_get(4)?));
        } else {
            let cell = match row.try_get::<Option<Vec<u8>>, _>(5)? {
                Some(cell) => cell,
                None => row
                    .try_get::<Option<String>, _>(4)?
                    .map(String::into_bytes)
                    .unwrap_or_default(),
            };
            current.entry(scope).or_default().push(CellRow {
                cohort_key: key,
                cell,
                version: row.try_get(6)?,
            });
        }
    }
    let mut ids: Vec<i64> = by_scope.values().flatten().map(|e| e.id).collect();
    ids.sort_unstable();
    on_read(&ids, read < limit);
    if read == 0 {
        return Ok(0);
    }
    let Applied {
        merged,
        writes,
        republished,
    } = apply_changes(conn, &mut by_scope, &current, apply).await?;
    // One statement of one fixed text, whatever the numbers of merged changes, republished
    // scopes and changed cells: each list is one parameter, split by PostgreSQL (cells as hex).
    // With a `VALUES` row per cell the text differed from merge to merge, and every new text was
    // parsed and planned anew on each connection (issue 17). The cells carry the version check
    // of [`write_cells`]; the journal is deleted by id, never by range (an entry with a lower id
    // may commit after the read). Keys and scopes hold no comma (the journal joins keys by it).
    let mut lists = MergeWrite::default();
    for id in &merged {
        lists.push_id(*id);
    }
    for scope in &republished {
        lists.push_republished(scope)?;
    }
    for (scope, cell) in &writes {
        // A new cell is written as version 1: if it exists meanwhile (version >= 1), the
        // check `version = 0` fails and the row is not written.
        lists.push_cell(scope, cell)?;
    }
    let query = sqlx::query(MERGE_WRITE_POSTGRES)
        .bind(now)
        .bind(lists.ids)
        .bind(lists.republished)
        .bind(lists.scopes)
        .bind(lists.keys)
        .bind(lists.cells)
        .bind(lists.versions);
    let written: i64 = query.fetch_one(&mut *conn).await?.try_get(0)?;
    if written != writes.len() as i64 {
        return Err(DbError::Conflict);
    }
    Ok(read)
}

/// The write of a merge on PostgreSQL ([`merge_postgres`]): `$1` the time, `$2` the merged
/// journal ids, `$3` the republished scopes, `$4..$7` the changed cells' scopes, keys, bytes
/// (hex) and new versions, each list comma-joined (an empty text is an empty list). Returns how
/// many cells were written.
const MERGE_WRITE_POSTGRES: &str = "WITH
    d AS (DELETE FROM cohort_journal
          WHERE id = ANY(CAST(string_to_array($2, ',') AS BIGINT[])) RETURNING 1),
    g AS (INSERT INTO benchmark_generations (scope, generation, published_at)
          SELECT s, 1, $1 FROM unnest(string_to_array($3, ',')) AS s
          ON CONFLICT (scope) DO UPDATE
              SET generation = benchmark_generations.generation + 1,
                  published_at = excluded.published_at
          RETURNING 1),
    w AS (INSERT INTO cohort_cells (scope, cohort_key, cell, version)
          SELECT s, k, decode(c, 'hex'), CAST(v AS BIGINT)
          FROM unnest(string_to_array($4, ','), string_to_array($5, ','),
                      string_to_array($6, ','), string_to_array($7, ',')) AS t (s, k, c, v)
          ON CONFLICT (scope, cohort_key) DO UPDATE SET cell = excluded.cell,
              cell_json = NULL, version = excluded.version
          WHERE cohort_cells.version = excluded.version - 1
          RETURNING 1)
    SELECT CAST((SELECT COUNT(*) FROM w) AS BIGINT)";

/// The lists [`MERGE_WRITE_POSTGRES`] takes, each comma-joined.
#[derive(Default)]
struct MergeWrite {
    ids: String,
    republished: String,
    scopes: String,
    keys: String,
    cells: String,
    versions: String,
}

impl MergeWrite {
    fn push_id(&mut self, id: i64) {
        push_item(&mut self.ids, &id.to_string());
    }

    fn push_republished(&mut self, scope: &str) -> Result<(), DbError> {
        push_item(&mut self.republished, listable(scope)?);
        Ok(())
    }

    fn push_cell(&mut self, scope: &str, cell: &CellUpdate) -> Result<(), DbError> {
        push_item(&mut self.scopes, listable(scope)?);
        push_item(&mut self.keys, listable(&cell.cohort_key)?);
        push_item(&mut self.cells, &crate::token::hex(&cell.cell));
        let next_version = cell.expected_version.map_or(1, |v| v + 1);
        push_item(&mut self.versions, &next_version.to_string());
        Ok(())
    }
}

fn push_item(list: &mut String, item: &str) {
    if !list.is_empty() {
        list.push(',');
    }
    list.push_str(item);
}

/// A scope or cohort key as an item of a comma-joined list: never empty, never with a comma.
fn listable(item: &str) -> Result<&str, DbError> {
    if item.is_empty() || item.contains(',') {
        return Err(DbError::Corrupt(format!(
            "a statistics scope or key that cannot be listed: {item:?}"
        )));
    }
    Ok(item)
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
    /// Merges up to `limit` waiting journal entries into the cells (per scope on PostgreSQL), in
    /// one transaction (on SQLite a member of the writer's group commit; on PostgreSQL one per
    /// scope). Returns how many entries it read: fewer than `limit` means the journal was empty
    /// when it looked. On PostgreSQL `on_read` is told the ids read under the merge lock before
    /// the merge writes (an entry committed before the lock was taken and not among them was
    /// merged by a transaction that has committed: another instance's); SQLite never calls it.
    pub async fn merge_journal(
        &self,
        limit: usize,
        apply: &MergeFn<'_>,
        on_read: &ReadFn<'_>,
        now: i64,
    ) -> Result<usize, DbError> {
        match self.backend {
            Backend::Sqlite => {
                self.group
                    .run(self, async |conn: &mut AnyConnection| {
                        merge_in(conn, limit, apply, now).await.map(Keep::Commit)
                    })
                    .await
            }
            Backend::Postgres => {
                let mut tx = begin_merge_postgres(&self.writer).await?;
                let read = merge_postgres(&mut tx, limit, apply, on_read, now).await?;
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
        // On SQLite the one writer connection is the lock.
        let mut tx = match self.backend {
            Backend::Postgres => begin_merge_postgres(&self.writer).await?,
            Backend::Sqlite => self.begin_write().await?,
        };
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
