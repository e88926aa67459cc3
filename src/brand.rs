//! A consultant's or chamber's brand: a logo and an accent colour (pure; no I/O).
//!
//! A logo is accepted only after it has been taken apart: a PNG is decoded completely (every
//! chunk's checksum, the image data inflated to exactly the size its header promises, every row
//! unfiltered) and written again as a fresh PNG of its pixels, so that nothing of the uploaded
//! file but its pixels reaches a page or a PDF. A JPEG is parsed marker by marker (one 8-bit
//! baseline or progressive frame of one or three components, tables and scans in bounds, end of
//! image) and rebuilt from the segments a decoder needs; metadata (Exif, ICC, XMP, comments) and
//! anything after the end of the image are dropped.
//!
//! An accent colour must keep 4.5:1 against white (WCAG 2.2, 1.4.3 Contrast (Minimum)), computed
//! from the relative luminance of sRGB.
use std::io::{Read as _, Write as _};

use crate::codec::{Damaged, Reader};
use crate::survey::Text;

/// The largest logo file accepted.
pub const LOGO_MAX_BYTES: usize = 200 * 1024;
/// The longest side of a logo, in pixels.
pub const LOGO_MAX_SIDE: u32 = 2000;
/// The minimum contrast of the accent colour against white.
pub const MIN_CONTRAST: f64 = 4.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Jpeg,
}

impl LogoKind {
    pub fn mime(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Jpeg => "image/jpeg",
        }
    }

    pub fn from_mime(mime: &str) -> Option<LogoKind> {
        match mime {
            "image/png" => Some(LogoKind::Png),
            "image/jpeg" => Some(LogoKind::Jpeg),
            _ => None,
        }
    }
}

/// A checked logo: the rebuilt file and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: LogoKind,
    pub width: u32,
    pub height: u32,
    /// For a JPEG, its number of colour components (1 or 3); 3 for a PNG.
    pub components: u8,
    pub bytes: Vec<u8>,
}

/// Decoded pixels: 8-bit RGB and, if any pixel is not opaque, an 8-bit alpha channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub alpha: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoError {
    Empty,
    TooBig(usize),
    NotAnImage,
    /// The file claims to be a PNG or JPEG but is broken or crafted; what is wrong.
    Broken(LogoKind, &'static str),
    /// A valid file of a variant we do not take; what to do instead.
    Unsupported(LogoKind, &'static str),
    TooLarge {
        width: u32,
        height: u32,
    },
}

impl LogoError {
    /// What the person uploading it reads.
    pub fn message(&self) -> Text {
        let name = |k: &LogoKind| match k {
            LogoKind::Png => "PNG",
            LogoKind::Jpeg => "JPEG",
        };
        match self {
            LogoError::Empty => Text {
                de: "Bitte wählen Sie eine Logo-Datei (PNG oder JPEG) aus.".into(),
                en: "Please choose a logo file (PNG or JPEG).".into(),
            },
            LogoError::TooBig(n) => Text {
                de: format!(
                    "Die Logo-Datei ist {} KB groß; erlaubt sind höchstens 200 KB.",
                    n.div_ceil(1024)
                ),
                en: format!(
                    "The logo file is {} KB; at most 200 KB are allowed.",
                    n.div_ceil(1024)
                ),
            },
            LogoError::NotAnImage => Text {
                de: "Die Datei ist weder ein PNG- noch ein JPEG-Bild (geprüft wird der Inhalt, nicht die Endung).".into(),
                en: "The file is neither a PNG nor a JPEG image (its content is checked, not its name).".into(),
            },
            LogoError::Broken(kind, why) => Text {
                de: format!(
                    "Die Datei beginnt wie ein {}-Bild, ist aber beschädigt und wurde abgelehnt ({why}).",
                    name(kind)
                ),
                en: format!(
                    "The file starts like a {} image but is damaged and was refused ({why}).",
                    name(kind)
                ),
            },
            LogoError::Unsupported(kind, what) => Text {
                de: format!(
                    "Diese Art von {}-Bild wird nicht angenommen ({what}). Bitte speichern Sie das Logo als PNG mit 8 Bit je Farbe ohne Interlacing oder als JPEG in RGB.",
                    name(kind)
                ),
                en: format!(
                    "This kind of {} image is not accepted ({what}). Please save the logo as an 8-bit PNG without interlacing or as an RGB JPEG.",
                    name(kind)
                ),
            },
            LogoError::TooLarge { width, height } => Text {
                de: format!(
                    "Das Logo ist {width} × {height} Pixel groß; erlaubt sind höchstens {LOGO_MAX_SIDE} Pixel je Seite."
                ),
                en: format!(
                    "The logo is {width} × {height} pixels; at most {LOGO_MAX_SIDE} pixels per side are allowed."
                ),
            },
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Checks an uploaded logo by its content (magic bytes, not its name or declared type) and
/// rebuilds it.
pub fn check_logo(raw: &[u8]) -> Result<Logo, LogoError> {
    if raw.is_empty() {
        return Err(LogoError::Empty);
    }
    if raw.len() > LOGO_MAX_BYTES {
        return Err(LogoError::TooBig(raw.len()));
    }
    if raw.starts_with(PNG_SIGNATURE) {
        let pixels = decode_png(raw)?;
        Ok(Logo {
            kind: LogoKind::Png,
            width: pixels.width,
            height: pixels.height,
            components: 3,
            bytes: encode_png(&pixels),
        })
    } else if raw.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let (bytes, width, height, components) = rebuild_jpeg(raw)?;
        Ok(Logo {
            kind: LogoKind::Jpeg,
            width,
            height,
            components,
            bytes,
        })
    } else {
        Err(LogoError::NotAnImage)
    }
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = flate2::Crc::new();
    for p in parts {
        crc.update(p);
    }
    crc.sum()
}

/// Decodes a PNG completely (non-interlaced, any standard colour type and bit depth) to 8-bit
/// RGB and alpha.
pub fn decode_png(data: &[u8]) -> Result<Pixels, LogoError> {
    let broken = |why| LogoError::Broken(LogoKind::Png, why);
    let unsupported = |why| LogoError::Unsupported(LogoKind::Png, why);
    if !data.starts_with(PNG_SIGNATURE) {
        return Err(LogoError::NotAnImage);
    }
    // Bounds-checked reads (`codec::Reader`): a chunk cut off anywhere is refused, never read
    // past the end.
    let truncated = |_: Damaged| broken("truncated chunk");
    let mut r = Reader::new(data);
    r.take(PNG_SIGNATURE.len()).map_err(truncated)?;
    let mut header: Option<&[u8]> = None;
    let mut palette: Option<&[u8]> = None;
    let mut transparency: Option<&[u8]> = None;
    let mut idat = Vec::new();
    let mut ended = false;
    while !r.at_end() {
        let len = r.be_u32().map_err(truncated)? as usize;
        let kind = r.take(4).map_err(truncated)?;
        let body = r.take(len).map_err(truncated)?;
        let crc = r.be_u32().map_err(truncated)?;
        if crc32(&[kind, body]) != crc {
            return Err(broken("checksum mismatch"));
        }
        if header.is_none() && kind != b"IHDR" {
            return Err(broken("no header first"));
        }
        match kind {
            b"IHDR" => {
                if header.is_some() || len != 13 {
                    return Err(broken("bad header"));
                }
                header = Some(body);
            }
            b"PLTE" => {
                if len == 0 || !len.is_multiple_of(3) || len > 768 || palette.is_some() {
                    return Err(broken("bad palette"));
                }
                palette = Some(body);
            }
            b"tRNS" => transparency = Some(body),
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => {
                ended = true;
                break;
            }
            // Ancillary chunks (lower-case first letter) are skipped; an unknown critical one
            // cannot be ignored safely.
            k if k[0].is_ascii_lowercase() => {}
            _ => return Err(broken("unknown critical chunk")),
        }
    }
    if !ended {
        return Err(broken("truncated: no end chunk"));
    }
    if !r.at_end() {
        return Err(broken("data after the end chunk"));
    }
    let mut h = Reader::new(header.ok_or(broken("no header"))?);
    let bad = |_: Damaged| broken("bad header");
    let (width, height) = (h.be_u32().map_err(bad)?, h.be_u32().map_err(bad)?);
    let mut field = || h.byte().map_err(bad);
    let (depth, color, compression, filter, interlace) =
        (field()?, field()?, field()?, field()?, field()?);
    if width == 0 || height == 0 {
        return Err(broken("zero size"));
    }
    if width > LOGO_MAX_SIDE || height > LOGO_MAX_SIDE {
        return Err(LogoError::TooLarge { width, height });
    }
    if compression != 0 || filter != 0 || interlace > 1 {
        return Err(broken("bad header"));
    }
    if interlace == 1 {
        return Err(unsupported("interlaced"));
    }
    let channels: usize = match (color, depth) {
        (0, 1 | 2 | 4 | 8 | 16) => 1,
        (2, 8 | 16) => 3,
        (3, 1 | 2 | 4 | 8) => 1,
        (4, 8 | 16) => 2,
        (6, 8 | 16) => 4,
        _ => return Err(broken("bad colour type or bit depth")),
    };
    if color == 3 && palette.is_none() {
        return Err(broken("palette missing"));
    }
    let (w, hgt) = (width as usize, height as usize);
    let bits = channels * usize::from(depth);
    let stride = (w * bits).div_ceil(8);
    let expected = hgt * (stride + 1);
    // Inflate to exactly the size the header promises, never more (a small file must not
    // expand into gigabytes).
    let mut raw = Vec::with_capacity(expected);
    flate2::read::ZlibDecoder::new(idat.as_slice())
        .take(expected as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|_| broken("image data do not inflate"))?;
    if raw.len() != expected {
        return Err(broken("image data of the wrong size"));
    }
    // Unfilter in place, row by row.
    let bpp = bits.div_ceil(8).max(1);
    let mut rows = vec![0u8; hgt * stride];
    for y in 0..hgt {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let (kind, src) = (line[0], &line[1..]);
        let (before, current) = rows.split_at_mut(y * stride);
        let prior = if y == 0 {
            None
        } else {
            Some(&before[(y - 1) * stride..])
        };
        let out = &mut current[..stride];
        for x in 0..stride {
            let a = if x >= bpp { out[x - bpp] } else { 0 };
            let b = prior.map_or(0, |p| p[x]);
            let c = if x >= bpp {
                prior.map_or(0, |p| p[x - bpp])
            } else {
                0
            };
            let predicted = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => return Err(broken("unknown row filter")),
            };
            out[x] = src[x].wrapping_add(predicted);
        }
    }
    // Samples to 8-bit RGB + alpha.
    let sample = |row: &[u8], index: usize| -> u16 {
        match depth {
            16 => u16::from_be_bytes([row[index * 2], row[index * 2 + 1]]),
            8 => u16::from(row[index]),
            d => {
                let d = usize::from(d);
                let bit = index * d;
                let byte = row[bit / 8];
                let shift = 8 - d - bit % 8;
                u16::from((byte >> shift) & ((1u8 << d) - 1))
            }
        }
    };
    let to8 = |v: u16| -> u8 {
        match depth {
            16 => (v >> 8) as u8,
            8 => v as u8,
            d => (u32::from(v) * 255 / ((1u32 << d) - 1)) as u8,
        }
    };
    let mut rgb = Vec::with_capacity(w * hgt * 3);
    let mut alpha = Vec::with_capacity(w * hgt);
    let key = |i: usize| {
        transparency
            .and_then(|t| t.get(i * 2..i * 2 + 2))
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    for y in 0..hgt {
        let row = &rows[y * stride..(y + 1) * stride];
        for x in 0..w {
            let s = |c: usize| sample(row, x * channels + c);
            let (px, a) = match color {
                0 => {
                    let v = s(0);
                    let a = if transparency.is_some() && key(0) == Some(v) {
                        0
                    } else {
                        255
                    };
                    let g = to8(v);
                    ([g, g, g], a)
                }
                2 => {
                    let (r, g, b) = (s(0), s(1), s(2));
                    let a = if transparency.is_some()
                        && key(0) == Some(r)
                        && key(1) == Some(g)
                        && key(2) == Some(b)
                    {
                        0
                    } else {
                        255
                    };
                    ([to8(r), to8(g), to8(b)], a)
                }
                3 => {
                    let i = usize::from(s(0));
                    let p = palette
                        .and_then(|p| p.get(i * 3..i * 3 + 3))
                        .ok_or(broken("colour index outside the palette"))?;
                    let a = transparency.and_then(|t| t.get(i)).copied().unwrap_or(255);
                    ([p[0], p[1], p[2]], a)
                }
                4 => {
                    let g = to8(s(0));
                    ([g, g, g], to8(s(1)))
                }
                _ => ([to8(s(0)), to8(s(1)), to8(s(2))], to8(s(3))),
            };
            rgb.extend_from_slice(&px);
            alpha.push(a);
        }
    }
    let opaque = alpha.iter().all(|a| *a == 255);
    Ok(Pixels {
        width,
        height,
        rgb,
        alpha: (!opaque).then_some(alpha),
    })
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(&crc32(&[kind, body]).to_be_bytes());
}

/// Writes pixels as a plain PNG: 8-bit RGB, or RGBA when there is alpha; rows filtered "up".
pub fn encode_png(p: &Pixels) -> Vec<u8> {
    let channels = if p.alpha.is_some() { 4 } else { 3 };
    let w = p.width as usize;
    let stride = w * channels;
    let mut raw = Vec::with_capacity((stride + 1) * p.height as usize);
    let mut previous = vec![0u8; stride];
    let mut row = Vec::with_capacity(stride);
    for y in 0..p.height as usize {
        row.clear();
        for x in 0..w {
            let i = y * w + x;
            row.extend_from_slice(&p.rgb[i * 3..i * 3 + 3]);
            if let Some(a) = &p.alpha {
                row.push(a[i]);
            }
        }
        raw.push(2);
        raw.extend(row.iter().zip(&previous).map(|(v, up)| v.wrapping_sub(*up)));
        std::mem::swap(&mut previous, &mut row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut out = PNG_SIGNATURE.to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&p.width.to_be_bytes());
    ihdr.extend_from_slice(&p.height.to_be_bytes());
    ihdr.extend_from_slice(&[8, if channels == 4 { 6 } else { 2 }, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Parses a JPEG's markers and rebuilds it from the segments a decoder needs.
fn rebuild_jpeg(data: &[u8]) -> Result<(Vec<u8>, u32, u32, u8), LogoError> {
    let broken = |why| LogoError::Broken(LogoKind::Jpeg, why);
    let unsupported = |why| LogoError::Unsupported(LogoKind::Jpeg, why);
    let mut out = vec![0xFF, 0xD8];
    // Bounds-checked reads (`codec::Reader`): a segment cut off anywhere is refused.
    let truncated = |_: Damaged| broken("truncated");
    let mut r = Reader::new(data);
    r.take(2).map_err(truncated)?;
    let mut frame: Option<(u32, u32, u8)> = None;
    let (mut tables, mut huffman, mut scans) = (false, false, 0usize);
    loop {
        if r.byte() != Ok(0xFF) {
            return Err(broken("marker expected"));
        }
        // Fill bytes (0xFF) may stand before the marker.
        let mut marker = r.byte().map_err(truncated)?;
        while marker == 0xFF {
            marker = r.byte().map_err(truncated)?;
        }
        match marker {
            0xD9 => break,
            0xD8 | 0x01 | 0xD0..=0xD7 | 0x00 => return Err(broken("misplaced marker")),
            _ => {}
        }
        // The length counts its own two bytes.
        let length = r.be_u16().map_err(truncated)?;
        let body_len = usize::from(length)
            .checked_sub(2)
            .ok_or(broken("bad segment length"))?;
        let body = r.take(body_len).map_err(|_| broken("truncated segment"))?;
        // The segment as it stood, without any fill bytes before its marker.
        let keep = |out: &mut Vec<u8>| {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&length.to_be_bytes());
            out.extend_from_slice(body);
        };
        match marker {
            0xC0..=0xC2 => {
                if frame.is_some() {
                    return Err(broken("two frames"));
                }
                let bad = |_: Damaged| broken("bad frame header");
                let mut f = Reader::new(body);
                let precision = f.byte().map_err(bad)?;
                let height = u32::from(f.be_u16().map_err(bad)?);
                let width = u32::from(f.be_u16().map_err(bad)?);
                let components = f.byte().map_err(bad)?;
                // Three bytes per component, and nothing after them.
                f.take(3 * usize::from(components)).map_err(bad)?;
                f.finish().map_err(bad)?;
                if precision != 8 {
                    return Err(unsupported("12-bit"));
                }
                if components == 4 {
                    return Err(unsupported("CMYK"));
                }
                if components != 1 && components != 3 {
                    return Err(broken("bad number of components"));
                }
                if width == 0 || height == 0 {
                    return Err(unsupported("no height in the frame header"));
                }
                if width > LOGO_MAX_SIDE || height > LOGO_MAX_SIDE {
                    return Err(LogoError::TooLarge { width, height });
                }
                frame = Some((width, height, components));
                keep(&mut out);
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(unsupported("lossless, hierarchical or arithmetic coding"));
            }
            0xC4 => {
                huffman = true;
                keep(&mut out);
            }
            0xDB => {
                tables = true;
                keep(&mut out);
            }
            // Restart interval, JFIF header, Adobe colour transform: kept (they change decoding).
            0xDD | 0xE0 | 0xEE => keep(&mut out),
            0xDA => {
                if frame.is_none() || !tables || !huffman {
                    return Err(broken("scan before its frame or tables"));
                }
                keep(&mut out);
                // Entropy-coded data run until a marker other than a stuffed byte or restart:
                // measured on a copy of the reader (the marker is left to the loop), then taken.
                let cut = |_: Damaged| broken("truncated scan");
                let (mut ahead, mut len) = (r.clone(), 0);
                loop {
                    match ahead.byte().map_err(cut)? {
                        0xFF => match ahead.byte().map_err(cut)? {
                            0x00 | 0xD0..=0xD7 => len += 2,
                            _ => break,
                        },
                        _ => len += 1,
                    }
                }
                out.extend_from_slice(r.take(len).map_err(cut)?);
                scans += 1;
            }
            // Other application segments and comments: metadata, dropped.
            0xE1..=0xEF | 0xFE => {}
            _ => return Err(broken("unexpected marker")),
        }
    }
    let (width, height, components) = frame.ok_or(broken("no frame"))?;
    if scans == 0 {
        return Err(broken("no image data"));
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok((out, width, height, components))
}

/// An accent colour as "#rrggbb".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent(pub [u8; 3]);

impl Accent {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// Reads a stored "#rrggbb" (no contrast check; stored values were checked).
    pub fn from_hex(raw: &str) -> Option<Accent> {
        let digits = raw.trim().strip_prefix('#').unwrap_or(raw.trim());
        let expanded: String = match digits.len() {
            3 => digits.chars().flat_map(|c| [c, c]).collect(),
            6 => digits.to_owned(),
            _ => return None,
        };
        if !expanded.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&expanded[i..i + 2], 16).ok();
        Some(Accent([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// Relative luminance (WCAG 2.2, sRGB).
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.04045 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0[0]) + 0.7152 * linear(self.0[1]) + 0.0722 * linear(self.0[2])
    }

    /// The contrast ratio against white, 1–21.
    pub fn contrast_with_white(self) -> f64 {
        1.05 / (self.luminance() + 0.05)
    }
}

/// Checks an accent colour from a form: empty is none; "#rrggbb" or "#rgb"; at least 4.5:1
/// against white, or a message saying why not.
pub fn parse_accent(raw: &str) -> Result<Option<Accent>, Text> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let accent = Accent::from_hex(raw).ok_or_else(|| Text {
        de: format!("„{raw}“ ist keine Farbe in Hex-Schreibweise; erwartet wird z. B. #1f4e79."),
        en: format!("“{raw}” is not a hex colour; expected e.g. #1f4e79."),
    })?;
    let ratio = accent.contrast_with_white();
    if ratio < MIN_CONTRAST {
        // Rounded down, so that 4.497 never reads as "4.50".
        let shown = (ratio * 100.0).floor() / 100.0;
        return Err(Text {
            de: format!(
                "Die Akzentfarbe {} hat gegen Weiß nur einen Kontrast von {}:1; nötig sind mindestens 4,5:1 (WCAG 2.2, Kontrast Minimum), damit Text in dieser Farbe lesbar bleibt. Bitte wählen Sie einen dunkleren Ton.",
                accent.hex(),
                format!("{shown:.2}").replace('.', ",")
            ),
            en: format!(
                "The accent colour {} has a contrast of only {shown:.2}:1 against white; at least 4.5:1 is needed (WCAG 2.2, contrast minimum) so that text in it stays readable. Please choose a darker shade.",
                accent.hex()
            ),
        });
    }
    Ok(Some(accent))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small RGBA test image: a 5 × 3 gradient, half transparent in its last column.
    pub(crate) fn sample_pixels() -> Pixels {
        let (w, h) = (5u32, 3u32);
        let mut rgb = Vec::new();
        let mut alpha = Vec::new();
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&[(x * 50) as u8, (y * 100) as u8, 200]);
                alpha.push(if x == 4 { 128 } else { 255 });
            }
        }
        Pixels {
            width: w,
            height: h,
            rgb,
            alpha: Some(alpha),
        }
    }

    #[test]
    fn a_png_round_trips_through_decode_and_encode() {
        let p = sample_pixels();
        let file = encode_png(&p);
        assert_eq!(decode_png(&file), Ok(p.clone()));
        let logo = check_logo(&file).unwrap();
        assert_eq!((logo.kind, logo.width, logo.height), (LogoKind::Png, 5, 3));
        assert_eq!(decode_png(&logo.bytes), Ok(p));
    }

    #[test]
    fn ancillary_chunks_are_dropped_and_palette_images_decode() {
        // A 2 × 1 palette image, 1 bit per pixel, with a text chunk and transparency.
        let mut file = PNG_SIGNATURE.to_vec();
        chunk(&mut file, b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 1, 1, 3, 0, 0, 0]);
        chunk(&mut file, b"tEXt", b"Comment\0<script>alert(1)</script>");
        chunk(&mut file, b"PLTE", &[255, 0, 0, 0, 0, 255]);
        chunk(&mut file, b"tRNS", &[0]);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&[0, 0b0100_0000]).unwrap();
        chunk(&mut file, b"IDAT", &z.finish().unwrap());
        chunk(&mut file, b"IEND", &[]);
        let p = decode_png(&file).unwrap();
        assert_eq!(p.rgb, vec![255, 0, 0, 0, 0, 255]);
        assert_eq!(p.alpha, Some(vec![0, 255]));
        let logo = check_logo(&file).unwrap();
        assert!(!logo.bytes.windows(7).any(|w| w == b"<script"));
    }

    #[test]
    fn crafted_and_truncated_pngs_are_refused() {
        let good = encode_png(&sample_pixels());
        // Truncated anywhere after the signature.
        for cut in [10, 20, 33, good.len() - 13, good.len() - 1] {
            assert!(
                matches!(
                    check_logo(&good[..cut]),
                    Err(LogoError::Broken(LogoKind::Png, _))
                ),
                "cut at {cut}"
            );
        }
        // A flipped byte in the image data: the checksum no longer fits.
        let mut flipped = good.clone();
        flipped[45] ^= 0x40;
        assert!(matches!(check_logo(&flipped), Err(LogoError::Broken(..))));
        // Something appended after IEND (a polyglot).
        let mut appended = good.clone();
        appended.extend_from_slice(b"<html>");
        assert_eq!(
            check_logo(&appended),
            Err(LogoError::Broken(LogoKind::Png, "data after the end chunk"))
        );
        // A header promising a huge image.
        let mut file = PNG_SIGNATURE.to_vec();
        chunk(
            &mut file,
            b"IHDR",
            &[0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0],
        );
        chunk(&mut file, b"IEND", &[]);
        assert_eq!(
            check_logo(&file),
            Err(LogoError::TooLarge {
                width: 30000,
                height: 30000
            })
        );
        // Image data that inflate to more than the header promises.
        let mut file = PNG_SIGNATURE.to_vec();
        chunk(&mut file, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&[0u8; 100_000]).unwrap();
        chunk(&mut file, b"IDAT", &z.finish().unwrap());
        chunk(&mut file, b"IEND", &[]);
        assert!(matches!(check_logo(&file), Err(LogoError::Broken(..))));
    }

    #[test]
    fn other_files_are_refused_by_their_content() {
        assert_eq!(check_logo(b"GIF89a...."), Err(LogoError::NotAnImage));
        assert_eq!(
            check_logo(b"<svg onload=alert(1)>"),
            Err(LogoError::NotAnImage)
        );
        assert_eq!(check_logo(b""), Err(LogoError::Empty));
        assert_eq!(
            check_logo(&vec![0u8; LOGO_MAX_BYTES + 1]),
            Err(LogoError::TooBig(LOGO_MAX_BYTES + 1))
        );
        assert!(LogoError::TooBig(300_000).message().de.contains("200 KB"));
    }

    /// A minimal structurally valid baseline JPEG (8 × 8, grey) with an Exif segment.
    pub(crate) fn sample_jpeg() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE1, 0, 8, b'E', b'x', b'i', b'f', 0, 0]);
        j.extend_from_slice(&[0xFF, 0xDB, 0, 67, 0]);
        j.extend_from_slice(&[1u8; 64]);
        j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xC4, 0, 20, 0x00, 1]);
        j.extend_from_slice(&[0u8; 15]);
        j.push(0);
        j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0]);
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j
    }

    #[test]
    fn jpegs_are_rebuilt_without_metadata_and_broken_ones_refused() {
        let file = sample_jpeg();
        let logo = check_logo(&file).unwrap();
        assert_eq!(
            (logo.kind, logo.width, logo.height, logo.components),
            (LogoKind::Jpeg, 8, 8, 1)
        );
        assert!(!logo.bytes.windows(4).any(|w| w == b"Exif"));
        assert_eq!(logo.bytes.len(), file.len() - 10);
        assert!(matches!(
            check_logo(&file[..file.len() - 2]),
            Err(LogoError::Broken(LogoKind::Jpeg, _))
        ));
        assert!(matches!(
            check_logo(&file[..30]),
            Err(LogoError::Broken(..))
        ));
        let mut cmyk = file.clone();
        let sof = cmyk.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        cmyk[sof + 9] = 4;
        assert!(check_logo(&cmyk).is_err());
    }

    /// Every cut-off logo is refused as damaged, saying what is missing (no panic, no read past
    /// the end): the header parsers read through the bounds-checked `codec::Reader`.
    #[test]
    fn every_cut_of_a_logo_is_refused_with_a_clear_error() {
        let png = encode_png(&sample_pixels());
        let jpeg = sample_jpeg();
        for (file, kind, starts) in [(&png, LogoKind::Png, 8), (&jpeg, LogoKind::Jpeg, 3)] {
            for cut in starts..file.len() {
                match check_logo(&file[..cut]) {
                    Err(e @ LogoError::Broken(k, why)) => {
                        assert_eq!(k, kind, "cut at {cut}");
                        assert!(!why.is_empty());
                        assert!(e.message().en.contains("damaged"), "{}", e.message().en);
                    }
                    other => panic!("{kind:?} cut at {cut}: {other:?}"),
                }
            }
        }
        let why = |file: &[u8]| match check_logo(file) {
            Err(LogoError::Broken(_, why)) => why,
            other => panic!("{other:?}"),
        };
        // PNG: inside the header chunk's length, body and checksum; at a chunk's end.
        assert_eq!(why(&png[..10]), "truncated chunk");
        assert_eq!(why(&png[..20]), "truncated chunk");
        assert_eq!(why(&png[..31]), "truncated chunk");
        assert_eq!(why(&png[..33]), "truncated: no end chunk");
        assert_eq!(why(&png[..png.len() - 12]), "truncated: no end chunk");
        // JPEG: after a marker's 0xFF, inside a length, a segment, the frame header, the scan.
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("frame");
        assert_eq!(why(&jpeg[..sof + 1]), "truncated");
        assert_eq!(why(&jpeg[..sof + 3]), "truncated");
        assert_eq!(why(&jpeg[..sof + 8]), "truncated segment");
        assert_eq!(why(&jpeg[..jpeg.len() - 1]), "truncated scan");
        let mut short_frame = jpeg.clone();
        short_frame[sof + 3] = 10;
        short_frame.remove(sof + 12);
        assert_eq!(why(&short_frame), "bad frame header");
        let mut bad_length = jpeg.clone();
        bad_length[sof + 3] = 1;
        assert_eq!(why(&bad_length), "bad segment length");
    }

    proptest::proptest! {
        /// Damaged logos (bytes overwritten, then maybe cut off) are refused with an error, or
        /// still valid; never a panic.
        #[test]
        fn damaged_logos_never_panic(
            jpeg in proptest::prelude::any::<bool>(),
            edits in proptest::collection::vec(
                (proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()),
                1..4,
            ),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut file = if jpeg { sample_jpeg() } else { encode_png(&sample_pixels()) };
            for (at, byte) in edits {
                let at = at.index(file.len());
                file[at] = byte;
            }
            let end = cut.index(file.len()) + 1;
            if let Err(e) = check_logo(&file[..end]) {
                proptest::prop_assert!(!e.message().en.is_empty());
            }
        }
    }

    #[test]
    fn accents_need_4_5_to_1_against_white() {
        assert!((Accent([0, 0, 0]).contrast_with_white() - 21.0).abs() < 1e-9);
        assert!((Accent([255, 255, 255]).contrast_with_white() - 1.0).abs() < 1e-9);
        // #767676 is the classic lightest grey that passes (4.54:1); #777777 fails (4.48:1).
        assert_eq!(
            parse_accent("#767676"),
            Ok(Some(Accent([0x76, 0x76, 0x76])))
        );
        let e = parse_accent("#777777").unwrap_err();
        assert!(
            e.en.contains("4.47:1") || e.en.contains("4.48:1"),
            "{}",
            e.en
        );
        assert!(e.de.contains("4,5:1"), "{}", e.de);
        assert_eq!(parse_accent(" 1F4E79 ").unwrap().unwrap().hex(), "#1f4e79");
        assert!(parse_accent("#abc").unwrap_err().en.contains("#aabbcc"));
        assert_eq!(parse_accent("#036").unwrap(), Some(Accent([0, 0x33, 0x66])));
        assert!(parse_accent("#ffcc00").unwrap_err().en.contains("only 1."));
        assert!(
            parse_accent("blue")
                .unwrap_err()
                .en
                .contains("not a hex colour")
        );
        assert_eq!(parse_accent("  "), Ok(None));
    }
}
