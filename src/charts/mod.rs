//! Charts, drawn once with plotters against any `DrawingBackend`: SVG for the pages (and, through
//! a backend that emits PDF operations, the report). Pure: data in, drawing out.
use plotters::coord::Shift;
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
        if let Err(e) = draw_dimension_chart(&root, chart) {
            tracing::error!(error = %e, "drawing the dimension chart failed");
        }
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
}
