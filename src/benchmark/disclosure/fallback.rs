//! Choosing the cohort a firm is compared with.

use serde::Serialize;

use super::{Disclosure, DisclosurePolicy, SuppressionReason};
use crate::benchmark::cohort::CohortKey;
use crate::benchmark::profile::Profile;

/// Why a cohort of the fallback chain could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// The lookup had no verdict for it (it was not part of the joint disclosure).
    NotListed,
    /// It was suppressed.
    Suppressed(SuppressionReason),
}

/// The peer group chosen for one firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Compare with this published cohort of `n` firms.
    Cohort {
        /// The cohort.
        key: CohortKey,
        /// Its published size.
        n: u32,
    },
    /// No cohort may be shown; `reason` is why the broadest one (All) is unavailable.
    Unavailable {
        /// Why.
        reason: UnavailableReason,
    },
}

/// Picks the narrowest published cohort of the fallback chain IndustrySize → Industry → All.
///
/// `lookup` gives the verdicts of one joint [`disclose`](super::disclose) run, so a cohort
/// suppressed there (by differencing, say) is never chosen here; its `n` is checked against `k`
/// once more because a wrong lookup must not leak a small group.
pub fn comparison_cohort<'a, F>(
    policy: &DisclosurePolicy,
    profile: &Profile,
    lookup: F,
) -> Comparison
where
    F: Fn(&CohortKey) -> Option<&'a Disclosure>,
{
    let mut reason = UnavailableReason::NotListed;
    for key in CohortKey::fallback_chain(profile) {
        reason = match lookup(&key) {
            Some(Disclosure::Published(p)) if p.key() == key && p.n() >= policy.k() => {
                return Comparison::Cohort { key, n: p.n() };
            }
            Some(Disclosure::Published(p)) if p.key() != key => UnavailableReason::NotListed,
            Some(Disclosure::Published(_)) => {
                UnavailableReason::Suppressed(SuppressionReason::TooFew)
            }
            Some(Disclosure::Suppressed(r)) => UnavailableReason::Suppressed(*r),
            None => UnavailableReason::NotListed,
        };
    }
    Comparison::Unavailable { reason }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::benchmark::disclosure::test_support::firms;
    use crate::benchmark::{BenchmarkError, CohortAggregate, disclose};

    fn profile() -> Result<Profile, BenchmarkError> {
        Profile::parse("C", "small", "DE-BY")
    }

    /// Discloses the given cells jointly.
    fn verdicts(
        policy: &DisclosurePolicy,
        cells: &[(&str, std::ops::Range<u8>)],
    ) -> Result<BTreeMap<CohortKey, Disclosure>, BenchmarkError> {
        let aggs: Vec<(CohortKey, CohortAggregate)> = cells
            .iter()
            .map(|(k, r)| Ok((k.parse()?, firms(r.clone())?)))
            .collect::<Result<_, BenchmarkError>>()?;
        let cells: Vec<_> = aggs.iter().map(|(k, a)| (*k, Some(a))).collect();
        disclose(policy, &cells)
    }

    #[test]
    fn picks_the_narrowest_published_cohort() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let p = profile()?;
        let industry_size: CohortKey = "industry_size:C:small".parse()?;
        let industry: CohortKey = "industry:C".parse()?;

        // Every cell published.
        let v = verdicts(
            &policy,
            &[
                ("all", 0..30),
                ("industry:C", 0..20),
                ("industry:F", 20..30),
                ("industry_size:C:small", 0..10),
                ("industry_size:C:micro", 10..20),
            ],
        )?;
        assert_eq!(
            comparison_cohort(&policy, &p, |k| v.get(k)),
            Comparison::Cohort {
                key: industry_size,
                n: 10
            }
        );

        // IndustrySize too small: Industry.
        let v = verdicts(
            &policy,
            &[
                ("all", 0..30),
                ("industry:C", 0..20),
                ("industry:F", 20..30),
                ("industry_size:C:small", 0..4),
                ("industry_size:C:micro", 4..20),
            ],
        )?;
        assert_eq!(
            comparison_cohort(&policy, &p, |k| v.get(k)),
            Comparison::Cohort {
                key: industry,
                n: 20
            }
        );

        // IndustrySize suppressed by differencing (20 − 17 = 3): Industry, never the cell.
        let v = verdicts(
            &policy,
            &[
                ("all", 0..30),
                ("industry:C", 0..20),
                ("industry:F", 20..30),
                ("industry_size:C:small", 0..17),
                ("industry_size:C:micro", 17..20),
            ],
        )?;
        assert_eq!(
            v.get(&industry_size),
            Some(&Disclosure::Suppressed(SuppressionReason::Differencing))
        );
        assert_eq!(
            comparison_cohort(&policy, &p, |k| v.get(k)),
            Comparison::Cohort {
                key: industry,
                n: 20
            }
        );

        // Industry too small, and its sibling suppressed by differencing: All.
        let v = verdicts(
            &policy,
            &[("all", 0..30), ("industry:C", 0..3), ("industry:F", 3..30)],
        )?;
        assert_eq!(
            comparison_cohort(&policy, &p, |k| v.get(k)),
            Comparison::Cohort {
                key: CohortKey::All,
                n: 30
            }
        );
        Ok(())
    }

    #[test]
    fn reports_why_nothing_is_available() -> Result<(), BenchmarkError> {
        let policy = DisclosurePolicy::default();
        let p = profile()?;
        let v = verdicts(
            &policy,
            &[
                ("all", 0..4),
                ("industry:C", 0..4),
                ("industry_size:C:small", 0..4),
            ],
        )?;
        assert_eq!(
            comparison_cohort(&policy, &p, |k| v.get(k)),
            Comparison::Unavailable {
                reason: UnavailableReason::Suppressed(SuppressionReason::TooFew)
            }
        );
        let empty: BTreeMap<CohortKey, Disclosure> = BTreeMap::new();
        assert_eq!(
            comparison_cohort(&policy, &p, |k| empty.get(k)),
            Comparison::Unavailable {
                reason: UnavailableReason::NotListed
            }
        );
        Ok(())
    }

    #[test]
    fn a_stricter_policy_than_the_disclosure_run_is_respected() -> Result<(), BenchmarkError> {
        let lenient = DisclosurePolicy::new(3)?;
        let strict = DisclosurePolicy::new(7)?;
        let p = profile()?;
        let v = verdicts(
            &lenient,
            &[
                ("all", 0..30),
                ("industry:C", 0..20),
                ("industry:F", 20..30),
                ("industry_size:C:small", 0..4),
                ("industry_size:C:micro", 4..20),
            ],
        )?;
        let industry_size: CohortKey = "industry_size:C:small".parse()?;
        assert!(
            v.get(&industry_size)
                .and_then(Disclosure::published)
                .is_some()
        );
        let industry: CohortKey = "industry:C".parse()?;
        assert_eq!(
            comparison_cohort(&strict, &p, |k| v.get(k)),
            Comparison::Cohort {
                key: industry,
                n: 20
            }
        );
        Ok(())
    }
}
