//! Disclosure control: the one gate every published number passes through.
//!
//! Rules (see the design note "Disclosure control for aggregates"), for a threshold `k`:
//! - **Threshold**: no statistics for a cohort with fewer than `k` firms.
//! - **Differencing**: no two published cells, one containing the other, whose difference is a
//!   group of 1..k−1 firms ([`disclose`]); with **complementary suppression** so a suppressed
//!   cell cannot be recovered as parent minus its published siblings.
//! - **Over time**: a cell's published numbers move only in steps of at least `k` changed
//!   responses ([`PublishedCell`]).
//! - **Fallback**: a firm is compared with the narrowest cohort that is published
//!   ([`comparison_cohort`]).
//!
//! Statistics can only be obtained as [`Disclosure::Published`], so code elsewhere cannot
//! forget a rule.

mod fallback;
mod joint;
mod publication;

pub use fallback::{Comparison, UnavailableReason, comparison_cohort};
pub use joint::disclose;
pub(crate) use publication::CellRepr;
pub use publication::{PendingChange, PublishOutcome, PublishedCell};

use serde::{Deserialize, Serialize};

use super::aggregate::CohortAggregate;
use super::cohort::CohortKey;
use super::error::BenchmarkError;
use super::stats::{CohortStats, percentile_rank};

/// Smallest allowed `k`: official statistics never publish cells under 3.
pub const MIN_K: u32 = 3;
/// Largest allowed `k`; bounds the pending changes a [`PublishedCell`] keeps.
pub const MAX_K: u32 = 100;
/// Our rule: 5, since a few insiders could pool their knowledge.
pub const DEFAULT_K: u32 = 5;

/// The disclosure threshold `k` shared by every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DisclosurePolicy {
    k: u32,
}

impl DisclosurePolicy {
    /// A policy with threshold `k`; refuses `k < 3` (and absurdly large `k`).
    pub fn new(k: u32) -> Result<Self, BenchmarkError> {
        if (MIN_K..=MAX_K).contains(&k) {
            Ok(Self { k })
        } else {
            Err(BenchmarkError::InvalidThreshold(k))
        }
    }

    /// The threshold.
    pub fn k(&self) -> u32 {
        self.k
    }
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self { k: DEFAULT_K }
    }
}

/// Why a cell is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Fewer than `k` firms (or never published yet).
    TooFew,
    /// Together with a published containing cohort it would reveal 1..k−1 firms.
    Differencing,
    /// Suppressed so another suppressed cell cannot be recovered by subtraction.
    Complementary,
    /// Not fully judged: the dashboard's audit reached its bound on work for this state of the
    /// data (see the `dashboard` notes, "Bounded"), and no earlier figure can be shown.
    Unchecked,
    /// Not judged yet: the dashboard's data has not grown enough since its last full audit for
    /// a new one (see the `dashboard` notes, "Audited as it grows"), and no earlier figure can
    /// be shown.
    Pending,
}

impl SuppressionReason {
    /// Why a number is hidden, in plain English words that are true for this reason (API
    /// messages; pages and PDFs word it from `texts.json`).
    pub fn explanation(self, k: u32) -> String {
        match self {
            SuppressionReason::TooFew => {
                format!("Hidden: fewer than {k} firms in this group.")
            }
            SuppressionReason::Differencing => format!(
                "Hidden although the group has at least {k} firms: compared with a wider group or an earlier publication it would reveal a small group (fewer than {k} firms)."
            ),
            SuppressionReason::Complementary => format!(
                "Hidden although the group has at least {k} firms: together with the other figures shown it would let a small group (fewer than {k} firms) be worked out."
            ),
            SuppressionReason::Unchecked => format!(
                "Hidden: whether, with the other figures, it would let a small group (fewer than {k} firms) be worked out could not be fully checked within the work allowed; it has no earlier figure either."
            ),
            SuppressionReason::Pending => format!(
                "Hidden for now: new figures are checked once a quarter more firms (at least {k}) have taken part than at the last full check, and this group has no figure from an earlier check."
            ),
        }
    }
}

/// Statistics cleared for publication, with what is needed to place one firm among them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedStats {
    key: CohortKey,
    stats: CohortStats,
    /// Kept (not serialized) only for percentile ranks of a firm's own scores.
    #[serde(skip)]
    aggregate: CohortAggregate,
}

impl PublishedStats {
    fn new(key: CohortKey, aggregate: &CohortAggregate) -> Option<Self> {
        Some(Self {
            key,
            stats: CohortStats::from_aggregate(aggregate)?,
            aggregate: aggregate.clone(),
        })
    }

    /// The cohort.
    pub fn key(&self) -> CohortKey {
        self.key
    }

    /// Firms in the published cohort.
    pub fn n(&self) -> u32 {
        self.stats.n
    }

    /// The statistics.
    pub fn stats(&self) -> &CohortStats {
        &self.stats
    }

    /// Where an overall score stands in this cohort, see
    /// [`percentile_rank`].
    pub fn overall_percentile_rank(&self, score: u8) -> Option<u8> {
        percentile_rank(&self.aggregate.overall().scores, score)
    }

    /// Where a score of dimension `dimension` (catalogue index) stands in this cohort.
    pub fn dimension_percentile_rank(&self, dimension: usize, score: u8) -> Option<u8> {
        percentile_rank(&self.aggregate.dimensions().get(dimension)?.scores, score)
    }
}

/// The verdict for one requested cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// May be shown.
    Published(Box<PublishedStats>),
    /// Must not be shown, not even its `n`.
    Suppressed(SuppressionReason),
}

impl Disclosure {
    /// The statistics, if published.
    pub fn published(&self) -> Option<&PublishedStats> {
        match self {
            Disclosure::Published(p) => Some(p),
            Disclosure::Suppressed(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_k_below_three() {
        assert_eq!(
            DisclosurePolicy::new(2),
            Err(BenchmarkError::InvalidThreshold(2))
        );
        assert_eq!(
            DisclosurePolicy::new(0),
            Err(BenchmarkError::InvalidThreshold(0))
        );
        assert_eq!(DisclosurePolicy::new(3).map(|p| p.k()), Ok(3));
        assert_eq!(DisclosurePolicy::default().k(), 5);
        assert!(DisclosurePolicy::new(MAX_K + 1).is_err());
    }
}

/// Aggregates for the tests of the disclosure rules.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::benchmark::{BenchmarkError, CohortAggregate, ResponseSummary};

    /// One firm per score in `scores`, so nested ranges give consistent nested cohorts.
    pub(crate) fn firms(scores: std::ops::Range<u8>) -> Result<CohortAggregate, BenchmarkError> {
        let mut a = CohortAggregate::new(1)?;
        for score in scores {
            a.add(&ResponseSummary::new(score, 3, vec![score], vec![3], [])?)?;
        }
        Ok(a)
    }
}
