//! Utility harness: how much a realistic first wave gets to see through the real disclosure code.
//!
//! Feeds synthetic waves from the demo generator through the benchmark's [`CohortBook`] (owners'
//! comparisons) and campaign publications plus [`Dashboard::compute`] (a chamber's dashboard,
//! refreshed after every response, as a chamber that looks daily would), and counts:
//! - owners: share with a comparison, and through which cohort;
//! - dashboard: per section, the cells with at least `k` firms and how many of them are shown.
//!
//! Run `cargo test --lib utility_harness -- --nocapture` to print the table (all four waves,
//! then the first three published once at the end, which shows what the rule over time costs;
//! 26 s in a debug build at load 6–7 with chains over the chamber's publication order, 14 s
//! before at load 4–6: more sets pass the rules, so the audit works more).
//! `utility_goals_of_issue_14` and `utility_goal_two_groups_on_the_first_wave` check the
//! issue's goals.

use std::collections::BTreeMap;

use time::{Date, Duration};

use super::{
    CampaignId, CampaignPublication, Dashboard, DashboardCatalogue, DashboardInputs, Filter,
    ParticipantId, ParticipantSummary, PublishOutcome, PublishedCampaigns,
};
use crate::benchmark::{
    CohortBook, CohortKey, CohortKind, Comparison, DisclosurePolicy, Industry, Region, SizeClass,
    comparison_cohort,
};
use crate::demo::DemoGenerator;
use crate::statistics::summary_of;

/// How a wave is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wave {
    pub(crate) name: &'static str,
    pub(crate) firms: usize,
    /// Share of firms moved into one region (Niedersachsen) and one industry (C), else the
    /// demo generator's distribution.
    pub(crate) skew: Option<(f64, f64)>,
    pub(crate) campaigns: usize,
    pub(crate) months: i64,
    pub(crate) seed: u64,
    /// Refresh the campaign publications after every response (a chamber looking daily), or
    /// only once at the end (shows what the rule over time costs).
    pub(crate) refresh_each: bool,
}

pub(crate) const FIRST_WAVE: Wave = Wave {
    name: "21 skewed",
    firms: 21,
    skew: Some((0.85, 0.60)),
    campaigns: 2,
    months: 3,
    seed: 14,
    refresh_each: true,
};

pub(crate) const WAVES: [Wave; 4] = [
    FIRST_WAVE,
    Wave {
        name: "50",
        firms: 50,
        skew: None,
        campaigns: 2,
        months: 4,
        seed: 50,
        refresh_each: true,
    },
    Wave {
        name: "200",
        firms: 200,
        skew: None,
        campaigns: 3,
        months: 6,
        seed: 200,
        refresh_each: true,
    },
    Wave {
        name: "2000",
        firms: 2000,
        skew: None,
        campaigns: 4,
        months: 12,
        seed: 2000,
        refresh_each: true,
    },
];

/// A chamber-wide epoch for tests that refresh publications by hand: one counter for the
/// process, so epochs increase in the order of the calls (what the store's counter gives).
pub(crate) fn next_epoch() -> u64 {
    static EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
}

/// Shown cells among those with at least `k` firms, for one section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Cells with at least `k` firms (for red flags: `k` with and `k` without).
    pub(crate) eligible: usize,
    /// Of those, shown.
    pub(crate) shown: usize,
    /// Shown cells in total (a merged band may be shown where no single row had `k`).
    pub(crate) shown_any: usize,
    /// Rows listed (published or suppressed).
    pub(crate) rows: usize,
    /// Of the eligible cells shown, those shown at an earlier state ("as of").
    pub(crate) earlier: usize,
}

/// Whether a cell is shown, and whether at an earlier state.
fn seen<T>(cell: &super::Cell<T>) -> (bool, bool) {
    (cell.value().is_some(), cell.as_of().is_some())
}

impl Tally {
    fn add(&mut self, eligible: bool, (shown, earlier): (bool, bool)) {
        self.rows += 1;
        self.eligible += usize::from(eligible);
        self.shown += usize::from(eligible && shown);
        self.earlier += usize::from(eligible && shown && earlier);
        self.shown_any += usize::from(shown);
    }

    fn share(&self) -> f64 {
        if self.eligible == 0 {
            1.0
        } else {
            self.shown as f64 / self.eligible as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) firms: usize,
    pub(crate) compared_by: BTreeMap<&'static str, usize>,
    pub(crate) sections: BTreeMap<&'static str, Tally>,
    /// Breakdown sections with at least two shown groups.
    pub(crate) breakdowns_with_two_groups: usize,
    /// Looks at the dashboard while the wave came in (each audited, its kept sets recorded).
    pub(crate) looks: usize,
    /// Of the audits (the looks and the last one), those that ran out of work (see
    /// `audit::AUDIT_WORK`), those not due for a full audit (`audit::due`), and the most
    /// steps one took.
    pub(crate) given_up: usize,
    pub(crate) deferred: usize,
    pub(crate) max_steps: u64,
    /// Wall time of the wave through the real code.
    pub(crate) seconds: f64,
}

impl Outcome {
    fn owners_compared(&self) -> usize {
        self.compared_by
            .iter()
            .filter(|(k, _)| **k != "none")
            .map(|(_, v)| *v)
            .sum()
    }

    /// The fine cells (sections not marked `+`): the issue's share is measured on these, so
    /// the merged rows added later do not inflate it.
    pub(crate) fn cells(&self) -> Tally {
        let mut t = Tally::default();
        for s in self
            .sections
            .iter()
            .filter(|(name, _)| !name.starts_with('+'))
            .map(|(_, s)| s)
        {
            t.eligible += s.eligible;
            t.shown += s.shown;
            t.shown_any += s.shown_any;
            t.rows += s.rows;
            t.earlier += s.earlier;
        }
        t
    }
}

fn kind_name(kind: CohortKind) -> &'static str {
    match kind {
        CohortKind::IndustrySize => "industry_size",
        CohortKind::Industry => "industry",
        CohortKind::Size => "size",
        CohortKind::Region => "region",
        CohortKind::All => "all",
    }
}

/// A wave after it went through the real code: the benchmark's book, the campaigns'
/// publications and each firm's profile.
pub(crate) struct Simulated {
    pub(crate) book: CohortBook,
    pub(crate) publications: Vec<CampaignPublication>,
    pub(crate) profiles: Vec<crate::benchmark::Profile>,
}

/// Feeds one wave, firm by firm, into the benchmark and the campaign publications.
pub(crate) fn simulate(wave: &Wave) -> Simulated {
    simulate_moments(wave, &mut |_| {})
}

/// [`simulate`], telling `moment` the chamber's publications after every refresh that
/// published (for the attacker across moments, `attacker_tests::attack_over_time`).
pub(crate) fn simulate_moments(
    wave: &Wave,
    moment: &mut dyn FnMut(&[CampaignPublication]),
) -> Simulated {
    let policy = DisclosurePolicy::default();
    let catalogue = crate::survey::current();
    let mut generator = DemoGenerator::new(catalogue, wave.seed);
    // A second stream for the skew, so the demo firms themselves stay reproducible.
    let mut skew_rng = DemoGenerator::new(catalogue, wave.seed ^ 0x5eed);
    let mut coin = move || {
        // Any reproducible number in 0..1 will do: take it from a demo firm's overall score.
        let f = skew_rng.firm();
        (f64::from(f.assessment.overall.score) * 7.919).fract()
    };
    let start = Date::from_calendar_date(2026, time::Month::January, 5).unwrap_or(Date::MIN);
    let days = (wave.months * 30).max(1);

    let mut book = CohortBook::new(catalogue.dimensions.len()).expect("book");
    let mut publications: Vec<CampaignPublication> = (0..wave.campaigns)
        .map(|c| CampaignPublication::new(CampaignId::new(format!("c{c}"))))
        .collect();
    let mut live: Vec<Vec<ParticipantSummary>> = vec![Vec::new(); wave.campaigns];
    // The chamber's publication counter: one epoch per refresh that publishes.
    let mut epoch = 0u64;
    let mut profiles = Vec::new();

    for i in 0..wave.firms {
        let firm = generator.firm();
        let mut profile = firm.profile;
        if let Some((region, industry)) = wave.skew {
            if coin() < region {
                profile.region = Region::Niedersachsen;
            }
            if coin() < industry {
                profile.industry = Industry::Manufacturing;
            }
        }
        let summary = summary_of(&firm.assessment).expect("summary");
        book.submit(&policy, &profile, &summary).expect("submit");
        profiles.push(profile);
        let campaign = i % wave.campaigns;
        let offset = (i as i64 * days) / wave.firms.max(1) as i64;
        live[campaign].push(ParticipantSummary {
            id: ParticipantId::new(format!("p{i}")),
            campaign: CampaignId::new(format!("c{campaign}")),
            submitted: start + Duration::days(offset),
            profile,
            response: summary,
        });
        if wave.refresh_each {
            epoch += 1;
            let outcome = publications[campaign]
                .refresh(&policy, &live[campaign], epoch)
                .expect("refresh");
            if outcome == PublishOutcome::Published {
                moment(&publications);
            }
        }
    }
    for c in 0..publications.len() {
        epoch += 1;
        let outcome = publications[c]
            .refresh(&policy, &live[c], epoch)
            .expect("refresh");
        if outcome == PublishOutcome::Published {
            moment(&publications);
        }
    }

    Simulated {
        book,
        publications,
        profiles,
    }
}

/// The dashboard of `filter` on `data`, without a comparison period or all-firms figures.
pub(crate) fn dashboard_of(
    policy: &DisclosurePolicy,
    catalogue: &DashboardCatalogue,
    data: &PublishedCampaigns<'_>,
    filter: &Filter,
) -> Result<Dashboard, super::DashboardError> {
    let inputs = DashboardInputs {
        policy,
        catalogue,
        data,
        all_firms: None,
    };
    Dashboard::compute(&inputs, filter, None)
}

/// The dashboard of the whole chamber (every campaign, no filter, no comparison) on `data`.
pub(crate) fn whole_chamber(
    policy: &DisclosurePolicy,
    catalogue: &DashboardCatalogue,
    data: &PublishedCampaigns<'_>,
) -> Dashboard {
    dashboard_of(policy, catalogue, data, &Filter::all()).expect("dashboard")
}

/// Runs one wave through the real code.
pub(crate) fn run(wave: &Wave) -> Outcome {
    let policy = DisclosurePolicy::default();
    let k = policy.k() as usize;
    let catalogue = crate::survey::current();
    // The chamber looks at its dashboard as the wave comes in, and the audit records what it
    // keeps at each look (see `history`): after every publication on waves up to 50 firms,
    // about every fifth on 200 firms (about eight looks), every twentieth on 2,000 (about 20
    // looks; a publication moves a campaign by `k`, so a wave has about `firms / k` of them).
    let started = std::time::Instant::now();
    let dashboard_catalogue = DashboardCatalogue::from_catalogue(catalogue);
    let mut history: Vec<super::KeptSet> = Vec::new();
    let mut moment = 0usize;
    let (mut looks, mut given_up, mut deferred, mut max_steps) = (0usize, 0usize, 0usize, 0u64);
    let stride = looks_stride(wave.firms);
    let Simulated {
        book,
        publications,
        profiles,
    } = simulate_moments(wave, &mut |publications| {
        moment += 1;
        if !moment.is_multiple_of(stride) {
            return;
        }
        let Ok(data) = PublishedCampaigns::from_publications(publications) else {
            return;
        };
        let data = data.knowing(history.clone());
        let inputs = DashboardInputs {
            policy: &policy,
            catalogue: &dashboard_catalogue,
            data: &data,
            all_firms: None,
        };
        let look = std::time::Instant::now();
        if Dashboard::compute(&inputs, &Filter::default(), None).is_ok() {
            history.extend(data.new_kept_sets().unwrap_or_default().iter().cloned());
            looks += 1;
            if std::env::var("HARNESS_TRACE").is_ok()
                && let Some(audit) = data.cached_audit(policy.k())
            {
                let (echelon, searching) = audit.trace();
                eprintln!(
                    "{} firms, look {looks}: {} recorded, steps {} (echelon {echelon}), given \
                     up {}, deferred {}, {:.2} s (searching {searching:.2} s)",
                    wave.firms,
                    history.len(),
                    audit.steps(),
                    audit.exhausted(),
                    audit.deferred(),
                    look.elapsed().as_secs_f64()
                );
            }
            if let Some(audit) = data.cached_audit(policy.k()) {
                given_up += usize::from(audit.exhausted());
                deferred += usize::from(audit.deferred());
                max_steps = max_steps.max(audit.steps());
            }
        }
    });
    let mut outcome = Outcome {
        firms: wave.firms,
        looks,
        ..Outcome::default()
    };

    // Owners.
    let verdicts = book.disclose(&policy).expect("disclose");
    for profile in &profiles {
        let name = match comparison_cohort(&policy, profile, |key| verdicts.get(key)) {
            Comparison::Cohort { key, .. } => kind_name(key.kind()),
            Comparison::Unavailable { .. } => "none",
        };
        *outcome.compared_by.entry(name).or_default() += 1;
    }

    // Dashboard of every campaign, unfiltered, knowing what was shown before.
    let data = PublishedCampaigns::from_publications(&publications)
        .expect("data")
        .knowing(history);
    let all_firms = verdicts.get(&CohortKey::All);
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &dashboard_catalogue,
        data: &data,
        all_firms,
    };
    let dashboard = Dashboard::compute(&inputs, &Filter::default(), None).expect("dashboard");
    if let Some(audit) = data.cached_audit(policy.k()) {
        given_up += usize::from(audit.exhausted());
        deferred += usize::from(audit.deferred());
        max_steps = max_steps.max(audit.steps());
    }
    outcome.given_up = given_up;
    outcome.deferred = deferred;
    outcome.max_steps = max_steps;
    if std::env::var("HARNESS_DEBUG").is_ok() {
        eprintln!("{}", serde_json::to_string(&dashboard).unwrap_or_default());
        eprintln!(
            "{:?}",
            verdicts
                .iter()
                .map(|(k, d)| (
                    k.to_string(),
                    d.published().map(|p| p.n()).ok_or(match d {
                        crate::benchmark::Disclosure::Suppressed(r) => *r,
                        _ => crate::benchmark::SuppressionReason::TooFew,
                    })
                ))
                .collect::<Vec<_>>()
        );
    }
    let shown: Vec<&ParticipantSummary> = data.participants().collect();
    let n = shown.len();
    tally_dashboard(
        &mut outcome,
        &dashboard,
        &shown,
        k,
        n,
        // Eligible when the benchmark holds k firms or more, whether or not it shows them.
        Some(u32::try_from(profiles.len()).unwrap_or(u32::MAX)),
    );
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}

/// Every how many publications the chamber looks at its dashboard while a wave comes in (see
/// [`run`]); `HARNESS_LOOKS=n` looks every `n`th.
fn looks_stride(firms: usize) -> usize {
    if let Some(n) = std::env::var("HARNESS_LOOKS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        return n.max(1);
    }
    match firms {
        0..=50 => 1,
        51..=500 => 5,
        // About four looks in the lib tests (each audit of a large wave with a history takes
        // up to its work bound, about 2–3 s in a debug build); `HARNESS_LOOKS=20` for about
        // 20 (`history_cost_on_the_200_firm_wave`, `HARNESS_WAVE=3`).
        _ => 100,
    }
}

/// [`run`] of `WAVES[i]`, once per test process (several tests read the same waves).
fn outcome_of(i: usize) -> Outcome {
    static OUTCOMES: std::sync::OnceLock<Vec<std::sync::OnceLock<Outcome>>> =
        std::sync::OnceLock::new();
    let cells = OUTCOMES.get_or_init(|| WAVES.iter().map(|_| std::sync::OnceLock::new()).collect());
    cells
        .get(i)
        .map(|cell| cell.get_or_init(|| run(&WAVES[i])).clone())
        .unwrap_or_default()
}

fn tally_dashboard(
    outcome: &mut Outcome,
    dashboard: &Dashboard,
    shown: &[&ParticipantSummary],
    k: usize,
    n: usize,
    all_firms_n: Option<u32>,
) {
    let s = &mut outcome.sections;
    s.entry("total")
        .or_default()
        .add(n >= k, seen(&dashboard.participants));
    let all = s.entry("all firms").or_default();
    for row in &dashboard.scores {
        all.add(
            all_firms_n.is_some_and(|a| a as usize >= k),
            seen(&row.all_firms),
        );
    }
    let topics = s.entry("topics").or_default();
    for row in &dashboard.scores {
        topics.add(n >= k, seen(&row.cohort));
    }
    let levels = s.entry("levels").or_default();
    for row in &dashboard.levels {
        let c = shown
            .iter()
            .filter(|p| p.response.overall_level() == row.key)
            .count();
        levels.add(c >= k, seen(&row.cell));
    }
    let flags = s.entry("red flags").or_default();
    for row in &dashboard.red_flags {
        let c = shown
            .iter()
            .filter(|p| p.response.red_flags().contains(&row.key))
            .count();
        flags.add(c >= k && n - c >= k, seen(&row.cell));
    }
    let mut two = 0;
    let mut breakdown = |name: &'static str, rows: Vec<(usize, (bool, bool))>| {
        let t = s.entry(name).or_default();
        let mut shown_groups = 0;
        for (c, published) in rows {
            t.add(c >= k, published);
            shown_groups += usize::from(published.0);
        }
        two += usize::from(shown_groups >= 2);
    };
    breakdown(
        "by industry",
        dashboard
            .by_industry
            .iter()
            .map(|r| {
                let c = shown.iter().filter(|p| p.profile.industry == r.key).count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    breakdown(
        "by size",
        dashboard
            .by_size
            .iter()
            .map(|r| {
                let c = shown.iter().filter(|p| p.profile.size == r.key).count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    breakdown(
        "by region",
        dashboard
            .by_region
            .iter()
            .map(|r| {
                let c = shown.iter().filter(|p| p.profile.region == r.key).count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    // Merged rows (coarser groupings), counted apart.
    // A single band 1–5 is the selection, not a distribution: not counted.
    let bands = s.entry("+level bands").or_default();
    for row in dashboard
        .level_bands
        .iter()
        .filter(|_| dashboard.level_bands.len() >= 2)
    {
        let c = shown
            .iter()
            .filter(|p| row.key.contains(p.response.overall_level()))
            .count();
        bands.add(c >= k, seen(&row.cell));
    }
    let mut group = |name: &'static str, rows: Vec<(usize, (bool, bool))>| {
        let t = s.entry(name).or_default();
        let mut shown_groups = 0;
        for (c, published) in rows {
            t.add(c >= k, published);
            shown_groups += usize::from(published.0);
        }
        two += usize::from(shown_groups >= 2);
    };
    group(
        "+by sector",
        dashboard
            .by_sector
            .iter()
            .map(|r| {
                let c = shown
                    .iter()
                    .filter(|p| super::Sector::of(p.profile.industry) == r.key)
                    .count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    group(
        "+by size band",
        dashboard
            .by_size_band
            .iter()
            .map(|r| {
                let c = shown
                    .iter()
                    .filter(|p| super::SizeBand::of(p.profile.size) == r.key)
                    .count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    group(
        "+by region group",
        dashboard
            .by_region_group
            .iter()
            .map(|r| {
                let c = shown
                    .iter()
                    .filter(|p| super::RegionGroup::of(p.profile.region) == r.key)
                    .count();
                (c, seen(&r.cell))
            })
            .collect(),
    );
    outcome.breakdowns_with_two_groups = two;
    let _ = SizeClass::ALL;
}

pub(crate) fn table(waves: &[(Wave, Outcome)]) -> String {
    let mut out = String::new();
    out.push_str("wave      | owners compared (by cohort)                         | dashboard cells ≥k shown (rows listed)\n");
    for (wave, o) in waves {
        let by: Vec<String> = o
            .compared_by
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push_str(&format!(
            "{:<9} | {:>4}/{:<4} {:<42} |",
            wave.name,
            o.owners_compared(),
            o.firms,
            by.join(", ")
        ));
        for (name, t) in &o.sections {
            out.push_str(&format!(" {name} {}/{} ({})", t.shown, t.eligible, t.rows));
        }
        let c = o.cells();
        out.push_str(&format!(
            " | total {}/{} = {:.0} % (now {}, as of earlier {}, hidden {}); breakdowns with ≥2 groups: {}; {} looks, audits given up {}, deferred {}, most steps {}; {:.1} s\n",
            c.shown,
            c.eligible,
            100.0 * c.share(),
            c.shown - c.earlier,
            c.earlier,
            c.eligible - c.shown,
            o.breakdowns_with_two_groups,
            o.looks,
            o.given_up,
            o.deferred,
            o.max_steps,
            o.seconds
        ));
    }
    out
}

/// Owners compared and dashboard cells shown, per wave in [`WAVES`] order.
fn figures(results: &[(Wave, Outcome)]) -> Vec<(usize, usize)> {
    results
        .iter()
        .map(|(_, o)| (o.owners_compared(), o.cells().shown))
        .collect()
}

#[test]
fn utility_harness() {
    let results: Vec<(Wave, Outcome)> = WAVES
        .iter()
        .enumerate()
        .map(|(i, w)| (*w, outcome_of(i)))
        .collect();
    println!("{}", table(&results));
    let once: Vec<(Wave, Outcome)> = WAVES[..3]
        .iter()
        .map(|w| {
            let w = Wave {
                refresh_each: false,
                ..*w
            };
            (w, run(&w))
        })
        .collect();
    println!("published once, at the end:\n{}", table(&once));
    // What shared publication epochs would give: every firm in one campaign, published once
    // (no campaign part is ever compared with the state before that campaign's first
    // publication).
    let shared: Vec<(Wave, Outcome)> = WAVES[..3]
        .iter()
        .map(|w| {
            let w = Wave {
                refresh_each: false,
                campaigns: 1,
                ..*w
            };
            (w, run(&w))
        })
        .collect();
    println!("one campaign, published once:\n{}", table(&shared));
    for (_, o) in results.iter().chain(&once).chain(&shared) {
        assert_eq!(
            o.compared_by.values().sum::<usize>(),
            o.firms,
            "every owner is counted once"
        );
    }
    // Floors: what the rules give today, so a change that shows less fails here. Raise them
    // when the rules publish more. Before released memberships (issue 14, task stats14): 21,
    // 21, 21, 21 cells; with them and the pairwise rules gone: 24/28, 31/35, 47/62, 70/73; with lagging sets' current
    // states withheld: 23/28, 32/35, 47/62, 70/73; with chains over the chamber's publication
    // order (task epochs14): 25/28, 34/35, 59/62, 72/73; with earlier chain elements (task
    // part14): 26/28, 34/35, 60/62, 73/73; with the history known (task hist14; looked at
    // after every publication up to 50 firms, larger waves only at the end): 25/28, 32/35,
    // 60/62, 73/73 (lowered: safety wins over the goal); with earlier figures and the work
    // bound (task hist14; looks on every wave: 21 and 50 after every publication, 200 about
    // 8, 2,000 about 4): 27/28, 34/35, 57/62, 72/73, of which shown at an earlier state 3, 2,
    // 34, 60 (the larger waves' audits reach the bound, so their figures stay at the last
    // state audited in full). With the search's row × loose-atom halves cut (task hist, same
    // finds) the 2,000-firm wave's looks 1–2 and its final audit finish, and with only the 32
    // latest recorded states tried per figure (`view::MAX_POINTS`) that exact audit hid the
    // total and every breakdown (10/73; the 72 before was the bound's, figures staying at
    // look 1). With 256 states tried: 27/28, 34/35, 58/62, 73/73, of which shown at an
    // earlier state 3, 2, 17, 11 (same harness time).
    let floor = [(21, 27), (50, 34), (200, 58), (2000, 73)];
    for ((wave, _), (got, want)) in results.iter().zip(figures(&results).into_iter().zip(floor)) {
        assert!(
            got.0 >= want.0 && got.1 >= want.1,
            "{}: owners compared and cells shown {got:?}, at least {want:?} before",
            wave.name
        );
    }
}

/// The goals of issue 14 that are met: every owner of the 21-firm wave gets a comparison, its
/// dashboard shows topics and a level distribution, 200 firms show at least 80 % of the cells
/// with `k` firms, 2,000 firms at least 95 %. The two-group breakdown is checked apart
/// ([`utility_goal_two_groups_on_the_first_wave`]).
#[test]
fn utility_goals_of_issue_14() {
    let first = outcome_of(0);
    println!("{}", table(&[(FIRST_WAVE, first.clone())]));
    let mut unmet = Vec::new();
    if first.owners_compared() < first.firms {
        unmet.push("21 firms: not every owner gets a comparison".to_owned());
    }
    let shown_any = |section: &str| first.sections.get(section).is_some_and(|t| t.shown_any > 0);
    if !shown_any("topics") {
        unmet.push("21 firms: no topics shown".to_owned());
    }
    // A level distribution: single levels or merged bands.
    if !(shown_any("levels") || shown_any("+level bands")) {
        unmet.push("21 firms: no level distribution shown".to_owned());
    }
    for (i, goal) in [(2, 0.80), (3, 0.95)] {
        let wave = &WAVES[i];
        let share = outcome_of(i).cells().share();
        if share < goal {
            unmet.push(format!(
                "{} firms: {:.0} % of cells with k firms shown, goal {:.0} %",
                wave.firms,
                share * 100.0,
                goal * 100.0
            ));
        }
    }
    assert!(unmet.is_empty(), "{}", unmet.join("\n"));
}

/// Issue 14's goal of a breakdown with two groups on the 21-firm wave, published after every
/// response. The only breakdown with two groups of `k` is by size (14 micro, 6 small firms),
/// and the small group's chain stands at 5 (it reached 5 one publication before its 6th firm
/// came), so everyone (20), micro (14) and small (5) would isolate that 6th firm; micro is
/// shown at the element of its chain before the last, 7 (see the dashboard notes, "Earlier
/// chain elements"). Published once at the end both show their current counts.
#[test]
fn utility_goal_two_groups_on_the_first_wave() {
    let first = outcome_of(0);
    println!("{}", table(&[(FIRST_WAVE, first.clone())]));
    assert!(
        first.breakdowns_with_two_groups > 0,
        "21 firms: no breakdown with two groups"
    );
}

/// What knowing the history costs on the 200-firm wave, looked at every eight publications
/// (about eight looks), printed, not asserted: `HARNESS_LOOKS=1 cargo test --lib
/// history_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn history_cost_on_the_200_firm_wave() {
    let started = std::time::Instant::now();
    // `HARNESS_WAVE=3`: the 2,000-firm wave instead; `HARNESS_FIRMS=n`: that wave with `n`
    // firms (a larger chamber).
    let mut wave = *std::env::var("HARNESS_WAVE")
        .ok()
        .and_then(|w| w.parse::<usize>().ok())
        .and_then(|w| WAVES.get(w))
        .unwrap_or(&WAVES[2]);
    if let Some(firms) = std::env::var("HARNESS_FIRMS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        wave.firms = firms;
    }
    let outcome = run(&wave);
    println!("{}", table(&[(wave, outcome)]));
    println!("{:.1} s", started.elapsed().as_secs_f64());
}

/// Compute time of one dashboard from fresh published data (the audit included, as on a
/// cache miss after a publication change), printed, not asserted: `DASHBOARD_TIMING=2000,50000
/// cargo test --lib dashboard_timing -- --ignored --nocapture` (use `--release` for figures).
#[test]
#[ignore = "a measurement, run by hand"]
fn dashboard_timing() {
    let sizes: Vec<usize> = std::env::var("DASHBOARD_TIMING")
        .unwrap_or_else(|_| "2000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let policy = DisclosurePolicy::default();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    for firms in sizes {
        let wave = Wave {
            name: "timing",
            firms,
            skew: None,
            campaigns: 4,
            months: 12,
            seed: 17,
            refresh_each: false,
        };
        let sim = simulate(&wave);
        for (what, filter) in [
            ("all", Filter::all()),
            (
                "one industry",
                Filter::all().with_industry(Industry::Manufacturing),
            ),
        ] {
            let data = PublishedCampaigns::from_publications(&sim.publications).expect("data");
            let inputs = DashboardInputs {
                policy: &policy,
                catalogue: &catalogue,
                data: &data,
                all_firms: None,
            };
            let start = std::time::Instant::now();
            let d = Dashboard::compute(&inputs, &filter, None).expect("dashboard");
            let first = start.elapsed();
            let start = std::time::Instant::now();
            let _ = Dashboard::compute(&inputs, &filter, None).expect("dashboard");
            let again = start.elapsed();
            println!(
                "{firms} firms, {what}: first {first:?} (fresh data), again {again:?} (same data); selection {:?}",
                d.participants.n()
            );
        }
    }
}

/// Compute time of one dashboard after a second publication (issue 17, item 4: the chains
/// then have earlier elements, so the audit offers them and works most): one campaign of
/// `firms` over six months published, then 10 firms join and it is published again. Printed,
/// not asserted: `AUDIT_TIMING=5000 cargo test --lib audit_timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn audit_timing_second_publication() {
    let sizes: Vec<usize> = std::env::var("AUDIT_TIMING")
        .unwrap_or_else(|_| "2000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let policy = DisclosurePolicy::default();
    let catalogue = crate::survey::current();
    let dashboard_catalogue = DashboardCatalogue::from_catalogue(catalogue);
    let start = Date::from_calendar_date(2026, time::Month::January, 5).unwrap_or(Date::MIN);
    for firms in sizes {
        let mut generator = DemoGenerator::new(catalogue, 17);
        let mut publication = CampaignPublication::new(CampaignId::new("c0"));
        let mut live = Vec::new();
        let join = 10;
        for i in 0..firms + join {
            let firm = generator.firm();
            live.push(ParticipantSummary {
                id: ParticipantId::new(format!("p{i}")),
                campaign: CampaignId::new("c0"),
                submitted: start + Duration::days((i * 180 / firms.max(1)) as i64),
                profile: firm.profile,
                response: summary_of(&firm.assessment).expect("summary"),
            });
            if i + 1 == firms {
                publication.refresh(&policy, &live, 1).expect("refresh");
            }
        }
        publication.refresh(&policy, &live, 2).expect("refresh");
        let publications = [publication];
        let data = PublishedCampaigns::from_publications(&publications).expect("data");
        let inputs = DashboardInputs {
            policy: &policy,
            catalogue: &dashboard_catalogue,
            data: &data,
            all_firms: None,
        };
        let t = std::time::Instant::now();
        let d = Dashboard::compute(&inputs, &Filter::all(), None).expect("dashboard");
        println!(
            "{firms} firms + {join} joined, second publication: first dashboard {:?}; selection {:?}",
            t.elapsed(),
            d.participants.n()
        );
    }
}

/// A view given only the prepared work of a state, without the history (the service's later
/// filters, and requests that find the work made by the warm-up or another request), shows
/// what a view knowing the history shows (task flake14): the earlier states it may show a
/// figure at come with the work. Before, such a view tried no earlier state and hid those
/// figures (fewer figures than the state's first view; the flaky `dashboard_history` test).
#[test]
fn a_view_on_prepared_work_shows_the_earlier_figures_its_audit_knew() {
    let policy = DisclosurePolicy::default();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    let compute = |data: &PublishedCampaigns<'_>, filter: &Filter| {
        dashboard_of(&policy, &catalogue, data, filter).expect("dashboard")
    };
    // The chamber looks after every publication; each look's audit records what it kept.
    let mut history: Vec<super::KeptSet> = Vec::new();
    let Simulated { publications, .. } = simulate_moments(&FIRST_WAVE, &mut |publications| {
        let data = PublishedCampaigns::from_publications(publications)
            .expect("data")
            .knowing(history.clone());
        compute(&data, &Filter::all());
        history.extend(data.new_kept_sets().unwrap_or_default().iter().cloned());
    });
    let knowing = || {
        PublishedCampaigns::from_publications(&publications)
            .expect("data")
            .knowing(history.clone())
    };
    // The first view makes the work, knowing the history.
    let first = knowing();
    let shown = compute(&first, &Filter::all());
    let json = serde_json::to_string(&shown).expect("json");
    assert!(
        json.contains("\"as_of\""),
        "no earlier figure to lose: {json}"
    );
    let mut one_campaign = Filter::all();
    one_campaign.campaigns.insert(CampaignId::new("c0"));
    for filter in [Filter::all(), one_campaign] {
        let on_work = PublishedCampaigns::from_publications(&publications)
            .expect("data")
            .with_prepared(first.prepared());
        let fresh = compute(&knowing(), &filter);
        assert!(
            compute(&on_work, &filter) == fresh,
            "{filter:?}: the view on the prepared work differs from one knowing the history"
        );
    }
}

/// A chamber that looks after every publication of the 200-firm wave (about 40 looks): its
/// states are audited in full as the data grows by a quarter (`audit::due`), the others keep
/// the known sets and show the last full audit's figures, so no audit reaches the work bound
/// and the history grows with each quarter of growth, not with each look. Without the
/// schedule every look (39 of 39) is a full audit and records what it kept.
#[test]
fn a_chamber_that_looks_after_every_publication_is_audited_as_its_data_grows() {
    let policy = DisclosurePolicy::default();
    let k = policy.k();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    let mut history: Vec<super::KeptSet> = Vec::new();
    // (participants, full audit?) per look.
    let mut looks: Vec<(usize, bool)> = Vec::new();
    let mut given_up = 0;
    // The schedule from 20 participants on (the service's starts at 200, which this wave
    // would barely pass).
    super::audit::GROWTH_PERCENT.with(|g| g.set(Some((super::audit::AUDIT_GROWTH_PERCENT, 20))));
    let Simulated { publications, .. } = simulate_moments(&WAVES[2], &mut |publications| {
        let data = PublishedCampaigns::from_publications(publications)
            .expect("data")
            .knowing(history.clone());
        whole_chamber(&policy, &catalogue, &data);
        let audit = data.cached_audit(k).expect("the look's audit");
        given_up += usize::from(audit.exhausted());
        looks.push((data.participants().count(), !audit.deferred()));
        history.extend(data.new_kept_sets().unwrap_or_default().iter().cloned());
    });
    super::audit::GROWTH_PERCENT.with(|g| g.set(None));
    let full: Vec<usize> = looks.iter().filter(|l| l.1).map(|l| l.0).collect();
    assert_eq!(
        given_up, 0,
        "audits reached the work bound; full audits at {full:?}"
    );
    assert!(
        full.len() < looks.len() / 2,
        "{} full audits of {} looks: {full:?}",
        full.len(),
        looks.len()
    );
    // The chamber's last look shows what the issue asks of 200 firms.
    let data = PublishedCampaigns::from_publications(&publications)
        .expect("data")
        .knowing(history);
    let dashboard = whole_chamber(&policy, &catalogue, &data);
    let shown: Vec<&ParticipantSummary> = data.participants().collect();
    let mut outcome = Outcome::default();
    tally_dashboard(
        &mut outcome,
        &dashboard,
        &shown,
        k as usize,
        shown.len(),
        None,
    );
    let cells = outcome.cells();
    assert!(
        cells.share() >= 0.80,
        "{}/{} cells shown; full audits at {full:?}",
        cells.shown,
        cells.eligible
    );
}
