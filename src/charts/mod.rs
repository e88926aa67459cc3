//! Charts, drawn once with plotters against any `DrawingBackend`: SVG for the pages (and, through
//! a backend that emits PDF operations, the report). Pure: data in, drawing out.
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The family named in SVG text; the PDF report embeds the same font.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// Colours chosen for ≥ 4.5:1 contrast against white; no meaning is carried by colour alone
/// (every bar has its number written beside it).
const INK: RGBColor = RGBColor(0x1a, 0x1a, 0x1a);
const FIRM: RGBColor = RGBColor(0x1f, 0x4e, 0x79);
const GRID: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
const BAND: RGBColor = RGBColor(0xd9, 0xe2, 0xec);
const BAND_EDGE: RGBColor = RGBColor(0x59, 0x59, 0x59);

/// The peer cohort's middle half and median on one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerBand {
    pub p25: u8,
    pub median: u8,
    pub p75: u8,
}

/// One row of the dimension chart.
#[derive(Debug, Clone)]
pub struct DimensionBar {
    pub label: String,
    /// 0–100.
    pub score: u8,
    pub peers: Option<PeerBand>,
}

#[derive(Debug, Clone)]
pub struct DimensionChart {
    pub bars: Vec<DimensionBar>,
    /// Label of the score axis, e.g. "Punkte (0–100)".
    pub axis_label: String,
    /// Legend texts (firm, peer band, peer median), drawn when any bar has peers.
    pub legend: Option<[String; 3]>,
}

pub const BAR_CHART_WIDTH: u32 = 720;
const ROW_HEIGHT: u32 = 38;
const LEGEND_HEIGHT: u32 = 30;
const LABEL_WIDTH: i32 = 250;
const BAR_LEFT: i32 = LABEL_WIDTH + 10;
const BAR_RIGHT: i32 = BAR_CHART_WIDTH as i32 - 50;

impl DimensionChart {
    fn top(&self) -> u32 {
        44 + if self.legend.is_some() {
            LEGEND_HEIGHT
        } else {
            0
        }
    }

    pub fn height(&self) -> u32 {
        self.top() + ROW_HEIGHT * u32::try_from(self.bars.len()).unwrap_or(0) + 12
    }
}

fn x_for(score: u8) -> i32 {
    BAR_LEFT + (BAR_RIGHT - BAR_LEFT) * i32::from(score.min(100)) / 100
}

/// Draws horizontal bars, one per dimension, with a 0–100 grid.
pub fn draw_dimension_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &DimensionChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let height = i32::try_from(chart.height()).unwrap_or(i32::MAX);
    let top_of_rows = i32::try_from(chart.top()).unwrap_or(0);
    let small = (FONT_FAMILY, 17).into_font().color(&MUTED);
    let label_style = (FONT_FAMILY, 19)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let value_style = (FONT_FAMILY, 19)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));

    if let Some([firm, band, median]) = &chart.legend {
        let y = 4;
        let legend = small
            .clone()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&Rectangle::new([(10, y + 2), (26, y + 16)], FIRM.filled()))?;
        root.draw(&Text::new(firm.clone(), (32, y), legend.clone()))?;
        root.draw(&Rectangle::new(
            [(250, y + 2), (274, y + 16)],
            BAND.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(250, y + 2), (274, y + 16)],
            BAND_EDGE.stroke_width(1),
        ))?;
        root.draw(&Text::new(band.clone(), (280, y), legend.clone()))?;
        root.draw(&PathElement::new(
            vec![(560, y), (560, y + 18)],
            INK.stroke_width(3),
        ))?;
        root.draw(&Text::new(median.clone(), (568, y), legend))?;
    }
    root.draw(&Text::new(
        chart.axis_label.clone(),
        (BAR_LEFT, top_of_rows - 40),
        small.clone().pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    for tick in (0..=100u8).step_by(20) {
        let x = x_for(tick);
        root.draw(&PathElement::new(
            vec![(x, top_of_rows - 4), (x, height - 10)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            tick.to_string(),
            (x, top_of_rows - 6),
            small.clone().pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    for (i, bar) in chart.bars.iter().enumerate() {
        let row = i32::try_from(i).unwrap_or(0);
        let top = top_of_rows + row * ROW_HEIGHT as i32 + 4;
        let bottom = top + ROW_HEIGHT as i32 - 8;
        let middle = (top + bottom) / 2;
        root.draw(&Text::new(
            bar.label.clone(),
            (LABEL_WIDTH, middle),
            label_style.clone(),
        ))?;
        // The peers' middle half behind the firm's bar, the median as a heavy line across it.
        let (bar_top, bar_bottom) = match bar.peers {
            Some(peers) => {
                let (left, right) = (x_for(peers.p25), x_for(peers.p75).max(x_for(peers.p25) + 2));
                root.draw(&Rectangle::new(
                    [(left, top), (right, bottom)],
                    BAND.filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(left, top), (right, bottom)],
                    BAND_EDGE.stroke_width(1),
                ))?;
                (top + 7, bottom - 7)
            }
            None => (top + 2, bottom - 2),
        };
        let right = x_for(bar.score).max(BAR_LEFT + 2);
        root.draw(&Rectangle::new(
            [(BAR_LEFT, bar_top), (right, bar_bottom)],
            FIRM.filled(),
        ))?;
        if let Some(peers) = bar.peers {
            let x = x_for(peers.median);
            root.draw(&PathElement::new(
                vec![(x, top - 2), (x, bottom + 2)],
                INK.stroke_width(3),
            ))?;
        }
        let value_x = bar.peers.map_or(right, |p| right.max(x_for(p.p75))) + 8;
        root.draw(&Text::new(
            bar.score.to_string(),
            (value_x, middle),
            value_style.clone(),
        ))?;
    }
    root.present()
}

/// The chart as an inline SVG element with a text alternative reference.
///
/// `title` becomes the SVG's accessible name; the page also shows the same numbers as a table.
pub fn dimension_chart_svg(chart: &DimensionChart, title: &str, id: &str) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (BAR_CHART_WIDTH, chart.height()));
        let root = backend.into_drawing_area();
        // The SVG backend writes into a String and cannot fail; a failure would leave a partial
        // drawing, which is still better than nothing on the page.
        let _ = draw_dimension_chart(&root, chart);
    }
    make_accessible(&svg, title, id)
}

/// Gives plotters' SVG an accessible name and lets it scale with the page.
fn make_accessible(svg: &str, title: &str, id: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return String::new();
    };
    let Some(end) = svg[start..].find('>').map(|e| start + e) else {
        return String::new();
    };
    let head = &svg[start..end];
    let view_box = extract(head, "viewBox").unwrap_or_default();
    let title = escape(title);
    let id = escape(id);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" class="chart" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>{}"#,
        &svg[end + 1..]
    )
}

fn extract(head: &str, attribute: &str) -> Option<String> {
    let marker = format!("{attribute}=\"");
    let from = head.find(&marker)? + marker.len();
    let to = head[from..].find('"')? + from;
    Some(head[from..to].to_owned())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------------
// Radar chart
// ---------------------------------------------------------------------------------------------

const PEER_P75: RGBColor = RGBColor(0x59, 0x59, 0x59);
const FIRM_FILL: RGBColor = RGBColor(0xc8, 0xd6, 0xe5);

/// One spoke of the radar chart.
#[derive(Debug, Clone)]
pub struct RadarAxis {
    pub label: String,
    /// The firm's score, 0–100.
    pub score: u8,
    pub peers: Option<PeerBand>,
}

#[derive(Debug, Clone)]
pub struct RadarChart {
    pub axes: Vec<RadarAxis>,
    /// Legend texts (firm, peer median, peer p75); the peer entries are drawn only when some
    /// axis has peers.
    pub legend: [String; 3],
}

pub const RADAR_CHART_WIDTH: u32 = 720;
pub const RADAR_CHART_HEIGHT: u32 = 540;
const RADAR_CX: f64 = 360.0;
const RADAR_CY: f64 = 290.0;
const RADAR_R: f64 = 165.0;
/// Labels longer than this are split in two lines at the space nearest their middle.
const RADAR_LABEL_BREAK: usize = 16;

impl RadarChart {
    fn has_peers(&self) -> bool {
        self.axes.iter().any(|a| a.peers.is_some())
    }
}

fn spoke(i: usize, n: usize, value: f64) -> (i32, i32) {
    let angle = std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    let r = RADAR_R * value.clamp(0.0, 100.0) / 100.0;
    (
        (RADAR_CX + r * angle.sin()).round() as i32,
        (RADAR_CY - r * angle.cos()).round() as i32,
    )
}

/// Splits a label into at most two lines at the space nearest its middle.
fn split_label(label: &str, limit: usize) -> Vec<String> {
    let count = label.chars().count();
    if count <= limit {
        return vec![label.to_owned()];
    }
    let middle = label.len() / 2;
    let best = label
        .char_indices()
        .filter(|(_, c)| *c == ' ')
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(middle));
    match best {
        Some(i) => vec![label[..i].to_owned(), label[i + 1..].to_owned()],
        None => vec![label.to_owned()],
    }
}

fn legend_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    y: i32,
    kind: usize,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match kind {
        0 => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                FIRM.stroke_width(3),
            ))?;
            root.draw(&Circle::new((x + 14, y), 5, FIRM.filled()))?;
        }
        1 => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                INK.stroke_width(2),
            ))?;
            root.draw(&Rectangle::new(
                [(x + 10, y - 4), (x + 18, y + 4)],
                INK.filled(),
            ))?;
        }
        _ => {
            root.draw(&DashedPathElement::new(
                vec![(x, y), (x + 28, y)],
                6,
                4,
                PEER_P75.stroke_width(2),
            ))?;
        }
    }
    Ok(())
}

/// Draws a radar (spider) chart: one spoke per axis, 0 in the centre and 100 at the rim; the firm
/// as a filled polygon with round markers, the peer median as a black line with square markers,
/// the peer p75 as a dashed grey line. Without peer data only the firm is drawn.
pub fn draw_radar_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &RadarChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = chart.axes.len();
    let small = (FONT_FAMILY, 15).into_font().color(&MUTED);
    let legend_style = (FONT_FAMILY, 17)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));

    // Legend across the top, drawn by hand so that its layout is the same in SVG and PDF.
    let peers = chart.has_peers();
    let entries = if peers { 3 } else { 1 };
    // One entry per line in the top-left corner, clear of the top spoke's label.
    for (k, text) in chart.legend.iter().take(entries).enumerate() {
        let y = 14 + 24 * i32::try_from(k).unwrap_or(0);
        legend_marker(root, 6, y, k)?;
        root.draw(&Text::new(text.clone(), (42, y), legend_style.clone()))?;
    }
    if n < 3 {
        return root.present();
    }

    // Grid: rings every 20 points, spokes, ring values on the first spoke.
    for ring in (20..=100u8).step_by(20) {
        let mut points: Vec<(i32, i32)> = (0..n).map(|i| spoke(i, n, f64::from(ring))).collect();
        points.push(points[0]);
        root.draw(&PathElement::new(points, GRID.stroke_width(1)))?;
        let (x, y) = spoke(0, n, f64::from(ring));
        root.draw(&Text::new(
            ring.to_string(),
            (x + 4, y + 2),
            small.clone().pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    for i in 0..n {
        root.draw(&PathElement::new(
            vec![spoke(i, n, 0.0), spoke(i, n, 100.0)],
            GRID.stroke_width(1),
        ))?;
    }

    // Series: firm first (filled, underneath), then the peers' lines on top.
    let firm: Vec<(i32, i32)> = chart
        .axes
        .iter()
        .enumerate()
        .map(|(i, a)| spoke(i, n, f64::from(a.score)))
        .collect();
    root.draw(&Polygon::new(firm.clone(), FIRM_FILL.filled()))?;
    let mut closed = firm.clone();
    closed.push(firm[0]);
    root.draw(&PathElement::new(closed, FIRM.stroke_width(3)))?;
    if peers {
        let series = |f: fn(&PeerBand) -> u8| -> Vec<(i32, i32)> {
            let mut v: Vec<(i32, i32)> = chart
                .axes
                .iter()
                .enumerate()
                .map(|(i, a)| spoke(i, n, a.peers.as_ref().map_or(0.0, |p| f64::from(f(p)))))
                .collect();
            if let Some(first) = v.first().copied() {
                v.push(first);
            }
            v
        };
        root.draw(&DashedPathElement::new(
            series(|p| p.p75),
            8,
            5,
            PEER_P75.stroke_width(2),
        ))?;
        let median = series(|p| p.median);
        root.draw(&PathElement::new(median.clone(), INK.stroke_width(2)))?;
        for (x, y) in median.iter().take(n) {
            root.draw(&Rectangle::new(
                [(x - 4, y - 4), (x + 4, y + 4)],
                INK.filled(),
            ))?;
        }
    }
    for &(x, y) in &firm {
        root.draw(&Circle::new((x, y), 5, FIRM.filled()))?;
    }

    // Labels outside the rim, anchored away from the centre, with the firm's score.
    for (i, axis) in chart.axes.iter().enumerate() {
        let (x, y) = spoke(i, n, 100.0 * (RADAR_R + 16.0) / RADAR_R);
        let dx = x - RADAR_CX as i32;
        let dy = y - RADAR_CY as i32;
        let h = if dx.abs() < 12 {
            HPos::Center
        } else if dx > 0 {
            HPos::Left
        } else {
            HPos::Right
        };
        let mut lines = split_label(&axis.label, RADAR_LABEL_BREAK);
        lines.push(format!("({})", axis.score));
        let line_height = 23;
        let total = line_height * i32::try_from(lines.len()).unwrap_or(1);
        let first_top = if dy < -RADAR_R as i32 / 2 {
            y - total
        } else if dy > RADAR_R as i32 / 2 {
            y
        } else {
            y - total / 2
        };
        for (k, line) in lines.into_iter().enumerate() {
            let top = first_top + line_height * i32::try_from(k).unwrap_or(0);
            let style = (FONT_FAMILY, 20)
                .into_font()
                .color(&INK)
                .pos(Pos::new(h, VPos::Top));
            root.draw(&Text::new(line, (x, top), style))?;
        }
    }
    root.present()
}

/// The radar chart as an inline SVG element with an accessible name.
pub fn radar_chart_svg(chart: &RadarChart, title: &str, id: &str) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (RADAR_CHART_WIDTH, RADAR_CHART_HEIGHT));
        let root = backend.into_drawing_area();
        let _ = draw_radar_chart(&root, chart);
    }
    make_accessible(&svg, title, id)
}

// ---------------------------------------------------------------------------------------------
// Priority matrix
// ---------------------------------------------------------------------------------------------

/// One dimension in the priority matrix.
#[derive(Debug, Clone)]
pub struct MatrixPoint {
    pub label: String,
    /// 0–100.
    pub score: u8,
    /// 1 (low) – 4 (critical).
    pub importance: u8,
}

#[derive(Debug, Clone)]
pub struct PriorityMatrix {
    pub points: Vec<MatrixPoint>,
    /// Label of the x axis, e.g. "Punkte (0–100)".
    pub score_axis: String,
    /// Label of the y axis, e.g. "Bedeutung".
    pub importance_axis: String,
    /// Names of importance 1–4, written at the y ticks.
    pub importance_levels: [String; 4],
    /// Quadrant captions: top left (important, weak), top right (important, strong),
    /// bottom left (less important, weak), bottom right (less important, strong).
    pub quadrants: [String; 4],
}

pub const MATRIX_CHART_WIDTH: u32 = 720;
pub const MATRIX_CHART_HEIGHT: u32 = 470;
const M_LEFT: i32 = 96;
const M_RIGHT: i32 = 470;
const M_TOP: i32 = 30;
const M_BOTTOM: i32 = 400;
/// Left edge of the key (number → dimension) beside the plot.
const KEY_LEFT: i32 = 492;
/// Key entries longer than this are split in two lines.
const KEY_LABEL_BREAK: usize = 20;

/// Inset of 0 and 100 from the frame, so that points at the ends stay inside it.
const M_PAD: i32 = 14;

fn matrix_x(score: u8) -> i32 {
    M_LEFT + M_PAD + (M_RIGHT - M_LEFT - 2 * M_PAD) * i32::from(score.min(100)) / 100
}

fn matrix_y(importance: f64) -> i32 {
    // Importance 0.5 … 4.5 spans the plot from bottom to top.
    let t = (importance.clamp(0.5, 4.5) - 0.5) / 4.0;
    (f64::from(M_BOTTOM) - t * f64::from(M_BOTTOM - M_TOP)).round() as i32
}

/// Draws importance (1–4, up) against score (0–100, right): one numbered point per dimension
/// with a key beside the plot (number, name, score), quadrant lines at 50 points and between
/// importance 2 and 3, and the quadrant captions.
pub fn draw_priority_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PriorityMatrix,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let small = (FONT_FAMILY, 15).into_font().color(&MUTED);
    let caption = (FONT_FAMILY, 15).into_font().color(&MUTED);
    // The "act first" quadrant gets the light band colour (its caption says the same).
    root.draw(&Rectangle::new(
        [(M_LEFT, M_TOP), (matrix_x(50), matrix_y(2.5))],
        BAND.filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(M_LEFT, M_TOP), (M_RIGHT, M_BOTTOM)],
        GRID.stroke_width(1),
    ))?;
    for tick in (0..=100u8).step_by(20) {
        let x = matrix_x(tick);
        root.draw(&PathElement::new(
            vec![(x, M_BOTTOM), (x, M_BOTTOM + 5)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            tick.to_string(),
            (x, M_BOTTOM + 8),
            small.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    root.draw(&Text::new(
        chart.score_axis.clone(),
        ((M_LEFT + M_RIGHT) / 2, M_BOTTOM + 34),
        small.clone().pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    for (k, name) in chart.importance_levels.iter().enumerate() {
        let y = matrix_y(k as f64 + 1.0);
        root.draw(&PathElement::new(
            vec![(M_LEFT - 5, y), (M_LEFT, y)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            name.clone(),
            (M_LEFT - 8, y),
            small.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    root.draw(&Text::new(
        chart.importance_axis.clone(),
        (M_LEFT - 8, M_TOP - 6),
        small.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))?;
    let mid_x = matrix_x(50);
    let mid_y = matrix_y(2.5);
    root.draw(&PathElement::new(
        vec![(mid_x, M_TOP), (mid_x, M_BOTTOM)],
        MUTED.stroke_width(2),
    ))?;
    root.draw(&PathElement::new(
        vec![(M_LEFT, mid_y), (M_RIGHT, mid_y)],
        MUTED.stroke_width(2),
    ))?;
    let corners = [
        (M_LEFT + 8, M_TOP + 6, HPos::Left, VPos::Top),
        (M_RIGHT - 8, M_TOP + 6, HPos::Right, VPos::Top),
        (M_LEFT + 8, M_BOTTOM - 6, HPos::Left, VPos::Bottom),
        (M_RIGHT - 8, M_BOTTOM - 6, HPos::Right, VPos::Bottom),
    ];
    for (text, (x, y, h, v)) in chart.quadrants.iter().zip(corners) {
        root.draw(&Text::new(
            text.clone(),
            (x, y),
            caption.clone().pos(Pos::new(h, v)),
        ))?;
    }

    // Points, numbered in the order given; points that would cover each other are nudged
    // apart vertically (within their importance row).
    let radius: i32 = 10;
    let mut placed: Vec<(i32, i32)> = Vec::with_capacity(chart.points.len());
    for (i, p) in chart.points.iter().enumerate() {
        let x = matrix_x(p.score);
        let base = matrix_y(f64::from(p.importance.clamp(1, 4)));
        let mut y = base;
        let mut step: i32 = 1;
        while placed
            .iter()
            .any(|&(px, py)| (px - x).abs() < 2 * radius + 2 && (py - y).abs() < 2 * radius + 2)
            && step < 16
        {
            let offset = (2 * radius + 3) * ((step + 1) / 2);
            y = if step % 2 == 1 {
                base - offset
            } else {
                base + offset
            };
            step += 1;
        }
        placed.push((x, y));
        root.draw(&Circle::new((x, y), radius.unsigned_abs(), FIRM.filled()))?;
        root.draw(&Text::new(
            (i + 1).to_string(),
            (x, y),
            (FONT_FAMILY, 15)
                .into_font()
                .color(&WHITE)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    // The key.
    let key_style = (FONT_FAMILY, 16)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let row = ((M_BOTTOM - M_TOP) / i32::try_from(chart.points.len().max(9)).unwrap_or(9)).min(40);
    for (i, p) in chart.points.iter().enumerate() {
        let y = M_TOP + row / 2 + row * i32::try_from(i).unwrap_or(0);
        root.draw(&Circle::new((KEY_LEFT + 10, y), 10, FIRM.filled()))?;
        root.draw(&Text::new(
            (i + 1).to_string(),
            (KEY_LEFT + 10, y),
            (FONT_FAMILY, 14)
                .into_font()
                .color(&WHITE)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        // Long names take two lines, the score after the last.
        let mut lines = split_label(&p.label, KEY_LABEL_BREAK);
        if let Some(last) = lines.last_mut() {
            last.push_str(&format!(" ({})", p.score));
        }
        let count = i32::try_from(lines.len()).unwrap_or(1);
        for (k, line) in lines.into_iter().enumerate() {
            let dy = (2 * i32::try_from(k).unwrap_or(0) - (count - 1)) * 9;
            root.draw(&Text::new(line, (KEY_LEFT + 28, y + dy), key_style.clone()))?;
        }
    }
    root.present()
}

/// The priority matrix as an inline SVG element with an accessible name.
pub fn priority_matrix_svg(chart: &PriorityMatrix, title: &str, id: &str) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (MATRIX_CHART_WIDTH, MATRIX_CHART_HEIGHT));
        let root = backend.into_drawing_area();
        let _ = draw_priority_matrix(&root, chart);
    }
    make_accessible(&svg, title, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> DimensionChart {
        DimensionChart {
            axis_label: "Punkte".into(),
            legend: Some(["Sie".into(), "Mitte".into(), "Median".into()]),
            bars: vec![
                DimensionBar {
                    label: "Strategie & Ziele".into(),
                    score: 80,
                    peers: Some(PeerBand {
                        p25: 30,
                        median: 45,
                        p75: 60,
                    }),
                },
                DimensionBar {
                    label: "<script>".into(),
                    score: 0,
                    peers: None,
                },
            ],
        }
    }

    #[test]
    fn the_svg_names_itself_and_escapes_labels() {
        let svg = dimension_chart_svg(&chart(), "Ihre Werte", "dims");
        assert!(svg.starts_with("<svg xmlns"), "{svg}");
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"dims-title\">Ihre Werte</title>"));
        assert!(svg.contains("Strategie &amp; Ziele"));
        assert!(!svg.contains("<script>"));
        assert!(
            svg.contains(">\n80\n<") || svg.contains(">80<"),
            "the value is written, not only drawn: {svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn bars_are_proportional_to_scores() {
        assert_eq!(x_for(0), BAR_LEFT);
        assert_eq!(x_for(100), BAR_RIGHT);
        assert_eq!(x_for(50), BAR_LEFT + (BAR_RIGHT - BAR_LEFT) / 2);
    }

    #[test]
    fn matrix_points_with_equal_values_do_not_cover_each_other() {
        let matrix = PriorityMatrix {
            points: (0..9)
                .map(|i| MatrixPoint {
                    label: format!("Thema {i}"),
                    score: 50 + (i % 2),
                    importance: 3,
                })
                .collect(),
            score_axis: "Punkte".into(),
            importance_axis: "Wichtigkeit".into(),
            importance_levels: ["1".into(), "2".into(), "3".into(), "4".into()],
            quadrants: ["a".into(), "b".into(), "c".into(), "d".into()],
        };
        let svg = priority_matrix_svg(&matrix, "Matrix", "m");
        let attr = |tag: &str, name: &str| -> Option<f64> {
            let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            tag[start..].split('"').next()?.parse().ok()
        };
        let discs: Vec<(f64, f64, f64)> = svg
            .split("<circle")
            .skip(1)
            .filter_map(|tag| Some((attr(tag, "cx")?, attr(tag, "cy")?, attr(tag, "r")?)))
            .filter(|(_, _, r)| *r >= 9.0)
            // The points come first; the key's discs follow.
            .take(9)
            .collect();
        assert_eq!(discs.len(), 9, "{svg}");
        for (i, a) in discs.iter().enumerate() {
            for b in &discs[i + 1..] {
                let apart = (a.0 - b.0).abs().max((a.1 - b.1).abs());
                assert!(apart >= a.2 + b.2, "discs at {a:?} and {b:?} overlap");
            }
        }
    }
}
