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
//! - **Audit** (the rule that makes the others safe against combinations, see `audit`):
//!   per state of the published data, a family of candidate sets of the whole data (everyone,
//!   each campaign, month, level, band of adjacent levels, red flag, industry, size class,
//!   region, sector, size band, part of Germany; each passing the rules above) is audited
//!   exactly: the linear span of their indicator vectors must hold no group of `1..k−1`
//!   participants; while it does, the cheapest candidate of the combination found is dropped
//!   (months, campaigns, merged rows, single rows; smaller first; "everyone" never). A count of
//!   any request is shown only if its set lies in the span of the kept candidates; otherwise
//!   it is hidden (`Complementary`). So every sum or difference of shown counts, over any
//!   number of requests (campaign sets, overlapping periods, filters, months or campaigns
//!   summed one by one), lies in that span and isolates nobody. The attacker test
//!   (`attacker_tests`) checks this by brute force on small waves.
//!
//! - **Coarser groupings** (issue 14): the dashboard also computes the level distribution in
//!   merged bands of adjacent levels ([`Dashboard::level_bands`]) and breakdowns by sector,
//!   size band and part of Germany. Each merged row is a set judged like any other (threshold,
//!   differencing, over time, the audit), and the rows of one grouping are protected as
//!   a partition of the selection (all hidden if that fails). The page picks, per breakdown,
//!   the grouping that shows the most rows.
//!
//! What the attacker can and cannot do, in one state of the data: request every campaign set,
//! period and filter, and combine the counts linearly with any coefficients; that gives the
//! span of the kept candidates and nothing more, in which the audit found no small group
//! (exactly, modulo a 61-bit prime, see `audit`). Medians and percentiles are not additive
//! and are covered by the cell rules only (as before). Which cells are shown depends on the
//! data, so the pattern of hidden cells tells bounds (as the reasons do), never an exact
//! small group.
//!
//! Known limits – time: the audit covers one state of the data. Between states, each set
//! moves by 0 or `≥ k` (the rule over time, checked per campaign against every earlier
//! publication, and tested by the property test), which is sound but costly: under
//! publication after every `k` changes, most fine cells of a growing wave move by `1..k−1`
//! at the latest publication and are hidden. Measured with the utility harness (issue 14):
//! published after every response, 21/28, 21/35, 21/62 and 21/73 cells with `≥ k` firms
//! shown for the 21, 50, 200 and 2,000 firm waves (only the totals, topics and all firms);
//! published once, 22/28, 25/35 and 34/62 (the audit then shows what threshold and
//! differencing allow: without the audit and the block rule it was 22/28, 25/35 and 34/62
//! too; with the block rule 21/28, 22/35, 24/62); with every firm in one campaign, published
//! once (what shared publication epochs would give), 26/28, 31/35 and 57/62 – the issue's
//! goals on one state of the data – but after every response still 21/28, 21/35, 21/62 and
//! 22/73 (the history alone). Closing the gap soundly needs publication
//! epochs shared by a chamber's campaigns *and* an audit over the history (the past families
//! as fixed rows over the participants that are still shown unchanged), so that a cell may
//! move by `1..k−1` where that difference is not derivable – not built yet.

mod audit;
mod csv;
mod disclosure;
mod error;
mod filter;
mod groups;
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
pub use disclosure::{Prepared, PublishedCampaigns};
pub use error::DashboardError;
pub use filter::{Filter, Period};
pub use groups::{LevelBand, RegionGroup, Sector, SizeBand};
pub use participant::{CampaignId, Month, ParticipantId, ParticipantSummary};
pub use publication::{CampaignPublication, PublishOutcome};
pub use qr::{qr_png, qr_svg};
pub use view::{
    Cell, Change, Dashboard, DashboardCatalogue, DashboardInputs, Keyed, PeriodChange, ScoreRow,
    Share, Spread,
};
