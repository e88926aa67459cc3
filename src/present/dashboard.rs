//! The chamber's dashboard in words: the summary the page and the board PDF show (every number
//! already a string, a hidden cell saying why), the board's one-page model, the filter described,
//! and the German CSV. Pure: it reads `dashboard` results, which have passed disclosure control.
use serde::Serialize;

use super::labels::{format_date, profile_option_label, signed};
use super::report::calendar_date;
use super::texts::text;
use crate::benchmark::{Industry, Region, SizeClass, SuppressionReason};
use crate::campaigns::CampaignRecord;
use crate::charts::{DimensionBar, DimensionChart, PeerBand, dimension_chart_svg};
use crate::dashboard::{
    CampaignId, Cell, Dashboard, Filter, Keyed, Month, RegionGroup, Sector, SizeBand, Spread,
};
use crate::report::board::{BoardSummary, BoardTable};
use crate::survey::{Catalogue, Lang};

/// A cell as text: its value, or why it is hidden (never its n).
fn show<T>(cell: &Cell<T>, lang: Lang, k: u32, value: impl Fn(&T) -> String) -> String {
    match cell {
        Cell::Published {
            value: v, as_of, ..
        } => with_as_of(value(v), lang, *as_of),
        Cell::Suppressed { reason } => suppressed(lang, *reason, k),
    }
}

/// A label or value shown at an earlier state says so in words: "… (Stand: 03/2026)".
fn with_as_of(shown: String, lang: Lang, as_of: Option<Month>) -> String {
    match as_of {
        Some(m) => format!(
            "{shown} ({})",
            text(lang, "dashboard_as_of").replace("{month}", &month_label(lang, m))
        ),
        None => shown,
    }
}

/// The board's short form of a hidden row's reason (one line in a narrow cell; the footnote
/// explains the rules), found from the row's full note.
fn short_note(lang: Lang, note: &str, k: u32) -> String {
    let key = if note == suppressed(lang, SuppressionReason::TooFew, k) {
        "suppressed_too_few_short"
    } else if note == suppressed(lang, SuppressionReason::Unchecked, k) {
        "suppressed_unchecked_short"
    } else if note == suppressed(lang, SuppressionReason::Pending, k) {
        "suppressed_pending_short"
    } else {
        "suppressed_protects_short"
    };
    text(lang, key).replace("{k}", &k.to_string())
}

pub fn suppressed(lang: Lang, reason: SuppressionReason, k: u32) -> String {
    let key = match reason {
        SuppressionReason::TooFew => "suppressed_too_few",
        SuppressionReason::Differencing => "suppressed_differencing",
        SuppressionReason::Complementary => "suppressed_complementary",
        SuppressionReason::Unchecked => "suppressed_unchecked",
        SuppressionReason::Pending => "suppressed_pending",
    };
    text(lang, key).replace("{k}", &k.to_string())
}

#[derive(Serialize)]
pub struct DataRow {
    pub label: String,
    /// n first, then the values; empty when the row is hidden.
    pub cells: Vec<String>,
    pub suppressed: bool,
    /// Why the row is hidden (never its n), shown across `span` columns.
    pub note: String,
    pub span: usize,
}

fn row<T>(
    label: String,
    cell: &Cell<T>,
    lang: Lang,
    k: u32,
    values: impl Fn(&T) -> Vec<String>,
    width: usize,
) -> DataRow {
    match cell {
        Cell::Published { n, value, as_of } => {
            let mut cells = vec![n.to_string()];
            cells.extend(values(value));
            DataRow {
                label: with_as_of(label, lang, *as_of),
                cells,
                suppressed: false,
                note: String::new(),
                span: width + 1,
            }
        }
        Cell::Suppressed { reason } => DataRow {
            label,
            cells: Vec::new(),
            suppressed: true,
            note: suppressed(lang, *reason, k),
            span: width + 1,
        },
    }
}

fn spread(s: &Spread) -> Vec<String> {
    vec![s.median.to_string(), format!("{}–{}", s.p25, s.p75)]
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// What the dashboard page, and the one-page PDF, show: every number already a string.
#[derive(Serialize)]
pub struct DashboardSummary {
    pub participants: String,
    pub published: bool,
    pub participation: Vec<DataRow>,
    pub levels: Vec<DataRow>,
    pub scores: Vec<DataRow>,
    pub by_industry: Vec<DataRow>,
    pub by_size: Vec<DataRow>,
    pub by_region: Vec<DataRow>,
    pub red_flags: Vec<DataRow>,
    pub change: Option<ChangeView>,
    pub chart_svg: String,
    pub chart_caption: String,
    pub description: String,
}

#[derive(Serialize)]
pub struct ChangeView {
    pub heading: String,
    pub participants: String,
    pub medians: Vec<DataRow>,
}

fn month_label(lang: Lang, m: Month) -> String {
    match lang {
        Lang::De => format!("{:02}/{}", m.month(), m.year()),
        Lang::En => m.to_string(),
    }
}

fn red_flag_label(catalogue: &Catalogue, lang: Lang, id: &str) -> String {
    catalogue
        .dimensions
        .iter()
        .flat_map(|d| &d.questions)
        .flat_map(|q| &q.options)
        .filter_map(|o| o.red_flag.as_ref())
        .find(|f| f.id == id)
        .map_or_else(|| id.to_owned(), |f| f.text.get(lang).to_owned())
}

fn dimension_label(catalogue: &Catalogue, lang: Lang, id: &str) -> String {
    if id == "overall" {
        return text(lang, "overall");
    }
    catalogue
        .dimension(id)
        .map_or_else(|| id.to_owned(), |d| d.title.get(lang).to_owned())
}

/// The selection's median per topic against all firms' p25–p75 and median: for the page (SVG)
/// and the board PDF, from the same chart code. None when no topic may be shown.
fn dashboard_chart(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
) -> Option<DimensionChart> {
    let bars = dashboard
        .scores
        .iter()
        .filter(|r| r.id != "overall")
        .filter_map(|r| {
            let own = r.cohort.value()?;
            Some(DimensionBar {
                label: dimension_label(catalogue, lang, &r.id),
                score: own.median,
                peers: r.all_firms.value().map(|a| PeerBand {
                    p25: a.p25,
                    median: a.median,
                    p75: a.p75,
                }),
                gap: None,
            })
        })
        .collect::<Vec<_>>();
    // The legend names the all-firms band and median only when the chart draws them.
    let peers_drawn = bars.iter().any(|b| b.peers.is_some());
    (!bars.is_empty()).then(|| DimensionChart {
        axis_label: text(lang, "chart_axis"),
        legend: peers_drawn.then(|| {
            [
                text(lang, "legend_selection"),
                text(lang, "legend_all_band"),
                text(lang, "legend_all_median"),
            ]
        }),
        bars,
    })
}

/// The chart's title: "against all firms" only when it draws them.
fn chart_title(lang: Lang, chart: Option<&DimensionChart>) -> String {
    text(
        lang,
        if chart.is_some_and(|c| c.legend.is_some()) {
            "dashboard_chart_title"
        } else {
            "dashboard_chart_title_selection"
        },
    )
}

/// The board's one-page summary: participants, the chart, scores, levels and the most common
/// red flags, each row as the page shows it (a hidden row says why).
pub fn board_summary(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
    summary: &DashboardSummary,
    as_of_ms: i64,
) -> BoardSummary {
    let cells =
        |rows: &mut dyn Iterator<Item = &DataRow>, keep: usize, limit: usize| -> Vec<Vec<String>> {
            rows.take(limit)
                .map(|r| {
                    let mut line = vec![r.label.clone()];
                    if r.suppressed {
                        line.push(short_note(lang, &r.note, dashboard.k));
                    } else {
                        line.extend(r.cells.iter().take(keep).cloned());
                    }
                    line
                })
                .collect()
        };
    let t = |key: &str| text(lang, key);
    let mut tables = Vec::new();
    if summary.published {
        tables.push(BoardTable {
            heading: t("dashboard_levels"),
            columns: vec![t("level"), "n".into(), t("firms"), t("share")],
            widths: vec![0.44, 0.12, 0.26, 0.18],
            numeric: vec![false, true, true, true],
            rows: cells(&mut summary.levels.iter(), 3, usize::MAX),
        });
        tables.push(BoardTable {
            heading: t("dashboard_red_flags_top"),
            columns: vec![t("red_flag_label"), "n".into(), t("firms"), t("share")],
            widths: vec![0.5, 0.1, 0.24, 0.16],
            numeric: vec![false, true, true, true],
            rows: {
                // Only shown rows rank: a hidden flag is not known to be common.
                let shown = cells(
                    &mut summary.red_flags.iter().filter(|r| !r.suppressed),
                    3,
                    3,
                );
                if shown.is_empty() {
                    vec![vec![
                        t("dashboard_red_flags_none_shown")
                            .replace("{k}", &dashboard.k.to_string()),
                    ]]
                } else {
                    shown
                }
            },
        });
    }
    let (year, month, day) = calendar_date(as_of_ms);
    let chart = dashboard_chart(catalogue, lang, dashboard);
    BoardSummary {
        title: t("board_title"),
        selection: summary.description.clone(),
        as_of: t("board_as_of").replace("{date}", &format_date(lang, as_of_ms)),
        participants_label: t("dashboard_participants"),
        participants: summary.participants.clone(),
        chart_title: chart_title(lang, chart.as_ref()),
        chart,
        tables,
        footnote: {
            // Topics the chart leaves out, and why: nothing disappears silently. One note per
            // reason, naming its topics, so the footnote stays short enough for one page.
            let mut by_note: Vec<(&str, Vec<&str>)> = Vec::new();
            for r in summary.scores.iter().filter(|r| r.suppressed) {
                match by_note.iter_mut().find(|(note, _)| *note == r.note) {
                    Some((_, labels)) => labels.push(&r.label),
                    None => by_note.push((&r.note, vec![&r.label])),
                }
            }
            let mut hidden: Vec<String> = by_note
                .iter()
                .map(|(note, labels)| format!("{}: {}", labels.join(", "), note))
                .collect();
            // The chart draws no all-firms band then; say why rather than leave it out.
            if let Some(reason) = dashboard.scores.first().and_then(|r| r.all_firms.reason()) {
                let label = t("all_firms");
                let mut chars = label.chars();
                let label: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                hidden.push(format!(
                    "{label}: {}",
                    suppressed(lang, reason, dashboard.k)
                ));
            }
            // Group figures may lag behind the total (released memberships): said once.
            if !summary.published {
                t("dashboard_privacy")
            } else if hidden.is_empty() {
                format!("{} {}", t("dashboard_privacy"), t("dashboard_lag_note"))
            } else {
                format!(
                    "{}. {} {}",
                    hidden.join("; "),
                    t("dashboard_privacy"),
                    t("dashboard_lag_note")
                )
            }
        },
        creation_date: (year, month, day),
        lang: lang.code().into(),
    }
}

/// One breakdown (by industry, size class or region) as rows labelled from the catalogue.
fn breakdown<K: Copy>(
    catalogue: &Catalogue,
    lang: Lang,
    k: u32,
    question: &str,
    cells: &[Keyed<K, Spread>],
    code: fn(K) -> &'static str,
) -> Vec<DataRow> {
    cells
        .iter()
        .map(|Keyed { key, cell }| {
            let label = profile_option_label(catalogue, lang, question, code(*key));
            row(label, cell, lang, k, spread, 2)
        })
        .collect()
}

/// Level rows: the single levels, or the merged bands when the dashboard had to merge some.
fn level_rows(catalogue: &Catalogue, lang: Lang, dashboard: &Dashboard) -> Vec<DataRow> {
    let name = |l: u8| catalogue.level(l).name.get(lang).to_owned();
    let values = |s: &crate::dashboard::Share| vec![s.count.to_string(), percent(s.share)];
    // One band "1–5" is the selection itself, not a distribution: then the single levels,
    // each saying why it is hidden.
    if dashboard.level_bands.len() < 2
        || dashboard.level_bands.iter().all(|b| b.key.from == b.key.to)
    {
        return dashboard
            .levels
            .iter()
            .map(|Keyed { key, cell }| {
                row(
                    format!("{key} – {}", name(*key)),
                    cell,
                    lang,
                    dashboard.k,
                    values,
                    2,
                )
            })
            .collect();
    }
    dashboard
        .level_bands
        .iter()
        .map(|Keyed { key, cell }| {
            let label = if key.from == key.to {
                format!("{} – {}", key.from, name(key.from))
            } else {
                text(lang, "level_band_label")
                    .replace("{from}", &key.from.to_string())
                    .replace("{to}", &key.to.to_string())
                    .replace("{first}", &name(key.from))
                    .replace("{last}", &name(key.to))
            };
            row(label, cell, lang, dashboard.k, values, 2)
        })
        .collect()
}

/// A breakdown by a coarser grouping, labelled from the texts (`{prefix}_{id}`).
fn grouped<G: Copy>(
    lang: Lang,
    k: u32,
    prefix: &str,
    cells: &[Keyed<G, Spread>],
    id: fn(G) -> &'static str,
) -> Vec<DataRow> {
    cells
        .iter()
        .map(|Keyed { key, cell }| {
            row(
                text(lang, &format!("{prefix}_{}", id(*key))),
                cell,
                lang,
                k,
                spread,
                2,
            )
        })
        .collect()
}

/// The fine rows, unless the coarser grouping shows more of them.
fn finest(fine: Vec<DataRow>, coarse: Vec<DataRow>) -> Vec<DataRow> {
    let shown = |rows: &[DataRow]| rows.iter().filter(|r| !r.suppressed).count();
    if shown(&coarse) > shown(&fine) {
        coarse
    } else {
        fine
    }
}

pub fn summarise(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
    description: String,
) -> DashboardSummary {
    let k = dashboard.k;
    let chart = dashboard_chart(catalogue, lang, dashboard);
    let chart_svg = chart
        .as_ref()
        .map(|c| dimension_chart_svg(c, &chart_title(lang, Some(c)), "dashboard-chart"))
        .unwrap_or_default();
    // The caption names the all-firms band only when the chart draws it.
    let chart_caption = text(
        lang,
        if chart.as_ref().is_some_and(|c| c.legend.is_some()) {
            "dashboard_chart_caption"
        } else {
            "dashboard_chart_caption_selection"
        },
    );
    DashboardSummary {
        participants: show(&dashboard.participants, lang, k, |n| n.to_string()),
        published: dashboard.is_published(),
        participation: dashboard
            .participation
            .iter()
            .map(|Keyed { key, cell }| row(month_label(lang, *key), cell, lang, k, |_| vec![], 0))
            .collect(),
        levels: level_rows(catalogue, lang, dashboard),
        scores: dashboard
            .scores
            .iter()
            .map(|r| {
                let label = dimension_label(catalogue, lang, &r.id);
                let mut data = row(label, &r.cohort, lang, k, spread, 2);
                data.cells
                    .push(show(&r.all_firms, lang, k, |s| s.median.to_string()));
                data.cells.push(show(&r.all_firms, lang, k, |s| {
                    format!("{}–{}", s.p25, s.p75)
                }));
                data
            })
            .collect(),
        // Each breakdown in the finest grouping that shows the most rows (issue 14).
        by_industry: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "industry",
                &dashboard.by_industry,
                Industry::as_str,
            ),
            grouped(lang, k, "sector", &dashboard.by_sector, Sector::as_str),
        ),
        by_size: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "size",
                &dashboard.by_size,
                SizeClass::as_str,
            ),
            grouped(
                lang,
                k,
                "size_band",
                &dashboard.by_size_band,
                SizeBand::as_str,
            ),
        ),
        by_region: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "region",
                &dashboard.by_region,
                Region::as_str,
            ),
            grouped(
                lang,
                k,
                "region_group",
                &dashboard.by_region_group,
                RegionGroup::as_str,
            ),
        ),
        red_flags: dashboard
            .red_flags
            .iter()
            .map(|Keyed { key, cell }| {
                row(
                    red_flag_label(catalogue, lang, key),
                    cell,
                    lang,
                    k,
                    |s| vec![s.count.to_string(), percent(s.share)],
                    2,
                )
            })
            .collect(),
        change: dashboard.change.as_ref().map(|c| ChangeView {
            heading: text(lang, "dashboard_change_heading")
                .replace("{from}", &month_label(lang, c.before.from()))
                .replace("{to}", &month_label(lang, c.before.to())),
            participants: show(&c.participants, lang, k, |ch| {
                format!("{} → {} ({})", ch.before, ch.after, signed(ch.delta))
            }),
            medians: c
                .medians
                .iter()
                .map(|Keyed { key, cell }| {
                    row(
                        dimension_label(catalogue, lang, key),
                        cell,
                        lang,
                        k,
                        |ch| {
                            vec![
                                ch.before.to_string(),
                                ch.after.to_string(),
                                signed(ch.delta),
                            ]
                        },
                        3,
                    )
                })
                .collect(),
        }),
        chart_svg,
        chart_caption,
        description,
    }
}

/// The filter in words, for the page, the CSV's file and the PDF.
pub fn describe(
    catalogue: &Catalogue,
    lang: Lang,
    campaigns: &[CampaignRecord],
    filter: &Filter,
) -> String {
    let mut parts = Vec::new();
    if filter.campaigns.is_empty() {
        parts.push(text(lang, "all_campaigns"));
    } else {
        parts.extend(
            campaigns
                .iter()
                .filter(|c| {
                    filter
                        .campaigns
                        .contains(&CampaignId::new(c.id.to_string()))
                })
                .map(|c| c.name.clone()),
        );
    }
    if let Some(p) = filter.period {
        parts.push(format!(
            "{} – {}",
            month_label(lang, p.from()),
            month_label(lang, p.to())
        ));
    }
    if let Some(i) = filter.industry {
        parts.push(profile_option_label(
            catalogue,
            lang,
            "industry",
            i.as_str(),
        ));
    }
    if let Some(s) = filter.size {
        parts.push(profile_option_label(catalogue, lang, "size", s.as_str()));
    }
    if let Some(r) = filter.region {
        parts.push(profile_option_label(catalogue, lang, "region", r.as_str()));
    }
    parts.join(" · ")
}

/// The dashboard's figures come from one catalogue version; firms that answered an older one
/// are counted apart (an exact count only from k on, like every other count).
pub fn versions_note(lang: Lang, version: &str, older: usize, k: u32) -> String {
    let mut note = text(lang, "dashboard_version").replace("{version}", version);
    if older > 0 {
        let count = if older < k as usize {
            text(lang, "dashboard_older_few").replace("{k}", &k.to_string())
        } else {
            older.to_string()
        };
        note.push(' ');
        note.push_str(&text(lang, "dashboard_older_responses").replace("{count}", &count));
    }
    note
}

/// The CSV as German Excel opens it: a byte order mark, semicolons, decimal commas, German
/// headers and labels instead of codes.
pub fn german_csv(catalogue: &Catalogue, dashboard: &Dashboard) -> String {
    let lang = Lang::De;
    let word = |w: &str| {
        match w {
            "section" => "Bereich",
            "key" => "Merkmal",
            "measure" => "Kennzahl",
            "value" => "Wert",
            "note" => "Hinweis",
            "as_of" => "Stand",
            "participants" => "Teilnehmende",
            "participation" => "Teilnahme je Monat",
            "level" => "Stufe",
            "score" => "Punktwert (Auswahl)",
            "score_all_firms" => "Punktwert (alle Unternehmen)",
            "industry" => "Branche",
            "size" => "Größe",
            "region" => "Bundesland",
            "level_band" => "Stufen (zusammengefasst)",
            "sector" => "Wirtschaftsbereich",
            "size_band" => "Größe (zusammengefasst)",
            "region_group" => "Landesteil",
            "red_flag" => "Warnsignal",
            "change" => "Veränderung",
            "count" => "Anzahl",
            "share" => "Anteil",
            "p25" => "25. Perzentil",
            "median" => "Median",
            "p75" => "75. Perzentil",
            "before" => "vorher",
            "after" => "nachher",
            "delta" => "Differenz",
            "suppressed" => "ausgeblendet",
            "period" => "Vergleichszeitraum",
            "since" => "Vergleich mit",
            "groups" => "Gruppen",
            "lag_note" => {
                "Zahlen einzelner Gruppen werden erst aktualisiert, wenn sich mindestens {k} \
                 Unternehmen darin geändert haben. Sie können daher hinter der Gesamtzahl \
                 zurückliegen. Wo sich aus dem neuesten Stand einer Gruppe und den übrigen \
                 Zahlen weniger als {k} Unternehmen herausrechnen ließen, wird ein früherer \
                 Stand dieser Gruppe gezeigt. Die Spalte „Stand“ nennt dann den Monat der \
                 letzten Antwort, die er zählt."
            }
            other => other,
        }
        .to_owned()
    };
    let key = |section: &str, key: &str| match section {
        "participants" => "alle".to_owned(),
        "participation" => key
            .parse::<Month>()
            .map_or_else(|_| key.to_owned(), |m| month_label(lang, m)),
        "level" => key.parse::<u8>().map_or_else(
            |_| key.to_owned(),
            |l| format!("{l} – {}", catalogue.level(l).name.get(lang)),
        ),
        "score" | "score_all_firms" => dimension_label(catalogue, lang, key),
        "change_median" => format!("Median {}", dimension_label(catalogue, lang, key)),
        "change" if key == "participants" => "Teilnehmende".to_owned(),
        "industry" | "size" | "region" => profile_option_label(catalogue, lang, section, key),
        "red_flag" => red_flag_label(catalogue, lang, key),
        "level_band" => format!("Stufen {}", key.replace('-', "–")),
        "sector" | "size_band" | "region_group" => text(lang, &format!("{section}_{key}")),
        _ => key.to_owned(),
    };
    let note = |reason: SuppressionReason, k: u32| suppressed(lang, reason, k);
    crate::dashboard::to_csv_in(
        dashboard,
        &crate::dashboard::CsvDialect {
            separator: ';',
            bom: true,
            decimal_comma: true,
            word: &word,
            key: &key,
            note: &note,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::{CohortKey, DisclosurePolicy};
    use crate::dashboard::utility_tests::{FIRST_WAVE, simulate};
    use crate::dashboard::{DashboardCatalogue, DashboardInputs, Filter, PublishedCampaigns};

    /// The first wave's dashboard of all campaigns, and whether the benchmark publishes "all
    /// firms" (passed to the dashboard unless `all_firms_hidden`).
    fn first_wave_dashboard(all_firms_hidden: bool) -> (bool, Dashboard) {
        let policy = DisclosurePolicy::default();
        let wave = simulate(&FIRST_WAVE);
        let verdicts = wave.book.disclose(&policy).expect("disclose");
        let all_firms = verdicts.get(&CohortKey::All);
        let published = matches!(all_firms, Some(crate::benchmark::Disclosure::Published(_)));
        let data = PublishedCampaigns::from_publications(&wave.publications).expect("data");
        let ids = DashboardCatalogue::from_catalogue(crate::survey::current());
        let inputs = DashboardInputs {
            policy: &policy,
            catalogue: &ids,
            data: &data,
            all_firms: if all_firms_hidden { None } else { all_firms },
        };
        let dashboard = Dashboard::compute(&inputs, &Filter::all(), None).expect("dashboard");
        (published, dashboard)
    }

    /// The first wave of issue 14 (21 firms, 85 % in one region) on the page and the board, with
    /// "all firms" as the benchmark discloses it or hidden; and whether the benchmark publishes it.
    fn first_wave(all_firms_hidden: bool) -> (bool, DashboardSummary, BoardSummary) {
        let (published, dashboard) = first_wave_dashboard(all_firms_hidden);
        let catalogue = crate::survey::current();
        let lang = Lang::De;
        let summary = summarise(catalogue, lang, &dashboard, "Erste Welle".into());
        // 2026-11-27, fixed so that the page does not depend on the day the test runs.
        let board = board_summary(catalogue, lang, &dashboard, &summary, 1_795_780_800_000);
        (published, summary, board)
    }

    /// The board summary of the first wave: "all firms" is published now (it is never hidden
    /// once it has k firms), so the chart draws its band beside every topic, the legend names
    /// it, and it all fits one page.
    #[test]
    fn first_wave_board_summary_is_one_page_with_its_chart() {
        let (all_firms_published, summary, board) = first_wave(false);
        let chart = board
            .chart
            .as_ref()
            .expect("the selection's medians are shown");
        assert!(all_firms_published, "all firms is shown on the first wave");
        assert!(chart.bars.iter().all(|b| b.peers.is_some()));
        assert!(
            chart.legend.is_some(),
            "the band that is drawn has its legend entry"
        );
        assert_eq!(
            board.chart_title,
            "Median der Auswahl je Thema gegen alle Unternehmen"
        );
        assert!(summary.chart_caption.contains("aller Unternehmen"));
        assert!(
            !board.footnote.contains("ausgeblendet"),
            "{}",
            board.footnote
        );
        let pdf = crate::report::board::render_board(&board).expect("pdf");
        let count = pdf
            .windows(19)
            .find(|w| w.starts_with(b"/Type/Pages/Count "));
        assert_eq!(count.map(|w| w[18]), Some(b'1'), "one page");
    }

    /// The first wave with "all firms" hidden (say, too few firms in the whole service): the
    /// chart draws the selection alone, so neither its title nor the page's caption promises
    /// all firms; and the board ranks only red flags that are shown, since a hidden flag is not
    /// known to be common (found looking at the first wave's board PDF).
    #[test]
    fn the_board_promises_only_what_it_draws_and_ranks_only_shown_flags() {
        let (_, summary, board) = first_wave(true);
        let chart = board
            .chart
            .as_ref()
            .expect("the selection's medians are shown");
        assert!(chart.bars.iter().all(|b| b.peers.is_none()));
        assert_eq!(board.chart_title, "Median der Auswahl je Thema");
        assert!(
            summary.chart_caption.contains("ausgeblendet")
                && !summary.chart_caption.contains("Median aller"),
            "{}",
            summary.chart_caption
        );
        let flags = board
            .tables
            .iter()
            .find(|t| t.heading.starts_with("Die häufigsten Warnsignale"))
            .expect("the red flags table");
        let shown: Vec<&DataRow> = summary.red_flags.iter().filter(|r| !r.suppressed).collect();
        if shown.is_empty() {
            assert_eq!(flags.rows.len(), 1, "{:?}", flags.rows);
            assert!(flags.rows[0][0].starts_with("Kein Warnsignal kann gezeigt werden"));
            assert!(flags.rows[0][0].contains("weniger als 5 Unternehmen"));
        } else {
            let labels: Vec<&str> = flags.rows.iter().map(|r| r[0].as_str()).collect();
            let expected: Vec<&str> = shown.iter().take(3).map(|r| r.label.as_str()).collect();
            assert_eq!(labels, expected);
        }
    }

    /// A figure shown at an earlier state says so on its own row, in the page's label, the
    /// CSV's "Stand" column and the board's table, and nowhere else (issue 14, honest words).
    #[test]
    fn an_earlier_figure_is_marked_on_its_row_everywhere() {
        let (_, mut dashboard) = first_wave_dashboard(true);
        let catalogue = crate::survey::current();
        let march = Month::new(2026, 3).expect("month");
        // Every shown level and band of levels as of March: the page shows one of the two.
        let cells = dashboard
            .levels
            .iter_mut()
            .map(|row| &mut row.cell)
            .chain(dashboard.level_bands.iter_mut().map(|row| &mut row.cell));
        let mut marked_cells = 0;
        for cell in cells {
            if let Cell::Published { as_of, .. } = cell {
                *as_of = Some(march);
                marked_cells += 1;
            }
        }
        assert!(marked_cells > 0, "the first wave shows a level");
        let lang = Lang::De;
        let summary = summarise(catalogue, lang, &dashboard, "Erste Welle".into());
        let shown: Vec<&DataRow> = summary.levels.iter().filter(|r| !r.suppressed).collect();
        assert!(!shown.is_empty());
        for row in &shown {
            assert!(row.label.ends_with(" (Stand: 03/2026)"), "{}", row.label);
        }
        assert!(
            summary
                .levels
                .iter()
                .filter(|r| r.suppressed)
                .all(|r| !r.label.contains("Stand")),
            "a hidden row has no figure to date"
        );
        assert!(
            summary
                .by_size
                .iter()
                .chain(&summary.scores)
                .all(|r| !r.label.contains("03/2026")),
            "other rows keep their own dates: {:?}",
            summary
                .by_size
                .iter()
                .chain(&summary.scores)
                .map(|r| &r.label)
                .collect::<Vec<_>>()
        );
        let csv = german_csv(catalogue, &dashboard);
        let dated: Vec<&str> = csv
            .lines()
            .filter(|l| l.trim_end().ends_with(";2026-03"))
            .collect();
        assert!(
            !dated.is_empty() && dated.iter().all(|l| l.starts_with("Stufe")),
            "only the levels' lines carry the month: {dated:?}"
        );
        let board = board_summary(catalogue, lang, &dashboard, &summary, 1_795_780_800_000);
        let levels = board
            .tables
            .iter()
            .find(|t| t.heading == text(lang, "dashboard_levels"))
            .expect("the board's level table");
        let dated_rows = levels
            .rows
            .iter()
            .filter(|row| row[0].ends_with(" (Stand: 03/2026)"))
            .count();
        assert_eq!(dated_rows, shown.len(), "{:?}", levels.rows);
    }

    #[test]
    fn the_dashboard_names_its_version_and_counts_older_firms_only_from_k() {
        assert_eq!(
            versions_note(Lang::De, "2027.1", 0, 5),
            "Alle Zahlen stammen aus dem Fragebogen 2027.1."
        );
        let few = versions_note(Lang::De, "2027.1", 3, 5);
        assert!(few.contains("Weniger als 5 Unternehmen"), "{few}");
        assert!(!few.contains('3'), "{few}");
        let many = versions_note(Lang::En, "2027.1", 12, 5);
        assert!(
            many.contains("12 firms in this selection answered the older"),
            "{many}"
        );
    }
}
