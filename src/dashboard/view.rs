//! The chamber dashboard: every number a [`Cell`] with its `n`, computed from published
//! snapshots and cleared by the rules in [`disclosure`](super::disclosure).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::audit::{Audit, Candidate, Cost, Coverage, Withheld};
use super::disclosure::{PublishedCampaigns, Release, release_at, release_counted};
use super::error::DashboardError;
use super::filter::{Filter, Period};
use super::groups::{LevelBand, RegionGroup, Sector, SizeBand};
use super::history::{KeptSet, Known, Rule};
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Cell<T> {
    /// May be shown on pages, CSV and PDF.
    Published {
        /// Participants the value is computed from.
        n: u32,
        /// The value.
        value: T,
        /// Shown at an earlier state of the data (its newest figure could not be shown): the
        /// month of the latest response that state counted ("Stand: März 2026"). See the
        /// `dashboard` notes, "Earlier figures".
        #[serde(skip_serializing_if = "Option::is_none")]
        as_of: Option<Month>,
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

    fn from_verdict(
        verdict: Option<SuppressionReason>,
        n: u32,
        as_of: Option<Month>,
        value: impl FnOnce() -> T,
    ) -> Self {
        match verdict {
            Some(reason) => Cell::hidden(reason),
            None => Cell::Published {
                n,
                value: value(),
                as_of,
            },
        }
    }

    /// The month of the earlier state the value is shown at, if it is (see
    /// [`Cell::Published`]).
    pub fn as_of(&self) -> Option<Month> {
        match self {
            Cell::Published { as_of, .. } => *as_of,
            Cell::Suppressed { .. } => None,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyed<K, T> {
    /// What the cell is about.
    pub key: K,
    /// The cell.
    pub cell: Cell<T>,
}

/// A count within a set of `n`: `share = count / n`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Participants with the property.
    pub count: u32,
    /// `count / n`, 0.0..=1.0.
    pub share: f64,
}

/// Median and interquartile range of a score (nearest-rank, see [`percentile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    /// Dimension id, or `overall`.
    pub id: String,
    /// The selected participants.
    pub cohort: Cell<Spread>,
    /// All firms, from the benchmark's published all-firms cohort.
    pub all_firms: Cell<Spread>,
}

/// The requested period against an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodChange {
    /// The earlier period.
    pub before: Period,
    /// Participants.
    pub participants: Cell<Change>,
    /// Overall median score, then each dimension's median, in catalogue order.
    pub medians: Vec<Keyed<String, Change>>,
}

/// Everything a chamber may see for one filter.
/// [`Dashboard::kept_form`]: the dashboard and its shares' exact bits.
#[derive(Serialize, Deserialize)]
struct KeptForm {
    dashboard: Dashboard,
    shares: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
            campaigns.push((
                publication.campaign().clone(),
                publication.sizes().to_vec(),
                publication.epochs(),
            ));
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
    /// The dashboard's stored form, kept across restarts (task prev): its JSON (the API's
    /// form) with each share's exact bits beside it, as the JSON reader returns some decimal
    /// forms one bit off (7 of 30 firms, 0.23333333333333334, in a test). `None` if it still
    /// does not read back equal: a kept dashboard must show exactly the figures computed.
    pub fn kept_form(&self) -> Option<Vec<u8>> {
        let mut copy = self.clone();
        let shares = copy.shares().into_iter().map(|s| s.to_bits()).collect();
        let form = serde_json::to_vec(&KeptForm {
            dashboard: copy,
            shares,
        })
        .ok()?;
        (Dashboard::from_kept_form(&form).as_ref() == Some(self)).then_some(form)
    }

    /// Reads [`Dashboard::kept_form`]; `None` if it does not parse (then not served).
    pub fn from_kept_form(form: &[u8]) -> Option<Dashboard> {
        let KeptForm {
            mut dashboard,
            shares,
        } = serde_json::from_slice(form).ok()?;
        let mut exact = dashboard.shares();
        if exact.len() != shares.len() {
            return None;
        }
        for (share, bits) in exact.iter_mut().zip(shares) {
            **share = f64::from_bits(bits);
        }
        drop(exact);
        Some(dashboard)
    }

    /// Every published share, in a fixed order (for [`Dashboard::kept_form`]).
    pub(crate) fn shares(&mut self) -> Vec<&mut f64> {
        fn of<K>(rows: &mut [Keyed<K, Share>]) -> impl Iterator<Item = &mut f64> {
            rows.iter_mut().filter_map(|row| match &mut row.cell {
                Cell::Published { value, .. } => Some(&mut value.share),
                Cell::Suppressed { .. } => None,
            })
        }
        of(&mut self.levels)
            .chain(of(&mut self.red_flags))
            .chain(of(&mut self.level_bands))
            .collect()
    }

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
                as_of: None,
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
    /// The earlier states of the data the history recorded, latest first (see the `dashboard`
    /// notes, "Earlier figures"); empty without a history.
    points: Vec<Point>,
}

/// An earlier state of the chamber's data, as recorded in the history: per campaign the
/// publication then current (members with `since ≤ end` counted), its chamber-wide epoch, and
/// the month of the latest response it counted (what "as of" names).
struct Point {
    ends: Vec<u32>,
    epoch: u64,
    month: Month,
}

/// A member test told the participant's index in the data too.
type MemberAt<'m> = &'m dyn Fn(usize, &ParticipantSummary) -> bool;

/// One set as the dashboard shows it: its released part (see `disclosure::Release`) and its
/// verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    /// Members now; a breakdown lists a row only if this is not 0.
    current: u32,
    /// Members released: the `n` shown.
    n: u32,
    verdict: Option<SuppressionReason>,
    /// Shown at an earlier state (see [`Cell::Published`]).
    as_of: Option<Month>,
}

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
            points: Vec::new(),
        };
        let audit = match inputs.data.cached_audit(k) {
            Some(audit) => std::borrow::Cow::Borrowed(audit),
            None => {
                let (candidates, withheld, coverage) = judge_only.candidates()?;
                let due = super::audit::due(coverage, k);
                let audit = Audit::new_when(inputs.data, &candidates, &withheld, k, due);
                match inputs.data.cache_audit(audit.clone()) {
                    Some(cached) if cached.k() == k => {
                        inputs.data.note_kept(cached.records().to_vec());
                        std::borrow::Cow::Borrowed(cached)
                    }
                    _ => {
                        inputs.data.note_kept(audit.records().to_vec());
                        std::borrow::Cow::Owned(audit)
                    }
                }
            }
        };
        let points = points(inputs.data)?;
        Ok(Self {
            inputs,
            k,
            audit,
            points,
        })
    }

    /// The sets of the whole data a chamber most wants, each passing its own rules, as their
    /// released parts: the audit's candidates (see `audit`). And those of them hidden by the
    /// rule over time after an erasure or change, as they are now: the audit keeps them out of
    /// the span, so that no sum or difference of shown counts gives the state that may differ
    /// from an earlier shown one by the erased firm (what complementary suppression protected).
    /// With them, what the data holds beyond the recorded history (see `audit::due`).
    fn candidates(
        &self,
    ) -> Result<(Vec<Candidate<'i>>, Vec<Withheld<'i>>, Coverage), DashboardError> {
        let data: &'i PublishedCampaigns<'a> = self.inputs.data;
        let k = self.k;
        let all = Filter::all();
        let known = data.known()?;
        let coverage = data.coverage(&known);
        let everyone = release_at(data, &all, &|_, _| true, k);
        let mut out: Vec<Candidate<'i>> = vec![Candidate {
            n: everyone.n,
            records: vec![KeptSet {
                set: Rule::Everyone.key(),
                ends: data.recorded_ends(everyone.ends()),
            }],
            member: Box::new(move |i, _| everyone.holds(data, i)),
            cost: Cost::Single,
            // Never dropped while nothing is known; with a history, the last to go (a
            // combination of known sets and everyone alone may isolate a group).
            protected: known.is_empty(),
            earlier: Vec::new(),
            ghosted: false,
        }];
        let mut withheld: Vec<Withheld<'i>> = Vec::new();
        let mut push = |rule: Rule, cost: Cost| {
            let rule = std::rc::Rc::new(rule);
            let release = release_at(data, &all, &|_, p| rule.contains(p), k);
            // A set whose figures lag (members not yet released) may have been shown with its
            // released part before, so its current state must not be derivable either: the
            // difference would be the lag, a group of 1..k−1 in some campaign part (e.g.
            // everyone minus the other industry now, against this industry shown earlier).
            // (Under `k` now, the set is a small group, which the audit keeps out anyway.)
            if release.withheld(k) || (release.current >= k && release.current != release.n) {
                let current = std::rc::Rc::clone(&rule);
                withheld.push(Box::new(move |_, p| current.contains(p)));
            }
            if !release.withheld(k) && release.n > 0 && release.verdict(k).is_none() {
                let record = |ends: &[u32]| KeptSet {
                    set: rule.key(),
                    ends: data.recorded_ends(ends),
                };
                let mut records = vec![record(release.ends())];
                // Its earlier chain elements, offered if the last one is dropped.
                let earlier: Vec<Withheld<'i>> = release
                    .earlier()
                    .map(|element| {
                        records.push(record(element.ends()));
                        let rule = std::rc::Rc::clone(&rule);
                        let at: Withheld<'i> =
                            Box::new(move |i, p| rule.contains(p) && element.holds(data, i));
                        at
                    })
                    .collect();
                out.push(Candidate {
                    n: release.n,
                    member: Box::new(move |i, p| rule.contains(p) && release.holds(data, i)),
                    cost,
                    protected: false,
                    earlier,
                    records,
                    ghosted: false,
                });
            }
        };
        let mut months: Vec<Month> = data.participants().map(|p| p.month()).collect();
        months.sort();
        months.dedup();
        for month in months {
            push(Rule::Month(month), Cost::Month);
        }
        for campaign in data.campaigns() {
            push(Rule::Campaign(campaign.clone()), Cost::Campaign);
        }
        for level in 1..=5u8 {
            push(Rule::Level(level), Cost::Single);
        }
        for from in 1..=5u8 {
            for to in from + 1..=5 {
                if (from, to) != (1, 5) {
                    push(Rule::Band(LevelBand { from, to }), Cost::Merged);
                }
            }
        }
        for id in &self.inputs.catalogue.red_flags {
            push(Rule::Flag(id.clone()), Cost::Single);
        }
        for &x in Industry::ALL {
            push(Rule::Industry(x), Cost::Single);
        }
        for &x in SizeClass::ALL {
            push(Rule::Size(x), Cost::Single);
        }
        for &x in Region::ALL {
            push(Rule::Region(x), Cost::Single);
        }
        for x in Sector::ALL {
            push(Rule::Sector(x), Cost::Merged);
        }
        for x in SizeBand::ALL {
            push(Rule::SizeBand(x), Cost::Merged);
        }
        for x in RegionGroup::ALL {
            push(Rule::RegionGroup(x), Cost::Merged);
        }
        // The history: every set kept at an earlier state, as known (never dropped). Sets
        // with the same members now and the same ghost status are one vector: kept once.
        let mut seen = std::collections::HashSet::new();
        let participants: Vec<&ParticipantSummary> = data.participants().collect();
        for set in known {
            let members: Vec<usize> = participants
                .iter()
                .enumerate()
                .filter(|&(i, p)| set.rule.contains(p) && data.held_by(&set.ends, i))
                .map(|(i, _)| i)
                .collect();
            // A ghosted set is kept apart even if its members equal another's: its departed
            // members may differ.
            if !set.ghosted && (members.is_empty() || !seen.insert(members)) {
                continue;
            }
            let Known {
                rule,
                ends,
                ghosted,
            } = set;
            out.push(Candidate {
                n: 0,
                member: Box::new(move |i, p| rule.contains(p) && data.held_by(&ends, i)),
                cost: Cost::Single,
                protected: true,
                earlier: Vec::new(),
                records: Vec::new(),
                ghosted,
            });
        }
        Ok((out, withheld, coverage))
    }

    /// The released members of `filter ∧ member` (what its figures are computed from).
    fn released(
        &self,
        filter: &Filter,
        member: MemberAt<'_>,
        release: &Release,
    ) -> Vec<&'a ParticipantSummary> {
        let data = self.inputs.data;
        data.selected(filter)
            .iter()
            .filter_map(|&i| Some((i, data.participant(i)?)))
            .filter(|&(i, p)| member(i, p) && release.holds(data, i))
            .map(|(_, p)| p)
            .collect()
    }

    /// Threshold, the rule over time and the audit for the set `filter ∧ member`; `earlier`:
    /// whether it may be shown at an earlier chain element (not for merged rows, see
    /// [`View::part`]).
    fn judged_at(&self, filter: &Filter, member: MemberAt<'_>, earlier: bool) -> (Release, Part) {
        let release = release_at(self.inputs.data, filter, member, self.k);
        self.part(filter, member, release, earlier)
    }

    /// [`View::judged_at`] for the set `filter ∧ level` (`0`: any level), its release read
    /// from the data's code counts (without a pass over every participant).
    fn judged_counted(&self, filter: &Filter, level: u8) -> (Release, Part) {
        let release = release_counted(self.inputs.data, filter, level, self.k);
        let member: MemberAt<'_> = &|_, p| level == 0 || p.response.overall_level() == level;
        self.part(filter, member, release, true)
    }

    /// The audit on top of the release's own verdict: a set that would be shown is hidden
    /// (`Complementary`) unless its released part lies in the span of the audited family. If
    /// the last element of its chain does not but an earlier one does (the audit kept it in
    /// the last one's place), the set is shown at the latest such element, which is returned
    /// in place of `release` (see the module notes, "Earlier chain elements").
    ///
    /// Merged rows (bands of levels, sectors, size bands, parts of Germany) are never shown at
    /// an earlier element: a broad group showing fewer firms than a finer group inside it
    /// ("Produzierendes Gewerbe 7" beside "Herstellung 13", seen on the first-wave page) reads
    /// as an error, and these rows exist to show current counts where single rows cannot.
    fn part(
        &self,
        filter: &Filter,
        member: MemberAt<'_>,
        release: Release,
        earlier: bool,
    ) -> (Release, Part) {
        let data = self.inputs.data;
        let in_span = |r: &Release| {
            let released: MemberAt<'_> = &|i, p| member(i, p) && r.holds(data, i);
            self.audit.whole_at(data, filter, released)
        };
        let (release, verdict, as_of) = match release.verdict(self.k) {
            Some(reason) => (release, Some(reason), None),
            None if in_span(&release) => (release, None, None),
            None => {
                let element = earlier
                    .then(|| release.earlier().find(|r| in_span(r)))
                    .flatten();
                match element {
                    Some(element) => {
                        let month = self.month_at(element.ends());
                        (element, None, month)
                    }
                    None => match self.recorded(filter, member, &release, &in_span) {
                        Some((element, month)) => (element, None, Some(month)),
                        // Past the audit's work bound the set was not judged: said so.
                        None if self.audit.exhausted() => {
                            (release, Some(SuppressionReason::Unchecked), None)
                        }
                        // Not due for a full audit: the next one judges it.
                        None if self.audit.deferred() => {
                            (release, Some(SuppressionReason::Pending), None)
                        }
                        None => (release, Some(SuppressionReason::Complementary), None),
                    },
                }
            }
        };
        let part = Part {
            current: release.current,
            n: release.n,
            verdict,
            as_of,
        };
        (release, part)
    }

    /// The set `filter ∧ member` at the latest recorded earlier state whose part lies in the
    /// audited span (see the `dashboard` notes, "Earlier figures"), with that state's month.
    /// States that give the same members as one already tried, or fewer than `k`, are passed
    /// over; at most [`MAX_POINTS`] distinct ones are tried.
    fn recorded(
        &self,
        filter: &Filter,
        member: MemberAt<'_>,
        release: &Release,
        in_span: &dyn Fn(&Release) -> bool,
    ) -> Option<(Release, Month)> {
        if self.points.is_empty() {
            return None;
        }
        let data = self.inputs.data;
        let matches = data.matches(filter);
        let inside: Vec<usize> = data
            .participants()
            .enumerate()
            .filter(|&(i, p)| matches(i) && member(i, p))
            .map(|(i, _)| i)
            .collect();
        let mut tried: Vec<Vec<usize>> = Vec::new();
        for point in &self.points {
            let held: Vec<usize> = inside
                .iter()
                .copied()
                .filter(|&i| data.held_by(&point.ends, i))
                .collect();
            let n = u32::try_from(held.len()).unwrap_or(u32::MAX);
            if n < self.k || tried.contains(&held) {
                continue;
            }
            let element = release.at(point.ends.clone(), n);
            if in_span(&element) {
                return Some((element, point.month));
            }
            tried.push(held);
            if tried.len() >= MAX_POINTS {
                return None;
            }
        }
        None
    }

    /// The month of the latest response counted by `ends` (all campaigns): what "as of" names
    /// for a figure shown at an earlier chain element.
    fn month_at(&self, ends: &[u32]) -> Option<Month> {
        latest_month(self.inputs.data, ends)
    }

    fn dashboard(&self, filter: &Filter) -> Result<Dashboard, DashboardError> {
        let everyone: MemberAt<'_> = &|_, _| true;
        let (release, whole) = self.judged_counted(filter, 0);
        let view = whole.verdict;
        let selected = self.released(filter, everyone, &release);
        let n = whole.n;
        let breakdown_part = |codes: Codes| {
            let part_filter = with_codes(filter, codes);
            let (release, part) = self.judged_counted(&part_filter, 0);
            (self.released(&part_filter, everyone, &release), part)
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

        // Months, levels: each a set judged on its own (the audit protects the partition).
        let participation: Vec<(Month, Part)> = self
            .months(filter)
            .into_iter()
            .map(|m| {
                (
                    m,
                    self.judged_counted(&filter.with_period(Period::month(m)), 0)
                        .1,
                )
            })
            .collect();
        let levels: Vec<Part> = (1..=5u8)
            .map(|level| self.judged_counted(filter, level).1)
            .collect();

        let overall = |p: &ParticipantSummary| Some(p.response.overall_score());

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
            participants: Cell::from_verdict(view, n, whole.as_of, || n),
            participation: participation
                .into_iter()
                .map(|(key, part)| Keyed {
                    key,
                    cell: Cell::from_verdict(view.or(part.verdict), part.n, part.as_of, || part.n),
                })
                .collect(),
            levels: (1..=5u8)
                .zip(levels)
                .map(|(key, part)| Keyed {
                    key,
                    cell: Cell::from_verdict(view.or(part.verdict), n, part.as_of, || {
                        share(part.n, n)
                    }),
                })
                .collect(),
            scores,
            by_industry: breakdown(view, by_industry),
            by_size: breakdown(view, by_size),
            by_region: breakdown(view, by_region),
            red_flags: self.red_flags(filter, n, view),
            level_bands: self.level_bands(filter, n, view),
            by_sector: self.groups(filter, view, i.is_none(), &Sector::ALL, |p| {
                Sector::of(p.profile.industry)
            }),
            by_size_band: self.groups(filter, view, s.is_none(), &SizeBand::ALL, |p| {
                SizeBand::of(p.profile.size)
            }),
            by_region_group: self.groups(filter, view, r.is_none(), &RegionGroup::ALL, |p| {
                RegionGroup::of(p.profile.region)
            }),
            change: None,
        })
    }

    /// The finest bands of adjacent levels that can be shown (see [`Dashboard::level_bands`]).
    ///
    /// Start from every cut between levels whose "at most this level" set lies in the audited
    /// span (so its bands are likely to); while a band is empty or hidden, merge it with its
    /// smaller neighbour. Shares are of the selection's shown `n`.
    fn level_bands(
        &self,
        filter: &Filter,
        n: u32,
        view: Option<SuppressionReason>,
    ) -> Vec<Keyed<LevelBand, Share>> {
        let data = self.inputs.data;
        let mut cuts: Vec<u8> = (1..=4u8)
            .filter(|&c| {
                let below: MemberAt<'_> = &move |_, p| p.response.overall_level() <= c;
                let release = release_at(data, filter, below, self.k);
                self.audit
                    .whole_at(data, filter, &|i, p| below(i, p) && release.holds(data, i))
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
                    let (_, part) = if band.from == band.to {
                        self.judged_counted(filter, band.from)
                    } else {
                        self.judged_at(
                            filter,
                            &move |_, p| band.contains(p.response.overall_level()),
                            false,
                        )
                    };
                    (band, part)
                })
                .collect()
        };
        let mut bands = judged(&cuts);
        while view.is_none()
            && let Some(i) = bands
                .iter()
                .position(|(_, part)| part.current == 0 || part.verdict.is_some())
            && !cuts.is_empty()
        {
            // Merge band i with its smaller neighbour: drop the cut between them.
            let left = i
                .checked_sub(1)
                .and_then(|j| bands.get(j))
                .map(|b| b.1.current);
            let right = bands.get(i + 1).map(|b| b.1.current);
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
        bands
            .into_iter()
            .map(|(band, part)| Keyed {
                key: band,
                cell: Cell::from_verdict(view.or(part.verdict), n, part.as_of, || share(part.n, n)),
            })
            .collect()
    }

    /// A breakdown by a coarser grouping (sector, size band, part of Germany): each group a set
    /// judged like any other. Only groups some selected firm chose are listed; none when the
    /// filter fixes the finer code (`open` false).
    fn groups<G: Copy + PartialEq>(
        &self,
        filter: &Filter,
        view: Option<SuppressionReason>,
        open: bool,
        all: &[G],
        group_of: fn(&ParticipantSummary) -> G,
    ) -> Vec<Keyed<G, Spread>> {
        if !open {
            return Vec::new();
        }
        let rows = all
            .iter()
            .map(|&g| {
                let member: MemberAt<'_> = &move |_, p| group_of(p) == g;
                let (release, part) = self.judged_at(filter, member, false);
                (g, self.released(filter, member, &release), part)
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

    /// Red flag shares (of the selection's shown `n`). A row is shown if the firms with the
    /// flag are a shown set. Those without it are then `n` minus the count, a vector of the
    /// audited span, so "all but two have it" is found by the audit (which drops the flag or
    /// another candidate of that combination); no rule of its own is needed.
    fn red_flags(
        &self,
        filter: &Filter,
        n: u32,
        view: Option<SuppressionReason>,
    ) -> Vec<Keyed<String, Share>> {
        // Who has which flag, in one pass over the data: the rules below pass over it several
        // times per flag, and comparing flag ids (strings) there was costly. One pass per flag
        // looking each id up in every participant's set was still ~17 % of a new filter's
        // first view at 50,000 participants (issue 17); a participant's own few flags are
        // looked up in the catalogue instead. A flag listed twice uses its first row's members.
        let catalogue = &self.inputs.catalogue.red_flags;
        let mut first_row: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(catalogue.len());
        for (row, id) in catalogue.iter().enumerate() {
            first_row.entry(id.as_str()).or_insert(row);
        }
        let count = self.inputs.data.participants().count();
        let mut flagged: Vec<Vec<bool>> = vec![Vec::new(); catalogue.len()];
        for &row in first_row.values() {
            if let Some(members) = flagged.get_mut(row) {
                *members = vec![false; count];
            }
        }
        for (i, p) in self.inputs.data.participants().enumerate() {
            for flag in p.response.red_flags() {
                if let Some(member) = first_row
                    .get(flag)
                    .and_then(|&row| flagged.get_mut(row))
                    .and_then(|members| members.get_mut(i))
                {
                    *member = true;
                }
            }
        }
        let mut rows: Vec<Keyed<String, Share>> = catalogue
            .iter()
            .map(|id| {
                let flagged = first_row
                    .get(id.as_str())
                    .and_then(|&row| flagged.get(row))
                    .map_or(&[][..], Vec::as_slice);
                let has: MemberAt<'_> = &|i, _| flagged.get(i).copied().unwrap_or(false);
                let (_, with) = self.judged_at(filter, has, true);
                let verdict = view.or(with.verdict);
                Keyed {
                    key: id.clone(),
                    cell: Cell::from_verdict(verdict, n, with.as_of, || share(with.n, n)),
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

/// For attacker and property tests: the released part behind a shown count `n` of
/// `filter ∧ member` (after [`Dashboard::compute`] audited `data`): the last chain element or
/// an earlier one with `n` members, else the latest recorded earlier state with `n` members
/// whose part lies in the audited span (as [`View::recorded`] chooses it).
#[cfg(test)]
pub(crate) fn shown_release(
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
    member: &dyn Fn(&ParticipantSummary) -> bool,
    n: u32,
    k: u32,
) -> Option<Release> {
    let last = release_at(data, filter, &|_, p| member(p), k);
    if let Some(element) = last.element_with(n) {
        return Some(element);
    }
    let audit = data.cached_audit(k)?;
    let matches = data.matches(filter);
    for point in points(data).ok()? {
        let count = data
            .participants()
            .enumerate()
            .filter(|&(i, p)| matches(i) && member(p) && data.held_by(&point.ends, i))
            .count();
        if count == n as usize {
            let element = last.at(point.ends, n);
            if audit.whole_at(data, filter, &|i, p| member(p) && element.holds(data, i)) {
                return Some(element);
            }
        }
    }
    None
}

/// How many distinct earlier states of one set [`View::recorded`] tries (each a pass over the
/// set's members and a test against the span; the latest ones are the likely ones). 32 were
/// too few once long histories are audited in full: on the 2,000-firm wave with about four
/// looks the total and every breakdown were hidden (10/73 cells; with 256, 73/73 in the same
/// harness time; `utility_tests::utility_harness`). It bounds a view's work per figure that
/// falls back (a pass over its members per state tried).
const MAX_POINTS: usize = 256;

/// The distinct earlier states recorded in the history (each recorded set's `ends` is the
/// state of every campaign at the point its chain last stepped), latest first.
fn points(data: &PublishedCampaigns<'_>) -> Result<Vec<Point>, DashboardError> {
    let known = data.known()?;
    let mut seen = BTreeSet::new();
    let mut points: Vec<Point> = Vec::new();
    for set in known {
        if !seen.insert(set.ends.clone()) {
            continue;
        }
        if let Some(month) = latest_month(data, &set.ends) {
            points.push(Point {
                epoch: data.epoch_of(&set.ends),
                ends: set.ends,
                month,
            });
        }
    }
    points.sort_by(|a, b| b.epoch.cmp(&a.epoch).then_with(|| b.ends.cmp(&a.ends)));
    Ok(points)
}

/// The month of the latest response counted by the per-campaign `ends` (all campaigns).
fn latest_month(data: &PublishedCampaigns<'_>, ends: &[u32]) -> Option<Month> {
    data.participants()
        .enumerate()
        .filter(|&(i, _)| data.held_by(ends, i))
        .map(|(_, p)| p.month())
        .max()
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
        (None, None, Some(value)) => Cell::Published {
            n: part.n,
            value,
            as_of: part.as_of,
        },
        (None, None, None) => Cell::hidden(SuppressionReason::TooFew),
    }
}

/// Overall score spread per part of a breakdown (of its released members).
fn breakdown<K>(
    view: Option<SuppressionReason>,
    parts: Vec<(K, Vec<&ParticipantSummary>, Part)>,
) -> Vec<Keyed<K, Spread>> {
    let overall = |p: &ParticipantSummary| Some(p.response.overall_score());
    parts
        .into_iter()
        // Categories nobody in the (shown) selection chose are left out rather than listed
        // as suppressed rows. Under a hidden selection every row is kept, all alike.
        .filter(|(_, _, part)| view.is_some() || part.current > 0)
        .map(|(key, members, part)| Keyed {
            key,
            cell: cell_of(view, &part, spread(&members, &overall)),
        })
        .collect()
}

/// Industry, size class and region of a request, each set or not.
type Codes = (Option<Industry>, Option<SizeClass>, Option<Region>);

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
fn all_firms_cell(
    all_firms: Option<&Disclosure>,
    measure: impl Fn(&PublishedStats) -> Option<&MeasureStats>,
) -> Cell<Spread> {
    match all_firms {
        Some(Disclosure::Published(a)) => match measure(a) {
            Some(m) => Cell::Published {
                n: a.n(),
                value: Spread::of_stats(m),
                as_of: None,
            },
            None => Cell::hidden(SuppressionReason::TooFew),
        },
        Some(Disclosure::Suppressed(reason)) => Cell::hidden(*reason),
        None => Cell::hidden(SuppressionReason::TooFew),
    }
}

/// `count` of the shown `n`. Both are shown numbers, so the share tells nothing more; they
/// may be released at different publications (see the module notes), so the share is capped
/// at 1.
fn share(count: u32, n: u32) -> Share {
    Share {
        count,
        share: if n == 0 {
            0.0
        } else {
            (f64::from(count) / f64::from(n)).min(1.0)
        },
    }
}

const _: () = assert!(LEVELS == 5, "level rows assume five levels");
