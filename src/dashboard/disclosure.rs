//! The dashboard's disclosure rules: threshold, differencing against every containing view,
//! complementary suppression within partitions.
//!
//! Verdicts of whole sets (a view, one industry of it, one month of it) depend only on the set
//! and the published data, never on which page asks, so pages, CSV and PDF agree.

#[cfg(test)]
use std::collections::BTreeSet;
use std::collections::{BTreeMap, HashMap};

use super::filter::Filter;
use super::participant::{CampaignId, ParticipantSummary};
use crate::benchmark::{Industry, Region, SizeClass, SuppressionReason};

/// The participants of every published snapshot a user may see: the only data the dashboard
/// reads. A campaign listed here but filtered away still counts as requestable, so it must list
/// exactly the campaigns this user could select.
///
/// It also carries each campaign's publication history (sizes, and per participant the
/// publication since which it is shown unchanged) for the rule over time, see
/// the module notes ("Over time").
#[derive(Debug, Clone)]
pub struct PublishedCampaigns<'a> {
    campaigns: Vec<CampaignId>,
    participants: Vec<&'a ParticipantSummary>,
    /// Parallel to `participants`.
    since: Vec<u32>,
    /// Parallel to `campaigns`: participants in each publication, oldest first.
    sizes: Vec<Vec<u32>>,
    /// Parallel to `participants`: the index of each one's campaign in `campaigns` (computed
    /// once; comparing campaign ids per participant and cell dominated the cost).
    campaign_of: Vec<Option<usize>>,
    /// Parallel to `participants`: each one's month index.
    month_of: Vec<i32>,
    /// First and last month index with any participant (asked for every judged set).
    span: Option<(i32, i32)>,
    /// The audit and code counts of this state of the data, made by the first view (shared
    /// with later requests on the same publications, see [`Prepared`]).
    prepared: Prepared,
}

/// What the first view on one state of the published data makes for every later one: the
/// audit (see `audit`) and the [`CodeCounts`]. Both depend only on the published data (and
/// `k`), not on the request, so a caller that keeps them per state of the publications (the
/// dashboard cache) computes them once instead of once per filter (issue 17).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    audit: std::sync::Arc<std::sync::OnceLock<super::audit::Audit>>,
    code_counts: std::sync::Arc<std::sync::OnceLock<CodeCounts>>,
}

/// Industry, size class and region of a set, each fixed or not.
pub(crate) type Codes = (Option<Industry>, Option<SizeClass>, Option<Region>);

/// One count of [`CodeCounts`]: participants of one campaign (by index) and month slot, shown
/// unchanged since one publication.
type CountKey = (usize, usize, u32);

/// The published data counted once per state (issue 17): for every combination of industry,
/// size class and region (each fixed or not) and every level (`0`: any level), the
/// participants per campaign, month slot and publication since which each is shown unchanged;
/// and per campaign, its participants per `since` slot. Every set the code lattice judges
/// (a code cell, or one level of it, within a campaign set and period) and every set it is
/// compared with by [`smallest_step`] and [`moved_by_fewer_than_k`] is one of these keys
/// restricted to campaigns and months, so its verdict is read from these counts instead of a
/// pass over every participant per cell (the cost that grew with every firm). Same numbers,
/// same verdicts: the counted forms share the rule code with the per-participant forms.
#[derive(Debug, Clone, Default)]
pub(crate) struct CodeCounts {
    /// Per code cell and level: counts sorted by campaign, month slot, `since`.
    cells: HashMap<(Codes, u8), Vec<(CountKey, u32)>>,
    /// Per campaign (parallel to `campaigns`): participants by `since` slot, as
    /// [`moved_by_fewer_than_k`] counts them.
    in_campaign: Vec<Vec<u64>>,
}

impl CodeCounts {
    fn new(data: &PublishedCampaigns<'_>) -> Self {
        let Some((first, _)) = data.span() else {
            return Self::default();
        };
        let mut cells: HashMap<(Codes, u8), BTreeMap<CountKey, u32>> = HashMap::new();
        let mut in_campaign: Vec<Vec<u64>> = data
            .sizes
            .iter()
            .map(|sizes| vec![0u64; sizes.len() + 2])
            .collect();
        for (((p, &campaign), &month), &since) in data
            .participants
            .iter()
            .zip(&data.campaign_of)
            .zip(&data.month_of)
            .zip(&data.since)
        {
            let Some(c) = campaign else {
                continue;
            };
            if let Some(slots) = in_campaign.get_mut(c) {
                let publications = slots.len().saturating_sub(2);
                let slot = usize::try_from(since)
                    .unwrap_or(usize::MAX)
                    .min(publications + 1);
                if let Some(n) = slots.get_mut(slot) {
                    *n += 1;
                }
            }
            let Ok(m) = usize::try_from(month - first) else {
                continue;
            };
            let profile = p.profile;
            let level = p.response.overall_level();
            for keep in 0u8..8 {
                let codes = (
                    Some(profile.industry).filter(|_| keep & 1 != 0),
                    Some(profile.size).filter(|_| keep & 2 != 0),
                    Some(profile.region).filter(|_| keep & 4 != 0),
                );
                // Level 0 is "any level"; validated levels are 1..=5.
                for l in std::iter::once(0).chain((level != 0).then_some(level)) {
                    *cells
                        .entry((codes, l))
                        .or_default()
                        .entry((c, m, since))
                        .or_insert(0) += 1;
                }
            }
        }
        Self {
            cells: cells
                .into_iter()
                .map(|(key, counts)| (key, counts.into_iter().collect()))
                .collect(),
            in_campaign,
        }
    }

    /// The counts of one code cell and level, sorted by campaign.
    fn cell(&self, codes: Codes, level: u8) -> &[(CountKey, u32)] {
        self.cells
            .get(&(codes, level))
            .map_or(&[][..], |v| v.as_slice())
    }
}

impl<'a> PublishedCampaigns<'a> {
    /// Campaigns without history: every participant as published once (for tests).
    #[cfg(test)]
    pub(crate) fn new(
        campaigns: BTreeSet<CampaignId>,
        participants: Vec<&'a ParticipantSummary>,
    ) -> Self {
        let campaigns: Vec<CampaignId> = campaigns.into_iter().collect();
        let sizes = campaigns
            .iter()
            .map(|c| vec![participants.iter().filter(|p| p.campaign == *c).count() as u32])
            .collect();
        let since = vec![1; participants.len()];
        Self::indexed(campaigns, participants, since, sizes)
    }

    fn indexed(
        campaigns: Vec<CampaignId>,
        participants: Vec<&'a ParticipantSummary>,
        since: Vec<u32>,
        sizes: Vec<Vec<u32>>,
    ) -> Self {
        let campaign_of = participants
            .iter()
            .map(|p| campaigns.binary_search(&p.campaign).ok())
            .collect();
        let month_of: Vec<i32> = participants.iter().map(|p| p.month().index()).collect();
        let span = month_of
            .iter()
            .min()
            .copied()
            .zip(month_of.iter().max().copied());
        Self {
            campaigns,
            participants,
            since,
            sizes,
            campaign_of,
            month_of,
            span,
            prepared: Prepared::default(),
        }
    }

    /// What views on this data made (or will make) once: to be given to
    /// [`PublishedCampaigns::with_prepared`] of the same publications, in the same order.
    pub fn prepared(&self) -> Prepared {
        self.prepared.clone()
    }

    /// Uses what an earlier `PublishedCampaigns` of the *same* publications (same states, same
    /// order) prepared. Given for other data, the audit refuses every set (shows nothing more)
    /// only if the participant count differs, so the caller must key it by the publications.
    pub fn with_prepared(mut self, prepared: Prepared) -> Self {
        self.prepared = prepared;
        self
    }

    /// The data counted per code cell and level, made once.
    pub(crate) fn code_counts(&self) -> &CodeCounts {
        self.prepared
            .code_counts
            .get_or_init(|| CodeCounts::new(self))
    }

    /// The audit made for threshold `k`, if one was made.
    pub(crate) fn cached_audit(&self, k: u32) -> Option<&super::audit::Audit> {
        self.prepared.audit.get().filter(|a| a.k() == k)
    }

    /// Keeps the first audit made; returns the one kept.
    pub(crate) fn cache_audit(&self, audit: super::audit::Audit) -> Option<&super::audit::Audit> {
        Some(self.prepared.audit.get_or_init(|| audit))
    }

    pub(crate) fn with_history(
        campaigns: Vec<(CampaignId, Vec<u32>)>,
        participants: Vec<(&'a ParticipantSummary, u32)>,
    ) -> Self {
        let (campaigns, sizes): (Vec<CampaignId>, Vec<Vec<u32>>) = campaigns.into_iter().unzip();
        let (participants, since) = participants.into_iter().unzip();
        Self::indexed(campaigns, participants, since, sizes)
    }

    /// Campaigns the user may request, in id order.
    pub fn campaigns(&self) -> &[CampaignId] {
        &self.campaigns
    }

    pub(crate) fn participants(&self) -> impl Iterator<Item = &'a ParticipantSummary> + '_ {
        self.participants.iter().copied()
    }

    /// Which participants `filter` selects (parallel to `participants`): the same as
    /// [`Filter::matches`], from the campaign index and month computed once instead of
    /// comparing campaign ids (strings) per participant and set.
    pub(crate) fn matches(&self, filter: &Filter) -> impl Fn(usize) -> bool + '_ {
        let selected: Vec<bool> = self
            .campaigns
            .iter()
            .map(|c| filter.campaigns.is_empty() || filter.campaigns.contains(c))
            .collect();
        let filter = filter.clone();
        move |i| {
            let (Some(p), Some(&of), Some(&month)) = (
                self.participants.get(i),
                self.campaign_of.get(i),
                self.month_of.get(i),
            ) else {
                return false;
            };
            match of {
                Some(c) => {
                    selected.get(c).copied().unwrap_or(false)
                        && filter.period.is_none_or(|period| {
                            (period.from().index()..=period.to().index()).contains(&month)
                        })
                        && filter.industry.is_none_or(|x| x == p.profile.industry)
                        && filter.size.is_none_or(|x| x == p.profile.size)
                        && filter.region.is_none_or(|x| x == p.profile.region)
                }
                None => filter.matches(p),
            }
        }
    }

    /// First and last month index with any participant.
    fn span(&self) -> Option<(i32, i32)> {
        self.span
    }
}

/// Whether the set `filter ∧ member` may differ from its state at some earlier publication by
/// 1..k−1 participants (the rule over time, per cell).
///
/// Per campaign of the set and earlier publication `t`: the participants now in the set and
/// shown unchanged only since after `t` are certainly different (`added`); of the participants
/// of publication `t` no longer shown unchanged (`departed`: erased or changed), any number
/// may have been in the set, since their data is not kept. So the difference lies in
/// `added ..= added + departed`, and the cell is suppressed if that range meets 1..k−1.
/// Comparing each campaign on its own, the others as now, covers every mix of publications a
/// reader may have saved: all differences are ≥ 0, so a mix can only be larger.
#[cfg(test)]
pub(crate) fn moved_by_fewer_than_k(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    member: &dyn Fn(&ParticipantSummary) -> bool,
    k: u32,
) -> bool {
    moved_by_fewer_than_k_at(data, filter, &|_, p| member(p), k)
}

/// [`moved_by_fewer_than_k`] with `member` told each participant's index in `data` too (so a
/// caller can answer from a table made once, see `View::red_flags`).
pub(crate) fn moved_by_fewer_than_k_at(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    member: &dyn Fn(usize, &ParticipantSummary) -> bool,
    k: u32,
) -> bool {
    // One pass for every campaign: by_since[c][t] = participants of campaign c first shown
    // unchanged in publication t (1-based), in the set and in all.
    let empty = || -> Vec<Vec<u64>> {
        data.sizes
            .iter()
            .map(|sizes| vec![0u64; sizes.len() + 2])
            .collect()
    };
    let (mut in_set, mut in_campaign) = (empty(), empty());
    let matches = data.matches(filter);
    for (i, ((p, &since), &of)) in data
        .participants
        .iter()
        .zip(&data.since)
        .zip(&data.campaign_of)
        .enumerate()
    {
        let Some(index) = of else {
            continue;
        };
        let publications = data.sizes.get(index).map_or(0, Vec::len);
        let slot = usize::try_from(since)
            .unwrap_or(usize::MAX)
            .min(publications + 1);
        if let Some(c) = in_campaign.get_mut(index).and_then(|v| v.get_mut(slot)) {
            *c += 1;
        }
        if matches(i)
            && member(i, p)
            && let Some(c) = in_set.get_mut(index).and_then(|v| v.get_mut(slot))
        {
            *c += 1;
        }
    }
    moved_with(data, filter, k, &|index, publications| {
        let take = |v: &Vec<Vec<u64>>| {
            v.get(index)
                .cloned()
                .unwrap_or_else(|| vec![0u64; publications + 2])
        };
        (take(&in_set), take(&in_campaign))
    })
}

/// [`moved_by_fewer_than_k`] for the set `filter ∧ level` (`0`: any level), read from the
/// data's [`CodeCounts`] (the same counts, without a pass over the participants).
pub(crate) fn moved_by_fewer_than_k_counted(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    level: u8,
    k: u32,
) -> bool {
    let counts = data.code_counts();
    let cell = counts.cell((filter.industry, filter.size, filter.region), level);
    let first = data.span().map_or(0, |(first, _)| first);
    let in_period = |m: usize| {
        filter.period.is_none_or(|period| {
            i32::try_from(m)
                .is_ok_and(|m| (period.from().index()..=period.to().index()).contains(&(first + m)))
        })
    };
    moved_with(data, filter, k, &|index, publications| {
        let mut in_set = vec![0u64; publications + 2];
        let start = cell.partition_point(|&((c, _, _), _)| c < index);
        for &((c, m, since), n) in cell.get(start..).unwrap_or(&[]) {
            if c != index {
                break;
            }
            let slot = usize::try_from(since)
                .unwrap_or(usize::MAX)
                .min(publications + 1);
            if in_period(m)
                && let Some(x) = in_set.get_mut(slot)
            {
                *x += u64::from(n);
            }
        }
        let in_campaign = counts
            .in_campaign
            .get(index)
            .cloned()
            .unwrap_or_else(|| vec![0u64; publications + 2]);
        (in_set, in_campaign)
    })
}

/// The rule over time from each selected campaign's counts by `since` slot: `by_since(index,
/// publications)` gives the set's and the whole campaign's.
fn moved_with(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    k: u32,
    by_since: &dyn Fn(usize, usize) -> (Vec<u64>, Vec<u64>),
) -> bool {
    let k = u64::from(k);
    for (index, (campaign, sizes)) in data.campaigns.iter().zip(&data.sizes).enumerate() {
        if !(filter.campaigns.is_empty() || filter.campaigns.contains(campaign)) {
            continue;
        }
        let (in_set, in_campaign) = by_since(index, sizes.len());
        let mut added: u64 = in_set.iter().sum();
        // Before its first publication the campaign showed nobody: against that state every
        // participant now in the set is added (found by the property test: a campaign's first
        // publication moved a wider cell by 4).
        if (1..k).contains(&added) {
            return true;
        }
        let mut kept: u64 = 0;
        for (t, &size) in (1..).zip(sizes.iter()) {
            // After publication t: `added` counts since > t, `kept` counts since ≤ t.
            added -= in_set.get(t).copied().unwrap_or(0);
            kept += in_campaign.get(t).copied().unwrap_or(0);
            let departed = u64::from(size).saturating_sub(kept);
            if added < k && added + departed >= 1 {
                return true;
            }
        }
    }
    false
}

/// Threshold and differencing for one set.
pub(crate) fn verdict(n: u32, k: u32, smallest_step: Option<u32>) -> Option<SuppressionReason> {
    if n < k {
        Some(SuppressionReason::TooFew)
    } else if smallest_step.is_some_and(|step| step < k) {
        Some(SuppressionReason::Differencing)
    } else {
        None
    }
}

/// The smallest positive number of participants by which the set `filter ∧ member` differs
/// from any set a user can request that contains it; `None` if every such set is equal to it.
///
/// Containing requests are all combinations of: more campaigns (any superset among the visible
/// ones, up to all), a longer period (any range of months around it, up to no period), and any
/// of the industry, size and region filters dropped. `member` narrows both sides alike (e.g.
/// "at level 2"), so sub-counts get the same protection as whole sets.
///
/// Cost: for each of the ≤ 8 ways to drop code filters, one pass over the participants into a
/// campaign × month table; then each period range in O(campaigns) with prefix sums. Among
/// campaign supersets only single added campaigns need checking: every count added is ≥ 0, so
/// the smallest positive sum of added campaigns is the smallest positive single one.
#[cfg(test)]
pub(crate) fn smallest_step(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    member: &dyn Fn(&ParticipantSummary) -> bool,
) -> Option<u32> {
    smallest_step_at(data, filter, &|_, p| member(p))
}

/// [`smallest_step`] with `member` told each participant's index in `data` too.
pub(crate) fn smallest_step_at(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    member: &dyn Fn(usize, &ParticipantSummary) -> bool,
) -> Option<u32> {
    let first = data.span()?.0;
    let month_slot = |month: i32| usize::try_from(month - first).ok();
    step_with(data, filter, &mut |relaxed, tables| {
        for (i, ((p, &campaign), &month)) in data
            .participants
            .iter()
            .zip(&data.campaign_of)
            .zip(&data.month_of)
            .enumerate()
        {
            if !member(i, p) {
                continue;
            }
            let (Some(c), Some(m)) = (campaign, month_slot(month)) else {
                continue;
            };
            // Which of the set code filters this participant meets; a relaxation matches when
            // it keeps only filters the participant meets.
            let meets = u8::from(filter.industry.is_none_or(|i| i == p.profile.industry))
                | u8::from(filter.size.is_none_or(|s| s == p.profile.size)) << 1
                | u8::from(filter.region.is_none_or(|r| r == p.profile.region)) << 2;
            for (table, &keep) in tables.iter_mut().zip(relaxed) {
                if keep & meets == keep
                    && let Some(cell) = table.get_mut(c).and_then(|row| row.get_mut(m + 1))
                {
                    *cell += 1;
                }
            }
        }
    })
}

/// [`smallest_step`] for the set `filter ∧ level` (`0`: any level), read from the data's
/// [`CodeCounts`]: the table of a relaxation is the count of its code cell.
pub(crate) fn smallest_step_counted(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    level: u8,
) -> Option<u32> {
    let counts = data.code_counts();
    step_with(data, filter, &mut |relaxed, tables| {
        for (table, &keep) in tables.iter_mut().zip(relaxed) {
            let codes = (
                filter.industry.filter(|_| keep & 1 != 0),
                filter.size.filter(|_| keep & 2 != 0),
                filter.region.filter(|_| keep & 4 != 0),
            );
            for &((c, m, _), n) in counts.cell(codes, level) {
                if let Some(cell) = table.get_mut(c).and_then(|row| row.get_mut(m + 1)) {
                    *cell += u64::from(n);
                }
            }
        }
    })
}

/// Per campaign, per month slot + 1: participants (see [`step_with`]).
type StepTable = Vec<Vec<u64>>;

/// The smallest step of [`smallest_step`] once `fill(relaxed, tables)` has counted the set
/// under each relaxation: `tables[r][c][m + 1]` participants of campaign `c` in month slot `m`
/// under the relaxation that keeps the code filters in mask `relaxed[r]`.
fn step_with(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    fill: &mut dyn FnMut(&[u8], &mut [StepTable]),
) -> Option<u32> {
    let (first, last) = data.span()?;
    let months = usize::try_from(last - first + 1).ok()?;
    // The requested months as slots; a period outside the data holds nobody.
    let (from, to) = match filter.period {
        Some(period) => (
            period.from().index().max(first) - first,
            period.to().index().min(last) - first,
        ),
        None => (0, last - first),
    };
    let (from, to) = (usize::try_from(from).ok()?, usize::try_from(to).ok()?);
    if from > to {
        return None;
    }
    let selected: Vec<bool> = data
        .campaigns()
        .iter()
        .map(|c| filter.campaigns.is_empty() || filter.campaigns.contains(c))
        .collect();
    let ranges: Vec<(usize, usize)> = if filter.period.is_some() {
        (0..=from)
            .flat_map(|a| (to..months).map(move |b| (a, b)))
            .collect()
    } else {
        vec![(0, months - 1)]
    };

    // Which code filters are set; each subset of them may be dropped.
    let codes: [bool; 3] = [
        filter.industry.is_some(),
        filter.size.is_some(),
        filter.region.is_some(),
    ];
    // Masks of kept filters, from "keep all set ones" down, so `base` is computed first.
    // A relaxation keeps the code filters in its mask: bit 0 industry, 1 size, 2 region.
    let relaxed: Vec<u8> = (0u8..8)
        .rev()
        .filter(|m| (0..3).all(|i| codes[i] || m & (1 << i) == 0))
        .collect();
    // One pass over the participants fills the campaign × month table of every relaxation
    // (the lattice asks this for hundreds of cells, so passes add up).
    // tables[r][c][m + 1] = participants of campaign c in month slot m under relaxation r.
    let mut tables = vec![vec![vec![0u64; months + 1]; data.campaigns().len()]; relaxed.len()];
    fill(&relaxed, &mut tables);
    let mut base: Option<u64> = None;
    let mut smallest: Option<u64> = None;
    for mut table in tables {
        // prefix[c][m] = participants of campaign c in months before slot m.
        for row in &mut table {
            for m in 1..=months {
                let before = row.get(m - 1).copied().unwrap_or(0);
                if let Some(cell) = row.get_mut(m) {
                    *cell += before;
                }
            }
        }
        let sum = |row: &Vec<u64>, (a, b): (usize, usize)| {
            row.get(b + 1).copied().unwrap_or(0) - row.get(a).copied().unwrap_or(0)
        };
        let in_selected = |range| -> u64 {
            table
                .iter()
                .zip(&selected)
                .filter(|(_, s)| **s)
                .map(|(row, _)| sum(row, range))
                .sum()
        };
        let base = *base.get_or_insert_with(|| in_selected((from, to)));
        for &range in &ranges {
            let added = in_selected(range).saturating_sub(base);
            let step = if added > 0 {
                Some(added)
            } else {
                table
                    .iter()
                    .zip(&selected)
                    .filter(|(_, s)| !**s)
                    .map(|(row, _)| sum(row, range))
                    .filter(|&n| n > 0)
                    .min()
            };
            if let Some(step) = step {
                smallest = Some(smallest.map_or(step, |s| s.min(step)));
            }
        }
    }
    smallest.map(|s| u32::try_from(s).unwrap_or(u32::MAX))
}

/// One part of a partition: its true size and its verdict so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) n: u32,
    pub(crate) verdict: Option<SuppressionReason>,
}

/// Complementary suppression within one partition of a published parent.
///
/// Rule: the hidden parts together must hold 0 participants, or at least `k` participants
/// spread over at least 2 non-empty parts. Otherwise parent minus the shown parts would give
/// a hidden group of fewer than `k`, or one hidden part exactly (with every additive number in
/// it). While the rule fails, the smallest shown part is hidden too
/// ([`SuppressionReason::Complementary`]). Returns `false` if no shown part is left and the
/// rule still fails: then only hiding the parent protects the partition.
pub(crate) fn protect_partition(k: u32, parts: &mut [Part]) -> bool {
    loop {
        let hidden = parts.iter().filter(|p| p.verdict.is_some());
        let hidden_n: u64 = hidden.clone().map(|p| u64::from(p.n)).sum();
        let hidden_non_empty = hidden.filter(|p| p.n > 0).count();
        if hidden_n == 0 || (hidden_n >= u64::from(k) && hidden_non_empty >= 2) {
            return true;
        }
        let smallest = parts
            .iter_mut()
            .filter(|p| p.verdict.is_none())
            .min_by_key(|p| p.n);
        match smallest {
            Some(part) => part.verdict = Some(SuppressionReason::Complementary),
            None => return false,
        }
    }
}

/// Complementary suppression under a *hidden* parent of `n ≥ k`: its shown parts must not add
/// up to it, or the parent could be rebuilt from them, and with it the sibling it was hidden
/// to protect. Rule: the hidden parts hold at least `k`; else the smallest shown part is
/// hidden too ([`SuppressionReason::Complementary`]). (A parent under `k` needs nothing: its
/// parts are all under `k` and hidden.)
pub(crate) fn protect_hidden_parent(k: u32, parts: &mut [Part]) {
    loop {
        let hidden_n: u64 = parts
            .iter()
            .filter(|p| p.verdict.is_some())
            .map(|p| u64::from(p.n))
            .sum();
        if hidden_n >= u64::from(k) {
            return;
        }
        match parts
            .iter_mut()
            .filter(|p| p.verdict.is_none())
            .min_by_key(|p| p.n)
        {
            Some(part) => part.verdict = Some(SuppressionReason::Complementary),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SuppressionReason::{Complementary, Differencing, TooFew};

    fn parts(k: u32, ns: &[u32]) -> Vec<Part> {
        ns.iter()
            .map(|&n| Part {
                n,
                verdict: verdict(n, k, None),
            })
            .collect()
    }

    fn verdicts(parts: &[Part]) -> Vec<Option<SuppressionReason>> {
        parts.iter().map(|p| p.verdict).collect()
    }

    /// The counted forms read the same numbers as the passes over the participants: equal
    /// verdicts for every code cell and level, campaign set, period and threshold, on waves
    /// published after every response (many publications), and after erasures.
    #[test]
    fn counted_rules_equal_the_passes_over_participants() {
        use crate::benchmark::DisclosurePolicy;
        use crate::dashboard::utility_tests::{WAVES, simulate};
        use crate::dashboard::{Month, Period};

        let (mut checked, mut moved, mut small_steps) = (0usize, 0usize, 0usize);
        for (wave, erase) in [(&WAVES[0], false), (&WAVES[1], true), (&WAVES[2], false)] {
            let mut publications = simulate(wave).publications;
            if erase && let Some(publication) = publications.first_mut() {
                // Six firms erase their responses; the rest is published again.
                let live: Vec<ParticipantSummary> = publication
                    .snapshot()
                    .map(|s| s.cloned().collect())
                    .unwrap_or_default();
                for p in live.iter().take(6) {
                    assert!(publication.erase(&p.id));
                }
                let rest = live.get(6..).unwrap_or_default();
                let outcome = publication
                    .refresh(&DisclosurePolicy::default(), rest)
                    .expect("refresh");
                assert_eq!(outcome, crate::dashboard::PublishOutcome::Published);
            }
            let data = PublishedCampaigns::from_publications(&publications).expect("data");
            let participants: Vec<&ParticipantSummary> = data.participants().collect();
            let (first, last) = data.span().expect("participants");
            let mut filters = vec![Filter::all()];
            for c in data.campaigns() {
                filters.push(Filter {
                    campaigns: [c.clone()].into(),
                    ..Filter::all()
                });
            }
            for (a, b) in [(first, first), (first + 1, last), (first - 2, first + 1)] {
                let period = Period::new(Month::from_index(a), Month::from_index(b)).expect("p");
                filters.push(Filter::all().with_period(period));
                if let Some(c) = data.campaigns().last() {
                    filters.push(Filter {
                        campaigns: [c.clone()].into(),
                        ..Filter::all().with_period(period)
                    });
                }
            }
            for p in participants.iter().take(12) {
                for keep in 0u8..8 {
                    for base in &filters {
                        let f = Filter {
                            industry: Some(p.profile.industry).filter(|_| keep & 1 != 0),
                            size: Some(p.profile.size).filter(|_| keep & 2 != 0),
                            region: Some(p.profile.region).filter(|_| keep & 4 != 0),
                            ..base.clone()
                        };
                        for level in 0..=5u8 {
                            let member = move |q: &ParticipantSummary| {
                                level == 0 || q.response.overall_level() == level
                            };
                            let step = smallest_step(&data, &f, &member);
                            small_steps += usize::from(step.is_some_and(|s| s < 5));
                            assert_eq!(
                                step,
                                smallest_step_counted(&data, &f, level),
                                "{} firms, {f:?}, level {level}",
                                wave.firms
                            );
                            for k in [3, 5, 10] {
                                let now = moved_by_fewer_than_k(&data, &f, &member, k);
                                moved += usize::from(now);
                                assert_eq!(
                                    now,
                                    moved_by_fewer_than_k_counted(&data, &f, level, k),
                                    "{} firms, {f:?}, level {level}, k {k}",
                                    wave.firms
                                );
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        // Both outcomes of both rules occur, so the comparison means something.
        assert!(checked > 1000, "{checked}");
        assert!(moved > 0 && moved < checked * 3, "{moved} of {checked}");
        assert!(small_steps > 0 && small_steps < checked, "{small_steps}");
    }

    #[test]
    fn threshold_then_differencing() {
        assert_eq!(verdict(4, 5, None), Some(TooFew));
        assert_eq!(verdict(5, 5, None), None);
        assert_eq!(verdict(5, 5, Some(4)), Some(Differencing));
        assert_eq!(verdict(5, 5, Some(5)), None);
        assert_eq!(verdict(2, 5, Some(1)), Some(TooFew));
    }

    #[test]
    fn one_small_part_takes_the_smallest_other_with_it() {
        // 20 = 2 + 6 + 12: parent − shown would reveal the 2, so the 6 goes too (2 + 6 ≥ 5).
        let mut p = parts(5, &[2, 12, 6]);
        assert!(protect_partition(5, &mut p));
        assert_eq!(verdicts(&p), vec![Some(TooFew), None, Some(Complementary)]);
    }

    #[test]
    fn empty_parts_hide_nothing() {
        // 0 + 7 + 8: the hidden part is empty, parent − shown = 0 reveals no one.
        let mut p = parts(5, &[0, 7, 8]);
        assert!(protect_partition(5, &mut p));
        assert_eq!(verdicts(&p), vec![Some(TooFew), None, None]);
    }

    #[test]
    fn small_parts_summing_to_k_or_more_are_safe() {
        // 3 + 3 hidden = 6 ≥ 5 over two parts: neither can be told apart.
        let mut p = parts(5, &[3, 3, 9]);
        assert!(protect_partition(5, &mut p));
        assert_eq!(verdicts(&p), vec![Some(TooFew), Some(TooFew), None]);
        // 1 + 2 hidden = 3 < 5: the 9 goes too.
        let mut p = parts(5, &[1, 2, 9, 11]);
        assert!(protect_partition(5, &mut p));
        assert_eq!(
            verdicts(&p),
            vec![Some(TooFew), Some(TooFew), Some(Complementary), None]
        );
    }

    #[test]
    fn a_lone_part_hidden_for_differencing_needs_a_partner() {
        let mut p = vec![
            Part {
                n: 8,
                verdict: Some(Differencing),
            },
            Part {
                n: 6,
                verdict: None,
            },
            Part {
                n: 7,
                verdict: None,
            },
        ];
        assert!(protect_partition(5, &mut p));
        assert_eq!(
            verdicts(&p),
            vec![Some(Differencing), Some(Complementary), None]
        );
    }

    #[test]
    fn a_hidden_parent_keeps_k_of_its_parts_hidden() {
        // A hidden 14 = 7 + 7 would be the sum of its shown parts: one of them goes.
        let mut p = parts(5, &[7, 7, 0]);
        protect_hidden_parent(5, &mut p);
        assert_eq!(verdicts(&p), vec![Some(Complementary), None, Some(TooFew)]);
        // 2 + 4 + 9: the small ones hide 6 ≥ 5 already.
        let mut p = parts(5, &[2, 4, 9]);
        protect_hidden_parent(5, &mut p);
        assert_eq!(verdicts(&p), vec![Some(TooFew), Some(TooFew), None]);
    }

    #[test]
    fn parent_must_go_when_no_part_can_cover() {
        // All 9 in one hidden part: parent − shown (nothing) = that part.
        let mut p = vec![
            Part {
                n: 9,
                verdict: Some(Differencing),
            },
            Part {
                n: 0,
                verdict: Some(TooFew),
            },
        ];
        assert!(!protect_partition(5, &mut p));
    }
}
