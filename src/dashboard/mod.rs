//! The chamber dashboard: aggregates of campaign participants, and nothing else.
//!
//! Pure domain code (no web, database or I/O types). Flow: each campaign's live participants
//! pass through a [`CampaignPublication`], whose snapshot changes only in steps of `k`; the
//! shown snapshots of the campaigns a user may see form [`PublishedCampaigns`];
//! [`Dashboard::compute`] turns those and a [`Filter`] into [`Cell`]s, each published with
//! its `n` or suppressed with a [`SuppressionReason`](crate::benchmark::SuppressionReason);
//! [`to_csv`] exports exactly those cells; [`suppression_note`] words the reasons.
//!
//! Disclosure rules, for threshold `k` (design note "Disclosure control for aggregates"):
//! - **Threshold** – a set of fewer than `k` participants is suppressed (`TooFew`). Counts
//!   inside the selection are cells too: a month or level count is shown only if `≥ k`; a red
//!   flag only if `≥ k` firms have it *and* `≥ k` do not. Red flag rows come from the
//!   catalogue, so a row's presence says nothing.
//! - **Differencing** – a set (the selection; one of its industries, size classes, regions or
//!   months; the firms of one level or red flag within it, or without the flag) is suppressed
//!   (`Differencing`) if some request a user can also make that contains it is larger by
//!   1..k−1: any superset of the campaigns among those visible, any longer period of whole
//!   months (or none), any of the industry/size/region filters dropped, and every combination
//!   of these. Checked against those sets whether or not they are shown themselves, so a
//!   verdict depends only on the set and the published data.
//! - **Complementary** – within a partition of a shown set, the hidden parts hold 0
//!   participants, or `≥ k` over `≥ 2` non-empty parts; otherwise the smallest shown part is
//!   hidden too (`Complementary`), and if none is left, the parent. For partitions by
//!   industry, size class and region this is decided jointly for every code cell of the
//!   campaign set and period (see `View::code_lattice`), so a cell hidden in one view is
//!   hidden in every view, including the one that requests it directly. Levels are shown only
//!   in their selection's view; if they cannot be protected, the selection is hidden. Months are
//!   protected within the view; if that fails, all months are hidden alike.
//! - **Over time** – published snapshots of a campaign differ by `≥ k` participants
//!   ([`CampaignPublication`]); and every set above is also suppressed (`Differencing`) if it
//!   may differ from its state at any earlier publication by 1..k−1. Erased firms' data is not
//!   kept for this: their possible membership is bounded by counts, so an erasure hides the
//!   cells that may have lost it until they have gained `k` (conservative).
//! - Hidden cells stay hidden: under a hidden industry/size/region cell of `n ≥ k`, hidden
//!   parts hold `≥ k`, so it is not the sum of its shown parts.
//! - Everything in a suppressed selection is suppressed with the selection's reason.
//!
//! Known limits: differencing is checked pairwise along containment, over time and within
//! partitions, not for arbitrary linear combinations of views (overlapping periods; a hidden
//! cell rebuilt as the sum of its months or campaigns, each requested on its own); a month
//! hidden as complementary in one view can be shown when that month is requested as the
//! period. The attacker test (`attacker_tests`, ignored while it fails) shows these limits are
//! reachable: three views over different campaign sets isolate fewer than `k` firms on an
//! ordinary two-campaign first wave. Publishing more (a looser rule over time, say) must wait
//! until campaign sets and periods are protected jointly like the code cells. Reasons are shown, so a reader learns bounds (too few: under `k`; complementary:
//! `k` or more).

mod csv;
mod disclosure;
mod error;
mod filter;
mod participant;
mod publication;
mod qr;
mod view;

#[cfg(test)]
mod attacker_tests;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod utility_tests;

pub use csv::{CsvDialect, neutralise, suppression_note, to_csv, to_csv_in};
pub use disclosure::PublishedCampaigns;
pub use error::DashboardError;
pub use filter::{Filter, Period};
pub use participant::{CampaignId, Month, ParticipantId, ParticipantSummary};
pub use publication::{CampaignPublication, PublishOutcome};
pub use qr::{qr_png, qr_svg};
pub use view::{
    Cell, Change, Dashboard, DashboardCatalogue, DashboardInputs, Keyed, PeriodChange, ScoreRow,
    Share, Spread,
};
