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
    fn too_long_data_is_an_error() {
        assert!(matches!(
            qr_svg(&"x".repeat(5000), "QR"),
            Err(DashboardError::QrCode(_))
        ));
    }
}
