//! Charts, drawn once with plotters against any `DrawingBackend`: SVG for the pages (and, through
//! a backend that emits PDF operations, the report). Pure: data in, drawing out.
pub mod cache;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerBand {
    pub p25: u8,
    pub median: u8,
    pub p75: u8,
}

/// One row of the dimension chart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DimensionBar {
    pub label: String,
    /// 0–100.
    pub score: u8,
    pub peers: Option<PeerBand>,
    /// A dimension that is not assessable (more than half "Weiß nicht"): no bar and no number,
    /// but this text in its place, so the gap is labelled, not empty.
    pub gap: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DimensionChart {
    pub bars: Vec<DimensionBar>,
    /// Label of the score axis, e.g. "Punkte (0–100)".
    pub axis_label: String,
    /// Legend texts (firm, peer band, peer median), drawn when any bar has peers.
    pub legend: Option<[String; 3]>,
}

pub const BAR_CHART_WIDTH: u32 = 720;

/// Geometry of the bar chart: `WIDE` (labels left of the bars) for the report and wide screens,
/// `NARROW` (each label above its bar, in a narrower view box) for phones, where the wide chart
/// would scale its text below a readable size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BarLayout {
    pub width: u32,
    /// Labels on their own line above the bars.
    stacked: bool,
    row_height: i32,
    label_width: i32,
    bar_left: i32,
    bar_right: i32,
    /// Legend entries one per line instead of side by side.
    legend_lines: i32,
    small_font: u32,
    label_font: u32,
}

impl BarLayout {
    pub const WIDE: BarLayout = BarLayout {
        width: BAR_CHART_WIDTH,
        stacked: false,
        row_height: 38,
        label_width: 250,
        bar_left: 260,
        bar_right: BAR_CHART_WIDTH as i32 - 50,
        legend_lines: 1,
        small_font: 17,
        label_font: 19,
    };
    pub const NARROW: BarLayout = BarLayout {
        width: 400,
        stacked: true,
        row_height: 66,
        label_width: 0,
        bar_left: 12,
        bar_right: 400 - 50,
        legend_lines: 3,
        small_font: 17,
        label_font: 20,
    };

    fn x_for(&self, score: u8) -> i32 {
        self.bar_left + (self.bar_right - self.bar_left) * i32::from(score.min(100)) / 100
    }

    /// Vertical room of the label line above the bars (stacked layout only).
    fn label_line(&self) -> i32 {
        if self.stacked { 28 } else { 0 }
    }
}

/// Height of one legend line.
const LEGEND_LINE: u32 = 26;

impl DimensionChart {
    fn top(&self, layout: &BarLayout) -> u32 {
        44 + if self.legend.is_some() {
            LEGEND_LINE * layout.legend_lines.unsigned_abs() + 4
        } else {
            0
        }
    }

    /// Height of the wide chart, in its own pixels.
    pub fn height(&self) -> u32 {
        self.height_for(&BarLayout::WIDE)
    }

    pub fn height_for(&self, layout: &BarLayout) -> u32 {
        self.top(layout)
            + layout.row_height.unsigned_abs() * u32::try_from(self.bars.len()).unwrap_or(0)
            + 12
    }
}

#[cfg(test)]
fn x_for(score: u8) -> i32 {
    BarLayout::WIDE.x_for(score)
}

/// Draws horizontal bars, one per dimension, with a 0–100 grid (the wide layout).
pub fn draw_dimension_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &DimensionChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    draw_dimension_chart_as(root, chart, &BarLayout::WIDE)
}

/// Each row holds two lanes: the firm's bar above, the peers' middle half (with the median as a
/// heavy line) below it, so that the peer band never covers the firm's bar.
pub fn draw_dimension_chart_as<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &DimensionChart,
    layout: &BarLayout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let l = layout;
    let height = i32::try_from(chart.height_for(l)).unwrap_or(i32::MAX);
    let top_of_rows = i32::try_from(chart.top(l)).unwrap_or(0);
    let small = (FONT_FAMILY, l.small_font).into_font().color(&MUTED);
    let label_style = (FONT_FAMILY, l.label_font)
        .into_font()
        .color(&INK)
        .pos(if l.stacked {
            Pos::new(HPos::Left, VPos::Bottom)
        } else {
            Pos::new(HPos::Right, VPos::Center)
        });
    let value_style = (FONT_FAMILY, l.label_font)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));

    if let Some(texts) = &chart.legend {
        let legend = small
            .clone()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        // Side by side in the wide layout, one per line in the narrow one.
        let slots: [(i32, i32); 3] = if l.legend_lines == 1 {
            [(10, 4), (250, 4), (560, 4)]
        } else {
            let line = LEGEND_LINE as i32;
            [(10, 4), (10, 4 + line), (10, 4 + 2 * line)]
        };
        let width = i32::try_from(l.width).unwrap_or(i32::MAX);
        // Side by side, an entry keeps its slot unless its text, as the backend measures it (the
        // PDF prints small text larger than the page), would pass the edge: then it moves left,
        // not onto the entry before, and what still does not fit is shortened (the full wording
        // is in the chart's text equivalent).
        let mut next_x = 0;
        for (k, (text, (x, y))) in texts.iter().zip(slots).enumerate() {
            let x = if l.legend_lines == 1 {
                // Moved left, up to the entry before, when the text would pass the edge.
                let w = root
                    .estimate_text_size(text, &legend)
                    .map_or(0, |(w, _)| i32::try_from(w).unwrap_or(i32::MAX));
                x.min(width - 4 - 26 - w).max(next_x)
            } else {
                x
            };
            let room = width - x - 26 - 4;
            let text = fit_text(root, text, &legend, room);
            let text_w = root
                .estimate_text_size(&text, &legend)
                .map_or(0, |(w, _)| i32::try_from(w).unwrap_or(i32::MAX));
            next_x = x + 26 + text_w + 24;
            match k {
                0 => root.draw(&Rectangle::new(
                    [(x, y + 2), (x + 18, y + 16)],
                    FIRM.filled(),
                ))?,
                1 => {
                    root.draw(&Rectangle::new(
                        [(x, y + 2), (x + 18, y + 16)],
                        BAND.filled(),
                    ))?;
                    root.draw(&Rectangle::new(
                        [(x, y + 2), (x + 18, y + 16)],
                        BAND_EDGE.stroke_width(1),
                    ))?;
                }
                _ => root.draw(&PathElement::new(
                    vec![(x + 9, y), (x + 9, y + 18)],
                    INK.stroke_width(3),
                ))?,
            }
            root.draw(&Text::new(text, (x + 26, y), legend.clone()))?;
        }
    }
    // Above the tick numbers as the backend measures them (the PDF prints small text larger
    // than the page's scale), so the two never overlap.
    let tick_h = root
        .estimate_text_size("100", &small)
        .map_or(14, |(_, h)| i32::try_from(h).unwrap_or(14));
    root.draw(&Text::new(
        chart.axis_label.clone(),
        (l.bar_left, top_of_rows - 6 - tick_h - 3),
        small.clone().pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))?;
    // Stacked labels sit between the rows' bars, so there the grid is drawn per row, not
    // through the labels.
    let row_count = i32::try_from(chart.bars.len()).unwrap_or(0);
    let grid_spans: Vec<(i32, i32)> = if l.stacked {
        (0..row_count)
            .map(|row| {
                let row_top = top_of_rows + row * l.row_height;
                (row_top + l.label_line() + 2, row_top + l.row_height - 2)
            })
            .collect()
    } else {
        vec![(top_of_rows - 4, height - 10)]
    };
    for tick in (0..=100u8).step_by(20) {
        let x = l.x_for(tick);
        if l.stacked {
            root.draw(&PathElement::new(
                vec![(x, top_of_rows - 4), (x, top_of_rows)],
                GRID.stroke_width(1),
            ))?;
        }
        for &(from, to) in &grid_spans {
            root.draw(&PathElement::new(
                vec![(x, from), (x, to)],
                GRID.stroke_width(1),
            ))?;
        }
        root.draw(&Text::new(
            tick.to_string(),
            (x, top_of_rows - 6),
            small.clone().pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    for (i, bar) in chart.bars.iter().enumerate() {
        let row = i32::try_from(i).unwrap_or(0);
        let row_top = top_of_rows + row * l.row_height;
        if l.stacked {
            root.draw(&Text::new(
                bar.label.clone(),
                (l.bar_left, row_top + l.label_line() - 2),
                label_style.clone(),
            ))?;
        }
        let top = row_top + l.label_line() + 4;
        let bottom = row_top + l.row_height - 4;
        let middle = (top + bottom) / 2;
        if !l.stacked {
            // Right-aligned before the bars: a label longer than its room (the PDF raises small
            // text) is shortened with "…" rather than cut at the chart's edge; the full names
            // are in the chart's text equivalent.
            root.draw(&Text::new(
                fit_text(root, &bar.label, &label_style, l.label_width - 4),
                (l.label_width, middle),
                label_style.clone(),
            ))?;
        }
        let (firm_lane, peer_lane) = firm_and_peer_lanes(top, bottom, bar.peers.is_some());
        if let Some(gap) = &bar.gap {
            // The lane stays empty but outlined, with the reason written in it.
            root.draw(&DashedPathElement::new(
                vec![
                    (l.bar_left, firm_lane.0),
                    (l.bar_right, firm_lane.0),
                    (l.bar_right, firm_lane.1),
                    (l.bar_left, firm_lane.1),
                    (l.bar_left, firm_lane.0),
                ],
                4,
                3,
                MUTED.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                gap.clone(),
                (l.bar_left + 6, (firm_lane.0 + firm_lane.1) / 2),
                value_style.clone().color(&MUTED),
            ))?;
        }
        let right = l.x_for(bar.score).max(l.bar_left + 2);
        if bar.gap.is_none() {
            root.draw(&Rectangle::new(
                [(l.bar_left, firm_lane.0), (right, firm_lane.1)],
                FIRM.filled(),
            ))?;
        }
        if let (Some(peers), Some((band_top, band_bottom))) = (bar.peers, peer_lane) {
            let left = l.x_for(peers.p25);
            let band_right = l.x_for(peers.p75).max(left + 2);
            root.draw(&Rectangle::new(
                [(left, band_top), (band_right, band_bottom)],
                BAND.filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(left, band_top), (band_right, band_bottom)],
                BAND_EDGE.stroke_width(1),
            ))?;
            let x = l.x_for(peers.median);
            root.draw(&PathElement::new(
                vec![(x, band_top - 1), (x, band_bottom + 1)],
                INK.stroke_width(3),
            ))?;
        }
        if bar.gap.is_none() {
            let value_x = bar.peers.map_or(right, |p| right.max(l.x_for(p.p75))) + 8;
            root.draw(&Text::new(
                bar.score.to_string(),
                (value_x, middle),
                value_style.clone(),
            ))?;
        }
    }
    root.present()
}

/// `text` as it fits `room` chart pixels in `style`: whole, or cut at a character with "…".
fn fit_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    room: i32,
) -> String {
    let fits = |t: &str| {
        root.estimate_text_size(t, style)
            .is_ok_and(|(w, _)| i64::from(w) <= i64::from(room))
    };
    if fits(text) {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    for n in (1..chars.len()).rev() {
        let cut: String = chars[..n].iter().collect::<String>().trim_end().to_owned() + "…";
        if fits(&cut) {
            return cut;
        }
    }
    "…".to_owned()
}

/// The vertical extent of the firm's bar and of the peer band within a row from `top` to
/// `bottom`: with peers, the firm above and the band below with a gap between, never overlapping.
pub fn firm_and_peer_lanes(top: i32, bottom: i32, peers: bool) -> ((i32, i32), Option<(i32, i32)>) {
    if !peers {
        return ((top + 2, bottom - 2), None);
    }
    let middle = (top + bottom) / 2;
    ((top, middle - 1), Some((middle + 2, bottom)))
}

/// The chart as an inline SVG element with a text alternative reference.
///
/// `title` becomes the SVG's accessible name; the page also shows the same numbers as a table.
pub fn dimension_chart_svg(chart: &DimensionChart, title: &str, id: &str) -> String {
    dimension_chart_svg_as(chart, title, id, &BarLayout::WIDE)
}

pub fn dimension_chart_svg_as(
    chart: &DimensionChart,
    title: &str,
    id: &str,
    layout: &BarLayout,
) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (layout.width, chart.height_for(layout)));
        let root = backend.into_drawing_area();
        // The SVG backend writes into a String and cannot fail; a failure would leave a partial
        // drawing, which is still better than nothing on the page.
        let _ = draw_dimension_chart_as(&root, chart, layout);
    }
    make_accessible(&svg, title, id)
}

/// The size in CSS pixels at which SVG text of `font_units` shows when a chart with a view box
/// `view_box_width` wide is drawn `shown_width` CSS pixels wide (the text scales with the box).
pub fn shown_font_px(font_units: f64, view_box_width: f64, shown_width: f64) -> f64 {
    if view_box_width <= 0.0 {
        return 0.0;
    }
    font_units * shown_width / view_box_width
}

/// The smallest `font-size` of any text in an SVG drawn by this module (plotters writes a font
/// of size s as `font-size="s / 1.24"`, so this is the size a browser uses).
pub fn smallest_font_units(svg: &str) -> Option<f64> {
    svg.split("font-size=\"")
        .skip(1)
        .filter_map(|rest| {
            rest.split('"')
                .next()?
                .trim_end_matches("px")
                .parse::<f64>()
                .ok()
        })
        .reduce(f64::min)
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
    /// Not assessable: the firm's outline skips this spoke, whose label says why instead of a
    /// score (a gap, not a 0).
    pub gap: Option<String>,
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

    // Grid: rings every 20 points, spokes, ring values beside the first spoke where they are
    // clear of the data's outlines.
    for ring in (20..=100u8).step_by(20) {
        let mut points: Vec<(i32, i32)> = (0..n).map(|i| spoke(i, n, f64::from(ring))).collect();
        points.push(points[0]);
        root.draw(&PathElement::new(points, GRID.stroke_width(1)))?;
    }
    let measure = |t: &str| root.estimate_text_size(t, &small).unwrap_or((18, 15));
    for (text, (x, y)) in radar_scale_labels(chart, measure) {
        root.draw(&Text::new(
            text,
            (x, y),
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
        .filter(|(_, a)| a.gap.is_none())
        .map(|(i, a)| spoke(i, n, f64::from(a.score)))
        .collect();
    if let Some(&first) = firm.first() {
        root.draw(&Polygon::new(firm.clone(), FIRM_FILL.filled()))?;
        let mut closed = firm.clone();
        closed.push(first);
        root.draw(&PathElement::new(closed, FIRM.stroke_width(3)))?;
    }
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
        lines.push(match &axis.gap {
            Some(gap) => format!("({gap})"),
            None => format!("({})", axis.score),
        });
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

/// The outlines the radar draws (the firm's polygon, the peers' median and p75), closed.
fn radar_outlines(chart: &RadarChart) -> Vec<Vec<(i32, i32)>> {
    let n = chart.axes.len();
    let close = |mut v: Vec<(i32, i32)>| {
        if let Some(first) = v.first().copied() {
            v.push(first);
        }
        v
    };
    let mut outlines = vec![close(
        chart
            .axes
            .iter()
            .enumerate()
            .filter(|(_, a)| a.gap.is_none())
            .map(|(i, a)| spoke(i, n, f64::from(a.score)))
            .collect(),
    )];
    if chart.has_peers() {
        for f in [
            (|p: &PeerBand| p.median) as fn(&PeerBand) -> u8,
            |p: &PeerBand| p.p75,
        ] {
            outlines.push(close(
                chart
                    .axes
                    .iter()
                    .enumerate()
                    .map(|(i, a)| spoke(i, n, a.peers.as_ref().map_or(0.0, |p| f64::from(f(p)))))
                    .collect(),
            ));
        }
    }
    outlines
}

/// Whether a polyline passes through the box (left, top, right, bottom), its markers included.
fn touches(line: &[(i32, i32)], (l, t, r, b): (i32, i32, i32, i32)) -> bool {
    // Markers are drawn up to 5 px around each point, lines up to 3 px wide.
    let (l, t, r, b) = (l - 6, t - 6, r + 6, b + 6);
    line.windows(2).any(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        (0..=steps).any(|k| {
            let x = x0 + (x1 - x0) * k / steps;
            let y = y0 + (y1 - y0) * k / steps;
            x >= l && x <= r && y >= t && y <= b
        })
    }) || line
        .iter()
        .any(|&(x, y)| x >= l && x <= r && y >= t && y <= b)
}

/// The ring values (20 … 100) with their top-left corners: beside the first spoke, below or above
/// its ring, right or left of the spoke, wherever no outline of the data passes; a value with no
/// clear place is left out (its ring is still drawn, and the spoke labels give every score).
fn radar_scale_labels(
    chart: &RadarChart,
    measure: impl Fn(&str) -> (u32, u32),
) -> Vec<(String, (i32, i32))> {
    let n = chart.axes.len();
    let outlines = radar_outlines(chart);
    let mut placed = Vec::new();
    for ring in (20..=100u8).step_by(20) {
        let text = ring.to_string();
        let (w, h) = measure(&text);
        let (w, h) = (
            i32::try_from(w).unwrap_or(30),
            i32::try_from(h).unwrap_or(16),
        );
        let (x, y) = spoke(0, n, f64::from(ring));
        let mut candidates = vec![(x + 4, y + 2), (x - 4 - w, y + 2)];
        // Above the outer ring is the top spoke's own label.
        if ring < 100 {
            candidates.extend([(x + 4, y - 2 - h), (x - 4 - w, y - 2 - h)]);
        }
        // Further along the ring: on the middle of its sides next to the first spoke.
        for i in [1, n.saturating_sub(1)] {
            let (sx, sy) = spoke(i, n, f64::from(ring));
            candidates.push(((x + sx) / 2 - w / 2, (y + sy) / 2 - h / 2));
        }
        let clear = |&&(cx, cy): &&(i32, i32)| {
            let b = (cx, cy, cx + w, cy + h);
            outlines.iter().all(|o| !touches(o, b))
                && placed.iter().all(|(_, (px, py, pw, ph))| {
                    cx + w + 2 < *px || *px + pw + 2 < cx || cy + h + 2 < *py || *py + ph + 2 < cy
                })
        };
        if let Some(&(cx, cy)) = candidates.iter().find(clear) {
            placed.push((text, (cx, cy, w, h)));
        }
    }
    placed
        .into_iter()
        .map(|(text, (x, y, _, _))| (text, (x, y)))
        .collect()
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatrixPoint {
    pub label: String,
    /// 0–100.
    pub score: u8,
    /// 1 (low) – 4 (critical).
    pub importance: u8,
    /// False when the owner left the importance unanswered: the point is placed at the middle
    /// option but drawn as a ring, not a filled disc, so it does not look like a choice.
    pub answered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// Geometry of the priority matrix: `WIDE` with the key beside the plot (report, wide screens),
/// `NARROW` with the key below it in a narrower view box (phones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatrixLayout {
    pub width: u32,
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    /// Key beside the plot from this x, or below it when `None`.
    key_left: Option<i32>,
    /// Labels longer than this are split in two lines (y ticks, quadrant captions, key).
    break_at: usize,
    font: u32,
}

impl MatrixLayout {
    pub const WIDE: MatrixLayout = MatrixLayout {
        width: MATRIX_CHART_WIDTH,
        left: 96,
        right: 470,
        top: 30,
        bottom: 400,
        key_left: Some(492),
        break_at: 20,
        font: 15,
    };
    pub const NARROW: MatrixLayout = MatrixLayout {
        width: 400,
        left: 100,
        right: 390,
        top: 34,
        bottom: 330,
        key_left: None,
        break_at: 11,
        font: 18,
    };
    /// Key rows below the plot (narrow layout).
    const KEY_ROW: i32 = 30;
    const KEY_BELOW: i32 = 70;

    pub fn height(&self, points: usize) -> u32 {
        match self.key_left {
            Some(_) => MATRIX_CHART_HEIGHT,
            None => (self.bottom
                + Self::KEY_BELOW
                + Self::KEY_ROW * i32::try_from(points).unwrap_or(0)
                + 8)
            .unsigned_abs(),
        }
    }

    fn x(&self, score: u8) -> i32 {
        self.left + M_PAD + (self.right - self.left - 2 * M_PAD) * i32::from(score.min(100)) / 100
    }

    fn y(&self, importance: f64) -> i32 {
        // Importance 0.5 … 4.5 spans the plot from bottom to top.
        let t = (importance.clamp(0.5, 4.5) - 0.5) / 4.0;
        (f64::from(self.bottom) - t * f64::from(self.bottom - self.top)).round() as i32
    }
}

/// Inset of 0 and 100 from the frame, so that points at the ends stay inside it.
const M_PAD: i32 = 14;

/// Draws the wide matrix (see [`draw_priority_matrix_as`]).
pub fn draw_priority_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PriorityMatrix,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    draw_priority_matrix_as(root, chart, &MatrixLayout::WIDE)
}

fn numbered_disc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    number: usize,
    filled: bool,
    font: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let radius = 10u32;
    if filled {
        root.draw(&Circle::new((x, y), radius, FIRM.filled()))?;
    } else {
        root.draw(&Circle::new((x, y), radius, WHITE.filled()))?;
        root.draw(&Circle::new((x, y), radius, FIRM.stroke_width(2)))?;
    }
    root.draw(&Text::new(
        number.to_string(),
        (x, y),
        (FONT_FAMILY, font)
            .into_font()
            .color(if filled { &WHITE } else { &FIRM })
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// Draws importance (1–4, up) against score (0–100, right): one numbered point per dimension
/// (numbered in the order given, which is the action plan's) with a key (number, name, score),
/// quadrant lines at 50 points and between importance 2 and 3, and the quadrant captions.
pub fn draw_priority_matrix_as<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PriorityMatrix,
    layout: &MatrixLayout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let l = layout;
    root.fill(&WHITE)?;
    let small = (FONT_FAMILY, l.font).into_font().color(&MUTED);
    let line = i32::try_from(l.font).unwrap_or(15) + 2;
    // Writes a label in one or two lines around (x, y).
    let lines =
        |text: &str, (x, y): (i32, i32), pos: Pos| -> Vec<Text<'static, (i32, i32), String>> {
            let parts = split_label(text, l.break_at);
            let count = i32::try_from(parts.len()).unwrap_or(1);
            let first = match pos.v_pos {
                VPos::Top => y,
                VPos::Bottom => y - (count - 1) * line,
                VPos::Center => y - (count - 1) * line / 2,
            };
            parts
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    Text::new(
                        part,
                        (x, first + line * i32::try_from(k).unwrap_or(0)),
                        small.clone().pos(pos),
                    )
                })
                .collect()
        };
    // The "act first" quadrant gets the light band colour (its caption says the same).
    root.draw(&Rectangle::new(
        [(l.left, l.top), (l.x(50), l.y(2.5))],
        BAND.filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(l.left, l.top), (l.right, l.bottom)],
        GRID.stroke_width(1),
    ))?;
    for tick in (0..=100u8).step_by(20) {
        let x = l.x(tick);
        root.draw(&PathElement::new(
            vec![(x, l.bottom), (x, l.bottom + 5)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            tick.to_string(),
            (x, l.bottom + 8),
            small.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    root.draw(&Text::new(
        chart.score_axis.clone(),
        ((l.left + l.right) / 2, l.bottom + 34),
        small.clone().pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    for (k, name) in chart.importance_levels.iter().enumerate() {
        let y = l.y(k as f64 + 1.0);
        root.draw(&PathElement::new(
            vec![(l.left - 5, y), (l.left, y)],
            GRID.stroke_width(1),
        ))?;
        for t in lines(name, (l.left - 8, y), Pos::new(HPos::Right, VPos::Center)) {
            root.draw(&t)?;
        }
    }
    root.draw(&Text::new(
        chart.importance_axis.clone(),
        (l.left - 8, l.top - 6),
        small.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))?;
    let mid_x = l.x(50);
    let mid_y = l.y(2.5);
    root.draw(&PathElement::new(
        vec![(mid_x, l.top), (mid_x, l.bottom)],
        MUTED.stroke_width(2),
    ))?;
    root.draw(&PathElement::new(
        vec![(l.left, mid_y), (l.right, mid_y)],
        MUTED.stroke_width(2),
    ))?;
    let corners = [
        (l.left + 8, l.top + 6, HPos::Left, VPos::Top),
        (l.right - 8, l.top + 6, HPos::Right, VPos::Top),
        (l.left + 8, l.bottom - 6, HPos::Left, VPos::Bottom),
        (l.right - 8, l.bottom - 6, HPos::Right, VPos::Bottom),
    ];
    for (text, (x, y, h, v)) in chart.quadrants.iter().zip(corners) {
        for t in lines(text, (x, y), Pos::new(h, v)) {
            root.draw(&t)?;
        }
    }

    // Points; points that would cover each other are nudged apart vertically (within their
    // importance row).
    let radius: i32 = 10;
    let mut placed: Vec<(i32, i32)> = Vec::with_capacity(chart.points.len());
    for (i, p) in chart.points.iter().enumerate() {
        let x = l.x(p.score);
        let base = l.y(f64::from(p.importance.clamp(1, 4)));
        let mut y = base;
        let mut step: i32 = 1;
        while placed
            .iter()
            .any(|&(px, py)| (px - x).abs() < 2 * radius + 2 && (py - y).abs() < 2 * radius + 2)
            && step < 16
        {
            // First away from the line between important and less important, so that a nudge
            // does not move a point towards the other half.
            let offset = (2 * radius + 3) * ((step + 1) / 2);
            let away = if p.importance >= 3 { -offset } else { offset };
            y = if step % 2 == 1 {
                base + away
            } else {
                base - away
            };
            step += 1;
        }
        placed.push((x, y));
        numbered_disc(root, (x, y), i + 1, p.answered, l.font)?;
    }
    // The key.
    let key_style = (FONT_FAMILY, l.font + 1)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let count = i32::try_from(chart.points.len()).unwrap_or(0);
    for (i, p) in chart.points.iter().enumerate() {
        let i = i32::try_from(i).unwrap_or(0);
        let (key_left, y, parts) = match l.key_left {
            Some(key_left) => {
                let row = ((l.bottom - l.top) / count.max(9)).min(40);
                // Long names take two lines, the score after the last.
                (
                    key_left,
                    l.top + row / 2 + row * i,
                    split_label(&p.label, l.break_at),
                )
            }
            None => (
                10,
                l.bottom + MatrixLayout::KEY_BELOW + MatrixLayout::KEY_ROW * i,
                vec![p.label.clone()],
            ),
        };
        numbered_disc(
            root,
            (key_left + 10, y),
            usize::try_from(i).unwrap_or(0) + 1,
            p.answered,
            l.font - 1,
        )?;
        let mut parts = parts;
        if let Some(last) = parts.last_mut() {
            last.push_str(&format!(" ({})", p.score));
        }
        let n = i32::try_from(parts.len()).unwrap_or(1);
        for (k, part) in parts.into_iter().enumerate() {
            let dy = (2 * i32::try_from(k).unwrap_or(0) - (n - 1)) * 9;
            root.draw(&Text::new(part, (key_left + 28, y + dy), key_style.clone()))?;
        }
    }
    root.present()
}

/// The priority matrix as an inline SVG element with an accessible name (wide layout).
pub fn priority_matrix_svg(chart: &PriorityMatrix, title: &str, id: &str) -> String {
    priority_matrix_svg_as(chart, title, id, &MatrixLayout::WIDE)
}

pub fn priority_matrix_svg_as(
    chart: &PriorityMatrix,
    title: &str,
    id: &str,
    layout: &MatrixLayout,
) -> String {
    let mut svg = String::new();
    {
        let backend =
            SVGBackend::with_string(&mut svg, (layout.width, layout.height(chart.points.len())));
        let root = backend.into_drawing_area();
        let _ = draw_priority_matrix_as(&root, chart, layout);
    }
    make_accessible(&svg, title, id)
}

// ---------------------------------------------------------------------------------------------
// Before and after (a re-assessment)
// ---------------------------------------------------------------------------------------------

/// One topic of the before/after chart.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub label: String,
    /// 0–100, the earlier and the current assessment.
    pub before: u8,
    pub after: u8,
    /// The peer group's median change over the same time, when there is a group to compare.
    pub peer_change: Option<i16>,
}

#[derive(Debug, Clone)]
pub struct ChangeChart {
    pub rows: Vec<ChangeRow>,
    /// Legend and column texts: before, now, the firm's change, the peer group's change.
    pub labels: [String; 4],
}

pub const CHANGE_CHART_WIDTH: u32 = 720;
const CHANGE_TOP: i32 = 62;
const CHANGE_ROW: i32 = 34;
const CHANGE_LEFT: i32 = 262;
const CHANGE_RIGHT: i32 = 452;
/// Right edges of the two number columns.
const CHANGE_FIRM_COL: i32 = 572;
const CHANGE_PEER_COL: i32 = 712;

impl ChangeChart {
    /// Height in its own pixels.
    pub fn height(&self) -> u32 {
        let rows = i32::try_from(self.rows.len()).unwrap_or(0);
        (CHANGE_TOP + CHANGE_ROW * rows + 34).unsigned_abs()
    }

    fn has_peers(&self) -> bool {
        self.rows.iter().any(|r| r.peer_change.is_some())
    }
}

/// "+8", "−3", "±0".
pub fn signed_change(v: i16) -> String {
    match v {
        0 => "±0".to_owned(),
        v if v > 0 => format!("+{v}"),
        v => format!("−{}", v.unsigned_abs()),
    }
}

fn change_x(score: u8) -> i32 {
    CHANGE_LEFT + (CHANGE_RIGHT - CHANGE_LEFT) * i32::from(score.min(100)) / 100
}

/// Draws one row per topic: the earlier score as a ring, the current one as a disc, joined by a
/// line on a 0–100 scale; right of it the firm's change and the peer group's, as numbers (the
/// shapes and the numbers carry the meaning, not the colour).
pub fn draw_change_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChangeChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let label_style = (FONT_FAMILY, 16)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let number_style = (FONT_FAMILY, 16)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let head_style = (FONT_FAMILY, 15)
        .into_font()
        .color(&MUTED)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let small = (FONT_FAMILY, 15)
        .into_font()
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let [before, now, firm_col, peer_col] = &chart.labels;

    // Legend: the ring is before, the disc now.
    let y = 16;
    root.draw(&Circle::new((14, y), 7, WHITE.filled()))?;
    root.draw(&Circle::new((14, y), 7, MUTED.stroke_width(2)))?;
    let legend_room = 150;
    root.draw(&Text::new(
        fit_text(root, before, &label_style, legend_room),
        (28, y),
        label_style.clone(),
    ))?;
    root.draw(&Circle::new((200, y), 7, FIRM.filled()))?;
    root.draw(&Text::new(
        fit_text(root, now, &label_style, legend_room),
        (214, y),
        label_style.clone(),
    ))?;
    // Column headings over the numbers.
    let head_y = CHANGE_TOP - 16;
    root.draw(&Text::new(
        fit_text(root, firm_col, &head_style, 110),
        (CHANGE_FIRM_COL, head_y),
        head_style.clone(),
    ))?;
    if chart.has_peers() {
        root.draw(&Text::new(
            fit_text(
                root,
                peer_col,
                &head_style,
                CHANGE_PEER_COL - CHANGE_FIRM_COL - 4,
            ),
            (CHANGE_PEER_COL, head_y),
            head_style.clone(),
        ))?;
    }

    let rows = i32::try_from(chart.rows.len()).unwrap_or(0);
    let bottom = CHANGE_TOP + CHANGE_ROW * rows;
    // Grid and scale every 20 points.
    for v in (0..=100u8).step_by(20) {
        let x = change_x(v);
        root.draw(&PathElement::new(
            vec![(x, CHANGE_TOP - 4), (x, bottom)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(v.to_string(), (x, bottom + 6), small.clone()))?;
    }

    for (i, row) in chart.rows.iter().enumerate() {
        let top = CHANGE_TOP + CHANGE_ROW * i32::try_from(i).unwrap_or(0);
        let y = top + CHANGE_ROW / 2;
        if i % 2 == 1 {
            root.draw(&Rectangle::new(
                [(0, top), (CHANGE_CHART_WIDTH as i32, top + CHANGE_ROW)],
                RGBColor(0xf2, 0xf5, 0xf8).filled(),
            ))?;
            for v in (0..=100u8).step_by(20) {
                let x = change_x(v);
                root.draw(&PathElement::new(
                    vec![(x, top), (x, top + CHANGE_ROW)],
                    GRID.stroke_width(1),
                ))?;
            }
        }
        root.draw(&Text::new(
            fit_text(root, &row.label, &label_style, CHANGE_LEFT - 16),
            (4, y),
            label_style.clone(),
        ))?;
        let (x0, x1) = (change_x(row.before), change_x(row.after));
        root.draw(&PathElement::new(
            vec![(x0, y), (x1, y)],
            FIRM.stroke_width(3),
        ))?;
        root.draw(&Circle::new((x0, y), 7, WHITE.filled()))?;
        root.draw(&Circle::new((x0, y), 7, MUTED.stroke_width(2)))?;
        root.draw(&Circle::new((x1, y), 6, FIRM.filled()))?;
        let change = i16::from(row.after) - i16::from(row.before);
        root.draw(&Text::new(
            format!("{} → {}  {}", row.before, row.after, signed_change(change)),
            (CHANGE_FIRM_COL, y),
            number_style.clone(),
        ))?;
        if chart.has_peers() {
            root.draw(&Text::new(
                row.peer_change
                    .map_or_else(|| "–".to_owned(), signed_change),
                (CHANGE_PEER_COL, y),
                number_style.clone(),
            ))?;
        }
    }
    root.present()
}

/// The before/after chart as an inline SVG element with an accessible name.
pub fn change_chart_svg(chart: &ChangeChart, title: &str, id: &str) -> String {
    let mut svg = String::new();
    {
        let backend = SVGBackend::with_string(&mut svg, (CHANGE_CHART_WIDTH, chart.height()));
        let root = backend.into_drawing_area();
        let _ = draw_change_chart(&root, chart);
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
                    gap: None,
                },
                DimensionBar {
                    label: "<script>".into(),
                    score: 0,
                    peers: None,
                    gap: None,
                },
            ],
        }
    }

    #[test]
    fn a_dimension_that_is_not_assessable_is_a_labelled_gap_without_a_number() {
        let mut chart = chart();
        chart.bars[0].score = 77;
        chart.bars[0].gap = Some("nicht bewertbar".into());
        for layout in [BarLayout::WIDE, BarLayout::NARROW] {
            let svg = dimension_chart_svg_as(&chart, "Ihre Werte", "dims", &layout);
            assert!(svg.contains("nicht bewertbar"), "{svg}");
            assert!(
                !svg.contains(">77<") && !svg.contains("\n77\n"),
                "no score: {svg}"
            );
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
        let l = BarLayout::WIDE;
        assert_eq!(x_for(0), l.bar_left);
        assert_eq!(x_for(100), l.bar_right);
        assert_eq!(x_for(50), l.bar_left + (l.bar_right - l.bar_left) / 2);
    }

    #[test]
    fn matrix_points_with_equal_values_do_not_cover_each_other() {
        let matrix = PriorityMatrix {
            points: (0..9)
                .map(|i| MatrixPoint {
                    label: format!("Thema {i}"),
                    score: 50 + (i % 2),
                    importance: 3,
                    answered: true,
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

    /// What a phone of 375 CSS px shows: the page's column is 375 − 2 × 20 px of padding.
    const PHONE_COLUMN: f64 = 335.0;
    /// The narrowest column that shows the wide drawings: 48rem (768 px) less the padding.
    const NARROWEST_WIDE_COLUMN: f64 = 728.0;

    fn matrix(points: usize) -> PriorityMatrix {
        PriorityMatrix {
            points: (0..points)
                .map(|i| MatrixPoint {
                    label: format!("Verantwortung & Mitarbeiter {i}"),
                    score: u8::try_from(i * 11).unwrap_or(100),
                    importance: u8::try_from(1 + i % 4).unwrap_or(1),
                    answered: i % 3 != 0,
                })
                .collect(),
            score_axis: "Punkte (0–100)".into(),
            importance_axis: "Wichtigkeit".into(),
            importance_levels: [
                "kaum wichtig".into(),
                "eher wichtig".into(),
                "wichtig".into(),
                "sehr wichtig".into(),
            ],
            quadrants: [
                "Zuerst angehen".into(),
                "Halten".into(),
                "Später".into(),
                "Nicht überinvestieren".into(),
            ],
        }
    }

    #[test]
    fn shown_font_size_scales_with_the_view_box() {
        assert!((shown_font_px(16.0, 400.0, 335.0) - 13.4).abs() < 1e-9);
        assert!((shown_font_px(17.0, 720.0, 335.0) - 7.909_722_222_222_222).abs() < 1e-9);
        assert_eq!(shown_font_px(16.0, 0.0, 335.0), 0.0);
    }

    #[test]
    fn chart_text_is_at_least_11_px_where_each_drawing_is_shown() {
        let narrow = [
            (
                dimension_chart_svg_as(&chart(), "t", "a", &BarLayout::NARROW),
                BarLayout::NARROW.width,
            ),
            (
                priority_matrix_svg_as(&matrix(9), "t", "b", &MatrixLayout::NARROW),
                MatrixLayout::NARROW.width,
            ),
        ];
        for (svg, width) in &narrow {
            let smallest = smallest_font_units(svg).expect("text in the chart");
            let px = shown_font_px(smallest, f64::from(*width), PHONE_COLUMN);
            assert!(px >= 11.0, "{smallest} units show as {px:.1} px on a phone");
        }
        let wide = [
            (dimension_chart_svg(&chart(), "t", "c"), BAR_CHART_WIDTH),
            (
                priority_matrix_svg(&matrix(9), "t", "d"),
                MATRIX_CHART_WIDTH,
            ),
        ];
        for (svg, width) in &wide {
            let smallest = smallest_font_units(svg).expect("text in the chart");
            let px = shown_font_px(smallest, f64::from(*width), NARROWEST_WIDE_COLUMN);
            assert!(px >= 11.0, "{smallest} units show as {px:.1} px");
            // The wide drawing on a phone would not be readable: hence the narrow one.
            assert!(shown_font_px(smallest, f64::from(*width), PHONE_COLUMN) < 11.0);
        }
    }

    fn rects(svg: &str) -> Vec<(String, f64, f64)> {
        let attr = |tag: &str, name: &str| -> Option<String> {
            let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(tag[start..].split('"').next()?.to_owned())
        };
        svg.split("<rect")
            .skip(1)
            .filter_map(|tag| {
                let tag = tag.split('>').next()?;
                let y: f64 = attr(tag, "y")?.parse().ok()?;
                let h: f64 = attr(tag, "height")?.parse().ok()?;
                Some((attr(tag, "fill")?.to_uppercase(), y, y + h))
            })
            .collect()
    }

    #[test]
    fn the_peer_band_never_covers_the_firms_bar() {
        for layout in [BarLayout::WIDE, BarLayout::NARROW] {
            let svg = dimension_chart_svg_as(&chart(), "t", "x", &layout);
            let all = rects(&svg);
            // The first row has peers; its bar and band are the first of their colours after
            // the legend's swatches.
            let firm: Vec<_> = all.iter().filter(|r| r.0 == "#1F4E79").skip(1).collect();
            let band: Vec<_> = all.iter().filter(|r| r.0 == "#D9E2EC").skip(1).collect();
            assert!(!firm.is_empty() && !band.is_empty(), "{svg}");
            let (bar, peers) = (firm[0], band[0]);
            assert!(
                bar.2 <= peers.1 || peers.2 <= bar.1,
                "{layout:?}: bar {bar:?} and band {peers:?} overlap"
            );
        }
        for top in 0..40 {
            let (firm, peers) = firm_and_peer_lanes(top, top + 30, true);
            let peers = peers.expect("a band");
            assert!(firm.0 < firm.1 && peers.0 < peers.1 && firm.1 < peers.0);
        }
    }

    #[test]
    fn an_unanswered_importance_is_a_ring_not_a_disc() {
        let white_circles = |svg: &str| {
            svg.split("<circle")
                .skip(1)
                .filter(|tag| {
                    tag.split('>')
                        .next()
                        .unwrap_or("")
                        .to_uppercase()
                        .contains("FILL=\"#FFFFFF\"")
                })
                .count()
        };
        let mut m = matrix(1);
        m.points[0].answered = true;
        let filled = priority_matrix_svg_as(&m, "t", "m", &MatrixLayout::NARROW);
        assert_eq!(white_circles(&filled), 0, "{filled}");
        m.points[0].answered = false;
        let ring = priority_matrix_svg_as(&m, "t", "m", &MatrixLayout::NARROW);
        // The point and its key entry.
        assert_eq!(white_circles(&ring), 2, "{ring}");
    }

    fn radar(scores: &[u8], peers: bool) -> RadarChart {
        RadarChart {
            axes: scores
                .iter()
                .enumerate()
                .map(|(i, &score)| RadarAxis {
                    label: format!("Thema {i}"),
                    score,
                    peers: peers.then_some(PeerBand {
                        p25: 30,
                        median: 50,
                        p75: 70,
                    }),
                    gap: None,
                })
                .collect(),
            legend: ["Sie".into(), "Median".into(), "Oberes Viertel".into()],
        }
    }

    #[test]
    fn radar_scale_numbers_keep_clear_of_the_data_outlines() {
        let measure = |t: &str| (u32::try_from(t.len()).unwrap_or(3) * 9, 15);
        let mut moved = 0;
        for top in (0..=100u8).step_by(5) {
            for peers in [false, true] {
                let chart = radar(&[top, top, 40, 55, 70, 35, 90, 60, top], peers);
                let outlines = radar_outlines(&chart);
                let labels = radar_scale_labels(&chart, measure);
                assert!(labels.len() >= 2, "{top} {peers}: only {labels:?}");
                // Nor do they overlap each other.
                for (i, (a, (ax, ay))) in labels.iter().enumerate() {
                    for (b, (bx, by)) in &labels[i + 1..] {
                        let (aw, ah) = measure(a);
                        let (bw, bh) = measure(b);
                        assert!(
                            ax + aw as i32 <= *bx
                                || bx + bw as i32 <= *ax
                                || ay + ah as i32 <= *by
                                || by + bh as i32 <= *ay,
                            "{top} {peers}: {a} and {b} overlap"
                        );
                    }
                }
                for (text, (x, y)) in &labels {
                    let (w, h) = measure(text);
                    let b = (*x, *y, x + w as i32, y + h as i32);
                    for o in &outlines {
                        assert!(
                            !touches(o, b),
                            "{top} {peers}: {text} at {b:?} touches {o:?}"
                        );
                    }
                    if *x < RADAR_CX as i32 || *y < spoke(0, 9, text.parse().unwrap_or(0.0)).1 {
                        moved += 1;
                    }
                }
            }
        }
        // The old place (right of the spoke, below the ring) was taken by data in some cases.
        assert!(moved > 0);
        // A line through a box touches it; one far away does not.
        assert!(touches(&[(0, 10), (100, 10)], (40, 5, 60, 15)));
        assert!(!touches(&[(0, 100), (100, 100)], (40, 5, 60, 15)));
    }

    #[test]
    fn the_change_chart_draws_every_topic_with_its_numbers() {
        let chart = ChangeChart {
            rows: vec![
                ChangeRow {
                    label: "Gesamt".into(),
                    before: 40,
                    after: 52,
                    peer_change: Some(2),
                },
                ChangeRow {
                    label: "Strategie".into(),
                    before: 60,
                    after: 55,
                    peer_change: None,
                },
            ],
            labels: [
                "Vorher".into(),
                "Jetzt".into(),
                "Veränderung".into(),
                "Gruppe".into(),
            ],
        };
        let svg = change_chart_svg(&chart, "Vorher und jetzt", "c");
        for needle in [
            "40 → 52  +12",
            "60 → 55  −5",
            "+2",
            "Gruppe",
            "Strategie",
            "\n100\n",
        ] {
            assert!(svg.contains(needle), "{needle} missing in {svg}");
        }
        assert_eq!(signed_change(0), "±0");
        assert_eq!(chart.height(), (CHANGE_TOP + 2 * CHANGE_ROW + 34) as u32);
    }
}
