//! Renders every fixture and checks the PDF with the usual tools (qpdf, pdffonts, pdftotext);
//! the tool checks follow `tools`' policy (skipped with a note outside CI, required in CI).
use std::path::{Path, PathBuf};

use social_readiness::charts::{self, DimensionBar, DimensionChart, PeerBand};
use social_readiness::report::{ReportModel, render_pdf};

use crate::tools;

/// The 2026.1 cases, and a real 2027.1 firm of `seed-demo` with and without a comparison group
/// (written by `present::report`'s test with `WRITE_REPORT_FIXTURES=1`).
const FIXTURES: [&str; 10] = [
    "best_de",
    "best_en",
    "worst_de",
    "worst_en",
    "mixed_de",
    "mixed_en",
    "firm2027_de",
    "firm2027_en",
    "firm2027_nogroup_de",
    "firm2027_nogroup_en",
];

fn load(name: &str) -> ReportModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn out_dir() -> PathBuf {
    // REPORT_OUT keeps the PDFs for inspection; otherwise a scratch directory per process.
    let dir = std::env::var_os("REPORT_OUT").map_or_else(
        || std::env::temp_dir().join(format!("report-test-{}", std::process::id())),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("create output directory");
    dir
}

/// pdftotext -layout breaks lines and spaces as it sees fit: compare with whitespace removed.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_fixture_renders_reproducibly_and_passes_the_tools() {
    let dir = out_dir();
    for name in FIXTURES {
        let model = load(name);
        let pdf = render_pdf(&model).expect("render");
        let again = render_pdf(&model).expect("render again");
        assert!(pdf == again, "{name}: a second render differs");
        assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
        assert!(pdf.len() < 150_000, "{name}: {} bytes", pdf.len());
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).expect("write pdf");

        tools::check_pdf_structure(&path);
        tools::check_pdf_fonts(&path);
        tools::check_pdf_ua(&path);
        let layout = [Path::new("-layout"), path.as_path(), Path::new("-")];
        if let Some(text) = tools::run("pdftotext", layout) {
            let flat = squash(&text);
            let expect = |needle: &str, what: &str| {
                assert!(
                    flat.contains(&squash(needle)),
                    "{name}: {what} {needle:?} not found in the text"
                );
            };
            expect(&model.overall.score.to_string(), "overall score");
            let page_one = model.labels.page_of.replace("{page}", "1");
            let page_one = page_one.split("{pages}").next().unwrap_or_default();
            expect(page_one, "footer");
            for flag in &model.red_flags {
                expect(&flag.text, "red flag");
            }
            // The action plan lists the first 12 steps (the result page has them all).
            for action in model.actions.iter().take(12) {
                expect(&action.text, "action");
            }
            for d in &model.dimensions {
                expect(&d.title, "dimension title");
                // The answers that matter are listed; the rest are summed up in a line.
                for a in d.answers.iter().filter(|a| a.matters) {
                    expect(&a.answer, "answer");
                }
            }
            if let Some(firm) = &model.firm_name {
                // The cover has it in full (wrapped); the header an ellipsised start of it.
                expect(firm, "firm name");
                let start: String = firm.chars().take(20).collect();
                let count = flat.matches(&squash(&start)).count();
                assert!(
                    count > 2,
                    "{name}: firm name not in the running header ({count})"
                );
            }
            if model.cohort.is_none() {
                expect(&model.benchmark_note, "benchmark note");
            }
            // Every page but none empty: pdftotext separates pages with form feeds.
            for (i, page) in text
                .split('\u{c}')
                .enumerate()
                .filter(|(_, p)| !p.trim().is_empty())
            {
                assert!(
                    page.lines().filter(|l| !l.trim().is_empty()).count() > 3,
                    "{name}: page {} nearly empty",
                    i + 1
                );
            }
        }
    }
}

/// A consultant's re-assessment: the change table follows the comparison.
fn with_progress(mut model: ReportModel) -> ReportModel {
    let mut rows = vec![vec![
        "Gesamt".to_owned(),
        model.overall.score.saturating_sub(6).to_string(),
        model.overall.score.to_string(),
        "+6".to_owned(),
        "+2".to_owned(),
    ]];
    for d in &model.dimensions {
        rows.push(vec![
            d.title.clone(),
            d.score.saturating_sub(5).to_string(),
            d.score.to_string(),
            "+5".to_owned(),
            "+1".to_owned(),
        ]);
    }
    model.progress = Some(social_readiness::report::Progress {
        heading: "Veränderung seit der letzten Einschätzung".into(),
        caption: "Punkte vorher und jetzt, und die Veränderung der Vergleichsgruppe.".into(),
        columns: [
            "Thema",
            "Vorher",
            "Jetzt",
            "Veränderung",
            "Vergleichsgruppe",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: None,
        topics: std::iter::once(("Gesamt".to_owned(), model.overall.score))
            .chain(model.dimensions.iter().map(|d| (d.title.clone(), d.score)))
            .map(|(title, score)| social_readiness::report::TopicChange {
                title,
                before: score.saturating_sub(6),
                after: score,
                peer_change: Some(2),
            })
            .collect(),
        chart_title: "Punkte je Bereich, vorher und jetzt".into(),
        chart_labels: ["Vorher", "Jetzt", "Veränderung", "Vergleichsgruppe"].map(String::from),
    });
    model
}

/// The board's one-page summary with a chart and tables, as the chamber's dashboard makes it.
fn board_summary(lang: &str) -> social_readiness::report::board::BoardSummary {
    use social_readiness::report::board::{BoardSummary, BoardTable};
    let bars = [
        "Strategie",
        "Datenschutz",
        "Krisenkommunikation",
        "Barrierefreiheit",
    ]
    .iter()
    .enumerate()
    .map(|(i, label)| DimensionBar {
        label: (*label).into(),
        score: 40 + 10 * i as u8,
        peers: Some(PeerBand {
            p25: 30,
            median: 45 + i as u8,
            p75: 60,
        }),
        gap: None,
    })
    .collect();
    BoardSummary {
        title: "Zusammenfassung für den Vorstand".into(),
        selection: "Alle Kampagnen, 2026".into(),
        as_of: "Stand: 22.11.2026".into(),
        participants_label: "Teilnehmende Unternehmen".into(),
        participants: "42".into(),
        chart: Some(DimensionChart {
            bars,
            axis_label: "Punkte (0–100)".into(),
            legend: Some([
                "Median der Kampagne".into(),
                "Mittlere Hälfte aller Unternehmen".into(),
                "Median aller Unternehmen".into(),
            ]),
        }),
        chart_title: "Median je Thema".into(),
        tables: vec![BoardTable {
            heading: "Reifegrade".into(),
            columns: vec!["Stufe".into(), "n".into(), "Anteil".into()],
            widths: vec![0.6, 0.2, 0.2],
            numeric: vec![false, true, true],
            rows: vec![
                vec!["1 – Einstieg".into(), "12".into(), "29 %".into()],
                vec![
                    "2 – Grundlagen".into(),
                    "unterdrückt (weniger als 5)".into(),
                ],
            ],
        }],
        footnote: "Zahlen erst ab 5 Unternehmen.".into(),
        creation_date: (2026, 11, 22),
        lang: lang.into(),
    }
}

#[test]
fn a_re_assessment_and_the_board_summary_are_tagged_pdf_ua() {
    let dir = out_dir();
    let model = with_progress(load("mixed_de"));
    let pdf = render_pdf(&model).expect("render");
    assert!(pdf.len() < 150_000, "{} bytes", pdf.len());
    let path = dir.join("progress_mixed_de.pdf");
    std::fs::write(&path, &pdf).expect("write");
    tools::check_pdf_structure(&path);
    tools::check_pdf_ua(&path);
    if let Some(text) = tools::pdf_text(&path) {
        let flat = squash(&text);
        assert!(flat.contains(&squash("Veränderung seit der letzten")));
        // The before/after chart: its title, and each topic's earlier and current points.
        assert!(flat.contains(&squash("Punkte je Bereich, vorher und jetzt")));
        for d in &model.dimensions {
            let row = format!("{} → {}", d.score.saturating_sub(6), d.score);
            assert!(flat.contains(&squash(&row)), "{row} not in the chart");
        }
    }

    let board = social_readiness::report::board::render_board(&board_summary("de")).expect("board");
    let path = dir.join("board_de.pdf");
    std::fs::write(&path, &board).expect("write");
    tools::check_pdf_structure(&path);
    tools::check_pdf_ua(&path);
    if let Some(info) = tools::run("pdfinfo", [path.as_path()]) {
        assert!(info.contains("Pages:           1"), "{info}");
        assert!(info.contains("Tagged:          yes"), "{info}");
    }
}

/// What the checker cannot see, read from the file itself: the structure elements a screen
/// reader walks, the figures' words, the language, the title shown and the PDF/UA claim.
#[test]
fn the_structure_tree_holds_headings_lists_tables_and_described_figures() {
    let model = load("mixed_en");
    let pdf = render_pdf(&model).expect("render");
    let path = out_dir().join("structure_mixed_en.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let Some(qdf) = tools::run(
        "qpdf",
        [
            Path::new("--qdf"),
            Path::new("--object-streams=disable"),
            path.as_path(),
            Path::new("-"),
        ],
    ) else {
        return;
    };
    for needle in [
        "/Lang (en)",
        "/Marked true",
        "/DisplayDocTitle true",
        "<pdfuaid:part>1</pdfuaid:part>",
        "/S /Document",
        "/S /H1",
        "/S /H2",
        "/S /H3",
        "/S /P",
        "/S /L",
        "/S /LI",
        "/S /Lbl",
        "/S /LBody",
        "/S /Table",
        "/S /TR",
        "/S /TH",
        "/S /TD",
        "/S /Figure",
        "/Scope /Column",
        // Content streams keep the writer's own spelling.
        "/Artifact<</Type/Pagination>>BDC",
        "/StructParents 0",
    ] {
        assert!(qdf.contains(needle), "{needle} not in the file");
    }
    // Three figures, each described: qpdf writes the UTF-16 /Alt strings as hex or plain
    // text, so count them and look for the words in pdf.rs' own encoding.
    assert_eq!(qdf.matches("/S /Figure").count(), 3);
    assert_eq!(qdf.matches("/Alt ").count(), 3);
    let hex = |s: &str| -> String {
        s.encode_utf16()
            .map(|u| format!("{u:04x}"))
            .collect::<String>()
    };
    let lower = qdf.to_lowercase();
    for d in &model.dimensions {
        // "Title 62" in the figures' words.
        let words = format!("{} {}", d.title, d.score);
        assert!(
            lower.contains(&hex(&words)) || qdf.contains(&words),
            "{words:?} not in a figure's alternative text"
        );
    }
}

#[test]
fn the_charts_are_searchable_text_in_the_pdf() {
    let dir = out_dir();
    let model = load("mixed_en");
    let pdf = render_pdf(&model).expect("render");
    let path = dir.join("charts_mixed_en.pdf");
    std::fs::write(&path, &pdf).expect("write");
    // Page 2, the summary, holds the radar: every dimension title appears there (the radar
    // splits long labels in two lines, so compare without whitespace).
    let page_two = [
        Path::new("-f"),
        Path::new("2"),
        Path::new("-l"),
        Path::new("2"),
        path.as_path(),
        Path::new("-"),
    ];
    let Some(text) = tools::run("pdftotext", page_two) else {
        return;
    };
    let flat = squash(&text);
    for d in &model.dimensions {
        assert!(
            flat.contains(&squash(&d.title)),
            "chart label {:?} not on page 2",
            d.title
        );
    }
}

#[test]
fn a_firm_name_beyond_the_usual_characters_is_embedded_and_searchable() {
    // Greek, Cyrillic and Polish letters are outside the cached base subset of the fonts.
    let firm = "Ωμέγα Пекарня Łódź Sp. z o.o.";
    let mut model = load("mixed_de");
    model.firm_name = Some(firm.into());
    let pdf = render_pdf(&model).expect("render");
    assert!(
        pdf == render_pdf(&model).expect("render again"),
        "a second render differs"
    );
    let path = out_dir().join("unusual_firm_name.pdf");
    std::fs::write(&path, &pdf).expect("write pdf");
    tools::check_pdf_structure(&path);
    tools::check_pdf_fonts(&path);
    let page_one = [
        Path::new("-f"),
        Path::new("1"),
        Path::new("-l"),
        Path::new("1"),
        path.as_path(),
        Path::new("-"),
    ];
    if let Some(text) = tools::run("pdftotext", page_one) {
        assert!(
            squash(&text).contains(&squash(firm)),
            "firm name not found in:\n{text}"
        );
    }
}

#[test]
fn dimension_chart_svg_still_works() {
    let chart = DimensionChart {
        axis_label: "Punkte".into(),
        legend: Some(["Sie".into(), "Mitte".into(), "Median".into()]),
        bars: vec![DimensionBar {
            label: "Recht & Datenschutz".into(),
            score: 42,
            peers: Some(PeerBand {
                p25: 30,
                median: 45,
                p75: 60,
            }),
            gap: None,
        }],
    };
    let svg = charts::dimension_chart_svg(&chart, "Ihre Werte", "dims");
    assert!(svg.starts_with("<svg xmlns"));
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains("Recht &amp; Datenschutz"));
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn radar_and_matrix_svgs_name_themselves() {
    let model = load("mixed_de");
    let radar = charts::RadarChart {
        axes: model
            .dimensions
            .iter()
            .map(|d| charts::RadarAxis {
                label: d.title.clone(),
                score: d.score,
                peers: None,
                gap: None,
            })
            .collect(),
        legend: ["Sie".into(), "Median".into(), "p75".into()],
    };
    let svg = charts::radar_chart_svg(&radar, "Profil", "radar");
    assert!(
        svg.contains(r#"role="img""#) && svg.contains("<title id=\"radar-title\">Profil</title>")
    );
    assert!(svg.contains("Strategie &amp;") && svg.contains(">Ziele<") || svg.contains("Ziele"));
    let matrix = charts::PriorityMatrix {
        points: model
            .dimensions
            .iter()
            .map(|d| charts::MatrixPoint {
                label: d.title.clone(),
                score: d.score,
                importance: d.importance,
                answered: true,
            })
            .collect(),
        score_axis: "Punkte".into(),
        importance_axis: "Bedeutung".into(),
        importance_levels: [
            "gering".into(),
            "mittel".into(),
            "hoch".into(),
            "kritisch".into(),
        ],
        quadrants: ["A".into(), "B".into(), "C".into(), "D".into()],
    };
    let svg = charts::priority_matrix_svg(&matrix, "Prioritäten", "matrix");
    assert!(svg.contains("<title id=\"matrix-title\">Prioritäten</title>"));
    assert!(svg.contains("Erfolgsmessung"));
}
