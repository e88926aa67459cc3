//! The engine both documents share: the charts a document draws, their alternative texts, the
//! PDF operations of laid-out items (text, rules, boxes, charts through the plotters backend),
//! marked content for the structure tree, and the table grid.
use plotters::prelude::IntoDrawingArea;
use printpdf::{
    Color, DictItem, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon, PolygonRing,
    Pt, Rgb, TextItem, TextMatrix, WindingOrder,
};

use super::backend;
use super::layout::{self, CONTENT_W, ChartKind, Flow, Item, MARGIN_X, PAGE_H, Rgb3};
use super::tagged::{self, Attr, Mark, Role};
use crate::charts::{self, ChangeChart, DimensionChart, PeerBand, PriorityMatrix, RadarChart};

/// The three charts, prepared from the model once.
pub(crate) struct Charts {
    pub radar: RadarChart,
    pub bars: DimensionChart,
    pub matrix: PriorityMatrix,
    /// Before and after, when the report has a re-assessment's numbers.
    pub change: Option<ChangeChart>,
}

/// "a, b, c" of the items.
pub(crate) fn listing(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The radar chart's data in words, for its figure's alternative text.
pub(crate) fn radar_alt(title: &str, chart: &RadarChart) -> String {
    let mut s = format!(
        "{title}. {}: {}.",
        chart.legend[0],
        listing(
            chart
                .axes
                .iter()
                .map(|a| format!("{} {}", a.label, a.score))
        )
    );
    let peers: Vec<(&str, PeerBand)> = chart
        .axes
        .iter()
        .filter_map(|a| a.peers.map(|p| (a.label.as_str(), p)))
        .collect();
    if !peers.is_empty() {
        s.push_str(&format!(
            " {}: {}. {}: {}.",
            chart.legend[1],
            listing(peers.iter().map(|(l, p)| format!("{l} {}", p.median))),
            chart.legend[2],
            listing(peers.iter().map(|(l, p)| format!("{l} {}", p.p75)))
        ));
    }
    s
}

/// The bar chart's data in words: the scores, and the peer band and median where drawn.
pub(crate) fn bars_alt(title: &str, chart: &DimensionChart) -> String {
    let mut s = format!(
        "{title} ({}). {}",
        chart.axis_label,
        chart
            .legend
            .as_ref()
            .map_or_else(String::new, |l| format!("{}: ", l[0]))
    );
    s.push_str(&listing(
        chart
            .bars
            .iter()
            .map(|b| format!("{} {}", b.label, b.score)),
    ));
    s.push('.');
    let peers: Vec<(&str, PeerBand)> = chart
        .bars
        .iter()
        .filter_map(|b| b.peers.map(|p| (b.label.as_str(), p)))
        .collect();
    if let (Some(l), false) = (&chart.legend, peers.is_empty()) {
        s.push_str(&format!(
            " {}: {}. {}: {}.",
            l[2],
            listing(peers.iter().map(|(n, p)| format!("{n} {}", p.median))),
            l[1],
            listing(
                peers
                    .iter()
                    .map(|(n, p)| format!("{n} {}–{}", p.p25, p.p75))
            )
        ));
    }
    s
}

/// The before/after chart in words: each topic's earlier and current points with the change,
/// and the peer group's change where there is one.
pub(crate) fn change_alt(title: &str, chart: &ChangeChart) -> String {
    let [before, now, firm, peers] = &chart.labels;
    let rows = chart.rows.iter().map(|r| {
        let mut s = format!(
            "{}: {before} {}, {now} {}, {firm} {}",
            r.label,
            r.before,
            r.after,
            charts::signed_change(i16::from(r.after) - i16::from(r.before))
        );
        if let Some(p) = r.peer_change {
            s.push_str(&format!(", {peers} {}", charts::signed_change(p)));
        }
        s
    });
    format!("{title}. {}.", rows.collect::<Vec<_>>().join("; "))
}

/// The priority matrix in words: each numbered point with its score and importance.
pub(crate) fn matrix_alt(title: &str, chart: &PriorityMatrix) -> String {
    let points = chart.points.iter().enumerate().map(|(i, p)| {
        let importance = chart
            .importance_levels
            .get(usize::from(p.importance.clamp(1, 4)) - 1)
            .cloned()
            .unwrap_or_default();
        format!(
            "{}. {}: {} {}, {} {}",
            i + 1,
            p.label,
            chart.score_axis,
            p.score,
            chart.importance_axis,
            importance
        )
    });
    format!("{title}. {}.", points.collect::<Vec<_>>().join("; "))
}

/// Size of a chart in its own pixels.
pub(crate) fn chart_size(charts: &Charts, kind: ChartKind) -> (u32, u32) {
    match kind {
        ChartKind::Radar => (charts::RADAR_CHART_WIDTH, charts::RADAR_CHART_HEIGHT),
        ChartKind::Bars => (charts::BAR_CHART_WIDTH, charts.bars.height()),
        ChartKind::Matrix => (charts::MATRIX_CHART_WIDTH, charts::MATRIX_CHART_HEIGHT),
        ChartKind::Change => (
            charts::CHANGE_CHART_WIDTH,
            charts.change.as_ref().map_or(0, ChangeChart::height),
        ),
    }
}
/// Running headers and footers are pagination artifacts: a screen reader skips them.
pub(crate) fn begin_pagination(ops: &mut Vec<Op>) {
    ops.push(Op::BeginMarkedContentWithProperties {
        tag: "Artifact".into(),
        properties: DictItem::Name(b"Pagination".to_vec()),
    });
}

/// Emits a page's items, each run of items with the same mark as one marked-content sequence
/// (an artifact, or content of a structure element with its id).
pub(crate) fn emit_marked(
    ops: &mut Vec<Op>,
    items: &[Item],
    marks: &[Mark],
    tree: &tagged::Tree,
    charts: &Charts,
    handles: &(PdfFontHandle, PdfFontHandle),
) {
    let mut open: Option<Mark> = None;
    for (item, mark) in items.iter().zip(marks) {
        if open != Some(*mark) {
            if open.is_some() {
                ops.push(Op::EndMarkedContent);
            }
            ops.push(match *mark {
                Mark::Artifact => Op::BeginMarkedContent {
                    tag: "Artifact".into(),
                },
                Mark::Content { node, mcid } => Op::BeginMarkedContentWithProperties {
                    tag: tree
                        .nodes
                        .get(node)
                        .map_or("Span", |n| n.role.name())
                        .into(),
                    properties: DictItem::Int(i64::from(mcid)),
                },
            });
            open = Some(*mark);
        }
        emit(ops, item, charts, handles);
    }
    if open.is_some() {
        ops.push(Op::EndMarkedContent);
    }
}

pub(crate) fn rgb(c: Rgb3) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(c.0) / 255.0,
        g: f32::from(c.1) / 255.0,
        b: f32::from(c.2) / 255.0,
        icc_profile: None,
    })
}

pub(crate) fn pt(x: f32, y_from_top: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x),
            y: Pt(PAGE_H - y_from_top),
        },
        bezier: false,
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn text_op(
    ops: &mut Vec<Op>,
    handles: &(PdfFontHandle, PdfFontHandle),
    x: f32,
    y: f32,
    size: f32,
    is_bold: bool,
    color: Rgb3,
    text: &str,
) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: if is_bold {
            handles.1.clone()
        } else {
            handles.0.clone()
        },
        size: Pt(size),
    });
    ops.push(Op::SetFillColor { col: rgb(color) });
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Translate(Pt(x), Pt(PAGE_H - y)),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(text.to_owned())],
    });
    ops.push(Op::EndTextSection);
}

pub(crate) fn emit(
    ops: &mut Vec<Op>,
    item: &Item,
    charts: &Charts,
    handles: &(PdfFontHandle, PdfFontHandle),
) {
    match item {
        Item::Text {
            x,
            y,
            size,
            bold,
            color,
            text,
        } => {
            text_op(ops, handles, *x, *y, *size, *bold, *color, text);
        }
        Item::Rect { x, y, w, h, color } => {
            ops.push(Op::SetFillColor { col: rgb(*color) });
            ops.push(Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing {
                        points: vec![pt(*x, *y), pt(x + w, *y), pt(x + w, y + h), pt(*x, y + h)],
                    }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            });
        }
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            ops.push(Op::SetOutlineColor { col: rgb(*color) });
            ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
            ops.push(Op::DrawLine {
                line: Line {
                    points: vec![pt(*x1, *y1), pt(*x2, *y2)],
                    is_closed: false,
                },
            });
        }
        Item::Chart { kind, x, y, scale } => {
            let size = chart_size(charts, *kind);
            {
                let backend =
                    backend::PdfBackend::new(ops, size, (*x, PAGE_H - y), *scale, handles);
                let root = backend.into_drawing_area();
                // The backend cannot fail (its error type is uninhabited).
                let _ = match kind {
                    ChartKind::Radar => charts::draw_radar_chart(&root, &charts.radar),
                    ChartKind::Bars => charts::draw_dimension_chart(&root, &charts.bars),
                    ChartKind::Matrix => charts::draw_priority_matrix(&root, &charts.matrix),
                    ChartKind::Change => match &charts.change {
                        Some(c) => charts::draw_change_chart(&root, c),
                        None => Ok(()),
                    },
                };
            }
            ops.push(Op::RestoreGraphicsState);
        }
    }
}

/// One text a chart drew into the PDF: its font size (pt), its left and right edge on the page
/// (pt from the left; `None` for turned text) and the text.
#[cfg(test)]
pub(crate) struct ChartText {
    pub size: f32,
    pub span: Option<(f32, f32)>,
    pub text: String,
}

/// The texts the charts among `items` draw, read from the operations the PDF writer turns into
/// `Tf`, `Tm` and `Tj` operators.
#[cfg(test)]
pub(crate) fn chart_texts(items: &[Item], charts: &Charts) -> Vec<ChartText> {
    use super::{fonts, pdf};
    use printpdf::FontId;
    let handles = (
        PdfFontHandle::External(FontId(pdf::REGULAR_ID.into())),
        PdfFontHandle::External(FontId(pdf::BOLD_ID.into())),
    );
    let mut ops = Vec::new();
    for item in items.iter().filter(|i| matches!(i, Item::Chart { .. })) {
        emit(&mut ops, item, charts, &handles);
    }
    let (mut size, mut bold, mut left) = (0.0, false, None);
    let mut texts = Vec::new();
    for op in &ops {
        match op {
            Op::SetFont { font, size: s } => {
                size = s.0;
                bold = *font == handles.1;
            }
            Op::SetTextMatrix { matrix } => {
                left = match matrix {
                    TextMatrix::Translate(x, _) => Some(x.0),
                    _ => None,
                };
            }
            Op::ShowText { items } => {
                for item in items {
                    if let TextItem::Text(text) = item {
                        let w = fonts::metrics(bold).width(text, size);
                        texts.push(ChartText {
                            size,
                            span: left.map(|x| (x, x + w)),
                            text: text.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    texts
}

/// A chart as a Figure element with its data in words and its box.
pub(crate) fn figure(
    f: &mut Flow,
    kind: ChartKind,
    (x, y): (f32, f32),
    scale: f32,
    (w, h): (f32, f32),
    alt: String,
) {
    let node = f.open(Role::Figure);
    f.tree.set_alt(node, alt);
    f.tree
        .set_attr(node, Attr::BBox([x, PAGE_H - y - h, x + w, PAGE_H - y]));
    f.push(Item::Chart { kind, x, y, scale });
    f.close();
}

/// A table of wrapped text cells with a coloured header row that is repeated after every page
/// break; numeric columns are right-aligned.
pub(crate) struct Grid<'a> {
    widths: &'a [f32],
    /// Space around the text of a cell.
    pad: f32,
    numeric: &'a [bool],
    header: Vec<Vec<Vec<layout::Piece>>>,
    rows: Vec<Vec<Vec<Vec<layout::Piece>>>>,
}

const GRID_PAD: f32 = 5.0;
const GRID_SIZE: f32 = 9.0;
const GRID_LEADING: f32 = 12.5;

impl<'a> Grid<'a> {
    pub(crate) fn new(
        widths: &'a [f32],
        numeric: &'a [bool],
        header: &[String],
        rows: &[Vec<String>],
    ) -> Grid<'a> {
        let wrap = |t: &str, w: f32, b: bool| {
            layout::wrap_runs(
                &[layout::Run {
                    text: t,
                    bold: b,
                    color: None,
                }],
                GRID_SIZE,
                w - 2.0 * GRID_PAD,
            )
        };
        // A row with fewer cells than columns: its last cell spans the rest (a note across the
        // values of a suppressed row, say).
        let spans = |n: usize| -> Vec<f32> {
            let mut w: Vec<f32> = widths.iter().take(n.max(1)).copied().collect();
            if let Some(last) = w.last_mut() {
                *last += widths.iter().skip(n.max(1)).sum::<f32>();
            }
            w
        };
        Grid {
            widths,
            pad: GRID_PAD,
            numeric,
            header: header
                .iter()
                .zip(widths)
                .map(|(h, w)| wrap(h, *w, true))
                .collect(),
            rows: rows
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(spans(r.len()))
                        .map(|(c, w)| wrap(c, w, false))
                        .collect()
                })
                .collect(),
        }
    }

    /// Tighter rows, for the one-page board summary.
    pub(crate) fn compact(mut self) -> Self {
        self.pad = 3.0;
        self
    }

    fn height(&self, cells: &[Vec<Vec<layout::Piece>>]) -> f32 {
        cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * GRID_LEADING + 2.0 * self.pad
    }

    /// Room for the header and the first row: what a heading above must keep with it.
    pub(crate) fn head_room(&self) -> f32 {
        self.height(&self.header) + self.rows.first().map_or(0.0, |r| self.height(r))
    }

    /// One row as a TR of TH or TD cells (no elements while the flow places artifacts: a
    /// header repeated after a page break).
    fn draw_row(&self, f: &mut Flow, cells: &[Vec<Vec<layout::Piece>>], header: bool, shade: bool) {
        let tagged = !f.artifact;
        let h = self.height(cells);
        let top = f.y;
        let pad = self.pad;
        if header || shade {
            f.push(Item::Rect {
                x: MARGIN_X,
                y: top,
                w: CONTENT_W,
                h,
                color: if header { layout::BLUE } else { layout::PALE },
            });
        }
        let mut x = MARGIN_X;
        let spanning = cells.len() < self.widths.len();
        if tagged {
            f.open(Role::TR);
        }
        for (i, cell) in cells.iter().enumerate() {
            let w = if spanning && i + 1 == cells.len() {
                self.widths.iter().skip(i).sum::<f32>()
            } else {
                self.widths.get(i).copied().unwrap_or(0.0)
            };
            if tagged {
                let node = f.open(if header { Role::TH } else { Role::TD });
                if header {
                    f.tree.set_attr(node, Attr::ColumnHeader);
                } else if spanning && i + 1 == cells.len() {
                    let span = u32::try_from(self.widths.len() - i).unwrap_or(1);
                    f.tree.set_attr(node, Attr::ColSpan(span));
                }
            }
            for (k, line) in cell.iter().enumerate() {
                let line_w: f32 = line.last().map_or(0.0, |p| {
                    p.dx + layout::width(&p.text, GRID_SIZE, p.bold || header)
                });
                let right = self.numeric.get(i).copied().unwrap_or(false) && !spanning;
                let offset = if right { w - pad - line_w } else { pad };
                for p in line {
                    f.push(Item::Text {
                        x: x + offset + p.dx,
                        y: top + pad + k as f32 * GRID_LEADING + GRID_SIZE * 0.95,
                        size: GRID_SIZE,
                        bold: header,
                        color: if header {
                            Rgb3(0xff, 0xff, 0xff)
                        } else {
                            layout::INK
                        },
                        text: p.text.clone(),
                    });
                }
            }
            if tagged {
                f.close();
            }
            x += w;
        }
        if tagged {
            f.close();
        }
        f.y = top + h;
        if !header {
            f.push(Item::Line {
                x1: MARGIN_X,
                y1: f.y,
                x2: MARGIN_X + CONTENT_W,
                y2: f.y,
                width: 0.4,
                color: layout::RULE,
            });
        }
    }

    pub(crate) fn draw(&self, f: &mut Flow) {
        f.ensure(self.head_room());
        f.open(Role::Table);
        self.draw_row(f, &self.header, true, false);
        for (i, r) in self.rows.iter().enumerate() {
            if self.height(r) > f.room() {
                f.new_page();
                // The repeated header is for the eye; the table has one header row.
                f.artifact = true;
                self.draw_row(f, &self.header, true, false);
                f.artifact = false;
            }
            self.draw_row(f, r, false, i % 2 == 1);
        }
        f.close();
    }
}
