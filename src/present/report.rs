//! The report's model: a submitted response, its result and its benchmark, resolved to one
//! language for `crate::report`'s layout. Used by the web routes and the `report` command alike.
use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::labels::{answer_text, cohort_label, format_date, resolve};
use crate::report::{
    Action, Answer, Cohort, Dimension, DimensionScore, Overall, PeerStats, RedFlag, ReportLabels,
    ReportModel,
};
use crate::responses::{LoadedResponse, Responses, ServiceError};
use crate::scoring::Assessment;
use crate::statistics::Benchmark;
use crate::survey::{Catalogue, Lang};

/// Why a report model could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the report texts are broken: {0}")]
    Texts(String),
}

/// The fixed texts of the report in one language (`report_labels.json`).
#[derive(Debug, Clone, Deserialize)]
struct ReportTexts {
    labels: ReportLabels,
    no_cohort: String,
    /// A served version's group that has not reached k yet ("fewer than k" would be false of
    /// all the firms that answered an older version).
    no_cohort_forming: String,
    /// Shown for a dimension with more than half "Weiß nicht", instead of its level.
    not_assessable: String,
    verdict_suffix: String,
    verdict_red_flags: String,
    /// The same for exactly one red flag (no "Warnsignal(e)").
    verdict_red_flag_one: String,
    /// Chart titles when there is no comparison group: they name only what is drawn.
    radar_title_own: String,
    bar_chart_title_own: String,
    /// The section's heading then promises no comparison.
    charts_own: String,
    not_answered: String,
    importance: String,
    /// The rules of catalogue 2026.1.
    methodology: Vec<String>,
    /// The rules of catalogue 2027.1: the PDF names the rules its result was scored by.
    methodology_2027_1: Vec<String>,
}

static TEXTS: LazyLock<Result<BTreeMap<String, ReportTexts>, String>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../web/report_labels.json")).map_err(|e| e.to_string())
});

fn texts(lang: Lang) -> Result<&'static ReportTexts, String> {
    let all = TEXTS
        .as_ref()
        .map_err(|e| format!("report_labels.json: {e}"))?;
    all.get(lang.code())
        .ok_or_else(|| format!("report_labels.json has no {}", lang.code()))
}

/// The priority matrix with its texts but no points yet, and its title (shared by the result
/// page and the report, so both say the same).
pub fn empty_priority_matrix(lang: Lang) -> Option<(crate::charts::PriorityMatrix, String)> {
    let l = &texts(lang).ok()?.labels;
    let matrix = crate::charts::PriorityMatrix {
        points: Vec::new(),
        score_axis: l.score_axis.clone(),
        importance_axis: l.importance_axis.clone(),
        importance_levels: l.importance_levels.clone(),
        quadrants: l.matrix_quadrants.clone(),
    };
    Some((matrix, l.matrix_title.clone()))
}

/// Checked at start, like the templates.
pub fn check_texts() -> Result<(), String> {
    texts(Lang::De).and(texts(Lang::En)).map(|_| ())
}

/// The most cited source among a dimension's questions: the article its "why" comes from.
fn dimension_source(catalogue: &Catalogue, dimension: &crate::survey::Dimension) -> String {
    if !dimension.intro_sources.is_empty() {
        let titles: Vec<&str> = dimension
            .intro_sources
            .iter()
            .map(|s| catalogue.source_title(s))
            .collect();
        return titles.join("; ");
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &dimension.questions {
        if let Some(s) = q.source.as_deref() {
            *counts.entry(s).or_default() += 1;
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(s, _)| *s)
        .unwrap_or("");
    catalogue.source_title(best).to_owned()
}

/// Points below which an answer is weak: the report lists it even when it brought no step.
const WEAK_POINTS: u32 = 50;

/// Whether an answered question needs attention: it raised a red flag, or it earns less than
/// half the points, or it earns none but brought a step ("Weiß nicht" in 2027.1, which brings a
/// step to find out). 2027.1 gives every answer short of the best its own step, so "has a step"
/// alone would list nearly every answer of a weak firm.
fn matters(
    assessment: &Assessment,
    q: &crate::survey::Question,
    answers: &crate::survey::AnswerSet,
) -> bool {
    let points = crate::scoring::question_points(q, answers);
    assessment.red_flags.iter().any(|f| f.question == q.id)
        || points.is_some_and(|p| p < WEAK_POINTS)
        || (points.is_none()
            && assessment
                .actions
                .iter()
                .any(|a| a.question.as_deref() == Some(q.id.as_str())))
}

/// Everything the report shows, resolved to one language.
pub fn report_model(
    catalogue: &Catalogue,
    lang: Lang,
    response: &LoadedResponse,
    assessment: &Assessment,
    benchmark: &Benchmark,
    k: u32,
    creation_date: (i32, u8, u8),
) -> Result<ReportModel, String> {
    let t = texts(lang)?;
    // A frozen result is reported with the catalogue it was scored under.
    let catalogue = crate::survey::by_version(&assessment.catalogue_version).unwrap_or(catalogue);
    let resolved = resolve(catalogue, lang, assessment);
    let comparison = match benchmark {
        Benchmark::Compared(c) => Some(c),
        Benchmark::Unavailable(_) => None,
    };
    let level = catalogue.level(assessment.overall.level);
    let mut verdict = format!(
        "{} {}",
        level.description.get(lang),
        t.verdict_suffix
            .replace("{score}", &assessment.overall.score.to_string())
    );
    match assessment.red_flags.len() {
        0 => {}
        1 => {
            verdict.push(' ');
            verdict.push_str(&t.verdict_red_flag_one);
        }
        n => {
            verdict.push(' ');
            verdict.push_str(&t.verdict_red_flags.replace("{count}", &n.to_string()));
        }
    }

    // A dimension that is not assessable is neither strong nor weak: it has no score.
    let mut ranked: Vec<(usize, &crate::scoring::DimensionResult)> = assessment
        .dimensions
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.not_assessable)
        .collect();
    ranked.sort_by(|(ia, a), (ib, b)| b.score.cmp(&a.score).then(ia.cmp(ib)));
    let title = |id: &str| {
        catalogue
            .dimension(id)
            .map(|d| d.title.get(lang).to_owned())
            .unwrap_or_default()
    };
    let score_of = |(_, d): &(usize, &crate::scoring::DimensionResult)| DimensionScore {
        title: title(&d.id),
        score: d.score,
    };
    let strongest = ranked.iter().take(3).map(score_of).collect();
    let weakest = ranked.iter().rev().take(3).map(score_of).collect();

    let dimensions = assessment
        .dimensions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let d = catalogue.dimension(&r.id)?;
            let mut answers: Vec<Answer> = d
                .questions
                .iter()
                .map(|q| {
                    let answer = answer_text(lang, q, &response.answers).filter(|a| !a.is_empty());
                    Answer {
                        question: q.text.get(lang).to_owned(),
                        matters: answer.is_none() || matters(assessment, q, &response.answers),
                        answer: answer.unwrap_or_else(|| t.not_answered.clone()),
                    }
                })
                .collect();
            // Unanswered is said as such, not as the middle option it ranks as.
            let importance = if r.importance_answered {
                catalogue
                    .importance
                    .options
                    .iter()
                    .find(|o| o.weight == r.importance)
                    .map(|o| o.label.get(lang).to_owned())
                    .unwrap_or_default()
            } else {
                t.not_answered.clone()
            };
            // An importance left open says nothing the priority matrix (an open ring) does not.
            if r.importance_answered {
                answers.push(Answer {
                    question: t.importance.clone(),
                    answer: importance,
                    // Why the topic's steps rank where they do.
                    matters: true,
                });
            }
            let recommendation = d.recommendations.iter().find(|x| x.level == r.level);
            Some(Dimension {
                id: r.id.clone(),
                title: d.title.get(lang).to_owned(),
                score: r.score,
                level: r.level,
                level_name: if r.not_assessable {
                    t.not_assessable.clone()
                } else {
                    catalogue.level(r.level).name.get(lang).to_owned()
                },
                not_assessable: r.not_assessable,
                importance: r.importance.clamp(1, 4),
                importance_answered: r.importance_answered,
                peer: comparison
                    .and_then(|c| c.dimensions.get(i))
                    .map(|p| PeerStats {
                        median: p.median,
                        p25: p.p25,
                        p75: p.p75,
                        percentile_rank: p.percentile_rank,
                    }),
                answers,
                why: d.intro.get(lang).to_owned(),
                why_source: dimension_source(catalogue, d),
                what_to_do: recommendation
                    .map(|x| x.text.get(lang).to_owned())
                    .unwrap_or_default(),
            })
        })
        .collect();

    let mut labels = t.labels.clone();
    if comparison.is_none() {
        // Without a group the charts draw the firm's own values only: say so.
        labels.radar_title = t.radar_title_own.clone();
        labels.bar_chart_title = t.bar_chart_title_own.clone();
        labels.charts = t.charts_own.clone();
    }
    Ok(ReportModel {
        progress: None,
        brand: None,
        lang: lang.code().to_owned(),
        labels,
        firm_name: response.record.firm_name.clone(),
        assessment_date: format_date(
            lang,
            response
                .record
                .submitted_at
                .unwrap_or(response.record.updated_at),
        ),
        catalogue_version: assessment.catalogue_version.clone(),
        overall: Overall {
            score: assessment.overall.score,
            level: assessment.overall.level,
            level_name: level.name.get(lang).to_owned(),
            verdict,
        },
        strongest,
        weakest,
        red_flags: resolved
            .red_flags
            .iter()
            .map(|f| RedFlag {
                text: f.text.clone(),
                reason: f.reason.clone(),
                dimension: f.dimension.clone(),
                source: f.source.clone(),
            })
            .collect(),
        dimensions,
        cohort: comparison.map(|c| Cohort {
            label: cohort_label(catalogue, lang, &c.cohort),
            n: c.n,
            broader_than_own: c.broader_than_own,
        }),
        benchmark_note: if catalogue.version == crate::survey::served().version {
            &t.no_cohort_forming
        } else {
            &t.no_cohort
        }
        .replace("{version}", &catalogue.version)
        .replace("{k}", &k.to_string()),
        actions: resolved
            .actions
            .iter()
            .map(|a| Action {
                dimension: a.dimension.clone(),
                text: a.text.clone(),
                source: a.source.clone(),
                red_flag: a.red_flag.is_some(),
            })
            .collect(),
        methodology: match assessment.catalogue_version.as_str() {
            "2026.1" => &t.methodology,
            _ => &t.methodology_2027_1,
        }
        .iter()
        .map(|p| p.replace("{k}", &k.to_string()))
        .collect(),
        privacy_threshold: k,
        benchmark_date: comparison.map(|c| format_date(lang, c.published_at)),
        creation_date,
    })
}

/// The calendar date of an epoch-ms timestamp (UTC), for the PDF's metadata.
pub fn calendar_date(epoch_ms: i64) -> (i32, u8, u8) {
    time::OffsetDateTime::from_unix_timestamp(epoch_ms / 1000)
        .map(|t| (t.year(), u8::from(t.month()), t.day()))
        .unwrap_or((1970, 1, 1))
}

/// Builds the model of a submitted response with its current benchmark.
pub async fn model_for(
    responses: &Responses,
    response: &LoadedResponse,
    lang: Lang,
    creation_date: Option<(i32, u8, u8)>,
) -> Result<ReportModel, ModelError> {
    let assessment = response.assessment()?.ok_or(ServiceError::NotSubmitted)?;
    let statistics = responses.statistics();
    let benchmark = responses
        .benchmark_for(&response.answers, &assessment)
        .await?;
    let submitted = response
        .record
        .submitted_at
        .unwrap_or(response.record.updated_at);
    report_model(
        responses.catalogue(),
        lang,
        response,
        &assessment,
        &benchmark,
        statistics.policy().k(),
        creation_date.unwrap_or_else(|| calendar_date(submitted)),
    )
    .map_err(ModelError::Texts)
}

#[cfg(test)]
mod intro_source_tests {
    use super::*;

    #[test]
    fn an_intro_of_2027_1_is_cited_by_its_named_articles_not_a_majority_vote() {
        let next = crate::survey::next();
        let responsibility = next.dimension("responsibility").expect("dimension");
        // Review §2a #5: the vote gave 003; the text is 000 and 002.
        assert_eq!(
            dimension_source(next, responsibility),
            "Es ist Ihre Entscheidung!; Erst die Hausaufgaben, dann posten"
        );
        // 2026.1 keeps its vote, so its reports read as before.
        let old = crate::survey::current();
        let responsibility = old.dimension("responsibility").expect("dimension");
        assert_eq!(
            dimension_source(old, responsibility),
            "Social Media Marketing – Zeitfresser oder Gewinnbringer?"
        );
    }
}

/// A real catalogue-2027.1 firm, as `seed-demo` makes them: its report in 6–9 well-filled pages.
#[cfg(test)]
pub(crate) mod firm_2027_tests {
    use super::*;
    use crate::benchmark::CohortKey;
    use crate::db::{ResponseRecord, ResponseStatus};
    use crate::statistics::{FirmComparison, Position};

    /// A weak but typical firm of `seed-demo`'s default seed: of its first 60 firms, the one at
    /// three quarters by number of steps (a weak firm has many weak answers and steps).
    pub(crate) fn firm_model(lang: Lang, with_group: bool) -> ReportModel {
        let catalogue = crate::survey::next();
        let mut demo = crate::demo::DemoGenerator::new(catalogue, 2026);
        let mut firms: Vec<crate::demo::DemoFirm> = (0..60).map(|_| demo.firm()).collect();
        firms.sort_by_key(|f| f.assessment.actions.len());
        let firm = firms.swap_remove(firms.len() * 3 / 4);
        let at = 1_795_000_000_000; // 18 Nov 2026
        let response = LoadedResponse {
            record: ResponseRecord {
                id: 1,
                catalogue_version: catalogue.version.clone(),
                lang: lang.code().to_owned(),
                status: ResponseStatus::Submitted,
                firm_name: Some("Tischlerei Mustermann & Söhne GmbH".into()),
                created_at: at,
                updated_at: at,
                submitted_at: Some(at),
                result_json: None,
                consent_version: "1".into(),
                consent_at: at,
                benchmark_json: None,
                invited: false,
            },
            answers: firm.answers.clone(),
            catalogue,
        };
        let position = |score: u8| Position {
            score,
            median: 52,
            p25: 38,
            p75: 66,
            percentile_rank: score.min(99),
        };
        let benchmark = if with_group {
            Benchmark::Compared(FirmComparison {
                cohort: CohortKey::Industry(firm.profile.industry),
                n: 23,
                broader_than_own: true,
                overall: position(firm.assessment.overall.score),
                dimensions: firm
                    .assessment
                    .dimensions
                    .iter()
                    .map(|d| position(d.score))
                    .collect(),
                published_at: at,
            })
        } else {
            Benchmark::Unavailable(crate::benchmark::UnavailableReason::NotListed)
        };
        report_model(
            catalogue,
            lang,
            &response,
            &firm.assessment,
            &benchmark,
            10,
            (2026, 11, 18),
        )
        .expect("model")
    }

    #[test]
    fn a_real_2027_1_firm_reads_in_six_to_nine_well_filled_pages() {
        for lang in [Lang::De, Lang::En] {
            for with_group in [true, false] {
                let model = firm_model(lang, with_group);
                let steps = model.actions.len();
                let answers: usize = model.dimensions.iter().map(|d| d.answers.len()).sum();
                let listed: usize = model
                    .dimensions
                    .iter()
                    .map(|d| d.answers.iter().filter(|a| a.matters).count())
                    .sum();
                // A weak firm: many steps, and only part of its answers listed.
                assert!(steps >= 15, "{steps} steps");
                assert!(listed < answers, "{listed} of {answers} answers listed");
                if std::env::var_os("WRITE_REPORT_FIXTURES").is_some() {
                    let name = format!(
                        "{}/tests/fixtures/firm2027_{}{}.json",
                        env!("CARGO_MANIFEST_DIR"),
                        if with_group { "" } else { "nogroup_" },
                        lang.code()
                    );
                    let json = serde_json::to_string_pretty(&model).expect("json");
                    std::fs::write(&name, json + "\n").expect("write fixture");
                    let pdf = crate::report::render_pdf(&model).expect("pdf");
                    let file = name.rsplit('/').next().unwrap_or("firm2027.json");
                    let out = std::env::temp_dir().join(file.replace(".json", ".pdf"));
                    std::fs::write(out, pdf).expect("write pdf");
                }
                let fills = crate::report::page_fills(&model);
                let n = fills.len();
                eprintln!(
                    "2027.1 {lang:?} group {with_group}: {steps} steps, {listed}/{answers} answers, {n} pages, filled {fills:.2?}"
                );
                assert!((6..=9).contains(&n), "{lang:?} {with_group}: {n} pages");
                for (i, filled) in fills.iter().enumerate().skip(1).take(n - 2) {
                    assert!(
                        *filled >= 2.0 / 3.0,
                        "{lang:?} {with_group}: page {} is {filled:.2} full",
                        i + 1
                    );
                }
                // The methodology names the group, its size, the date and k in plain words.
                let text = model.methodology.join(" ");
                assert!(text.contains("10") && !text.contains("{k}") && !text.contains("nearest"));
            }
        }
    }
}
