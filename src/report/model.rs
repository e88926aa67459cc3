//! The report's input: plain data, already resolved to display text in one language.
use serde::{Deserialize, Serialize};

/// Everything the report shows, in one language. The renderer adds no text of its own except
/// numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportModel {
    /// "de" or "en"; used for number formatting only.
    pub lang: String,
    pub labels: ReportLabels,
    pub firm_name: Option<String>,
    /// Date of the assessment, already formatted, e.g. "14. März 2026".
    pub assessment_date: String,
    /// Version of the questionnaire (catalogue), e.g. "2026.1".
    pub catalogue_version: String,
    pub overall: Overall,
    /// The three strongest dimensions, strongest first.
    pub strongest: Vec<DimensionScore>,
    /// The three weakest dimensions, weakest first.
    pub weakest: Vec<DimensionScore>,
    pub red_flags: Vec<RedFlag>,
    /// The nine dimensions in catalogue order.
    pub dimensions: Vec<Dimension>,
    /// The comparison group; `None` when no group of at least `privacy_threshold` firms exists.
    pub cohort: Option<Cohort>,
    /// Shown instead of comparisons when there is no cohort.
    pub benchmark_note: String,
    /// Already ranked: red flags first.
    pub actions: Vec<Action>,
    /// Paragraphs.
    pub methodology: Vec<String>,
    /// Minimum number of firms in a comparison group (k).
    pub privacy_threshold: u32,
    /// Date of the benchmark data, already formatted.
    pub benchmark_date: Option<String>,
    /// (year, month, day) written into the PDF metadata; fixed so that output is reproducible.
    pub creation_date: (i32, u8, u8),
    /// The change since the firm's previous assessment (a consultant's re-assessment).
    #[serde(default)]
    pub progress: Option<Progress>,
    /// The consultant's brand on a client's report; `None` keeps the service's design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<super::brand::ReportBrand>,
}

/// A table of the change since the previous assessment, already in words and signed numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub heading: String,
    /// What the columns mean, in one sentence.
    pub caption: String,
    /// Column headings: topic, before, now, change, peer change.
    pub columns: Vec<String>,
    /// One row per topic (overall first), cells as shown.
    pub rows: Vec<Vec<String>>,
    /// Why the peer column is empty, if it is.
    pub note: Option<String>,
    /// The same numbers for the before/after chart (overall first); when present, the chart
    /// takes the table's place (the chart's text alternative states every number).
    #[serde(default)]
    pub topics: Vec<TopicChange>,
    /// The chart's title.
    #[serde(default)]
    pub chart_title: String,
    /// Legend and column texts: before, now, the firm's change, the peer group's change.
    #[serde(default)]
    pub chart_labels: [String; 4],
}

/// One row of the before/after chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicChange {
    pub title: String,
    /// 0–100, the earlier and the current assessment.
    pub before: u8,
    pub after: u8,
    /// The change of the peer group's median over the same time, when both assessments were
    /// compared with the same group.
    pub peer_change: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overall {
    /// 0–100.
    pub score: u8,
    /// 1–5.
    pub level: u8,
    pub level_name: String,
    /// One paragraph.
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    pub title: String,
    pub score: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedFlag {
    pub text: String,
    pub reason: String,
    /// Title of the dimension it belongs to.
    pub dimension: String,
    /// The source named, e.g. "Art. 13 DSGVO".
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub id: String,
    pub title: String,
    /// 0–100.
    pub score: u8,
    /// 1–5.
    pub level: u8,
    pub level_name: String,
    /// More than half "Weiß nicht": drawn as a labelled gap, `score` and `level` mean nothing
    /// and `level_name` says why.
    #[serde(default)]
    pub not_assessable: bool,
    /// 1 (low) – 4 (critical).
    pub importance: u8,
    /// False when the owner left the importance open (it then ranks as the middle option).
    #[serde(default = "answered_by_default")]
    pub importance_answered: bool,
    pub peer: Option<PeerStats>,
    pub answers: Vec<Answer>,
    pub why: String,
    /// The source article named for `why`.
    pub why_source: String,
    pub what_to_do: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStats {
    pub median: u8,
    pub p25: u8,
    pub p75: u8,
    /// 0–100: share of peers the firm scores above.
    pub percentile_rank: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub answer: String,
    /// The answer needs attention (weak, unanswered, or it brought a step or a red flag): the
    /// report lists these and sums up the rest in one line.
    #[serde(default = "answered_by_default")]
    pub matters: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// e.g. "Handwerk, 10–49 Beschäftigte".
    pub label: String,
    pub n: u32,
    /// True when the group had to be widened beyond the firm's own industry and size.
    pub broader_than_own: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Title of the dimension.
    pub dimension: String,
    pub text: String,
    pub source: String,
    pub red_flag: bool,
}

/// Every fixed text of the report. Placeholders in braces are replaced by the renderer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLabels {
    pub document_title: String,
    /// Under the title on the cover, e.g. "Auswertung der Selbsteinschätzung".
    pub cover_subtitle: String,
    pub firm: String,
    pub assessment_date: String,
    pub catalogue_version: String,
    pub summary: String,
    pub overall_score: String,
    /// "Reifegrad {level} von 5: {name}"
    pub maturity_level: String,
    pub strongest: String,
    pub weakest: String,
    pub red_flags: String,
    pub no_red_flags: String,
    /// Written before each red flag and each red-flag action, e.g. "Warnsignal".
    pub red_flag_marker: String,
    pub reason: String,
    pub source: String,
    pub dimension: String,
    pub charts: String,
    pub radar_title: String,
    pub bar_chart_title: String,
    pub matrix_title: String,
    /// e.g. "Punkte (0–100)"
    pub score_axis: String,
    /// Written in a chart where a not-assessable dimension has no bar or point.
    #[serde(default)]
    pub not_assessable_short: String,
    pub importance_axis: String,
    /// Names of importance 1–4.
    pub importance_levels: [String; 4],
    /// top left, top right, bottom left, bottom right.
    pub matrix_quadrants: [String; 4],
    pub legend_firm: String,
    pub legend_peer_band: String,
    pub legend_peer_median: String,
    pub legend_peer_p75: String,
    pub table_title: String,
    pub col_dimension: String,
    pub col_score: String,
    pub col_level: String,
    pub col_median: String,
    pub col_percentile: String,
    /// Said in the "better than" column instead of 100: a cohort that does not (yet) hold the
    /// firm can score lower throughout, and "better than 100" is no figure.
    pub percentile_all: String,
    /// "Vergleichsgruppe: {label} (n = {n})"
    pub cohort: String,
    /// Added when the cohort is broader than the firm's own industry and size.
    pub cohort_broader: String,
    pub dimensions: String,
    /// "Punkte {score} · Reifegrad {level}: {name}"
    pub dimension_score_line: String,
    pub asked: String,
    pub why: String,
    pub what_to_do: String,
    /// One line for the answers not listed: "{count} further answers need no action" (and the
    /// same for one, and for all of a topic's answers); fixtures made before have none.
    #[serde(default)]
    pub answers_rest: String,
    #[serde(default)]
    pub answers_rest_one: String,
    #[serde(default)]
    pub answers_none: String,
    pub actions: String,
    /// Said under a shortened action plan: "{count} further steps …" (fixtures made before it
    /// existed have none).
    #[serde(default)]
    pub actions_more: String,
    /// Heading of the action plan's first three steps on the summary page.
    pub first_steps: String,
    pub methodology: String,
    /// "Größe der Vergleichsgruppe: {n}"
    pub cohort_size: String,
    /// "Mindestgröße einer Vergleichsgruppe (k): {k}"
    pub privacy_threshold: String,
    /// "Stand der Vergleichsdaten: {date}"
    pub benchmark_date: String,
    /// "Seite {page} von {pages}"
    pub page_of: String,
    /// Shown for a missing value, e.g. "–".
    pub not_available: String,
}

fn answered_by_default() -> bool {
    true
}
