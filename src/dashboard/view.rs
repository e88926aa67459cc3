//! The chamber dashboard: every number a [`Cell`] with its `n`, computed from published
//! snapshots and cleared by the rules in [`disclosure`](super::disclosure).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::audit::{Audit, Candidate, Cost};
use super::disclosure::{
    Part, PublishedCampaigns, moved_by_fewer_than_k_at, moved_by_fewer_than_k_counted,
    protect_hidden_parent, protect_partition, smallest_step_at, smallest_step_counted, verdict,
};
use super::error::DashboardError;
use super::filter::{Filter, Period};
use super::groups::{LevelBand, RegionGroup, Sector, SizeBand};
use super::participant::{Month, ParticipantSummary};
use super::publication::CampaignPublication;
use crate::benchmark::{
    Disclosure, DisclosurePolicy, Industry, LEVELS, MeasureStats, PublishedStats, Region,
    SCORE_BUCKETS, SizeClass, SuppressionReason, percentile,
};
use crate::survey::Catalogue;

/// The catalogue ids the dashboard names its rows by, in catalogue order.
///
/// Red flags are listed from the catalogue, not from the data: a row that appears only when
/// some firm has the flag would tell that at least one has it, even with the count suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DashboardCatalogue {
    /// Dimension ids (strategy, community, …).
    pub dimensions: Vec<String>,
    /// Every red flag id the catalogue can raise.
    pub red_flags: Vec<String>,
}

impl DashboardCatalogue {
    /// The ids of a loaded catalogue.
    pub fn from_catalogue(catalogue: &Catalogue) -> Self {
        let mut seen = BTreeSet::new();
        let red_flags = catalogue
            .dimensions
            .iter()
            .flat_map(|d| &d.questions)
            .flat_map(|q| &q.options)
            .filter_map(|o| o.red_flag.as_ref())
            .map(|f| f.id.clone())
            .filter(|id| seen.insert(id.clone()))
            .collect();
        Self {
            dimensions: catalogue.dimensions.iter().map(|d| d.id.clone()).collect(),
            red_flags,
        }
    }
}

/// One number (or group of numbers) as shown: published with its `n`, or suppressed with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Cell<T> {
    /// May be shown on pages, CSV and PDF.
    Published {
        /// Participants the value is computed from.
        n: u32,
        /// The value.
        value: T,
    },
    /// Must not be shown, not even its `n`.
    Suppressed {
        /// Why, for "suppressed (fewer than k firms)" and the like.
        reason: SuppressionReason,
    },
}

impl<T> Cell<T> {
    fn hidden(reason: SuppressionReason) -> Self {
        Cell::Suppressed { reason }
    }

    fn from_verdict(verdict: Option<SuppressionReason>, n: u32, value: impl FnOnce() -> T) -> Self {
        match verdict {
            Some(reason) => Cell::hidden(reason),
            None => Cell::Published { n, value: value() },
        }
    }

    /// The value, if published.
    pub fn value(&self) -> Option<&T> {
        match self {
            Cell::Published { value, .. } => Some(value),
            Cell::Suppressed { .. } => None,
        }
    }

    /// The `n`, if published.
    pub fn n(&self) -> Option<u32> {
        match self {
            Cell::Published { n, .. } => Some(*n),
            Cell::Suppressed { .. } => None,
        }
    }

    /// Why the cell is suppressed, if it is.
    pub fn reason(&self) -> Option<SuppressionReason> {
        match self {
            Cell::Published { .. } => None,
            Cell::Suppressed { reason } => Some(*reason),
        }
    }
}

/// A cell under a key (a month, a level, an industry, a red flag id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyed<K, T> {
    /// What the cell is about.
    pub key: K,
    /// The cell.
    pub cell: Cell<T>,
}

/// A count within a set of `n`: `share = count / n`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    /// Participants with the property.
    pub count: u32,
    /// `count / n`, 0.0..=1.0.
    pub share: f64,
}

/// Median and interquartile range of a score (nearest-rank, see [`percentile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// 25th percentile.
    pub p25: u8,
    /// Median.
    pub median: u8,
    /// 75th percentile.
    pub p75: u8,
}

impl Spread {
    fn of(scores: impl Iterator<Item = u8>) -> Option<Self> {
        let mut histogram = [0u32; SCORE_BUCKETS];
        for score in scores {
            if let Some(bucket) = histogram.get_mut(usize::from(score)) {
                *bucket += 1;
            }
        }
        Some(Self {
            p25: percentile(&histogram, 25)?,
            median: percentile(&histogram, 50)?,
            p75: percentile(&histogram, 75)?,
        })
    }

    fn of_stats(m: &MeasureStats) -> Self {
        Self {
            p25: m.p25,
            median: m.median,
            p75: m.p75,
        }
    }
}

/// A number in the earlier period, in the current one, and the difference (may be negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Change {
    /// In the earlier period.
    pub before: i64,
    /// In the requested period.
    pub after: i64,
    /// `after − before`.
    pub delta: i64,
}

impl Change {
    fn new(before: i64, after: i64) -> Self {
        Self {
            before,
            after,
            delta: after - before,
        }
    }
}

/// A score of the selected firms next to all firms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    /// Dimension id, or `overall`.
    pub id: String,
    /// The selected participants.
    pub cohort: Cell<Spread>,
    /// All firms, from the benchmark's published all-firms cohort.
    pub all_firms: Cell<Spread>,
}

/// The requested period against an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodChange {
    /// The earlier period.
    pub before: Period,
    /// Participants.
    pub participants: Cell<Change>,
    /// Overall median score, then each dimension's median, in catalogue order.
    pub medians: Vec<Keyed<String, Change>>,
}

/// Everything a chamber may see for one filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// The threshold every cell was cleared with.
    pub k: u32,
    /// The request.
    pub filter: Filter,
    /// Participants in the selection; if suppressed, so is every cell computed from them.
    pub participants: Cell<u32>,
    /// New participants per month of submission.
    pub participation: Vec<Keyed<Month, u32>>,
    /// Overall maturity level 1..=5.
    pub levels: Vec<Keyed<u8, Share>>,
    /// Overall score, then one row per dimension, against all firms.
    pub scores: Vec<ScoreRow>,
    /// Overall score by industry (empty when the filter fixes the industry). Only industries
    /// some selected firm chose are listed; see [`Dashboard::by_region`].
    pub by_industry: Vec<Keyed<Industry, Spread>>,
    /// Overall score by size class (empty when the filter fixes it); only classes some
    /// selected firm chose.
    pub by_size: Vec<Keyed<SizeClass, Spread>>,
    /// Overall score by region (empty when the filter fixes it); only regions some selected
    /// firm chose. A listed row therefore says "at least one firm" (nothing about how many if
    /// it is suppressed), which is accepted so that a first wave is not a page of empty
    /// categories; levels and red flags keep every row.
    pub by_region: Vec<Keyed<Region, Spread>>,
    /// Red flags: published ones most common first, then suppressed ones in catalogue order.
    pub red_flags: Vec<Keyed<String, Share>>,
    /// The level distribution in the finest bands of adjacent levels that can be shown: every
    /// single level where possible, merged neighbours otherwise. Always covers 1..=5, so a
    /// missing band says nothing.
    pub level_bands: Vec<Keyed<LevelBand, Share>>,
    /// Overall score by broad sector (see `groups`); like [`Dashboard::by_industry`], only
    /// sectors some selected firm chose, and empty when the filter fixes the industry.
    pub by_sector: Vec<Keyed<Sector, Spread>>,
    /// Overall score by size band (under 50 staff, 50 or more).
    pub by_size_band: Vec<Keyed<SizeBand, Spread>>,
    /// Overall score by part of Germany.
    pub by_region_group: Vec<Keyed<RegionGroup, Spread>>,
    /// The requested period against an earlier one, if asked for.
    pub change: Option<PeriodChange>,
}

impl<'a> PublishedCampaigns<'a> {
    /// The shown snapshots of the campaigns a user may see (unpublished or withdrawn ones
    /// contribute no participants but can still be selected).
    pub fn from_publications(
        publications: impl IntoIterator<Item = &'a CampaignPublication>,
    ) -> Result<Self, DashboardError> {
        let mut seen = BTreeSet::new();
        let mut campaigns = Vec::new();
        let mut participants = Vec::new();
        for publication in publications {
            if !seen.insert(publication.campaign().clone()) {
                return Err(DashboardError::DuplicateCampaign(
                    publication.campaign().to_string(),
                ));
            }
            campaigns.push((publication.campaign().clone(), publication.sizes().to_vec()));
            participants.extend(publication.shown_with_since());
        }
        // Campaigns in id order, as the differencing check looks them up by binary search.
        campaigns.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self::with_history(campaigns, participants))
    }
}

/// What one request needs besides the filter.
#[derive(Debug, Clone, Copy)]
pub struct DashboardInputs<'i, 'a> {
    /// The threshold `k`.
    pub policy: &'i DisclosurePolicy,
    /// Dimension and red flag ids.
    pub catalogue: &'i DashboardCatalogue,
    /// The published snapshots the user may see.
    pub data: &'i PublishedCampaigns<'a>,
    /// The benchmark's verdict on its all-firms cohort, as cleared by
    /// [`disclose`](crate::benchmark::disclose) (`None`: nothing published yet, shown as too
    /// few). A suppressed verdict is shown with its own reason, so the row never claims "too
    /// few" beside a large selection when it is hidden to protect another group.
    ///
    /// Taken already disclosed rather than as raw participants so that the all-firms numbers
    /// are the very ones the benchmark publishes, under its own step-of-`k` publication.
    pub all_firms: Option<&'i Disclosure>,
}

impl Dashboard {
    /// The dashboard for `filter`, optionally against the same filter for an earlier period.
    pub fn compute(
        inputs: &DashboardInputs<'_, '_>,
        filter: &Filter,
        change_from: Option<Period>,
    ) -> Result<Self, DashboardError> {
        let mut dashboard = View::new(inputs)?.dashboard(filter)?;
        if let Some(before) = change_from {
            let earlier = View::new(inputs)?.dashboard(&filter.with_period(before))?;
            dashboard.change = Some(PeriodChange::between(before, &earlier, &dashboard));
        }
        Ok(dashboard)
    }

    /// Whether the selection itself is shown.
    pub fn is_published(&self) -> bool {
        self.participants.value().is_some()
    }
}

impl PeriodChange {
    fn between(before: Period, earlier: &Dashboard, now: &Dashboard) -> Self {
        let change = |a: Option<i64>, b: Option<i64>, n: Option<u32>| match (a, b, n) {
            (Some(a), Some(b), Some(n)) => Cell::Published {
                n,
                value: Change::new(a, b),
            },
            // Reported as the reason of whichever side is hidden.
            _ => Cell::hidden(
                earlier
                    .participants
                    .reason()
                    .or(now.participants.reason())
                    .unwrap_or(SuppressionReason::TooFew),
            ),
        };
        let medians = earlier
            .scores
            .iter()
            .zip(&now.scores)
            .map(|(e, c)| Keyed {
                key: c.id.clone(),
                cell: change(
                    e.cohort.value().map(|s| i64::from(s.median)),
                    c.cohort.value().map(|s| i64::from(s.median)),
                    c.cohort.n(),
                ),
            })
            .collect();
        Self {
            before,
            participants: change(
                earlier.participants.value().map(|&n| i64::from(n)),
                now.participants.value().map(|&n| i64::from(n)),
                now.participants.n(),
            ),
            medians,
        }
    }
}

/// One computation over the published data.
struct View<'i, 'a> {
    inputs: &'i DashboardInputs<'i, 'a>,
    k: u32,
    /// The audited family of this state of the data (see `audit`).
    audit: std::borrow::Cow<'i, Audit>,
}

type Member<'m> = &'m dyn Fn(&ParticipantSummary) -> bool;
/// A member test told the participant's index in the data too.
type MemberAt<'m> = &'m dyn Fn(usize, &ParticipantSummary) -> bool;

impl<'i, 'a> View<'i, 'a> {
    fn new(inputs: &'i DashboardInputs<'i, 'a>) -> Result<Self, DashboardError> {
        let expected = inputs.catalogue.dimensions.len();
        let mismatch = inputs
            .data
            .participants()
            .map(|p| p.response.dimension_count())
            .chain(
                inputs
                    .all_firms
                    .and_then(Disclosure::published)
                    .map(|a| a.stats().dimensions.len()),
            )
            .find(|&actual| actual != expected);
        if let Some(actual) = mismatch {
            return Err(DashboardError::DimensionCountMismatch { expected, actual });
        }
        let k = inputs.policy.k();
        // The audit is made once per state of the published data (and threshold); a view
        // built first without it judges the candidates.
        let judge_only = Self {
            inputs,
            k,
            audit: std::borrow::Cow::Owned(Audit::empty(k)),
        };
        let audit = match inputs.data.cached_audit(k) {
            Some(audit) => std::borrow::Cow::Borrowed(audit),
            None => {
                let audit = Audit::new(inputs.data, &judge_only.candidates(), k);
                match inputs.data.cache_audit(audit.clone()) {
                    Some(cached) if cached.k() == k => std::borrow::Cow::Borrowed(cached),
                    _ => std::borrow::Cow::Owned(audit),
                }
            }
        };
        Ok(Self { inputs, k, audit })
    }

    /// The sets of the whole data a chamber most wants, each passing its own rules: the
    /// audit's candidates (see `audit`).
    fn candidates(&self) -> Vec<Candidate<'i>> {
        let data = self.inputs.data;
        let all = Filter::all();
        let mut out: Vec<Candidate<'i>> = vec![Candidate {
            member: Box::new(|_| true),
            cost: Cost::Single,
            n: count(data.participants().count()),
            protected: true,
        }];
        let mut push = |member: Box<dyn Fn(&ParticipantSummary) -> bool + 'i>, cost: Cost| {
            let n = count(data.participants().filter(|p| member(p)).count());
            if n > 0 && self.judge(&all, member.as_ref(), n).is_none() {
                out.push(Candidate {
                    member,
                    cost,
                    n,
                    protected: false,
                });
            }
        };
        let mut months: Vec<Month> = data.participants().map(|p| p.month()).collect();
        months.sort();
        months.dedup();
        for month in months {
            push(Box::new(move |p| p.month() == month), Cost::Month);
        }
        for campaign in data.campaigns() {
            push(Box::new(move |p| p.campaign == *campaign), Cost::Campaign);
        }
        for level in 1..=5u8 {
            push(
                Box::new(move |p| p.response.overall_level() == level),
                Cost::Single,
            );
        }
        for from in 1..=5u8 {
            for to in from + 1..=5 {
                if (from, to) != (1, 5) {
                    let band = LevelBand { from, to };
                    push(
                        Box::new(move |p| band.contains(p.response.overall_level())),
                        Cost::Merged,
                    );
                }
            }
        }
        for id in &self.inputs.catalogue.red_flags {
            let lacks = count(
                data.participants()
                    .filter(|p| !p.response.red_flags().contains(id))
                    .count(),
            );
            let lacking: Member<'_> = &|p| !p.response.red_flags().contains(id);
            if self.judge(&all, lacking, lacks).is_none() {
                push(
                    Box::new(move |p| p.response.red_flags().contains(id)),
                    Cost::Single,
                );
            }
        }
        for &x in Industry::ALL {
            push(Box::new(move |p| p.profile.industry == x), Cost::Single);
        }
        for &x in SizeClass::ALL {
            push(Box::new(move |p| p.profile.size == x), Cost::Single);
        }
        for &x in Region::ALL {
            push(Box::new(move |p| p.profile.region == x), Cost::Single);
        }
        for x in Sector::ALL {
            push(
                Box::new(move |p| Sector::of(p.profile.industry) == x),
                Cost::Merged,
            );
        }
        for x in SizeBand::ALL {
            push(
                Box::new(move |p| SizeBand::of(p.profile.size) == x),
                Cost::Merged,
            );
        }
        for x in RegionGroup::ALL {
            push(
                Box::new(move |p| RegionGroup::of(p.profile.region) == x),
                Cost::Merged,
            );
        }
        out
    }

    fn selection(&self, filter: &Filter, member: Member<'_>) -> Vec<&'a ParticipantSummary> {
        let matches = self.inputs.data.matches(filter);
        self.inputs
            .data
            .participants()
            .enumerate()
            .filter(|&(i, p)| matches(i) && member(p))
            .map(|(_, p)| p)
            .collect()
    }

    /// Threshold and differencing for the set `filter ∧ member`.
    fn judge(&self, filter: &Filter, member: Member<'_>, n: u32) -> Option<SuppressionReason> {
        self.judge_at(filter, &|_, p| member(p), n)
    }

    /// [`View::judge`] with `member` told each participant's index in the data too.
    fn judge_at(&self, filter: &Filter, member: MemberAt<'_>, n: u32) -> Option<SuppressionReason> {
        if n < self.k {
            return Some(SuppressionReason::TooFew);
        }
        verdict(
            n,
            self.k,
            smallest_step_at(self.inputs.data, filter, member),
        )
        .or_else(|| {
            moved_by_fewer_than_k_at(self.inputs.data, filter, member, self.k)
                .then_some(SuppressionReason::Differencing)
        })
    }

    /// [`View::judge`] for the set `filter ∧ level` (`0`: any level), from the data's code
    /// counts: the same rules on the same numbers, without a pass over every participant (the
    /// code lattice asks this for every cell and level).
    fn judge_counted(&self, filter: &Filter, level: u8, n: u32) -> Option<SuppressionReason> {
        if n < self.k {
            return Some(SuppressionReason::TooFew);
        }
        verdict(
            n,
            self.k,
            smallest_step_counted(self.inputs.data, filter, level),
        )
        .or_else(|| {
            moved_by_fewer_than_k_counted(self.inputs.data, filter, level, self.k)
                .then_some(SuppressionReason::Differencing)
        })
    }

    /// The audit on top of a verdict: a set that would be shown is hidden (`Complementary`)
    /// unless it lies in the span of the audited family.
    fn audit_allows(
        &self,
        filter: &Filter,
        member: Member<'_>,
        verdict: Option<SuppressionReason>,
    ) -> Option<SuppressionReason> {
        verdict.or_else(|| {
            (!self.audit.whole(self.inputs.data, filter, member))
                .then_some(SuppressionReason::Complementary)
        })
    }

    fn dashboard(&self, filter: &Filter) -> Result<Dashboard, DashboardError> {
        let everyone: Member<'_> = &|_| true;
        let selected = self.selection(filter, everyone);
        let n = count(selected.len());
        // Verdicts of the selection and its industry, size and region parts come from one joint
        // decision over all code cells of this campaign set and period, so each cell reads the
        // same in every view that shows it.
        let lattice = self.code_lattice(filter);
        let view = self.audit_allows(filter, everyone, lattice.part(codes(filter)).verdict);
        let breakdown_part = |codes: Codes| {
            let part_filter = with_codes(filter, codes);
            let members = self.selection(&part_filter, everyone);
            let mut part = lattice.part(codes);
            part.verdict = self.audit_allows(&part_filter, everyone, part.verdict);
            (members, part)
        };
        let (i, s, r) = codes(filter);
        let by_industry: Vec<_> = Industry::ALL
            .iter()
            .filter(|_| i.is_none())
            .map(|&x| {
                let (members, part) = breakdown_part((Some(x), s, r));
                (x, members, part)
            })
            .collect();
        let by_size: Vec<_> = SizeClass::ALL
            .iter()
            .filter(|_| s.is_none())
            .map(|&x| {
                let (members, part) = breakdown_part((i, Some(x), r));
                (x, members, part)
            })
            .collect();
        let by_region: Vec<_> = Region::ALL
            .iter()
            .filter(|_| r.is_none())
            .map(|&x| {
                let (members, part) = breakdown_part((i, s, Some(x)));
                (x, members, part)
            })
            .collect();

        // Months: each is a requestable period; protected within this view. If that fails
        // (everyone in one hidden month), every month is hidden alike, so that no reason
        // tells the full month from the empty ones.
        let months = self.months(filter);
        let mut participation: Vec<(Month, Part)> = months
            .iter()
            .map(|&m| {
                let part_filter = filter.with_period(Period::month(m));
                let n = count(self.selection(&part_filter, everyone).len());
                (
                    m,
                    Part {
                        n,
                        verdict: self.judge(&part_filter, everyone, n),
                    },
                )
            })
            .collect();
        let mut month_parts: Vec<Part> = participation.iter().map(|(_, p)| *p).collect();
        let months_covered = protect_partition(self.k, &mut month_parts);
        for ((month, part), protected) in participation.iter_mut().zip(month_parts) {
            part.verdict = if months_covered {
                self.audit_allows(
                    &filter.with_period(Period::month(*month)),
                    everyone,
                    protected.verdict,
                )
            } else {
                Some(SuppressionReason::Complementary)
            };
        }
        // Levels: shown only in this view; the lattice already hid the selection if they
        // cannot be protected.
        let (mut levels, _) = self.level_parts(filter, &selected);
        for (level, part) in (1..=5u8).zip(levels.iter_mut()) {
            part.verdict = self.audit_allows(
                filter,
                &move |p| p.response.overall_level() == level,
                part.verdict,
            );
        }

        let overall = |p: &ParticipantSummary| Some(p.response.overall_score());
        let whole = Part { n, verdict: view };

        let all_firms = self.inputs.all_firms;
        let mut scores = vec![ScoreRow {
            id: "overall".to_owned(),
            cohort: cell_of(view, &whole, spread(&selected, &overall)),
            all_firms: all_firms_cell(all_firms, |s| Some(&s.stats().overall)),
        }];
        for (i, id) in self.inputs.catalogue.dimensions.iter().enumerate() {
            let dimension = |p: &ParticipantSummary| p.response.dimension_scores().get(i).copied();
            scores.push(ScoreRow {
                id: id.clone(),
                cohort: cell_of(view, &whole, spread(&selected, &dimension)),
                all_firms: all_firms_cell(all_firms, |s| s.stats().dimensions.get(i)),
            });
        }

        Ok(Dashboard {
            k: self.k,
            filter: filter.clone(),
            participants: Cell::from_verdict(view, n, || n),
            participation: participation
                .into_iter()
                .map(|(key, part)| Keyed {
                    key,
                    cell: Cell::from_verdict(view.or(part.verdict), part.n, || part.n),
                })
                .collect(),
            levels: (1..=5u8)
                .zip(levels)
                .map(|(key, part)| Keyed {
                    key,
                    cell: Cell::from_verdict(view.or(part.verdict), n, || share(part.n, n)),
                })
                .collect(),
            scores,
            by_industry: breakdown(view, by_industry),
            by_size: breakdown(view, by_size),
            by_region: breakdown(view, by_region),
            red_flags: self.red_flags(filter, &selected, view),
            level_bands: self.level_bands(filter, &selected, view),
            by_sector: self.groups(filter, &selected, view, i.is_none(), &Sector::ALL, |p| {
                Sector::of(p.profile.industry)
            }),
            by_size_band: self.groups(filter, &selected, view, s.is_none(), &SizeBand::ALL, |p| {
                SizeBand::of(p.profile.size)
            }),
            by_region_group: self.groups(
                filter,
                &selected,
                view,
                r.is_none(),
                &RegionGroup::ALL,
                |p| RegionGroup::of(p.profile.region),
            ),
            change: None,
        })
    }

    /// Threshold, differencing, the rule over time and the audit for `filter ∧ member`.
    fn judge_shown(
        &self,
        filter: &Filter,
        member: Member<'_>,
        n: u32,
    ) -> Option<SuppressionReason> {
        self.audit_allows(filter, member, self.judge(filter, member, n))
    }

    /// The finest bands of adjacent levels that can be shown (see [`Dashboard::level_bands`]).
    ///
    /// Start from every cut between levels whose "at most this level" set lies in the audited span
    /// (so its bands are too); while a non-empty band is hidden or a band is empty, merge it
    /// with its smaller neighbour. The bands then get complementary protection like the levels.
    fn level_bands(
        &self,
        filter: &Filter,
        selected: &[&ParticipantSummary],
        view: Option<SuppressionReason>,
    ) -> Vec<Keyed<LevelBand, Share>> {
        let n = count(selected.len());
        let mut cuts: Vec<u8> = (1..=4u8)
            .filter(|&c| {
                self.audit.whole(self.inputs.data, filter, &move |p| {
                    p.response.overall_level() <= c
                })
            })
            .collect();
        let judged = |cuts: &[u8]| -> Vec<(LevelBand, Part)> {
            let mut bounds = vec![0u8];
            bounds.extend(cuts.iter().copied());
            bounds.push(5);
            bounds
                .windows(2)
                .map(|w| {
                    let band = LevelBand {
                        from: w.first().copied().unwrap_or(0) + 1,
                        to: w.get(1).copied().unwrap_or(5),
                    };
                    let member: Member<'_> = &move |p| band.contains(p.response.overall_level());
                    let m = count(selected.iter().filter(|p| member(p)).count());
                    let verdict = view.or_else(|| self.judge_shown(filter, member, m));
                    (band, Part { n: m, verdict })
                })
                .collect()
        };
        let mut bands = judged(&cuts);
        while view.is_none()
            && let Some(i) = bands
                .iter()
                .position(|(_, part)| part.n == 0 || part.verdict.is_some())
            && !cuts.is_empty()
        {
            // Merge band i with its smaller neighbour: drop the cut between them.
            let left = i.checked_sub(1).and_then(|j| bands.get(j)).map(|b| b.1.n);
            let right = bands.get(i + 1).map(|b| b.1.n);
            let cut = match (left, right) {
                (Some(l), Some(r)) if l <= r => i - 1,
                (Some(_), None) => i - 1,
                _ => i,
            };
            if cut < cuts.len() {
                cuts.remove(cut);
            } else {
                break;
            }
            bands = judged(&cuts);
        }
        let mut parts: Vec<Part> = bands.iter().map(|(_, p)| *p).collect();
        let covered = view.is_some() || protect_partition(self.k, &mut parts);
        bands
            .into_iter()
            .zip(parts)
            .map(|((band, _), part)| {
                let verdict = if covered {
                    part.verdict
                } else {
                    Some(SuppressionReason::Complementary)
                };
                Keyed {
                    key: band,
                    cell: Cell::from_verdict(verdict, n, || share(part.n, n)),
                }
            })
            .collect()
    }

    /// A breakdown by a coarser grouping (sector, size band, part of Germany): each group a set
    /// judged like any other and in the audited span, then protected as a partition of the
    /// selection (if that fails, every group is hidden). Only groups some selected firm chose
    /// are listed; none when the filter fixes the finer code (`open` false).
    fn groups<G: Copy + PartialEq>(
        &self,
        filter: &Filter,
        selected: &[&ParticipantSummary],
        view: Option<SuppressionReason>,
        open: bool,
        all: &[G],
        group_of: fn(&ParticipantSummary) -> G,
    ) -> Vec<Keyed<G, Spread>> {
        if !open {
            return Vec::new();
        }
        let rows: Vec<(G, Vec<&ParticipantSummary>, Part)> = all
            .iter()
            .map(|&g| {
                let member: Member<'_> = &move |p| group_of(p) == g;
                let members: Vec<&ParticipantSummary> =
                    selected.iter().copied().filter(|p| member(p)).collect();
                let m = count(members.len());
                let verdict = view.or_else(|| self.judge_shown(filter, member, m));
                (g, members, Part { n: m, verdict })
            })
            .collect();
        let mut parts: Vec<Part> = rows.iter().map(|(_, _, p)| *p).collect();
        let covered = view.is_some() || protect_partition(self.k, &mut parts);
        let rows = rows
            .into_iter()
            .zip(parts)
            .map(|((g, members, _), part)| {
                let part = if covered {
                    part
                } else {
                    Part {
                        verdict: Some(SuppressionReason::Complementary),
                        ..part
                    }
                };
                (g, members, part)
            })
            .collect();
        breakdown(view, rows)
    }

    /// The months of the request that hold data: the period clipped to the published data.
    fn months(&self, filter: &Filter) -> Vec<Month> {
        let months: Vec<Month> = self.inputs.data.participants().map(|p| p.month()).collect();
        let (Some(&first), Some(&last)) = (months.iter().min(), months.iter().max()) else {
            return Vec::new();
        };
        let (from, to) = match filter.period {
            Some(p) => (p.from().max(first), p.to().min(last)),
            None => (first, last),
        };
        (from.index()..=to.index()).map(Month::from_index).collect()
    }

    /// The overall levels 1..=5 of a selection as parts, protected by complementary
    /// suppression; `false` if only hiding the selection protects them.
    fn level_parts(&self, filter: &Filter, selected: &[&ParticipantSummary]) -> (Vec<Part>, bool) {
        let mut parts: Vec<Part> = (1..=5u8)
            .map(|level| {
                let n = count(
                    selected
                        .iter()
                        .filter(|p| p.response.overall_level() == level)
                        .count(),
                );
                Part {
                    n,
                    verdict: self.judge_counted(filter, level, n),
                }
            })
            .collect();
        let covered = protect_partition(self.k, &mut parts);
        (parts, covered)
    }

    /// Joint verdicts for every combination of industry, size and region (each set or not)
    /// within the campaigns and period of `filter`.
    ///
    /// Start: threshold, differencing, and the selection's own level partition. Then, until
    /// nothing changes, every partition of a cell by industry, size or region is protected:
    /// under a shown cell by [`protect_partition`] (hiding the parent if no part can cover),
    /// under a hidden cell of `n ≥ k` by [`protect_hidden_parent`], so that it cannot be
    /// rebuilt as the sum of its shown parts. Doing this
    /// for all cells at once (like the benchmark's `disclose`) keeps a cell hidden to protect a
    /// sibling hidden also when it is requested directly.
    fn code_lattice(&self, filter: &Filter) -> CodeLattice {
        let context = with_codes(filter, (None, None, None));
        let members = self.selection(&context, &|_| true);
        let mut counts: BTreeMap<Codes, Vec<&ParticipantSummary>> = BTreeMap::new();
        for p in &members {
            let profile = p.profile;
            for keep in 0u8..8 {
                let key = (
                    Some(profile.industry).filter(|_| keep & 1 != 0),
                    Some(profile.size).filter(|_| keep & 2 != 0),
                    Some(profile.region).filter(|_| keep & 4 != 0),
                );
                counts.entry(key).or_default().push(p);
            }
        }
        let mut cells: BTreeMap<Codes, Part> = counts
            .iter()
            .map(|(&key, selected)| {
                let cell_filter = with_codes(filter, key);
                let n = count(selected.len());
                let mut verdict = self.judge_counted(&cell_filter, 0, n);
                if verdict.is_none() && !self.level_parts(&cell_filter, selected).1 {
                    verdict = Some(SuppressionReason::Complementary);
                }
                (key, Part { n, verdict })
            })
            .collect();

        // Each round hides at least one more cell, so this ends.
        loop {
            let mut changed = false;
            let parents: Vec<Codes> = cells.keys().copied().collect();
            for parent in parents {
                for keys in partitions(parent) {
                    let Some(&Part { n, verdict }) = cells.get(&parent) else {
                        break;
                    };
                    let mut parts: Vec<Part> = keys
                        .iter()
                        .map(|k| cells.get(k).copied().unwrap_or(EMPTY))
                        .collect();
                    let covered = match verdict {
                        None => protect_partition(self.k, &mut parts),
                        Some(_) if n >= self.k => {
                            protect_hidden_parent(self.k, &mut parts);
                            true
                        }
                        Some(_) => true,
                    };
                    for (key, part) in keys.iter().zip(parts) {
                        if let Some(cell) = cells.get_mut(key)
                            && *cell != part
                        {
                            *cell = part;
                            changed = true;
                        }
                    }
                    if !covered && let Some(cell) = cells.get_mut(&parent) {
                        cell.verdict = Some(SuppressionReason::Complementary);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        CodeLattice { cells }
    }

    /// Red flag shares. A row is shown only if at least `k` selected firms have the flag *and*
    /// at least `k` do not ("all but two have it" reveals the two), and neither group differs
    /// from its counterpart in a containing view by 1..k−1.
    fn red_flags(
        &self,
        filter: &Filter,
        selected: &[&ParticipantSummary],
        view: Option<SuppressionReason>,
    ) -> Vec<Keyed<String, Share>> {
        let n = count(selected.len());
        let mut rows: Vec<Keyed<String, Share>> = self
            .inputs
            .catalogue
            .red_flags
            .iter()
            .map(|id| {
                let with = count(
                    selected
                        .iter()
                        .filter(|p| p.response.red_flags().contains(id))
                        .count(),
                );
                let verdict = view.or_else(|| {
                    // Who has the flag, once per flag: the rules below pass over the data
                    // several times, and comparing flag ids (strings) per pass was costly.
                    let flagged: Vec<bool> = self
                        .inputs
                        .data
                        .participants()
                        .map(|p| p.response.red_flags().contains(id))
                        .collect();
                    let has: MemberAt<'_> = &|i, _| flagged.get(i).copied().unwrap_or(false);
                    let lacks: MemberAt<'_> = &|i, _| !flagged.get(i).copied().unwrap_or(true);
                    let judged = self
                        .judge_at(filter, has, with)
                        .or_else(|| self.judge_at(filter, lacks, n - with));
                    let data = self.inputs.data;
                    judged.or_else(|| {
                        (!(self.audit.whole_at(data, filter, has)
                            && self.audit.whole_at(data, filter, lacks)))
                        .then_some(SuppressionReason::Complementary)
                    })
                });
                Keyed {
                    key: id.clone(),
                    cell: Cell::from_verdict(verdict, n, || share(with, n)),
                }
            })
            .collect();
        // Most common first; suppressed rows keep catalogue order (sorting them would leak).
        rows.sort_by(|a, b| match (a.cell.value(), b.cell.value()) {
            (Some(x), Some(y)) => y.count.cmp(&x.count),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        rows
    }
}

fn spread(
    members: &[&ParticipantSummary],
    scores: &dyn Fn(&ParticipantSummary) -> Option<u8>,
) -> Option<Spread> {
    Spread::of(members.iter().filter_map(|p| scores(p)))
}

/// A part's cell; every cell of a hidden selection is hidden for the selection's reason.
fn cell_of(view: Option<SuppressionReason>, part: &Part, value: Option<Spread>) -> Cell<Spread> {
    match (view, part.verdict, value) {
        (Some(reason), _, _) | (None, Some(reason), _) => Cell::hidden(reason),
        (None, None, Some(value)) => Cell::Published { n: part.n, value },
        (None, None, None) => Cell::hidden(SuppressionReason::TooFew),
    }
}

/// Overall score spread per part of a breakdown.
fn breakdown<K>(
    view: Option<SuppressionReason>,
    parts: Vec<(K, Vec<&ParticipantSummary>, Part)>,
) -> Vec<Keyed<K, Spread>> {
    let overall = |p: &ParticipantSummary| Some(p.response.overall_score());
    parts
        .into_iter()
        // Categories nobody in the (shown) selection chose are left out rather than listed
        // as suppressed rows. Under a hidden selection every row is kept, all alike.
        .filter(|(_, members, _)| view.is_some() || !members.is_empty())
        .map(|(key, members, part)| Keyed {
            key,
            cell: cell_of(view, &part, spread(&members, &overall)),
        })
        .collect()
}

/// Industry, size class and region of a request, each set or not.
type Codes = (Option<Industry>, Option<SizeClass>, Option<Region>);

/// An empty cell: nothing to show, nothing to protect.
const EMPTY: Part = Part {
    n: 0,
    verdict: Some(SuppressionReason::TooFew),
};

fn codes(f: &Filter) -> Codes {
    (f.industry, f.size, f.region)
}

fn with_codes(f: &Filter, (industry, size, region): Codes) -> Filter {
    Filter {
        industry,
        size,
        region,
        ..f.clone()
    }
}

/// The partitions of a code cell: by industry, size or region, for each one it leaves open.
fn partitions((i, s, r): Codes) -> Vec<Vec<Codes>> {
    let mut out = Vec::new();
    if i.is_none() {
        out.push(Industry::ALL.iter().map(|&x| (Some(x), s, r)).collect());
    }
    if s.is_none() {
        out.push(SizeClass::ALL.iter().map(|&x| (i, Some(x), r)).collect());
    }
    if r.is_none() {
        out.push(Region::ALL.iter().map(|&x| (i, s, Some(x))).collect());
    }
    out
}

/// The joint verdicts of one campaign set and period; cells absent are empty.
struct CodeLattice {
    cells: BTreeMap<Codes, Part>,
}

impl CodeLattice {
    fn part(&self, codes: Codes) -> Part {
        self.cells.get(&codes).copied().unwrap_or(EMPTY)
    }
}

fn all_firms_cell(
    all_firms: Option<&Disclosure>,
    measure: impl Fn(&PublishedStats) -> Option<&MeasureStats>,
) -> Cell<Spread> {
    match all_firms {
        Some(Disclosure::Published(a)) => match measure(a) {
            Some(m) => Cell::Published {
                n: a.n(),
                value: Spread::of_stats(m),
            },
            None => Cell::hidden(SuppressionReason::TooFew),
        },
        Some(Disclosure::Suppressed(reason)) => Cell::hidden(*reason),
        None => Cell::hidden(SuppressionReason::TooFew),
    }
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn share(count: u32, n: u32) -> Share {
    Share {
        count,
        share: if n == 0 {
            0.0
        } else {
            f64::from(count) / f64::from(n)
        },
    }
}

const _: () = assert!(LEVELS == 5, "level rows assume five levels");
