//! The one-page summary of a chamber's dashboard for its board: the same engine, fonts, chart
//! code and tables as the firm report. It shows only what the dashboard published; suppressed
//! cells arrive as notes.
use printpdf::{FontId, Op, PdfFontHandle};

use super::brand::{self as branding, ReportBrand};
use super::engine::{
    Charts, Grid, bars_alt, begin_pagination, chart_size, emit_marked, figure, text_op,
};
use super::layout::ChartKind;
use super::layout::{self, CONTENT_W, Flow, H2, MARGIN_X, PAGE_H, PAGE_W, SMALL, Style, run};
use super::tagged::Role;
use super::{ReportError, fonts, pdf};
use crate::charts::{DimensionChart, PriorityMatrix, RadarChart};

/// Everything the summary shows, already in words and numbers.
#[derive(Debug, Clone)]
pub struct BoardSummary {
    pub title: String,
    /// What was selected (campaigns, period, filters), in words.
    pub selection: String,
    /// "Stand: 22.11.2026".
    pub as_of: String,
    pub participants_label: String,
    /// The number, or why it is suppressed.
    pub participants: String,
    /// Median per topic against all firms; absent when nothing may be shown.
    pub chart: Option<DimensionChart>,
    pub chart_title: String,
    pub tables: Vec<BoardTable>,
    /// The privacy rule in one sentence.
    pub footnote: String,
    pub creation_date: (i32, u8, u8),
    /// "de" or "en": the document's language for screen readers.
    pub lang: String,
}

/// A table; a row with fewer cells than columns has its last cell span the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTable {
    pub heading: String,
    pub columns: Vec<String>,
    /// Column widths as shares of the text width.
    pub widths: Vec<f32>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

fn empty_charts(bars: DimensionChart) -> Charts {
    Charts {
        radar: RadarChart {
            axes: Vec::new(),
            legend: Default::default(),
        },
        bars,
        matrix: PriorityMatrix {
            points: Vec::new(),
            score_axis: String::new(),
            importance_axis: String::new(),
            importance_levels: Default::default(),
            quadrants: Default::default(),
        },
        change: None,
    }
}

/// The board summary's one page, with the bar chart as large as the tables leave room for.
fn board_flow(summary: &BoardSummary, charts: Option<&Charts>) -> Flow {
    // Laid out with the chart given `room` less space than measured; tried again with a
    // smaller chart (and finally none) if it still spilled onto a second page, so the summary
    // is one page whatever the rows and notes hold.
    let layout = |cut: f32, with_chart: bool| -> Flow {
        let mut f = Flow::new();
        f.within(Role::H1, |f| {
            f.paragraph(
                &[run(&summary.title)],
                MARGIN_X,
                CONTENT_W,
                Style::new(16.0, true, layout::BLUE),
            );
        });
        f.gap(2.0);
        f.para(
            &[run(&summary.selection)],
            MARGIN_X,
            CONTENT_W,
            Style::new(10.5, true, layout::INK),
        );
        f.text(&summary.as_of, SMALL);
        f.gap(6.0);
        f.para(
            &[run(&format!(
                "{}: {}",
                summary.participants_label, summary.participants
            ))],
            MARGIN_X,
            CONTENT_W,
            Style::new(12.0, true, layout::BLUE),
        );
        f.gap(4.0);
        // The tables first decide how much room the chart may take, so that it all fits one page.
        let widths: Vec<Vec<f32>> = summary
            .tables
            .iter()
            .map(|t| t.widths.iter().map(|w| w * CONTENT_W).collect())
            .collect();
        let grids: Vec<Grid<'_>> = summary
            .tables
            .iter()
            .zip(&widths)
            .map(|(t, w)| Grid::new(w, &t.numeric, &t.columns, &t.rows).compact())
            .collect();
        const TABLE_GAP: f32 = 6.0;
        let lay_tables = |f: &mut Flow| {
            for (table, grid) in summary.tables.iter().zip(&grids) {
                f.heading(&table.heading, H2, grid.head_room());
                grid.draw(f);
                f.gap(TABLE_GAP);
            }
            f.para(&[run(&summary.footnote)], MARGIN_X, CONTENT_W, SMALL);
        };
        // Measured, not estimated: the tables and the footnote laid out on a trial page.
        let mut trial = Flow::trial(f.y);
        lay_tables(&mut trial);
        let tables_h = trial.y - f.y;
        if let Some(charts) = charts.filter(|_| with_chart) {
            let (w, h) = chart_size(charts, ChartKind::Bars);
            // The chart's heading measured like the tables (an estimate a few points short let
            // the footnote spill onto a second page).
            let mut probe = Flow::trial(f.y);
            probe.heading(&summary.chart_title, H2, 0.0);
            let heading_h = probe.y - f.y;
            let room = f.room() - tables_h - heading_h - TABLE_GAP - cut;
            let scale = ((CONTENT_W * 0.8) / w as f32).min(room / h as f32);
            if scale > 0.3 {
                f.heading(&summary.chart_title, H2, h as f32 * scale);
                let y = f.y;
                figure(
                    &mut f,
                    ChartKind::Bars,
                    (MARGIN_X, y),
                    scale,
                    (w as f32 * scale, h as f32 * scale),
                    bars_alt(&summary.chart_title, &charts.bars),
                );
                f.y += h as f32 * scale;
                f.gap(TABLE_GAP);
            }
        }
        lay_tables(&mut f);
        f
    };
    let mut f = layout(0.0, true);
    for cut in [8.0, 24.0] {
        if f.pages.len() <= 1 {
            break;
        }
        f = layout(cut, true);
    }
    if f.pages.len() > 1 {
        f = layout(0.0, false);
    }
    f
}

/// Renders the summary on one A4 page: the chart shrinks (or, as a last resort, is left out)
/// to make room for the tables and notes; only a selection too long for a page without the
/// chart continues on a second.
pub fn render_board(summary: &BoardSummary) -> Result<Vec<u8>, ReportError> {
    render_board_branded(summary, None)
}

/// [`render_board`] with the chamber's brand: its logo and accent in the header, its name on
/// the right (the page stays one page: the header lives in the margin).
pub fn render_board_branded(
    summary: &BoardSummary,
    brand: Option<&ReportBrand>,
) -> Result<Vec<u8>, ReportError> {
    if !fonts::REGULAR.is_usable() || !fonts::BOLD.is_usable() {
        return Err(ReportError::Font);
    }
    let charts = summary.chart.clone().map(empty_charts);
    let f = board_flow(summary, charts.as_ref());

    let handles = (
        PdfFontHandle::External(FontId(pdf::REGULAR_ID.into())),
        PdfFontHandle::External(FontId(pdf::BOLD_ID.into())),
    );
    let bars_only = charts.unwrap_or_else(|| {
        empty_charts(DimensionChart {
            bars: Vec::new(),
            axis_label: String::new(),
            legend: None,
        })
    });
    let pages: Vec<Vec<Op>> = f
        .pages
        .iter()
        .zip(&f.marks)
        .map(|(items, marks)| {
            let mut ops = Vec::with_capacity(items.len() * 6 + 8);
            let size = 8.0;
            begin_pagination(&mut ops);
            let logo_w = branding::draw_logo(&mut ops, brand, (MARGIN_X, 32.0), (72.0, 16.0), true)
                .map_or(0.0, |w| w + 8.0);
            let title = layout::ellipsize(&summary.title, size, true, CONTENT_W * 0.55 - logo_w);
            text_op(
                &mut ops,
                &handles,
                MARGIN_X + logo_w,
                46.0,
                size,
                true,
                branding::accent(brand),
                &title,
            );
            if let Some(b) = brand {
                let room = CONTENT_W - logo_w - layout::width(&title, size, true) - 24.0;
                let name = layout::ellipsize(&b.name, size, false, room);
                let w = layout::width(&name, size, false);
                text_op(
                    &mut ops,
                    &handles,
                    MARGIN_X + CONTENT_W - w,
                    46.0,
                    size,
                    false,
                    layout::MUTED,
                    &name,
                );
            }
            ops.push(Op::EndMarkedContent);
            emit_marked(&mut ops, items, marks, &f.tree, &bars_only, &handles);
            ops
        })
        .collect();
    let info = pdf::DocInfo {
        title: &summary.title,
        subject: Some(&summary.selection),
        lang: &summary.lang,
        date: summary.creation_date,
    };
    let logo = branding::pdf_image(brand);
    pdf::write_pdf(&info, (PAGE_W, PAGE_H), &pages, &f.tree, logo.as_deref())
}

/// Builds the fonts' metrics and base subsets once, so that the first report a user asks for
/// does not pay for them (called on a thread of its own at start).
pub fn warm_up() {
    let summary = BoardSummary {
        title: "Social-Media-Readiness".into(),
        selection: "–".into(),
        as_of: "–".into(),
        participants_label: "n".into(),
        participants: "0".into(),
        chart: None,
        chart_title: String::new(),
        tables: Vec::new(),
        footnote: "–".into(),
        creation_date: (2026, 1, 1),
        lang: "de".into(),
    };
    if let Err(e) = render_board(&summary) {
        tracing::error!(error = %e, "warming up the report fonts failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_summary_without_data_is_one_valid_page() {
        warm_up();
        let summary = BoardSummary {
            title: "Zusammenfassung".into(),
            selection: "Alle Kampagnen".into(),
            as_of: "Stand: 22.11.2026".into(),
            participants_label: "Teilnehmende Unternehmen".into(),
            participants: "unterdrückt (weniger als 5 Unternehmen)".into(),
            chart: None,
            chart_title: String::new(),
            tables: vec![BoardTable {
                heading: "Reifegrade".into(),
                columns: vec!["Stufe".into(), "n".into()],
                widths: vec![0.7, 0.3],
                numeric: vec![false, true],
                rows: vec![vec!["1".into(), "unterdrückt".into()]],
            }],
            footnote: "Datenschutz".into(),
            creation_date: (2026, 11, 22),
            lang: "de".into(),
        };
        let pdf = render_board(&summary).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(
            pdf.windows(17).any(|w| w == b"/Type/Pages/Count"),
            "a page tree"
        );
        let count = pdf
            .windows(19)
            .find(|w| w.starts_with(b"/Type/Pages/Count "));
        assert_eq!(count.map(|w| w[18]), Some(b'1'), "one page");
        assert_eq!(render_board(&summary).expect("pdf"), pdf, "deterministic");
    }

    /// A chamber's board with a full chart (eight topics, the all-firms band and a long legend)
    /// stays one page, and its chart text is at least 8 pt and inside the chart's box.
    #[test]
    fn the_board_chart_prints_legible_unclipped_text_on_one_page() {
        use super::super::backend::MIN_TEXT_PT;
        use super::super::engine::chart_texts;
        use super::super::layout::Item;
        use crate::charts::{DimensionBar, PeerBand};
        let summary = BoardSummary {
            title: "Zusammenfassung".into(),
            selection: "Alle Kampagnen".into(),
            as_of: "Stand: 22.11.2026".into(),
            participants_label: "Teilnehmende Unternehmen".into(),
            participants: "42".into(),
            chart: Some(DimensionChart {
                bars: (0..8)
                    .map(|i| DimensionBar {
                        label: format!("Themenfeld Nummer {i}"),
                        score: 40 + i * 5,
                        peers: Some(PeerBand {
                            p25: 30,
                            median: 50,
                            p75: 70,
                        }),
                        gap: None,
                    })
                    .collect(),
                axis_label: "Punkte (0–100)".into(),
                legend: Some([
                    "Median der Auswahl".into(),
                    "Mittlere Hälfte aller Unternehmen".into(),
                    "Median aller Unternehmen".into(),
                ]),
            }),
            chart_title: "Punkte je Themenfeld".into(),
            tables: vec![BoardTable {
                heading: "Reifegrade".into(),
                columns: vec!["Stufe".into(), "n".into()],
                widths: vec![0.7, 0.3],
                numeric: vec![false, true],
                rows: (1..=5).map(|i| vec![i.to_string(), "8".into()]).collect(),
            }],
            footnote: "Datenschutz".into(),
            creation_date: (2026, 11, 22),
            lang: "de".into(),
        };
        let charts = summary.chart.clone().map(empty_charts).expect("a chart");
        let f = board_flow(&summary, Some(&charts));
        assert_eq!(f.pages.len(), 1, "one page");
        let Some(Item::Chart { x, scale, .. }) =
            f.pages[0].iter().find(|i| matches!(i, Item::Chart { .. }))
        else {
            panic!("the chart is on the page");
        };
        let right = x + chart_size(&charts, ChartKind::Bars).0 as f32 * scale;
        let texts = chart_texts(&f.pages[0], &charts);
        assert!(texts.iter().any(|t| t.text.starts_with("Median aller")));
        for t in &texts {
            assert!(t.size >= MIN_TEXT_PT, "{:?}: {} pt", t.text, t.size);
            if let Some((l, r)) = t.span {
                assert!(
                    l >= x - 0.5 && r <= right + 0.5,
                    "{:?} spans {l:.1}–{r:.1}, the chart {x:.1}–{right:.1}",
                    t.text
                );
            }
        }
        assert!(render_board(&summary).is_ok());
    }
}
