//! Joint publication of many cells: threshold, differencing, complementary suppression.

use std::collections::BTreeMap;

use super::{Disclosure, DisclosurePolicy, PublishedStats, SuppressionReason};
use crate::benchmark::aggregate::{AggregateDelta, CohortAggregate};
use crate::benchmark::cohort::CohortKey;
use crate::benchmark::error::BenchmarkError;

/// Decides, for cells published together, which may be shown.
///
/// `cells` pairs each cohort with its last *published* aggregate (`None` if never published).
/// Pass every cohort that has or had responses and let each view pick from the result: the
/// verdicts are only consistent if every view and export uses the same run, and a cohort that
/// is not listed is taken to be empty (listing fewer only suppresses more).
///
/// Rules, for threshold `k`:
/// 1. **Threshold** – fewer than `k` firms: [`SuppressionReason::TooFew`].
/// 2. **Differencing** – a cell is suppressed ([`SuppressionReason::Differencing`]) if
///    subtracting it from any published cohort containing it (not only its fallback parent:
///    `industry_size:C:small` sits in `industry:C`, `size:small` and `all`) leaves a
///    difference of 1..k−1 firms, or a non-empty difference that may consist of fewer than
///    `k` responses. Sizes alone are not enough because cells are published at different
///    times: two cells of equal `n` can still differ by a few firms.
/// 3. **Complementary** – for each partition of a published cohort (industries, sizes or
///    regions of `all`; industry×size cells of an industry, a size class or `all`): if exactly
///    one non-empty part is suppressed, or the parent minus its published parts is a group as
///    in rule 2, the smallest published part is suppressed too
///    ([`SuppressionReason::Complementary`]), or the parent if no part is left; repeated until
///    nothing changes.
///
/// Fails on a cohort listed twice or aggregates of different dimension counts.
pub fn disclose(
    policy: &DisclosurePolicy,
    cells: &[(CohortKey, Option<&CohortAggregate>)],
) -> Result<BTreeMap<CohortKey, Disclosure>, BenchmarkError> {
    let (index, dimension_count) = validate(cells)?;
    let Some(dimension_count) = dimension_count else {
        // Nothing was ever published.
        return Ok(cells
            .iter()
            .map(|(key, _)| (*key, Disclosure::Suppressed(SuppressionReason::TooFew)))
            .collect());
    };
    let joint = Joint {
        cells,
        index,
        partitions: partitions(cells),
        k: u64::from(policy.k()),
        dimension_count,
    };

    let mut verdicts: Vec<Option<SuppressionReason>> = cells
        .iter()
        .map(|(_, a)| (n_of(*a) < joint.k).then_some(SuppressionReason::TooFew))
        .collect();
    joint.suppress_differencing(&mut verdicts);
    // Each round hides one more shown cell, so this ends after at most `cells.len()` rounds.
    while let Some(i) = joint.complementary_target(&verdicts) {
        match verdicts.get_mut(i) {
            Some(v) => *v = Some(SuppressionReason::Complementary),
            None => break,
        }
    }

    Ok(cells
        .iter()
        .zip(verdicts)
        .map(|((key, aggregate), verdict)| {
            let disclosure = match (verdict, aggregate) {
                (Some(reason), _) => Disclosure::Suppressed(reason),
                (None, Some(a)) => PublishedStats::new(*key, a)
                    .map(|p| Disclosure::Published(Box::new(p)))
                    .unwrap_or(Disclosure::Suppressed(SuppressionReason::TooFew)),
                (None, None) => Disclosure::Suppressed(SuppressionReason::TooFew),
            };
            (*key, disclosure)
        })
        .collect())
}

/// Indexes the cells by key, refusing duplicates, and finds their common dimension count
/// (`None` if no cell was ever published).
fn validate(
    cells: &[(CohortKey, Option<&CohortAggregate>)],
) -> Result<(BTreeMap<CohortKey, usize>, Option<usize>), BenchmarkError> {
    let mut index = BTreeMap::new();
    let mut dimension_count: Option<usize> = None;
    for (i, (key, aggregate)) in cells.iter().enumerate() {
        if index.insert(*key, i).is_some() {
            return Err(BenchmarkError::DuplicateCell(key.to_string()));
        }
        if let Some(a) = aggregate {
            let expected = *dimension_count.get_or_insert(a.dimension_count());
            if expected != a.dimension_count() {
                return Err(BenchmarkError::DimensionCountMismatch {
                    expected,
                    actual: a.dimension_count(),
                });
            }
        }
    }
    Ok((index, dimension_count))
}

/// Every listed partition: a parent cell and the listed cells of one kind that split it.
fn partitions(cells: &[(CohortKey, Option<&CohortAggregate>)]) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    for (p, (parent, _)) in cells.iter().enumerate() {
        for &kind in parent.kind().partition_kinds() {
            let parts: Vec<usize> = (0..cells.len())
                .filter(|&c| {
                    cells
                        .get(c)
                        .is_some_and(|(key, _)| key.kind() == kind && parent.contains(key))
                })
                .collect();
            if !parts.is_empty() {
                out.push((p, parts));
            }
        }
    }
    out
}

fn n_of(aggregate: Option<&CohortAggregate>) -> u64 {
    aggregate.map_or(0, |a| u64::from(a.n()))
}

/// The cells of one run and lookups over them.
struct Joint<'c, 'a> {
    cells: &'c [(CohortKey, Option<&'a CohortAggregate>)],
    index: BTreeMap<CohortKey, usize>,
    partitions: Vec<(usize, Vec<usize>)>,
    k: u64,
    dimension_count: usize,
}

impl<'a> Joint<'_, 'a> {
    /// Rule 2. Broad cells first, so a cell is compared only with containing cells that stay
    /// shown (later suppressions only remove pairs, so one pass suffices).
    fn suppress_differencing(&self, verdicts: &mut [Option<SuppressionReason>]) {
        let mut order: Vec<usize> = (0..self.cells.len()).collect();
        order.sort_by_key(|&i| {
            self.cells
                .get(i)
                .map_or(0, |(key, _)| key.ancestors().len())
        });
        for i in order {
            if let Some((key, Some(child))) = self.cells.get(i)
                && verdicts.get(i).is_some_and(Option::is_none)
                && key.ancestors().iter().any(|ancestor| {
                    self.published(ancestor, verdicts).is_some_and(|parent| {
                        let mut difference = AggregateDelta::zero(self.dimension_count);
                        difference.add_aggregate(parent, 1);
                        difference.add_aggregate(child, -1);
                        self.reveals_small_group(&difference)
                    })
                })
                && let Some(v) = verdicts.get_mut(i)
            {
                *v = Some(SuppressionReason::Differencing);
            }
        }
    }

    /// The aggregate of `key` if it is listed and currently shown.
    fn published(
        &self,
        key: &CohortKey,
        verdicts: &[Option<SuppressionReason>],
    ) -> Option<&'a CohortAggregate> {
        let &i = self.index.get(key)?;
        if verdicts.get(i)?.is_some() {
            return None;
        }
        self.cells.get(i)?.1
    }

    /// A difference reveals a small group if it is not empty yet could consist of fewer than
    /// `k` responses, or if the firm counts differ by 1..k−1 (the rule as stated, which also
    /// covers a difference of many responses that nets out to a few firms).
    fn reveals_small_group(&self, difference: &AggregateDelta) -> bool {
        let net = difference.n().unsigned_abs();
        (net > 0 && net < self.k) || (!difference.is_zero() && difference.min_responses() < self.k)
    }

    /// The next cell complementary suppression must hide, if any.
    fn complementary_target(&self, verdicts: &[Option<SuppressionReason>]) -> Option<usize> {
        for (p, parts) in &self.partitions {
            let Some((parent_key, _)) = self.cells.get(*p) else {
                continue;
            };
            let Some(parent) = self.published(parent_key, verdicts) else {
                continue;
            };
            let mut shown = Vec::new();
            let mut hidden_non_empty = 0usize;
            for &c in parts {
                match (verdicts.get(c), self.cells.get(c)) {
                    (Some(None), Some((key, Some(a)))) => shown.push((c, *key, *a)),
                    (Some(Some(_)), Some((_, Some(a)))) if a.n() > 0 => hidden_non_empty += 1,
                    _ => {}
                }
            }
            let exposed = hidden_non_empty == 1 || {
                let mut rest = AggregateDelta::zero(self.dimension_count);
                rest.add_aggregate(parent, 1);
                for (_, _, a) in &shown {
                    rest.add_aggregate(a, -1);
                }
                self.reveals_small_group(&rest)
            };
            if exposed {
                let smallest = shown.iter().min_by_key(|(_, key, a)| (a.n(), *key));
                match smallest {
                    Some((c, _, _)) => return Some(*c),
                    // "All firms" is never hidden to protect its parts (issue 14): every
                    // owner's fallback. Safe: with no part shown, all firms minus the shown
                    // parts is all firms itself, already published; and `all` is never hidden
                    // in any other way once `n ≥ k`, so the differencing verdicts taken against
                    // it stay valid.
                    None if *parent_key == CohortKey::All => continue,
                    None => return Some(*p),
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::disclosure::test_support::firms;

    fn run(
        k: u32,
        cells: &[(&str, Option<std::ops::Range<u8>>)],
    ) -> Result<Vec<(String, Option<SuppressionReason>)>, BenchmarkError> {
        let aggs: Vec<(CohortKey, Option<CohortAggregate>)> = cells
            .iter()
            .map(|(key, r)| Ok((key.parse()?, r.clone().map(firms).transpose()?)))
            .collect::<Result<_, BenchmarkError>>()?;
        let list: Vec<_> = aggs.iter().map(|(key, a)| (*key, a.as_ref())).collect();
        let out = disclose(&DisclosurePolicy::new(k)?, &list)?;
        Ok(aggs
            .iter()
            .map(|(key, _)| {
                let verdict = match out.get(key) {
                    Some(Disclosure::Suppressed(r)) => Some(*r),
                    _ => None,
                };
                (key.to_string(), verdict)
            })
            .collect())
    }

    use SuppressionReason::{Complementary, Differencing, TooFew};

    fn expect(
        cells: &[(&str, Option<SuppressionReason>)],
    ) -> Vec<(String, Option<SuppressionReason>)> {
        cells.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn threshold() -> Result<(), BenchmarkError> {
        assert_eq!(
            run(5, &[("all", Some(0..4)), ("region:DE-BY", None)])?,
            expect(&[("all", Some(TooFew)), ("region:DE-BY", Some(TooFew))])
        );
        assert_eq!(run(5, &[("all", Some(0..5))])?, expect(&[("all", None)]));
        Ok(())
    }

    #[test]
    fn published_cells_carry_their_statistics() -> Result<(), BenchmarkError> {
        let all = firms(0..7)?;
        let out = disclose(
            &DisclosurePolicy::default(),
            &[(CohortKey::All, Some(&all))],
        )?;
        let stats = out.get(&CohortKey::All).and_then(Disclosure::published);
        assert_eq!(stats.map(PublishedStats::n), Some(7));
        assert_eq!(stats.map(|s| s.stats().overall.median), Some(3));
        assert_eq!(stats.and_then(|s| s.overall_percentile_rank(3)), Some(42));
        assert_eq!(
            stats.and_then(|s| s.dimension_percentile_rank(0, 3)),
            Some(42)
        );
        assert_eq!(stats.and_then(|s| s.dimension_percentile_rank(1, 3)), None);
        Ok(())
    }

    #[test]
    fn differencing_against_parent_and_other_containing_cohorts() -> Result<(), BenchmarkError> {
        // all 12 = C 10 + F 2: C differs from all by 2 → Differencing; F too few.
        // Two suppressed industries whose sum is 12 ≥ k: no complementary suppression.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..12)),
                    ("industry:C", Some(0..10)),
                    ("industry:F", Some(10..12))
                ]
            )?,
            expect(&[
                ("all", None),
                ("industry:C", Some(Differencing)),
                ("industry:F", Some(TooFew))
            ])
        );
        // industry_size:C:small equals industry:C but differs from size:small by 3 (the three
        // small firms of G), and G's large part differs from G by the same 3. Hiding those
        // cascades: industry:C would equal its only hidden part, so it goes; then G is the
        // last shown industry, size:large equals its only hidden part, and size:small is the
        // last shown size. Only `all` remains, which is right: every other cell would pin
        // down the three small firms of G.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..30)),
                    ("industry:C", Some(0..10)),
                    ("industry:G", Some(10..30)),
                    ("size:small", Some(0..13)),
                    ("size:large", Some(13..30)),
                    ("industry_size:C:small", Some(0..10)),
                    ("industry_size:G:small", Some(10..13)),
                    ("industry_size:G:large", Some(13..30)),
                ]
            )?,
            expect(&[
                ("all", None),
                ("industry:C", Some(Complementary)),
                ("industry:G", Some(Complementary)),
                ("size:small", Some(Complementary)),
                ("size:large", Some(Complementary)),
                ("industry_size:C:small", Some(Differencing)),
                ("industry_size:G:small", Some(TooFew)),
                ("industry_size:G:large", Some(Differencing)),
            ])
        );
        Ok(())
    }

    #[test]
    fn differencing_sees_cells_published_at_different_times() -> Result<(), BenchmarkError> {
        // Same n = 10, but the parent's snapshot is newer: 2 firms left, 2 others joined.
        assert_eq!(
            run(5, &[("all", Some(2..12)), ("industry:C", Some(0..10))])?,
            // C is hidden as the only listed industry, so `all` stands for it; `all` stays
            // shown all the same (never hidden to protect parts): what it shows is its own
            // snapshot, and C's older one cannot be derived from it.
            expect(&[("all", None), ("industry:C", Some(Differencing))])
        );
        // The same with 5 changes is a group of k: allowed.
        assert_eq!(
            run(5, &[("all", Some(5..15)), ("industry:C", Some(0..10))])?,
            expect(&[("all", None), ("industry:C", None)])
        );
        Ok(())
    }

    #[test]
    fn complementary_suppression_hides_the_next_smallest_sibling() -> Result<(), BenchmarkError> {
        // all 20 = C 10 + F 7 + G 3. G too few; shown alone it would be all − C − F.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..20)),
                    ("industry:C", Some(0..10)),
                    ("industry:F", Some(10..17)),
                    ("industry:G", Some(17..20)),
                ]
            )?,
            expect(&[
                ("all", None),
                ("industry:C", None),
                ("industry:F", Some(Complementary)),
                ("industry:G", Some(TooFew)),
            ])
        );
        Ok(())
    }

    #[test]
    fn complementary_suppression_iterates_to_a_fixpoint() -> Result<(), BenchmarkError> {
        // industry_size:C:small (6) differs from size:small (8) by 2: hidden. F (2) is the
        // only hidden industry, so the smallest shown one, C, goes too; C and F together (8)
        // are k or more firms and no single hidden part remains anywhere: stop.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..18)),
                    ("industry:C", Some(0..6)),
                    ("industry:F", Some(6..8)),
                    ("industry:G", Some(8..18)),
                    ("size:small", Some(0..8)),
                    ("size:medium", Some(8..18)),
                    ("industry_size:C:small", Some(0..6)),
                    ("industry_size:F:small", Some(6..8)),
                    ("industry_size:G:medium", Some(8..18)),
                ]
            )?,
            expect(&[
                ("all", None),
                ("industry:C", Some(Complementary)),
                ("industry:F", Some(TooFew)),
                ("industry:G", None),
                ("size:small", None),
                ("size:medium", None),
                ("industry_size:C:small", Some(Differencing)),
                ("industry_size:F:small", Some(TooFew)),
                ("industry_size:G:medium", None),
            ])
        );
        // A single hidden region among shown ones pulls in the smallest other region, which
        // in turn is compared again: here two hidden regions (3 + 6 = 9 ≥ 5) suffice.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..30)),
                    ("region:DE-BY", Some(0..3)),
                    ("region:DE-BW", Some(3..9)),
                    ("region:DE-BE", Some(9..30)),
                ]
            )?,
            expect(&[
                ("all", None),
                ("region:DE-BY", Some(TooFew)),
                ("region:DE-BW", Some(Complementary)),
                ("region:DE-BE", None),
            ])
        );
        Ok(())
    }

    #[test]
    fn hidden_parts_summing_to_fewer_than_k_pull_in_another() -> Result<(), BenchmarkError> {
        // B 1 + H 2 = 3 < 5 firms would be all − C − F; hide F (the smallest shown) as well.
        assert_eq!(
            run(
                5,
                &[
                    ("all", Some(0..30)),
                    ("industry:B", Some(0..1)),
                    ("industry:H", Some(1..3)),
                    ("industry:C", Some(3..10)),
                    ("industry:F", Some(10..30)),
                ]
            )?,
            expect(&[
                ("all", None),
                ("industry:B", Some(TooFew)),
                ("industry:H", Some(TooFew)),
                ("industry:C", Some(Complementary)),
                ("industry:F", None),
            ])
        );
        Ok(())
    }

    #[test]
    fn refuses_duplicates_and_mixed_dimensions() -> Result<(), BenchmarkError> {
        let one = firms(0..5)?;
        let two = CohortAggregate::new(2)?;
        let policy = DisclosurePolicy::default();
        assert!(matches!(
            disclose(
                &policy,
                &[(CohortKey::All, Some(&one)), (CohortKey::All, None)]
            ),
            Err(BenchmarkError::DuplicateCell(_))
        ));
        let size: CohortKey = "size:small".parse()?;
        assert!(matches!(
            disclose(&policy, &[(CohortKey::All, Some(&one)), (size, Some(&two))]),
            Err(BenchmarkError::DimensionCountMismatch { .. })
        ));
        Ok(())
    }
}
