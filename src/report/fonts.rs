//! The two embedded faces and their metrics (glyph ids and advances from `ttf-parser`; `ShowText`
//! does no kerning, so summed advances match the output exactly). The subsets embedded in a PDF
//! are cut by `subsetter` (see `pdf.rs`).
use std::sync::LazyLock;

pub(crate) const REGULAR_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/DejaVuSans.ttf"));
pub(crate) const BOLD_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fonts/DejaVuSans-Bold.ttf"
));

/// Characters below this code point have their advances in a table.
const TABLE: usize = 0x2700;

pub(crate) struct Metrics {
    bytes: &'static [u8],
    face: Option<ttf_parser::Face<'static>>,
    advances: Vec<u16>,
    /// Glyph ids of the characters below `TABLE` (0 where the font has none).
    glyphs: Vec<u16>,
    units_per_em: f32,
    /// x-height and ascender in em.
    pub x_height: f32,
}

impl Metrics {
    fn load(bytes: &'static [u8]) -> Self {
        let face = ttf_parser::Face::parse(bytes, 0).ok();
        let units_per_em = face
            .as_ref()
            .map_or(2048.0, |f| f32::from(f.units_per_em()));
        let advance = |c: char| -> u16 {
            face.as_ref()
                .and_then(|f| f.glyph_index(c).and_then(|g| f.glyph_hor_advance(g)))
                .unwrap_or(0)
        };
        let advances = (0..TABLE)
            .map(|u| char::from_u32(u32::try_from(u).unwrap_or(0)).map_or(0, advance))
            .collect();
        let glyph = |c: char| -> u16 {
            face.as_ref()
                .and_then(|f| f.glyph_index(c))
                .map_or(0, |g| g.0)
        };
        let glyphs = (0..TABLE)
            .map(|u| char::from_u32(u32::try_from(u).unwrap_or(0)).map_or(0, glyph))
            .collect();
        let x_height = face
            .as_ref()
            .and_then(|f| f.x_height())
            .map_or(0.55, |h| f32::from(h) / units_per_em);
        Self {
            bytes,
            face,
            advances,
            glyphs,
            units_per_em,
            x_height,
        }
    }

    fn advance(&self, c: char) -> u16 {
        let u = c as usize;
        if u < TABLE {
            return self.advances[u];
        }
        self.face
            .as_ref()
            .and_then(|f| f.glyph_index(c).and_then(|g| f.glyph_hor_advance(g)))
            .unwrap_or(0)
    }

    /// Width of `text` in pt at `size` pt.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text.chars().map(|c| u32::from(self.advance(c))).sum();
        units as f32 * size / self.units_per_em
    }

    /// The font file the metrics were read from, for the subsetter.
    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    pub fn is_usable(&self) -> bool {
        self.face.is_some()
    }

    /// The glyph id of `c`, 0 (.notdef) when the font has none.
    pub fn glyph(&self, c: char) -> u16 {
        let u = c as usize;
        if u < TABLE {
            return self.glyphs[u];
        }
        self.face
            .as_ref()
            .and_then(|f| f.glyph_index(c))
            .map_or(0, |g| g.0)
    }

    /// Advance of a glyph in thousandths of an em (PDF glyph space).
    pub fn glyph_width(&self, gid: u16) -> u32 {
        let units = self
            .face
            .as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(gid)))
            .unwrap_or(0);
        (f32::from(units) * 1000.0 / self.units_per_em).round() as u32
    }

    /// The values of the PDF font descriptor, in thousandths of an em.
    pub fn descriptor(&self) -> Descriptor {
        let scale = |v: i16| (f32::from(v) * 1000.0 / self.units_per_em).round() as i32;
        let Some(f) = self.face.as_ref() else {
            return Descriptor::default();
        };
        let b = f.global_bounding_box();
        Descriptor {
            ascent: scale(f.ascender()),
            descent: scale(f.descender()),
            cap_height: scale(f.capital_height().unwrap_or_else(|| f.ascender())),
            bbox: [
                scale(b.x_min),
                scale(b.y_min),
                scale(b.x_max),
                scale(b.y_max),
            ],
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Descriptor {
    pub ascent: i32,
    pub descent: i32,
    pub cap_height: i32,
    pub bbox: [i32; 4],
}

pub(crate) static REGULAR: LazyLock<Metrics> = LazyLock::new(|| Metrics::load(REGULAR_BYTES));
pub(crate) static BOLD: LazyLock<Metrics> = LazyLock::new(|| Metrics::load(BOLD_BYTES));

pub(crate) fn metrics(bold: bool) -> &'static Metrics {
    if bold { &BOLD } else { &REGULAR }
}
