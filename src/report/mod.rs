//! The PDF report: a [`ReportModel`] (plain data, already in one language) in, PDF bytes out.
//!
//! Layout happens first (see `layout`), so that the page count is known when the running header
//! and the "page i of N" footer are written. The charts come from [`crate::charts`], drawn
//! through a plotters backend that emits PDF operations.
mod backend;
pub mod board;
pub mod brand;
mod fonts;
mod layout;
pub mod model;
mod pdf;
mod tagged;

use plotters::prelude::IntoDrawingArea;
use printpdf::{
    Color, DictItem, FontId, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Polygon,
    PolygonRing, Pt, Rgb, TextItem, TextMatrix, WindingOrder,
};

use crate::benchmark::RankWording;
use crate::charts::{
    self, DimensionBar, DimensionChart, MatrixPoint, PeerBand, PriorityMatrix, RadarAxis,
    RadarChart,
};
pub use brand::{ReportBrand, ReportLogo};
use layout::{
    BODY, CONTENT_BOTTOM, CONTENT_W, ChartKind, Flow, H1, H2, H3, Item, MARGIN_X, PAGE_H, PAGE_W,
    Rgb3, SMALL, Style, bold, run,
};
pub use model::*;
use tagged::{Attr, Mark, Role};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the embedded font could not be parsed")]
    Font,
    #[error("the report model is not usable: {0}")]
    Model(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Fills `{name}` placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut s = template.to_owned();
    for (k, v) in values {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// The three charts, prepared from the model once.
struct Charts {
    radar: RadarChart,
    bars: DimensionChart,
    matrix: PriorityMatrix,
}

fn prepare_charts(m: &ReportModel) -> Charts {
    let with_peers = m.cohort.is_some();
    let band = |d: &Dimension| {
        d.peer.filter(|_| with_peers).map(|p| PeerBand {
            p25: p.p25,
            median: p.median,
            p75: p.p75,
        })
    };
    let l = &m.labels;
    Charts {
        radar: RadarChart {
            axes: m
                .dimensions
                .iter()
                .map(|d| RadarAxis {
                    label: d.title.clone(),
                    score: d.score,
                    peers: band(d),
                    gap: d.not_assessable.then(|| l.not_assessable_short.clone()),
                })
                .collect(),
            legend: [
                l.legend_firm.clone(),
                l.legend_peer_median.clone(),
                l.legend_peer_p75.clone(),
            ],
        },
        bars: DimensionChart {
            bars: m
                .dimensions
                .iter()
                .map(|d| DimensionBar {
                    label: d.title.clone(),
                    score: d.score,
                    peers: band(d),
                    gap: d.not_assessable.then(|| l.not_assessable_short.clone()),
                })
                .collect(),
            axis_label: l.score_axis.clone(),
            legend: m.dimensions.iter().any(|d| band(d).is_some()).then(|| {
                [
                    l.legend_firm.clone(),
                    l.legend_peer_band.clone(),
                    l.legend_peer_median.clone(),
                ]
            }),
        },
        matrix: PriorityMatrix {
            // Numbered in the order of the action plan (as on the result page), then the
            // dimensions with nothing to do.
            points: plan_order(m)
                .into_iter()
                .filter(|d| !d.not_assessable)
                .map(|d| MatrixPoint {
                    label: d.title.clone(),
                    score: d.score,
                    importance: d.importance,
                    answered: d.importance_answered,
                })
                .collect(),
            score_axis: l.score_axis.clone(),
            importance_axis: l.importance_axis.clone(),
            importance_levels: l.importance_levels.clone(),
            quadrants: l.matrix_quadrants.clone(),
        },
    }
}

/// "a, b, c" of the items.
fn listing(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The radar chart's data in words, for its figure's alternative text.
fn radar_alt(title: &str, chart: &RadarChart) -> String {
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

/// The priority matrix in words: each numbered point with its score and importance.
fn matrix_alt(title: &str, chart: &PriorityMatrix) -> String {
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

/// The dimensions in the order their first action appears, then the rest in catalogue order.
fn plan_order(m: &ReportModel) -> Vec<&model::Dimension> {
    let mut order: Vec<&model::Dimension> = Vec::with_capacity(m.dimensions.len());
    for a in &m.actions {
        if let Some(d) = m.dimensions.iter().find(|d| d.title == a.dimension)
            && !order.iter().any(|o| o.id == d.id)
        {
            order.push(d);
        }
    }
    for d in &m.dimensions {
        if !order.iter().any(|o| o.id == d.id) {
            order.push(d);
        }
    }
    order
}

/// Size of a chart in its own pixels.
fn chart_size(charts: &Charts, kind: ChartKind) -> (u32, u32) {
    match kind {
        ChartKind::Radar => (charts::RADAR_CHART_WIDTH, charts::RADAR_CHART_HEIGHT),
        ChartKind::Bars => (charts::BAR_CHART_WIDTH, charts.bars.height()),
        ChartKind::Matrix => (charts::MATRIX_CHART_WIDTH, charts::MATRIX_CHART_HEIGHT),
    }
}

/// Renders the report as PDF bytes; the same model always gives the same bytes.
pub fn render_pdf(model: &ReportModel) -> Result<Vec<u8>, ReportError> {
    if !fonts::REGULAR.is_usable() || !fonts::BOLD.is_usable() {
        return Err(ReportError::Font);
    }
    if model.dimensions.is_empty() {
        return Err(ReportError::Model("no dimensions".into()));
    }
    let charts = prepare_charts(model);
    let flow = lay_out(model, &charts);

    let handles = (
        PdfFontHandle::External(FontId(pdf::REGULAR_ID.into())),
        PdfFontHandle::External(FontId(pdf::BOLD_ID.into())),
    );
    let total = flow.pages.len();
    let mut pages = Vec::with_capacity(total);
    for (i, items) in flow.pages.iter().enumerate() {
        let mut ops = Vec::with_capacity(items.len() * 6 + 64);
        begin_pagination(&mut ops);
        running_header_footer(&mut ops, model, i + 1, total, &handles);
        ops.push(Op::EndMarkedContent);
        if i == 0 {
            brand::draw_logo(
                &mut ops,
                model.brand.as_ref(),
                (MARGIN_X, brand::COVER_LOGO_TOP),
                (brand::COVER_LOGO_W, brand::COVER_LOGO_H),
                false,
            );
        }
        emit_marked(
            &mut ops,
            items,
            &flow.marks[i],
            &flow.tree,
            &charts,
            &handles,
        );
        pages.push(ops);
    }
    let info = pdf::DocInfo {
        title: &model.labels.document_title,
        subject: model.firm_name.as_deref(),
        lang: &model.lang,
        date: model.creation_date,
    };
    let logo = brand::pdf_image(model.brand.as_ref());
    pdf::write_pdf(&info, (PAGE_W, PAGE_H), &pages, &flow.tree, logo.as_deref())
}

/// Running headers and footers are pagination artifacts: a screen reader skips them.
fn begin_pagination(ops: &mut Vec<Op>) {
    ops.push(Op::BeginMarkedContentWithProperties {
        tag: "Artifact".into(),
        properties: DictItem::Name(b"Pagination".to_vec()),
    });
}

/// Emits a page's items, each run of items with the same mark as one marked-content sequence
/// (an artifact, or content of a structure element with its id).
fn emit_marked(
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

fn rgb(c: Rgb3) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(c.0) / 255.0,
        g: f32::from(c.1) / 255.0,
        b: f32::from(c.2) / 255.0,
        icc_profile: None,
    })
}

fn pt(x: f32, y_from_top: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x),
            y: Pt(PAGE_H - y_from_top),
        },
        bezier: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn text_op(
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

fn emit(ops: &mut Vec<Op>, item: &Item, charts: &Charts, handles: &(PdfFontHandle, PdfFontHandle)) {
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
                };
            }
            ops.push(Op::RestoreGraphicsState);
        }
    }
}

/// One text a chart drew into the PDF: its font size (pt), its left and right edge on the page
/// (pt from the left; `None` for turned text) and the text.
#[cfg(test)]
struct ChartText {
    size: f32,
    span: Option<(f32, f32)>,
    text: String,
}

/// The texts the charts among `items` draw, read from the operations the PDF writer turns into
/// `Tf`, `Tm` and `Tj` operators.
#[cfg(test)]
fn chart_texts(items: &[Item], charts: &Charts) -> Vec<ChartText> {
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

fn running_header_footer(
    ops: &mut Vec<Op>,
    m: &ReportModel,
    page: usize,
    pages: usize,
    handles: &(PdfFontHandle, PdfFontHandle),
) {
    let size = 8.0;
    let head_y = 46.0;
    // A consultant's logo leads the header from page two on (the cover shows it large).
    let logo_w = if page > 1 {
        brand::draw_logo(ops, m.brand.as_ref(), (MARGIN_X, 32.0), (72.0, 16.0), true)
            .map_or(0.0, |w| w + 8.0)
    } else {
        0.0
    };
    let title = layout::ellipsize(
        &m.labels.document_title,
        size,
        true,
        CONTENT_W * 0.45 - logo_w,
    );
    let title_w = logo_w + layout::width(&title, size, true);
    text_op(
        ops,
        handles,
        MARGIN_X + logo_w,
        head_y,
        size,
        true,
        brand::accent(m.brand.as_ref()),
        &title,
    );
    if let Some(firm) = &m.firm_name {
        let room = CONTENT_W - title_w - 24.0;
        let firm = layout::ellipsize(firm, size, false, room);
        let w = layout::width(&firm, size, false);
        text_op(
            ops,
            handles,
            MARGIN_X + CONTENT_W - w,
            head_y,
            size,
            false,
            layout::MUTED,
            &firm,
        );
    }
    let rule = |ops: &mut Vec<Op>, y: f32| {
        ops.push(Op::SetOutlineColor {
            col: rgb(layout::RULE),
        });
        ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![pt(MARGIN_X, y), pt(MARGIN_X + CONTENT_W, y)],
                is_closed: false,
            },
        });
    };
    rule(ops, head_y + 6.0);
    let foot_y = CONTENT_BOTTOM + 34.0;
    rule(ops, foot_y - 12.0);
    let footer = fill(
        &m.labels.page_of,
        &[("page", &page.to_string()), ("pages", &pages.to_string())],
    );
    let w = layout::width(&footer, size, false);
    text_op(
        ops,
        handles,
        MARGIN_X + CONTENT_W - w,
        foot_y,
        size,
        false,
        layout::MUTED,
        &footer,
    );
    let version = layout::ellipsize(
        &format!("{} {}", m.labels.catalogue_version, m.catalogue_version),
        size,
        false,
        CONTENT_W - w - 24.0,
    );
    text_op(
        ops,
        handles,
        MARGIN_X,
        foot_y,
        size,
        false,
        layout::MUTED,
        &version,
    );
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

fn lay_out(m: &ReportModel, charts: &Charts) -> Flow {
    let mut f = Flow::new();
    cover(&mut f, m);
    // The cover stands alone; the summary always opens page two.
    f.new_page();
    summary(&mut f, m, charts);
    section(&mut f, |f| comparison(f, m, charts));
    if let Some(p) = &m.progress {
        section(&mut f, |f| progress(f, p));
    }
    section(&mut f, |f| dimensions(f, m));
    section(&mut f, |f| actions(f, m));
    section(&mut f, |f| methodology(f, m));
    f
}

/// Lays out a main section below what precedes it when all of it fits on the current page, or
/// when at least a third of the page is still free (it then flows on, so that no page is left
/// half empty); from the top of a new page otherwise.
fn section(f: &mut Flow, lay: impl Fn(&mut Flow)) {
    if !f.at_top() && f.room() >= (CONTENT_BOTTOM - layout::CONTENT_TOP) / 3.0 {
        f.gap(SECTION_GAP);
        lay(f);
        return;
    }
    if !f.at_top() {
        let mut trial = Flow::trial(f.y);
        trial.gap(SECTION_GAP);
        lay(&mut trial);
        // Fits when the trial never had to go to the top of a page; then laid out again for
        // real, so that its structure elements join the flow's tree (same positions).
        if trial.breaks == 0 && trial.pages.len() == 1 {
            f.gap(SECTION_GAP);
            lay(f);
            return;
        }
    }
    f.new_page();
    lay(f);
}

/// Extra space above a main section that follows another on the same page.
const SECTION_GAP: f32 = 14.0;

fn cover(f: &mut Flow, m: &ReportModel) {
    let l = &m.labels;
    let accent = brand::accent(m.brand.as_ref());
    f.y = 210.0;
    f.push(Item::Rect {
        x: MARGIN_X,
        y: f.y - 30.0,
        w: 60.0,
        h: 5.0,
        color: accent,
    });
    f.within(tagged::Role::H1, |f| {
        f.paragraph(
            &[run(&l.document_title)],
            MARGIN_X,
            CONTENT_W,
            Style {
                leading: 34.0,
                ..Style::new(26.0, true, accent)
            },
        );
    });
    f.gap(6.0);
    f.para(
        &[run(&l.cover_subtitle)],
        MARGIN_X,
        CONTENT_W,
        Style::new(13.0, false, layout::MUTED),
    );
    f.gap(60.0);
    let field = |f: &mut Flow, label: &str, value: &str, size: f32| {
        f.text(label, SMALL);
        f.gap(1.0);
        f.para(
            &[run(value)],
            MARGIN_X,
            CONTENT_W,
            Style::new(size, true, layout::INK),
        );
        f.gap(14.0);
    };
    if let Some(firm) = &m.firm_name {
        field(f, &l.firm, firm, 15.0);
    }
    field(f, &l.assessment_date, &m.assessment_date, 11.0);
    field(f, &l.catalogue_version, &m.catalogue_version, 11.0);
    if let Some(b) = &m.brand {
        brand::cover_block(f, b);
    }
}

fn summary(f: &mut Flow, m: &ReportModel, charts: &Charts) {
    let l = &m.labels;
    f.heading(&l.summary, H1, 120.0);
    // Score box: the number, the maturity level, the verdict beside it.
    let top = f.y;
    let box_w = 130.0;
    let level = fill(
        &l.maturity_level,
        &[
            ("level", &m.overall.level.to_string()),
            ("name", &m.overall.level_name),
        ],
    );
    let text_x = MARGIN_X + box_w + 18.0;
    let text_w = CONTENT_W - box_w - 18.0;
    let level_style = Style::new(11.5, true, layout::BLUE);
    let h_text = layout::height_of(&[run(&level)], text_w, level_style)
        + 6.0
        + layout::height_of(&[run(&m.overall.verdict)], text_w, BODY);
    let box_h = h_text.clamp(80.0, 300.0);
    f.ensure(box_h.min(300.0));
    let top = if f.y < top { f.y } else { top };
    f.push(Item::Rect {
        x: MARGIN_X,
        y: top,
        w: box_w,
        h: box_h,
        color: layout::PALE,
    });
    f.push(Item::Rect {
        x: MARGIN_X,
        y: top,
        w: 4.0,
        h: box_h,
        color: layout::BLUE,
    });
    // The score box reads "Overall score 63 / 100".
    f.open(Role::P);
    f.push(Item::Text {
        x: MARGIN_X + 14.0,
        y: top + 18.0,
        size: 8.5,
        bold: false,
        color: layout::MUTED,
        text: layout::ellipsize(&l.overall_score, 8.5, false, box_w - 20.0),
    });
    let score = m.overall.score.to_string();
    f.push(Item::Text {
        x: MARGIN_X + 14.0,
        y: top + 54.0,
        size: 34.0,
        bold: true,
        color: layout::BLUE,
        text: score.clone(),
    });
    f.push(Item::Text {
        x: MARGIN_X + 18.0 + layout::width(&score, 34.0, true),
        y: top + 54.0,
        size: 11.0,
        bold: false,
        color: layout::MUTED,
        text: "/ 100".into(),
    });
    f.close();
    f.y = top;
    f.para(&[run(&level)], text_x, text_w, level_style);
    f.gap(6.0);
    f.para(&[run(&m.overall.verdict)], text_x, text_w, BODY);
    f.y = f.y.max(top + box_h);
    f.gap(12.0);

    // The profile at a glance, and where to start.
    chart(
        f,
        charts,
        ChartKind::Radar,
        &l.radar_title,
        CONTENT_W * 0.76,
    );
    if !m.actions.is_empty() {
        f.heading(&l.first_steps, H2, 3.0 * BODY.leading);
        action_list(f, m, 3, false);
        f.gap(8.0);
    }

    // Strongest and weakest side by side.
    let col_w = (CONTENT_W - 24.0) / 2.0;
    let col = |list: &[DimensionScore]| -> Vec<(Vec<Vec<layout::Piece>>, String)> {
        list.iter()
            .map(|d| {
                (
                    layout::wrap_runs(&[run(&d.title)], BODY.size, col_w - 40.0),
                    d.score.to_string(),
                )
            })
            .collect()
    };
    let (a, b) = (col(&m.strongest), col(&m.weakest));
    let height = |c: &[(Vec<Vec<layout::Piece>>, String)]| {
        c.iter()
            .map(|(l, _)| l.len() as f32 * BODY.leading + 4.0)
            .sum::<f32>()
    };
    let need = 2.0 * H3.leading + height(&a).max(height(&b));
    f.ensure(need);
    let top = f.y;
    for (k, (label, c)) in [(&l.strongest, &a), (&l.weakest, &b)]
        .into_iter()
        .enumerate()
    {
        let x = MARGIN_X + k as f32 * (col_w + 24.0);
        f.y = top;
        f.within(Role::H2, |f| f.paragraph(&[run(label)], x, col_w, H3));
        f.push(Item::Line {
            x1: x,
            y1: f.y + 1.0,
            x2: x + col_w,
            y2: f.y + 1.0,
            width: 0.5,
            color: layout::RULE,
        });
        f.y += 5.0;
        f.open(Role::L);
        for (lines, score) in c {
            f.open(Role::LI);
            f.open(Role::LBody);
            let y0 = f.y;
            f.lines(lines.clone(), x, BODY, usize::MAX);
            let w = layout::width(score, BODY.size, true);
            f.push(Item::Text {
                x: x + col_w - w,
                y: y0 + BODY.size * 0.93 + (BODY.leading - BODY.size * 1.17) / 2.0,
                size: BODY.size,
                bold: true,
                color: layout::BLUE,
                text: score.clone(),
            });
            f.close();
            f.close();
            f.y += 4.0;
        }
        f.close();
    }
    f.y = top + need;
    f.gap(14.0);

    // Red flags.
    f.heading(&l.red_flags, H2, 3.0 * BODY.leading);
    if m.red_flags.is_empty() {
        f.text(&l.no_red_flags, BODY);
    }
    if !m.red_flags.is_empty() {
        f.open(Role::L);
    }
    for flag in &m.red_flags {
        f.open(Role::LI);
        f.open(Role::LBody);
        let marker = format!("{}: ", l.red_flag_marker);
        let x = MARGIN_X + 12.0;
        let w = CONTENT_W - 12.0;
        let lines = layout::wrap_runs(
            &[
                layout::Run {
                    text: &marker,
                    bold: true,
                    color: Some(layout::FLAG),
                },
                bold(&flag.text),
            ],
            BODY.size,
            w,
        );
        f.ensure(lines.len().min(2) as f32 * BODY.leading + 2.0 * SMALL.leading);
        let top = f.y;
        f.lines(lines, x, BODY, 2);
        f.paragraph(
            &[bold(&format!("{}: ", l.reason)), run(&flag.reason)],
            x,
            w,
            BODY,
        );
        f.paragraph(
            &[run(&format!(
                "{}: {} · {}: {}",
                l.dimension, flag.dimension, l.source, flag.source
            ))],
            x,
            w,
            SMALL,
        );
        // A bar in the margin, drawn on each page the flag's text is on (only when it fits on
        // one page, which is the normal case).
        if f.y > top {
            f.push(Item::Rect {
                x: MARGIN_X,
                y: top + 2.0,
                w: 3.0,
                h: f.y - top - 2.0,
                color: layout::FLAG,
            });
        }
        f.close();
        f.close();
        f.gap(8.0);
    }
    if !m.red_flags.is_empty() {
        f.close();
    }
}

fn cohort_line(m: &ReportModel) -> Option<String> {
    m.cohort.as_ref().map(|c| {
        let mut s = fill(
            &m.labels.cohort,
            &[("label", &c.label), ("n", &c.n.to_string())],
        );
        if c.broader_than_own {
            s.push(' ');
            s.push_str(&m.labels.cohort_broader);
        }
        s
    })
}

fn chart(f: &mut Flow, charts: &Charts, kind: ChartKind, title: &str, width: f32) {
    let (w, h) = chart_size(charts, kind);
    let mut scale = width / w as f32;
    // A chart that misses the rest of the page by a little is drawn a little smaller there,
    // rather than leaving the space empty.
    let room = f.room() - 2.5 * H3.leading;
    if h as f32 * scale > room && h as f32 * scale * 0.82 <= room && !f.at_top() {
        scale = room / h as f32;
    }
    let width = w as f32 * scale;
    let height = h as f32 * scale;
    // Set small, but the level below the section's heading.
    f.heading_as(title, H3, height + 4.0, Role::H2);
    f.ensure(height);
    let x = MARGIN_X + (CONTENT_W - width) / 2.0;
    let alt = match kind {
        ChartKind::Radar => radar_alt(title, &charts.radar),
        ChartKind::Bars => bars_alt(title, &charts.bars),
        ChartKind::Matrix => matrix_alt(title, &charts.matrix),
    };
    let y = f.y;
    figure(f, kind, (x, y), scale, (width, height), alt);
    f.y += height;
    f.gap(10.0);
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

fn comparison(f: &mut Flow, m: &ReportModel, charts: &Charts) {
    let l = &m.labels;
    f.heading(&l.charts, H1, 300.0);
    match cohort_line(m) {
        Some(line) => f.text(&line, Style::new(9.5, false, layout::MUTED)),
        None => f.para(
            &[bold(&m.benchmark_note)],
            MARGIN_X,
            CONTENT_W,
            Style::new(9.5, true, layout::INK),
        ),
    }
    chart(f, charts, ChartKind::Bars, &l.bar_chart_title, CONTENT_W);
    // Without a comparison group the table's group columns would hold only dashes, and its
    // scores and levels are in the bar chart and the topics' details already.
    let with_table = m.cohort.is_some();
    // When the matrix would leave the rest of this page empty but the table fits there, the
    // table comes first.
    let (_, h) = chart_size(charts, ChartKind::Matrix);
    let matrix_h = h as f32 * CONTENT_W / charts::MATRIX_CHART_WIDTH as f32;
    let fits = |compact: bool| {
        let mut trial = Flow::trial(f.y);
        table(&mut trial, m, compact);
        trial.breaks == 0
    };
    // Tighter rows when only they make the table fit.
    let table_fits = [false, true].into_iter().find(|&compact| fits(compact));
    match table_fits {
        Some(compact) if with_table && matrix_h * 0.82 + 2.5 * H3.leading > f.room() => {
            table(f, m, compact);
            chart(f, charts, ChartKind::Matrix, &l.matrix_title, CONTENT_W);
        }
        _ => {
            chart(f, charts, ChartKind::Matrix, &l.matrix_title, CONTENT_W);
            if with_table {
                table(f, m, false);
            }
        }
    }
}

fn table(f: &mut Flow, m: &ReportModel, compact: bool) {
    let l = &m.labels;
    let widths = [0.33, 0.1, 0.22, 0.17, 0.18].map(|w| w * CONTENT_W);
    let headers = [
        &l.col_dimension,
        &l.col_score,
        &l.col_level,
        &l.col_median,
        &l.col_percentile,
    ]
    .map(|h| h.to_string());
    let na = &l.not_available;
    let rows: Vec<Vec<String>> = m
        .dimensions
        .iter()
        .map(|d| {
            let peer = d.peer.filter(|_| m.cohort.is_some());
            vec![
                d.title.clone(),
                if d.not_assessable {
                    "–".to_owned()
                } else {
                    d.score.to_string()
                },
                if d.not_assessable {
                    d.level_name.clone()
                } else {
                    format!("{} – {}", d.level, d.level_name)
                },
                peer.map_or_else(|| na.clone(), |p| p.median.to_string()),
                peer.map_or_else(
                    || na.clone(),
                    |p| match RankWording::of(p.percentile_rank) {
                        RankWording::AllLower => l.percentile_all.clone(),
                        _ => p.percentile_rank.to_string(),
                    },
                ),
            ]
        })
        .collect();
    let grid = Grid::new(&widths, &[false, true, false, true, true], &headers, &rows);
    let grid = if compact { grid.compact() } else { grid };
    // The group is named once, under the section's heading above.
    f.heading(&l.table_title, H2, grid.head_room());
    f.gap(4.0);
    grid.draw(f);
    f.gap(10.0);
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

/// The change since the previous assessment: a heading, the caption, the table, a note.
fn progress(f: &mut Flow, p: &Progress) {
    let widths = [0.34, 0.12, 0.12, 0.19, 0.23].map(|w| w * CONTENT_W);
    let grid = Grid::new(
        &widths,
        &[false, true, true, true, true],
        &p.columns,
        &p.rows,
    );
    f.heading(&p.heading, H1, 2.0 * BODY.leading + grid.head_room());
    f.para(
        &[run(&p.caption)],
        MARGIN_X,
        CONTENT_W,
        Style::new(9.5, false, layout::MUTED),
    );
    f.gap(4.0);
    grid.draw(f);
    if let Some(note) = &p.note {
        f.gap(4.0);
        f.para(
            &[run(note)],
            MARGIN_X,
            CONTENT_W,
            Style::new(9.5, false, layout::INK),
        );
    }
    f.gap(10.0);
}

fn dimensions(f: &mut Flow, m: &ReportModel) {
    let l = &m.labels;
    f.heading(&l.dimensions, H1, 200.0);
    let indent = 12.0;
    for (i, d) in m.dimensions.iter().enumerate() {
        if i > 0 {
            f.gap(10.0);
        }
        f.heading(
            &format!("{}. {}", i + 1, d.title),
            H2,
            3.0 * BODY.leading + H3.leading,
        );
        let importance = l
            .importance_levels
            .get(usize::from(d.importance.clamp(1, 4)) - 1)
            .cloned()
            .unwrap_or_default();
        let mut line = if d.not_assessable {
            // No points or level to name: only why.
            d.level_name.clone()
        } else {
            fill(
                &l.dimension_score_line,
                &[
                    ("score", &d.score.to_string()),
                    ("level", &d.level.to_string()),
                    ("name", &d.level_name),
                    ("importance", &importance),
                ],
            )
        };
        if let (Some(p), Some(_)) = (d.peer, &m.cohort) {
            line.push_str(&format!(" · {}: {}", l.col_median, p.median));
        }
        f.text(&line, Style::new(9.5, false, layout::MUTED));
        f.gap(4.0);
        f.heading(&l.asked, H3, 2.0 * BODY.leading);
        for a in &d.answers {
            let w = CONTENT_W - indent;
            let q_style = Style::new(9.5, false, layout::MUTED);
            let q_h = layout::height_of(&[run(&a.question)], w, q_style);
            let a_h = layout::height_of(&[run(&a.answer)], w, BODY).min(2.0 * BODY.leading);
            f.ensure(q_h + a_h);
            f.para(
                &[run(&a.question)],
                MARGIN_X + indent,
                CONTENT_W - indent,
                Style::new(9.5, false, layout::MUTED),
            );
            // The answer with a hanging arrow.
            let arrow_w = layout::width("→ ", BODY.size, true);
            let lines = layout::wrap_runs(&[run(&a.answer)], BODY.size, w - arrow_w);
            f.ensure(BODY.leading * lines.len().min(2) as f32);
            let baseline = f.y + BODY.size * 0.93 + (BODY.leading - BODY.size * 1.17) / 2.0;
            f.push_artifact(Item::Text {
                x: MARGIN_X + indent,
                y: baseline,
                size: BODY.size,
                bold: true,
                color: layout::BLUE,
                text: "→".into(),
            });
            f.within(Role::P, |f| {
                f.lines(lines, MARGIN_X + indent + arrow_w, BODY, 2);
            });
            f.gap(3.0);
        }
        f.heading(&l.why, H3, 2.0 * BODY.leading);
        f.text(&d.why, BODY);
        f.para(
            &[run(&format!("{}: {}", l.source, d.why_source))],
            MARGIN_X,
            CONTENT_W,
            SMALL,
        );
        // A step that is in the action plan is said there once, not here again.
        if !d.what_to_do.is_empty() && !m.actions.iter().any(|a| a.text == d.what_to_do) {
            f.heading(&l.what_to_do, H3, 2.0 * BODY.leading);
            f.text(&d.what_to_do, BODY);
        }
    }
}

/// The most steps the action plan lists: a firm with many weak answers (2027.1 gives every
/// weak answer its own step) would otherwise get pages of them; the first ones matter most, and
/// the result page keeps the whole list.
const ACTION_PLAN_MAX: usize = 12;

fn actions(f: &mut Flow, m: &ReportModel) {
    let l = &m.labels;
    f.heading(&l.actions, H1, 100.0);
    action_list(f, m, ACTION_PLAN_MAX, true);
    let more = m.actions.len().saturating_sub(ACTION_PLAN_MAX);
    if more > 0 && !l.actions_more.is_empty() {
        f.gap(4.0);
        f.para(
            &[run(&l.actions_more.replace("{count}", &more.to_string()))],
            MARGIN_X,
            CONTENT_W,
            BODY,
        );
    }
}

/// The first `limit` actions as a numbered list, with their topic and source if `details`.
fn action_list(f: &mut Flow, m: &ReportModel, limit: usize, details: bool) {
    let l = &m.labels;
    let num_w = 24.0;
    f.open(Role::L);
    for (i, a) in m.actions.iter().take(limit).enumerate() {
        let marker = format!("{}: ", l.red_flag_marker);
        let mut runs = Vec::new();
        if a.red_flag {
            runs.push(layout::Run {
                text: &marker,
                bold: true,
                color: Some(layout::FLAG),
            });
        }
        runs.push(run(&a.text));
        let lines = layout::wrap_runs(&runs, BODY.size, CONTENT_W - num_w);
        f.ensure(BODY.leading * lines.len().min(3) as f32 + SMALL.leading);
        let top = f.y;
        let num = format!("{}.", i + 1);
        f.open(Role::LI);
        f.open(Role::Lbl);
        f.push(Item::Text {
            x: MARGIN_X,
            y: top + BODY.size * 0.93 + (BODY.leading - BODY.size * 1.17) / 2.0,
            size: BODY.size,
            bold: true,
            color: layout::BLUE,
            text: num,
        });
        f.close();
        f.open(Role::LBody);
        f.lines(lines, MARGIN_X + num_w, BODY, 3);
        if details {
            f.paragraph(
                &[run(&format!(
                    "{}: {} · {}: {}",
                    l.dimension, a.dimension, l.source, a.source
                ))],
                MARGIN_X + num_w,
                CONTENT_W - num_w,
                SMALL,
            );
        }
        f.close();
        f.close();
        f.gap(7.0);
    }
    f.close();
}

fn methodology(f: &mut Flow, m: &ReportModel) {
    let l = &m.labels;
    f.heading(&l.methodology, H1, 60.0);
    for p in &m.methodology {
        f.text(p, BODY);
        f.gap(6.0);
    }
    f.gap(4.0);
    let mut facts = Vec::new();
    match &m.cohort {
        Some(c) => {
            facts.push(cohort_line(m).unwrap_or_default());
            facts.push(fill(&l.cohort_size, &[("n", &c.n.to_string())]));
        }
        None => facts.push(m.benchmark_note.clone()),
    }
    facts.push(fill(
        &l.privacy_threshold,
        &[("k", &m.privacy_threshold.to_string())],
    ));
    if let Some(date) = &m.benchmark_date {
        facts.push(fill(&l.benchmark_date, &[("date", date)]));
    }
    f.open(Role::L);
    for fact in facts {
        f.within(Role::LI, |f| {
            f.within(Role::LBody, |f| {
                f.paragraph(&[bold("• "), run(&fact)], MARGIN_X, CONTENT_W, BODY);
            });
        });
    }
    f.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How far down the content area a page is filled (0–1).
    fn fill(page: &[Item], charts: &Charts) -> f32 {
        let bottom = page
            .iter()
            .map(|item| match item {
                Item::Text { y, .. } => *y,
                Item::Rect { y, h, .. } => y + h,
                Item::Line { y1, y2, .. } => y1.max(*y2),
                Item::Chart { kind, y, scale, .. } => {
                    y + chart_size(charts, *kind).1 as f32 * scale
                }
            })
            .fold(layout::CONTENT_TOP, f32::max);
        (bottom - layout::CONTENT_TOP) / (CONTENT_BOTTOM - layout::CONTENT_TOP)
    }

    #[test]
    fn reports_run_to_six_to_nine_well_filled_pages() -> Result<(), String> {
        for name in [
            "best_de", "best_en", "worst_de", "worst_en", "mixed_de", "mixed_en",
        ] {
            let model = load(name)?;
            let charts = prepare_charts(&model);
            let flow = lay_out(&model, &charts);
            let n = flow.pages.len();
            assert!((6..=9).contains(&n), "{name}: {n} pages");
            // The cover and the last page may be short; every other page is two-thirds full.
            let fills: Vec<String> = flow
                .pages
                .iter()
                .map(|p| format!("{:.2}", fill(p, &charts)))
                .collect();
            eprintln!("{name}: {n} pages, filled {}", fills.join(" "));
            for (i, page) in flow
                .pages
                .iter()
                .enumerate()
                .skip(1)
                .take(n.saturating_sub(2))
            {
                let filled = fill(page, &charts);
                assert!(
                    filled >= 2.0 / 3.0,
                    "{name}: page {} is {filled:.2} full",
                    i + 1
                );
            }
        }
        Ok(())
    }

    #[test]
    fn chart_text_prints_at_least_8_pt() -> Result<(), String> {
        for name in [
            "best_de", "best_en", "worst_de", "worst_en", "mixed_de", "mixed_en",
        ] {
            let model = load(name)?;
            let charts = prepare_charts(&model);
            let flow = lay_out(&model, &charts);
            let items: Vec<Item> = flow.pages.concat();
            let kinds: Vec<ChartKind> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Chart { kind, .. } => Some(*kind),
                    _ => None,
                })
                .collect();
            assert!(
                kinds.contains(&ChartKind::Radar) && kinds.contains(&ChartKind::Bars),
                "{name}: the radar and the bars are in the report"
            );
            for item in items.iter().filter(|i| matches!(i, Item::Chart { .. })) {
                let Item::Chart { kind, x, scale, .. } = item else {
                    continue;
                };
                let right = x + chart_size(&charts, *kind).0 as f32 * scale;
                let texts = chart_texts(std::slice::from_ref(item), &charts);
                let smallest = texts.iter().map(|t| t.size).fold(f32::INFINITY, f32::min);
                eprintln!(
                    "{name} {kind:?}: {} texts, smallest {smallest:.2} pt",
                    texts.len()
                );
                assert!(!texts.is_empty(), "{name} {kind:?}: the chart has text");
                assert!(
                    smallest >= backend::MIN_TEXT_PT,
                    "{name} {kind:?}: {smallest:.2} pt"
                );
                // Charts are clipped to their box: text running past it would be cut off.
                for t in &texts {
                    if let Some((l, r)) = t.span {
                        assert!(
                            l >= x - 0.5 && r <= right + 0.5,
                            "{name} {kind:?}: {:?} spans {l:.1}–{r:.1}, the chart {x:.1}–{right:.1}",
                            t.text
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn load(name: &str) -> Result<ReportModel, String> {
        let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }

    /// Text boxes (left, top, right, bottom) of a page's text items.
    fn text_boxes(page: &[Item]) -> Vec<(f32, f32, f32, f32, &str)> {
        page.iter()
            .filter_map(|item| match item {
                Item::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                    ..
                } => Some((
                    *x,
                    y - size * 0.75,
                    x + layout::width(text, *size, *bold),
                    y + size * 0.2,
                    text.as_str(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn no_text_overlaps_other_text_and_sections_share_pages() -> Result<(), String> {
        for name in [
            "best_de", "best_en", "worst_de", "worst_en", "mixed_de", "mixed_en",
        ] {
            let model = load(name)?;
            let charts = prepare_charts(&model);
            let flow = lay_out(&model, &charts);
            for (p, page) in flow.pages.iter().enumerate() {
                let boxes = text_boxes(page);
                for (i, a) in boxes.iter().enumerate() {
                    for b in &boxes[i + 1..] {
                        let overlap = a.0 < b.2 - 0.5
                            && b.0 < a.2 - 0.5
                            && a.1 < b.3 - 0.5
                            && b.1 < a.3 - 0.5;
                        if overlap {
                            return Err(format!(
                                "{name}, page {}: {:?} overlaps {:?}",
                                p + 1,
                                a.4,
                                b.4
                            ));
                        }
                    }
                }
            }
        }
        // The short action plan of the best case follows the last topic on its page.
        let model = load("best_de")?;
        let flow = lay_out(&model, &prepare_charts(&model));
        let page_of = |heading: &str| {
            flow.pages.iter().position(|page| {
                page.iter()
                    .any(|item| matches!(item, Item::Text { text, .. } if text == heading))
            })
        };
        let n = model.dimensions.len();
        let last = model
            .dimensions
            .last()
            .map(|d| format!("{n}. {}", d.title))
            .unwrap_or_default();
        // The action plan follows the last topic directly: on its page, or on the next when
        // that page is well filled (`reports_run_to_six_to_nine_well_filled_pages`).
        let (plan, topic) = (page_of(&model.labels.actions), page_of(&last));
        assert!(plan.is_some() && topic.is_some());
        assert!(plan == topic || plan == topic.map(|p| p + 1));
        Ok(())
    }
}
