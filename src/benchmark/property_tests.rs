//! Property tests: random submits and erasures against a plain model of who is in which cell.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::aggregate::AggregateDelta;
use super::cohort::CohortKind;
use super::*;

const D: usize = 3;

/// Interned summaries (by index into [`Model::summaries`]) with signed multiplicities; ids
/// keep the model's many multiset copies cheap.
type Multiset = BTreeMap<usize, i64>;

fn summary() -> impl Strategy<Value = ResponseSummary> {
    // Coarse values make identical summaries (and so cancelling pairs) common.
    let coarse = (
        select(vec![0u8, 40, 60, 100]),
        1u8..=2,
        prop::collection::vec(select(vec![0u8, 100]), D),
        Just(vec![1u8; D]),
        subsequence(vec!["a", "b"], 0..=2),
    );
    let fine = (
        0u8..=100,
        1u8..=5,
        prop::collection::vec(0u8..=100, D),
        prop::collection::vec(1u8..=5, D),
        subsequence(vec!["a", "b", "c"], 0..=3),
    );
    prop_oneof![coarse, fine].prop_filter_map("valid summary", |(o, l, ds, dl, f)| {
        ResponseSummary::new(o, l, ds, dl, f.into_iter().map(String::from)).ok()
    })
}

/// A handful of profiles sharing industries, sizes and regions, so cohorts overlap.
fn profiles() -> impl Strategy<Value = Vec<Profile>> {
    prop::collection::vec(
        (
            select(vec![
                Industry::Manufacturing,
                Industry::Construction,
                Industry::Trade,
            ]),
            select(vec![SizeClass::Micro, SizeClass::Small]),
            select(vec![Region::Bayern, Region::Berlin]),
        )
            .prop_map(|(industry, size, region)| Profile {
                industry,
                size,
                region,
            }),
        1..=5,
    )
}

#[derive(Debug, Clone)]
enum Op {
    Submit(usize, ResponseSummary),
    Erase(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (any::<usize>(), summary()).prop_map(|(p, s)| Op::Submit(p, s)),
            2 => any::<usize>().prop_map(Op::Erase),
        ],
        0..=300,
    )
}

fn bump(m: &mut Multiset, id: usize, by: i64) {
    let c = m.entry(id).or_insert(0);
    *c += by;
    if *c == 0 {
        m.remove(&id);
    }
}

/// `a − b` as a signed multiset.
fn minus(a: &Multiset, b: &Multiset) -> Multiset {
    let mut d = a.clone();
    for (&id, &c) in b {
        bump(&mut d, id, -c);
    }
    d
}

/// Σ |a − b|: how many responses differ between two multisets.
fn distance(a: &Multiset, b: &Multiset) -> i64 {
    let only_b: i64 = b
        .iter()
        .filter(|(id, _)| !a.contains_key(id))
        .map(|(_, c)| c.abs())
        .sum();
    a.iter()
        .map(|(id, c)| (c - b.get(id).copied().unwrap_or(0)).abs())
        .sum::<i64>()
        + only_b
}

fn size(m: &Multiset) -> i64 {
    m.values().sum()
}

struct Model {
    summaries: Vec<ResponseSummary>,
    ids: BTreeMap<ResponseSummary, usize>,
    live: Vec<(Profile, usize)>,
    cell_live: BTreeMap<CohortKey, Multiset>,
    cell_published: BTreeMap<CohortKey, Multiset>,
}

impl Model {
    fn new() -> Self {
        Self {
            summaries: Vec::new(),
            ids: BTreeMap::new(),
            live: Vec::new(),
            cell_live: BTreeMap::new(),
            cell_published: BTreeMap::new(),
        }
    }

    fn intern(&mut self, summary: ResponseSummary) -> usize {
        let next = self.summaries.len();
        let id = *self.ids.entry(summary.clone()).or_insert(next);
        if id == next {
            self.summaries.push(summary);
        }
        id
    }

    fn summary(&self, id: usize) -> Result<&ResponseSummary, TestCaseError> {
        self.summaries
            .get(id)
            .ok_or_else(|| TestCaseError::fail("unknown summary id"))
    }

    fn delta_of(&self, m: &Multiset) -> Result<AggregateDelta, TestCaseError> {
        let mut d = AggregateDelta::zero(D);
        for (&id, &c) in m {
            let s = self.summary(id)?;
            for _ in 0..c.abs() {
                d.add_summary(s, c.signum());
            }
        }
        Ok(d)
    }

    fn aggregate_of(&self, m: &Multiset) -> Result<CohortAggregate, TestCaseError> {
        let mut a = CohortAggregate::new(D)?;
        for (&id, &c) in m {
            let s = self.summary(id)?;
            for _ in 0..c {
                a.add(s)?;
            }
        }
        Ok(a)
    }

    /// Whether a difference is one the rules forbid to be readable: a non-empty group of
    /// fewer than k responses whose aggregates do not cancel out.
    fn small_readable_group(&self, difference: &Multiset, k: i64) -> Result<bool, TestCaseError> {
        let m: i64 = difference.values().map(|c| c.abs()).sum();
        Ok(m > 0 && m < k && !self.delta_of(difference)?.is_zero())
    }

    fn apply(
        &mut self,
        profile: &Profile,
        id: usize,
        by: i64,
        republished: &[CohortKey],
        book: &CohortBook,
        k: i64,
    ) -> Result<(), TestCaseError> {
        for key in CohortKey::all_for(profile) {
            bump(self.cell_live.entry(key).or_default(), id, by);
        }
        for key in republished {
            let live = self.cell_live.get(key).cloned().unwrap_or_default();
            let previous = self.cell_published.get(key).cloned().unwrap_or_default();
            // (c) consecutive publications of a cell differ by at least k responses.
            let moved = distance(&previous, &live);
            prop_assert!(
                moved >= k,
                "{key} republished after {moved} changes, k = {k}"
            );
            let expected = self.aggregate_of(&live)?;
            prop_assert_eq!(
                book.cell(key).and_then(PublishedCell::published),
                Some(&expected)
            );
            self.cell_published.insert(*key, live);
        }
        Ok(())
    }
}

fn check_book(book: &CohortBook, model: &Model, k: i64) -> Result<(), TestCaseError> {
    let empty = Multiset::new();
    for (key, cell) in book.cells() {
        let live = model.cell_live.get(key).unwrap_or(&empty);
        let published = model.cell_published.get(key);
        // Publication happens as soon as k changes accumulated, never later.
        let pending = distance(published.unwrap_or(&empty), live);
        prop_assert!(pending < k, "{key} has {pending} unpublished changes");
        prop_assert_eq!(cell.changes_since_publication() as i64, pending);
        prop_assert_eq!(i64::from(cell.live_n()), size(live));
        prop_assert_eq!(cell.published().is_some(), published.is_some());
    }
    Ok(())
}

fn check_disclosures(
    book: &CohortBook,
    model: &Model,
    policy: &DisclosurePolicy,
    pool: &[Profile],
) -> Result<(), TestCaseError> {
    let k = i64::from(policy.k());
    let verdicts = book.disclose(policy)?;
    prop_assert_eq!(verdicts.len(), book.cells().count());
    let empty = Multiset::new();
    let snapshot = |key: &CohortKey| model.cell_published.get(key).unwrap_or(&empty);
    let shown = |key: &CohortKey| verdicts.get(key).and_then(Disclosure::published);

    for (key, verdict) in &verdicts {
        let Some(stats) = verdict.published() else {
            continue;
        };
        // (a) no published cell has n < k, and its numbers are the published snapshot's.
        prop_assert!(
            i64::from(stats.n()) >= k,
            "{key} published with n = {}",
            stats.n()
        );
        prop_assert_eq!(i64::from(stats.n()), size(snapshot(key)));

        // (b) no published containing cell differs by 1..k−1 firms, nor by a small group.
        for ancestor in key.ancestors() {
            let Some(parent) = shown(&ancestor) else {
                continue;
            };
            let gap = (i64::from(parent.n()) - i64::from(stats.n())).abs();
            prop_assert!(gap == 0 || gap >= k, "{ancestor} and {key} differ by {gap}");
            let difference = minus(snapshot(&ancestor), snapshot(key));
            prop_assert!(
                !model.small_readable_group(&difference, k)?,
                "{ancestor} minus {key} reveals a small group"
            );
        }

        // (e) no partition of a published cell leaves a recoverable part.
        for &kind in key.kind().partition_kinds() {
            let parts: Vec<&CohortKey> = verdicts
                .keys()
                .filter(|c| c.kind() == kind && key.contains(c))
                .collect();
            let hidden = parts
                .iter()
                .filter(|c| shown(c).is_none() && size(snapshot(c)) > 0)
                .count();
            // Documented exception (issue 14): `all` with no shown part stays published; all
            // minus its shown parts is then all itself, nothing more.
            let none_shown = parts.iter().all(|c| shown(c).is_none());
            prop_assert!(
                hidden != 1 || (*key == CohortKey::All && none_shown),
                "{key}: exactly one hidden part of kind {kind:?}"
            );
            let mut rest = snapshot(key).clone();
            for part in parts.iter().filter(|c| shown(c).is_some()) {
                rest = minus(&rest, snapshot(part));
            }
            prop_assert!(
                !model.small_readable_group(&rest, k)?,
                "{key} minus its shown {kind:?} parts reveals a small group"
            );
            let gap = size(&rest).abs();
            prop_assert!(
                gap == 0 || gap >= k,
                "{key} minus its {kind:?} parts: {gap} firms"
            );
        }
    }

    // (d) the fallback picks the narrowest published cohort, never one with n < k.
    for profile in pool {
        let chosen = comparison_cohort(policy, profile, |key| verdicts.get(key));
        let expected = CohortKey::fallback_chain(profile)
            .into_iter()
            .find_map(|key| shown(&key).map(|p| (key, p.n())));
        match (chosen, expected) {
            (Comparison::Cohort { key, n }, Some((want, want_n))) => {
                prop_assert_eq!((key, n), (want, want_n));
                prop_assert!(i64::from(n) >= k);
            }
            (Comparison::Unavailable { .. }, None) => {}
            (got, want) => prop_assert!(false, "fallback {:?}, expected {:?}", got, want),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::proptest_config(48))]

    #[test]
    fn disclosure_rules_hold_under_random_submits_and_erasures(
        k in 3u32..=7,
        pool in profiles(),
        ops in ops(),
    ) {
        let policy = DisclosurePolicy::new(k)?;
        let k = i64::from(k);
        let mut book = CohortBook::new(D)?;
        let mut model = Model::new();
        for op in ops {
            let republished = match op {
                Op::Submit(p, summary) => {
                    let profile = pool[p % pool.len()];
                    let republished = book.submit(&policy, &profile, &summary)?;
                    let id = model.intern(summary);
                    model.apply(&profile, id, 1, &republished, &book, k)?;
                    model.live.push((profile, id));
                    !republished.is_empty()
                }
                Op::Erase(i) => {
                    if model.live.is_empty() {
                        continue;
                    }
                    let (profile, id) = model.live.swap_remove(i % model.live.len());
                    let republished = book.erase(&policy, &profile, model.summary(id)?)?;
                    model.apply(&profile, id, -1, &republished, &book, k)?;
                    !republished.is_empty()
                }
            };
            check_book(&book, &model, k)?;
            // Verdicts depend only on published aggregates, which change only on publication.
            if republished {
                check_disclosures(&book, &model, &policy, &pool)?;
            }
        }
    }

    #[test]
    fn aggregates_return_to_empty_whatever_the_order(
        summaries in prop::collection::vec(summary(), 0..40)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let (added, removal_order) = summaries;
        let empty = CohortAggregate::new(D)?;
        let mut a = empty.clone();
        for s in &added {
            a.add(s)?;
        }
        prop_assert_eq!(a.n() as usize, added.len());
        for s in &removal_order {
            a.remove(s)?;
        }
        prop_assert_eq!(a, empty);
    }

    #[test]
    fn percentile_and_rank_match_their_definitions(
        scores in prop::collection::vec(0u8..=100, 1..60),
        p in 1u8..=100,
        score in 0u8..=100,
    ) {
        let mut histogram = [0u32; SCORE_BUCKETS];
        for &s in &scores {
            histogram[usize::from(s)] += 1;
        }
        let mut sorted = scores.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        // Nearest rank: the ⌈p·n/100⌉-th smallest score.
        let rank = (usize::from(p) * n).div_ceil(100);
        prop_assert_eq!(percentile(&histogram, p), Some(sorted[rank - 1]));
        let below = sorted.iter().filter(|&&s| s < score).count();
        prop_assert_eq!(percentile_rank(&histogram, score), u8::try_from(below * 100 / n).ok());
    }
}

#[test]
fn partitions_known_to_the_property_test_cover_all_kinds() {
    // Guards the model: partitions are what (e) checks, so they must exist for the kinds used.
    assert_eq!(CohortKind::All.partition_kinds().len(), 4);
    assert_eq!(
        CohortKind::Industry.partition_kinds(),
        &[CohortKind::IndustrySize]
    );
}
