//! Scoring one response: parsing the answers against the catalogue, then scoring them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use criterion::{Criterion, criterion_group, criterion_main};
use social_readiness::scoring::assess;
use social_readiness::survey::{self, AnswerSet, QuestionKind, RawAnswer};

/// A realistic mixed response: the second option everywhere, two channels in multi questions.
fn mixed_answers() -> Vec<(String, RawAnswer)> {
    let c = survey::current();
    let mut raw: Vec<(String, RawAnswer)> = [
        ("industry", "C"),
        ("size", "small"),
        ("region", "DE-BY"),
        ("market", "b2b"),
        ("years", "gt10"),
        ("social_media", "yes"),
    ]
    .iter()
    .map(|(q, o)| (q.to_string(), RawAnswer::One(o.to_string())))
    .collect();
    for d in &c.dimensions {
        for q in &d.questions {
            let answer = match q.kind {
                QuestionKind::Single => RawAnswer::One(q.options[1].id.clone()),
                QuestionKind::Multi => RawAnswer::Many(
                    q.options
                        .iter()
                        .filter(|o| !o.exclusive)
                        .take(2)
                        .map(|o| o.id.clone())
                        .collect(),
                ),
            };
            raw.push((q.id.clone(), answer));
        }
        raw.push((
            format!("{}.importance", d.id),
            RawAnswer::One("high".into()),
        ));
    }
    raw
}

fn scoring(c: &mut Criterion) {
    let catalogue = survey::current();
    let raw = mixed_answers();
    let answers = AnswerSet::parse(catalogue, raw.clone()).expect("valid answers");
    c.bench_function("assess one response", |b| {
        b.iter(|| assess(catalogue, std::hint::black_box(&answers)))
    });
    c.bench_function("parse and assess one response", |b| {
        b.iter(|| {
            let answers =
                AnswerSet::parse(catalogue, std::hint::black_box(raw.clone())).expect("valid");
            assess(catalogue, &answers)
        })
    });
}

criterion_group!(benches, scoring);
criterion_main!(benches);
