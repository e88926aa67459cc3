//! Property tests: random campaigns over time, random filters, and a brute-force check of every
//! published cell against the disclosure rules.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use time::{Date, Month as CalendarMonth};

use super::*;
use crate::benchmark::{
    DisclosurePolicy, Industry, Profile, Region, ResponseSummary, SizeClass, SuppressionReason,
};

const CAMPAIGNS: [&str; 3] = ["c1", "c2", "c3"];
const FLAGS: [&str; 2] = ["a", "b"];

#[derive(Debug, Clone)]
struct Answer {
    month: u8,
    profile: Profile,
    level: u8,
    flags: Vec<&'static str>,
}

#[derive(Debug, Clone)]
enum Op {
    /// A firm takes part in campaign `campaign % 3`.
    Submit(usize, Answer),
    /// The `n % live`-th live participant is erased.
    Erase(usize),
    /// The `n % live`-th live participant changes its answers.
    Resubmit(usize, Answer),
}

fn answer() -> impl Strategy<Value = Answer> {
    // Few distinct values, so groups overlap and small differences are common.
    (
        1u8..=4,
        select(vec![Industry::Manufacturing, Industry::Construction]),
        select(vec![SizeClass::Micro, SizeClass::Small]),
        select(vec![Region::Bayern, Region::Berlin]),
        1u8..=5,
        subsequence(FLAGS.to_vec(), 0..=2),
    )
        .prop_map(|(month, industry, size, region, level, flags)| Answer {
            month,
            profile: Profile {
                industry,
                size,
                region,
            },
            level,
            flags,
        })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            8 => (any::<usize>(), answer()).prop_map(|(c, a)| Op::Submit(c, a)),
            1 => any::<usize>().prop_map(Op::Erase),
            1 => (any::<usize>(), answer()).prop_map(|(i, a)| Op::Resubmit(i, a)),
        ],
        0..=200,
    )
}

fn filter() -> impl Strategy<Value = (Filter, Option<(u8, u8)>)> {
    (
        subsequence(CAMPAIGNS.to_vec(), 0..=3),
        prop::option::of((1u8..=5, 0u8..=3)),
        prop::option::of(select(vec![
            Industry::Manufacturing,
            Industry::Construction,
        ])),
        prop::option::of(select(vec![SizeClass::Micro, SizeClass::Small])),
        prop::option::of(select(vec![Region::Bayern, Region::Berlin])),
        prop::option::of((1u8..=4, 0u8..=3)),
    )
        .prop_map(|(campaigns, period, industry, size, region, before)| {
            let filter = Filter {
                campaigns: campaigns.into_iter().map(CampaignId::new).collect(),
                period: period.and_then(|(from, len)| range(from, len)),
                industry,
                size,
                region,
            };
            (filter, before)
        })
}

fn month(m: u8) -> Option<Month> {
    Month::new(2026, m).ok()
}

fn range(from: u8, len: u8) -> Option<Period> {
    Period::new(month(from)?, month(from.saturating_add(len).min(12))?).ok()
}

fn summary(id: usize, campaign: &str, a: &Answer) -> Option<ParticipantSummary> {
    // Scores follow the level so medians vary; dimension scores differ per dimension.
    let score = a.level * 20 - 10;
    Some(ParticipantSummary {
        id: ParticipantId::new(format!("p{id}")),
        campaign: CampaignId::new(campaign),
        submitted: Date::from_calendar_date(2026, CalendarMonth::try_from(a.month).ok()?, 1)
            .ok()?,
        profile: a.profile,
        response: ResponseSummary::new(
            score,
            a.level,
            vec![score, 100 - score],
            vec![a.level, 6 - a.level],
            a.flags.iter().map(|f| (*f).to_owned()),
        )
        .ok()?,
    })
}

/// Participants that differ between two snapshots, a changed response counted twice.
fn distance(a: &[ParticipantSummary], b: &[ParticipantSummary]) -> usize {
    let a: BTreeMap<_, _> = a.iter().map(|p| (&p.id, p)).collect();
    let b: BTreeMap<_, _> = b.iter().map(|p| (&p.id, p)).collect();
    let mut d = b.keys().filter(|id| !a.contains_key(*id)).count();
    for (id, p) in &a {
        match b.get(id) {
            None => d += 1,
            Some(q) if q != p => d += 2,
            Some(_) => {}
        }
    }
    d
}

/// Every filter a user can request that contains `f`: more campaigns, a wider period (or
/// none), any code filters dropped. Months run over the data's span.
fn containing(f: &Filter, span: (Month, Month)) -> Vec<Filter> {
    let all: BTreeSet<CampaignId> = CAMPAIGNS.iter().map(|c| CampaignId::new(*c)).collect();
    let base = if f.campaigns.is_empty() {
        all.clone()
    } else {
        f.campaigns.clone()
    };
    let campaign_sets: Vec<BTreeSet<CampaignId>> = (0..8u8)
        .map(|mask| {
            CAMPAIGNS
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| CampaignId::new(*c))
                .collect::<BTreeSet<_>>()
        })
        .filter(|set| set.is_superset(&base))
        .collect();
    let mut periods = vec![None];
    if let Some(p) = f.period {
        let from = p.from().min(span.1).max(span.0);
        let to = p.to().max(span.0).min(span.1);
        for a in span.0.index()..=from.index().max(span.0.index()) {
            for b in to.index().min(span.1.index())..=span.1.index() {
                if let Ok(period) = Period::new(Month::from_index(a), Month::from_index(b)) {
                    periods.push(Some(period));
                }
            }
        }
        periods.push(Some(p));
    }
    let mut out = Vec::new();
    for campaigns in &campaign_sets {
        for period in &periods {
            for keep in 0..8u8 {
                out.push(Filter {
                    campaigns: campaigns.clone(),
                    period: *period,
                    industry: f.industry.filter(|_| keep & 1 != 0),
                    size: f.size.filter(|_| keep & 2 != 0),
                    region: f.region.filter(|_| keep & 4 != 0),
                });
            }
        }
    }
    out
}

/// A breakdown's name and, per part, its request and published `n`.
type Breakdown<'a> = (&'a str, Vec<(Filter, Option<u32>)>);

/// Which participants of a request a cell counts.
#[derive(Debug, Clone, PartialEq)]
enum Members {
    All,
    Level(u8),
    Has(String),
    Lacks(String),
}

impl Members {
    fn contains(&self, p: &ParticipantSummary) -> bool {
        match self {
            Members::All => true,
            Members::Level(l) => p.response.overall_level() == *l,
            Members::Has(id) => p.response.red_flags().contains(id),
            Members::Lacks(id) => !p.response.red_flags().contains(id),
        }
    }
}

/// Every published cell of a dashboard as the set it counts.
fn published_sets(d: &Dashboard) -> Vec<(String, Filter, Members)> {
    let f = &d.filter;
    let mut out = Vec::new();
    if !d.is_published() {
        return out;
    }
    out.push(("selection".to_owned(), f.clone(), Members::All));
    for c in d.participation.iter().filter(|c| c.cell.n().is_some()) {
        out.push((
            format!("month {}", c.key),
            f.with_period(Period::month(c.key)),
            Members::All,
        ));
    }
    for c in d.levels.iter().filter(|c| c.cell.n().is_some()) {
        out.push((format!("level {}", c.key), f.clone(), Members::Level(c.key)));
    }
    for c in d.by_industry.iter().filter(|c| c.cell.n().is_some()) {
        out.push((
            format!("industry {}", c.key),
            f.with_industry(c.key),
            Members::All,
        ));
    }
    for c in d.by_size.iter().filter(|c| c.cell.n().is_some()) {
        out.push((format!("size {}", c.key), f.with_size(c.key), Members::All));
    }
    for c in d.by_region.iter().filter(|c| c.cell.n().is_some()) {
        out.push((
            format!("region {}", c.key),
            f.with_region(c.key),
            Members::All,
        ));
    }
    for c in d.red_flags.iter().filter(|c| c.cell.n().is_some()) {
        out.push((
            format!("flag {}", c.key),
            f.clone(),
            Members::Has(c.key.clone()),
        ));
        out.push((
            format!("no flag {}", c.key),
            f.clone(),
            Members::Lacks(c.key.clone()),
        ));
    }
    out
}

/// The partitions of a request by each code filter it leaves open.
fn code_partitions(f: &Filter) -> Vec<Vec<Filter>> {
    let mut out = Vec::new();
    if f.industry.is_none() {
        out.push(Industry::ALL.iter().map(|&i| f.with_industry(i)).collect());
    }
    if f.size.is_none() {
        out.push(SizeClass::ALL.iter().map(|&s| f.with_size(s)).collect());
    }
    if f.region.is_none() {
        out.push(Region::ALL.iter().map(|&r| f.with_region(r)).collect());
    }
    out
}

struct Checker<'d> {
    k: u32,
    data: &'d [ParticipantSummary],
    span: Option<(Month, Month)>,
}

impl Checker<'_> {
    fn count(&self, f: &Filter, member: &dyn Fn(&ParticipantSummary) -> bool) -> u32 {
        self.data
            .iter()
            .filter(|p| f.matches(p) && member(p))
            .count() as u32
    }

    /// The published set `f ∧ member` of size `n` is at least `k` and no containing request
    /// is larger by 1..k−1.
    fn check_set(
        &self,
        what: &str,
        f: &Filter,
        member: &dyn Fn(&ParticipantSummary) -> bool,
        n: u32,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.count(f, member), n, "{}: n is the true count", what);
        prop_assert!(n >= self.k, "{}: published with n = {} < k", what, n);
        if let Some(span) = self.span {
            for wider in containing(f, span) {
                let m = self.count(&wider, member);
                prop_assert!(m >= n, "{}: containing view smaller", what);
                prop_assert!(
                    m - n == 0 || m - n >= self.k,
                    "{}: {:?} differs from {:?} by {}",
                    what,
                    f,
                    wider,
                    m - n
                );
            }
        }
        Ok(())
    }

    /// Hidden parts of a partition of a published parent hold 0, or ≥ k over ≥ 2 parts.
    fn check_partition(&self, what: &str, parts: &[(u32, bool)]) -> Result<(), TestCaseError> {
        let hidden: Vec<u32> = parts.iter().filter(|(_, h)| *h).map(|(n, _)| *n).collect();
        let sum: u32 = hidden.iter().sum();
        let non_empty = hidden.iter().filter(|&&n| n > 0).count();
        prop_assert!(
            sum == 0 || (sum >= self.k && non_empty >= 2),
            "{}: hidden parts {:?} recoverable",
            what,
            parts
        );
        Ok(())
    }

    fn check(&self, d: &Dashboard) -> Result<(), TestCaseError> {
        let f = &d.filter;
        let everyone = |_: &ParticipantSummary| true;
        let Some(n) = d.participants.value().copied() else {
            // A hidden selection hides every cell computed from it.
            let reason = d.participants.reason();
            prop_assert!(d.participation.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.levels.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.scores.iter().all(|c| c.cohort.reason() == reason));
            prop_assert!(d.by_industry.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.by_size.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.by_region.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.red_flags.iter().all(|c| c.cell.reason() == reason));
            return Ok(());
        };
        self.check_set("selection", f, &everyone, n)?;

        let mut months = Vec::new();
        for c in &d.participation {
            let part = f.with_period(Period::month(c.key));
            let true_n = self.count(&part, &everyone);
            if let Some(&count) = c.cell.value() {
                self.check_set("month", &part, &everyone, count)?;
            }
            months.push((true_n, c.cell.value().is_none()));
        }
        // The listed months must cover the selection, or the partition check means nothing.
        prop_assert_eq!(months.iter().map(|(n, _)| n).sum::<u32>(), n);
        self.check_partition("months", &months)?;

        let mut levels = Vec::new();
        for c in &d.levels {
            let level = c.key;
            let member = move |p: &ParticipantSummary| p.response.overall_level() == level;
            if let Some(share) = c.cell.value() {
                self.check_set("level", f, &member, share.count)?;
            }
            levels.push((self.count(f, &member), c.cell.value().is_none()));
        }
        self.check_partition("levels", &levels)?;

        let breakdowns: [Breakdown<'_>; 3] = [
            (
                "industry",
                d.by_industry
                    .iter()
                    .map(|c| (f.with_industry(c.key), c.cell.n()))
                    .collect(),
            ),
            (
                "size",
                d.by_size
                    .iter()
                    .map(|c| (f.with_size(c.key), c.cell.n()))
                    .collect(),
            ),
            (
                "region",
                d.by_region
                    .iter()
                    .map(|c| (f.with_region(c.key), c.cell.n()))
                    .collect(),
            ),
        ];
        for (what, parts) in breakdowns {
            let mut seen = Vec::new();
            for (part, shown) in &parts {
                if let Some(m) = shown {
                    self.check_set(what, part, &everyone, *m)?;
                }
                seen.push((self.count(part, &everyone), shown.is_none()));
            }
            if !parts.is_empty() {
                prop_assert_eq!(seen.iter().map(|(n, _)| n).sum::<u32>(), n);
            }
            self.check_partition(what, &seen)?;
        }

        // Merged level bands and coarser groupings: each shown set obeys the same rules, and
        // together they are a protected partition of the selection.
        let mut bands = Vec::new();
        for c in &d.level_bands {
            let band = c.key;
            let member = move |p: &ParticipantSummary| band.contains(p.response.overall_level());
            if let Some(share) = c.cell.value() {
                self.check_set("level band", f, &member, share.count)?;
            }
            bands.push((self.count(f, &member), c.cell.value().is_none()));
        }
        prop_assert_eq!(bands.iter().map(|(n, _)| n).sum::<u32>(), n);
        self.check_partition("level bands", &bands)?;
        let sector = |c: &super::Keyed<super::Sector, super::Spread>| {
            let g = c.key;
            let member: Box<dyn Fn(&ParticipantSummary) -> bool> =
                Box::new(move |p| super::Sector::of(p.profile.industry) == g);
            (member, c.cell.n())
        };
        let size_band = |c: &super::Keyed<super::SizeBand, super::Spread>| {
            let g = c.key;
            let member: Box<dyn Fn(&ParticipantSummary) -> bool> =
                Box::new(move |p| super::SizeBand::of(p.profile.size) == g);
            (member, c.cell.n())
        };
        let region_group = |c: &super::Keyed<super::RegionGroup, super::Spread>| {
            let g = c.key;
            let member: Box<dyn Fn(&ParticipantSummary) -> bool> =
                Box::new(move |p| super::RegionGroup::of(p.profile.region) == g);
            (member, c.cell.n())
        };
        let grouped: [(&str, Vec<_>); 3] = [
            ("sector", d.by_sector.iter().map(sector).collect()),
            ("size band", d.by_size_band.iter().map(size_band).collect()),
            (
                "region group",
                d.by_region_group.iter().map(region_group).collect(),
            ),
        ];
        for (what, rows) in grouped {
            let mut seen = Vec::new();
            for (member, shown) in &rows {
                if let Some(m) = shown {
                    self.check_set(what, f, member.as_ref(), *m)?;
                }
                seen.push((self.count(f, member.as_ref()), shown.is_none()));
            }
            if !rows.is_empty() {
                prop_assert_eq!(seen.iter().map(|(n, _)| n).sum::<u32>(), n);
            }
            self.check_partition(what, &seen)?;
        }

        for row in &d.red_flags {
            if let Some(share) = row.cell.value() {
                let id = row.key.clone();
                let has = |p: &ParticipantSummary| p.response.red_flags().contains(&id);
                let lacks = |p: &ParticipantSummary| !p.response.red_flags().contains(&id);
                self.check_set("red flag", f, &has, share.count)?;
                self.check_set("red flag missing", f, &lacks, n - share.count)?;
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(crate::proptest_config(64))]

    #[test]
    fn no_published_cell_breaks_the_disclosure_rules(
        k in 3u32..=7,
        ops in ops(),
        filters in prop::collection::vec(filter(), 1..=3),
    ) {
        let policy = DisclosurePolicy::new(k).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut live: Vec<ParticipantSummary> = Vec::new();
        let mut publications: Vec<CampaignPublication> =
            CAMPAIGNS.iter().map(|c| CampaignPublication::new(CampaignId::new(*c))).collect();
        // Last shown snapshot per campaign, to measure the step between publications.
        let mut shown: Vec<Option<Vec<ParticipantSummary>>> = vec![None; CAMPAIGNS.len()];
        let mut next_id = 0usize;
        let catalogue = DashboardCatalogue {
            dimensions: vec!["strategy".into(), "community".into()],
            red_flags: FLAGS.iter().map(|f| (*f).to_owned()).collect(),
        };
        // Per checkpoint: the published participants and each filter's published cells.
        type Checkpoint = (Vec<ParticipantSummary>, Vec<Vec<(String, Filter, Members)>>);
        let mut checkpoints: Vec<Checkpoint> = Vec::new();

        for (step, op) in ops.into_iter().enumerate() {
            if step % 15 == 14 {
                let data = PublishedCampaigns::from_publications(&publications)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let inputs = DashboardInputs { policy: &policy, catalogue: &catalogue, data: &data, all_firms: None };
                let mut cells = Vec::new();
                for (filter, _) in &filters {
                    let d = Dashboard::compute(&inputs, filter, None)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    cells.push(published_sets(&d));
                }
                checkpoints.push((data.participants().cloned().collect(), cells));
            }
            let touched = match op {
                Op::Submit(c, a) => {
                    let campaign = CAMPAIGNS[c % CAMPAIGNS.len()];
                    next_id += 1;
                    if let Some(p) = summary(next_id, campaign, &a) {
                        live.push(p);
                    }
                    c % CAMPAIGNS.len()
                }
                Op::Erase(i) if !live.is_empty() => {
                    let p = live.remove(i % live.len());
                    let c = CAMPAIGNS.iter().position(|c| *c == p.campaign.as_str()).unwrap_or(0);
                    publications[c].erase(&p.id);
                    c
                }
                Op::Resubmit(i, a) if !live.is_empty() => {
                    let j = i % live.len();
                    let c = CAMPAIGNS.iter().position(|c| *c == live[j].campaign.as_str()).unwrap_or(0);
                    let id = live[j].id.as_str().trim_start_matches('p').parse().unwrap_or(0);
                    if let Some(p) = summary(id, CAMPAIGNS[c], &a) {
                        live[j] = p;
                    }
                    c
                }
                _ => continue,
            };
            let campaign_live: Vec<ParticipantSummary> = live
                .iter()
                .filter(|p| p.campaign.as_str() == CAMPAIGNS[touched])
                .cloned()
                .collect();
            let outcome = publications[touched]
                .refresh(&policy, &campaign_live)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if outcome == PublishOutcome::Published {
                let previous = shown[touched].take().unwrap_or_default();
                prop_assert!(distance(&previous, &campaign_live) >= k as usize);
                shown[touched] = Some(campaign_live);
            }
            // What is shown is exactly the last publication (or nothing after an erasure).
            if let Some(snapshot) = publications[touched].snapshot() {
                let snapshot: Vec<_> = snapshot.cloned().collect();
                let expected = shown[touched].clone().unwrap_or_default();
                prop_assert_eq!(distance(&snapshot, &expected), 0);
            }
        }

        let data = PublishedCampaigns::from_publications(&publications)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let published: Vec<ParticipantSummary> = data.participants().cloned().collect();
        let months = published.iter().map(ParticipantSummary::month);
        let checker = Checker {
            k,
            data: &published,
            span: months.clone().min().zip(months.max()),
        };
        // Over time: a cell published at two checkpoints counts the same participants, or
        // differs by at least k (a changed response counts as two).
        for (i, (early_data, early_cells)) in checkpoints.iter().enumerate() {
            for (late_data, late_cells) in checkpoints.iter().skip(i + 1) {
                for (early, late) in early_cells.iter().zip(late_cells) {
                    for (key, filter, members) in early {
                        if !late.iter().any(|(k2, f2, m2)| k2 == key && f2 == filter && m2 == members) {
                            continue;
                        }
                        let pick = |data: &[ParticipantSummary]| -> Vec<ParticipantSummary> {
                            data.iter().filter(|p| filter.matches(p) && members.contains(p)).cloned().collect()
                        };
                        let moved = distance(&pick(early_data), &pick(late_data));
                        prop_assert!(
                            moved == 0 || moved >= k as usize,
                            "{} of {:?} moved by {} between publications", key, filter, moved
                        );
                    }
                }
            }
        }

        let inputs = DashboardInputs { policy: &policy, catalogue: &catalogue, data: &data, all_firms: None };
        for (filter, before) in filters {
            let change_from = before.and_then(|(from, len)| range(from, len));
            let d = Dashboard::compute(&inputs, &filter, change_from)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            checker.check(&d)?;
            if let (Some(change), Some(before)) = (&d.change, change_from) {
                let earlier = Dashboard::compute(&inputs, &filter.with_period(before), None)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                checker.check(&earlier)?;
                // A change is shown only where both sides are.
                prop_assert_eq!(
                    change.participants.value().is_some(),
                    earlier.is_published() && d.is_published()
                );
            }
            // Every industry, size and region cell reads the same in the view that requests it
            // directly, so complementary suppression cannot be undone by asking for the part.
            if d.is_published() {
                let parts = d
                    .by_industry
                    .iter()
                    .map(|c| (filter.with_industry(c.key), c.cell.n()))
                    .chain(d.by_size.iter().map(|c| (filter.with_size(c.key), c.cell.n())))
                    .chain(d.by_region.iter().map(|c| (filter.with_region(c.key), c.cell.n())));
                for (part, shown) in parts {
                    if checker.count(&part, &|_| true) == 0 {
                        continue;
                    }
                    let direct = Dashboard::compute(&inputs, &part, None)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(direct.participants.n(), shown, "{:?}", part);
                    // A hidden part of k or more cannot be rebuilt from its own shown parts.
                    let true_n = checker.count(&part, &|_| true);
                    if shown.is_none() && true_n >= k {
                        for split in code_partitions(&part) {
                            let mut hidden = 0;
                            for sub in split {
                                let m = checker.count(&sub, &|_| true);
                                if m == 0 {
                                    continue;
                                }
                                let view = Dashboard::compute(&inputs, &sub, None)
                                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                                if !view.is_published() {
                                    hidden += m;
                                }
                            }
                            prop_assert!(hidden >= k, "{:?} is the sum of its shown parts", part);
                        }
                    }
                }
            }
            // The CSV holds a row for every cell and nothing that starts a formula.
            let csv = to_csv(&d);
            for field in csv.split(['\r', '\n', ',']) {
                prop_assert!(!field.starts_with(['=', '+', '-', '@', '\t']));
            }
            let _ = SuppressionReason::TooFew;
        }
    }
}
