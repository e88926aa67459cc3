//! Labels: domain results in the words people read (answers, cohorts, dates, the resolved
//! result with its red flags and actions), for the pages, the API, the PDF and the CLI alike.
use crate::benchmark::CohortKey;
use crate::scoring::{Assessment, Quadrant, RedFlagHit, action_plan};
use crate::survey::{AnswerSet, Catalogue, Lang, Question, Text};

use super::texts::text;

/// The labels of the chosen options, or `None` when the question is unanswered.
pub fn answer_text(lang: Lang, q: &Question, answers: &AnswerSet) -> Option<String> {
    let chosen = answers.get(&q.id)?.option_ids();
    let labels: Vec<&str> = q
        .options
        .iter()
        .filter(|o| chosen.contains(&o.id.as_str()))
        .map(|o| o.label.get(lang))
        .collect();
    Some(labels.join("; "))
}

/// The label of a profile answer (industry, size class, region), or its code if unknown.
pub fn profile_option_label(catalogue: &Catalogue, lang: Lang, question: &str, id: &str) -> String {
    catalogue
        .profile
        .iter()
        .find(|q| q.id == question)
        .and_then(|q| q.options.iter().find(|o| o.id == id))
        .map(|o| o.label.get(lang).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

/// A cohort in words: "Verarbeitendes Gewerbe, Kleinunternehmen" and so on.
pub fn cohort_label(catalogue: &Catalogue, lang: Lang, key: &CohortKey) -> String {
    let option = |question: &str, id: &str| profile_option_label(catalogue, lang, question, id);
    match key {
        CohortKey::IndustrySize(i, s) => format!(
            "{}, {}",
            option("industry", i.as_str()),
            option("size", s.as_str())
        ),
        CohortKey::Industry(i) => format!(
            "{}, {}",
            option("industry", i.as_str()),
            text(lang, "all_sizes")
        ),
        CohortKey::Size(s) => format!(
            "{}, {}",
            text(lang, "all_industries"),
            option("size", s.as_str())
        ),
        CohortKey::Region(r) => option("region", r.as_str()),
        CohortKey::All => text(lang, "all_firms"),
    }
}

/// Texts of a result, resolved from the catalogue; shared by the page and the API.
pub struct ResolvedResult {
    pub dimensions: Vec<ResolvedDimension>,
    pub red_flags: Vec<ResolvedRedFlag>,
    pub actions: Vec<ResolvedAction>,
}

pub struct ResolvedDimension {
    pub id: String,
    pub title: String,
    pub score: u8,
    pub level: u8,
    pub level_name: String,
    /// A red flag holds the level below what the points alone would give.
    pub capped: bool,
    /// Another rule holds the level below the points (2027.1: a core question answered with 0
    /// points): said beside it, or 80 points at "Auf dem Weg" reads as a mistake.
    pub core_capped: bool,
    /// More than half "Weiß nicht" (2027.1 on): no score or level is shown, only the gap.
    pub not_assessable: bool,
}

pub struct ResolvedRedFlag {
    pub question: String,
    pub dimension: String,
    pub text: String,
    pub reason: String,
    pub action: String,
    pub source: String,
}

pub struct ResolvedAction {
    pub dimension_id: String,
    pub dimension: String,
    pub text: String,
    pub source: String,
    pub red_flag: Option<String>,
    /// Where the dimension sits in the priority matrix.
    pub quadrant: Quadrant,
}

pub fn resolve(catalogue: &Catalogue, lang: Lang, assessment: &Assessment) -> ResolvedResult {
    // A frozen result is read with the catalogue it was scored under.
    let catalogue = crate::survey::by_version(&assessment.catalogue_version).unwrap_or(catalogue);
    let dimensions = assessment
        .dimensions
        .iter()
        .filter_map(|r| {
            let d = catalogue.dimension(&r.id)?;
            Some(ResolvedDimension {
                id: r.id.clone(),
                title: d.title.get(lang).to_owned(),
                score: r.score,
                level: r.level,
                level_name: catalogue.level(r.level).name.get(lang).to_owned(),
                // Only a red flag is named as the cause; 2027.1 has other caps too.
                capped: r.level < r.uncapped_level
                    && assessment.red_flags.iter().any(|f| f.dimension == r.id),
                core_capped: r.level < r.uncapped_level
                    && !assessment.red_flags.iter().any(|f| f.dimension == r.id),
                not_assessable: r.not_assessable,
            })
        })
        .collect();
    let red_flags = assessment
        .red_flags
        .iter()
        .filter_map(|hit| {
            let (d, flag) = flag_def(catalogue, hit)?;
            Some(ResolvedRedFlag {
                question: hit.question.clone(),
                dimension: d.title.get(lang).to_owned(),
                text: flag.text.get(lang).to_owned(),
                reason: flag.reason.get(lang).to_owned(),
                action: flag.action.get(lang).to_owned(),
                source: catalogue.source_title(&flag.source).to_owned(),
            })
        })
        .collect();
    // 2027.1 on: each answer's own step, in the order the scoring rules rank them.
    // 2026.1: the plan, not the stored ranking (see `planned_actions`).
    let actions = if catalogue.rules.is_some() {
        answer_actions(catalogue, lang, assessment)
    } else {
        planned_actions(catalogue, lang, assessment)
    };
    ResolvedResult {
        dimensions,
        red_flags,
        actions,
    }
}

/// A red flag hit's dimension and definition in the catalogue.
fn flag_def<'c>(
    catalogue: &'c Catalogue,
    hit: &RedFlagHit,
) -> Option<(&'c crate::survey::Dimension, &'c crate::survey::RedFlag)> {
    let d = catalogue.dimension(&hit.dimension)?;
    let q = d.questions.iter().find(|q| q.id == hit.question)?;
    let o = q.options.iter().find(|o| o.id == hit.option)?;
    Some((d, o.red_flag.as_ref()?))
}

/// 2027.1 on: the stored ranking of the answers' own steps (a raised flag's action in place of
/// its answer's step), each with its topic's quadrant.
fn answer_actions(
    catalogue: &Catalogue,
    lang: Lang,
    assessment: &Assessment,
) -> Vec<ResolvedAction> {
    assessment
        .actions
        .iter()
        .filter_map(|a| {
            let d = catalogue.dimension(&a.dimension)?;
            let (text, source) = match &a.red_flag {
                Some(flag_id) => {
                    let hit = assessment.red_flags.iter().find(|h| &h.id == flag_id)?;
                    let (_, flag) = flag_def(catalogue, hit)?;
                    (flag.action.get(lang).to_owned(), flag.source.clone())
                }
                // 2027.1 on: the chosen answer's own step; advice of our own has no source.
                None => match crate::scoring::step_of(catalogue, a) {
                    Some(step) => (
                        step.text_for(a.planning).get(lang).to_owned(),
                        step.source.clone().unwrap_or_default(),
                    ),
                    None => {
                        let r = d.recommendations.iter().find(|r| r.level == a.level)?;
                        (r.text.get(lang).to_owned(), r.source.clone())
                    }
                },
            };
            let source = match source.as_str() {
                "" => crate::survey::own_advice_label(lang).to_owned(),
                id => catalogue.source_title(id).to_owned(),
            };
            let result = assessment.dimensions.iter().find(|r| r.id == d.id)?;
            Some(ResolvedAction {
                dimension_id: d.id.clone(),
                dimension: d.title.get(lang).to_owned(),
                text,
                source,
                red_flag: a.red_flag.clone(),
                quadrant: Quadrant::of(result.score, result.importance),
            })
        })
        .collect()
}

/// 2026.1: the plan, not the stored ranking: one entry per dimension in the matrix's order, so
/// the page, the report and the API tell one story (results stored earlier included).
fn planned_actions(
    catalogue: &Catalogue,
    lang: Lang,
    assessment: &Assessment,
) -> Vec<ResolvedAction> {
    let mut actions = Vec::new();
    for planned in action_plan(assessment) {
        let Some(d) = catalogue.dimension(&planned.dimension) else {
            continue;
        };
        let mut push = |text: &Text, source: &str, red_flag: Option<String>| {
            actions.push(ResolvedAction {
                dimension_id: d.id.clone(),
                dimension: d.title.get(lang).to_owned(),
                text: text.get(lang).to_owned(),
                source: catalogue.source_title(source).to_owned(),
                red_flag,
                quadrant: planned.quadrant,
            });
        };
        if planned.red_flags.is_empty()
            && let Some(r) = d.recommendations.iter().find(|r| r.level == planned.level)
        {
            push(&r.text, &r.source, None);
        }
        for flag_id in &planned.red_flags {
            let Some(hit) = assessment
                .red_flags
                .iter()
                .find(|h| &h.id == flag_id && h.dimension == d.id)
            else {
                continue;
            };
            if let Some((_, flag)) = flag_def(catalogue, hit) {
                push(&flag.action, &flag.source, Some(flag_id.clone()));
            }
        }
    }
    actions
}

/// A signed change in points, readable without colour: "+5", "−3", "±0".
pub fn signed(delta: i64) -> String {
    match delta {
        d if d > 0 => format!("+{d}"),
        d if d < 0 => format!("−{}", d.unsigned_abs()),
        _ => "±0".to_owned(),
    }
}

/// A date as an owner reads it: 22.11.2026 or 22 November 2026.
pub fn format_date(lang: Lang, epoch_ms: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(epoch_ms / 1000) else {
        return String::new();
    };
    match lang {
        Lang::De => format!("{:02}.{:02}.{}", at.day(), u8::from(at.month()), at.year()),
        Lang::En => format!("{} {} {}", at.day(), at.month(), at.year()),
    }
}
