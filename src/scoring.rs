//! Scoring: answers + catalogue → dimension scores, levels, red flags and ranked actions.
//! Pure: no web or database types; the rules are documented in `survey::catalogue`.
use serde::{Deserialize, Serialize};

use crate::survey::{
    AnswerOption, AnswerSet, Catalogue, Condition, Dimension, Question, QuestionKind, ScoreRule,
    ScoringRules, Severity, Stage, Step,
};

/// The frozen result of one response, stored at submit so it stays reproducible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub catalogue_version: String,
    pub overall: ScoreLevel,
    pub dimensions: Vec<DimensionResult>,
    pub red_flags: Vec<RedFlagHit>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLevel {
    /// 0–100.
    pub score: u8,
    /// 1–5, after any red-flag cap.
    pub level: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionResult {
    pub id: String,
    pub score: u8,
    /// 1–5, after any red-flag cap.
    pub level: u8,
    /// The level the points alone would give.
    pub uncapped_level: u8,
    /// Weight of the owner's "how important is this for you" answer (1–4); the catalogue's
    /// middle option ("medium") when the owner left it unanswered.
    pub importance: u8,
    /// More than half of its answers were "Weiß nicht" (2027.1 on): shown as a gap, left out of
    /// the overall score (the other weights renormalised). Its score and level mean nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_assessable: bool,
    /// False when the owner did not answer the importance question: the weight above is then
    /// the catalogue's default, and pages say "not answered" instead of showing it as a choice.
    /// Results stored before this field existed read as answered.
    #[serde(default = "answered_by_default")]
    pub importance_answered: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn answered_by_default() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedFlagHit {
    pub id: String,
    pub dimension: String,
    pub question: String,
    pub option: String,
}

/// One step of the action plan: either a red flag to remove or a dimension's recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub dimension: String,
    /// Set when the action removes a red flag.
    pub red_flag: Option<String>,
    /// The level whose recommendation applies (for dimension actions).
    pub level: u8,
    /// 2026.1: importance × gap (100 − score). 2027.1: points lost × dimension weight ×
    /// importance. Red flags come first regardless.
    pub priority: u32,
    /// 2027.1 on: the answer whose step this is (a dimension action in 2026.1 has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// 2027.1 on: the firm is not active yet, so the step is shown in its planning wording.
    #[serde(default, skip_serializing_if = "is_false")]
    pub planning: bool,
}

/// The points a question's answer earns, or `None` when it does not count (excluded, unanswered).
pub fn question_points(question: &Question, answers: &AnswerSet) -> Option<u32> {
    let chosen = answers.get(&question.id)?.option_ids();
    let mut total = 0u32;
    let mut counted = false;
    for option in question
        .options
        .iter()
        .filter(|o| chosen.contains(&o.id.as_str()))
    {
        if let Some(ScoreRule::Points(p)) = option.score {
            total += u32::from(p);
            counted = true;
        }
    }
    match question.kind {
        QuestionKind::Single => counted.then_some(total),
        QuestionKind::Multi => counted.then_some(total.min(100)),
    }
}

/// Rounds `numerator / denominator` half up, in integers so results are exact and portable.
fn div_round(numerator: u64, denominator: u64) -> u64 {
    if denominator == 0 {
        0
    } else {
        (2 * numerator + denominator) / (2 * denominator)
    }
}

/// A dimension's score: the mean of its counted questions' points, rounded half up.
/// Required questions left unanswered count as 0, so an incomplete answer never flatters.
pub fn dimension_score(dimension: &Dimension, answers: &AnswerSet) -> u8 {
    let mut sum = 0u64;
    let mut counted = 0u64;
    for q in &dimension.questions {
        match question_points(q, answers) {
            Some(points) => {
                sum += u64::from(points);
                counted += 1;
            }
            None if q.required && answers.get(&q.id).is_none() => counted += 1,
            None => {}
        }
    }
    u8::try_from(div_round(sum, counted).min(100)).unwrap_or(100)
}

fn importance_weight(catalogue: &Catalogue, dimension: &Dimension, answers: &AnswerSet) -> u8 {
    let chosen = answers
        .single(&Catalogue::importance_question_id(dimension))
        .unwrap_or(&catalogue.importance.default_option);
    catalogue
        .importance
        .options
        .iter()
        .find(|o| o.id == chosen)
        .map(|o| o.weight)
        .unwrap_or(1)
}

/// Scores one response under the rules of its catalogue.
pub fn assess(catalogue: &Catalogue, answers: &AnswerSet) -> Assessment {
    match &catalogue.rules {
        Some(rules) => assess_with_rules(catalogue, rules, answers),
        None => assess_2026(catalogue, answers),
    }
}

/// The rules of catalogue 2026.1, kept unchanged so its frozen results stay reproducible.
fn assess_2026(catalogue: &Catalogue, answers: &AnswerSet) -> Assessment {
    let mut dimensions = Vec::with_capacity(catalogue.dimensions.len());
    let mut red_flags = Vec::new();
    for d in &catalogue.dimensions {
        let score = dimension_score(d, answers);
        let uncapped_level = catalogue.level_for_score(score);
        let mut level = uncapped_level;
        for q in &d.questions {
            let Some(answer) = answers.get(&q.id) else {
                continue;
            };
            let chosen = answer.option_ids();
            for o in q.options.iter().filter(|o| chosen.contains(&o.id.as_str())) {
                if let Some(flag) = &o.red_flag {
                    level = level.min(flag.cap_level);
                    red_flags.push(RedFlagHit {
                        id: flag.id.clone(),
                        dimension: d.id.clone(),
                        question: q.id.clone(),
                        option: o.id.clone(),
                    });
                }
            }
        }
        dimensions.push(DimensionResult {
            id: d.id.clone(),
            score,
            level,
            uncapped_level,
            importance: importance_weight(catalogue, d, answers),
            not_assessable: false,
            importance_answered: answers
                .single(&Catalogue::importance_question_id(d))
                .is_some(),
        });
    }

    let weight_sum: u64 = catalogue
        .dimensions
        .iter()
        .map(|d| u64::from(d.weight))
        .sum();
    let weighted: u64 = catalogue
        .dimensions
        .iter()
        .zip(&dimensions)
        .map(|(d, r)| u64::from(d.weight) * u64::from(r.score))
        .sum();
    let overall_score = u8::try_from(div_round(weighted, weight_sum).min(100)).unwrap_or(100);
    let mut overall_level = catalogue.level_for_score(overall_score);
    if !red_flags.is_empty() {
        overall_level = overall_level.min(catalogue.overall_red_flag_cap);
    }

    let actions = rank_actions(&dimensions, &red_flags);
    Assessment {
        catalogue_version: catalogue.version.clone(),
        overall: ScoreLevel {
            score: overall_score,
            level: overall_level,
        },
        dimensions,
        red_flags,
        actions,
    }
}

/// Red flags first (most important dimension first), then every dimension with room to grow,
/// by importance × gap. Ties keep the catalogue's order, so the list is deterministic.
fn rank_actions(dimensions: &[DimensionResult], red_flags: &[RedFlagHit]) -> Vec<Action> {
    let priority = |d: &DimensionResult| u32::from(d.importance) * (100 - u32::from(d.score));
    let position = |id: &str| {
        dimensions
            .iter()
            .position(|d| d.id == id)
            .unwrap_or(usize::MAX)
    };

    let mut flag_actions: Vec<(usize, Action)> = red_flags
        .iter()
        .filter_map(|flag| {
            let d = dimensions.iter().find(|d| d.id == flag.dimension)?;
            Some((
                position(&d.id),
                Action {
                    dimension: d.id.clone(),
                    red_flag: Some(flag.id.clone()),
                    level: d.level,
                    priority: priority(d),
                    question: None,
                    option: None,
                    planning: false,
                },
            ))
        })
        .collect();
    flag_actions.sort_by(|(pa, a), (pb, b)| b.priority.cmp(&a.priority).then(pa.cmp(pb)));

    let mut dimension_actions: Vec<(usize, Action)> = dimensions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.score < 100)
        .map(|(i, d)| {
            (
                i,
                Action {
                    dimension: d.id.clone(),
                    red_flag: None,
                    level: d.level,
                    priority: priority(d),
                    question: None,
                    option: None,
                    planning: false,
                },
            )
        })
        .collect();
    dimension_actions.sort_by(|(pa, a), (pb, b)| b.priority.cmp(&a.priority).then(pa.cmp(pb)));

    flag_actions
        .into_iter()
        .chain(dimension_actions)
        .map(|(_, a)| a)
        .collect()
}

fn chosen_options<'a>(question: &'a Question, answers: &AnswerSet) -> Vec<&'a AnswerOption> {
    match answers.get(&question.id) {
        Some(answer) => {
            let ids = answer.option_ids();
            question
                .options
                .iter()
                .filter(|o| ids.contains(&o.id.as_str()))
                .collect()
        }
        None => Vec::new(),
    }
}

fn holds(condition: &Condition, answers: &AnswerSet) -> bool {
    answers.get(&condition.question).is_some_and(|a| {
        a.option_ids()
            .iter()
            .any(|id| condition.options.iter().any(|o| o == id))
    })
}

/// True when any answer says the firm has no staff.
pub fn is_solo(catalogue: &Catalogue, answers: &AnswerSet) -> bool {
    catalogue.dimensions.iter().any(|d| {
        d.questions
            .iter()
            .any(|q| chosen_options(q, answers).iter().any(|o| o.solo))
    })
}

/// The best points a question can give (a multi-choice question: 100).
fn best_points(question: &Question) -> u32 {
    match question.kind {
        QuestionKind::Multi => 100,
        QuestionKind::Single => question
            .options
            .iter()
            .filter_map(|o| match o.score {
                Some(ScoreRule::Points(p)) => Some(u32::from(p)),
                _ => None,
            })
            .max()
            .unwrap_or(0),
    }
}

/// One answer's step, before ranking.
struct Candidate {
    dimension: usize,
    question: String,
    option: String,
    priority: u32,
}

/// The rules of catalogue 2027.1 on (documented in the README, "How scoring works"):
/// - "Weiß nicht" is not counted; it yields a "find out" step. A dimension with more than half
///   of its answered questions unknown, or with none counted, is not assessable: left out of the
///   overall score, whose weights are renormalised over the others.
/// - A red flag is raised when its option is chosen and all its conditions hold. It caps its
///   dimension at its `cap_level`. Overall: one normal flag caps at `overall_red_flag_cap`; two or
///   more normal/grave flags, or one grave flag, at `several_flags_cap`; soft flags alone at
///   `soft_flag_cap`.
/// - A core question answered with 0 points caps its dimension at `core_zero_cap`.
/// - An assessable dimension at level 1 caps the overall level at `weak_dimension_cap`.
/// - Actions: red flags first (grave first, then by priority), then each chosen option's step,
///   by points lost × dimension weight × importance; steps about staff never reach a firm
///   without staff, and an option whose flag is raised shows the flag's action instead.
fn assess_with_rules(
    catalogue: &Catalogue,
    rules: &ScoringRules,
    answers: &AnswerSet,
) -> Assessment {
    let solo = is_solo(catalogue, answers);
    let stage = Stage::of(answers);
    // Answers that are a condition of a raised flag: the flag's action speaks for them.
    let covered: Vec<&str> = catalogue
        .dimensions
        .iter()
        .flat_map(|d| &d.questions)
        .flat_map(|q| chosen_options(q, answers))
        .filter_map(|o| o.red_flag.as_ref())
        .filter(|f| f.when.iter().all(|c| holds(c, answers)))
        .flat_map(|f| f.when.iter().map(|c| c.question.as_str()))
        .collect();
    let mut dimensions = Vec::with_capacity(catalogue.dimensions.len());
    let mut red_flags = Vec::new();
    let mut flag_order: Vec<(Severity, u32, usize)> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (index, d) in catalogue.dimensions.iter().enumerate() {
        let importance = importance_weight(catalogue, d, answers);
        let mut sum = 0u64;
        let mut counted = 0u64;
        let mut unknown = 0u64;
        let mut core_zero = false;
        let mut flag_caps = Vec::new();
        for q in &d.questions {
            let chosen = chosen_options(q, answers);
            let points = question_points(q, answers);
            let is_unknown = chosen
                .iter()
                .any(|o| matches!(o.score, Some(ScoreRule::Unknown(_))));
            match points {
                Some(p) => {
                    sum += u64::from(p);
                    counted += 1;
                    if q.core && p == 0 {
                        core_zero = true;
                    }
                }
                None if is_unknown => unknown += 1,
                None if q.required && answers.get(&q.id).is_none() => {
                    counted += 1;
                    core_zero |= q.core;
                }
                None => {}
            }
            let lost = match points {
                Some(p) => best_points(q).saturating_sub(p),
                None if is_unknown => u32::from(rules.unknown_rank_points),
                None => 0,
            };
            for o in &chosen {
                let raised = o
                    .red_flag
                    .as_ref()
                    .filter(|f| f.when.iter().all(|c| holds(c, answers)));
                if let Some(flag) = raised {
                    flag_caps.push(flag.cap_level);
                    red_flags.push(RedFlagHit {
                        id: flag.id.clone(),
                        dimension: d.id.clone(),
                        question: q.id.clone(),
                        option: o.id.clone(),
                    });
                    let priority = (lost.max(1)) * d.weight * u32::from(importance);
                    flag_order.push((flag.severity, priority, index));
                    continue;
                }
                let Some(step) = &o.step else { continue };
                if step.staff && solo || covered.contains(&q.id.as_str()) {
                    continue;
                }
                candidates.push(Candidate {
                    dimension: index,
                    question: q.id.clone(),
                    option: o.id.clone(),
                    priority: lost * d.weight * u32::from(importance),
                });
            }
        }
        let not_assessable = counted == 0 || 2 * unknown > counted + unknown;
        let score = u8::try_from(div_round(sum, counted).min(100)).unwrap_or(100);
        let uncapped_level = catalogue.level_for_score(score);
        let mut level = uncapped_level;
        for cap in flag_caps {
            level = level.min(cap);
        }
        if core_zero {
            level = level.min(rules.core_zero_cap);
        }
        dimensions.push(DimensionResult {
            id: d.id.clone(),
            score,
            level,
            uncapped_level,
            importance,
            not_assessable,
            importance_answered: answers
                .single(&Catalogue::importance_question_id(d))
                .is_some(),
        });
    }

    let (weighted, weight_sum) = catalogue
        .dimensions
        .iter()
        .zip(&dimensions)
        .filter(|(_, r)| !r.not_assessable)
        .fold((0u64, 0u64), |(w, s), (d, r)| {
            (
                w + u64::from(d.weight) * u64::from(r.score),
                s + u64::from(d.weight),
            )
        });
    let overall_score = u8::try_from(div_round(weighted, weight_sum).min(100)).unwrap_or(100);
    let mut overall_level = catalogue.level_for_score(overall_score);
    let hard = flag_order
        .iter()
        .filter(|(s, _, _)| *s != Severity::Soft)
        .count();
    let grave = flag_order.iter().any(|(s, _, _)| *s == Severity::Grave);
    if hard >= 2 || grave {
        overall_level = overall_level.min(rules.several_flags_cap);
    } else if hard == 1 {
        overall_level = overall_level.min(catalogue.overall_red_flag_cap);
    } else if !flag_order.is_empty() {
        overall_level = overall_level.min(rules.soft_flag_cap);
    }
    if dimensions.iter().any(|d| !d.not_assessable && d.level == 1) {
        overall_level = overall_level.min(rules.weak_dimension_cap);
    }

    let rank = |s: Severity| match s {
        Severity::Grave => 0,
        Severity::Normal => 1,
        Severity::Soft => 2,
    };
    let mut flag_actions: Vec<(usize, (Severity, u32, usize), &RedFlagHit)> = flag_order
        .iter()
        .copied()
        .zip(&red_flags)
        .enumerate()
        .map(|(i, (o, h))| (i, o, h))
        .collect();
    flag_actions.sort_by(|(ia, a, _), (ib, b, _)| {
        rank(a.0)
            .cmp(&rank(b.0))
            .then(b.1.cmp(&a.1))
            .then(ia.cmp(ib))
    });
    candidates.sort_by_key(|c| std::cmp::Reverse(c.priority));
    let actions = flag_actions
        .into_iter()
        .map(|(_, (_, priority, index), hit)| Action {
            dimension: hit.dimension.clone(),
            red_flag: Some(hit.id.clone()),
            level: dimensions[index].level,
            priority,
            question: Some(hit.question.clone()),
            option: Some(hit.option.clone()),
            planning: false,
        })
        .chain(candidates.into_iter().map(|c| Action {
            dimension: dimensions[c.dimension].id.clone(),
            red_flag: None,
            level: dimensions[c.dimension].level,
            priority: c.priority,
            question: Some(c.question),
            option: Some(c.option),
            planning: !stage.is_active(),
        }))
        .collect();

    Assessment {
        catalogue_version: catalogue.version.clone(),
        overall: ScoreLevel {
            score: overall_score,
            level: overall_level,
        },
        dimensions,
        red_flags,
        actions,
    }
}

/// The step an action shows, when it is one answer's step (2027.1 on); `None` for red flags
/// and for the level recommendations of 2026.1.
pub fn step_of<'a>(catalogue: &'a Catalogue, action: &Action) -> Option<&'a Step> {
    if action.red_flag.is_some() {
        return None;
    }
    let d = catalogue.dimension(&action.dimension)?;
    let q = d
        .questions
        .iter()
        .find(|q| Some(&q.id) == action.question.as_ref())?;
    q.options
        .iter()
        .find(|o| Some(&o.id) == action.option.as_ref())?
        .step
        .as_ref()
}

/// Where a dimension sits in the priority matrix: importance (up) against score (right), split at
/// 50 points and between importance 2 and 3. The order is the order of the action plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quadrant {
    /// Important and below 50 points.
    TackleFirst,
    /// Important and at least 50 points.
    KeepUp,
    /// Less important and below 50 points.
    Later,
    /// Less important and at least 50 points.
    DoNotOverInvest,
}

impl Quadrant {
    pub const SPLIT_SCORE: u8 = 50;
    /// Importance weights from this one up count as important.
    pub const SPLIT_IMPORTANCE: u8 = 3;

    pub fn of(score: u8, importance: u8) -> Quadrant {
        match (
            importance >= Self::SPLIT_IMPORTANCE,
            score < Self::SPLIT_SCORE,
        ) {
            (true, true) => Quadrant::TackleFirst,
            (true, false) => Quadrant::KeepUp,
            (false, true) => Quadrant::Later,
            (false, false) => Quadrant::DoNotOverInvest,
        }
    }

    /// Position of the quadrant's caption in the matrix (top left, top right, bottom left,
    /// bottom right).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One entry of the action plan: one dimension, with what to do there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub dimension: String,
    pub quadrant: Quadrant,
    /// The red flags to remove, each once; when there are any, they are the steps and the
    /// level's recommendation is left out (it would repeat them: both say "stop deleting
    /// criticism", "write down your goals" and so on).
    pub red_flags: Vec<String>,
    /// The level whose recommendation applies when there is no red flag.
    pub level: u8,
    pub priority: u32,
}

/// The action plan the result page and the report show: one entry per dimension, never an
/// action twice, in the order the priority matrix tells. Dimensions with red flags come first
/// (a red flag caps the level whatever the importance); then the matrix's quadrants in the order
/// "tackle first", "keep up", "later", "do not over-invest"; within those by importance × gap,
/// ties in catalogue order. A dimension at 100 points without red flags has nothing to do.
///
/// Computed from the stored dimensions and red flags, so results stored earlier get the same plan.
pub fn action_plan(assessment: &Assessment) -> Vec<PlannedAction> {
    let mut plan: Vec<(bool, usize, PlannedAction)> = Vec::new();
    for (i, d) in assessment.dimensions.iter().enumerate() {
        let mut flags: Vec<String> = Vec::new();
        for hit in assessment.red_flags.iter().filter(|h| h.dimension == d.id) {
            if !flags.contains(&hit.id) {
                flags.push(hit.id.clone());
            }
        }
        if flags.is_empty() && d.score >= 100 {
            continue;
        }
        plan.push((
            flags.is_empty(),
            i,
            PlannedAction {
                dimension: d.id.clone(),
                quadrant: Quadrant::of(d.score, d.importance),
                red_flags: flags,
                level: d.level,
                priority: u32::from(d.importance) * (100 - u32::from(d.score.min(100))),
            },
        ));
    }
    plan.sort_by(|(fa, ia, a), (fb, ib, b)| {
        fa.cmp(fb)
            .then(a.quadrant.cmp(&b.quadrant))
            .then(b.priority.cmp(&a.priority))
            .then(ia.cmp(ib))
    });
    plan.into_iter().map(|(_, _, a)| a).collect()
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn dim(id: &str, score: u8, importance: u8) -> DimensionResult {
        DimensionResult {
            id: id.into(),
            score,
            level: 1 + score / 20,
            uncapped_level: 1 + score / 20,
            importance,
            not_assessable: false,
            importance_answered: true,
        }
    }

    fn flag(id: &str, dimension: &str, question: &str) -> RedFlagHit {
        RedFlagHit {
            id: id.into(),
            dimension: dimension.into(),
            question: question.into(),
            option: "o".into(),
        }
    }

    fn assessment(dimensions: Vec<DimensionResult>, red_flags: Vec<RedFlagHit>) -> Assessment {
        Assessment {
            catalogue_version: "t".into(),
            overall: ScoreLevel {
                score: 50,
                level: 3,
            },
            actions: rank_actions(&dimensions, &red_flags),
            dimensions,
            red_flags,
        }
    }

    #[test]
    fn the_plan_follows_the_matrix_quadrants() {
        // Importance × gap alone would put "strong_important" (4 × 45 = 180) before
        // "weak_important" (3 × 55 = 165), against the matrix, which says "tackle first" for the
        // latter.
        let a = assessment(
            vec![
                dim("strong_unimportant", 80, 1),
                dim("weak_unimportant", 10, 2),
                dim("strong_important", 55, 4),
                dim("weak_important", 45, 3),
                dim("perfect", 100, 4),
            ],
            vec![],
        );
        let plan = action_plan(&a);
        let order: Vec<(&str, Quadrant)> = plan
            .iter()
            .map(|p| (p.dimension.as_str(), p.quadrant))
            .collect();
        assert_eq!(
            order,
            vec![
                ("weak_important", Quadrant::TackleFirst),
                ("strong_important", Quadrant::KeepUp),
                ("weak_unimportant", Quadrant::Later),
                ("strong_unimportant", Quadrant::DoNotOverInvest),
            ]
        );
        for p in &plan {
            let d = a.dimensions.iter().find(|d| d.id == p.dimension).unwrap();
            assert_eq!(p.quadrant, Quadrant::of(d.score, d.importance));
        }
    }

    #[test]
    fn no_dimension_and_no_red_flag_appears_twice() {
        // The old ranking listed a flagged dimension twice (its flag, then its recommendation)
        // and a flag hit twice twice.
        let a = assessment(
            vec![dim("dialogue", 20, 2), dim("content", 40, 4)],
            vec![
                flag("deletes_criticism", "dialogue", "q1"),
                flag("slow_or_no_answer", "dialogue", "q2"),
                flag("deletes_criticism", "dialogue", "q3"),
            ],
        );
        assert_eq!(
            a.actions.len(),
            5,
            "the stored ranking repeats: {:?}",
            a.actions
        );
        let plan = action_plan(&a);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].dimension, "dialogue", "red flags first");
        assert_eq!(
            plan[0].red_flags,
            vec![
                "deletes_criticism".to_owned(),
                "slow_or_no_answer".to_owned()
            ]
        );
        assert_eq!(plan[1].dimension, "content");
        assert!(plan[1].red_flags.is_empty());
    }

    #[test]
    fn quadrant_boundaries() {
        assert_eq!(Quadrant::of(49, 3), Quadrant::TackleFirst);
        assert_eq!(Quadrant::of(50, 3), Quadrant::KeepUp);
        assert_eq!(Quadrant::of(49, 2), Quadrant::Later);
        assert_eq!(Quadrant::of(50, 2), Quadrant::DoNotOverInvest);
    }

    #[test]
    fn results_stored_before_the_answered_flag_read_as_answered() {
        let json = r#"{"id":"a","score":10,"level":1,"uncapped_level":1,"importance":2}"#;
        let d: DimensionResult = serde_json::from_str(json).unwrap();
        assert!(d.importance_answered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::{Answer, RawAnswer};

    /// A small catalogue with hand-checkable numbers: three dimensions weighted 2, 1, 1.
    fn test_catalogue() -> Catalogue {
        let text = |s: &str| format!(r#"{{"de": "{s}", "en": "{s}"}}"#);
        let option = |id: &str, score: &str, extra: &str| {
            format!(
                r#"{{"id": "{id}", "label": {}, "score": {score}{extra}}}"#,
                text(id)
            )
        };
        let flag = |id: &str, cap: u8| {
            format!(
                r#", "red_flag": {{"id": "{id}", "text": {t}, "reason": {t}, "action": {t}, "source": "s", "cap_level": {cap}}}"#,
                t = text(id)
            )
        };
        let single = |id: &str, options: Vec<String>| {
            format!(
                r#"{{"id": "{id}", "text": {}, "kind": "single", "required": true, "source": "s", "options": [{}]}}"#,
                text(id),
                options.join(",")
            )
        };
        let graded = |id: &str| {
            single(
                id,
                vec![
                    option(&format!("{id}_0"), "0", ""),
                    option(&format!("{id}_50"), "50", ""),
                    option(&format!("{id}_100"), "100", ""),
                ],
            )
        };
        let recommendations = (1..=5)
            .map(|l| format!(r#"{{"level": {l}, "text": {}, "source": "s"}}"#, text("r")))
            .collect::<Vec<_>>()
            .join(",");
        let dimension = |id: &str, weight: u32, questions: Vec<String>| {
            format!(
                r#"{{"id": "{id}", "title": {t}, "intro": {t}, "weight": {weight}, "questions": [{}], "recommendations": [{recommendations}]}}"#,
                questions.join(","),
                t = text(id)
            )
        };
        let levels = [0, 20, 40, 60, 80]
            .iter()
            .enumerate()
            .map(|(i, min)| {
                format!(
                    r#"{{"level": {}, "min_score": {min}, "name": {t}, "description": {t}}}"#,
                    i + 1,
                    t = text("l")
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let json = format!(
            r#"{{"version": "t1", "date": "2026-01-01",
            "sources": [{{"id": "s", "title": "Quelle", "file": "s.txt"}}],
            "levels": [{levels}], "overall_red_flag_cap": 3,
            "importance": {{"text": {t}, "default_option": "m", "options": [
                {{"id": "l", "label": {t}, "weight": 1}}, {{"id": "m", "label": {t}, "weight": 2}},
                {{"id": "h", "label": {t}, "weight": 4}}]}},
            "profile": [],
            "dimensions": [{a}, {b}, {c}]}}"#,
            t = text("x"),
            a = dimension("a", 2, vec![graded("a1"), graded("a2"), graded("a3")]),
            b = dimension(
                "b",
                1,
                vec![
                    graded("b1"),
                    graded("b2"),
                    single(
                        "b3",
                        vec![
                            option("b3_bad", "0", &flag("deletes_criticism", 2)),
                            option("b3_ok", "100", ""),
                            option("b3_na", r#""excluded""#, ""),
                        ]
                    )
                ]
            ),
            c = dimension(
                "c",
                1,
                vec![
                    graded("c1"),
                    graded("c2"),
                    format!(
                        r#"{{"id": "c3", "text": {t}, "kind": "multi", "required": true, "source": "s", "options": [{}, {}, {}, {}]}}"#,
                        option("blog", "40", ""),
                        option("forum", "40", ""),
                        option("meetup", "40", ""),
                        option("none", "0", r#", "exclusive": true"#),
                        t = text("c3")
                    )
                ]
            ),
        );
        let catalogue: Catalogue = serde_json::from_str(&json).expect("test catalogue parses");
        // The test catalogue is deliberately smaller than a real one (3 dimensions, no profile).
        catalogue
    }

    fn answers(catalogue: &Catalogue, pairs: &[(&str, &[&str])]) -> AnswerSet {
        let raw = pairs.iter().map(|(q, options)| {
            let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            (q.to_string(), RawAnswer::Many(options))
        });
        AnswerSet::parse(catalogue, raw).expect("valid test answers")
    }

    const BEST: &[(&str, &[&str])] = &[
        ("a1", &["a1_100"]),
        ("a2", &["a2_100"]),
        ("a3", &["a3_100"]),
        ("b1", &["b1_100"]),
        ("b2", &["b2_100"]),
        ("b3", &["b3_ok"]),
        ("c1", &["c1_100"]),
        ("c2", &["c2_100"]),
        ("c3", &["blog", "forum", "meetup"]),
    ];

    const WORST: &[(&str, &[&str])] = &[
        ("a1", &["a1_0"]),
        ("a2", &["a2_0"]),
        ("a3", &["a3_0"]),
        ("b1", &["b1_0"]),
        ("b2", &["b2_0"]),
        ("b3", &["b3_bad"]),
        ("c1", &["c1_0"]),
        ("c2", &["c2_0"]),
        ("c3", &["none"]),
    ];

    #[test]
    fn all_best_answers_score_100_at_the_top_level() {
        let catalogue = test_catalogue();
        let result = assess(&catalogue, &answers(&catalogue, BEST));
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 100,
                level: 5
            }
        );
        assert!(
            result
                .dimensions
                .iter()
                .all(|d| d.score == 100 && d.level == 5)
        );
        assert!(result.red_flags.is_empty());
        assert!(
            result.actions.is_empty(),
            "nothing to improve: {:?}",
            result.actions
        );
    }

    #[test]
    fn all_worst_answers_score_0_with_the_red_flag_first() {
        let catalogue = test_catalogue();
        let result = assess(&catalogue, &answers(&catalogue, WORST));
        assert_eq!(result.overall, ScoreLevel { score: 0, level: 1 });
        assert!(
            result
                .dimensions
                .iter()
                .all(|d| d.score == 0 && d.level == 1)
        );
        assert_eq!(result.red_flags.len(), 1);
        assert_eq!(result.red_flags[0].id, "deletes_criticism");
        assert_eq!(
            result.actions[0].red_flag.as_deref(),
            Some("deletes_criticism")
        );
        assert_eq!(result.actions.len(), 1 + 3);
    }

    #[test]
    fn an_unanswered_importance_ranks_as_the_middle_option_and_is_marked_unanswered() {
        let catalogue = test_catalogue();
        let mut pairs = WORST.to_vec();
        pairs.push(("a.importance", &["h"]));
        let result = assess(&catalogue, &answers(&catalogue, &pairs));
        let a = &result.dimensions[0];
        assert_eq!((a.importance, a.importance_answered), (4, true));
        // The test catalogue's middle ("m") weighs 2.
        let b = &result.dimensions[1];
        assert_eq!((b.importance, b.importance_answered), (2, false));
    }

    #[test]
    fn a_red_flag_caps_its_dimension_and_the_overall_level() {
        let catalogue = test_catalogue();
        let mut pairs = BEST.to_vec();
        pairs[5] = ("b3", &["b3_bad"]);
        let result = assess(&catalogue, &answers(&catalogue, &pairs));
        let b = &result.dimensions[1];
        // b: (100 + 100 + 0) / 3 = 66.67 → 67, level 4 by points, capped at 2 by the flag.
        assert_eq!((b.score, b.uncapped_level, b.level), (67, 4, 2));
        // overall: (2·100 + 67 + 100) / 4 = 91.75 → 92, level 5 by points, capped at 3.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 92,
                level: 3
            }
        );
    }

    #[test]
    fn a_known_mixed_answer_set_gives_a_known_score_and_ranking() {
        let catalogue = test_catalogue();
        let pairs: &[(&str, &[&str])] = &[
            ("a1", &["a1_100"]),
            ("a2", &["a2_50"]),
            ("a3", &["a3_0"]),
            ("a.importance", &["l"]),
            ("b1", &["b1_50"]),
            ("b2", &["b2_50"]),
            ("b3", &["b3_na"]),
            ("b.importance", &["h"]),
            ("c1", &["c1_100"]),
            ("c2", &["c2_0"]),
            ("c3", &["blog", "meetup"]),
        ];
        let result = assess(&catalogue, &answers(&catalogue, pairs));
        let scores: Vec<u8> = result.dimensions.iter().map(|d| d.score).collect();
        // a: (100+50+0)/3 = 50; b: b3 excluded → (50+50)/2 = 50; c: (100+0+80)/3 = 60.
        assert_eq!(scores, vec![50, 50, 60]);
        // overall: (2·50 + 50 + 60) / 4 = 52.5 → 53 (half up), level 3.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 53,
                level: 3
            }
        );
        // priorities: a = 1·50 = 50, b = 4·50 = 200, c = 2 (default) · 40 = 80.
        let order: Vec<(&str, u32)> = result
            .actions
            .iter()
            .map(|a| (a.dimension.as_str(), a.priority))
            .collect();
        assert_eq!(order, vec![("b", 200), ("c", 80), ("a", 50)]);
    }

    #[test]
    fn a_2026_result_serialises_exactly_as_before_and_old_json_still_reads() {
        let catalogue = test_catalogue();
        let result = assess(&catalogue, &answers(&catalogue, WORST));
        let json = serde_json::to_string(&result).expect("json");
        // The fields of 2027.1 are left out, so frozen 2026.1 results keep their form.
        assert!(!json.contains("not_assessable"), "{json}");
        let actions = serde_json::to_string(&result.actions).expect("json");
        assert!(
            !actions.contains("question") && !actions.contains("option"),
            "{actions}"
        );
        let old = r#"{"catalogue_version":"2026.1","overall":{"score":50,"level":3},
            "dimensions":[{"id":"a","score":50,"level":3,"uncapped_level":3,"importance":2}],
            "red_flags":[],"actions":[{"dimension":"a","red_flag":null,"level":3,"priority":100}]}"#;
        let read: Assessment = serde_json::from_str(old).expect("a stored 2026.1 result reads");
        assert!(!read.dimensions[0].not_assessable);
        assert_eq!(read.actions[0].question, None);
    }

    #[test]
    fn a_multi_answer_is_capped_at_100() {
        let catalogue = test_catalogue();
        let d = &catalogue.dimensions[2];
        let set = answers(
            &catalogue,
            &[
                ("c3", &["blog", "forum", "meetup"]),
                ("c1", &["c1_0"]),
                ("c2", &["c2_0"]),
            ],
        );
        // 120 capped to 100; (0 + 0 + 100) / 3 = 33.3 → 33.
        assert_eq!(dimension_score(d, &set), 33);
    }

    #[test]
    fn unanswered_required_questions_count_as_zero() {
        let catalogue = test_catalogue();
        let d = &catalogue.dimensions[0];
        let set = answers(&catalogue, &[("a1", &["a1_100"])]);
        assert_eq!(dimension_score(d, &set), 33);
        assert_eq!(set.get("a1"), Some(&Answer::Single("a1_100".into())));
    }

    #[test]
    fn the_real_catalogue_scores_its_extremes_to_0_and_100() {
        let catalogue = crate::survey::current();
        let mut best = Vec::new();
        let mut worst = Vec::new();
        for d in &catalogue.dimensions {
            for q in &d.questions {
                let points = |o: &crate::survey::AnswerOption| match o.score {
                    Some(ScoreRule::Points(p)) => i32::from(p),
                    _ => -1,
                };
                match q.kind {
                    QuestionKind::Single => {
                        let top = q.options.iter().max_by_key(|o| points(o)).expect("options");
                        let bottom = q
                            .options
                            .iter()
                            .rfind(|o| points(o) == 0)
                            .expect("a 0 option");
                        best.push((q.id.clone(), RawAnswer::One(top.id.clone())));
                        worst.push((q.id.clone(), RawAnswer::One(bottom.id.clone())));
                    }
                    QuestionKind::Multi => {
                        let all = q
                            .options
                            .iter()
                            .filter(|o| !o.exclusive)
                            .map(|o| o.id.clone())
                            .collect();
                        let none = q.options.iter().find(|o| o.exclusive).expect("none option");
                        best.push((q.id.clone(), RawAnswer::Many(all)));
                        worst.push((q.id.clone(), RawAnswer::One(none.id.clone())));
                    }
                }
            }
        }
        let best = assess(
            catalogue,
            &AnswerSet::parse(catalogue, best).expect("valid"),
        );
        let worst = assess(
            catalogue,
            &AnswerSet::parse(catalogue, worst).expect("valid"),
        );
        assert_eq!(
            best.overall,
            ScoreLevel {
                score: 100,
                level: 5
            }
        );
        assert!(best.red_flags.is_empty());
        assert_eq!(worst.overall.score, 0);
        assert_eq!(worst.overall.level, 1);
    }
}

/// Personas for catalogue 2027.1, written from the principles of issue 13 before the rules were
/// tuned; every expectation is computed by hand in the comment above it. Dimension weights in
/// 2027.1: strategy 2, community 1, content 1, resources 2, responsibility 2, dialogue 2,
/// integration 1, channels 1, brand_risk 1 (sum 13). Importance left open weighs 2 ("medium").
#[cfg(test)]
mod personas {
    use super::*;
    use crate::survey::RawAnswer;

    fn catalogue() -> &'static Catalogue {
        crate::survey::next()
    }

    /// The best answer to every scored question, then the persona's own answers.
    fn persona(changes: &[(&str, &str)]) -> Assessment {
        let catalogue = catalogue();
        let mut raw: Vec<(String, RawAnswer)> = Vec::new();
        for d in &catalogue.dimensions {
            for q in &d.questions {
                let answer = match changes.iter().find(|(id, _)| *id == q.id) {
                    Some((_, option)) => RawAnswer::One((*option).to_owned()),
                    None => {
                        let best = q
                            .options
                            .iter()
                            .max_by_key(|o| match o.score {
                                Some(ScoreRule::Points(p)) => i32::from(p),
                                _ => -1,
                            })
                            .expect("options");
                        RawAnswer::One(best.id.clone())
                    }
                };
                raw.push((q.id.clone(), answer));
            }
        }
        for (id, option) in changes {
            if catalogue.profile.iter().any(|q| q.id == *id) {
                raw.push(((*id).to_owned(), RawAnswer::One((*option).to_owned())));
            }
        }
        let answers = AnswerSet::parse(catalogue, raw).expect("persona answers are valid");
        assess(catalogue, &answers)
    }

    fn dimension<'a>(result: &'a Assessment, id: &str) -> &'a DimensionResult {
        result
            .dimensions
            .iter()
            .find(|d| d.id == id)
            .expect("dimension")
    }

    fn flags(result: &Assessment) -> Vec<&str> {
        result.red_flags.iter().map(|f| f.id.as_str()).collect()
    }

    fn steps(result: &Assessment) -> Vec<(Option<&str>, &str, &str)> {
        result
            .actions
            .iter()
            .map(|a| {
                (
                    a.red_flag.as_deref(),
                    a.question.as_deref().unwrap_or(""),
                    a.option.as_deref().unwrap_or(""),
                )
            })
            .collect()
    }

    #[test]
    fn a_firm_following_all_five_articles_scores_100_with_nothing_to_do() {
        let result = persona(&[]);
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 100,
                level: 5
            }
        );
        assert!(result.red_flags.is_empty());
        assert!(result.actions.is_empty(), "{:?}", result.actions);
        assert_eq!(result.catalogue_version, "2027.1");
    }

    #[test]
    fn the_open_letters_owner_lands_at_the_bottom_levels() {
        // 000's five mistakes: a competitor as trigger, giveaways, no own time, the channel
        // handed over without rules, deleting criticism; everything else ideal (goals written).
        let result = persona(&[
            ("strategy_trigger", "competitor"),
            ("community_growth", "giveaways"),
            ("resources_owner_time", "none"),
            ("responsibility_owner", "named"),
            ("responsibility_rules", "none"),
            ("dialogue_criticism", "delete"),
        ]);
        // strategy (0+4·100)/5 = 80; community (3·100+0)/4 = 75; resources 80;
        // responsibility (100+0+100+100+100)/5 = 80; dialogue 80; the rest 100.
        // overall (2·80 + 75 + 100 + 2·80 + 2·80 + 2·80 + 3·100) / 13 = 1115/13 = 85.8 → 86.
        assert_eq!(result.overall.score, 86);
        // Four flags, one of them grave, and dialogue at level 1: level 2 at most.
        assert_eq!(result.overall.level, 2);
        assert_eq!(
            flags(&result),
            vec![
                "giveaways_main_growth",
                "no_time_delegate",
                "channel_without_rules",
                "deletes_criticism"
            ]
        );
        // 000 calls the hurried start "nicht schlimm": a step, not a flag, as goals exist.
        assert!(!flags(&result).contains(&"competitor_envy"));
        assert_eq!(
            (
                dimension(&result, "dialogue").score,
                dimension(&result, "dialogue").level
            ),
            (80, 1)
        );
        // Grave flag first; then by points lost × weight × importance (100·2·2 = 400 for the
        // resources and responsibility flags, 100·1·2 = 200 for giveaways); then the step.
        assert_eq!(
            steps(&result),
            vec![
                (Some("deletes_criticism"), "dialogue_criticism", "delete"),
                (Some("no_time_delegate"), "resources_owner_time", "none"),
                (
                    Some("channel_without_rules"),
                    "responsibility_rules",
                    "none"
                ),
                (
                    Some("giveaways_main_growth"),
                    "community_growth",
                    "giveaways"
                ),
                (None, "strategy_trigger", "competitor"),
            ]
        );
        // He has a long-term budget: nothing tells him to set one.
        assert!(
            result
                .actions
                .iter()
                .all(|a| a.question.as_deref() != Some("resources_budget"))
        );
    }

    #[test]
    fn a_firm_ignoring_four_homework_items_is_not_well_placed_and_is_flagged() {
        // No goals, no budget (but fixed time, so not the grave flag), no exit plan, staff not
        // informed; everything else ideal.
        let result = persona(&[
            ("strategy_goals", "none"),
            ("resources_budget", "none"),
            ("brand_risk_exit", "no"),
            ("responsibility_informed", "no"),
        ]);
        // strategy 80 (flag no_goals → 2); resources 80 (core item at 0 → 3);
        // responsibility (100+100+0+100+100)/5 = 80 (flag → 2); brand_risk 80 (soft flag → 3).
        // overall (2·80 + 100 + 100 + 2·80 + 2·80 + 2·100 + 100 + 100 + 80)/13 = 1160/13 = 89.2.
        assert_eq!(result.overall.score, 89);
        assert_eq!(result.overall.level, 2, "two flags cap at level 2");
        let levels: Vec<(&str, u8)> = ["strategy", "resources", "responsibility", "brand_risk"]
            .iter()
            .map(|id| (*id, dimension(&result, id).level))
            .collect();
        assert_eq!(
            levels,
            vec![
                ("strategy", 2),
                ("resources", 3),
                ("responsibility", 2),
                ("brand_risk", 3)
            ]
        );
        assert_eq!(
            flags(&result),
            vec!["no_goals", "staff_not_informed", "no_exit_plan"]
        );
        // The steps address what is missing (no "review your goals once a year").
        assert_eq!(
            steps(&result),
            vec![
                (Some("no_goals"), "strategy_goals", "none"),
                (Some("staff_not_informed"), "responsibility_informed", "no"),
                (Some("no_exit_plan"), "brand_risk_exit", "no"),
                (None, "resources_budget", "none"),
            ]
        );
    }

    #[test]
    fn a_solo_owner_following_000_gets_no_staff_advice_and_no_penalty() {
        // Runs the channels himself, no employees, learns by doing, answers within hours;
        // says staff do not always say the same (a staff step that must not reach him).
        let result = persona(&[
            ("responsibility_owner", "self"),
            ("responsibility_rules", "alone"),
            ("responsibility_informed", "no_staff"),
            ("responsibility_staff_active", "no_staff"),
            ("channels_internal", "no_staff"),
            ("brand_risk_staff_aware", "no_staff"),
            ("dialogue_trained", "by_doing"),
            ("dialogue_response_time", "hours"),
            ("integration_same_message", "not_always"),
        ]);
        // responsibility: only "ich selbst" and the admin rights count → 100, level 5.
        assert_eq!(
            (
                dimension(&result, "responsibility").score,
                dimension(&result, "responsibility").level
            ),
            (100, 5)
        );
        // dialogue (100+100+67+100+33)/5 = 80; integration (100+33+100+100)/4 = 83.25 → 83.
        // overall (2·100 + 100 + 100 + 2·100 + 2·100 + 2·80 + 83 + 100 + 100)/13 = 1243/13 = 96.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 96,
                level: 5
            }
        );
        assert!(result.red_flags.is_empty());
        // by_doing: 67 lost ·2·2 = 268; hours: 33·2·2 = 132; the staff step is withheld.
        assert_eq!(
            steps(&result),
            vec![
                (None, "dialogue_trained", "by_doing"),
                (None, "dialogue_response_time", "hours"),
            ]
        );
        let catalogue = catalogue();
        assert!(
            result
                .actions
                .iter()
                .filter_map(|a| step_of(catalogue, a))
                .all(|s| !s.staff)
        );
    }

    #[test]
    fn a_firm_that_has_not_started_is_judged_on_its_preparation() {
        let practice = [
            ("social_media", "no"),
            ("community_bought", "no_channels"),
            ("content_sharing", "not_yet"),
            ("content_dialogue", "not_yet"),
            ("dialogue_response_time", "not_yet"),
            ("brand_risk_fit", "not_yet"),
        ];
        // Thorough preparation: nothing that cannot exist yet is held against it.
        let prepared = persona(&practice);
        assert_eq!(
            prepared.overall,
            ScoreLevel {
                score: 100,
                level: 5
            }
        );
        assert!(prepared.dimensions.iter().all(|d| !d.not_assessable));
        // Poor preparation still shows: vague goals and no budget, on the side.
        let mut unprepared = practice.to_vec();
        unprepared.extend([
            ("strategy_goals", "vague"),
            ("resources_budget", "none"),
            ("resources_time", "side"),
        ]);
        let result = persona(&unprepared);
        // resources (0+0+100+100+100)/5 = 60, grave flag → level 1; strategy (100+33+300)/5 = 87.
        assert_eq!(dimension(&result, "resources").score, 60);
        assert_eq!(dimension(&result, "resources").level, 1);
        assert_eq!(flags(&result), vec!["no_budget_on_the_side"]);
        // overall (2·87 + 100 + 100 + 2·60 + 2·100 + 2·100 + 100 + 100 + 100)/13 = 1194/13 = 92,
        // capped at 2 by the grave flag and by resources at level 1.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 92,
                level: 2
            }
        );
        // Steps that presume posts or accounts are worded as plans for it.
        let mut offers = practice.to_vec();
        offers.push(("content_topics", "offers"));
        let result = persona(&offers);
        let action = result
            .actions
            .iter()
            .find(|a| a.question.as_deref() == Some("content_topics"))
            .expect("the step of content_topics");
        assert!(action.planning);
        let step = step_of(crate::survey::next(), action).expect("a step");
        assert!(
            step.text_for(true)
                .de
                .starts_with("Planen Sie von Anfang an")
        );
        assert!(step.text_for(false).de.starts_with("Ersetzen Sie"));
        let mut active = offers.clone();
        active.retain(|(_, a)| *a != "not_yet" && *a != "no_channels" && *a != "no");
        active.push(("social_media", "yes"));
        let result = persona(&active);
        assert!(result.actions.iter().all(|a| !a.planning));
    }
}

/// The rules of 2027.1, one test each, on the real catalogue where it has the case.
#[cfg(test)]
mod rules {
    use super::*;
    use crate::survey::RawAnswer;

    fn with(changes: &[(&str, &str)]) -> Assessment {
        let catalogue = crate::survey::next();
        let raw = catalogue
            .dimensions
            .iter()
            .flat_map(|d| &d.questions)
            .map(|q| {
                let option = changes
                    .iter()
                    .find(|(id, _)| *id == q.id)
                    .map(|(_, o)| (*o).to_owned())
                    .unwrap_or_else(|| {
                        q.options
                            .iter()
                            .max_by_key(|o| match o.score {
                                Some(ScoreRule::Points(p)) => i32::from(p),
                                _ => -1,
                            })
                            .map(|o| o.id.clone())
                            .unwrap_or_default()
                    });
                (q.id.clone(), RawAnswer::One(option))
            });
        assess(catalogue, &AnswerSet::parse(catalogue, raw).expect("valid"))
    }

    fn ids(result: &Assessment) -> Vec<&str> {
        result.red_flags.iter().map(|f| f.id.as_str()).collect()
    }

    fn level(result: &Assessment, id: &str) -> u8 {
        result
            .dimensions
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.level)
            .expect("dimension")
    }

    #[test]
    fn competitor_envy_is_a_hint_unless_goals_are_missing() {
        let hint = with(&[("strategy_trigger", "competitor")]);
        assert!(hint.red_flags.is_empty());
        assert_eq!(hint.actions[0].option.as_deref(), Some("competitor"));
        assert_eq!(hint.overall.level, 5);
        let flagged = with(&[
            ("strategy_trigger", "competitor"),
            ("strategy_goals", "none"),
        ]);
        assert_eq!(ids(&flagged), vec!["competitor_envy", "no_goals"]);
    }

    #[test]
    fn no_time_delegate_fires_only_without_written_rules() {
        let with_rules = with(&[("resources_owner_time", "none")]);
        assert!(with_rules.red_flags.is_empty(), "written rules exist");
        assert_eq!(
            with_rules.actions[0].question.as_deref(),
            Some("resources_owner_time")
        );
        let oral = with(&[
            ("resources_owner_time", "none"),
            ("responsibility_rules", "oral"),
        ]);
        assert_eq!(ids(&oral), vec!["no_time_delegate"]);
        // One normal flag: the overall level is capped at 3.
        assert_eq!(oral.overall.level, 3);
    }

    #[test]
    fn an_answer_behind_a_raised_flag_shows_the_flags_action_not_its_step() {
        // "on the side" is a condition of the grave flag: its own step would repeat the flag.
        let both = with(&[("resources_budget", "none"), ("resources_time", "side")]);
        assert_eq!(both.actions.len(), 1);
        assert_eq!(
            both.actions[0].red_flag.as_deref(),
            Some("no_budget_on_the_side")
        );
        // Without the flag, each answer keeps its own step.
        let side = with(&[("resources_time", "side")]);
        assert_eq!(side.actions[0].option.as_deref(), Some("side"));
    }

    #[test]
    fn no_budget_is_grave_only_together_with_on_the_side() {
        let no_budget = with(&[("resources_budget", "none")]);
        assert!(no_budget.red_flags.is_empty());
        let both = with(&[("resources_budget", "none"), ("resources_time", "side")]);
        assert_eq!(ids(&both), vec!["no_budget_on_the_side"]);
        // Grave: alone it caps the overall level like several flags.
        assert_eq!(both.overall.level, 2);
        assert_eq!(level(&both, "resources"), 1);
    }

    #[test]
    fn the_new_red_flags_are_raised_by_their_answers() {
        let cases = [
            ("strategy_goals", "none", "no_goals"),
            ("responsibility_informed", "no", "staff_not_informed"),
            ("dialogue_expectation", "broadcast", "broadcast_only"),
            ("dialogue_criticism", "ignore", "ignores_criticism"),
            ("brand_risk_exit", "no", "no_exit_plan"),
            ("brand_risk_fit", "never", "careless_brand"),
        ];
        for (question, option, flag) in cases {
            let result = with(&[(question, option)]);
            assert_eq!(ids(&result), vec![flag], "{question}={option}");
            assert_eq!(result.actions[0].red_flag.as_deref(), Some(flag));
        }
    }

    #[test]
    fn a_soft_flag_alone_caps_overall_at_4_and_its_dimension_at_3() {
        let result = with(&[("brand_risk_exit", "no")]);
        // brand_risk (4·100 + 0)/5 = 80; overall (12·100 + 80)/13 = 98.5 → 98 (half up: 1280/13).
        assert_eq!(result.overall.score, 98);
        assert_eq!(result.overall.level, 4);
        assert_eq!(level(&result, "brand_risk"), 3);
    }

    #[test]
    fn two_flags_cap_lower_than_one() {
        let one = with(&[("dialogue_expectation", "broadcast")]);
        let two = with(&[
            ("dialogue_expectation", "broadcast"),
            ("brand_risk_fit", "never"),
        ]);
        assert_eq!((one.overall.level, two.overall.level), (3, 2));
    }

    #[test]
    fn a_core_question_at_zero_caps_its_dimension_at_3() {
        // content (0 + 4·100)/5 = 80 → level 5 by points, 3 by the rule; no flag involved.
        let result = with(&[("content_topics", "random")]);
        let content = result
            .dimensions
            .iter()
            .find(|d| d.id == "content")
            .expect("content");
        assert_eq!(
            (content.score, content.uncapped_level, content.level),
            (80, 5, 3)
        );
        assert!(result.red_flags.is_empty());
        // The same 0 on a question that is not core leaves the level to the points.
        let other = with(&[("content_stories", "no")]);
        assert_eq!(level(&other, "content"), 5);
    }

    #[test]
    fn a_dimension_at_level_1_caps_the_overall_level_at_2() {
        // content: every answer at its weakest → 0, level 1; no red flag in content.
        let result = with(&[
            ("content_topics", "random"),
            ("content_stories", "no"),
            ("content_value", "ads"),
            ("content_sharing", "never"),
            ("content_dialogue", "none"),
        ]);
        assert!(result.red_flags.is_empty());
        assert_eq!(level(&result, "content"), 1);
        // overall 12·100/13 = 92 by points, level 5 → capped at 2.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 92,
                level: 2
            }
        );
    }

    #[test]
    fn dont_know_is_not_scored_and_yields_a_find_out_step() {
        let result = with(&[("dialogue_response_time", "dont_know")]);
        // Excluded, not 0: dialogue stays at 100.
        assert_eq!(
            result
                .dimensions
                .iter()
                .find(|d| d.id == "dialogue")
                .map(|d| (d.score, d.not_assessable)),
            Some((100, false))
        );
        assert_eq!(result.overall.score, 100);
        // A step to find out, ranked by the catalogue's 50 points: 50·2·2 = 200.
        assert_eq!(result.actions.len(), 1);
        assert_eq!(result.actions[0].option.as_deref(), Some("dont_know"));
        assert_eq!(result.actions[0].priority, 200);
        assert!(step_of(crate::survey::next(), &result.actions[0]).is_some());
    }

    #[test]
    fn a_dimension_with_more_than_half_unknown_is_not_assessable_and_left_out() {
        // 2027.1 has one "Weiß nicht" per dimension at most; give community two more.
        let mut value: serde_json::Value =
            serde_json::from_str(crate::survey::CATALOGUE_2027_1_JSON).expect("json");
        let community = &mut value["dimensions"][1];
        assert_eq!(community["id"], "community");
        for q in 0..2 {
            community["questions"][q]["options"]
                .as_array_mut()
                .expect("options")
                .push(serde_json::json!({
                    "id": "dont_know", "label": {"de": "Weiß nicht", "en": "Don't know"},
                    "score": "unknown",
                    "step": {"text": {"de": "Finden Sie es heraus.", "en": "Find out."}}
                }));
        }
        let catalogue = Catalogue::from_json(&value.to_string()).expect("valid");
        let mut raw: Vec<(String, RawAnswer)> = Vec::new();
        for d in &catalogue.dimensions {
            for q in &d.questions {
                let id = match q.id.as_str() {
                    "community_who" | "community_first" | "community_bought" => "dont_know",
                    // counted, but the dimension is left out anyway
                    "community_growth" => "advertising",
                    _ => q
                        .options
                        .iter()
                        .max_by_key(|o| match o.score {
                            Some(ScoreRule::Points(p)) => i32::from(p),
                            _ => -1,
                        })
                        .map(|o| o.id.as_str())
                        .unwrap_or_default(),
                };
                raw.push((q.id.clone(), RawAnswer::One(id.to_owned())));
            }
        }
        let result = assess(
            &catalogue,
            &AnswerSet::parse(&catalogue, raw).expect("valid"),
        );
        let community = &result.dimensions[1];
        // 3 of 4 unknown > half: not assessable, though its one counted answer scores 33.
        assert!(community.not_assessable);
        assert_eq!(community.score, 33);
        // Left out of the overall score: the other weights (12) renormalised → 100, level 5.
        assert_eq!(
            result.overall,
            ScoreLevel {
                score: 100,
                level: 5
            }
        );
        // Three "find out" steps (50·1·2 = 100 each) and the advertising step (67·1·2 = 134).
        let options: Vec<&str> = result
            .actions
            .iter()
            .map(|a| a.option.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            options,
            vec!["advertising", "dont_know", "dont_know", "dont_know"]
        );
        // Exactly half unknown stays assessable: answer community_first.
        let mut answers = AnswerSet::parse(
            &catalogue,
            [(
                "community_first".to_owned(),
                RawAnswer::One("invite".into()),
            )],
        )
        .expect("valid");
        for (q, a) in ["community_who", "community_bought", "community_growth"]
            .iter()
            .zip(["dont_know", "dont_know", "existing"])
        {
            answers.set(q, Some(crate::survey::Answer::Single(a.into())));
        }
        let half = assess(&catalogue, &answers);
        assert!(!half.dimensions[1].not_assessable);
        // (100 + 67)/2 = 83.5 → 84.
        assert_eq!(half.dimensions[1].score, 84);
    }

    #[test]
    fn catalogue_2026_1_keeps_its_rules() {
        // Its frozen results must stay reproducible: no rules block, steps or unknown options.
        let old = crate::survey::current();
        assert_eq!(old.version, "2026.1");
        assert!(old.rules.is_none());
        assert!(old.dimensions.iter().flat_map(|d| &d.questions).all(|q| {
            q.options
                .iter()
                .all(|o| o.step.is_none() && !matches!(o.score, Some(ScoreRule::Unknown(_))))
        }));
    }

    #[test]
    fn every_step_shown_is_the_chosen_options_own() {
        let catalogue = crate::survey::next();
        let result = with(&[
            ("strategy_goals", "vague"),
            ("content_topics", "guess"),
            ("channels_choice", "competitors"),
        ]);
        for action in &result.actions {
            let step = step_of(catalogue, action).expect("a step");
            let d = catalogue.dimension(&action.dimension).expect("dimension");
            let q = d
                .questions
                .iter()
                .find(|q| Some(&q.id) == action.question.as_ref())
                .expect("question");
            let o = q
                .options
                .iter()
                .find(|o| Some(&o.id) == action.option.as_ref())
                .expect("option");
            assert!(std::ptr::eq(step, o.step.as_ref().expect("step")));
        }
        // vague: 67·2·2 = 268; guess: 67·1·2 = 134; competitors: 67·1·2 = 134 (catalogue order).
        let order: Vec<(&str, u32)> = result
            .actions
            .iter()
            .map(|a| (a.question.as_deref().unwrap_or(""), a.priority))
            .collect();
        assert_eq!(
            order,
            vec![
                ("strategy_goals", 268),
                ("content_topics", 134),
                ("channels_choice", 134)
            ]
        );
    }
}
