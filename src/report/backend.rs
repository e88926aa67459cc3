//! A plotters `DrawingBackend` that emits printpdf operations, so that the charts of the web
//! pages are drawn by the same code into the PDF: vector shapes and real, searchable text.
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle, FontTransform,
};

use printpdf::{
    Color, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rgb,
    TextItem, TextMatrix, WindingOrder,
};

use super::fonts;

/// The em size plotters hands the backend is 1.24 × the font size in pixels.
const PLOTTERS_FONT_SCALE: f64 = 1.24;

/// The smallest text in a printed chart, in pt (issue 18: chart text at least 8 pt on paper).
/// The web drawings are sized for screens and scaled down to fit the page, so their smallest
/// text would print at about 6.5 pt; the PDF raises only such text and leaves larger text alone.
pub(crate) const MIN_TEXT_PT: f32 = 8.0;

pub(crate) struct PdfBackend<'a> {
    ops: &'a mut Vec<Op>,
    size: (u32, u32),
    /// Page position of the chart's top-left corner, pt from the page's bottom-left corner.
    left: f32,
    top: f32,
    /// pt per chart pixel.
    scale: f32,
    fonts: &'a (PdfFontHandle, PdfFontHandle),
}

impl<'a> PdfBackend<'a> {
    /// Fills one closed ring with the current fill colour.
    fn fill_ring(&mut self, ring: PolygonRing) {
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![ring],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// The em size of a text style in chart pixels, raised so that it prints at least at
    /// `MIN_TEXT_PT`; plotters measures text through `estimate_text_size`, so centred and
    /// right-aligned labels stay anchored where they were.
    fn em_px<TStyle: BackendTextStyle>(&self, style: &TStyle) -> f32 {
        let em_px = (style.size() / PLOTTERS_FONT_SCALE) as f32;
        if self.scale > 0.0 {
            em_px.max(MIN_TEXT_PT / self.scale)
        } else {
            em_px
        }
    }

    /// Starts a chart: saves the graphics state and clips to the chart's box; the caller restores.
    pub fn new(
        ops: &'a mut Vec<Op>,
        size: (u32, u32),
        (left, top): (f32, f32),
        scale: f32,
        fonts: &'a (PdfFontHandle, PdfFontHandle),
    ) -> Self {
        ops.push(Op::SaveGraphicsState);
        let backend = Self {
            ops,
            size,
            left,
            top,
            scale,
            fonts,
        };
        let (w, h) = (
            i32::try_from(size.0).unwrap_or(0),
            i32::try_from(size.1).unwrap_or(0),
        );
        let clip = backend.ring(&[(0, 0), (w, 0), (w, h), (0, h)]);
        backend.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![clip],
                mode: PaintMode::Clip,
                winding_order: WindingOrder::NonZero,
            },
        });
        backend
    }

    fn point(&self, (x, y): BackendCoord) -> Point {
        Point {
            x: Pt(self.left + x as f32 * self.scale),
            y: Pt(self.top - y as f32 * self.scale),
        }
    }

    fn ring(&self, points: &[BackendCoord]) -> PolygonRing {
        PolygonRing {
            points: points
                .iter()
                .map(|&p| LinePoint {
                    p: self.point(p),
                    bezier: false,
                })
                .collect(),
        }
    }

    fn stroke<S: BackendStyle>(&mut self, style: &S) -> bool {
        let color = style.color();
        if color.alpha == 0.0 {
            return false;
        }
        self.ops.push(Op::SetOutlineColor {
            col: pdf_color(color),
        });
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(style.stroke_width().max(1) as f32 * self.scale),
        });
        true
    }

    fn fill(&mut self, color: BackendColor) -> bool {
        if color.alpha == 0.0 {
            return false;
        }
        self.ops.push(Op::SetFillColor {
            col: pdf_color(color),
        });
        true
    }
}

/// Transparency arrives in the colour; charts sit on white, so blend with white instead of
/// adding graphics states.
fn pdf_color(color: BackendColor) -> Color {
    let a = color.alpha.clamp(0.0, 1.0) as f32;
    let c = |v: u8| (f32::from(v) / 255.0) * a + (1.0 - a);
    Color::Rgb(Rgb {
        r: c(color.rgb.0),
        g: c(color.rgb.1),
        b: c(color.rgb.2),
        icc_profile: None,
    })
}

impl DrawingBackend for PdfBackend<'_> {
    type ErrorType = std::convert::Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if self.fill(color) {
            let ring = self.ring(&[
                point,
                (point.0 + 1, point.1),
                (point.0 + 1, point.1 + 1),
                (point.0, point.1 + 1),
            ]);
            self.fill_ring(ring);
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (l, t) = upper_left;
        let (r, b) = bottom_right;
        let corners = [(l, t), (r, t), (r, b), (l, b)];
        if fill {
            if self.fill(style.color()) {
                let ring = self.ring(&corners);
                self.fill_ring(ring);
            }
        } else if self.stroke(style) {
            let ring = self.ring(&corners);
            self.ops.push(Op::DrawLine {
                line: Line {
                    points: ring.points,
                    is_closed: true,
                },
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let points: Vec<BackendCoord> = path.into_iter().collect();
        if points.len() < 2 || !self.stroke(style) {
            return Ok(());
        }
        let ring = self.ring(&points);
        self.ops.push(Op::DrawLine {
            line: Line {
                points: ring.points,
                is_closed: false,
            },
        });
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let painted = if fill {
            self.fill(style.color())
        } else {
            self.stroke(style)
        };
        if !painted {
            return Ok(());
        }
        // Four cubic Béziers.
        let c = self.point(center);
        let r = radius as f32 * self.scale;
        let k = 0.552_284_8 * r;
        let p = |x: f32, y: f32, bezier: bool| LinePoint {
            p: Point {
                x: Pt(c.x.0 + x),
                y: Pt(c.y.0 + y),
            },
            bezier,
        };
        let points = vec![
            p(r, 0.0, false),
            p(r, k, true),
            p(k, r, true),
            p(0.0, r, false),
            p(-k, r, true),
            p(-r, k, true),
            p(-r, 0.0, false),
            p(-r, -k, true),
            p(-k, -r, true),
            p(0.0, -r, false),
            p(k, -r, true),
            p(r, -k, true),
            p(r, 0.0, false),
        ];
        if fill {
            self.fill_ring(PolygonRing { points });
        } else {
            self.ops.push(Op::DrawLine {
                line: Line {
                    points,
                    is_closed: true,
                },
            });
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let points: Vec<BackendCoord> = vert.into_iter().collect();
        if points.len() < 3 || !self.fill(style.color()) {
            return Ok(());
        }
        let ring = self.ring(&points);
        self.fill_ring(ring);
        Ok(())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let bold = matches!(style.style(), FontStyle::Bold);
        let metrics = fonts::metrics(bold);
        let size = (self.em_px(style) * self.scale).max(MIN_TEXT_PT);
        let width = metrics.width(text, size);
        // The same anchoring rules as plotters' SVGBackend (text-anchor and dy).
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => -0.76 * size,
            VPos::Center => -0.5 * metrics.x_height * size,
            VPos::Bottom => 0.5 * metrics.x_height * size,
        };
        let anchor = self.point(pos);
        // Rotation turns about the anchor point, clockwise in chart space.
        let degrees = match style.transform() {
            FontTransform::None => 0.0,
            FontTransform::Rotate90 => 90.0,
            FontTransform::Rotate180 => 180.0,
            FontTransform::Rotate270 => 270.0,
        };
        let (sin, cos) = (-(degrees as f32).to_radians()).sin_cos();
        let x = anchor.x.0 + dx * cos - dy * sin;
        let y = anchor.y.0 + dx * sin + dy * cos;
        let font = if bold {
            self.fonts.1.clone()
        } else {
            self.fonts.0.clone()
        };
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont {
            font,
            size: Pt(size),
        });
        self.ops.push(Op::SetFillColor {
            col: pdf_color(color),
        });
        let matrix = if degrees == 0.0 {
            TextMatrix::Translate(Pt(x), Pt(y))
        } else {
            TextMatrix::TranslateRotate(Pt(x), Pt(y), -degrees as f32)
        };
        self.ops.push(Op::SetTextMatrix { matrix });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        });
        self.ops.push(Op::EndTextSection);
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let bold = matches!(style.style(), FontStyle::Bold);
        let em_px = self.em_px(style);
        let w = fonts::metrics(bold).width(text, em_px);
        Ok((w.ceil() as u32, em_px.ceil() as u32))
    }
}
