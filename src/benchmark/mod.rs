//! Peer benchmarks: cohort aggregates, exact statistics from histograms, and the disclosure
//! control every published number passes through.
//!
//! Pure domain code (no web, database or I/O types) so the rules that protect individual firms
//! can be tested exhaustively in isolation.
//!
//! Flow: a response's [`ResponseSummary`] is added to the [`PublishedCell`] of each of the five
//! cohorts of its [`Profile`] (a [`CohortBook`] does this). Each cell republishes only after
//! `k` changes; [`disclose`] then decides, jointly for all cells, which may be shown, and
//! [`comparison_cohort`] picks a firm's peer group among those.
//!
//! Cells are stored with [`encode_cell`] / read with [`decode_cell`] (a compact binary form with
//! a format byte; the older JSON form still reads).

mod aggregate;
mod book;
mod codec;
mod cohort;
pub mod disclosure;
mod error;
mod profile;
mod response;
pub mod stats;

#[cfg(test)]
mod property_tests;

pub use aggregate::CohortAggregate;
pub use book::CohortBook;
pub use codec::{FORMAT_V1, decode_cell, encode_cell};
pub use cohort::{CohortKey, CohortKind};
pub use disclosure::{
    Comparison, Disclosure, DisclosurePolicy, PendingChange, PublishOutcome, PublishedCell,
    PublishedStats, SuppressionReason, UnavailableReason, comparison_cohort, disclose,
};
pub use error::BenchmarkError;
pub use profile::{Industry, Profile, Region, SizeClass};
pub use response::{MAX_RED_FLAG_ID_LEN, ResponseSummary};
pub use stats::{
    CohortStats, LevelDistribution, MeasureStats, RankWording, RedFlagShare, percentile,
    percentile_rank,
};

/// Highest score; scores are whole numbers 0..=100.
pub const MAX_SCORE: u8 = 100;
/// One histogram bucket per possible score, so statistics are exact.
pub const SCORE_BUCKETS: usize = MAX_SCORE as usize + 1;
/// Maturity levels 1..=5.
pub const LEVELS: usize = 5;
/// Upper bound on dimensions per catalogue; bounds the size of stored aggregates.
pub const MAX_DIMENSIONS: usize = 64;
