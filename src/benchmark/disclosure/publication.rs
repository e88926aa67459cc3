//! Publication over time: a cell's published numbers move only in steps of `k` responses.

use serde::{Deserialize, Serialize};

use super::{DisclosurePolicy, MAX_K};
use crate::benchmark::aggregate::{AggregateDelta, CohortAggregate};
use crate::benchmark::error::BenchmarkError;
use crate::benchmark::response::ResponseSummary;

/// A change to the live aggregate not yet visible in the published one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingChange {
    /// A response was added.
    Added(ResponseSummary),
    /// A response was removed.
    Removed(ResponseSummary),
}

impl PendingChange {
    fn cancels(&self, other: &PendingChange) -> bool {
        match (self, other) {
            (PendingChange::Added(a), PendingChange::Removed(r))
            | (PendingChange::Removed(r), PendingChange::Added(a)) => a == r,
            _ => false,
        }
    }
}

/// What an add or remove did to the published numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The published aggregate was replaced by the live one.
    Published,
    /// Still waiting; `changes` responses differ between live and published.
    Pending {
        /// Changes since the last publication.
        changes: usize,
    },
}

/// One cohort's live aggregate, its last published aggregate, and the changes in between.
///
/// Statistics read before and after one firm submits would reveal that firm, so the published
/// aggregate is replaced by the live one only once at least `k` changes (adds and removes)
/// have accumulated, and then at once. The first publication therefore happens when the cell
/// first holds `k` responses.
///
/// The changes are kept (at most `k − 1` of them) rather than merely counted, so that adding
/// and removing the same response cancels out: otherwise an attacker could submit and erase
/// their own response `k − 1` times and have the next firm published on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CellRepr")]
pub struct PublishedCell {
    live: CohortAggregate,
    published: Option<CohortAggregate>,
    pending: Vec<PendingChange>,
}

impl PublishedCell {
    /// An empty, never published cell.
    pub fn new(dimension_count: usize) -> Result<Self, BenchmarkError> {
        Ok(Self {
            live: CohortAggregate::new(dimension_count)?,
            published: None,
            pending: Vec::new(),
        })
    }

    /// Counts a response; republishes if this completes `k` changes.
    pub fn add(
        &mut self,
        policy: &DisclosurePolicy,
        summary: &ResponseSummary,
    ) -> Result<PublishOutcome, BenchmarkError> {
        self.live.add(summary)?;
        Ok(self.record(policy, PendingChange::Added(summary.clone())))
    }

    /// Uncounts a response (erasure, resubmission); republishes if this completes `k` changes.
    /// Fails, changing nothing, if the response is not in the live aggregate.
    pub fn remove(
        &mut self,
        policy: &DisclosurePolicy,
        summary: &ResponseSummary,
    ) -> Result<PublishOutcome, BenchmarkError> {
        self.live.remove(summary)?;
        Ok(self.record(policy, PendingChange::Removed(summary.clone())))
    }

    pub(crate) fn check_add(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.live.check_add(summary)
    }

    pub(crate) fn check_remove(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.live.check_remove(summary)
    }

    fn record(&mut self, policy: &DisclosurePolicy, change: PendingChange) -> PublishOutcome {
        match self.pending.iter().position(|p| p.cancels(&change)) {
            Some(i) => {
                self.pending.remove(i);
            }
            None => self.pending.push(change),
        }
        if self.pending.len() >= policy.k() as usize {
            self.published = Some(self.live.clone());
            self.pending.clear();
            PublishOutcome::Published
        } else {
            PublishOutcome::Pending {
                changes: self.pending.len(),
            }
        }
    }

    /// The aggregate statistics must be computed from; `None` until first published.
    pub fn published(&self) -> Option<&CohortAggregate> {
        self.published.as_ref()
    }

    /// Responses counted right now (internal: not for display).
    pub fn live_n(&self) -> u32 {
        self.live.n()
    }

    /// Changes (after cancelling add/remove pairs) since the last publication.
    pub fn changes_since_publication(&self) -> usize {
        self.pending.len()
    }

    /// Number of dimensions of the cell's responses.
    pub fn dimension_count(&self) -> usize {
        self.live.dimension_count()
    }

    /// The stored parts (live, published, pending), for the binary cell encoding.
    pub(crate) fn parts(&self) -> (&CohortAggregate, Option<&CohortAggregate>, &[PendingChange]) {
        (&self.live, self.published.as_ref(), &self.pending)
    }
}

/// Stored form; checked on load so `live = published + pending` always holds (the binary
/// cell encoding, `benchmark::codec`, reads into this form too).
#[derive(Deserialize)]
pub(crate) struct CellRepr {
    pub(crate) live: CohortAggregate,
    pub(crate) published: Option<CohortAggregate>,
    #[serde(default)]
    pub(crate) pending: Vec<PendingChange>,
}

impl TryFrom<CellRepr> for PublishedCell {
    type Error = BenchmarkError;

    fn try_from(r: CellRepr) -> Result<Self, Self::Error> {
        let dimensions = r.live.dimension_count();
        let summaries = r.pending.iter().map(|p| match p {
            PendingChange::Added(s) | PendingChange::Removed(s) => s.dimension_count(),
        });
        let published = r.published.iter().map(CohortAggregate::dimension_count);
        if let Some(actual) = summaries.chain(published).find(|&d| d != dimensions) {
            return Err(BenchmarkError::DimensionCountMismatch {
                expected: dimensions,
                actual,
            });
        }
        if r.pending.len() >= MAX_K as usize {
            return Err(BenchmarkError::Corrupt(
                "more pending changes than any k allows",
            ));
        }
        let mut rest = AggregateDelta::zero(dimensions);
        rest.add_aggregate(&r.live, 1);
        if let Some(p) = &r.published {
            rest.add_aggregate(p, -1);
        }
        for change in &r.pending {
            match change {
                PendingChange::Added(s) => rest.add_summary(s, -1),
                PendingChange::Removed(s) => rest.add_summary(s, 1),
            }
        }
        if !rest.is_zero() {
            return Err(BenchmarkError::Corrupt(
                "live aggregate is not published plus pending",
            ));
        }
        Ok(Self {
            live: r.live,
            published: r.published,
            pending: r.pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firm(score: u8) -> Result<ResponseSummary, BenchmarkError> {
        ResponseSummary::new(score, 3, vec![score], vec![3], [])
    }

    #[test]
    fn first_publication_at_k_responses() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let mut cell = PublishedCell::new(1)?;
        for (i, score) in [10, 20, 30, 40].into_iter().enumerate() {
            assert_eq!(
                cell.add(&policy, &firm(score)?)?,
                PublishOutcome::Pending { changes: i + 1 }
            );
            assert_eq!(cell.published(), None);
        }
        assert_eq!(cell.add(&policy, &firm(50)?)?, PublishOutcome::Published);
        assert_eq!(cell.published().map(CohortAggregate::n), Some(5));
        assert_eq!(cell.changes_since_publication(), 0);
        Ok(())
    }

    #[test]
    fn republishes_only_after_k_changes() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::new(3)?;
        let mut cell = PublishedCell::new(1)?;
        for score in [1, 2, 3] {
            cell.add(&policy, &firm(score)?)?;
        }
        assert_eq!(cell.published().map(CohortAggregate::n), Some(3));
        // One firm joins, another leaves: published numbers stay as they were.
        cell.add(&policy, &firm(4)?)?;
        assert_eq!(
            cell.remove(&policy, &firm(1)?)?,
            PublishOutcome::Pending { changes: 2 }
        );
        assert_eq!(cell.published().map(CohortAggregate::n), Some(3));
        assert_eq!(cell.live_n(), 3);
        // The third change publishes: n goes 3 → 4, but three responses changed.
        assert_eq!(cell.add(&policy, &firm(5)?)?, PublishOutcome::Published);
        assert_eq!(cell.published().map(CohortAggregate::n), Some(4));
        Ok(())
    }

    #[test]
    fn submit_and_erase_cancel_so_one_firm_is_never_published_alone() -> Result<(), BenchmarkError>
    {
        let policy = DisclosurePolicy::default();
        let mut cell = PublishedCell::new(1)?;
        for score in 0..5 {
            cell.add(&policy, &firm(score)?)?;
        }
        let before = cell.published().cloned();
        // An attacker submits and erases four times; then the victim submits.
        let attacker = firm(99)?;
        for _ in 0..4 {
            cell.add(&policy, &attacker)?;
            assert_eq!(
                cell.remove(&policy, &attacker)?,
                PublishOutcome::Pending { changes: 0 }
            );
        }
        assert_eq!(
            cell.add(&policy, &firm(42)?)?,
            PublishOutcome::Pending { changes: 1 }
        );
        assert_eq!(cell.published().cloned(), before);
        Ok(())
    }

    #[test]
    fn removing_an_unknown_response_fails_without_change() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let mut cell = PublishedCell::new(1)?;
        cell.add(&policy, &firm(10)?)?;
        let before = cell.clone();
        assert_eq!(
            cell.remove(&policy, &firm(11)?),
            Err(BenchmarkError::NotInAggregate)
        );
        assert_eq!(cell, before);
        Ok(())
    }

    #[test]
    fn stored_form_is_checked() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::new(3)?;
        let mut cell = PublishedCell::new(1)?;
        for score in [1, 2, 3, 4] {
            cell.add(&policy, &firm(score)?)?;
        }
        let repr = |c: &PublishedCell| CellRepr {
            live: c.live.clone(),
            published: c.published.clone(),
            pending: c.pending.clone(),
        };
        assert_eq!(PublishedCell::try_from(repr(&cell)), Ok(cell.clone()));
        let mut bad = repr(&cell);
        bad.pending.clear();
        assert!(matches!(
            PublishedCell::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        let mut bad = repr(&cell);
        bad.published = None;
        assert!(matches!(
            PublishedCell::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        Ok(())
    }
}
