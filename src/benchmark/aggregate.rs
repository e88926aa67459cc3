//! Exact per-cohort aggregates: histograms and counters, updated in O(1) per response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::BenchmarkError;
use super::response::{ResponseSummary, check_red_flag_id};
use super::{LEVELS, MAX_DIMENSIONS, SCORE_BUCKETS};

/// Index of a level 1..=5 in a 5-slot counter.
fn level_index(level: u8) -> Option<usize> {
    usize::from(level).checked_sub(1).filter(|&i| i < LEVELS)
}

/// Score histogram and level counts of one measure (overall or one dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Measure {
    /// `scores[s]` = number of responses with score `s`.
    pub(crate) scores: [u32; SCORE_BUCKETS],
    /// `levels[l - 1]` = number of responses at level `l`.
    pub(crate) levels: [u32; LEVELS],
}

impl Measure {
    const EMPTY: Measure = Measure {
        scores: [0; SCORE_BUCKETS],
        levels: [0; LEVELS],
    };

    fn holds(&self, score: u8, level: u8) -> bool {
        let score_count = self.scores.get(usize::from(score)).copied().unwrap_or(0);
        let level_count = level_index(level)
            .and_then(|i| self.levels.get(i))
            .copied()
            .unwrap_or(0);
        score_count > 0 && level_count > 0
    }

    /// Counts (`add`) or uncounts one response in the two slots; callers have checked bounds.
    fn bump(&mut self, score: u8, level: u8, add: bool) {
        let bump = |c: &mut u32| {
            *c = if add {
                c.saturating_add(1)
            } else {
                c.saturating_sub(1)
            }
        };
        if let Some(c) = self.scores.get_mut(usize::from(score)) {
            bump(c);
        }
        if let Some(c) = level_index(level).and_then(|i| self.levels.get_mut(i)) {
            bump(c);
        }
    }
}

/// Everything the statistics of one cohort need, and nothing that identifies a firm.
///
/// Histograms have one bucket per score, so medians and percentiles are exact and cost the
/// same for 5 or 5 million responses. Serialized compactly (only non-zero buckets) and
/// validated on deserialization, because a corrupt stored aggregate would otherwise let a
/// later `remove` or statistic go wrong silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AggregateRepr", into = "AggregateRepr")]
pub struct CohortAggregate {
    n: u32,
    overall: Measure,
    dimensions: Vec<Measure>,
    red_flags: BTreeMap<String, u32>,
}

impl CohortAggregate {
    /// An empty aggregate for a catalogue with `dimension_count` dimensions.
    pub fn new(dimension_count: usize) -> Result<Self, BenchmarkError> {
        if dimension_count == 0 || dimension_count > MAX_DIMENSIONS {
            return Err(BenchmarkError::InvalidDimensionCount(dimension_count));
        }
        Ok(Self {
            n: 0,
            overall: Measure::EMPTY,
            dimensions: vec![Measure::EMPTY; dimension_count],
            red_flags: BTreeMap::new(),
        })
    }

    /// Number of responses in the aggregate (raw: not itself cleared for publication).
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Number of dimensions every response must have.
    pub fn dimension_count(&self) -> usize {
        self.dimensions.len()
    }

    /// Whether no response is counted.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Counts one response.
    pub fn add(&mut self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.check_add(summary)?;
        self.apply(summary, true);
        Ok(())
    }

    /// Uncounts one response, e.g. on erasure or resubmission.
    ///
    /// Refuses (and changes nothing) if any counter would go below zero, which proves the
    /// response was never added. A response that was never added but whose every bucket is
    /// occupied by others cannot be told apart; callers must pass what they added.
    pub fn remove(&mut self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.check_remove(summary)?;
        self.apply(summary, false);
        Ok(())
    }

    pub(crate) fn check_add(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.check_dimensions(summary)?;
        // Every bucket is at most `n`, so `n < u32::MAX` keeps all increments in range.
        if self.n == u32::MAX {
            return Err(BenchmarkError::CountOverflow);
        }
        Ok(())
    }

    pub(crate) fn check_remove(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        self.check_dimensions(summary)?;
        let dimensions_hold = self
            .dimensions
            .iter()
            .zip(
                summary
                    .dimension_scores()
                    .iter()
                    .zip(summary.dimension_levels()),
            )
            .all(|(m, (&s, &l))| m.holds(s, l));
        let flags_hold = summary
            .red_flags()
            .iter()
            .all(|id| self.red_flags.get(id).is_some_and(|&c| c > 0));
        if self.n > 0
            && self
                .overall
                .holds(summary.overall_score(), summary.overall_level())
            && dimensions_hold
            && flags_hold
        {
            Ok(())
        } else {
            Err(BenchmarkError::NotInAggregate)
        }
    }

    fn check_dimensions(&self, summary: &ResponseSummary) -> Result<(), BenchmarkError> {
        if summary.dimension_count() == self.dimensions.len() {
            Ok(())
        } else {
            Err(BenchmarkError::DimensionCountMismatch {
                expected: self.dimensions.len(),
                actual: summary.dimension_count(),
            })
        }
    }

    /// Applies a change already cleared by `check_add` / `check_remove`.
    fn apply(&mut self, summary: &ResponseSummary, add: bool) {
        self.n = if add {
            self.n.saturating_add(1)
        } else {
            self.n.saturating_sub(1)
        };
        self.overall
            .bump(summary.overall_score(), summary.overall_level(), add);
        for (m, (&s, &l)) in self.dimensions.iter_mut().zip(
            summary
                .dimension_scores()
                .iter()
                .zip(summary.dimension_levels()),
        ) {
            m.bump(s, l, add);
        }
        for id in summary.red_flags() {
            if add {
                let c = self.red_flags.entry(id.to_owned()).or_insert(0);
                *c = c.saturating_add(1);
            } else if let Some(c) = self.red_flags.get_mut(id) {
                *c = c.saturating_sub(1);
                if *c == 0 {
                    // Dropped so an emptied aggregate equals a fresh one and stays compact.
                    self.red_flags.remove(id);
                }
            }
        }
    }

    pub(crate) fn overall(&self) -> &Measure {
        &self.overall
    }

    pub(crate) fn dimensions(&self) -> &[Measure] {
        &self.dimensions
    }

    pub(crate) fn red_flags(&self) -> &BTreeMap<String, u32> {
        &self.red_flags
    }
}

/// Stored form: sparse histograms as `[score, count]` pairs, ascending. The binary cell
/// encoding (`codec`) reads into this form too, so both stored forms are validated alike.
#[derive(Serialize, Deserialize)]
pub(super) struct AggregateRepr {
    pub(super) n: u32,
    pub(super) overall: MeasureRepr,
    pub(super) dimensions: Vec<MeasureRepr>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) red_flags: BTreeMap<String, u32>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct MeasureRepr {
    pub(super) scores: Vec<(u8, u32)>,
    pub(super) levels: [u32; LEVELS],
}

impl From<&Measure> for MeasureRepr {
    fn from(m: &Measure) -> Self {
        let scores = (0u8..)
            .zip(m.scores.iter())
            .filter(|&(_, &c)| c > 0)
            .map(|(s, &c)| (s, c))
            .collect();
        Self {
            scores,
            levels: m.levels,
        }
    }
}

impl MeasureRepr {
    fn into_measure(self, n: u32) -> Result<Measure, BenchmarkError> {
        let mut m = Measure::EMPTY;
        let mut previous: Option<u8> = None;
        for (score, count) in self.scores {
            if previous.is_some_and(|p| p >= score) {
                return Err(BenchmarkError::Corrupt("histogram buckets not ascending"));
            }
            previous = Some(score);
            let slot = m
                .scores
                .get_mut(usize::from(score))
                .ok_or(BenchmarkError::Corrupt("histogram score above 100"))?;
            if count == 0 {
                return Err(BenchmarkError::Corrupt("empty histogram bucket stored"));
            }
            *slot = count;
        }
        m.levels = self.levels;
        let total = |counts: &[u32]| counts.iter().map(|&c| u64::from(c)).sum::<u64>();
        if total(&m.scores) != u64::from(n) || total(&m.levels) != u64::from(n) {
            return Err(BenchmarkError::Corrupt("counts do not add up to n"));
        }
        Ok(m)
    }
}

impl From<CohortAggregate> for AggregateRepr {
    fn from(a: CohortAggregate) -> Self {
        Self {
            n: a.n,
            overall: MeasureRepr::from(&a.overall),
            dimensions: a.dimensions.iter().map(MeasureRepr::from).collect(),
            red_flags: a.red_flags,
        }
    }
}

impl TryFrom<AggregateRepr> for CohortAggregate {
    type Error = BenchmarkError;

    fn try_from(r: AggregateRepr) -> Result<Self, Self::Error> {
        let n = r.n;
        let mut aggregate = CohortAggregate::new(r.dimensions.len())?;
        aggregate.n = n;
        aggregate.overall = r.overall.into_measure(n)?;
        aggregate.dimensions = r
            .dimensions
            .into_iter()
            .map(|m| m.into_measure(n))
            .collect::<Result<_, _>>()?;
        for (id, &count) in &r.red_flags {
            check_red_flag_id(id)?;
            if count == 0 || count > n {
                return Err(BenchmarkError::Corrupt("red-flag count outside 1..=n"));
            }
        }
        aggregate.red_flags = r.red_flags;
        Ok(aggregate)
    }
}

/// Signed difference of aggregates, for judging what a reader learns by subtracting
/// published numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AggregateDelta {
    n: i64,
    overall: MeasureDelta,
    dimensions: Vec<MeasureDelta>,
    red_flags: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MeasureDelta {
    scores: [i64; SCORE_BUCKETS],
    levels: [i64; LEVELS],
}

impl MeasureDelta {
    const ZERO: MeasureDelta = MeasureDelta {
        scores: [0; SCORE_BUCKETS],
        levels: [0; LEVELS],
    };

    fn add(&mut self, m: &Measure, sign: i64) {
        for (d, &c) in self.scores.iter_mut().zip(&m.scores) {
            *d += sign * i64::from(c);
        }
        for (d, &c) in self.levels.iter_mut().zip(&m.levels) {
            *d += sign * i64::from(c);
        }
    }

    fn add_one(&mut self, score: u8, level: u8, sign: i64) {
        if let Some(d) = self.scores.get_mut(usize::from(score)) {
            *d += sign;
        }
        if let Some(d) = level_index(level).and_then(|i| self.levels.get_mut(i)) {
            *d += sign;
        }
    }

    fn is_zero(&self) -> bool {
        self.scores.iter().chain(&self.levels).all(|&d| d == 0)
    }

    /// Each response moves exactly one score bucket and one level slot by ±1, so the L1 norm
    /// of either is a lower bound on how many responses make up the difference.
    fn min_responses(&self) -> u64 {
        let l1 = |v: &[i64]| v.iter().map(|d| d.unsigned_abs()).sum::<u64>();
        l1(&self.scores).max(l1(&self.levels))
    }
}

impl AggregateDelta {
    pub(crate) fn zero(dimension_count: usize) -> Self {
        Self {
            n: 0,
            overall: MeasureDelta::ZERO,
            dimensions: vec![MeasureDelta::ZERO; dimension_count],
            red_flags: BTreeMap::new(),
        }
    }

    /// Adds `sign` (±1) times an aggregate. Callers ensure equal dimension counts.
    pub(crate) fn add_aggregate(&mut self, a: &CohortAggregate, sign: i64) {
        self.n += sign * i64::from(a.n);
        self.overall.add(&a.overall, sign);
        for (d, m) in self.dimensions.iter_mut().zip(&a.dimensions) {
            d.add(m, sign);
        }
        for (id, &c) in &a.red_flags {
            *self.red_flags.entry(id.clone()).or_insert(0) += sign * i64::from(c);
        }
    }

    /// Adds `sign` (±1) times one response.
    pub(crate) fn add_summary(&mut self, s: &ResponseSummary, sign: i64) {
        self.n += sign;
        self.overall
            .add_one(s.overall_score(), s.overall_level(), sign);
        for (d, (&score, &level)) in self
            .dimensions
            .iter_mut()
            .zip(s.dimension_scores().iter().zip(s.dimension_levels()))
        {
            d.add_one(score, level, sign);
        }
        for id in s.red_flags() {
            *self.red_flags.entry(id.to_owned()).or_insert(0) += sign;
        }
    }

    /// Net difference in the number of firms.
    pub(crate) fn n(&self) -> i64 {
        self.n
    }

    /// Whether subtracting reveals nothing at all.
    pub(crate) fn is_zero(&self) -> bool {
        self.n == 0
            && self.overall.is_zero()
            && self.dimensions.iter().all(MeasureDelta::is_zero)
            && self.red_flags.values().all(|&d| d == 0)
    }

    /// A lower bound on the number of responses (added or removed) that make up this
    /// difference; if it is below `k`, the difference may describe a group smaller than `k`.
    pub(crate) fn min_responses(&self) -> u64 {
        let flags = self
            .red_flags
            .values()
            .map(|d| d.unsigned_abs())
            .max()
            .unwrap_or(0);
        self.dimensions
            .iter()
            .map(MeasureDelta::min_responses)
            .fold(
                self.n
                    .unsigned_abs()
                    .max(self.overall.min_responses())
                    .max(flags),
                u64::max,
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(overall: u8, level: u8, dims: &[u8], flags: &[&str]) -> ResponseSummary {
        let levels = dims.iter().map(|&d| d / 21 + 1).collect();
        ResponseSummary::new(
            overall,
            level,
            dims.to_vec(),
            levels,
            flags.iter().map(|s| (*s).to_owned()),
        )
        .expect("valid test summary")
    }

    #[test]
    fn add_then_remove_restores_the_empty_aggregate() -> Result<(), BenchmarkError> {
        let empty = CohortAggregate::new(2)?;
        let mut a = empty.clone();
        let x = summary(40, 2, &[10, 90], &["f1", "f2"]);
        let y = summary(40, 3, &[10, 20], &["f1"]);
        a.add(&x)?;
        a.add(&y)?;
        assert_eq!(a.n(), 2);
        assert_eq!(a.red_flags().get("f1"), Some(&2));
        assert_eq!(a.overall().scores[40], 2);
        assert_eq!(a.overall().levels, [0, 1, 1, 0, 0]);
        a.remove(&x)?;
        a.remove(&y)?;
        assert_eq!(a, empty);
        Ok(())
    }

    #[test]
    fn removing_what_was_never_added_fails_and_changes_nothing() -> Result<(), BenchmarkError> {
        let mut a = CohortAggregate::new(2)?;
        let x = summary(40, 2, &[10, 90], &["f1"]);
        assert_eq!(a.remove(&x), Err(BenchmarkError::NotInAggregate));
        a.add(&x)?;
        let before = a.clone();
        // Same overall bucket, different dimension bucket: would underflow there.
        assert_eq!(
            a.remove(&summary(40, 2, &[10, 80], &["f1"])),
            Err(BenchmarkError::NotInAggregate)
        );
        // A red flag nobody has.
        assert_eq!(
            a.remove(&summary(40, 2, &[10, 90], &["f1", "f9"])),
            Err(BenchmarkError::NotInAggregate)
        );
        assert_eq!(a, before);
        Ok(())
    }

    #[test]
    fn dimension_count_must_match() -> Result<(), BenchmarkError> {
        let mut a = CohortAggregate::new(3)?;
        assert_eq!(
            a.add(&summary(40, 2, &[10, 90], &[])),
            Err(BenchmarkError::DimensionCountMismatch {
                expected: 3,
                actual: 2
            })
        );
        assert_eq!(
            CohortAggregate::new(0),
            Err(BenchmarkError::InvalidDimensionCount(0))
        );
        Ok(())
    }

    #[test]
    fn stored_form_is_sparse_and_validated() -> Result<(), BenchmarkError> {
        let mut a = CohortAggregate::new(1)?;
        a.add(&summary(40, 2, &[10], &["f1"]))?;
        a.add(&summary(70, 4, &[10], &[]))?;
        let repr = AggregateRepr::from(a.clone());
        assert_eq!(repr.overall.scores, vec![(40, 1), (70, 1)]);
        assert_eq!(repr.dimensions.len(), 1);
        assert_eq!(CohortAggregate::try_from(repr), Ok(a.clone()));

        let mut bad = AggregateRepr::from(a.clone());
        bad.n = 3;
        assert!(matches!(
            CohortAggregate::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        let mut bad = AggregateRepr::from(a.clone());
        bad.overall.scores = vec![(70, 1), (40, 1)];
        assert!(matches!(
            CohortAggregate::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        let mut bad = AggregateRepr::from(a.clone());
        bad.overall.scores = vec![(40, 1), (101, 1)];
        assert!(matches!(
            CohortAggregate::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        let mut bad = AggregateRepr::from(a.clone());
        bad.red_flags.insert("f2".to_owned(), 3);
        assert!(matches!(
            CohortAggregate::try_from(bad),
            Err(BenchmarkError::Corrupt(_))
        ));
        let mut bad = AggregateRepr::from(a);
        bad.dimensions.clear();
        assert_eq!(
            CohortAggregate::try_from(bad),
            Err(BenchmarkError::InvalidDimensionCount(0))
        );
        Ok(())
    }

    #[test]
    fn delta_bounds_the_number_of_responses() -> Result<(), BenchmarkError> {
        let x = summary(40, 2, &[10], &["f1"]);
        let y = summary(60, 3, &[10], &["f1"]);
        let mut a = CohortAggregate::new(1)?;
        a.add(&x)?;
        let mut b = CohortAggregate::new(1)?;
        b.add(&y)?;
        // Same n, different content: one response swapped for another.
        let mut d = AggregateDelta::zero(1);
        d.add_aggregate(&a, 1);
        d.add_aggregate(&b, -1);
        assert!(!d.is_zero());
        assert_eq!(d.min_responses(), 2);
        d.add_summary(&y, 1);
        d.add_summary(&x, -1);
        assert!(d.is_zero());
        assert_eq!(d.min_responses(), 0);
        Ok(())
    }
}
