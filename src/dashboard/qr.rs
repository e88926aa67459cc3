//! QR codes as accessible SVG, for printing a campaign's public link.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

use super::error::DashboardError;

/// Light modules around the code, as the QR specification requires for reliable scanning.
const QUIET_ZONE: usize = 4;
/// Pixels per module in the `width`/`height` attributes; the `viewBox` lets it scale freely.
const MODULE_PX: usize = 8;

/// An SVG QR code for `data`: dark modules on white, a 4-module quiet zone, `role="img"` and a
/// `<title>` (escaped) as its accessible name. Medium error correction survives a smudged print.
pub fn qr_svg(data: &str, title: &str) -> Result<String, DashboardError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| DashboardError::QrCode(e.to_string()))?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let px = size * MODULE_PX;
    let mut svg = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" height="{px}" role="img" shape-rendering="crispEdges"><title>{}</title><rect width="{size}" height="{size}" fill="#ffffff"/><path fill="#000000" d=""##,
        escape_xml(title)
    );
    // One subpath per horizontal run of dark modules keeps the path short.
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row.get(x) == Some(&Color::Dark) {
                let run = row
                    .iter()
                    .skip(x)
                    .take_while(|c| **c == Color::Dark)
                    .count();
                let _ = write!(
                    svg,
                    "M{},{}h{run}v1h-{run}z",
                    x + QUIET_ZONE,
                    y + QUIET_ZONE
                );
                x += run;
            } else {
                x += 1;
            }
        }
    }
    svg.push_str(r#""/></svg>"#);
    Ok(svg)
}

/// The same QR code as a PNG for print shops and office software that take no SVG: 8-bit
/// greyscale, `MODULE_PX` pixels per module, the 4-module quiet zone. Written by hand (signature,
/// IHDR, one zlib IDAT, IEND), as flate2 already gives deflate and the CRC-32 PNG uses.
pub fn qr_png(data: &str) -> Result<Vec<u8>, DashboardError> {
    use std::io::Write as _;
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| DashboardError::QrCode(e.to_string()))?;
    let width = code.width();
    let colors = code.to_colors();
    let px = (width + 2 * QUIET_ZONE) * MODULE_PX;
    let mut raw = Vec::with_capacity(px * (px + 1));
    for y in 0..px {
        raw.push(0); // filter type None
        let module_y = (y / MODULE_PX).checked_sub(QUIET_ZONE);
        for x in 0..px {
            let module_x = (x / MODULE_PX).checked_sub(QUIET_ZONE);
            let dark = match (module_x, module_y) {
                (Some(mx), Some(my)) if mx < width && my < width => {
                    colors.get(my * width + mx) == Some(&Color::Dark)
                }
                _ => false,
            };
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let png_error = |e: std::io::Error| DashboardError::QrCode(e.to_string());
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&raw).map_err(png_error)?;
    let idat = encoder.finish().map_err(png_error)?;
    let side = u32::try_from(px).map_err(|e| DashboardError::QrCode(e.to_string()))?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    // Bit depth 8, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, body) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
        let length =
            u32::try_from(body.len()).map_err(|e| DashboardError::QrCode(e.to_string()))?;
        png.extend_from_slice(&length.to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(body);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(body);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    Ok(png)
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_accessible_with_quiet_zone() -> Result<(), DashboardError> {
        let svg = qr_svg("https://example.org/c/abc123", "QR code: <Campaign> & more")?;
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title>QR code: &lt;Campaign&gt; &amp; more</title>"));
        assert!(svg.contains(r##"fill="#ffffff""##));
        assert!(svg.contains(r##"fill="#000000""##));
        // Version 3 (29 modules) for this link at level M, plus 2 × 4 quiet modules.
        let code = QrCode::with_error_correction_level("https://example.org/c/abc123", EcLevel::M)
            .map_err(|e| DashboardError::QrCode(e.to_string()))?;
        let size = code.width() + 8;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {size} {size}""#)));
        // No dark module inside the quiet zone: every run starts at x, y ≥ 4.
        assert!(!svg.contains("M0,") && !svg.contains("M3,"));
        // The finder pattern's top edge: 7 dark modules at (4, 4).
        assert!(svg.contains("M4,4h7v1h-7z"));
        Ok(())
    }

    #[test]
    fn dark_module_count_matches_the_code() -> Result<(), DashboardError> {
        let link = "https://example.org/c/xyz";
        let code = QrCode::with_error_correction_level(link, EcLevel::M)
            .map_err(|e| DashboardError::QrCode(e.to_string()))?;
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        let svg = qr_svg(link, "QR")?;
        let path = svg.split(" d=\"").nth(1).unwrap_or_default();
        let drawn: usize = path
            .split('z')
            .filter_map(|run| {
                run.split_once('h')?
                    .1
                    .split_once('v')?
                    .0
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert_eq!(drawn, dark);
        Ok(())
    }

    #[test]
    fn png_is_a_valid_greyscale_image_of_the_code() -> Result<(), DashboardError> {
        use std::io::Read as _;
        let link = "https://example.org/c/abc123";
        let png = qr_png(link)?;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(
            png.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
            "IEND with its CRC"
        );
        let side = u32::from_be_bytes([png[16], png[17], png[18], png[19]]) as usize;
        let code = QrCode::with_error_correction_level(link, EcLevel::M)
            .map_err(|e| DashboardError::QrCode(e.to_string()))?;
        assert_eq!(side, (code.width() + 8) * MODULE_PX);
        // The IHDR CRC, as any PNG reader checks it.
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        assert_eq!(crc.sum().to_be_bytes(), png[29..33]);
        // Decompress IDAT: the pixel at the centre of module (0, 0) is dark (finder pattern),
        // the quiet zone is white.
        let length = u32::from_be_bytes([png[33], png[34], png[35], png[36]]) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + length])
            .read_to_end(&mut raw)
            .map_err(|e| DashboardError::QrCode(e.to_string()))?;
        assert_eq!(raw.len(), side * (side + 1));
        let pixel = |x: usize, y: usize| raw[y * (side + 1) + 1 + x];
        let centre = QUIET_ZONE * MODULE_PX + MODULE_PX / 2;
        assert_eq!(pixel(centre, centre), 0);
        assert_eq!(pixel(1, 1), 255);
        Ok(())
    }

    #[test]
    fn too_long_data_is_an_error() {
        assert!(matches!(
            qr_svg(&"x".repeat(5000), "QR"),
            Err(DashboardError::QrCode(_))
        ));
    }
}
