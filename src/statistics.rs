//! Published peer statistics: merges the changes that submits journal into the cohort cells
//! (before the submit is answered) and serves disclosed statistics from a cache that is rebuilt
//! only when a cell republishes.
//! The rules themselves live in the pure `benchmark` module; this is the glue to storage.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::benchmark::{
    BenchmarkError, CohortKey, Comparison, Disclosure, DisclosurePolicy, PendingChange, Profile,
    PublishOutcome, PublishedCell, ResponseSummary, UnavailableReason, comparison_cohort,
    decode_cell, disclose, encode_cell,
};
use crate::db::{CellRow, CellUpdate, DbError, JournalEntry, ScopeUpdate, Store};
use crate::scoring::Assessment;

/// Statistics of real responses only.
pub const SCOPE_REAL: &str = "real";
/// Statistics that include the demo responses of `seed-demo`.
pub const SCOPE_WITH_DEMO: &str = "with_demo";
/// A real submit counts in both scopes; demo data only in the second.
pub const SCOPES_OF_A_REAL_RESPONSE: [&str; 2] = [SCOPE_REAL, SCOPE_WITH_DEMO];

/// The stored scope of one catalogue version's statistics, e.g. `real@2027.1`.
///
/// Versions never mix: each catalogue version has its own cohort cells, generation and lock,
/// because two versions score by different rules (README, "Catalogue versions"). A response
/// counts in the cells of the version it was answered and scored under, and is compared only
/// with those.
pub fn versioned_scope(scope: &str, catalogue_version: &str) -> String {
    format!("{scope}@{catalogue_version}")
}

/// The stored scopes a real response of `catalogue_version` counts in.
pub fn scopes_of_a_real_response(catalogue_version: &str) -> [String; 2] {
    SCOPES_OF_A_REAL_RESPONSE.map(|scope| versioned_scope(scope, catalogue_version))
}

#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("statistics: {0}")]
    Benchmark(#[from] BenchmarkError),
    #[error("stored cohort cell {key} is unreadable: {message}")]
    Corrupt { key: String, message: String },
}

/// Every cohort's verdict at one publication generation.
#[derive(Debug)]
pub struct Snapshot {
    /// The catalogue version whose responses these statistics count (never more than one).
    pub catalogue_version: String,
    pub generation: i64,
    /// When the statistics last changed (epoch ms; 0 if never).
    pub published_at: i64,
    pub disclosed: BTreeMap<CohortKey, Disclosure>,
}

impl Snapshot {
    pub fn get(&self, key: &CohortKey) -> Option<&Disclosure> {
        self.disclosed.get(key)
    }
}

/// Where a firm stands on one measure within its comparison cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub score: u8,
    pub median: u8,
    pub p25: u8,
    pub p75: u8,
    /// Share of the cohort scoring strictly lower, in whole percent.
    pub percentile_rank: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmComparison {
    pub cohort: CohortKey,
    pub n: u32,
    /// True when the firm's own industry × size cohort was too small and a broader one is used.
    pub broader_than_own: bool,
    pub overall: Position,
    pub dimensions: Vec<Position>,
    pub published_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Benchmark {
    Compared(FirmComparison),
    Unavailable(UnavailableReason),
}

#[derive(Clone)]
pub struct Statistics {
    store: Store,
    policy: DisclosurePolicy,
    read_scope: &'static str,
    dimension_count: usize,
    /// One snapshot per catalogue version.
    cache: Arc<RwLock<BTreeMap<String, Arc<Snapshot>>>>,
    /// Held while a snapshot is rebuilt: after a publication every submit in flight finds the
    /// cache outdated, and one rebuild serves them all instead of each reading and disclosing
    /// every cell itself (issue 17).
    rebuilding: Arc<tokio::sync::Mutex<()>>,
    rounds: Arc<MergeRounds>,
    /// Decoded cells for merges (rounds, and SQLite's batches).
    cells: Arc<CellCache>,
}

impl std::fmt::Debug for Statistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statistics")
            .field("k", &self.policy.k())
            .field("read_scope", &self.read_scope)
            .finish()
    }
}

/// The compact summary the aggregates count.
pub fn summary_of(assessment: &Assessment) -> Result<ResponseSummary, BenchmarkError> {
    ResponseSummary::new(
        assessment.overall.score,
        assessment.overall.level,
        assessment.dimensions.iter().map(|d| d.score).collect(),
        assessment.dimensions.iter().map(|d| d.level).collect(),
        assessment.red_flags.iter().map(|f| f.id.clone()),
    )
}

/// The cohort cells one response counts in, as stored keys.
pub fn cell_keys(profile: &Profile) -> Vec<String> {
    CohortKey::all_for(profile)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Marks the compact form of a journaled change (older entries are JSON, starting with `{`).
const CHANGE_V1: &str = "c1";
/// Between red-flag ids: they may hold any character but a control character.
const FLAG_SEPARATOR: char = '\u{1f}';

/// The journal's form of one response's change (added to, or removed from, its cells): a short
/// line, `c1;+;57;3;40,60,55;2,3,3;flag␟flag` (operation, overall score and level, dimension
/// scores and levels, red flags), written and read on every submit's path instead of JSON
/// (issue 17: a third of the bytes, no serde on either side).
pub fn encode_change(summary: &ResponseSummary, remove: bool) -> Result<String, BenchmarkError> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(64);
    let op = if remove { '-' } else { '+' };
    let _ = write!(
        out,
        "{CHANGE_V1};{op};{};{};",
        summary.overall_score(),
        summary.overall_level()
    );
    join_numbers(&mut out, summary.dimension_scores());
    out.push(';');
    join_numbers(&mut out, summary.dimension_levels());
    out.push(';');
    for (i, flag) in summary.red_flags().iter().enumerate() {
        if i > 0 {
            out.push(FLAG_SEPARATOR);
        }
        out.push_str(flag);
    }
    Ok(out)
}

fn join_numbers(out: &mut String, numbers: &[u8]) {
    use std::fmt::Write as _;
    for (i, n) in numbers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{n}");
    }
}

/// Reads a journaled change in either form (the compact line, or the JSON of entries written
/// before it); the summary is validated as on any construction.
pub fn decode_change(stored: &str) -> Result<PendingChange, String> {
    if stored.starts_with('{') {
        return serde_json::from_str(stored).map_err(|e| e.to_string());
    }
    let mut parts = stored.splitn(7, ';');
    let mut next = |what: &str| parts.next().ok_or_else(|| format!("no {what}"));
    if next("version")? != CHANGE_V1 {
        return Err("unknown change format".into());
    }
    let remove = match next("operation")? {
        "+" => false,
        "-" => true,
        other => return Err(format!("unknown operation {other:?}")),
    };
    let number = |s: &str| s.parse::<u8>().map_err(|e| format!("{s:?}: {e}"));
    let numbers = |s: &str| {
        if s.is_empty() {
            Ok(Vec::new())
        } else {
            s.split(',')
                .map(number)
                .collect::<Result<Vec<u8>, String>>()
        }
    };
    let overall_score = number(next("overall score")?)?;
    let overall_level = number(next("overall level")?)?;
    let dimension_scores = numbers(next("dimension scores")?)?;
    let dimension_levels = numbers(next("dimension levels")?)?;
    let flags = next("red flags")?;
    let red_flags = flags
        .split(FLAG_SEPARATOR)
        .filter(|f| !f.is_empty())
        .map(str::to_owned);
    let summary = ResponseSummary::new(
        overall_score,
        overall_level,
        dimension_scores,
        dimension_levels,
        red_flags,
    )
    .map_err(|e| e.to_string())?;
    Ok(if remove {
        PendingChange::Removed(summary)
    } else {
        PendingChange::Added(summary)
    })
}

/// Applies one scope's waiting changes, in order, to the cells read from storage: the pure part
/// of a merge, and exactly what applying them one submit at a time did. A change that cannot
/// apply to every one of its cells (removing what was never added) changes none of them and is
/// refused; an unreadable stored cell fails the whole merge.
pub fn merge_entries(
    policy: &DisclosurePolicy,
    dimension_count: usize,
    entries: &[JournalEntry],
    current: &[CellRow],
) -> Result<ScopeUpdate, String> {
    merge_entries_cached(policy, dimension_count, "", entries, current, None)
}

/// The cells this instance's merges last wrote, decoded, by scope and cohort key: a merge
/// whose stored cell holds exactly the bytes kept here takes the decoded cell instead of
/// decoding it again. Decoding (and checking) the cells was most of a merge's CPU, and a merge
/// inside SQLite's writer batch holds the writer meanwhile (issue 17). Equal bytes mean an equal
/// cell, so whoever else wrote the cell (another instance, the CLI, a rolled-back merge), a
/// stale entry is only a miss. Bounded: when full, it starts again empty.
#[derive(Debug, Default)]
pub struct CellCache {
    cells: std::sync::Mutex<std::collections::HashMap<CellKey, (Vec<u8>, PublishedCell)>>,
}

/// A cell's scope and cohort key.
type CellKey = (String, String);

/// At most this many cells in a [`CellCache`] (cells are 3–9 KB stored, a few times that
/// decoded: some MB at most).
const CELL_CACHE_ENTRIES: usize = 256;

impl CellCache {
    fn get(&self, scope: &str, row: &CellRow) -> Option<PublishedCell> {
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells
            .get(&(scope.to_owned(), row.cohort_key.clone()))
            .filter(|(bytes, _)| *bytes == row.cell)
            .map(|(_, cell)| cell.clone())
    }

    fn put(&self, scope: &str, key: &str, bytes: &[u8], cell: PublishedCell) {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if cells.len() >= CELL_CACHE_ENTRIES {
            cells.clear();
        }
        cells.insert((scope.to_owned(), key.to_owned()), (bytes.to_vec(), cell));
    }
}

/// [`merge_entries`] of the scope `scope`, with the decoded cells of `cache` if given.
pub fn merge_entries_cached(
    policy: &DisclosurePolicy,
    dimension_count: usize,
    scope: &str,
    entries: &[JournalEntry],
    current: &[CellRow],
    cache: Option<&CellCache>,
) -> Result<ScopeUpdate, String> {
    // key -> (cell, version read, changed)
    let mut cells: BTreeMap<String, (PublishedCell, Option<i64>, bool)> = BTreeMap::new();
    for row in current {
        let cell = match cache.and_then(|c| c.get(scope, row)) {
            Some(cell) => cell,
            None => decode_cell(&row.cell).map_err(|e| format!("cell {}: {e}", row.cohort_key))?,
        };
        cells.insert(row.cohort_key.clone(), (cell, Some(row.version), false));
    }
    let mut update = ScopeUpdate::default();
    for entry in entries {
        let change: PendingChange = match decode_change(&entry.change_json) {
            Ok(change) => change,
            Err(e) => {
                update
                    .refused
                    .push((entry.id, format!("unreadable change: {e}")));
                continue;
            }
        };
        let (summary, remove) = match &change {
            PendingChange::Added(s) => (s, false),
            PendingChange::Removed(s) => (s, true),
        };
        let mut refusal = None;
        for key in &entry.keys {
            let cell = match cells.entry(key.clone()) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert((
                    PublishedCell::new(dimension_count).map_err(|e| e.to_string())?,
                    None,
                    false,
                )),
            };
            let checked = if remove {
                cell.0.check_remove(summary)
            } else {
                cell.0.check_add(summary)
            };
            if let Err(e) = checked {
                refusal = Some(format!("cell {key}: {e}"));
                break;
            }
        }
        if let Some(why) = refusal {
            update.refused.push((entry.id, why));
            continue;
        }
        for key in &entry.keys {
            let Some(cell) = cells.get_mut(key) else {
                return Err(format!("cell {key} vanished during a merge"));
            };
            let outcome = if remove {
                cell.0.remove(policy, summary)
            } else {
                cell.0.add(policy, summary)
            }
            .map_err(|e| format!("cell {key}: {e}"))?;
            cell.2 = true;
            update.republished |= outcome == PublishOutcome::Published;
        }
    }
    for (key, (cell, version, changed)) in cells {
        if changed {
            let bytes = encode_cell(&cell);
            if let Some(cache) = cache {
                cache.put(scope, &key, &bytes, cell);
            }
            update.cells.push(CellUpdate {
                cohort_key: key,
                cell: bytes,
                expected_version: version,
            });
        }
    }
    Ok(update)
}

/// How many journal entries one merge transaction takes at most.
const MERGE_BATCH: usize = 512;

/// Merge rounds of one app instance: whoever needs the journal merged waits for a round that
/// began after its own write committed; a round merges everything waiting, so one round serves
/// every submit that queued behind the one before (like group commit).
///
/// Two instances on PostgreSQL (issue 17): their rounds take turns on the merge lock, and a
/// round often finds that the other instance's round, just committed, has merged the changes
/// its waiting submits wrote. A waiting submit that knows its journal entries' ids is released
/// as soon as such a round's read, under the lock, shows them gone, instead of after the round's
/// own write and flush: gone from the journal means merged by a committed transaction. Only the
/// API's one-shot submit knows its ids so far (the form's submit waits for a round as before).
/// Two instances, API at 32 connections, A/B: submits/s about 1.15 times (ARCHITECTURE, step 3).
#[derive(Debug, Default)]
struct MergeRounds {
    turn: tokio::sync::Mutex<()>,
    started: AtomicU64,
    completed: AtomicU64,
    /// The latest round's read of the journal under the merge lock (PostgreSQL).
    reads: tokio::sync::watch::Sender<RoundRead>,
    /// For `/metrics` (see [`MergeUse`]).
    succeeded: AtomicU64,
    failed: AtomicU64,
    micros: AtomicU64,
    merged: AtomicU64,
}

/// What a round read of the journal under the merge lock, before it wrote.
#[derive(Debug, Default)]
struct RoundRead {
    round: u64,
    /// The ids read, ascending.
    ids: Vec<i64>,
    /// The read took every entry waiting (fewer than its limit).
    short: bool,
}

impl RoundRead {
    /// Whether the read shows every one of `ids` merged: an entry committed before the read and
    /// not among the ids read was deleted by a merge that committed (a refused entry is not read
    /// either, and counts nowhere, as when this instance's round refuses it). Past the limit the
    /// read says nothing.
    fn shows_merged(&self, ids: &[i64]) -> bool {
        let seen_up_to = if self.short {
            i64::MAX
        } else {
            self.ids.last().copied().unwrap_or(i64::MIN)
        };
        !ids.is_empty()
            && ids
                .iter()
                .all(|id| *id < seen_up_to && self.ids.binary_search(id).is_err())
    }
}

/// This instance's merge rounds since start (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MergeUse {
    pub rounds: u64,
    pub failed_rounds: u64,
    /// Time spent in rounds, failed ones included.
    pub seconds: f64,
    /// Journal entries the rounds read and applied (or refused).
    pub merged: u64,
}

fn position(stats: &crate::benchmark::MeasureStats, score: u8, rank: Option<u8>) -> Position {
    Position {
        score,
        median: stats.median,
        p25: stats.p25,
        p75: stats.p75,
        percentile_rank: rank.unwrap_or(0),
    }
}

impl Statistics {
    pub fn new(
        store: Store,
        policy: DisclosurePolicy,
        include_demo: bool,
        dimension_count: usize,
    ) -> Statistics {
        // SQLite's group-commit batches merge the journal before they commit (one fsync for the
        // submits and their merge); the same pure merge as a round's.
        let cells = Arc::new(CellCache::default());
        let batch_cells = cells.clone();
        store.merge_in_batches(Arc::new(
            move |scope: &str, entries: &[JournalEntry], current: &[CellRow]| {
                merge_entries_cached(
                    &policy,
                    dimension_count,
                    scope,
                    entries,
                    current,
                    Some(&batch_cells),
                )
            },
        ));
        Statistics {
            store,
            policy,
            read_scope: if include_demo {
                SCOPE_WITH_DEMO
            } else {
                SCOPE_REAL
            },
            dimension_count,
            cache: Arc::new(RwLock::new(BTreeMap::new())),
            rebuilding: Arc::default(),
            rounds: Arc::default(),
            cells,
        }
    }

    /// The scope responses are compared in, before its catalogue version (`versioned_scope`).
    pub fn read_scope(&self) -> &'static str {
        self.read_scope
    }

    pub fn policy(&self) -> &DisclosurePolicy {
        &self.policy
    }

    pub fn dimension_count(&self) -> usize {
        self.dimension_count
    }

    /// Merges the journal into the cells: returns once a merge that began after this call has
    /// finished (so a change committed before the call is in the cells), sharing that merge with
    /// everyone who waits meanwhile. Returns how many changes this call itself merged.
    #[tracing::instrument(skip_all)]
    pub async fn merge_pending(&self, now: i64) -> Result<usize, StatisticsError> {
        self.merge_pending_of(now, &[]).await
    }

    /// [`Statistics::merge_pending`] for a write whose journal entries got the ids `journal_ids`
    /// (PostgreSQL): it also returns once the read of a round that began after this call shows
    /// them merged by another instance (see [`MergeRounds`]).
    pub async fn merge_pending_of(
        &self,
        now: i64,
        journal_ids: &[i64],
    ) -> Result<usize, StatisticsError> {
        let needed = self.rounds.started.load(Ordering::SeqCst) + 1;
        let mut reads = self.rounds.reads.subscribe();
        let shown_merged =
            reads.wait_for(|read| read.round >= needed && read.shows_merged(journal_ids));
        let _turn = tokio::select! {
            turn = self.rounds.turn.lock() => turn,
            // Never when the sender is gone: it lives as long as `self`.
            Ok(_) = shown_merged, if !journal_ids.is_empty() => return Ok(0),
        };
        if self.rounds.completed.load(Ordering::SeqCst) >= needed {
            return Ok(0);
        }
        let round = self.rounds.started.fetch_add(1, Ordering::SeqCst) + 1;
        let began = std::time::Instant::now();
        let result = self.merge_round(round, now).await;
        let rounds = &self.rounds;
        let micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        rounds.micros.fetch_add(micros, Ordering::Relaxed);
        match &result {
            Ok(merged) => {
                rounds.succeeded.fetch_add(1, Ordering::Relaxed);
                rounds.merged.fetch_add(*merged as u64, Ordering::Relaxed);
                // Only a round that succeeded counts: after a failure the next caller merges
                // again.
                rounds.completed.store(round, Ordering::SeqCst);
            }
            Err(_) => {
                rounds.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    /// One round: the journal in batches until a batch comes back short.
    async fn merge_round(&self, round: u64, now: i64) -> Result<usize, StatisticsError> {
        let policy = self.policy;
        let dimension_count = self.dimension_count;
        let cache = &*self.cells;
        let apply = move |scope: &str, entries: &[JournalEntry], cells: &[CellRow]| {
            merge_entries_cached(&policy, dimension_count, scope, entries, cells, Some(cache))
        };
        // Only the round's first read is published: the waiting submits' entries, committed
        // before the round began, are all in it or merged (or past its limit).
        let first = std::sync::atomic::AtomicBool::new(true);
        let on_read = |ids: &[i64], short: bool| {
            if first.swap(false, Ordering::Relaxed) {
                self.rounds.reads.send_replace(RoundRead {
                    round,
                    ids: ids.to_vec(),
                    short,
                });
            }
        };
        let mut merged = 0;
        loop {
            let read = self
                .store
                .merge_journal(MERGE_BATCH, &apply, &on_read, now)
                .await?;
            merged += read;
            if read < MERGE_BATCH {
                break;
            }
        }
        Ok(merged)
    }

    /// This instance's merge rounds so far.
    pub fn merge_use(&self) -> MergeUse {
        let rounds = &self.rounds;
        // Merges inside SQLite's batches count as rounds too.
        let (ok, failed, micros, merged) = self.store.batch_merge_use();
        MergeUse {
            rounds: rounds.succeeded.load(Ordering::Relaxed) + ok,
            failed_rounds: rounds.failed.load(Ordering::Relaxed) + failed,
            seconds: (rounds.micros.load(Ordering::Relaxed) + micros) as f64 / 1e6,
            merged: rounds.merged.load(Ordering::Relaxed) + merged,
        }
    }

    /// Journal entries waiting for a merge, and entries a merge refused (stored, never counted).
    pub async fn journal_counts(&self) -> Result<(i64, i64), StatisticsError> {
        Ok(self.store.journal_counts().await?)
    }

    /// Merges now and then, for changes whose writer could not merge them (it failed, or its app
    /// instance was killed between its commit and its merge). Runs until the runtime stops.
    pub async fn merge_periodically(self, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = self.merge_pending(crate::db::now_ms()).await {
                tracing::warn!(error = %e, "merging the statistics journal failed");
            }
        }
    }

    /// The disclosed statistics of every cohort of the served catalogue's responses.
    #[tracing::instrument(skip_all)]
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, StatisticsError> {
        self.snapshot_for(&crate::survey::served().version).await
    }

    /// The disclosed statistics of every cohort of one catalogue version's responses, as of its
    /// latest publication.
    pub async fn snapshot_for(
        &self,
        catalogue_version: &str,
    ) -> Result<Arc<Snapshot>, StatisticsError> {
        let scope = versioned_scope(self.read_scope, catalogue_version);
        let (generation, published_at) = self.store.benchmark_generation(&scope).await?;
        if let Some(snapshot) = self.cached(catalogue_version, generation) {
            return Ok(snapshot);
        }
        let _rebuilding = self.rebuilding.lock().await;
        // Whoever rebuilt while this call waited has left a snapshot at least this current.
        if let Some(snapshot) = self.cached(catalogue_version, generation) {
            return Ok(snapshot);
        }
        let rows = self.store.cohort_cells(&scope).await?;
        let mut snapshot = self.disclose_rows(&rows, generation, published_at)?;
        snapshot.catalogue_version = catalogue_version.to_owned();
        let snapshot = Arc::new(snapshot);
        if let Ok(mut guard) = self.cache.write() {
            let newer = guard
                .get(catalogue_version)
                .is_some_and(|s| s.generation > generation);
            if !newer {
                guard.insert(catalogue_version.to_owned(), Arc::clone(&snapshot));
            }
        }
        Ok(snapshot)
    }

    /// The cached snapshot of a catalogue version if it is of `generation` or later (a later one
    /// only when a rebuild that began after the caller read `generation` made it).
    fn cached(&self, catalogue_version: &str, generation: i64) -> Option<Arc<Snapshot>> {
        let guard = self.cache.read().ok()?;
        let snapshot = guard.get(catalogue_version)?;
        (snapshot.generation >= generation).then(|| Arc::clone(snapshot))
    }

    fn disclose_rows(
        &self,
        rows: &[CellRow],
        generation: i64,
        published_at: i64,
    ) -> Result<Snapshot, StatisticsError> {
        let mut cells: Vec<(CohortKey, PublishedCell)> = Vec::with_capacity(rows.len());
        for row in rows {
            let corrupt = |message: String| StatisticsError::Corrupt {
                key: row.cohort_key.clone(),
                message,
            };
            let key: CohortKey = row
                .cohort_key
                .parse()
                .map_err(|e: BenchmarkError| corrupt(e.to_string()))?;
            let cell = decode_cell(&row.cell).map_err(|e| corrupt(e.to_string()))?;
            cells.push((key, cell));
        }
        let listed: Vec<(CohortKey, Option<&crate::benchmark::CohortAggregate>)> = cells
            .iter()
            .map(|(key, cell)| (*key, cell.published()))
            .collect();
        let disclosed = disclose(&self.policy, &listed)?;
        Ok(Snapshot {
            catalogue_version: String::new(),
            generation,
            published_at,
            disclosed,
        })
    }

    /// A firm's comparison with its peers (the narrowest published cohort of its fallback chain).
    pub fn compare(
        &self,
        snapshot: &Snapshot,
        profile: &Profile,
        assessment: &Assessment,
    ) -> Benchmark {
        // A firm is compared only with firms scored by the same rules.
        if snapshot.catalogue_version != assessment.catalogue_version {
            return Benchmark::Unavailable(UnavailableReason::NotListed);
        }
        match comparison_cohort(&self.policy, profile, |key| snapshot.get(key)) {
            Comparison::Unavailable { reason } => Benchmark::Unavailable(reason),
            Comparison::Cohort { key, n } => {
                let Some(published) = snapshot.get(&key).and_then(Disclosure::published) else {
                    return Benchmark::Unavailable(UnavailableReason::NotListed);
                };
                let stats = published.stats();
                let overall = position(
                    &stats.overall,
                    assessment.overall.score,
                    published.overall_percentile_rank(assessment.overall.score),
                );
                let dimensions = assessment
                    .dimensions
                    .iter()
                    .zip(&stats.dimensions)
                    .enumerate()
                    .map(|(i, (d, s))| {
                        position(s, d.score, published.dimension_percentile_rank(i, d.score))
                    })
                    .collect();
                Benchmark::Compared(FirmComparison {
                    cohort: key,
                    n,
                    broader_than_own: !matches!(key, CohortKey::IndustrySize(..)),
                    overall,
                    dimensions,
                    published_at: snapshot.published_at,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firm(score: u8) -> ResponseSummary {
        ResponseSummary::new(score, 3, vec![score], vec![3], []).expect("valid summary")
    }

    fn entry(id: i64, keys: &[&str], summary: &ResponseSummary, remove: bool) -> JournalEntry {
        JournalEntry {
            id,
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            change_json: encode_change(summary, remove).expect("encodable"),
        }
    }

    fn rows(update: &ScopeUpdate) -> Vec<CellRow> {
        update
            .cells
            .iter()
            .map(|c| CellRow {
                cohort_key: c.cohort_key.clone(),
                cell: c.cell.clone(),
                version: c.expected_version.map_or(1, |v| v + 1),
            })
            .collect()
    }

    fn cell(update: &ScopeUpdate, key: &str) -> PublishedCell {
        let stored = &update
            .cells
            .iter()
            .find(|c| c.cohort_key == key)
            .expect("cell written")
            .cell;
        decode_cell(stored).expect("cell")
    }

    /// A merge of many changes at once gives exactly the cell that applying them one submit at
    /// a time gives, in whatever batches they arrive.
    #[test]
    fn merging_in_batches_equals_applying_one_at_a_time() {
        let policy = DisclosurePolicy::default();
        let keys = ["all", "industry:C"];
        let summaries: Vec<ResponseSummary> = (0..13u8).map(|i| firm(i * 7 % 101)).collect();
        let mut entries: Vec<JournalEntry> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| entry(i as i64, &keys, s, false))
            .collect();
        // Two of them taken out again, one right after it was added.
        entries.push(entry(20, &keys, &summaries[3], true));
        entries.push(entry(21, &keys, &summaries[12], true));

        let mut one_at_a_time = PublishedCell::new(1).expect("cell");
        for s in &summaries {
            one_at_a_time.add(&policy, s).expect("add");
        }
        one_at_a_time
            .remove(&policy, &summaries[3])
            .expect("remove");
        one_at_a_time
            .remove(&policy, &summaries[12])
            .expect("remove");

        let all_at_once = merge_entries(&policy, 1, &entries, &[]).expect("merge");
        assert!(all_at_once.republished);
        assert!(all_at_once.refused.is_empty());
        assert_eq!(cell(&all_at_once, "all"), one_at_a_time);
        assert_eq!(cell(&all_at_once, "industry:C"), one_at_a_time);

        let first = merge_entries(&policy, 1, &entries[..4], &[]).expect("merge");
        let second = merge_entries(&policy, 1, &entries[4..9], &rows(&first)).expect("merge");
        let third = merge_entries(&policy, 1, &entries[9..], &rows(&second)).expect("merge");
        assert_eq!(cell(&third, "all"), one_at_a_time);
        assert_eq!(third.cells[0].expected_version, Some(2));
    }

    /// The decoded-cell cache changes no merge: a merge that takes its cells from the cache
    /// gives exactly what decoding them gives, and a cell whose stored bytes differ from the
    /// cached ones (written elsewhere, or a merge rolled back) is decoded, not taken.
    #[test]
    fn merging_with_cached_cells_equals_decoding_them() {
        let policy = DisclosurePolicy::default();
        let keys = ["all", "industry:C"];
        let entries: Vec<JournalEntry> = (0..12u8)
            .map(|i| entry(i64::from(i), &keys, &firm(i * 9 % 101), false))
            .collect();
        let cache = CellCache::default();
        let first =
            merge_entries_cached(&policy, 1, "s", &entries[..6], &[], Some(&cache)).expect("merge");
        let cached =
            merge_entries_cached(&policy, 1, "s", &entries[6..], &rows(&first), Some(&cache))
                .expect("merge");
        let decoded = merge_entries(&policy, 1, &entries[6..], &rows(&first)).expect("merge");
        assert_eq!(cell(&cached, "all"), cell(&decoded, "all"));
        assert_eq!(cell(&cached, "industry:C"), cell(&decoded, "industry:C"));
        // The cache now holds the second merge's cells; a store that still holds the first
        // merge's (the second rolled back) must be read from its bytes.
        let again =
            merge_entries_cached(&policy, 1, "s", &entries[6..], &rows(&first), Some(&cache))
                .expect("merge");
        assert_eq!(cell(&again, "all"), cell(&decoded, "all"));
        // Same cohort key in another scope: not the cached cell.
        let other =
            merge_entries_cached(&policy, 1, "t", &entries[6..], &[], Some(&cache)).expect("merge");
        let fresh = merge_entries(&policy, 1, &entries[6..], &[]).expect("merge");
        assert_eq!(cell(&other, "all"), cell(&fresh, "all"));
    }

    /// A change that cannot apply to all its cells changes none of them and is refused; the
    /// others in the same merge apply.
    #[test]
    fn a_change_that_cannot_apply_is_refused_and_changes_nothing() {
        let policy = DisclosurePolicy::default();
        let entries = [
            entry(1, &["all"], &firm(40), false),
            // Removing a response from a cell that never held it.
            entry(2, &["all", "industry:G"], &firm(40), true),
            entry(3, &["all"], &firm(60), false),
        ];
        let update = merge_entries(&policy, 1, &entries, &[]).expect("merge");
        assert_eq!(update.refused.len(), 1);
        assert_eq!(update.refused[0].0, 2);
        assert_eq!(update.cells.len(), 1, "industry:G is not written");
        assert_eq!(cell(&update, "all").live_n(), 2);
    }

    /// The compact journal line gives back exactly the change, and entries written as JSON
    /// before it still read; damaged lines are refused, not misread.
    #[test]
    fn journaled_changes_read_back_in_both_forms() {
        let flagged = ResponseSummary::new(
            57,
            3,
            vec![40, 100, 0],
            vec![2, 5, 1],
            ["rf_a".to_owned(), "rf;b, c".to_owned()],
        )
        .expect("valid summary");
        for summary in [firm(0), firm(100), flagged] {
            for remove in [false, true] {
                let line = encode_change(&summary, remove).expect("encodable");
                let want = if remove {
                    PendingChange::Removed(summary.clone())
                } else {
                    PendingChange::Added(summary.clone())
                };
                assert_eq!(decode_change(&line), Ok(want.clone()), "{line:?}");
                let json = serde_json::to_string(&want).expect("json");
                assert!(line.len() < json.len(), "{line:?} vs {json}");
                assert_eq!(decode_change(&json), Ok(want));
            }
        }
        for damaged in [
            "",
            "c1;+;57;3;40;2",
            "c1;*;57;3;40;2;",
            "c1;+;101;3;40;2;",
            "c1;+;57;3;40,50;2;",
            "c2;+;57;3;40;2;",
            "c1;+;57;0;40;2;",
        ] {
            assert!(decode_change(damaged).is_err(), "{damaged:?}");
        }
    }

    #[test]
    fn each_catalogue_version_has_its_own_scopes() {
        assert_eq!(versioned_scope(SCOPE_REAL, "2027.1"), "real@2027.1");
        let older = scopes_of_a_real_response("2026.1");
        let served = scopes_of_a_real_response("2027.1");
        assert_eq!(older, ["real@2026.1", "with_demo@2026.1"]);
        assert!(older.iter().all(|s| !served.contains(s)));
    }
    #[test]
    fn a_round_read_shows_entries_merged_only_when_it_saw_past_them() {
        let read = |ids: &[i64], short| RoundRead {
            round: 1,
            ids: ids.to_vec(),
            short,
        };
        // Read all waiting (short): absent ids were merged by someone else.
        assert!(read(&[5, 9], true).shows_merged(&[6, 7]));
        assert!(read(&[], true).shows_merged(&[3]));
        assert!(!read(&[5, 9], true).shows_merged(&[6, 9]));
        // A full read says nothing past its last id.
        assert!(read(&[5, 9], false).shows_merged(&[6, 7]));
        assert!(!read(&[5, 9], false).shows_merged(&[6, 10]));
        assert!(!read(&[], false).shows_merged(&[3]));
        // Without ids nothing is shown (the caller waits for a round of its own).
        assert!(!read(&[], true).shows_merged(&[]));
    }
}
