//! All cohort cells of one catalogue, kept consistent as responses come and go.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use serde::{Deserialize, Serialize};

use super::cohort::CohortKey;
use super::disclosure::{Disclosure, DisclosurePolicy, PublishOutcome, PublishedCell, disclose};
use super::error::BenchmarkError;
use super::profile::Profile;
use super::response::ResponseSummary;

/// Every cohort cell of one catalogue.
///
/// A response counts in five cohorts at once; going through the book keeps them in step (all
/// five change or none) and lets [`CohortBook::disclose`] judge all cells jointly, as the
/// differencing rules require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BookRepr")]
pub struct CohortBook {
    dimension_count: usize,
    cells: BTreeMap<CohortKey, PublishedCell>,
}

impl CohortBook {
    /// An empty book for a catalogue with `dimension_count` dimensions.
    pub fn new(dimension_count: usize) -> Result<Self, BenchmarkError> {
        PublishedCell::new(dimension_count)?;
        Ok(Self {
            dimension_count,
            cells: BTreeMap::new(),
        })
    }

    /// Counts a submitted response in its five cohorts; returns the cohorts republished.
    pub fn submit(
        &mut self,
        policy: &DisclosurePolicy,
        profile: &Profile,
        summary: &ResponseSummary,
    ) -> Result<Vec<CohortKey>, BenchmarkError> {
        self.check_dimensions(summary)?;
        let keys = CohortKey::all_for(profile);
        for key in &keys {
            if let Some(cell) = self.cells.get(key) {
                cell.check_add(summary)?;
            }
        }
        let mut republished = Vec::new();
        for key in keys {
            let cell = match self.cells.entry(key) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(PublishedCell::new(self.dimension_count)?),
            };
            if cell.add(policy, summary)? == PublishOutcome::Published {
                republished.push(key);
            }
        }
        Ok(republished)
    }

    /// Uncounts an erased (or superseded) response from its five cohorts; returns the cohorts
    /// republished. Fails, changing nothing, if any of them does not hold it.
    pub fn erase(
        &mut self,
        policy: &DisclosurePolicy,
        profile: &Profile,
        summary: &ResponseSummary,
    ) -> Result<Vec<CohortKey>, BenchmarkError> {
        self.check_dimensions(summary)?;
        let keys = CohortKey::all_for(profile);
        for key in &keys {
            self.cells
                .get(key)
                .ok_or(BenchmarkError::NotInAggregate)?
                .check_remove(summary)?;
        }
        let mut republished = Vec::new();
        for key in keys {
            let cell = self
                .cells
                .get_mut(&key)
                .ok_or(BenchmarkError::NotInAggregate)?;
            if cell.remove(policy, summary)? == PublishOutcome::Published {
                republished.push(key);
            }
        }
        Ok(republished)
    }

    /// One cell, if it ever had a response.
    pub fn cell(&self, key: &CohortKey) -> Option<&PublishedCell> {
        self.cells.get(key)
    }

    /// All cells that ever had a response.
    pub fn cells(&self) -> impl Iterator<Item = (&CohortKey, &PublishedCell)> {
        self.cells.iter()
    }

    /// Number of dimensions per response.
    pub fn dimension_count(&self) -> usize {
        self.dimension_count
    }

    /// Verdicts for every cell, from one joint [`disclose`] run over all published
    /// aggregates; cohorts never touched are empty, which is what `disclose` assumes.
    pub fn disclose(
        &self,
        policy: &DisclosurePolicy,
    ) -> Result<BTreeMap<CohortKey, Disclosure>, BenchmarkError> {
        let cells: Vec<_> = self
            .cells
            .iter()
            .map(|(key, cell)| (*key, cell.published()))
            .collect();
        disclose(policy, &cells)
    }

    fn check_dimensions(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        if summary.dimension_count() == self.dimension_count {
            Ok(())
        } else {
            Err(BenchmarkError::DimensionCountMismatch {
                expected: self.dimension_count,
                actual: summary.dimension_count(),
            })
        }
    }
}

#[derive(Deserialize)]
struct BookRepr {
    dimension_count: usize,
    cells: BTreeMap<CohortKey, PublishedCell>,
}

impl TryFrom<BookRepr> for CohortBook {
    type Error = BenchmarkError;

    fn try_from(r: BookRepr) -> Result<Self, Self::Error> {
        let mut book = CohortBook::new(r.dimension_count)?;
        if let Some(cell) = r
            .cells
            .values()
            .find(|c| c.dimension_count() != r.dimension_count)
        {
            return Err(BenchmarkError::DimensionCountMismatch {
                expected: r.dimension_count,
                actual: cell.dimension_count(),
            });
        }
        book.cells = r.cells;
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firm(score: u8) -> Result<ResponseSummary, BenchmarkError> {
        ResponseSummary::new(score, 3, vec![score, score], vec![3, 3], [])
    }

    #[test]
    fn a_response_counts_in_five_cohorts() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::new(3)?;
        let mut book = CohortBook::new(2)?;
        let profile = Profile::parse("C", "small", "DE-BY")?;
        assert!(book.submit(&policy, &profile, &firm(10)?)?.is_empty());
        assert!(book.submit(&policy, &profile, &firm(20)?)?.is_empty());
        let republished = book.submit(&policy, &profile, &firm(30)?)?;
        assert_eq!(republished, CohortKey::all_for(&profile).to_vec());
        assert_eq!(book.cells().count(), 5);
        let verdicts = book.disclose(&policy)?;
        assert_eq!(verdicts.len(), 5);
        assert!(
            verdicts
                .values()
                .all(|d| d.published().is_some_and(|p| p.n() == 3))
        );
        Ok(())
    }

    #[test]
    fn erase_is_all_or_nothing() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let mut book = CohortBook::new(2)?;
        let c = Profile::parse("C", "small", "DE-BY")?;
        let f = Profile::parse("F", "small", "DE-BY")?;
        book.submit(&policy, &c, &firm(10)?)?;
        let before = book.clone();
        // size:small, region:DE-BY and all hold it, industry:F does not exist.
        assert_eq!(
            book.erase(&policy, &f, &firm(10)?),
            Err(BenchmarkError::NotInAggregate)
        );
        assert_eq!(book, before);
        book.submit(&policy, &f, &firm(20)?)?;
        let before = book.clone();
        // industry:F exists but holds another response.
        assert_eq!(
            book.erase(&policy, &f, &firm(10)?),
            Err(BenchmarkError::NotInAggregate)
        );
        assert_eq!(book, before);
        assert!(book.erase(&policy, &c, &firm(10)?).is_ok());
        Ok(())
    }

    #[test]
    fn refuses_wrong_dimension_count() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let mut book = CohortBook::new(3)?;
        let c = Profile::parse("C", "small", "DE-BY")?;
        assert_eq!(
            book.submit(&policy, &c, &firm(10)?),
            Err(BenchmarkError::DimensionCountMismatch {
                expected: 3,
                actual: 2
            })
        );
        assert_eq!(book.cells().count(), 0);
        Ok(())
    }
}
