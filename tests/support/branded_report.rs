//! A consultant's branded report, shared by the brand tests (`tests/app/brand.rs`) and the report
//! bench (`benches/report.rs`), which include this file by path.
use social_readiness::brand::{Pixels, check_logo, encode_png};
use social_readiness::report::{ReportBrand, ReportLogo, ReportModel};

/// `model` with a consultant's brand: a `width` × `height` logo (a disc and a bar on transparent
/// ground, coloured in a gradient), an accent, a contact and a cover note.
pub fn branded(mut model: ReportModel, (w, h): (u32, u32)) -> ReportModel {
    let mut rgb = Vec::new();
    let mut alpha = Vec::new();
    let r = h / 2;
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as i64 - i64::from(r), y as i64 - i64::from(r));
            let inside = dx * dx + dy * dy < i64::from(r * 4 / 5).pow(2);
            let bar =
                (w * 11 / 30..w * 29 / 30).contains(&x) && (h * 7 / 20..h * 13 / 20).contains(&y);
            rgb.extend_from_slice(&[0x7a, (x * 255 / w) as u8, (y * 255 / h) as u8]);
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
    model.brand = Some(ReportBrand {
        label: "Ihre Beratung".into(),
        name: "Anna Berger".into(),
        firm: Some("Berger Marketing".into()),
        contact: Some("0351 123456 · anna@berger-marketing.example".into()),
        accent: Some([0x7a, 0x2e, 0x0e]),
        logo: Some(ReportLogo::from_logo(&logo)),
        cover_note: Some("Liebe Frau Zeta, hier Ihr Bericht zum Gespräch am Montag. Die drei ersten Schritte besprechen wir dann gemeinsam.".into()),
        cover_note_label: "Notiz Ihrer Beratung".into(),
    });
    model
}

/// The bytes of the image streams in a PDF (the logo and its mask), read from their /Length.
pub fn image_bytes(pdf: &[u8]) -> usize {
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
