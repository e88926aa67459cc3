//! The owner's report (and the consultant's client version with the change since the previous
//! assessment): its charts, its sections in order, and the pages they flow onto.
use printpdf::{FontId, Line, Op, PdfFontHandle, Pt};

use super::engine::{
    Charts, Grid, bars_alt, begin_pagination, change_alt, chart_size, emit_marked, figure,
    matrix_alt, pt, radar_alt, rgb, text_op,
};
use super::layout::{
    self, BODY, CONTENT_BOTTOM, CONTENT_W, ChartKind, Flow, H1, H2, H3, Item, MARGIN_X, PAGE_H,
    PAGE_W, SMALL, Style, bold, run,
};
use super::model::{self, *};
use super::tagged::{self, Role};
use super::{ReportError, brand, fill, fonts, pdf};
use crate::benchmark::RankWording;
use crate::charts::{
    ChangeChart, ChangeRow, DimensionBar, DimensionChart, MatrixPoint, PeerBand, PriorityMatrix,
    RadarAxis, RadarChart,
};

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
        change: m
            .progress
            .as_ref()
            .filter(|p| !p.topics.is_empty())
            .map(|p| ChangeChart {
                rows: p
                    .topics
                    .iter()
                    .map(|t| ChangeRow {
                        label: t.title.clone(),
                        before: t.before,
                        after: t.after,
                        peer_change: t.peer_change,
                    })
                    .collect(),
                labels: p.chart_labels.clone(),
            }),
    }
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
        section(&mut f, |f| progress(f, p, charts));
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
        ChartKind::Change => charts
            .change
            .as_ref()
            .map_or_else(|| title.to_owned(), |c| change_alt(title, c)),
    };
    let y = f.y;
    figure(f, kind, (x, y), scale, (width, height), alt);
    f.y += height;
    f.gap(10.0);
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
    // Without a comparison group the bars would repeat the radar's scores on the summary page
    // (nothing to compare them with), so only the matrix follows.
    if m.cohort.is_some() {
        chart(f, charts, ChartKind::Bars, &l.bar_chart_title, CONTENT_W);
    }
    // Without a comparison group the table's group columns would hold only dashes, and its
    // scores and levels are in the bar chart and the topics' details already.
    let with_table = m.cohort.is_some();
    // When the matrix would leave the rest of this page empty but the table fits there, the
    // table comes first.
    let (_, h) = chart_size(charts, ChartKind::Matrix);
    let matrix_h = h as f32 * CONTENT_W / crate::charts::MATRIX_CHART_WIDTH as f32;
    let fits = |compact: bool| {
        let mut trial = Flow::trial(f.y);
        table(&mut trial, m, compact);
        trial.breaks == 0
    };
    // Tighter rows when only they make the table fit.
    let table_fits = [false, true].into_iter().find(|&compact| fits(compact));
    let matrix_fits = matrix_h * 0.82 + 2.5 * H3.leading <= f.room();
    // A table that does not fit whole still starts here when a good part of the page is free
    // (its header row is repeated on the next page), rather than leaving the space empty.
    let table_first = match table_fits {
        Some(compact) => Some(compact),
        None if f.room() >= 150.0 => Some(false),
        None => None,
    };
    match table_first {
        Some(compact) if with_table && !matrix_fits => {
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
/// The change since the previous assessment: a heading, the caption, the table, a note.
fn progress(f: &mut Flow, p: &Progress, charts: &Charts) {
    if charts.change.is_some() {
        // The chart states every number of the table (in its text alternative too).
        let (_, h) = chart_size(charts, ChartKind::Change);
        let chart_h = h as f32 * CONTENT_W / crate::charts::CHANGE_CHART_WIDTH as f32;
        f.heading(&p.heading, H1, 2.0 * BODY.leading + chart_h.min(300.0));
        f.para(
            &[run(&p.caption)],
            MARGIN_X,
            CONTENT_W,
            Style::new(9.5, false, layout::MUTED),
        );
        f.gap(4.0);
        chart(f, charts, ChartKind::Change, &p.chart_title, CONTENT_W);
    } else {
        progress_table(f, p);
    }
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

/// The change as a table (a model without the chart's numbers).
fn progress_table(f: &mut Flow, p: &Progress) {
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
        // The answers that need attention; the rest in one line (the result page has them all).
        let listed: Vec<&Answer> = d.answers.iter().filter(|a| a.matters).collect();
        let rest = d.answers.len() - listed.len();
        if !listed.is_empty() {
            f.heading(&l.asked, H3, 2.0 * BODY.leading);
        }
        for a in listed {
            // Question and answer in one paragraph: the question muted, the answer after an arrow.
            let style = Style::new(9.5, false, layout::INK);
            let runs = [
                layout::Run {
                    text: &a.question,
                    bold: false,
                    color: Some(layout::MUTED),
                },
                layout::Run {
                    text: " → ",
                    bold: true,
                    color: Some(layout::BLUE),
                },
                run(&a.answer),
            ];
            let h = layout::height_of(&runs, CONTENT_W - indent, style);
            f.ensure(h.min(3.0 * style.leading));
            f.para(&runs, MARGIN_X + indent, CONTENT_W - indent, style);
            f.gap(2.0);
        }
        let rest_line = match rest {
            0 => String::new(),
            n if n == d.answers.len() => l.answers_none.replace("{count}", &n.to_string()),
            1 => l.answers_rest_one.clone(),
            n => l.answers_rest.replace("{count}", &n.to_string()),
        };
        if !rest_line.is_empty() {
            f.para(
                &[run(&rest_line)],
                MARGIN_X + indent,
                CONTENT_W - indent,
                Style::new(9.5, false, layout::MUTED),
            );
            f.gap(3.0);
        }
        // "Why" and "what to do" lead their paragraphs in bold rather than under headings of
        // their own: the topic's heading above structures them, and the topics stay compact.
        f.gap(2.0);
        f.ensure(3.0 * BODY.leading);
        f.para(
            &[bold(&format!("{}: ", l.why)), run(&d.why)],
            MARGIN_X,
            CONTENT_W,
            BODY,
        );
        f.para(
            &[run(&format!("{}: {}", l.source, d.why_source))],
            MARGIN_X,
            CONTENT_W,
            SMALL,
        );
        // A step that is in the action plan is said there once, not here again.
        if !d.what_to_do.is_empty() && !m.actions.iter().any(|a| a.text == d.what_to_do) {
            f.gap(4.0);
            f.ensure(2.0 * BODY.leading);
            f.para(
                &[bold(&format!("{}: ", l.what_to_do)), run(&d.what_to_do)],
                MARGIN_X,
                CONTENT_W,
                BODY,
            );
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
        f.text(p, Style::new(9.5, false, layout::INK));
        f.gap(6.0);
    }
    f.gap(4.0);
    let mut facts = Vec::new();
    // The numbers an owner needs: the group with its size, the date of its figures, k.
    match cohort_line(m) {
        Some(line) => facts.push(line),
        None => facts.push(m.benchmark_note.clone()),
    }
    if let Some(date) = &m.benchmark_date {
        facts.push(fill(&l.benchmark_date, &[("date", date)]));
    }
    facts.push(fill(
        &l.privacy_threshold,
        &[("k", &m.privacy_threshold.to_string())],
    ));
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

/// How full each page of the model's report is (0–1 of the content area), for the page-fill tests.
#[cfg(test)]
pub(crate) fn page_fills(m: &ReportModel) -> Vec<f32> {
    let charts = prepare_charts(m);
    let flow = lay_out(m, &charts);
    flow.pages.iter().map(|p| tests::fill(p, &charts)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::backend;
    use super::super::engine::chart_texts;
    use super::*;

    /// How far down the content area a page is filled (0–1).
    pub(super) fn fill(page: &[Item], charts: &Charts) -> f32 {
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
            // The bars only with a group to compare with (else they would repeat the radar).
            assert!(
                kinds.contains(&ChartKind::Radar)
                    && kinds.contains(&ChartKind::Bars) == model.cohort.is_some(),
                "{name}: the radar, and the bars exactly when there is a group"
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
