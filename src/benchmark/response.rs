//! What one submitted response contributes to the aggregates.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::error::BenchmarkError;
use super::{LEVELS, MAX_DIMENSIONS, MAX_SCORE};

/// Longest red-flag id accepted; ids are catalogue keys, so anything longer is a bug or abuse.
pub const MAX_RED_FLAG_ID_LEN: usize = 64;

/// The part of a response that enters cohort statistics, validated once on construction.
///
/// Fields are private so an invalid summary (score 120, level 0) can never reach an aggregate,
/// whose histograms index by score and level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "SummaryRepr")]
pub struct ResponseSummary {
    overall_score: u8,
    overall_level: u8,
    dimension_scores: Vec<u8>,
    dimension_levels: Vec<u8>,
    red_flags: BTreeSet<String>,
}

impl ResponseSummary {
    /// Validates and builds a summary.
    ///
    /// Scores must be 0..=100, levels 1..=5, one score and one level per dimension (in the
    /// catalogue's fixed order), and red-flag ids non-empty catalogue keys.
    pub fn new(
        overall_score: u8,
        overall_level: u8,
        dimension_scores: Vec<u8>,
        dimension_levels: Vec<u8>,
        red_flags: impl IntoIterator<Item = String>,
    ) -> Result<Self, BenchmarkError> {
        check_score(overall_score)?;
        check_level(overall_level)?;
        let dimensions = dimension_scores.len();
        if dimensions == 0 || dimensions > MAX_DIMENSIONS {
            return Err(BenchmarkError::InvalidDimensionCount(dimensions));
        }
        if dimension_levels.len() != dimensions {
            return Err(BenchmarkError::DimensionCountMismatch {
                expected: dimensions,
                actual: dimension_levels.len(),
            });
        }
        dimension_scores.iter().try_for_each(|&s| check_score(s))?;
        dimension_levels.iter().try_for_each(|&l| check_level(l))?;
        let red_flags: BTreeSet<String> = red_flags.into_iter().collect();
        red_flags.iter().try_for_each(|id| check_red_flag_id(id))?;
        Ok(Self {
            overall_score,
            overall_level,
            dimension_scores,
            dimension_levels,
            red_flags,
        })
    }

    /// Overall score, 0..=100.
    pub fn overall_score(&self) -> u8 {
        self.overall_score
    }

    /// Overall level, 1..=5.
    pub fn overall_level(&self) -> u8 {
        self.overall_level
    }

    /// Scores per dimension, catalogue order, each 0..=100.
    pub fn dimension_scores(&self) -> &[u8] {
        &self.dimension_scores
    }

    /// Levels per dimension, catalogue order, each 1..=5.
    pub fn dimension_levels(&self) -> &[u8] {
        &self.dimension_levels
    }

    /// Red flags raised by this response.
    pub fn red_flags(&self) -> &BTreeSet<String> {
        &self.red_flags
    }

    /// Number of dimensions.
    pub fn dimension_count(&self) -> usize {
        self.dimension_scores.len()
    }
}

/// Deserialization goes through [`ResponseSummary::new`] so stored data is validated too.
#[derive(Deserialize)]
struct SummaryRepr {
    overall_score: u8,
    overall_level: u8,
    dimension_scores: Vec<u8>,
    dimension_levels: Vec<u8>,
    #[serde(default)]
    red_flags: BTreeSet<String>,
}

impl TryFrom<SummaryRepr> for ResponseSummary {
    type Error = BenchmarkError;

    fn try_from(r: SummaryRepr) -> Result<Self, Self::Error> {
        ResponseSummary::new(
            r.overall_score,
            r.overall_level,
            r.dimension_scores,
            r.dimension_levels,
            r.red_flags,
        )
    }
}

pub(crate) fn check_score(value: u8) -> Result<(), BenchmarkError> {
    if value <= MAX_SCORE {
        Ok(())
    } else {
        Err(BenchmarkError::ScoreOutOfRange { value })
    }
}

pub(crate) fn check_level(value: u8) -> Result<(), BenchmarkError> {
    if (1..=LEVELS as u8).contains(&value) {
        Ok(())
    } else {
        Err(BenchmarkError::LevelOutOfRange { value })
    }
}

pub(crate) fn check_red_flag_id(id: &str) -> Result<(), BenchmarkError> {
    if id.is_empty() || id.len() > MAX_RED_FLAG_ID_LEN || id.chars().any(char::is_control) {
        Err(BenchmarkError::InvalidRedFlagId(id.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn accepts_valid_and_refuses_invalid_summaries() {
        assert!(ResponseSummary::new(100, 5, vec![0, 100], vec![1, 5], flags(&["x"])).is_ok());
        assert_eq!(
            ResponseSummary::new(101, 5, vec![0], vec![1], flags(&[])),
            Err(BenchmarkError::ScoreOutOfRange { value: 101 })
        );
        assert_eq!(
            ResponseSummary::new(50, 0, vec![0], vec![1], flags(&[])),
            Err(BenchmarkError::LevelOutOfRange { value: 0 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 200], vec![1, 1], flags(&[])),
            Err(BenchmarkError::ScoreOutOfRange { value: 200 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 20], vec![1, 6], flags(&[])),
            Err(BenchmarkError::LevelOutOfRange { value: 6 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 20], vec![1], flags(&[])),
            Err(BenchmarkError::DimensionCountMismatch {
                expected: 2,
                actual: 1
            })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![], vec![], flags(&[])),
            Err(BenchmarkError::InvalidDimensionCount(0))
        );
        assert!(matches!(
            ResponseSummary::new(50, 3, vec![1], vec![1], flags(&[""])),
            Err(BenchmarkError::InvalidRedFlagId(_))
        ));
        assert!(matches!(
            ResponseSummary::new(50, 3, vec![1], vec![1], flags(&["a\nb"])),
            Err(BenchmarkError::InvalidRedFlagId(_))
        ));
    }

    #[test]
    fn duplicate_red_flags_count_once() {
        let s = ResponseSummary::new(50, 3, vec![1], vec![1], flags(&["x", "x", "y"]));
        assert_eq!(s.map(|s| s.red_flags().len()), Ok(2));
    }
}
