#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use criterion::{Criterion, criterion_group, criterion_main};
use social_readiness::report::{ReportModel, render_pdf};

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
        let model = branded(load(name));
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

fn branded(mut model: ReportModel) -> ReportModel {
    use social_readiness::brand::{Pixels, check_logo, encode_png};
    let (w, h) = (600u32, 200u32);
    let mut rgb = Vec::new();
    let mut alpha = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let inside = (x as i32 - 100).pow(2) + (y as i32 - 100).pow(2) < 80 * 80;
            rgb.extend_from_slice(&[0x7a, (x * 255 / w) as u8, (y * 255 / h) as u8]);
            let bar = (220..580).contains(&x) && (70..130).contains(&y);
            alpha.push(if inside || bar { 255 } else { 0 });
        }
    }
    let png = encode_png(&Pixels {
        width: w,
        height: h,
        rgb,
        alpha: Some(alpha),
    });
    let logo = check_logo(&png).expect("a valid logo");
    model.brand = Some(social_readiness::report::ReportBrand {
        label: "Ihre Beratung".into(),
        name: "Anna Berger".into(),
        firm: Some("Berger Marketing".into()),
        contact: Some("0351 123456".into()),
        accent: Some([0x7a, 0x2e, 0x0e]),
        logo: Some(social_readiness::report::ReportLogo::from_logo(&logo)),
        cover_note: Some("Liebe Frau Zeta, hier Ihr Bericht zum Gespräch am Montag.".into()),
        cover_note_label: "Notiz Ihrer Beratung".into(),
    });
    model
}

/// The bytes of the image streams in a PDF (the logo and its mask), read from their /Length.
fn image_bytes(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Subtype/Image")
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let at = rest.find("/Length ")? + "/Length ".len();
            rest[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

criterion_group!(benches, bench);
criterion_main!(benches);
