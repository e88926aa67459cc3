//! The chamber dashboard: aggregates of campaign participants, and nothing else.
//!
//! Pure domain code (no web, database or I/O types). Flow: each campaign's live participants
//! pass through a [`CampaignPublication`], whose snapshot changes only in steps of `k`; the
//! shown snapshots of the campaigns a user may see form [`PublishedCampaigns`];
//! [`Dashboard::compute`] turns those and a [`Filter`] into [`Cell`]s, each published with
//! its `n` or suppressed with a [`SuppressionReason`]; [`to_csv`] exports exactly those cells.
//!
//! Disclosure rules, for threshold `k` (design note "Disclosure control for aggregates"):
//! - **Threshold** – a set of fewer than `k` participants is suppressed (`TooFew`). Counts
//!   inside the selection (levels, months, red flags) are cells too: a level or month count is
//!   shown only if `≥ k`; a red flag only if `≥ k` firms have it and `≥ k` do not.
//! - **Differencing** – a set (selection, one of its industries, sizes, regions or months, or
//!   the firms of one level or red flag within it) is suppressed (`Differencing`) if some set a
//!   user can also request and that contains it is larger by 1..k−1: more campaigns, a longer
//!   period, any of the code filters dropped, or any combination of these.
//! - **Complementary** – within each partition of a shown selection (by month, level,
//!   industry, size, region) the hidden parts hold 0 participants or `≥ k` over `≥ 2`
//!   non-empty parts; else the smallest shown part is hidden too (`Complementary`), and if
//!   none is left, the selection itself.
//! - **Over time** – published snapshots of a campaign differ by `≥ k` participants.
//!
//! Known limits (see the report): complementary choices are made per view, a cell hidden as
//! complementary in one view can be shown in the view that requests it directly; filtered
//! cells can move by fewer than `k` between two publications of a campaign; differencing is
//! checked pairwise along containment, not for arbitrary combinations of views.

mod campaign;
mod csv;
mod disclosure;
mod error;
mod filter;
mod participant;
mod publication;
mod qr;
mod view;

#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod tests;

pub use campaign::Campaign;
pub use csv::{neutralise, to_csv};
pub use disclosure::PublishedCampaigns;
pub use error::DashboardError;
pub use filter::{Filter, Period};
pub use participant::{CampaignId, Month, ParticipantId, ParticipantSummary};
pub use publication::{CampaignPublication, PublishOutcome};
pub use qr::qr_svg;
pub use view::{
    Cell, Change, Dashboard, DashboardCatalogue, DashboardInputs, Keyed, PeriodChange, ScoreRow,
    Share, Spread,
};
