//! Synthetic demo responses (`seed-demo`): plausible firms, scored by the real scoring code.
//!
//! Documented distributions:
//! - industry: weights after the German business register (trade G 18 %, professional services
//!   M 13 %, construction F 12 %, manufacturing C 8 %, hospitality I 7 %, …);
//! - size class: micro 70 %, small 20 %, medium 8 %, large 2 % (more non-micro firms than the
//!   register's 82 % micro, so that size cohorts are usable in a demo);
//! - region: by population of the federal states;
//! - readiness: each firm draws a latent readiness r ~ Normal(μ, 0.18), clipped to 0..1, with μ =
//!   0.50 + industry effect (information/communication J +0.15, professional services M +0.08,
//!   hospitality I and trade G +0.03, construction F −0.10, agriculture A −0.12, …) + size effect
//!   (micro −0.06, small 0, medium +0.06, large +0.10);
//! - each answer is drawn with weights exp(−(score/100 − r)² / 0.08), so ready firms answer well;
//!   options that raise a red flag get 0.35 of their weight (realistic rates of a few to 15 %),
//!   "trifft nicht zu" 0.05 (0.25 for micro firms); multi-choice options are each chosen with
//!   probability r.
use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};

use crate::benchmark::{Industry, Profile, Region, SizeClass};
use crate::scoring::{Assessment, assess};
use crate::survey::{Answer, AnswerSet, Catalogue, QuestionKind, ScoreRule};

/// (weight, readiness effect) per WZ section A..U, in `Industry::ALL` order.
const INDUSTRY_WEIGHTS: [(f64, f64); 21] = [
    (2.0, -0.12),
    (0.2, -0.08),
    (8.0, -0.05),
    (0.5, 0.0),
    (0.5, -0.06),
    (12.0, -0.10),
    (18.0, 0.03),
    (4.0, -0.05),
    (7.0, 0.03),
    (4.0, 0.15),
    (3.0, 0.02),
    (3.0, -0.02),
    (13.0, 0.08),
    (6.0, 0.0),
    (0.3, -0.05),
    (2.0, 0.02),
    (6.0, -0.02),
    (2.5, 0.06),
    (5.0, 0.0),
    (0.2, -0.05),
    (0.1, 0.0),
];

/// (weight, readiness effect) for micro, small, medium, large.
const SIZE_WEIGHTS: [(f64, f64); 4] = [(70.0, -0.06), (20.0, 0.0), (8.0, 0.06), (2.0, 0.10)];

/// Population in millions, DE-BW..DE-TH in `Region::ALL` order.
const REGION_WEIGHTS: [f64; 16] = [
    11.1, 13.2, 3.8, 2.6, 0.7, 1.9, 6.3, 1.6, 8.1, 18.1, 4.1, 1.0, 4.1, 2.2, 2.9, 2.1,
];

/// One synthetic firm and its scored response.
#[derive(Debug, Clone)]
pub struct DemoFirm {
    pub profile: Profile,
    pub assessment: Assessment,
    /// The answers it was scored from.
    pub answers: AnswerSet,
}

pub struct DemoGenerator<'a> {
    catalogue: &'a Catalogue,
    rng: SmallRng,
}

fn pick_weighted<T: Copy, R: Rng>(rng: &mut R, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, weight) in items {
        if x < *weight {
            return *item;
        }
        x -= weight;
    }
    items[items.len() - 1].0
}

/// A standard normal draw (Box–Muller), to avoid a distributions crate for one formula.
fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl<'a> DemoGenerator<'a> {
    pub fn new(catalogue: &'a Catalogue, seed: u64) -> DemoGenerator<'a> {
        DemoGenerator {
            catalogue,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    pub fn firm(&mut self) -> DemoFirm {
        let rng = &mut self.rng;
        let industries: Vec<((Industry, f64), f64)> = Industry::ALL
            .iter()
            .zip(INDUSTRY_WEIGHTS)
            .map(|(i, (w, e))| ((*i, e), w))
            .collect();
        let (industry, industry_effect) = pick_weighted(rng, &industries);
        let sizes: Vec<((SizeClass, f64), f64)> = SizeClass::ALL
            .iter()
            .zip(SIZE_WEIGHTS)
            .map(|(s, (w, e))| ((*s, e), w))
            .collect();
        let (size, size_effect) = pick_weighted(rng, &sizes);
        let regions: Vec<(Region, f64)> = Region::ALL.iter().copied().zip(REGION_WEIGHTS).collect();
        let region = pick_weighted(rng, &regions);
        let readiness = (0.50 + industry_effect + size_effect + 0.18 * normal(rng)).clamp(0.0, 1.0);
        let not_applicable_weight = if size == SizeClass::Micro { 0.25 } else { 0.05 };

        let mut answers = AnswerSet::default();
        answers.set(
            "industry",
            Some(Answer::Single(industry.as_str().to_owned())),
        );
        answers.set("size", Some(Answer::Single(size.as_str().to_owned())));
        answers.set("region", Some(Answer::Single(region.as_str().to_owned())));
        for d in &self.catalogue.dimensions {
            for q in &d.questions {
                let answer = match q.kind {
                    QuestionKind::Single => {
                        let weighted: Vec<(usize, f64)> = q
                            .options
                            .iter()
                            .enumerate()
                            .map(|(i, o)| {
                                let weight = match o.score {
                                    Some(ScoreRule::Points(p)) => {
                                        let gap = f64::from(p) / 100.0 - readiness;
                                        (-gap * gap / 0.08).exp()
                                    }
                                    _ => not_applicable_weight,
                                };
                                let flag_factor = if o.red_flag.is_some() { 0.35 } else { 1.0 };
                                (i, weight * flag_factor)
                            })
                            .collect();
                        let chosen = pick_weighted(rng, &weighted);
                        Answer::Single(q.options[chosen].id.clone())
                    }
                    QuestionKind::Multi => {
                        let chosen: Vec<String> = q
                            .options
                            .iter()
                            .filter(|o| !o.exclusive && rng.random::<f64>() < readiness)
                            .map(|o| o.id.clone())
                            .collect();
                        if chosen.is_empty() {
                            let none = q.options.iter().find(|o| o.exclusive).map(|o| o.id.clone());
                            Answer::Multi(none.into_iter().collect())
                        } else {
                            Answer::Multi(chosen)
                        }
                    }
                };
                answers.set(&q.id, Some(answer));
            }
        }
        DemoFirm {
            profile: Profile {
                industry,
                size,
                region,
            },
            assessment: assess(self.catalogue, &answers),
            answers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_firms_are_plausible_and_reproducible() {
        let catalogue = crate::survey::current();
        let mut a = DemoGenerator::new(catalogue, 7);
        let mut b = DemoGenerator::new(catalogue, 7);
        let firms: Vec<DemoFirm> = (0..2000).map(|_| a.firm()).collect();
        assert_eq!(firms[5].assessment, b.firm_n(6).assessment);
        let mean = firms
            .iter()
            .map(|f| f64::from(f.assessment.overall.score))
            .sum::<f64>()
            / 2000.0;
        assert!((30.0..70.0).contains(&mean), "mean overall {mean}");
        let flagged = firms
            .iter()
            .filter(|f| !f.assessment.red_flags.is_empty())
            .count();
        assert!(
            flagged > 100 && flagged < 1900,
            "{flagged} firms with red flags"
        );
        let micro = firms
            .iter()
            .filter(|f| f.profile.size == SizeClass::Micro)
            .count();
        assert!((1200..1600).contains(&micro), "{micro} micro firms");
        // Industries differ as documented: J above F on average.
        let avg = |i: Industry| {
            let xs: Vec<f64> = firms
                .iter()
                .filter(|f| f.profile.industry == i)
                .map(|f| f64::from(f.assessment.overall.score))
                .collect();
            xs.iter().sum::<f64>() / xs.len().max(1) as f64
        };
        assert!(avg(Industry::ALL[9]) > avg(Industry::ALL[5]));
    }

    impl DemoGenerator<'_> {
        fn firm_n(&mut self, n: usize) -> DemoFirm {
            let mut last = self.firm();
            for _ in 1..n {
                last = self.firm();
            }
            last
        }
    }
}

/// What `seed-demo` did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub firms: usize,
    pub cohorts: usize,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("statistics: {0}")]
    Benchmark(#[from] crate::benchmark::BenchmarkError),
    #[error("stored cohort cell is unreadable: {0}")]
    Corrupt(String),
    #[error("there is no campaign {0}")]
    NoCampaign(i64),
}

/// Rows per transaction while loading.
const BATCH: usize = 50_000;

/// Writes `firms` demo responses and counts them in the statistics that include demo data
/// (scope `with_demo`), publishing them when the load ends: their changes are applied at the end,
/// under the merge lock, to the cells as they are then, so submits may go on meanwhile.
pub async fn seed(
    store: &crate::db::Store,
    catalogue: &Catalogue,
    policy: &crate::benchmark::DisclosurePolicy,
    firms: usize,
    seed: u64,
) -> Result<SeedReport, SeedError> {
    seed_into(store, catalogue, policy, firms, seed, None).await
}

/// Like [`seed`], but the firms take part in campaign `campaign_id`, spread evenly over its
/// months and counted in its dashboard (with the consent version `demo`): a chamber's
/// dashboard with 50,000 participants in seconds, for benchmarks and demonstrations (issue 17).
pub async fn seed_campaign(
    store: &crate::db::Store,
    catalogue: &Catalogue,
    policy: &crate::benchmark::DisclosurePolicy,
    campaign_id: i64,
    firms: usize,
    seed: u64,
) -> Result<SeedReport, SeedError> {
    let (from, to) = store
        .demo_campaign_months(campaign_id)
        .await?
        .ok_or_else(|| SeedError::NoCampaign(campaign_id))?;
    let month = |m: &str| {
        m.parse::<crate::dashboard::Month>()
            .map_err(|e| SeedError::Corrupt(format!("campaign month {m:?}: {e}")))
    };
    let (from, to) = (month(&from)?, month(&to)?);
    let mut months = Vec::new();
    let (mut year, mut number) = (from.year(), from.month());
    while (year, number) <= (to.year(), to.month()) {
        let day = time::Month::try_from(number)
            .and_then(|m| time::Date::from_calendar_date(year, m, 10))
            .map_err(|e| SeedError::Corrupt(e.to_string()))?;
        // Noon UTC on the 10th: inside the month in every time zone the dashboard may use.
        months.push(day.midnight().assume_utc().unix_timestamp() * 1000 + 12 * 3_600_000);
        (year, number) = if number == 12 {
            (year + 1, 1)
        } else {
            (year, number + 1)
        };
    }
    let target = CampaignTarget {
        campaign_id,
        months,
    };
    seed_into(store, catalogue, policy, firms, seed, Some(&target)).await
}

struct CampaignTarget {
    campaign_id: i64,
    /// A submit time (epoch ms) per month of the campaign.
    months: Vec<i64>,
}

async fn seed_into(
    store: &crate::db::Store,
    catalogue: &Catalogue,
    policy: &crate::benchmark::DisclosurePolicy,
    firms: usize,
    seed: u64,
    campaign: Option<&CampaignTarget>,
) -> Result<SeedReport, SeedError> {
    use std::collections::BTreeMap;

    use crate::benchmark::{CohortKey, PublishedCell};
    use crate::statistics::{SCOPE_WITH_DEMO, summary_of, versioned_scope};

    let started = std::time::Instant::now();
    // Demo firms answer the given catalogue and count only in its version's cells.
    let scope = versioned_scope(SCOPE_WITH_DEMO, &catalogue.version);
    let dimension_count = catalogue.dimensions.len();
    // What each firm adds to the cells, applied at the end to the cells as they are then
    // (read under the merge lock: a merge while the firms are written is not lost).
    let mut counted: Vec<(Profile, crate::benchmark::ResponseSummary)> = Vec::with_capacity(firms);
    let run = crate::token::ResponseToken::generate()
        .map_err(|e| SeedError::Corrupt(e.to_string()))?
        .hash();
    let run = &run[..16];
    let now = crate::db::now_ms();
    let mut generator = DemoGenerator::new(catalogue, seed);
    let mut written = 0;
    while written < firms {
        let batch = BATCH.min(firms - written);
        let mut rows = Vec::with_capacity(batch);
        for i in 0..batch {
            let firm = generator.firm();
            counted.push((firm.profile, summary_of(&firm.assessment)?));
            let a = &firm.assessment;
            let (campaign_id, submitted_at, result_json) = match campaign {
                Some(c) if !c.months.is_empty() => (
                    Some(c.campaign_id),
                    c.months[(written + i) % c.months.len()],
                    Some(
                        serde_json::to_string(&firm.assessment)
                            .map_err(|e| SeedError::Corrupt(e.to_string()))?,
                    ),
                ),
                _ => (None, now, None),
            };
            rows.push(crate::db::DemoResponse {
                submitted_at,
                campaign_id,
                result_json,
                token_hash: format!("demo:{run}:{}", written + i),
                industry: firm.profile.industry.as_str(),
                size_class: firm.profile.size.as_str(),
                region: firm.profile.region.as_str(),
                overall_score: i64::from(a.overall.score),
                overall_level: i64::from(a.overall.level),
                dimension_scores: a
                    .dimensions
                    .iter()
                    .map(|d| d.score.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                red_flags: a
                    .red_flags
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            });
        }
        let insert_started = std::time::Instant::now();
        store
            .insert_demo_responses(&rows, &catalogue.version, now)
            .await?;
        written += batch;
        tracing::info!(
            written,
            insert_ms = insert_started.elapsed().as_millis() as u64,
            "demo responses loaded"
        );
    }
    let add_firms = |rows: &[crate::db::CellRow]| -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut cells: BTreeMap<CohortKey, PublishedCell> = BTreeMap::new();
        for row in rows {
            let key: CohortKey = row
                .cohort_key
                .parse()
                .map_err(|e| format!("cell {}: {e}", row.cohort_key))?;
            let cell = crate::benchmark::decode_cell(&row.cell)
                .map_err(|e| format!("cell {}: {e}", row.cohort_key))?;
            cells.insert(key, cell);
        }
        for (profile, summary) in &counted {
            for key in CohortKey::all_for(profile) {
                let cell = match cells.entry(key) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(PublishedCell::new(dimension_count).map_err(|e| e.to_string())?)
                    }
                };
                cell.add(policy, summary).map_err(|e| e.to_string())?;
            }
        }
        Ok(cells
            .iter()
            .map(|(key, cell)| (key.to_string(), crate::benchmark::encode_cell(cell)))
            .collect())
    };
    let cohorts = store
        .rewrite_cohort_cells(&scope, add_firms, crate::db::now_ms())
        .await?;
    Ok(SeedReport {
        firms,
        cohorts,
        seconds: started.elapsed().as_secs_f64(),
    })
}
