//! The chamber dashboard: computing every cell of a dashboard, with disclosure control, from a
//! campaign's published snapshot. Firms come from the documented demo generator, spread over
//! three campaigns and six months.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use social_readiness::benchmark::{DisclosurePolicy, Industry};
use social_readiness::dashboard::{
    CampaignId, CampaignPublication, Dashboard, DashboardCatalogue, DashboardInputs, Filter, Month,
    ParticipantId, ParticipantSummary, Period, PublishedCampaigns,
};
use social_readiness::demo::DemoGenerator;
use social_readiness::statistics::summary_of;
use social_readiness::survey;

fn publications(firms: usize, policy: &DisclosurePolicy) -> Vec<CampaignPublication> {
    let catalogue = survey::current();
    let mut generator = DemoGenerator::new(catalogue, 2026);
    let mut live: Vec<Vec<ParticipantSummary>> = vec![Vec::new(); 3];
    for i in 0..firms {
        let firm = generator.firm();
        let month = time::Month::try_from(1 + (i % 6) as u8).expect("month");
        live[i % 3].push(ParticipantSummary {
            id: ParticipantId::new(format!("r{i}")),
            campaign: CampaignId::new((i % 3).to_string()),
            submitted: time::Date::from_calendar_date(2026, month, 10).expect("date"),
            profile: firm.profile,
            response: summary_of(&firm.assessment).expect("summary"),
        });
    }
    live.iter()
        .enumerate()
        .map(|(c, participants)| {
            let mut publication = CampaignPublication::new(CampaignId::new(c.to_string()));
            // One chamber: campaign c publishes at epoch c + 1.
            let epoch = u64::try_from(c).unwrap_or(0) + 1;
            publication
                .refresh(policy, participants, epoch)
                .expect("refresh");
            publication
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let policy = DisclosurePolicy::new(5).expect("k");
    let catalogue = DashboardCatalogue::from_catalogue(survey::current());
    let month = |m: &str| m.parse::<Month>().expect("month");
    let mut group = c.benchmark_group("dashboard");
    group.sample_size(20);
    for firms in [300usize, 3_000] {
        let publications = publications(firms, &policy);
        let data = PublishedCampaigns::from_publications(&publications).expect("data");
        let inputs = DashboardInputs {
            policy: &policy,
            catalogue: &catalogue,
            data: &data,
            all_firms: None,
        };
        group.bench_with_input(BenchmarkId::new("all campaigns", firms), &firms, |b, _| {
            b.iter(|| Dashboard::compute(&inputs, &Filter::all(), None).expect("dashboard"))
        });
        let mut narrow = Filter::all();
        narrow.campaigns.insert(CampaignId::new("1"));
        narrow.industry = Some(Industry::Manufacturing);
        group.bench_with_input(
            BenchmarkId::new("campaign and industry", firms),
            &firms,
            |b, _| b.iter(|| Dashboard::compute(&inputs, &narrow, None).expect("dashboard")),
        );
        let mut recent = Filter::all();
        recent.period = Some(Period::new(month("2026-04"), month("2026-06")).expect("period"));
        let before = Period::new(month("2026-01"), month("2026-03")).expect("period");
        group.bench_with_input(
            BenchmarkId::new("period against earlier", firms),
            &firms,
            |b, _| {
                b.iter(|| Dashboard::compute(&inputs, &recent, Some(before)).expect("dashboard"))
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
