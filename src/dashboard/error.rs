//! The one error type of the dashboard module.

use thiserror::Error;

use crate::benchmark::BenchmarkError;

/// Everything that can go wrong when building campaign statistics; all caller or data errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DashboardError {
    /// A month outside 1..=12 or a year outside 1..=9999.
    #[error("invalid month {year}-{month}")]
    InvalidMonth {
        /// The year given.
        year: i32,
        /// The month given.
        month: u8,
    },
    /// A period whose start lies after its end.
    #[error("period starts {from} after it ends {to}")]
    InvalidPeriod {
        /// First month.
        from: String,
        /// Last month.
        to: String,
    },
    /// A month or date that does not parse.
    #[error("cannot parse {0:?} as a month or date")]
    Unparsable(String),
    /// A participant handed to the publication of another campaign.
    #[error("participant {participant} belongs to campaign {actual}, not {expected}")]
    WrongCampaign {
        /// The participant's opaque id.
        participant: String,
        /// The publication's campaign.
        expected: String,
        /// The participant's campaign.
        actual: String,
    },
    /// The same participant listed twice in one campaign.
    #[error("participant {0} listed twice")]
    DuplicateParticipant(String),
    /// The same campaign's publication given twice.
    #[error("campaign {0} listed twice")]
    DuplicateCampaign(String),
    /// A publication's chamber-wide epoch not after the campaign's last one.
    #[error("publication epoch {epoch} is not after the campaign's last epoch {last}")]
    EpochOutOfOrder { last: u64, epoch: u64 },
    /// Responses or comparison data with a different number of dimensions than the catalogue.
    #[error("expected {expected} dimensions, got {actual}")]
    DimensionCountMismatch {
        /// Dimensions of the catalogue.
        expected: usize,
        /// Dimensions of the offered data.
        actual: usize,
    },
    /// The link does not fit into a QR code.
    #[error("link cannot be encoded as a QR code: {0}")]
    QrCode(String),
    /// A stored publication in the binary form whose bytes are damaged or of an unknown format,
    /// with the byte where it went wrong.
    #[error("stored campaign publication is damaged: {0}")]
    DamagedPublication(#[from] crate::codec::Damaged),
    /// A stored publication in the JSON form that does not parse.
    #[error("stored campaign publication does not parse: {0}")]
    UnreadablePublication(String),
    /// A recorded set of the audit's history (see `history`) that this version cannot read.
    #[error("recorded dashboard history does not parse: {0}")]
    UnreadableHistory(String),
    /// From the shared benchmark types (threshold, profile codes).
    #[error(transparent)]
    Benchmark(#[from] BenchmarkError),
}
