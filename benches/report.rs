#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use criterion::{Criterion, criterion_group, criterion_main};
use social_readiness::report::{ReportModel, render_pdf};

#[path = "../tests/support/branded_report.rs"]
mod branded_report;
use branded_report::{branded, image_bytes};

fn load(name: &str) -> ReportModel {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture parses")
}

fn bench(c: &mut Criterion) {
    for name in ["mixed_de", "mixed_en"] {
        let model = load(name);
        let size = render_pdf(&model).map(|b| b.len()).unwrap_or(0);
        eprintln!("{name}: {:.1} KB", size as f64 / 1024.0);
        c.bench_function(&format!("render_pdf/{name}"), |b| {
            b.iter(|| render_pdf(std::hint::black_box(&model)).map(|b| b.len()))
        });
    }
    // A consultant's report: a 600 × 200 logo with transparency, accent, contact, cover note.
    // The logo's own bytes (its image streams) are not counted in the size.
    for name in ["mixed_de", "mixed_en"] {
        let model = branded(load(name), (600, 200));
        let pdf = render_pdf(&model).unwrap_or_default();
        let logo = image_bytes(&pdf);
        eprintln!(
            "branded_{name}: {:.1} KB without the logo's {:.1} KB",
            (pdf.len() - logo) as f64 / 1024.0,
            logo as f64 / 1024.0
        );
        c.bench_function(&format!("render_pdf/branded_{name}"), |b| {
            b.iter(|| render_pdf(std::hint::black_box(&model)).map(|b| b.len()))
        });
    }
    // The font subsets are cached; a firm name with characters outside the usual set needs a
    // subset of its own. Cycling through more such names than the cache holds measures that path.
    let mut model = load("mixed_de");
    let base = model.firm_name.clone().unwrap_or_default();
    let rare: Vec<char> = ('Α'..='ω').chain('А'..='я').collect();
    let mut i = 0;
    c.bench_function("render_pdf/mixed_de_uncached_glyphs", |b| {
        b.iter(|| {
            i = (i + 1) % rare.len();
            model.firm_name = Some(format!("{base} {}", rare[i]));
            render_pdf(std::hint::black_box(&model)).map(|b| b.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
