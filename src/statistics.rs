//! Published peer statistics: keeps the cohort cells up to date on submit (same transaction) and
//! serves disclosed statistics from a cache that is rebuilt only when a cell republishes.
//! The rules themselves live in the pure `benchmark` module; this is the glue to storage.
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::benchmark::{
    BenchmarkError, CohortKey, Comparison, Disclosure, DisclosurePolicy, Profile, PublishOutcome,
    PublishedCell, ResponseSummary, UnavailableReason, comparison_cohort, disclose,
};
use crate::db::{CellRow, CellUpdate, DbError, ScopeUpdate, Store};
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

/// Adds (or removes) one response to the cells read from storage: the pure part of a submit.
pub fn update_cells(
    policy: &DisclosurePolicy,
    dimension_count: usize,
    profile: &Profile,
    summary: &ResponseSummary,
    current: &[CellRow],
    remove: bool,
) -> Result<ScopeUpdate, String> {
    let mut update = ScopeUpdate::default();
    let mut cells = Vec::with_capacity(5);
    for key in CohortKey::all_for(profile) {
        let key = key.to_string();
        let (cell, version) = match current.iter().find(|row| row.cohort_key == key) {
            Some(row) => (
                serde_json::from_str::<PublishedCell>(&row.cell_json)
                    .map_err(|e| format!("cell {key}: {e}"))?,
                Some(row.version),
            ),
            None => (
                PublishedCell::new(dimension_count).map_err(|e| e.to_string())?,
                None,
            ),
        };
        cells.push((key, cell, version));
    }
    for (key, cell, version) in &mut cells {
        let outcome = if remove {
            cell.remove(policy, summary)
        } else {
            cell.add(policy, summary)
        }
        .map_err(|e| format!("cell {key}: {e}"))?;
        update.republished |= outcome == PublishOutcome::Published;
        update.cells.push(CellUpdate {
            cohort_key: key.clone(),
            cell_json: serde_json::to_string(cell).map_err(|e| e.to_string())?,
            expected_version: *version,
        });
    }
    Ok(update)
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
        }
    }

    pub fn policy(&self) -> &DisclosurePolicy {
        &self.policy
    }

    pub fn dimension_count(&self) -> usize {
        self.dimension_count
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
        if let Ok(guard) = self.cache.read()
            && let Some(snapshot) = guard.get(catalogue_version)
            && snapshot.generation == generation
        {
            return Ok(Arc::clone(snapshot));
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
            let cell: PublishedCell =
                serde_json::from_str(&row.cell_json).map_err(|e| corrupt(e.to_string()))?;
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

    #[test]
    fn each_catalogue_version_has_its_own_scopes() {
        assert_eq!(versioned_scope(SCOPE_REAL, "2027.1"), "real@2027.1");
        let older = scopes_of_a_real_response("2026.1");
        let served = scopes_of_a_real_response("2027.1");
        assert_eq!(older, ["real@2026.1", "with_demo@2026.1"]);
        assert!(older.iter().all(|s| !served.contains(s)));
    }
}
