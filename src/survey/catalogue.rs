//! The questionnaire catalogue: its data model, loading and validation.
//!
//! The catalogue is data (`catalogue.json`, embedded in the binary), not code. Every stored
//! response records the catalogue version it was answered under, so results stay reproducible.
//!
//! How answers score (the catalogue's contract, checked by [`Catalogue::validate`]):
//! - every option of a scored question carries `"score"`: a whole number 0–100, or `"excluded"`;
//! - a single-choice question scores the points of the chosen option; a multi-choice question
//!   scores the sum of the chosen options' points, capped at 100;
//! - `"excluded"` ("trifft nicht zu") removes the question from its dimension: the dimension score
//!   is the mean over the remaining questions. "Weiß nicht" is not excluded where not knowing is
//!   itself the gap (e.g. not knowing who your community is): it then scores like the weakest answer;
//! - an option may carry a red flag, which caps the level of its dimension (and the overall level).
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// A text in every language the service speaks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub de: String,
    pub en: String,
}

/// The languages of the service; German first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.de,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub version: String,
    /// Date of this catalogue version, `YYYY-MM-DD`.
    pub date: String,
    pub sources: Vec<Source>,
    pub levels: Vec<LevelDef>,
    /// The highest overall level a firm with any red flag can reach.
    pub overall_red_flag_cap: u8,
    /// The less compensatory rules of catalogue 2027.1 on. Absent in 2026.1, whose frozen
    /// results must stay reproducible, so absent means the rules of 2026.1.
    #[serde(default)]
    pub rules: Option<ScoringRules>,
    pub importance: ImportanceDef,
    pub profile: Vec<Question>,
    pub dimensions: Vec<Dimension>,
}

/// The rules that keep a weak spot from hiding in an average (catalogue 2027.1 on), in the
/// spirit of the weakest-link rule of readiness models. All caps are levels 1..=5.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringRules {
    /// Overall cap with two or more red flags (soft ones not counted) or one grave flag.
    pub several_flags_cap: u8,
    /// Overall cap when only soft red flags are raised.
    pub soft_flag_cap: u8,
    /// Dimension cap when one of its core questions is answered with 0 points.
    pub core_zero_cap: u8,
    /// Overall cap when an assessable dimension ends at level 1.
    pub weak_dimension_cap: u8,
    /// Points counted as lost for a "Weiß nicht", only to rank its "find out" step.
    pub unknown_rank_points: u8,
}

/// One of the articles the questionnaire is built on; cited by its title.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub file: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    pub level: u8,
    /// The lowest score (0–100) at this level.
    pub min_score: u8,
    pub name: Text,
    pub description: Text,
}

/// The question asked once per dimension: how important is this topic for the firm?
/// Not scored; its weight ranks the actions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportanceDef {
    pub text: Text,
    pub options: Vec<ImportanceOption>,
    /// The option assumed when the owner leaves the question open.
    pub default_option: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportanceOption {
    pub id: String,
    pub label: Text,
    pub weight: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub title: Text,
    /// One or two sentences on why the topic matters, shown above the questions.
    pub intro: Text,
    /// The articles the intro draws on (2027.1 on; 2026.1's report takes a majority vote).
    #[serde(default)]
    pub intro_sources: Vec<String>,
    /// Weight in the overall score.
    pub weight: u32,
    pub questions: Vec<Question>,
    /// Exactly one per level, 1..=5.
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Single,
    Multi,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: Text,
    #[serde(default)]
    pub help: Option<Text>,
    /// The question as asked of a firm that is not active on social media yet (2027.1 on):
    /// phrased as a plan, so that it is answered for the planning (see [`Stage`]).
    #[serde(default)]
    pub planning: Option<Text>,
    pub kind: QuestionKind,
    pub required: bool,
    /// Source id; required for scored questions.
    #[serde(default)]
    pub source: Option<String>,
    /// A core question: answered with 0 points, it caps its dimension (`rules.core_zero_cap`).
    #[serde(default)]
    pub core: bool,
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub id: String,
    pub label: Text,
    /// Examples that make a label easy to recognise and to find ("z. B. Bäckerei, Tischlerei"),
    /// shown with it; never stored (answers keep the option id).
    #[serde(default)]
    pub hint: Option<Text>,
    /// Present on scored questions, absent on profile questions.
    #[serde(default)]
    pub score: Option<ScoreRule>,
    /// In a multi-choice question, an option that cannot be combined with others ("none of these").
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default)]
    pub red_flag: Option<RedFlag>,
    /// The next step for a firm that chose this option (2027.1 on: every option below the best).
    #[serde(default)]
    pub step: Option<Step>,
    /// Choosing it says the firm has no staff ("ich betreue alles allein", "keine Mitarbeiter"):
    /// steps about staff are then never shown.
    #[serde(default)]
    pub solo: bool,
    /// "Trifft nicht zu – wir sind noch nicht aktiv" (2027.1 on): practice that cannot exist
    /// before the start. A firm that is not active yet gets it without being asked; a firm that
    /// is active is not offered it (see [`Stage`]). Only on excluded options.
    #[serde(default)]
    pub not_active: bool,
}

/// Where a firm stands with social media, from the profile question `social_media`.
///
/// It branches the survey (2027.1 on): a firm that is not active yet is asked planning-phrased
/// questions where a question has them, and practice that cannot exist yet is "not applicable"
/// without being asked; an active firm is not offered "not active yet".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Active,
    Planned,
    NotPlanned,
}

impl Stage {
    /// The profile question whose answer is the stage.
    pub const QUESTION: &'static str = "social_media";

    /// The stage of the given answers; `Active` until the profile says otherwise.
    pub fn of(answers: &crate::survey::AnswerSet) -> Stage {
        match answers.single(Stage::QUESTION) {
            Some("planned") => Stage::Planned,
            Some("no") => Stage::NotPlanned,
            _ => Stage::Active,
        }
    }

    pub fn is_active(self) -> bool {
        self == Stage::Active
    }
}

impl Question {
    /// The question's text for a firm at `stage`.
    pub fn text_for(&self, stage: Stage) -> &Text {
        match (&self.planning, stage.is_active()) {
            (Some(planning), false) => planning,
            _ => &self.text,
        }
    }

    /// The option a firm that is not active yet gets without being asked, if any.
    pub fn not_active_option(&self) -> Option<&AnswerOption> {
        self.options.iter().find(|o| o.not_active)
    }

    /// True when a firm at `stage` is not asked this question (it is not applicable yet).
    pub fn skipped_at(&self, stage: Stage) -> bool {
        !stage.is_active() && self.not_active_option().is_some()
    }
}

/// How an option scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ScoreRule {
    Points(u8),
    Excluded(Excluded),
    Unknown(Unknown),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Excluded {
    #[serde(rename = "excluded")]
    Excluded,
}

/// "Weiß nicht" (2027.1 on): not counted, produces a "find out" step; a dimension with more
/// than half of its answers unknown is not assessable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Unknown {
    #[serde(rename = "unknown")]
    Unknown,
}

/// A next step drawn from one answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub text: Text,
    /// The article the step comes from; `None` marks advice of our own, shown without citation.
    #[serde(default)]
    pub source: Option<String>,
    /// The step presumes staff: never shown to a firm that said it has none.
    #[serde(default)]
    pub staff: bool,
    /// The step for a firm that is not active yet, where `text` presumes posts or accounts
    /// that such a firm cannot have (see [`Stage`]).
    #[serde(default)]
    pub planning: Option<Text>,
}

impl Step {
    /// The step's text for a firm that is (`planning` false) or is not yet active.
    pub fn text_for(&self, planning: bool) -> &Text {
        match (&self.planning, planning) {
            (Some(p), true) => p,
            _ => &self.text,
        }
    }
}

/// Shown where a citation would stand, for a step of our own that no article gives.
pub fn own_advice_label(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "eigene Empfehlung, in keinem der Artikel",
        Lang::En => "our own advice, in none of the articles",
    }
}

/// A condition on another answer: holds when that answer includes one of `options`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Counts toward the "several flags" cap.
    #[default]
    Normal,
    /// One alone caps the overall level like several flags.
    Grave,
    /// Caps its dimension, but overall only at `rules.soft_flag_cap`; not counted as "several".
    Soft,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    pub id: String,
    /// The warning in plain words.
    pub text: Text,
    /// Why it matters, from the source article.
    pub reason: Text,
    /// What to do about it.
    pub action: Text,
    pub source: String,
    /// The highest level the dimension can reach while this flag is raised.
    pub cap_level: u8,
    /// Raised only when every condition holds too (e.g. no budget *and* "on the side").
    #[serde(default)]
    pub when: Vec<Condition>,
    #[serde(default)]
    pub severity: Severity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub level: u8,
    pub text: Text,
    pub source: String,
}

/// Where a question sits in the catalogue.
#[derive(Debug, Clone, Copy)]
pub enum QuestionRef<'a> {
    Profile(&'a Question),
    Scored(&'a Dimension, &'a Question),
    Importance(&'a Dimension),
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("the catalogue is not valid JSON for its model: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the catalogue is inconsistent:\n- {}", .0.join("\n- "))]
    Invalid(Vec<String>),
}

pub const NUMBER_OF_DIMENSIONS: usize = 9;
pub const NUMBER_OF_LEVELS: u8 = 5;
/// Suffix of the per-dimension importance question's id: `<dimension id>.importance`.
pub const IMPORTANCE_SUFFIX: &str = ".importance";

impl Catalogue {
    /// Parses and validates a catalogue.
    pub fn from_json(json: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue: Catalogue = serde_json::from_str(json)?;
        catalogue.validate().map_err(CatalogueError::Invalid)?;
        Ok(catalogue)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn source_title<'a>(&'a self, id: &'a str) -> &'a str {
        self.source(id).map(|s| s.title.as_str()).unwrap_or(id)
    }

    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    pub fn level(&self, level: u8) -> &LevelDef {
        let index = usize::from(level.clamp(1, NUMBER_OF_LEVELS) - 1);
        &self.levels[index]
    }

    /// The level (1..=5) of a score 0..=100.
    pub fn level_for_score(&self, score: u8) -> u8 {
        self.levels
            .iter()
            .filter(|l| l.min_score <= score)
            .map(|l| l.level)
            .max()
            .unwrap_or(1)
    }

    pub fn importance_question_id(dimension: &Dimension) -> String {
        format!("{}{}", dimension.id, IMPORTANCE_SUFFIX)
    }

    /// Finds any question of the catalogue by id.
    pub fn question(&self, id: &str) -> Option<QuestionRef<'_>> {
        if let Some(q) = self.profile.iter().find(|q| q.id == id) {
            return Some(QuestionRef::Profile(q));
        }
        if let Some(dimension_id) = id.strip_suffix(IMPORTANCE_SUFFIX) {
            return self.dimension(dimension_id).map(QuestionRef::Importance);
        }
        self.dimensions.iter().find_map(|d| {
            d.questions
                .iter()
                .find(|q| q.id == id)
                .map(|q| QuestionRef::Scored(d, q))
        })
    }

    /// Checks everything the scoring and the pages rely on. Returns every problem found.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let mut ids = HashSet::new();
        let mut flag_ids = HashSet::new();
        let source_ids: HashSet<&str> = self.sources.iter().map(|s| s.id.as_str()).collect();

        if self.version.trim().is_empty() {
            problems.push("version is empty".into());
        }
        if !is_iso_date(&self.date) {
            problems.push(format!("date {:?} is not YYYY-MM-DD", self.date));
        }
        if self.sources.is_empty() {
            problems.push("no sources".into());
        }
        for s in &self.sources {
            if s.title.trim().is_empty() {
                problems.push(format!("source {} has no title", s.id));
            }
        }

        // Levels: 1..=5 in order, the first starting at 0, thresholds rising.
        if self.levels.len() != usize::from(NUMBER_OF_LEVELS) {
            problems.push(format!(
                "{} levels, expected {NUMBER_OF_LEVELS}",
                self.levels.len()
            ));
        }
        for (i, l) in self.levels.iter().enumerate() {
            if usize::from(l.level) != i + 1 {
                problems.push(format!("level #{i} is numbered {}", l.level));
            }
            if i == 0 && l.min_score != 0 {
                problems.push("level 1 must start at score 0".into());
            }
            if i > 0 && l.min_score <= self.levels[i - 1].min_score {
                problems.push(format!(
                    "level {} does not start above level {}",
                    l.level, i
                ));
            }
            if l.min_score > 100 {
                problems.push(format!("level {} starts above 100", l.level));
            }
            text(&format!("level {} name", l.level), &l.name, &mut problems);
            text(
                &format!("level {} description", l.level),
                &l.description,
                &mut problems,
            );
        }
        if !(1..=NUMBER_OF_LEVELS).contains(&self.overall_red_flag_cap) {
            problems.push("overall_red_flag_cap must be a level 1..=5".into());
        }

        // Importance.
        text("importance question", &self.importance.text, &mut problems);
        if self.importance.options.len() < 2 {
            problems.push("importance needs at least two options".into());
        }
        let mut importance_ids = HashSet::new();
        for o in &self.importance.options {
            if !importance_ids.insert(o.id.as_str()) {
                problems.push(format!("importance option {} twice", o.id));
            }
            text(
                &format!("importance option {}", o.id),
                &o.label,
                &mut problems,
            );
        }
        if !importance_ids.contains(self.importance.default_option.as_str()) {
            problems.push("importance default_option is not one of its options".into());
        }

        // Profile.
        for required in ["industry", "size", "region"] {
            if !self.profile.iter().any(|q| q.id == required) {
                problems.push(format!("profile question {required} is missing"));
            }
        }
        for q in &self.profile {
            if !ids.insert(q.id.clone()) {
                problems.push(format!("question id {} twice", q.id));
            }
            text(
                &format!("profile question {}", q.id),
                &q.text,
                &mut problems,
            );
            check_options(q, false, &mut problems);
            for o in &q.options {
                text(
                    &format!("option {}.{}", q.id, o.id),
                    &o.label,
                    &mut problems,
                );
                if o.score.is_some() || o.red_flag.is_some() {
                    problems.push(format!("profile option {}.{} must not score", q.id, o.id));
                }
            }
        }

        // Dimensions.
        if self.dimensions.len() != NUMBER_OF_DIMENSIONS {
            problems.push(format!(
                "{} dimensions, expected {NUMBER_OF_DIMENSIONS}",
                self.dimensions.len()
            ));
        }
        for d in &self.dimensions {
            if !ids.insert(d.id.clone()) {
                problems.push(format!("id {} twice", d.id));
            }
            if d.id.contains('.') {
                problems.push(format!("dimension id {} must not contain '.'", d.id));
            }
            text(
                &format!("dimension {} title", d.id),
                &d.title,
                &mut problems,
            );
            text(
                &format!("dimension {} intro", d.id),
                &d.intro,
                &mut problems,
            );
            if d.weight == 0 {
                problems.push(format!("dimension {} has weight 0", d.id));
            }
            if !(3..=6).contains(&d.questions.len()) {
                problems.push(format!(
                    "dimension {} has {} questions, expected 3–6",
                    d.id,
                    d.questions.len()
                ));
            }
            let always_scored = d
                .questions
                .iter()
                .filter(|q| {
                    q.required
                        && q.options.iter().all(|o| {
                            !matches!(
                                o.score,
                                Some(ScoreRule::Excluded(_) | ScoreRule::Unknown(_))
                            )
                        })
                })
                .count();
            // 2027.1 on, a dimension may shrink to one question for a solo or not-yet-active
            // firm: a dimension with nothing counted is then "not assessable", never 0.
            let minimum = if self.rules.is_some() { 1 } else { 2 };
            if always_scored < minimum {
                problems.push(format!(
                    "dimension {} needs at least {minimum} required questions that cannot be excluded",
                    d.id
                ));
            }
            for q in &d.questions {
                if !ids.insert(q.id.clone()) {
                    problems.push(format!("question id {} twice", q.id));
                }
                if q.id.contains('.') {
                    problems.push(format!("question id {} must not contain '.'", q.id));
                }
                text(&format!("question {}", q.id), &q.text, &mut problems);
                if let Some(help) = &q.help {
                    text(&format!("question {} help", q.id), help, &mut problems);
                }
                if let Some(planning) = &q.planning {
                    text(
                        &format!("question {} planning", q.id),
                        planning,
                        &mut problems,
                    );
                }
                if q.options.iter().filter(|o| o.not_active).count() > 1 {
                    problems.push(format!(
                        "question {} has two 'not active yet' options",
                        q.id
                    ));
                }
                for o in q.options.iter().filter(|o| o.not_active) {
                    if !matches!(o.score, Some(ScoreRule::Excluded(_))) {
                        problems.push(format!(
                            "option {}.{} is 'not active yet' but not excluded",
                            q.id, o.id
                        ));
                    }
                }
                match &q.source {
                    Some(s) if source_ids.contains(s.as_str()) => {}
                    Some(s) => problems.push(format!("question {} cites unknown source {s}", q.id)),
                    None => problems.push(format!("question {} cites no source", q.id)),
                }
                check_options(q, true, &mut problems);
                for o in &q.options {
                    text(
                        &format!("option {}.{}", q.id, o.id),
                        &o.label,
                        &mut problems,
                    );
                    match o.score {
                        None => problems.push(format!("option {}.{} is not scored", q.id, o.id)),
                        Some(ScoreRule::Points(p)) if p > 100 => {
                            problems.push(format!("option {}.{} scores above 100", q.id, o.id))
                        }
                        _ => {}
                    }
                    if let Some(flag) = &o.red_flag {
                        if !flag_ids.insert(flag.id.clone()) {
                            problems.push(format!("red flag id {} twice", flag.id));
                        }
                        if !source_ids.contains(flag.source.as_str()) {
                            problems.push(format!("red flag {} cites unknown source", flag.id));
                        }
                        if !(1..NUMBER_OF_LEVELS).contains(&flag.cap_level) {
                            problems.push(format!("red flag {} caps at level 1..=4", flag.id));
                        }
                        text(
                            &format!("red flag {} text", flag.id),
                            &flag.text,
                            &mut problems,
                        );
                        text(
                            &format!("red flag {} reason", flag.id),
                            &flag.reason,
                            &mut problems,
                        );
                        text(
                            &format!("red flag {} action", flag.id),
                            &flag.action,
                            &mut problems,
                        );
                    }
                }
                check_reachable_extremes(q, &mut problems);
            }
            let levels: Vec<u8> = d.recommendations.iter().map(|r| r.level).collect();
            if levels != (1..=NUMBER_OF_LEVELS).collect::<Vec<_>>() {
                problems.push(format!(
                    "dimension {} needs one recommendation per level 1..=5 in order, has {levels:?}",
                    d.id
                ));
            }
            for r in &d.recommendations {
                text(
                    &format!("recommendation {} level {}", d.id, r.level),
                    &r.text,
                    &mut problems,
                );
                if !source_ids.contains(r.source.as_str()) {
                    problems.push(format!(
                        "recommendation {} level {} cites unknown source {}",
                        d.id, r.level, r.source
                    ));
                }
            }
        }

        self.validate_rules(&source_ids, &mut problems);

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The checks for catalogue 2027.1 on: rules in range, conditions that name real answers,
    /// and a next step on every option below a question's best (a red flag raised by the option
    /// alone brings its own action instead).
    fn validate_rules(&self, source_ids: &HashSet<&str>, problems: &mut Vec<String>) {
        let Some(rules) = &self.rules else {
            for d in &self.dimensions {
                for q in &d.questions {
                    for o in &q.options {
                        if matches!(o.score, Some(ScoreRule::Unknown(_))) {
                            problems.push(format!(
                                "option {}.{} is \"unknown\", which needs the rules of 2027.1",
                                q.id, o.id
                            ));
                        }
                        if o.red_flag.as_ref().is_some_and(|f| !f.when.is_empty()) {
                            problems.push(format!(
                                "red flag on {}.{} has conditions, which need the rules of 2027.1",
                                q.id, o.id
                            ));
                        }
                    }
                }
            }
            return;
        };
        for (name, cap) in [
            ("several_flags_cap", rules.several_flags_cap),
            ("soft_flag_cap", rules.soft_flag_cap),
            ("core_zero_cap", rules.core_zero_cap),
            ("weak_dimension_cap", rules.weak_dimension_cap),
        ] {
            if !(1..=NUMBER_OF_LEVELS).contains(&cap) {
                problems.push(format!("rules.{name} must be a level 1..=5"));
            }
        }
        if rules.unknown_rank_points > 100 {
            problems.push("rules.unknown_rank_points must be 0..=100".into());
        }
        for d in &self.dimensions {
            if d.intro_sources.is_empty() {
                problems.push(format!("dimension {} intro names no source", d.id));
            }
            for s in &d.intro_sources {
                if !source_ids.contains(s.as_str()) {
                    problems.push(format!("dimension {} intro cites unknown source {s}", d.id));
                }
            }
            if d.questions.iter().all(|q| !q.core) {
                problems.push(format!("dimension {} has no core question", d.id));
            }
            for q in &d.questions {
                let best = q
                    .options
                    .iter()
                    .filter_map(|o| match o.score {
                        Some(ScoreRule::Points(p)) => Some(p),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                for o in &q.options {
                    let below_best = match o.score {
                        Some(ScoreRule::Points(p)) => {
                            q.kind == QuestionKind::Single && p < best || o.exclusive
                        }
                        Some(ScoreRule::Unknown(_)) => true,
                        _ => false,
                    };
                    let flag_alone = o.red_flag.as_ref().is_some_and(|f| f.when.is_empty());
                    if below_best && !flag_alone && o.step.is_none() {
                        problems.push(format!(
                            "option {}.{} is below the best answer but has no next step",
                            q.id, o.id
                        ));
                    }
                    if let Some(step) = &o.step {
                        text(&format!("step of {}.{}", q.id, o.id), &step.text, problems);
                        if let Some(planning) = &step.planning {
                            text(
                                &format!("planning step of {}.{}", q.id, o.id),
                                planning,
                                problems,
                            );
                        }
                        if let Some(source) = &step.source
                            && !source_ids.contains(source.as_str())
                        {
                            problems.push(format!(
                                "step of {}.{} cites unknown source {source}",
                                q.id, o.id
                            ));
                        }
                    }
                    for condition in o.red_flag.iter().flat_map(|f| &f.when) {
                        let known = match self.question(&condition.question) {
                            Some(QuestionRef::Scored(_, cq)) => condition
                                .options
                                .iter()
                                .all(|id| cq.options.iter().any(|co| &co.id == id)),
                            _ => false,
                        };
                        if !known || condition.options.is_empty() {
                            problems.push(format!(
                                "red flag on {}.{}: condition on {} names unknown answers",
                                q.id, o.id, condition.question
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Every question id with the dimension it belongs to (None for the profile), in page order.
    pub fn question_ids(&self) -> BTreeMap<String, Option<String>> {
        let mut ids: BTreeMap<String, Option<String>> =
            self.profile.iter().map(|q| (q.id.clone(), None)).collect();
        for d in &self.dimensions {
            for q in &d.questions {
                ids.insert(q.id.clone(), Some(d.id.clone()));
            }
            ids.insert(Self::importance_question_id(d), Some(d.id.clone()));
        }
        ids
    }
}

fn check_options(q: &Question, scored: bool, problems: &mut Vec<String>) {
    if q.options.len() < 2 {
        problems.push(format!("question {} has fewer than two options", q.id));
    }
    let mut seen = HashSet::new();
    for o in &q.options {
        if !seen.insert(o.id.as_str()) {
            problems.push(format!("option id {}.{} twice", q.id, o.id));
        }
        if o.id.is_empty()
            || !o
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push(format!(
                "option id {:?} of {} is not [A-Za-z0-9_-]+",
                o.id, q.id
            ));
        }
        if o.exclusive && q.kind != QuestionKind::Multi {
            problems.push(format!(
                "option {}.{} is exclusive in a single-choice question",
                q.id, o.id
            ));
        }
    }
    if !scored && q.kind != QuestionKind::Single {
        problems.push(format!("profile question {} must be single-choice", q.id));
    }
}

/// All best answers must reach 100 and all worst 0, or the score scale lies.
fn check_reachable_extremes(q: &Question, problems: &mut Vec<String>) {
    let points = |o: &AnswerOption| match o.score {
        Some(ScoreRule::Points(p)) => Some(u32::from(p)),
        _ => None,
    };
    match q.kind {
        QuestionKind::Single => {
            if !q.options.iter().any(|o| points(o) == Some(100)) {
                problems.push(format!("question {}: no option scores 100", q.id));
            }
            if !q.options.iter().any(|o| points(o) == Some(0)) {
                problems.push(format!("question {}: no option scores 0", q.id));
            }
        }
        QuestionKind::Multi => {
            let best: u32 = q
                .options
                .iter()
                .filter(|o| !o.exclusive)
                .filter_map(points)
                .sum();
            if best < 100 {
                problems.push(format!(
                    "question {}: all options together score below 100",
                    q.id
                ));
            }
            if !q
                .options
                .iter()
                .any(|o| o.exclusive && points(o) == Some(0))
            {
                problems.push(format!(
                    "question {}: needs an exclusive option scoring 0 (\"none of these\")",
                    q.id
                ));
            }
        }
    }
}

fn text(what: &str, t: &Text, problems: &mut Vec<String>) {
    if t.de.trim().is_empty() || t.en.trim().is_empty() {
        problems.push(format!("{what}: German and English text are both required"));
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
