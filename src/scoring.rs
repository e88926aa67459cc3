//! Scoring: answers + catalogue → dimension scores, levels, red flags and ranked actions.
//! Pure: no web or database types; the rules are documented in `survey::catalogue`.
use serde::{Deserialize, Serialize};

use crate::survey::{AnswerSet, Catalogue, Dimension, Question, QuestionKind, ScoreRule};

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
    /// False when the owner did not answer the importance question: the weight above is then
    /// the catalogue's default, and pages say "not answered" instead of showing it as a choice.
    /// Results stored before this field existed read as answered.
    #[serde(default = "answered_by_default")]
    pub importance_answered: bool,
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
    /// importance × gap (100 − score); red flags come first regardless.
    pub priority: u32,
}

/// The points a question's answer earns, or `None` when it does not count (excluded, unanswered).
fn question_points(question: &Question, answers: &AnswerSet) -> Option<u32> {
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

/// Scores one response.
pub fn assess(catalogue: &Catalogue, answers: &AnswerSet) -> Assessment {
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
