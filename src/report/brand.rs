//! A consultant's (or chamber's) brand in a PDF: the logo as an image XObject, drawn inside
//! artifacts (the name beside it is text, so the logo is decoration for a screen reader), the
//! accent colour for the title and rules, and the "prepared by" block and cover note on the
//! cover. Without a brand, the report keeps the service's design.
use printpdf::{Op, Pt, XObjectId, XObjectTransform};
use serde::{Deserialize, Serialize};

use super::layout::{self, CONTENT_W, Flow, MARGIN_X, PAGE_H, Rgb3, SMALL, Style, run};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

use super::pdf::{PdfImage, deflate_image};
use crate::brand::{LogoKind, decode_png};

/// Who hands the report on, already in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportBrand {
    /// "Ihre Beratung" / "Your consultant" (or the chamber's label).
    pub label: String,
    pub name: String,
    pub firm: Option<String>,
    pub contact: Option<String>,
    /// The accent colour (checked for 4.5:1 against white when it was saved).
    pub accent: Option<[u8; 3]>,
    pub logo: Option<ReportLogo>,
    /// The note to this client, shown on the cover.
    #[serde(default)]
    pub cover_note: Option<String>,
    /// Its heading, e.g. "Notiz Ihrer Beratung".
    #[serde(default)]
    pub cover_note_label: String,
}

/// A checked logo file (see `crate::brand::check_logo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLogo {
    /// "png" or "jpeg".
    pub kind: String,
    pub width: u32,
    pub height: u32,
    /// For a JPEG: 1 (grey) or 3 (colour).
    pub components: u8,
    pub data: Vec<u8>,
}

impl ReportLogo {
    pub fn from_logo(logo: &crate::brand::Logo) -> ReportLogo {
        ReportLogo {
            kind: match logo.kind {
                LogoKind::Png => "png".into(),
                LogoKind::Jpeg => "jpeg".into(),
            },
            width: logo.width,
            height: logo.height,
            components: logo.components,
            data: logo.bytes.clone(),
        }
    }
}

/// The resource name of the logo in the page operations.
pub(crate) const LOGO_ID: &str = "Logo";

/// The accent colour, or the service's blue.
pub(crate) fn accent(brand: Option<&ReportBrand>) -> Rgb3 {
    brand
        .and_then(|b| b.accent)
        .map_or(layout::BLUE, |[r, g, b]| Rgb3(r, g, b))
}

/// Logos prepared for the PDF writer (decoded, deflated), by their file's hash: a consultant's
/// reports all carry the same logo, and preparing it costs more than laying out a report.
static PREPARED: LazyLock<Mutex<Prepared>> = LazyLock::new(Mutex::default);
/// (hash of the logo file, the image ready to write), oldest first.
type Prepared = Vec<(u64, Arc<PdfImage>)>;
const PREPARED_MAX: usize = 16;

/// The logo as an image for the PDF writer: a JPEG as it is (DCTDecode), a PNG decoded to RGB
/// with its alpha as a soft mask. `None` without a logo or when it does not decode (it was
/// checked on upload; a stored file that no longer decodes is left out, not fatal).
pub(crate) fn pdf_image(brand: Option<&ReportBrand>) -> Option<Arc<PdfImage>> {
    let logo = brand?.logo.as_ref()?;
    let key = {
        let mut h = DefaultHasher::new();
        logo.kind.hash(&mut h);
        logo.data.hash(&mut h);
        h.finish()
    };
    let cache = || {
        PREPARED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((_, image)) = cache().iter().find(|(k, _)| *k == key) {
        return Some(image.clone());
    }
    let image = Arc::new(prepare(logo)?);
    let mut cached = cache();
    if cached.len() >= PREPARED_MAX {
        cached.remove(0);
    }
    cached.push((key, image.clone()));
    Some(image)
}

fn prepare(logo: &ReportLogo) -> Option<PdfImage> {
    match logo.kind.as_str() {
        "jpeg" => Some(PdfImage::Jpeg {
            width: logo.width,
            height: logo.height,
            components: logo.components,
            data: logo.data.clone(),
        }),
        "png" => {
            let pixels = decode_png(&logo.data).ok()?;
            Some(PdfImage::Rgb {
                width: pixels.width,
                height: pixels.height,
                rgb: deflate_image(&pixels.rgb)?,
                alpha: match &pixels.alpha {
                    Some(a) => Some(deflate_image(a)?),
                    None => None,
                },
            })
        }
        _ => None,
    }
}

/// The logo's size in a box of `max_w` × `max_h` pt, keeping its proportions.
fn fit(logo: &ReportLogo, max_w: f32, max_h: f32) -> (f32, f32) {
    let (w, h) = (logo.width.max(1) as f32, logo.height.max(1) as f32);
    let scale = (max_w / w).min(max_h / h);
    (w * scale, h * scale)
}

/// Draws the logo with its top-left corner at (`x`, `top` from the top of the page); returns
/// its width. Inside an artifact of its own unless `in_artifact` (the running header is one
/// already). The writer reads `scale_x`/`scale_y` as the size in pt.
pub(crate) fn draw_logo(
    ops: &mut Vec<Op>,
    brand: Option<&ReportBrand>,
    (x, top): (f32, f32),
    (max_w, max_h): (f32, f32),
    in_artifact: bool,
) -> Option<f32> {
    let logo = brand?.logo.as_ref()?;
    let (w, h) = fit(logo, max_w, max_h);
    if !in_artifact {
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".into(),
        });
    }
    ops.push(Op::UseXobject {
        id: XObjectId(LOGO_ID.into()),
        transform: XObjectTransform {
            translate_x: Some(Pt(x)),
            translate_y: Some(Pt(PAGE_H - top - h)),
            scale_x: Some(w),
            scale_y: Some(h),
            ..Default::default()
        },
    });
    if !in_artifact {
        ops.push(Op::EndMarkedContent);
    }
    Some(w)
}

/// The cover's logo box, above the title.
pub(crate) const COVER_LOGO_TOP: f32 = 78.0;
pub(crate) const COVER_LOGO_W: f32 = 220.0;
pub(crate) const COVER_LOGO_H: f32 = 72.0;

/// The "prepared by" block and the cover note, laid out where the cover's fields end.
pub(crate) fn cover_block(f: &mut Flow, brand: &ReportBrand) {
    let accent = accent(Some(brand));
    f.gap(6.0);
    f.text(&brand.label, SMALL);
    f.gap(1.0);
    let who = match &brand.firm {
        Some(firm) => format!("{}, {firm}", brand.name),
        None => brand.name.clone(),
    };
    f.para(
        &[run(&who)],
        MARGIN_X,
        CONTENT_W,
        Style::new(13.0, true, accent),
    );
    if let Some(contact) = &brand.contact {
        f.para(
            &[run(contact)],
            MARGIN_X,
            CONTENT_W,
            Style::new(10.0, false, layout::INK),
        );
    }
    if let Some(note) = &brand.cover_note {
        f.gap(16.0);
        f.text(&brand.cover_note_label, SMALL);
        f.gap(2.0);
        f.para(
            &[run(note)],
            MARGIN_X,
            CONTENT_W,
            Style::new(10.5, false, layout::INK),
        );
    }
}
