//! Property tests: random campaigns over time, random filters, and a brute-force check of every
//! published cell against the disclosure rules.

use std::collections::BTreeMap;

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

/// Which participants of a request a cell counts.
#[derive(Debug, Clone, PartialEq)]
enum Members {
    All,
    Level(u8),
    Band(super::LevelBand),
    Has(String),
    Sector(super::Sector),
    SizeBand(super::SizeBand),
    RegionGroup(super::RegionGroup),
}

impl Members {
    fn contains(&self, p: &ParticipantSummary) -> bool {
        match self {
            Members::All => true,
            Members::Level(l) => p.response.overall_level() == *l,
            Members::Band(b) => b.contains(p.response.overall_level()),
            Members::Has(id) => p.response.red_flags().contains(id),
            Members::Sector(g) => super::Sector::of(p.profile.industry) == *g,
            Members::SizeBand(g) => super::SizeBand::of(p.profile.size) == *g,
            Members::RegionGroup(g) => super::RegionGroup::of(p.profile.region) == *g,
        }
    }
}

/// Every published cell of a dashboard as the set it counts (its released part, see
/// `disclosure::Release`), with the count shown.
fn published_sets(d: &Dashboard) -> Vec<(String, Filter, Members, Option<u32>)> {
    let f = &d.filter;
    let mut out = Vec::new();
    let Some(&n) = d.participants.value() else {
        return out;
    };
    out.push(("selection".to_owned(), f.clone(), Members::All, Some(n)));
    for c in &d.participation {
        if let Some(&m) = c.cell.value() {
            let month = f.with_period(Period::month(c.key));
            out.push((format!("month {}", c.key), month, Members::All, Some(m)));
        }
    }
    for c in &d.levels {
        if let Some(share) = c.cell.value() {
            let what = format!("level {}", c.key);
            out.push((what, f.clone(), Members::Level(c.key), Some(share.count)));
        }
    }
    for c in &d.level_bands {
        if let Some(share) = c.cell.value() {
            let what = format!("levels {}–{}", c.key.from, c.key.to);
            out.push((what, f.clone(), Members::Band(c.key), Some(share.count)));
        }
    }
    for c in &d.by_industry {
        let what = format!("industry {}", c.key);
        out.push((what, f.with_industry(c.key), Members::All, c.cell.n()));
    }
    for c in &d.by_size {
        out.push((
            format!("size {}", c.key),
            f.with_size(c.key),
            Members::All,
            c.cell.n(),
        ));
    }
    for c in &d.by_region {
        let what = format!("region {}", c.key);
        out.push((what, f.with_region(c.key), Members::All, c.cell.n()));
    }
    for c in &d.by_sector {
        let what = format!("sector {:?}", c.key);
        out.push((what, f.clone(), Members::Sector(c.key), c.cell.n()));
    }
    for c in &d.by_size_band {
        let what = format!("size band {:?}", c.key);
        out.push((what, f.clone(), Members::SizeBand(c.key), c.cell.n()));
    }
    for c in &d.by_region_group {
        let what = format!("region group {:?}", c.key);
        out.push((what, f.clone(), Members::RegionGroup(c.key), c.cell.n()));
    }
    for c in &d.red_flags {
        if let Some(share) = c.cell.value() {
            let has = Members::Has(c.key.clone());
            out.push((format!("flag {}", c.key), f.clone(), has, Some(share.count)));
        }
    }
    // Rows listed but hidden are not shown sets.
    out.retain(|(_, _, _, n)| n.is_some());
    out
}

/// The released members of `f ∧ members` in `data`, by index, at the element of the set's
/// chain that counts the shown `n` (the last one, or an earlier one the audit kept in its
/// place; for a count that no element has, the last one, so that the count check fails).
fn released(
    data: &PublishedCampaigns<'_>,
    k: u32,
    f: &Filter,
    members: &Members,
    n: Option<u32>,
) -> Vec<bool> {
    let last = super::disclosure::release_at(data, f, &|_, p| members.contains(p), k);
    let release = n.and_then(|n| last.element_with(n)).unwrap_or(last);
    let matches = data.matches(f);
    data.participants()
        .enumerate()
        .map(|(i, p)| matches(i) && members.contains(p) && release.holds(data, i))
        .collect()
}

struct Checker<'d, 'a> {
    k: u32,
    data: &'d PublishedCampaigns<'a>,
    /// Every shown set so far, as released members by index.
    shown: std::cell::RefCell<Vec<(String, Vec<bool>)>>,
}

impl Checker<'_, '_> {
    fn count(&self, f: &Filter, member: &dyn Fn(&ParticipantSummary) -> bool) -> u32 {
        self.data
            .participants()
            .filter(|p| f.matches(p) && member(p))
            .count() as u32
    }

    /// Every published set: its `n` is its released count, at least `k`. (The pairwise
    /// rules once checked here, against containing requests and within partitions, are
    /// replaced by the audit; [`Checker::check_combinations`] checks what they protected.)
    fn check(&self, d: &Dashboard) -> Result<(), TestCaseError> {
        let Some(_) = d.participants.value() else {
            // A hidden selection hides every cell computed from it.
            let reason = d.participants.reason();
            prop_assert!(d.participation.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.levels.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.scores.iter().all(|c| c.cohort.reason() == reason));
            prop_assert!(d.by_industry.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.by_size.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.by_region.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.red_flags.iter().all(|c| c.cell.reason() == reason));
            prop_assert!(d.level_bands.iter().all(|c| c.cell.reason() == reason));
            return Ok(());
        };
        for (what, f, members, n) in published_sets(d) {
            let set = released(self.data, self.k, &f, &members, n);
            let count = set.iter().filter(|&&x| x).count() as u32;
            prop_assert_eq!(
                Some(count),
                n,
                "{} of {:?}: n is the released count",
                what,
                f
            );
            prop_assert!(
                count >= self.k,
                "{} of {:?}: shown with {} < k",
                what,
                f,
                count
            );
            // A released part never holds anyone outside the set now.
            prop_assert!(count <= self.count(&f, &|p| members.contains(p)));
            self.shown
                .borrow_mut()
                .push((format!("{what} of {f:?}"), set));
        }
        // Reasons are true: "too few" only where fewer than k firms are in the set now.
        for c in &d.by_industry {
            if c.cell.reason() == Some(SuppressionReason::TooFew) {
                prop_assert!(self.count(&d.filter.with_industry(c.key), &|_| true) < self.k);
            }
        }
        Ok(())
    }

    /// No two shown sets, one inside the other, differ by 1..k−1 (what differencing and
    /// complementary suppression protected; the audit guarantees it for any combination).
    fn check_combinations(&self) -> Result<(), TestCaseError> {
        let shown = self.shown.borrow();
        for (a, sa) in shown.iter() {
            for (b, sb) in shown.iter() {
                let inside = sb.iter().zip(sa).all(|(&x, &y)| !x || y);
                if inside {
                    let d = sa.iter().zip(sb).filter(|&(&x, &y)| x && !y).count() as u32;
                    prop_assert!(d == 0 || d >= self.k, "{} − {} = {} firms", a, b, d);
                }
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
        // Per checkpoint: each filter's published cells with their released members.
        type Checkpoint = Vec<Vec<(String, Filter, Members, Vec<ParticipantSummary>)>>;
        let mut checkpoints: Vec<Checkpoint> = Vec::new();

        for (step, op) in ops.into_iter().enumerate() {
            if step % 15 == 14 {
                let data = PublishedCampaigns::from_publications(&publications)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let inputs = DashboardInputs { policy: &policy, catalogue: &catalogue, data: &data, all_firms: None };
                let mut cells = Vec::new();
                let people: Vec<&ParticipantSummary> = data.participants().collect();
                for (filter, _) in &filters {
                    let d = Dashboard::compute(&inputs, filter, None)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let sets = published_sets(&d)
                        .into_iter()
                        .map(|(what, f, members, n)| {
                            let set = released(&data, k, &f, &members, n);
                            let picked = people
                                .iter()
                                .zip(&set)
                                .filter(|(_, x)| **x)
                                .map(|(p, _)| (*p).clone())
                                .collect();
                            (what, f, members, picked)
                        })
                        .collect();
                    cells.push(sets);
                }
                checkpoints.push(cells);
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
                .refresh(&policy, &campaign_live, crate::dashboard::utility_tests::next_epoch())
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

        // Over time: a cell published at two checkpoints counts the same participants, or
        // differs by at least k (a changed response counts as two): released memberships over
        // the chamber's publication order (the whole set, over its selected campaigns).
        for (i, early_cells) in checkpoints.iter().enumerate() {
            for late_cells in checkpoints.iter().skip(i + 1) {
                for (early, late) in early_cells.iter().zip(late_cells) {
                    for (key, filter, members, early_set) in early {
                        let Some((_, _, _, late_set)) = late
                            .iter()
                            .find(|(k2, f2, m2, _)| k2 == key && f2 == filter && m2 == members)
                        else {
                            continue;
                        };
                        let moved = distance(early_set, late_set);
                        prop_assert!(
                            moved == 0 || moved >= k as usize,
                            "{} of {:?} moved by {} between publications",
                            key, filter, moved
                        );
                    }
                }
            }
        }

        let data = PublishedCampaigns::from_publications(&publications)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let checker = Checker {
            k,
            data: &data,
            shown: Default::default(),
        };
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
            // directly (a verdict depends only on the set).
            if d.is_published() {
                let parts = d
                    .by_industry
                    .iter()
                    .map(|c| (filter.with_industry(c.key), c.cell.n()))
                    .chain(d.by_size.iter().map(|c| (filter.with_size(c.key), c.cell.n())))
                    .chain(d.by_region.iter().map(|c| (filter.with_region(c.key), c.cell.n())));
                for (part, shown) in parts {
                    let direct = Dashboard::compute(&inputs, &part, None)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(direct.participants.n(), shown, "{:?}", part);
                    checker.check(&direct)?;
                }
            }
            // The CSV holds a row for every cell and nothing that starts a formula.
            let csv = to_csv(&d);
            for field in csv.split(['\r', '\n', ',']) {
                prop_assert!(!field.starts_with(['=', '+', '-', '@', '\t']));
            }
        }
        checker.check_combinations()?;
    }
}

/// Applies one operation to the live participants and refreshes the touched campaign.
fn apply(
    op: Op,
    live: &mut Vec<ParticipantSummary>,
    publications: &mut [CampaignPublication],
    next_id: &mut usize,
    policy: &DisclosurePolicy,
) -> Result<Option<PublishOutcome>, TestCaseError> {
    let touched = match op {
        Op::Submit(c, a) => {
            let campaign = CAMPAIGNS[c % CAMPAIGNS.len()];
            *next_id += 1;
            if let Some(p) = summary(*next_id, campaign, &a) {
                live.push(p);
            }
            c % CAMPAIGNS.len()
        }
        Op::Erase(i) if !live.is_empty() => {
            let p = live.remove(i % live.len());
            let c = CAMPAIGNS
                .iter()
                .position(|c| *c == p.campaign.as_str())
                .unwrap_or(0);
            publications[c].erase(&p.id);
            c
        }
        Op::Resubmit(i, a) if !live.is_empty() => {
            let j = i % live.len();
            let c = CAMPAIGNS
                .iter()
                .position(|c| *c == live[j].campaign.as_str())
                .unwrap_or(0);
            let id = live[j]
                .id
                .as_str()
                .trim_start_matches('p')
                .parse()
                .unwrap_or(0);
            if let Some(p) = summary(id, CAMPAIGNS[c], &a) {
                live[j] = p;
            }
            c
        }
        _ => return Ok(None),
    };
    let campaign_live: Vec<ParticipantSummary> = live
        .iter()
        .filter(|p| p.campaign.as_str() == CAMPAIGNS[touched])
        .cloned()
        .collect();
    publications[touched]
        .refresh(
            policy,
            &campaign_live,
            crate::dashboard::utility_tests::next_epoch(),
        )
        .map(Some)
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

proptest! {
    #![proptest_config(crate::proptest_config(8))]

    /// Over time (issue 14): submissions, erasures and changed answers, with the dashboards of
    /// a few requests computed after every publication (each one a new chamber-wide epoch).
    /// Each shown set (over its selected campaigns jointly) differs from every earlier shown
    /// state of it by 0 or at least `k`, and in every state no
    /// sum or difference of up to three shown sets (over every campaign set, period and one
    /// filter, see `attacker_tests`) isolates a group of 1..k−1.
    #[test]
    fn shown_parts_move_by_zero_or_k_and_isolate_nobody(
        k in 3u32..=5,
        ops in prop::collection::vec(
            prop_oneof![
                8 => (any::<usize>(), answer()).prop_map(|(c, a)| Op::Submit(c, a)),
                1 => any::<usize>().prop_map(Op::Erase),
                1 => (any::<usize>(), answer()).prop_map(|(i, a)| Op::Resubmit(i, a)),
            ],
            0..=45,
        ),
    ) {
        let policy = DisclosurePolicy::new(k).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let catalogue = DashboardCatalogue {
            dimensions: vec!["strategy".into(), "community".into()],
            red_flags: FLAGS.iter().map(|f| (*f).to_owned()).collect(),
        };
        let mut filters = vec![Filter::all(), Filter::all().with_industry(Industry::Manufacturing)];
        for c in CAMPAIGNS {
            filters.push(Filter { campaigns: [CampaignId::new(c)].into(), ..Filter::all() });
        }
        let mut live = Vec::new();
        let mut publications: Vec<CampaignPublication> =
            CAMPAIGNS.iter().map(|c| CampaignPublication::new(CampaignId::new(*c))).collect();
        let mut next_id = 0usize;
        // Every state ever shown of each (cell, request).
        let mut history: BTreeMap<String, Vec<Vec<ParticipantSummary>>> = BTreeMap::new();
        let mut states = 0usize;
        for op in ops {
            let outcome = apply(op, &mut live, &mut publications, &mut next_id, &policy)?;
            if outcome != Some(PublishOutcome::Published) {
                continue;
            }
            states += 1;
            let data = PublishedCampaigns::from_publications(&publications)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let people: Vec<&ParticipantSummary> = data.participants().collect();
            let inputs = DashboardInputs { policy: &policy, catalogue: &catalogue, data: &data, all_firms: None };
            for filter in &filters {
                let d = Dashboard::compute(&inputs, filter, None)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                for (what, f, members, n) in published_sets(&d) {
                    let set = released(&data, k, &f, &members, n);
                    let shown: Vec<ParticipantSummary> = people
                        .iter()
                        .zip(&set)
                        .filter(|(_, x)| **x)
                        .map(|(p, _)| (*p).clone())
                        .collect();
                    let earlier = history
                        .entry(format!("{what} of {f:?} ({members:?})"))
                        .or_default();
                    for before in earlier.iter() {
                        let moved = distance(before, &shown);
                        prop_assert!(
                            moved == 0 || moved >= k as usize,
                            "{} of {:?} moved by {} (state {})",
                            what, f, moved, states
                        );
                    }
                    earlier.push(shown);
                }
            }
            // The attacker's search over this state (up to 3 views combined).
            let published = super::attacker_tests::collect(&inputs, &people);
            if let Some(how) = super::attacker_tests::isolate(&published, k) {
                prop_assert!(false, "state {}: {}", states, how);
            }
        }
    }
}
