//! The one error type of the benchmark module.

use thiserror::Error;

/// Everything that can go wrong in the benchmark domain.
///
/// One enum so the web and database layers map a single type to their responses; every variant
/// is a caller or data error, never a bug to hide.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BenchmarkError {
    /// A score was above 100.
    #[error("score {value} is outside 0..=100")]
    ScoreOutOfRange {
        /// The offending score.
        value: u8,
    },
    /// A maturity level was outside 1..=5.
    #[error("level {value} is outside 1..=5")]
    LevelOutOfRange {
        /// The offending level.
        value: u8,
    },
    /// A dimension count outside the supported range.
    #[error("dimension count {0} is outside 1..={max}", max = super::MAX_DIMENSIONS)]
    InvalidDimensionCount(usize),
    /// A response or aggregate has a different number of dimensions than expected.
    #[error("expected {expected} dimensions, got {actual}")]
    DimensionCountMismatch {
        /// Dimensions of the receiving aggregate.
        expected: usize,
        /// Dimensions of the offered data.
        actual: usize,
    },
    /// A red-flag id was empty, too long, or contained control characters.
    #[error("invalid red-flag id {0:?}")]
    InvalidRedFlagId(String),
    /// Removing the response would make a count negative, so it was never added.
    #[error("response is not part of the aggregate (removing it would underflow)")]
    NotInAggregate,
    /// An aggregate already holds `u32::MAX` responses.
    #[error("aggregate count would overflow")]
    CountOverflow,
    /// A disclosure threshold outside the allowed range.
    #[error("disclosure threshold k = {0} is outside {min}..={max}", min = super::disclosure::MIN_K, max = super::disclosure::MAX_K)]
    InvalidThreshold(u32),
    /// Not a WZ 2008 section letter A..U.
    #[error("unknown industry section {0:?}")]
    UnknownIndustry(String),
    /// Not one of micro, small, medium, large.
    #[error("unknown size class {0:?}")]
    UnknownSizeClass(String),
    /// Not a German state code DE-BW..DE-TH.
    #[error("unknown region {0:?}")]
    UnknownRegion(String),
    /// Not a cohort key in its stable string form.
    #[error("invalid cohort key {0:?}")]
    InvalidCohortKey(String),
    /// The same cohort was listed twice in one joint publication.
    #[error("cohort {0} listed twice")]
    DuplicateCell(String),
    /// Stored data violates an invariant (counts that do not add up and the like).
    #[error("corrupt stored data: {0}")]
    Corrupt(&'static str),
    /// A stored cell in the binary form that cannot be read (cut off, an unknown marker,
    /// trailing bytes), with the byte where it went wrong.
    #[error("damaged stored cell: {0}")]
    DamagedCell(#[from] crate::codec::Damaged),
    /// A stored cell in the JSON form could not be read (the parser's message).
    #[error("unreadable stored cell: {0}")]
    UnreadableCell(String),
}
