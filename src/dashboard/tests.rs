//! Hand-computed dashboards.

use time::{Date, Month as CalendarMonth};

use super::*;
use crate::benchmark::{
    CohortAggregate, CohortKey, DisclosurePolicy, Industry, Profile, Region, ResponseSummary,
    SizeClass, SuppressionReason, disclose,
};
use SuppressionReason::{Complementary, Differencing, TooFew};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Campaign, month of 2026, industry, size, overall score and level, dimension scores, flags.
type Row = (
    &'static str,
    u8,
    &'static str,
    &'static str,
    u8,
    u8,
    [u8; 2],
    &'static [&'static str],
);

fn participants(rows: &[Row]) -> Result<Vec<ParticipantSummary>, Box<dyn std::error::Error>> {
    rows.iter()
        .enumerate()
        .map(
            |(i, &(campaign, month, industry, size, score, level, dims, flags))| {
                Ok(ParticipantSummary {
                    id: ParticipantId::new(format!("p{i}")),
                    campaign: CampaignId::new(campaign),
                    submitted: Date::from_calendar_date(2026, CalendarMonth::try_from(month)?, 15)?,
                    profile: Profile::parse(industry, size, "DE-BY")?,
                    response: ResponseSummary::new(
                        score,
                        level,
                        dims.to_vec(),
                        vec![level; 2],
                        flags.iter().map(|f| (*f).to_owned()),
                    )?,
                })
            },
        )
        .collect()
}

/// Eight firms of one campaign, Jan–Mar 2026.
const EIGHT: [Row; 8] = [
    ("c1", 1, "C", "small", 10, 1, [20, 0], &["no_website"]),
    ("c1", 1, "C", "small", 30, 2, [40, 10], &["no_website"]),
    ("c1", 1, "C", "small", 30, 2, [60, 20], &[]),
    ("c1", 2, "C", "micro", 55, 3, [60, 50], &["no_website"]),
    ("c1", 2, "C", "micro", 80, 4, [80, 90], &[]),
    ("c1", 2, "F", "micro", 100, 5, [100, 100], &["no_website"]),
    ("c1", 3, "F", "micro", 60, 3, [50, 50], &[]),
    ("c1", 3, "F", "small", 70, 4, [70, 70], &[]),
];

fn catalogue() -> DashboardCatalogue {
    DashboardCatalogue {
        dimensions: vec!["strategy".into(), "community".into()],
        red_flags: vec!["no_website".into(), "no_privacy_policy".into()],
    }
}

/// Every campaign published as it is (the step rule is tested separately).
fn publish(
    k: u32,
    people: &[ParticipantSummary],
    campaigns: &[&str],
) -> Result<Vec<CampaignPublication>, Box<dyn std::error::Error>> {
    let policy = DisclosurePolicy::new(k)?;
    campaigns
        .iter()
        .map(|c| {
            let mut publication = CampaignPublication::new(CampaignId::new(*c));
            let live: Vec<_> = people
                .iter()
                .filter(|p| p.campaign.as_str() == *c)
                .cloned()
                .collect();
            publication.refresh(
                &policy,
                &live,
                crate::dashboard::utility_tests::next_epoch(),
            )?;
            Ok(publication)
        })
        .collect()
}

fn dashboard(
    k: u32,
    publications: &[CampaignPublication],
    filter: &Filter,
    change_from: Option<Period>,
) -> Result<Dashboard, Box<dyn std::error::Error>> {
    let data = PublishedCampaigns::from_publications(publications)?;
    let policy = DisclosurePolicy::new(k)?;
    let catalogue = catalogue();
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &catalogue,
        data: &data,
        all_firms: None,
    };
    Ok(Dashboard::compute(&inputs, filter, change_from)?)
}

fn spread(p25: u8, median: u8, p75: u8) -> Spread {
    Spread { p25, median, p75 }
}

fn find<K: PartialEq, T: Clone>(cells: &[Keyed<K, T>], key: K) -> Option<Cell<T>> {
    cells.iter().find(|c| c.key == key).map(|c| c.cell.clone())
}

fn month(m: u8) -> Result<Month, DashboardError> {
    Month::new(2026, m)
}

#[test]
fn unfiltered_campaign_by_hand() -> TestResult {
    let people = participants(&EIGHT)?;
    let d = dashboard(3, &publish(3, &people, &["c1"])?, &Filter::all(), None)?;
    assert_eq!(
        d.participants,
        Cell::Published {
            n: 8,
            value: 8,
            as_of: None
        }
    );

    // Overall 10 30 30 55 60 70 80 100: nearest rank p25 = 2nd, median = 4th, p75 = 6th.
    let overall = &d.scores[0];
    assert_eq!(overall.id, "overall");
    assert_eq!(
        overall.cohort,
        Cell::Published {
            n: 8,
            value: spread(30, 55, 70),
            as_of: None
        }
    );
    assert_eq!(overall.all_firms.reason(), Some(TooFew));
    // strategy 20 40 50 60 60 70 80 100; community 0 10 20 50 50 70 90 100.
    assert_eq!(d.scores[1].cohort.value(), Some(&spread(40, 60, 70)));
    assert_eq!(d.scores[2].cohort.value(), Some(&spread(10, 50, 70)));

    // Jan 3 and Feb 3: each ≥ 3, but see the audit below (January is dropped, and February
    // = C − January − {p3, p4}… is no combination of what is kept). Mar 2: too few.
    assert_eq!(
        find(&d.participation, month(1)?).and_then(|c| c.reason()),
        Some(Complementary)
    );
    assert_eq!(
        find(&d.participation, month(2)?).and_then(|c| c.reason()),
        Some(Complementary)
    );
    assert_eq!(
        find(&d.participation, month(3)?).and_then(|c| c.reason()),
        Some(TooFew)
    );
    assert_eq!(d.participation.len(), 3);

    // Levels 1, 2, 2, 2, 1: every count under 3.
    assert!(d.levels.iter().all(|l| l.cell.reason() == Some(TooFew)));

    // The audit (k = 3), by hand. January = levels 1–2 = {p0, p1, p2} lies inside
    // C = {p0 .. p4}: C − January = {p3, p4} (C in February) is a group of 2, so one must go;
    // the month is cheapest (then the merged band 1–2, and 3–5 = all − 1–2, since
    // 3–5 − F = {p3, p4} again). Offered again, everything else stays: everyone, C, F, small
    // {p0, p1, p2, p7}, micro {p3 .. p6}, no_website {p0, p1, p3, p5}, levels 1–3
    // {p0, p1, p2, p3, p6} and 4–5 {p4, p5, p7}. Their span has rank 5 over the 8 firms and
    // holds no group of 1 or 2 (checked with exact fractions, by hand): e.g. C − 1–3 is
    // {p4} − {p6}, not a set.
    assert_eq!(
        d.level_bands
            .iter()
            .map(|b| (b.key.from, b.key.to, b.cell.value().map(|s| s.count)))
            .collect::<Vec<_>>(),
        vec![(1, 3, Some(5)), (4, 5, Some(3))]
    );
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.n()),
        Some(5)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Construction).and_then(|c| c.n()),
        Some(3)
    );
    // Nobody chose trade: the row is not listed at all.
    assert_eq!(find(&d.by_industry, Industry::Trade), None);
    assert_eq!(d.by_industry.len(), 2);
    assert_eq!(
        find(&d.by_size, SizeClass::Small).and_then(|c| c.n()),
        Some(4)
    );
    assert_eq!(
        find(&d.by_size, SizeClass::Micro).and_then(|c| c.n()),
        Some(4)
    );
    assert_eq!(
        find(&d.by_region, Region::Bayern).and_then(|c| c.n()),
        Some(8)
    );
    // The broader groups hold everyone: one shown row each, the selection's spread.
    assert_eq!(
        d.by_sector,
        vec![Keyed {
            key: super::Sector::Production,
            cell: Cell::Published {
                n: 8,
                value: spread(30, 55, 70),
                as_of: None
            }
        }]
    );
    assert_eq!(d.by_size_band.len(), 1);
    assert_eq!(d.by_region_group.len(), 1);

    // no_website: 4 have it ({p0, p1, p3, p5}), 4 do not, kept by the audit: shown first.
    // no_privacy_policy: nobody.
    assert_eq!(d.red_flags[0].key, "no_website");
    assert_eq!(d.red_flags[0].cell.value().map(|s| s.count), Some(4));
    assert_eq!(d.red_flags[1].cell.reason(), Some(TooFew));
    Ok(())
}

#[test]
fn a_view_one_firm_smaller_than_a_wider_one_is_suppressed() -> TestResult {
    let people = participants(&EIGHT)?;
    let publications = publish(3, &people, &["c1"])?;
    // C ∧ small = 3 firms, but all small firms = 4: the difference is one firm. No pairwise
    // rule any more: the audit finds that C ∧ small is no combination of the kept sets.
    let filter = Filter {
        industry: Some(Industry::Manufacturing),
        size: Some(SizeClass::Small),
        ..Filter::all()
    };
    let d = dashboard(3, &publications, &filter, None)?;
    assert_eq!(d.participants.reason(), Some(Complementary));
    // Everything computed from the selection goes with it.
    assert!(
        d.scores
            .iter()
            .all(|s| s.cohort.reason() == Some(Complementary))
    );
    assert!(
        d.by_region
            .iter()
            .all(|c| c.cell.reason() == Some(Complementary))
    );
    assert!(
        d.red_flags
            .iter()
            .all(|c| c.cell.reason() == Some(Complementary))
    );
    Ok(())
}

#[test]
fn another_visible_campaign_counts_as_a_containing_view() -> TestResult {
    let mut rows = EIGHT.to_vec();
    rows.push(("c2", 1, "C", "small", 50, 3, [50, 50], &[]));
    rows.push(("c2", 1, "C", "small", 50, 3, [50, 50], &[]));
    let people = participants(&rows)?;
    let one = Filter {
        campaigns: [CampaignId::new("c1")].into(),
        ..Filter::all()
    };
    // c2 has 2 firms, below k = 3, so it is not shown by itself (nothing published yet)…
    let publications = publish(3, &people, &["c1", "c2"])?;
    assert!(publications[1].snapshot().is_none());
    assert!(dashboard(3, &publications, &one, None)?.is_published());
    // …but once it is (k = 2 would be refused; publish with k = 3 after a third firm).
    rows.push(("c2", 2, "F", "micro", 50, 3, [50, 50], &[]));
    let people = participants(&rows)?;
    let publications = publish(3, &people, &["c1", "c2"])?;
    // c1 = 8, c1 + c2 = 11. Level 3 is {p3, p6} in c1 and all 3 of c2: over both campaigns
    // it reached 5 at c2's publication, so all 5 are released (per campaign, c1's part never
    // held 3 and level 3 showed 3). Level 3 − c2 is then {p3, p6}, with c2 = everyone − c1:
    // the audit drops c1 (a campaign costs less than a level), so c1's own view is hidden
    // (shown, it would give that small group).
    let d = dashboard(3, &publications, &one, None)?;
    assert_eq!(d.participants.reason(), Some(Complementary));
    let all = dashboard(3, &publications, &Filter::all(), None)?;
    assert_eq!(all.levels[2].cell.value().map(|s| s.count), Some(5));
    assert!(dashboard(3, &publications, &Filter::all(), None)?.is_published());
    let publications = publish(4, &people, &["c1", "c2"])?;
    assert_eq!(publications[1].snapshot().map(Iterator::count), None);
    let d = dashboard(4, &publications, &one, None)?;
    // Under k = 4 c2 is not published: c1 is everyone shown, which the audit keeps.
    assert!(
        d.is_published(),
        "c2 is unpublished under k = 4, so it adds nobody"
    );
    Ok(())
}

#[test]
fn a_single_small_industry_takes_the_next_smallest_with_it() -> TestResult {
    // C 6, F 3, G 1; k = 3. G is too few; all − C − F would give it, so F is hidden too.
    let mut rows: Vec<Row> = Vec::new();
    for i in 0..6u8 {
        rows.push(("c1", 1, "C", "small", 10 * i, 1, [10, 10], &[]));
    }
    for _ in 0..3 {
        rows.push(("c1", 1, "F", "small", 50, 3, [50, 50], &[]));
    }
    rows.push(("c1", 1, "G", "small", 90, 5, [90, 90], &[]));
    let people = participants(&rows)?;
    let d = dashboard(3, &publish(3, &people, &["c1"])?, &Filter::all(), None)?;
    assert!(d.is_published());
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.n()),
        Some(6)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Construction).and_then(|c| c.reason()),
        Some(Complementary)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Trade).and_then(|c| c.reason()),
        Some(TooFew)
    );
    // Levels: 1 → 6, 3 → 3, 5 → 1: the same pattern.
    assert_eq!(d.levels[0].cell.value().map(|s| s.count), Some(6));
    assert_eq!(d.levels[2].cell.reason(), Some(Complementary));
    assert_eq!(d.levels[4].cell.reason(), Some(TooFew));
    // Asked for directly, F stays hidden: otherwise all − C − F would give G after all.
    let f = dashboard(
        3,
        &publish(3, &people, &["c1"])?,
        &Filter::all().with_industry(Industry::Construction),
        None,
    )?;
    assert_eq!(f.participants.reason(), Some(Complementary));
    assert!(
        f.scores
            .iter()
            .all(|s| s.cohort.reason() == Some(Complementary))
    );
    Ok(())
}

#[test]
fn a_red_flag_almost_everyone_has_is_suppressed() -> TestResult {
    // 7 of 8 have no_website: the one without it would stand out.
    let rows: Vec<Row> = (0..8u8)
        .map(|i| -> Row {
            let flags: &'static [&'static str] = if i == 0 { &[] } else { &["no_website"] };
            ("c1", 1, "C", "small", 10 * i, 1, [10, 10], flags)
        })
        .collect();
    let people = participants(&rows)?;
    let d = dashboard(3, &publish(3, &people, &["c1"])?, &Filter::all(), None)?;
    assert!(d.is_published());
    // The audit finds everyone − no_website = 1 firm and drops the flag (no rule of its own
    // for "k without"); nobody has no_privacy_policy.
    assert_eq!(
        find(&d.red_flags, "no_website".to_owned()).and_then(|c| c.reason()),
        Some(Complementary)
    );
    assert_eq!(
        find(&d.red_flags, "no_privacy_policy".to_owned()).and_then(|c| c.reason()),
        Some(TooFew)
    );
    Ok(())
}

#[test]
fn change_between_periods_and_its_csv() -> TestResult {
    // Jan: C small × 4, Feb: F micro × 4; k = 3 so each month and both together are clean.
    let mut rows: Vec<Row> = Vec::new();
    for score in [20, 30, 40, 50] {
        rows.push(("c1", 1, "C", "small", score, 2, [score, 10], &[]));
    }
    for score in [60, 70, 80, 90] {
        rows.push(("c1", 2, "F", "micro", score, 4, [score, 90], &[]));
    }
    let people = participants(&rows)?;
    let publications = publish(3, &people, &["c1"])?;
    let both = Period::new(month(1)?, month(2)?)?;
    let january = Period::month(month(1)?);
    let filter = Filter::all().with_period(january);
    let d = dashboard(3, &publications, &filter, Some(both))?;
    assert!(d.is_published());
    let change = d.change.as_ref().ok_or("no change")?;
    // Jan..Feb: 8 firms, overall median 4th of 20..90 = 50; January: 4, median 2nd = 30.
    assert_eq!(
        change.participants,
        Cell::Published {
            n: 4,
            value: Change {
                before: 8,
                after: 4,
                delta: -4
            },
            as_of: None
        }
    );
    assert_eq!(change.medians[0].key, "overall");
    assert_eq!(
        change.medians[0].cell.value(),
        Some(&Change {
            before: 50,
            after: 30,
            delta: -20
        })
    );
    // community: 10 10 10 10 90 90 90 90 → 10; January 10 → 0.
    assert_eq!(change.medians[2].cell.value().map(|c| c.delta), Some(0));

    let csv = to_csv(&d);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "section,key,measure,n,value,note,as_of");
    assert!(lines.contains(&"participants,all,count,4,4,,"));
    assert!(lines.contains(&"change,participants,delta,4,\u{2212}4,,"));
    assert!(lines.contains(&"change,median overall,delta,4,\u{2212}20,,"));
    assert!(lines.contains(&"score,overall,median,4,30,,"));
    // Industries nobody chose have no row; a hidden one says why, in words true for it.
    assert!(!lines.iter().any(|l| l.starts_with("industry,A,")));
    assert!(lines.iter().any(|l| l.starts_with("industry,")));
    assert!(lines.contains(&"change,period,before,,since 2026-01..2026-02,,"));
    // Nothing in the file starts a formula.
    for field in csv.split(['\r', '\n', ',']) {
        assert!(!field.starts_with(['=', '+', '-', '@']), "{field:?}");
    }
    Ok(())
}

#[test]
fn all_firms_hidden_by_the_benchmark_says_why() -> TestResult {
    let people = participants(&EIGHT)?;
    let publications = publish(3, &people, &["c1"])?;
    let data = PublishedCampaigns::from_publications(&publications)?;
    let policy = DisclosurePolicy::new(3)?;
    let catalogue = catalogue();
    let hidden = crate::benchmark::Disclosure::Suppressed(Complementary);
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &catalogue,
        data: &data,
        all_firms: Some(&hidden),
    };
    let d = Dashboard::compute(&inputs, &Filter::all(), None)?;
    // Not "too few" beside a selection of 8: the benchmark hid it to protect a small group.
    assert!(d.is_published());
    assert!(
        d.scores
            .iter()
            .all(|r| r.all_firms.reason() == Some(Complementary))
    );
    Ok(())
}

#[test]
fn csv_neutralises_catalogue_ids() -> TestResult {
    let people = participants(&EIGHT)?;
    let publications = publish(3, &people, &["c1"])?;
    let data = PublishedCampaigns::from_publications(&publications)?;
    let policy = DisclosurePolicy::new(3)?;
    let catalogue = DashboardCatalogue {
        dimensions: vec!["=HYPERLINK(\"http://evil\",\"x\")".into(), "-2+3".into()],
        red_flags: vec!["@SUM(A1)".into()],
    };
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &catalogue,
        data: &data,
        all_firms: None,
    };
    let csv = to_csv(&Dashboard::compute(&inputs, &Filter::all(), None)?);
    assert!(
        csv.contains("\r\nscore,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",median,8,60,,\r\n")
    );
    assert!(csv.contains("\r\nscore,'-2+3,median,8,50,,\r\n"));
    assert!(csv.contains("\r\nred_flag,'@SUM(A1),,,suppressed,too_few: too few firms in this group (fewer than 3),\r\n"));
    Ok(())
}

#[test]
fn all_firms_come_from_the_benchmark_disclosure() -> TestResult {
    let people = participants(&EIGHT)?;
    let publications = publish(3, &people, &["c1"])?;
    let data = PublishedCampaigns::from_publications(&publications)?;
    let policy = DisclosurePolicy::new(3)?;
    let mut all = CohortAggregate::new(2)?;
    for score in [10u8, 20, 30, 40, 50] {
        all.add(&ResponseSummary::new(
            score,
            2,
            vec![score, 100 - score],
            vec![2, 2],
            [],
        )?)?;
    }
    let verdicts = disclose(&policy, &[(CohortKey::All, Some(&all))])?;
    let all_firms = verdicts.get(&CohortKey::All);
    let catalogue = catalogue();
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &catalogue,
        data: &data,
        all_firms,
    };
    let d = Dashboard::compute(&inputs, &Filter::all(), None)?;
    // 10 20 30 40 50: p25 = 2nd, median = 3rd, p75 = 4th; community 50..90.
    assert_eq!(
        d.scores[0].all_firms,
        Cell::Published {
            n: 5,
            value: spread(20, 30, 40),
            as_of: None
        }
    );
    assert_eq!(d.scores[2].all_firms.value(), Some(&spread(60, 70, 80)));
    // A catalogue of another shape is refused rather than misaligned.
    let three = DashboardCatalogue {
        dimensions: vec!["a".into(), "b".into(), "c".into()],
        red_flags: vec![],
    };
    let inputs = DashboardInputs {
        catalogue: &three,
        ..inputs
    };
    assert!(matches!(
        Dashboard::compute(&inputs, &Filter::all(), None),
        Err(DashboardError::DimensionCountMismatch { .. })
    ));
    Ok(())
}

#[test]
fn publication_moves_in_steps_of_k() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    assert_eq!(
        publication.refresh(
            &policy,
            &people[..2],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Pending { changes: 2 }
    );
    assert!(publication.snapshot().is_none());
    assert_eq!(
        publication.refresh(
            &policy,
            &people[..3],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    assert_eq!(publication.snapshot().map(Iterator::count), Some(3));
    // One joins, one leaves: still the old three.
    let live = [people[1].clone(), people[2].clone(), people[3].clone()];
    assert_eq!(
        publication.refresh(
            &policy,
            &live,
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Pending { changes: 2 }
    );
    assert_eq!(publication.snapshot().map(Iterator::count), Some(3));
    // A changed response counts twice (old and new answers): 2 + 2 = 4 ≥ 3.
    let mut changed = people[1].clone();
    changed.response = ResponseSummary::new(99, 5, vec![99, 99], vec![5, 5], [])?;
    let live = [changed, people[2].clone(), people[3].clone()];
    assert_eq!(
        publication.refresh(
            &policy,
            &live,
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    assert_eq!(publication.publications(), 2);
    Ok(())
}

#[test]
fn submit_and_erase_leave_no_trace() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(
        &policy,
        &people[..3],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    // A dummy comes and goes, again and again: the state equals the published one.
    for _ in 0..5 {
        publication.refresh(
            &policy,
            &people[..4],
            crate::dashboard::utility_tests::next_epoch(),
        )?;
        assert_eq!(
            publication.refresh(
                &policy,
                &people[..3],
                crate::dashboard::utility_tests::next_epoch()
            )?,
            PublishOutcome::Pending { changes: 0 }
        );
    }
    // One real newcomer is still one change.
    assert_eq!(
        publication.refresh(
            &policy,
            &people[..4],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Pending { changes: 1 }
    );
    Ok(())
}

#[test]
fn erasure_withdraws_the_snapshot_until_k_changes() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(
        &policy,
        &people[..5],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    assert!(publication.erase(&people[0].id));
    assert!(!publication.erase(&people[0].id));
    assert!(
        publication.snapshot().is_none(),
        "nothing shown that lacks just one firm"
    );
    // Erasure + 1 newcomer = 2 changes: still withdrawn; + another = 3: published.
    assert_eq!(
        publication.refresh(
            &policy,
            &people[1..6],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Pending { changes: 2 }
    );
    assert!(publication.snapshot().is_none());
    assert_eq!(
        publication.refresh(
            &policy,
            &people[1..7],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    assert_eq!(publication.snapshot().map(Iterator::count), Some(6));
    Ok(())
}

#[test]
fn publication_refuses_foreign_and_duplicate_participants() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c2"));
    assert!(matches!(
        publication.refresh(
            &policy,
            &people,
            crate::dashboard::utility_tests::next_epoch()
        ),
        Err(DashboardError::WrongCampaign { .. })
    ));
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    let twice = [people[0].clone(), people[0].clone()];
    assert!(matches!(
        publication.refresh(
            &policy,
            &twice,
            crate::dashboard::utility_tests::next_epoch()
        ),
        Err(DashboardError::DuplicateParticipant(_))
    ));
    let same = [publication.clone(), publication];
    assert!(matches!(
        PublishedCampaigns::from_publications(&same),
        Err(DashboardError::DuplicateCampaign(_))
    ));
    Ok(())
}

#[test]
fn publication_round_trips_as_json() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(
        &policy,
        &people,
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    let json = serde_json::to_string(&publication)?;
    assert!(json.contains("\"submitted\":\"2026-01-15\""));
    let back: CampaignPublication = serde_json::from_str(&json)?;
    assert_eq!(back, publication);
    let filter = Filter {
        period: Some(Period::new(month(1)?, month(3)?)?),
        industry: Some(Industry::Manufacturing),
        ..Filter::all()
    };
    let json = serde_json::to_string(&filter)?;
    assert_eq!(serde_json::from_str::<Filter>(&json)?, filter);
    assert!(serde_json::from_str::<Period>(r#"{"from":"2026-03","to":"2026-01"}"#).is_err());
    Ok(())
}

/// A firm of the two-campaign hand history: only campaign, month and industry differ.
fn hand_firm(campaign: &'static str, month: u8, industry: &'static str) -> Row {
    (campaign, month, industry, "small", 50, 3, [50, 50], &[])
}

/// The firms of the two-campaign hand history (see
/// `released_parts_of_a_two_campaign_history_by_hand`): c1 (January) 0..6 publication 1, 6..9
/// publication 2; c2 (February) 9..13 publication 1, 13..16 publication 2, 16..19 publication 3.
fn two_campaign_history() -> Vec<Row> {
    let c1 = ["C", "C", "C", "F", "F", "F", "C", "C", "F"].map(|i| hand_firm("c1", 1, i));
    let c2 = ["C", "C", "C", "C", "C", "F", "F", "C", "F", "F"].map(|i| hand_firm("c2", 2, i));
    c1.into_iter().chain(c2).collect()
}

/// Released memberships by hand, two campaigns, k = 3 (see `disclosure::Release`), chains
/// over the chamber's publication order: c1's publications 1 and 2, then c2's 1, 2 and 3.
///
/// c1 (January): publication 1 = 3 C + 3 F firms; publication 2 adds 2 C + 1 F.
/// c2 (February): publication 1 = 4 C; publication 2 adds 1 C + 2 F; publication 3 adds
/// 1 C + 2 F.
/// Chains (a set is released at the first point that moved it by ≥ 3 since the last released
/// state, over both campaigns): C: 3, 5 (+2: no), 9 (+6), 10 (+1: no) → 9, then 11 (+2: no)
/// → 9. F: 3, 4, 4, 6 (+3) → 6, then 8 (+2: no) → 6. Everyone: 6, 9, 13, 16, then 19.
/// Per campaign, C would have needed 3 in c2's part first (it used to show 3 + 4 = 7).
#[test]
fn released_parts_of_a_two_campaign_history_by_hand() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let rows = two_campaign_history();
    let people = participants(&rows)?;
    let mut c1 = CampaignPublication::new(CampaignId::new("c1"));
    let mut c2 = CampaignPublication::new(CampaignId::new("c2"));
    c1.refresh(
        &policy,
        &people[..6],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    c1.refresh(
        &policy,
        &people[..9],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    c2.refresh(
        &policy,
        &people[9..13],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    assert_eq!(
        c2.refresh(
            &policy,
            &people[9..16],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    let publications = [c1.clone(), c2.clone()];
    let d = dashboard(3, &publications, &Filter::all(), None)?;
    // Everyone: c1 9 + c2 7, all released (each publication moved everyone by ≥ 3).
    assert_eq!(d.participants.n(), Some(16));
    // C: 9 released of 10 now (c2's fifth C came one publication after the step). F: all 6.
    // C lags, so its state now (10) must not be derivable: everyone − F would give it, so
    // the audit drops F (the smaller single row); C is shown with its released 9. F is then
    // shown at the element of its chain before the last (3, c1's first three F firms):
    // everyone − C − F is the 4 firms not released in either (C's tenth, F's last three).
    // (Before earlier chain elements, F was hidden here.)
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.n()),
        Some(9)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Construction).and_then(|c| c.n()),
        Some(3)
    );
    // Months are the campaigns here: January 9, February 7.
    assert_eq!(
        find(&d.participation, month(1)?).and_then(|c| c.n()),
        Some(9)
    );
    assert_eq!(
        find(&d.participation, month(2)?).and_then(|c| c.n()),
        Some(7)
    );
    // The medians are of the released members: all score 50.
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.value().map(|s| s.median)),
        Some(50)
    );
    // Asked for directly, F reads the same; within c2 alone it is too few now (2 firms).
    let f = Filter::all().with_industry(Industry::Construction);
    assert_eq!(
        dashboard(3, &publications, &f, None)?.participants.n(),
        Some(3)
    );
    let f_c2 = Filter {
        campaigns: [CampaignId::new("c2")].into(),
        ..f.clone()
    };
    assert_eq!(
        dashboard(3, &publications, &f_c2, None)?
            .participants
            .reason(),
        Some(TooFew)
    );

    // c2's publication 3: C moved by 2 since its released state (stays 9), F by 2 (stays 6).
    // Both lag now, and everyone − C − F is the 4 firms not yet released: F is shown again.
    assert_eq!(
        c2.refresh(
            &policy,
            &people[9..],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    let publications = [c1, c2];
    let d = dashboard(3, &publications, &Filter::all(), None)?;
    assert_eq!(d.participants.n(), Some(19));
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.n()),
        Some(9)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Construction).and_then(|c| c.n()),
        Some(6)
    );
    // Each shown value of F moved by 0 or ≥ 3: 3, 3, then 6. F in c2 is released with 2 firms
    // (its part at F's last step), no combination of the audited sets: hidden.
    assert_eq!(
        dashboard(3, &publications, &f_c2, None)?
            .participants
            .reason(),
        Some(Complementary)
    );
    Ok(())
}

/// Issue 14, a leak across moments: the history of
/// `released_parts_of_a_two_campaign_history_by_hand`, replayed publication by publication;
/// the attacker saves every shown count (with its released member set) at every moment and
/// combines up to three of them. Known leak: everyone 13 (after c2's first publication) −
/// C 9 (after its second) − F 3 (after c1's first) is the one F firm of c1's second
/// publication.
#[test]
fn no_combination_across_moments_isolates_a_firm_in_the_two_campaign_history() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let rows = two_campaign_history();
    let people = participants(&rows)?;
    let mut c1 = CampaignPublication::new(CampaignId::new("c1"));
    let mut c2 = CampaignPublication::new(CampaignId::new("c2"));
    let mut moments = Vec::new();
    for (c1_live, c2_live) in [(6, 0), (9, 0), (9, 13), (9, 16), (9, 19)] {
        let epoch = crate::dashboard::utility_tests::next_epoch();
        if c2_live == 0 {
            c1.refresh(&policy, &people[..c1_live], epoch)?;
        } else {
            c2.refresh(&policy, &people[9..c2_live], epoch)?;
        }
        moments.push(
            [&c1, &c2]
                .into_iter()
                .filter(|p| p.snapshot().is_some())
                .cloned()
                .collect::<Vec<_>>(),
        );
    }
    let found = super::attacker_tests::attack_over_time(&policy, &catalogue(), &moments);
    assert_eq!(found, None, "isolated across moments");
    Ok(())
}

/// The history across moments with an erasure in it (see the module notes, "History",
/// ghosts): the two-campaign hand history (which leaks without the history), then one F firm
/// of c1's first publication erases its response (c1 is withdrawn until it publishes again,
/// with two newcomers), then c2 grows again. The attacker keeps the erased firm as a column of
/// its own (its bit in every view saved before the erasure), so a combination of views from
/// before and after that gives the departed firm alone, or it with fewer than `k − 1` others,
/// fails here.
#[test]
fn no_combination_across_moments_isolates_a_firm_after_an_erasure() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let mut rows = two_campaign_history();
    // Later newcomers: two of c1 (p19, p20), three of c2 (p21..p23).
    for (campaign, industry) in [
        ("c1", "C"),
        ("c1", "F"),
        ("c2", "C"),
        ("c2", "F"),
        ("c2", "F"),
    ] {
        rows.push(hand_firm(campaign, 3, industry));
    }
    let people = participants(&rows)?;
    let erased = &people[4];
    let c1_after: Vec<ParticipantSummary> = people[..9]
        .iter()
        .chain(&people[19..21])
        .filter(|p| p.id != erased.id)
        .cloned()
        .collect();
    let c2_after: Vec<ParticipantSummary> =
        people[9..19].iter().chain(&people[21..]).cloned().collect();
    let mut c1 = CampaignPublication::new(CampaignId::new("c1"));
    let mut c2 = CampaignPublication::new(CampaignId::new("c2"));
    let mut moments = Vec::new();
    let shown = |c1: &CampaignPublication, c2: &CampaignPublication| {
        [c1, c2]
            .into_iter()
            .filter(|p| p.snapshot().is_some())
            .cloned()
            .collect::<Vec<_>>()
    };
    let epoch = crate::dashboard::utility_tests::next_epoch;
    for c1_live in [6, 9] {
        c1.refresh(&policy, &people[..c1_live], epoch())?;
        moments.push(shown(&c1, &c2));
    }
    for c2_live in [13, 16, 19] {
        c2.refresh(&policy, &people[9..c2_live], epoch())?;
        moments.push(shown(&c1, &c2));
    }
    assert!(c1.erase(&erased.id), "the F firm is in c1");
    moments.push(shown(&c1, &c2));
    assert_eq!(
        c1.refresh(&policy, &c1_after, epoch())?,
        PublishOutcome::Published
    );
    moments.push(shown(&c1, &c2));
    assert_eq!(
        c2.refresh(&policy, &c2_after, epoch())?,
        PublishOutcome::Published
    );
    moments.push(shown(&c1, &c2));
    let found = super::attacker_tests::attack_over_time(&policy, &catalogue(), &moments);
    assert_eq!(found, None, "isolated across moments");
    Ok(())
}

#[test]
fn a_hidden_industry_cannot_be_rebuilt_from_its_size_classes() -> TestResult {
    // C 6 (3 micro, 3 small), F 3 (all micro), G 1; k = 3. F is hidden to protect G, so
    // "F, micro" (which is all of F) must be hidden too, or F = "F, micro" gives G back.
    let mut rows: Vec<Row> = Vec::new();
    for size in ["micro", "small"] {
        for _ in 0..3 {
            rows.push(("c1", 1, "C", size, 40, 3, [40, 40], &[]));
        }
    }
    for _ in 0..3 {
        rows.push(("c1", 1, "F", "micro", 60, 3, [60, 60], &[]));
    }
    rows.push(("c1", 1, "G", "small", 90, 5, [90, 90], &[]));
    let people = participants(&rows)?;
    let publications = publish(3, &people, &["c1"])?;
    let all = dashboard(3, &publications, &Filter::all(), None)?;
    assert_eq!(
        find(&all.by_industry, Industry::Construction).and_then(|c| c.reason()),
        Some(Complementary)
    );
    let f = Filter::all().with_industry(Industry::Construction);
    let f_micro = dashboard(3, &publications, &f.with_size(SizeClass::Micro), None)?;
    assert_eq!(f_micro.participants.reason(), Some(Complementary));
    let f_bavaria = dashboard(3, &publications, &f.with_region(Region::Bayern), None)?;
    assert_eq!(f_bavaria.participants.reason(), Some(Complementary));
    Ok(())
}

#[test]
fn a_cell_that_moved_by_fewer_than_k_since_an_earlier_publication_shows_its_earlier_count()
-> TestResult {
    // Publication 1: 5 C firms and 5 F firms. Publication 2 (k = 3 changes): 1 more C firm,
    // 2 more F firms. The campaign moved by 3, but C by 1 and F by 2: both keep showing their
    // count of publication 1 (released memberships; the earlier rule hid both).
    let policy = DisclosurePolicy::new(3)?;
    let mut rows: Vec<Row> = Vec::new();
    for industry in ["C", "F"] {
        for _ in 0..5 {
            rows.push(("c1", 1, industry, "small", 50, 3, [50, 50], &[]));
        }
    }
    rows.push(("c1", 2, "C", "small", 90, 5, [90, 90], &[]));
    rows.push(("c1", 2, "F", "small", 50, 3, [50, 50], &[]));
    rows.push(("c1", 2, "F", "small", 50, 3, [50, 50], &[]));
    let people = participants(&rows)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(
        &policy,
        &people[..10],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    let first = dashboard(3, std::slice::from_ref(&publication), &Filter::all(), None)?;
    assert_eq!(
        find(&first.by_industry, Industry::Manufacturing).and_then(|c| c.n()),
        Some(5)
    );

    assert_eq!(
        publication.refresh(
            &policy,
            &people,
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    let publications = [publication];
    let second = dashboard(3, &publications, &Filter::all(), None)?;
    assert_eq!(second.participants.n(), Some(13));
    for industry in [Industry::Manufacturing, Industry::Construction] {
        assert_eq!(
            find(&second.by_industry, industry).and_then(|c| c.n()),
            Some(5),
            "{industry:?}"
        );
    }
    // The median is the released firms' (the new C firm scored 90): 50, not moved by one firm.
    let c = dashboard(
        3,
        &publications,
        &Filter::all().with_industry(Industry::Manufacturing),
        None,
    )?;
    assert_eq!(c.participants.n(), Some(5));
    assert_eq!(c.scores[0].cohort.value().map(|s| s.median), Some(50));
    // Level 5 holds the new C firm alone: too few now.
    assert_eq!(c.levels[4].cell.reason(), Some(TooFew));
    // Months: January (10) unchanged and February (3 new) moved by 3: both shown.
    assert_eq!(
        find(&second.participation, month(1)?).and_then(|c| c.n()),
        Some(10)
    );
    assert_eq!(
        find(&second.participation, month(2)?).and_then(|c| c.n()),
        Some(3)
    );
    Ok(())
}

#[test]
fn an_erasure_hides_cells_whose_change_cannot_be_bounded() -> TestResult {
    // After an erasure and 3 newcomers, F gained 3 and may have lost the erased firm: its
    // change lies in 3..=4, fine for k = 3. C gained 0 and may have lost 1: hidden. F then
    // goes too, or all − F would give C.
    let policy = DisclosurePolicy::new(3)?;
    let mut rows: Vec<Row> = Vec::new();
    for industry in ["C", "F"] {
        for _ in 0..5 {
            rows.push(("c1", 1, industry, "small", 50, 3, [50, 50], &[]));
        }
    }
    for _ in 0..3 {
        rows.push(("c1", 2, "F", "small", 50, 3, [50, 50], &[]));
    }
    let people = participants(&rows)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(
        &policy,
        &people[..10],
        crate::dashboard::utility_tests::next_epoch(),
    )?;
    publication.erase(&people[0].id);
    assert_eq!(
        publication.refresh(
            &policy,
            &people[1..],
            crate::dashboard::utility_tests::next_epoch()
        )?,
        PublishOutcome::Published
    );
    let publications = [publication];
    let d = dashboard(3, &publications, &Filter::all(), None)?;
    assert_eq!(d.participants.n(), Some(12));
    assert_eq!(
        find(&d.by_industry, Industry::Manufacturing).and_then(|c| c.reason()),
        Some(Differencing)
    );
    assert_eq!(
        find(&d.by_industry, Industry::Construction).and_then(|c| c.reason()),
        Some(Complementary)
    );
    // January (9, all there before, one may be gone) is hidden; February (3 new) would be
    // fine, but all − February would give January, so it goes too.
    assert_eq!(
        find(&d.participation, month(1)?).and_then(|c| c.reason()),
        Some(Differencing)
    );
    assert_eq!(
        find(&d.participation, month(2)?).and_then(|c| c.reason()),
        Some(Complementary)
    );
    Ok(())
}

/// What one request prepares (audit, code counts) and a later request on the same publications
/// reuses gives the very dashboard a fresh computation gives, for every filter (issue 17: the
/// dashboard cache keeps it per publications across filters).
#[test]
fn prepared_data_gives_the_same_dashboards_as_fresh_data() -> TestResult {
    use super::utility_tests::{WAVES, simulate};
    let sim = simulate(&WAVES[2]);
    let policy = DisclosurePolicy::default();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    let first = PublishedCampaigns::from_publications(&sim.publications)?;
    let months: Vec<Month> = first.participants().map(|p| p.month()).collect();
    let (Some(&from), Some(&to)) = (months.iter().min(), months.iter().max()) else {
        return Err("no participants".into());
    };
    let mut filters = vec![
        Filter::all(),
        Filter::all().with_industry(Industry::Manufacturing),
        Filter::all().with_period(Period::new(from, from)?),
        Filter::all().with_period(Period::new(Month::from_index(from.index() + 1), to)?),
    ];
    for campaign in first.campaigns() {
        filters.push(Filter {
            campaigns: [campaign.clone()].into(),
            ..Filter::all().with_size(SizeClass::ALL[0])
        });
    }
    let compute = |data: &PublishedCampaigns<'_>, filter: &Filter| {
        super::utility_tests::dashboard_of(&policy, &catalogue, data, filter)
    };
    // The first request prepares; every later one reuses it, in reverse order.
    compute(&first, &Filter::all().with_region(Region::ALL[0]))?;
    let mut published = 0;
    for filter in filters.iter().rev() {
        let fresh = compute(
            &PublishedCampaigns::from_publications(&sim.publications)?,
            filter,
        )?;
        let reused = compute(
            &PublishedCampaigns::from_publications(&sim.publications)?
                .with_prepared(first.prepared()),
            filter,
        )?;
        assert_eq!(fresh, reused, "{filter:?}");
        published += usize::from(fresh.is_published());
    }
    assert!(published >= 2, "only {published} selections shown");
    Ok(())
}

/// Task start: the prepared work in its kept form (stored across restarts), read back, gives
/// the very dashboards a fresh computation gives, for every filter; the form is the same when
/// written again; and every cut-off or damaged form is refused as damaged, never a panic.
#[test]
fn prepared_work_read_back_from_its_kept_form_gives_the_same_dashboards() -> TestResult {
    use super::utility_tests::{WAVES, simulate};
    let sim = simulate(&WAVES[2]);
    let policy = DisclosurePolicy::default();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    let compute = |data: &PublishedCampaigns<'_>, filter: &Filter| {
        super::utility_tests::dashboard_of(&policy, &catalogue, data, filter)
    };
    let first = PublishedCampaigns::from_publications(&sim.publications)?;
    assert!(
        first.prepared().kept_form().is_none(),
        "nothing audited yet"
    );
    compute(&first, &Filter::all())?;
    let kept = first.prepared().kept_form().ok_or("no kept form")?;
    let read = Prepared::from_kept_form(&kept)?;
    assert_eq!(
        read.kept_form(),
        Some(kept.clone()),
        "written again the same"
    );
    let mut filters = vec![
        Filter::all(),
        Filter::all().with_industry(Industry::Manufacturing),
        Filter::all().with_region(Region::ALL[0]),
    ];
    for campaign in first.campaigns() {
        filters.push(Filter {
            campaigns: [campaign.clone()].into(),
            ..Filter::all()
        });
    }
    let mut published = 0;
    for filter in &filters {
        let fresh = compute(
            &PublishedCampaigns::from_publications(&sim.publications)?,
            filter,
        )?;
        let data = PublishedCampaigns::from_publications(&sim.publications)?
            .with_prepared(Prepared::from_kept_form(&kept)?);
        let from_kept = compute(&data, filter)?;
        assert_eq!(fresh, from_kept, "{filter:?}");
        assert_eq!(data.new_kept_sets(), first.new_kept_sets());
        published += usize::from(fresh.is_published());
    }
    assert!(published >= 2, "only {published} selections shown");
    // Cut off anywhere (some hundred places, the last bytes each).
    let step = kept.len() / 300 + 1;
    for cut in (0..kept.len())
        .step_by(step)
        .chain(kept.len().saturating_sub(64)..kept.len())
    {
        assert!(
            Prepared::from_kept_form(&kept[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = kept.clone();
    longer.push(0);
    assert!(Prepared::from_kept_form(&longer).is_err());
    let mut other_form = kept;
    other_form[0] = 2;
    assert!(Prepared::from_kept_form(&other_form).is_err());
    Ok(())
}

/// Released memberships over the chamber's publication order (issue 14): a cell whose firms
/// are spread over two campaigns (3 + 2, k = 5) is shown once it holds k firms in all, where
/// chains per campaign never showed it; it then moves in steps of k over both campaigns, not
/// per campaign.
#[test]
fn a_cell_spread_over_campaigns_counts_its_firms_in_all() -> TestResult {
    let policy = DisclosurePolicy::new(5)?;
    let firm =
        |campaign, industry| -> Row { (campaign, 1, industry, "small", 50, 3, [50, 50], &[]) };
    let mut rows = Vec::new();
    for industry in ["C", "C", "C", "F", "F", "F", "F", "F"] {
        rows.push(firm("c1", industry));
    }
    for industry in ["C", "C", "F", "F", "F", "C", "C", "C", "F", "F"] {
        rows.push(firm("c2", industry));
    }
    let people = participants(&rows)?;
    let mut c1 = CampaignPublication::new(CampaignId::new("c1"));
    let mut c2 = CampaignPublication::new(CampaignId::new("c2"));
    c1.refresh(&policy, &people[..8], utility_tests::next_epoch())?;
    c2.refresh(&policy, &people[8..13], utility_tests::next_epoch())?;
    let data = PublishedCampaigns::from_publications([&c1, &c2])?;
    let construction = Filter::all().with_industry(Industry::Manufacturing);
    let member = |_: usize, _: &ParticipantSummary| true;
    let release = super::disclosure::release_at(&data, &construction, &member, 5);
    // 3 in c1 and 2 in c2: 5 in all, released at c2's publication.
    assert_eq!((release.current, release.n), (5, 5));
    assert_eq!(release.verdict(5), None);
    // In c2 alone the cell holds 2: too few, as before.
    let alone = Filter {
        campaigns: [CampaignId::new("c2")].into(),
        ..construction.clone()
    };
    let release = super::disclosure::release_at(&data, &alone, &member, 5);
    assert_eq!(release.verdict(5), Some(TooFew));
    // c2 publishes again with 5 more firms, 3 of the cell: 8 now, but 3 since it was shown:
    // it lags.
    c2.refresh(&policy, &people[8..], utility_tests::next_epoch())?;
    let data = PublishedCampaigns::from_publications([&c1, &c2])?;
    let release = super::disclosure::release_at(&data, &construction, &member, 5);
    assert_eq!((release.current, release.n), (8, 5));
    Ok(())
}

/// Publications stored before epochs existed (issue 14) still read: their JSON has no
/// `epochs`, they count as older than every epoch, and a released part must differ from each
/// of their states by 0 or k per campaign (the earlier bound rule), so a cell that moved by
/// fewer than k in one campaign then is hidden as `Differencing` rather than shown.
#[test]
fn publications_stored_before_epochs_still_read_and_are_judged_conservatively() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let firm = |industry| -> Row { ("c1", 1, industry, "small", 50, 3, [50, 50], &[]) };
    let rows: Vec<Row> = ["C", "C", "C", "F", "F", "F", "C", "F", "F", "F"]
        .into_iter()
        .map(firm)
        .collect();
    let people = participants(&rows)?;
    let mut publication = CampaignPublication::new(CampaignId::new("c1"));
    publication.refresh(&policy, &people[..6], utility_tests::next_epoch())?;
    publication.refresh(&policy, &people[..10], utility_tests::next_epoch())?;
    let mut json: serde_json::Value = serde_json::to_value(&publication)?;
    let stored = json.as_object_mut().ok_or("an object")?;
    assert!(stored.remove("epochs").is_some(), "epochs are stored");
    let legacy: CampaignPublication = serde_json::from_value(json)?;
    assert_eq!(legacy.last_epoch(), None);
    assert_eq!(legacy.epochs(), vec![0, 0]);
    let construction = Filter::all().with_industry(Industry::Manufacturing);
    let member = |_: usize, _: &ParticipantSummary| true;
    // With epochs: C grew 3 -> 4, so its chain stays at 3, shown.
    let data = PublishedCampaigns::from_publications([&publication])?;
    let release = super::disclosure::release_at(&data, &construction, &member, 3);
    assert_eq!(
        (release.current, release.n, release.verdict(3)),
        (4, 3, None)
    );
    // Without: C's state (4) differs from the first publication's (3) by 1: hidden.
    let data = PublishedCampaigns::from_publications([&legacy])?;
    let release = super::disclosure::release_at(&data, &construction, &member, 3);
    assert_eq!(release.verdict(3), Some(Differencing));
    let before = dashboard(3, std::slice::from_ref(&legacy), &Filter::all(), None)?;
    assert_eq!(before.participants.n(), Some(10));
    // The next publication gets an epoch after the old ones.
    let mut next = legacy.clone();
    let more = participants(&[firm("C"); 13])?;
    next.refresh(&policy, &more, utility_tests::next_epoch())?;
    assert_eq!(next.epochs().len(), 3);
    assert!(next.last_epoch().is_some());
    // An epoch not after the campaign's last is refused.
    let mut again = next.clone();
    let last = next.last_epoch().unwrap_or(0);
    assert!(again.refresh(&policy, &people, last).is_err());
    Ok(())
}

/// Issue 14's first wave, published after every response (the harness draw): by size, micro
/// holds 14 firms (chain 7, 14) and small 6 (chain 5; its sixth firm came after the step), of
/// 20 shown. Micro at 14 beside everyone (20) and small (5) would isolate small's sixth firm,
/// so micro is shown at the element of its chain before the last, 7; the rest (7 micro firms
/// and small's sixth) is a group of 8. Both size rows are shown, each a value of its own
/// chain, and the attacker's search over three views finds nobody (`attacker_tests` runs it
/// on this wave too).
#[test]
fn first_wave_shows_micro_at_its_earlier_element_beside_small() -> TestResult {
    use super::disclosure::release_at;
    use super::utility_tests::{FIRST_WAVE, simulate};
    let sim = simulate(&FIRST_WAVE);
    let data = PublishedCampaigns::from_publications(&sim.publications)?;
    let policy = DisclosurePolicy::default();
    let catalogue = DashboardCatalogue::from_catalogue(crate::survey::current());
    let inputs = DashboardInputs {
        policy: &policy,
        catalogue: &catalogue,
        data: &data,
        all_firms: None,
    };
    let d = Dashboard::compute(&inputs, &Filter::all(), None)?;
    assert_eq!(d.participants.n(), Some(20));
    let micro = release_at(
        &data,
        &Filter::all(),
        &|_, p| p.profile.size == SizeClass::Micro,
        5,
    );
    assert_eq!((micro.current, micro.n), (14, 14));
    let before: Vec<u32> = micro.earlier().map(|e| e.n).collect();
    assert_eq!(before, [7]);
    assert_eq!(
        find(&d.by_size, SizeClass::Micro).and_then(|c| c.n()),
        Some(7)
    );
    assert_eq!(
        find(&d.by_size, SizeClass::Small).and_then(|c| c.n()),
        Some(5)
    );
    // Asked for directly, micro reads the same (a verdict depends only on the set).
    let direct = Dashboard::compute(&inputs, &Filter::all().with_size(SizeClass::Micro), None)?;
    assert_eq!(direct.participants.n(), Some(7));
    // Everyone − micro − small, as shown: 8 firms, not a small group.
    let shown = |r: &super::disclosure::Release, size: Option<SizeClass>| -> Vec<bool> {
        data.participants()
            .enumerate()
            .map(|(i, p)| size.is_none_or(|s| p.profile.size == s) && r.holds(&data, i))
            .collect()
    };
    let everyone = release_at(&data, &Filter::all(), &|_, _| true, 5);
    let small = release_at(
        &data,
        &Filter::all(),
        &|_, p| p.profile.size == SizeClass::Small,
        5,
    );
    let micro_7 = micro.earlier().next().ok_or("no earlier element")?;
    let rest = shown(&everyone, None)
        .iter()
        .zip(shown(&micro_7, Some(SizeClass::Micro)))
        .zip(shown(&small, Some(SizeClass::Small)))
        .filter(|((e, m), s)| **e && !*m && !*s)
        .count();
    assert_eq!(rest, 8);
    Ok(())
}

/// Task first17: a first publication made ahead of its save with one epoch, moved to the epoch
/// the save drew, is exactly the one made at that epoch; one still waiting for `k` keeps no
/// epoch; a later publication is refused (its earlier epochs would no longer be in order).
#[test]
fn a_first_publication_made_ahead_takes_the_epoch_its_save_draws() -> TestResult {
    let policy = DisclosurePolicy::new(3)?;
    let people = participants(&EIGHT)?;
    let made = |live: &[ParticipantSummary], epoch| -> Result<_, DashboardError> {
        let mut p = CampaignPublication::new(CampaignId::new("c1"));
        p.refresh(&policy, live, epoch)?;
        Ok(p)
    };
    let ahead = made(&people, 7)?;
    assert_eq!(ahead.clone().with_first_epoch(9)?, made(&people, 9)?);
    assert_ne!(ahead.clone().with_first_epoch(9)?, ahead);
    assert_eq!(ahead.clone().with_first_epoch(7)?, ahead);
    let waiting = made(&people[..2], 7)?;
    assert_eq!(waiting.publications(), 0);
    assert_eq!(waiting.clone().with_first_epoch(9)?, waiting);
    let mut later = ahead;
    later.refresh(&policy, &people[..4], 8)?;
    assert_eq!(later.publications(), 2);
    assert!(later.with_first_epoch(9).is_err());
    Ok(())
}

/// Task prev: a dashboard kept across restarts reads back exactly, shares to the last bit
/// (their JSON alone did not for some, so such dashboards were never kept).
#[test]
fn a_kept_dashboard_reads_back_exactly() -> TestResult {
    let people = participants(&EIGHT)?;
    let mut d = dashboard(3, &publish(3, &people, &["c1"])?, &Filter::all(), None)?;
    let mut set = 0;
    for n in 1..=60u32 {
        for count in 0..=n {
            let share = f64::from(count) / f64::from(n);
            let mut shares = d.shares();
            if shares.is_empty() {
                return Err("no published share".into());
            }
            let at = set % shares.len();
            *shares[at] = share;
            drop(shares);
            set += 1;
            let form = d.kept_form().ok_or("not kept")?;
            assert_eq!(
                Dashboard::from_kept_form(&form),
                Some(d.clone()),
                "{count}/{n}"
            );
        }
    }
    Ok(())
}
