//! Exact statistics from histograms, in time independent of the number of responses.
//!
//! Building [`CohortStats`] is crate-private: the only public way to get them is
//! [`disclose`](super::disclosure::disclose), so no number escapes disclosure control.

use serde::{Deserialize, Serialize};

use super::aggregate::{CohortAggregate, Measure};
use super::{LEVELS, MAX_SCORE, SCORE_BUCKETS};

/// The `p`-th percentile of a score histogram, by the **nearest-rank** method: the smallest
/// score `s` such that at least `p` % of the firms score `s` or lower
/// (`100 · #{score ≤ s} ≥ p · n`).
///
/// Always an observed score, never an interpolation, so it means the same to every reader and
/// is exact in integers. The median is `p = 50` (for even `n`, the lower of the two middle
/// scores). `None` for an empty histogram or `p` outside 1..=100.
///
/// Example: scores 10, 20, 20, 40, 50, 70, 90 give p10 = 10, p25 = 20, median = 40, p75 = 70,
/// p90 = 90.
pub fn percentile(counts: &[u32; SCORE_BUCKETS], p: u8) -> Option<u8> {
    if p == 0 || p > 100 {
        return None;
    }
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if n == 0 {
        return None;
    }
    let needed = u64::from(p) * n;
    let mut at_or_below = 0u64;
    for (score, &c) in (0u8..).zip(counts.iter()) {
        at_or_below += u64::from(c);
        if at_or_below * 100 >= needed {
            return Some(score);
        }
    }
    None
}

/// Percentile rank of `score` in a cohort: the share of the cohort's firms scoring
/// **strictly lower**, in whole percent, rounded down (`⌊100 · #{score < s} / n⌋`).
///
/// "Better than 62 % of the firms" is then literally true; rounding down never flatters.
/// A firm counted in its own cohort never reaches 100, and ties count as not better.
/// `None` for an empty histogram or a score above 100.
///
/// Example: in 10, 20, 20, 40, 50, 70, 90 the score 40 has rank ⌊300/7⌋ = 42.
pub fn percentile_rank(counts: &[u32; SCORE_BUCKETS], score: u8) -> Option<u8> {
    if score > MAX_SCORE {
        return None;
    }
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let below: u64 = counts
        .get(..usize::from(score))?
        .iter()
        .map(|&c| u64::from(c))
        .sum();
    if n == 0 {
        return None;
    }
    u8::try_from(below * 100 / n).ok()
}

/// How a percentile rank is said in words. A firm counted in its own cohort never reaches 100,
/// but a published cohort may not (yet) hold the firm: then a rank of 100 means every firm of
/// the group scores lower, and "better than 100 %" would be a nonsense figure. A rank of 0 is
/// said as "no firm of the group scores lower" rather than "better than 0 %".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankWording {
    /// No firm of the group scores lower.
    NoneLower,
    /// "Better than n %", 1 ≤ n ≤ 99.
    Share(u8),
    /// Every firm of the group scores lower.
    AllLower,
}

impl RankWording {
    pub fn of(rank: u8) -> RankWording {
        match rank {
            0 => RankWording::NoneLower,
            100.. => RankWording::AllLower,
            share => RankWording::Share(share),
        }
    }
}

/// How firms spread over the five levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelDistribution {
    /// Firms at level 1..=5 (`counts[0]` is level 1).
    pub counts: [u32; LEVELS],
    /// The same as shares of `n`, each in 0.0..=1.0.
    pub shares: [f64; LEVELS],
}

/// Location and spread of one measure (overall or one dimension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureStats {
    /// Exact arithmetic mean (round for display with [`MeasureStats::mean_rounded`]).
    pub mean: f64,
    /// 10th percentile, see [`percentile`].
    pub p10: u8,
    /// 25th percentile.
    pub p25: u8,
    /// 50th percentile.
    pub median: u8,
    /// 75th percentile.
    pub p75: u8,
    /// 90th percentile.
    pub p90: u8,
    /// Distribution over the five levels.
    pub levels: LevelDistribution,
}

impl MeasureStats {
    /// The mean rounded to one decimal, as shown to users.
    pub fn mean_rounded(&self) -> f64 {
        (self.mean * 10.0).round() / 10.0
    }

    fn from_measure(m: &Measure, n: u32) -> Option<Self> {
        if n == 0 {
            return None;
        }
        let total: u64 = (0u64..)
            .zip(m.scores.iter())
            .map(|(s, &c)| s * u64::from(c))
            .sum();
        let share = |c: u32| f64::from(c) / f64::from(n);
        Some(Self {
            mean: total as f64 / f64::from(n),
            p10: percentile(&m.scores, 10)?,
            p25: percentile(&m.scores, 25)?,
            median: percentile(&m.scores, 50)?,
            p75: percentile(&m.scores, 75)?,
            p90: percentile(&m.scores, 90)?,
            levels: LevelDistribution {
                counts: m.levels,
                shares: m.levels.map(share),
            },
        })
    }
}

/// Share of a cohort's firms with one red flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedFlagShare {
    /// Catalogue id of the flag.
    pub id: String,
    /// Firms with the flag.
    pub count: u32,
    /// `count / n`, in 0.0..=1.0.
    pub share: f64,
}

/// All statistics of one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortStats {
    /// Firms in the cohort.
    pub n: u32,
    /// Overall score and level.
    pub overall: MeasureStats,
    /// Per dimension, catalogue order.
    pub dimensions: Vec<MeasureStats>,
    /// Flags raised by at least one firm, by id; absent flags have share 0.
    pub red_flags: Vec<RedFlagShare>,
}

impl CohortStats {
    /// Statistics of a non-empty aggregate. Crate-private: callers go through disclosure.
    pub(crate) fn from_aggregate(a: &CohortAggregate) -> Option<Self> {
        let n = a.n();
        Some(Self {
            n,
            overall: MeasureStats::from_measure(a.overall(), n)?,
            dimensions: a
                .dimensions()
                .iter()
                .map(|m| MeasureStats::from_measure(m, n))
                .collect::<Option<_>>()?,
            red_flags: a
                .red_flags()
                .iter()
                .map(|(id, &count)| RedFlagShare {
                    id: id.clone(),
                    count,
                    share: f64::from(count) / f64::from(n),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::{BenchmarkError, ResponseSummary};

    fn histogram(scores: &[u8]) -> [u32; SCORE_BUCKETS] {
        let mut h = [0; SCORE_BUCKETS];
        for &s in scores {
            h[usize::from(s)] += 1;
        }
        h
    }

    #[test]
    fn percentile_by_hand() {
        // n = 7. Needed counts at or below: p10 → 0.7 → 1st, p25 → 1.75 → 2nd,
        // p50 → 3.5 → 4th, p75 → 5.25 → 6th, p90 → 6.3 → 7th value.
        let h = histogram(&[10, 20, 20, 40, 50, 70, 90]);
        assert_eq!(percentile(&h, 10), Some(10));
        assert_eq!(percentile(&h, 25), Some(20));
        assert_eq!(percentile(&h, 50), Some(40));
        assert_eq!(percentile(&h, 75), Some(70));
        assert_eq!(percentile(&h, 90), Some(90));
        assert_eq!(percentile(&h, 100), Some(90));
        assert_eq!(percentile(&h, 1), Some(10));
        // Boundary: 100·#{≤ s} = p·n exactly counts as reached (n = 4, p50 → 2nd value).
        let even = histogram(&[10, 20, 30, 40]);
        assert_eq!(percentile(&even, 50), Some(20));
        assert_eq!(percentile(&even, 25), Some(10));
        assert_eq!(percentile(&even, 26), Some(20));
    }

    #[test]
    fn percentile_edge_cases() {
        let h = histogram(&[0, 100]);
        assert_eq!(percentile(&h, 50), Some(0));
        assert_eq!(percentile(&h, 51), Some(100));
        assert_eq!(percentile(&h, 0), None);
        assert_eq!(percentile(&h, 101), None);
        assert_eq!(percentile(&[0; SCORE_BUCKETS], 50), None);
    }

    #[test]
    fn rank_words_never_say_better_than_100_or_0_percent() {
        assert_eq!(RankWording::of(0), RankWording::NoneLower);
        assert_eq!(RankWording::of(1), RankWording::Share(1));
        assert_eq!(RankWording::of(99), RankWording::Share(99));
        assert_eq!(RankWording::of(100), RankWording::AllLower);
        // A cohort that does not hold the firm, all scoring lower: rank 100.
        let mut h = [0u32; SCORE_BUCKETS];
        h[10] = 3;
        h[20] = 2;
        assert_eq!(
            percentile_rank(&h, 90).map(RankWording::of),
            Some(RankWording::AllLower)
        );
    }

    #[test]
    fn percentile_rank_by_hand() {
        let h = histogram(&[10, 20, 20, 40, 50, 70, 90]);
        assert_eq!(percentile_rank(&h, 40), Some(42)); // 3 of 7 below: 42.86 → 42
        assert_eq!(percentile_rank(&h, 20), Some(14)); // 1 of 7: 14.29 → 14
        assert_eq!(percentile_rank(&h, 21), Some(42)); // 3 of 7
        assert_eq!(percentile_rank(&h, 10), Some(0));
        assert_eq!(percentile_rank(&h, 0), Some(0));
        assert_eq!(percentile_rank(&h, 90), Some(85)); // 6 of 7: 85.71 → 85
        assert_eq!(percentile_rank(&h, 91), Some(100));
        assert_eq!(percentile_rank(&h, 101), None);
        assert_eq!(percentile_rank(&[0; SCORE_BUCKETS], 50), None);
    }

    #[test]
    fn statistics_of_a_hand_made_cohort() -> Result<(), BenchmarkError> {
        /// Overall score, overall level, dimension scores, dimension levels, red flags.
        type Row = (u8, u8, [u8; 2], [u8; 2], &'static [&'static str]);
        let data: [Row; 6] = [
            (10, 1, [20, 0], [1, 1], &["no_website"]),
            (
                30,
                2,
                [40, 10],
                [2, 1],
                &["no_website", "no_privacy_policy"],
            ),
            (30, 2, [60, 20], [3, 2], &[]),
            (55, 3, [60, 50], [3, 3], &["no_privacy_policy"]),
            (80, 4, [80, 90], [4, 5], &[]),
            (100, 5, [100, 100], [5, 5], &["no_website"]),
        ];
        let mut a = CohortAggregate::new(2)?;
        for (score, level, dims, levels, flags) in data {
            let flags = flags.iter().map(|s| (*s).to_owned());
            a.add(&ResponseSummary::new(
                score,
                level,
                dims.to_vec(),
                levels.to_vec(),
                flags,
            )?)?;
        }
        let stats = CohortStats::from_aggregate(&a).ok_or(BenchmarkError::Corrupt("empty"))?;
        assert_eq!(stats.n, 6);

        // Overall: 10 30 30 55 80 100; sum 305. Needed ranks for n = 6:
        // p10 0.6 → 1st, p25 1.5 → 2nd, p50 3 → 3rd, p75 4.5 → 5th, p90 5.4 → 6th.
        let o = &stats.overall;
        assert!((o.mean - 305.0 / 6.0).abs() < 1e-12);
        assert_eq!(o.mean_rounded(), 50.8);
        assert_eq!(
            (o.p10, o.p25, o.median, o.p75, o.p90),
            (10, 30, 30, 80, 100)
        );
        assert_eq!(o.levels.counts, [1, 2, 1, 1, 1]);
        assert_eq!(
            o.levels.shares,
            [1.0 / 6.0, 2.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]
        );

        // Dimension 0: 20 40 60 60 80 100; sum 360.
        let d0 = &stats.dimensions[0];
        assert_eq!(d0.mean, 60.0);
        assert_eq!(
            (d0.p10, d0.p25, d0.median, d0.p75, d0.p90),
            (20, 40, 60, 80, 100)
        );
        assert_eq!(d0.levels.counts, [1, 1, 2, 1, 1]);

        // Dimension 1: 0 10 20 50 90 100; sum 270.
        let d1 = &stats.dimensions[1];
        assert_eq!(d1.mean, 45.0);
        assert_eq!(
            (d1.p10, d1.p25, d1.median, d1.p75, d1.p90),
            (0, 10, 20, 90, 100)
        );
        assert_eq!(d1.levels.counts, [2, 1, 1, 0, 2]);
        assert_eq!(d1.levels.shares[3], 0.0);

        // Flags by id: no_privacy_policy 2 of 6, no_website 3 of 6.
        assert_eq!(
            stats.red_flags,
            vec![
                RedFlagShare {
                    id: "no_privacy_policy".into(),
                    count: 2,
                    share: 2.0 / 6.0
                },
                RedFlagShare {
                    id: "no_website".into(),
                    count: 3,
                    share: 0.5
                },
            ]
        );

        // Ranks of the overall score in this cohort.
        let h = &a.overall().scores;
        assert_eq!(percentile_rank(h, 30), Some(16)); // 1 of 6 below
        assert_eq!(percentile_rank(h, 55), Some(50)); // 3 of 6
        assert_eq!(percentile_rank(h, 100), Some(83)); // 5 of 6
        assert_eq!(percentile_rank(h, 10), Some(0));
        Ok(())
    }

    #[test]
    fn no_statistics_for_an_empty_aggregate() -> Result<(), BenchmarkError> {
        assert_eq!(CohortStats::from_aggregate(&CohortAggregate::new(3)?), None);
        Ok(())
    }
}
