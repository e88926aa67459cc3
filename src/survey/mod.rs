//! The questionnaire: the catalogue (data), the pages it is asked on, and the owner's answers.
//! Pure: no web or database types.
mod answers;
mod catalogue;

use std::sync::LazyLock;

pub use answers::{Answer, AnswerSet, FieldError, RawAnswer};
pub use catalogue::*;

/// The catalogue file, embedded so the binary runs from anywhere.
pub const CATALOGUE_JSON: &str = include_str!("catalogue.json");

static CURRENT: LazyLock<Result<Catalogue, String>> =
    LazyLock::new(|| Catalogue::from_json(CATALOGUE_JSON).map_err(|e| e.to_string()));

/// Catalogue 2026.1, answered until 2027.1 was served. It is kept, unchanged, to read its stored
/// responses and their frozen results (labels, sources, the 2026.1 rules); nothing new is
/// answered under it. Startup validates it with [`check_current`].
pub fn current() -> &'static Catalogue {
    match &*CURRENT {
        Ok(catalogue) => catalogue,
        Err(e) => panic!("invalid questionnaire catalogue (checked at start): {e}"),
    }
}

/// Catalogue 2027.1: the less compensatory rules, answer-driven steps, "Weiß nicht" and the
/// solo and not-yet-active options (see the README, "How scoring works").
///
/// Served: new responses are answered and scored under it. Its responses are kept apart from
/// those of 2026.1 in every published statistic (README, "Catalogue versions").
pub const CATALOGUE_2027_1_JSON: &str = include_str!("catalogue_2027_1.json");

static NEXT: LazyLock<Result<Catalogue, String>> =
    LazyLock::new(|| Catalogue::from_json(CATALOGUE_2027_1_JSON).map_err(|e| e.to_string()));

/// Catalogue 2027.1 (validated at start by [`check_current`]).
pub fn next() -> &'static Catalogue {
    match &*NEXT {
        Ok(catalogue) => catalogue,
        Err(e) => panic!("invalid questionnaire catalogue 2027.1 (checked at start): {e}"),
    }
}

/// The catalogue new responses are answered under: 2027.1.
pub fn served() -> &'static Catalogue {
    next()
}

/// The catalogue a response was answered under, by its stored version.
pub fn by_version(version: &str) -> Option<&'static Catalogue> {
    [current(), next()]
        .into_iter()
        .find(|c| c.version == version)
}

/// Validates both embedded catalogues; called at start. Returns the served one.
pub fn check_current() -> Result<&'static Catalogue, String> {
    CURRENT
        .as_ref()
        .map_err(|e| format!("catalogue 2026.1: {e}"))?;
    NEXT.as_ref().map_err(|e| format!("catalogue 2027.1: {e}"))
}

/// One page of the survey: the firm profile first, then one page per dimension.
#[derive(Debug, Clone, Copy)]
pub enum Page<'a> {
    Profile,
    Dimension(&'a Dimension),
}

impl Catalogue {
    /// Number of pages before the review: the profile and one per dimension.
    pub fn page_count(&self) -> usize {
        1 + self.dimensions.len()
    }

    /// Page by its 1-based step number.
    pub fn page(&self, step: usize) -> Option<Page<'_>> {
        match step {
            1 => Some(Page::Profile),
            n if n >= 2 && n <= self.page_count() => Some(Page::Dimension(&self.dimensions[n - 2])),
            _ => None,
        }
    }

    /// The ids of the questions asked on a page, in order.
    pub fn page_question_ids(&self, page: Page<'_>) -> Vec<String> {
        match page {
            Page::Profile => self.profile.iter().map(|q| q.id.clone()).collect(),
            Page::Dimension(d) => d
                .questions
                .iter()
                .map(|q| q.id.clone())
                .chain(std::iter::once(Catalogue::importance_question_id(d)))
                .collect(),
        }
    }

    /// A page is complete when all its required questions are answered.
    pub fn page_is_complete(&self, page: Page<'_>, answers: &AnswerSet) -> bool {
        let required: Vec<&Question> = match page {
            Page::Profile => self.profile.iter().filter(|q| q.required).collect(),
            Page::Dimension(d) => d.questions.iter().filter(|q| q.required).collect(),
        };
        required.iter().all(|q| answers.get(&q.id).is_some())
    }

    /// Fits answers to the firm's stage (2027.1 on; nothing to do for a catalogue without
    /// "not active yet" options). A firm that is not active yet gets the "not active yet" option
    /// of each question about practice that cannot exist before the start, without being asked;
    /// for an active firm such an answer (left from an earlier profile) is dropped, so the
    /// question is asked. `only` limits it to some questions (the page being saved).
    pub fn fit_to_stage(&self, answers: &mut AnswerSet, stage: Stage, only: Option<&[String]>) {
        for q in self.dimensions.iter().flat_map(|d| &d.questions) {
            if only.is_some_and(|ids| !ids.contains(&q.id)) {
                continue;
            }
            let Some(option) = q.not_active_option() else {
                continue;
            };
            if !stage.is_active() {
                answers.set(&q.id, Some(Answer::Single(option.id.clone())));
            } else if answers
                .get(&q.id)
                .is_some_and(|a| a.option_ids().contains(&option.id.as_str()))
            {
                answers.set(&q.id, None);
            }
        }
    }

    /// Answers an active firm cannot give: "not active yet" contradicts its profile.
    pub fn stage_contradictions(&self, answers: &AnswerSet, stage: Stage) -> Vec<FieldError> {
        if !stage.is_active() {
            return Vec::new();
        }
        self.dimensions
            .iter()
            .flat_map(|d| &d.questions)
            .filter(|q| {
                q.not_active_option().is_some_and(|o| {
                    answers
                        .get(&q.id)
                        .is_some_and(|a| a.option_ids().contains(&o.id.as_str()))
                })
            })
            .map(|q| FieldError {
                field: q.id.clone(),
                message: Text {
                    de: "Diese Antwort passt nicht zu Ihrem Profil: Dort steht, dass Sie Social \
                         Media schon nutzen. Wählen Sie bitte eine andere Antwort oder ändern \
                         Sie das Profil."
                        .into(),
                    en: "This answer does not fit your profile, which says you already use \
                         social media. Please choose another answer or change the profile."
                        .into(),
                },
            })
            .collect()
    }

    /// Where the private link resumes: the first page not yet complete, or `None` when all are.
    pub fn first_incomplete_step(&self, answers: &AnswerSet) -> Option<usize> {
        (1..=self.page_count()).find(|&step| {
            self.page(step)
                .is_some_and(|page| !self.page_is_complete(page, answers))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_is_valid() {
        let catalogue = check_current().expect("both catalogues must validate");
        assert_eq!(catalogue.dimensions.len(), NUMBER_OF_DIMENSIONS);
        assert_eq!(catalogue.page_count(), 10);
    }

    #[test]
    fn catalogue_2027_1_is_served_and_each_stored_version_finds_its_own() {
        assert_eq!(check_current().map(|c| c.version.as_str()), Ok("2027.1"));
        assert_eq!(served().version, "2027.1");
        assert_eq!(current().version, "2026.1");
        assert!(by_version("2026.1").is_some_and(|c| c.rules.is_none()));
        assert!(by_version("2027.1").is_some_and(|c| c.rules.is_some()));
        assert!(by_version("2025.9").is_none());
    }

    #[test]
    fn the_survey_branches_on_the_firms_stage() {
        let c = served();
        let parse = |pairs: &[(&str, &str)]| {
            AnswerSet::parse(
                c,
                pairs
                    .iter()
                    .map(|(q, a)| ((*q).to_owned(), RawAnswer::One((*a).to_owned())))
                    .collect::<Vec<_>>(),
            )
            .expect("valid answers")
        };
        // Not active yet: practice that cannot exist yet is "not applicable" without asking.
        let mut planned = parse(&[("social_media", "planned")]);
        assert_eq!(Stage::of(&planned), Stage::Planned);
        c.fit_to_stage(&mut planned, Stage::Planned, None);
        let not_applicable: Vec<&str> = c
            .dimensions
            .iter()
            .flat_map(|d| &d.questions)
            .filter(|q| q.skipped_at(Stage::Planned))
            .map(|q| {
                let option = q.not_active_option().expect("has one");
                assert_eq!(planned.single(&q.id), Some(option.id.as_str()), "{}", q.id);
                q.id.as_str()
            })
            .collect();
        assert_eq!(
            not_applicable,
            [
                "community_bought",
                "content_sharing",
                "content_dialogue",
                "dialogue_response_time",
                "brand_risk_fit"
            ]
        );
        assert_eq!(
            Stage::of(&parse(&[("social_media", "no")])),
            Stage::NotPlanned
        );
        // Planning-phrased questions for a firm that is not active yet, the usual ones otherwise.
        let topics = c.dimensions[2]
            .questions
            .iter()
            .find(|q| q.id == "content_topics")
            .expect("question");
        assert_eq!(
            topics.text_for(Stage::Active).de,
            "Woher kommen Ihre Themen?"
        );
        assert!(topics.text_for(Stage::NotPlanned).de.contains("sollen"));
        // An active firm cannot answer "not active yet", and an earlier one is dropped.
        let mut active = parse(&[("social_media", "yes"), ("content_sharing", "not_yet")]);
        let errors = c.stage_contradictions(&active, Stage::of(&active));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "content_sharing");
        assert!(c.stage_contradictions(&planned, Stage::Planned).is_empty());
        c.fit_to_stage(&mut active, Stage::Active, None);
        assert!(active.get("content_sharing").is_none());
        // 2026.1 has no such options: nothing changes.
        let mut older = AnswerSet::default();
        current().fit_to_stage(&mut older, Stage::Planned, None);
        assert_eq!(older.iter().count(), 0);
    }

    #[test]
    fn catalogue_2027_1_is_no_longer_than_2026_1() {
        let count = |c: &Catalogue| {
            c.profile.len()
                + c.dimensions
                    .iter()
                    .map(|d| d.questions.len() + 1)
                    .sum::<usize>()
        };
        assert_eq!((count(current()), count(next())), (57, 57));
    }

    #[test]
    fn every_question_and_red_flag_cites_a_known_source_by_title() {
        let catalogue = current();
        for d in &catalogue.dimensions {
            for q in &d.questions {
                let source = q.source.as_deref().expect("scored questions cite a source");
                assert!(catalogue.source(source).is_some(), "{}", q.id);
                for o in &q.options {
                    if let Some(flag) = &o.red_flag {
                        let title = &catalogue.source(&flag.source).expect("known").title;
                        assert!(!title.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn an_invalid_catalogue_is_refused_with_every_problem_named() {
        let mut value: serde_json::Value = serde_json::from_str(CATALOGUE_JSON).expect("json");
        // Duplicate a question id and drop an English text.
        let first = value["dimensions"][0]["questions"][0]["id"].clone();
        value["dimensions"][1]["questions"][0]["id"] = first;
        value["dimensions"][2]["title"]["en"] = serde_json::json!("");
        let error = Catalogue::from_json(&value.to_string()).expect_err("must be refused");
        let message = error.to_string();
        assert!(message.contains("twice"), "{message}");
        assert!(message.contains("English"), "{message}");
    }

    #[test]
    fn a_catalogue_with_a_dimension_of_two_questions_is_refused() {
        let mut value: serde_json::Value = serde_json::from_str(CATALOGUE_JSON).expect("json");
        let questions = value["dimensions"][3]["questions"]
            .as_array_mut()
            .expect("array");
        questions.truncate(2);
        let message = Catalogue::from_json(&value.to_string())
            .expect_err("refused")
            .to_string();
        assert!(message.contains("expected 3–6"), "{message}");
    }
}

/// Every passage a text of catalogue 2027.1 quotes („…“) must stand verbatim in the article it
/// cites. The seeds live beside the repository (`../shared/seeds/`, or `SEEDS_DIR`); where they
/// are missing the test says it was skipped, and fails only when `CI=true`.
#[cfg(test)]
mod citations {
    use super::*;

    fn normalise(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The passages between „ and “ in a German text.
    fn quotes(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('„') {
            let after = &rest[start + '„'.len_utf8()..];
            let Some(end) = after.find('“') else { break };
            found.push(&after[..end]);
            rest = &after[end + '“'.len_utf8()..];
        }
        found
    }

    /// A quote matches when its parts, split at "…", occur in the seed in order.
    fn stands_in(quote: &str, seed: &str) -> bool {
        let mut rest = seed;
        for part in quote.split('…').map(normalise).filter(|p| !p.is_empty()) {
            match rest.find(&part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }

    /// (where, cited sources (none: our own advice), German text) of every cited text.
    fn cited_texts(catalogue: &Catalogue) -> Vec<(String, Vec<String>, String)> {
        let texts = cited_texts_one(catalogue);
        let mut texts: Vec<(String, Vec<String>, String)> = texts
            .into_iter()
            .map(|(at, source, text)| (at, source.into_iter().collect(), text))
            .collect();
        for d in &catalogue.dimensions {
            let at = format!("{} intro", d.id);
            texts.push((at, d.intro_sources.clone(), d.intro.de.clone()));
        }
        texts
    }

    fn cited_texts_one(catalogue: &Catalogue) -> Vec<(String, Option<String>, String)> {
        let mut texts = Vec::new();
        for d in &catalogue.dimensions {
            for r in &d.recommendations {
                let at = format!("{} level {}", d.id, r.level);
                texts.push((at, Some(r.source.clone()), r.text.de.clone()));
            }
            for q in &d.questions {
                if let Some(help) = &q.help {
                    texts.push((format!("{} help", q.id), q.source.clone(), help.de.clone()));
                }
                for o in &q.options {
                    if let Some(f) = &o.red_flag {
                        for (part, t) in [
                            ("text", &f.text),
                            ("reason", &f.reason),
                            ("action", &f.action),
                        ] {
                            let at = format!("flag {} {part}", f.id);
                            texts.push((at, Some(f.source.clone()), t.de.clone()));
                        }
                    }
                    if let Some(s) = &o.step {
                        let at = format!("step {}.{}", q.id, o.id);
                        texts.push((at, s.source.clone(), s.text.de.clone()));
                    }
                }
            }
        }
        texts
    }

    #[test]
    fn every_quote_of_2027_1_stands_verbatim_in_its_seed() {
        let dir = std::env::var("SEEDS_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds")
            });
        if !dir.is_dir() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the seeds are missing at {} (required in CI)",
                dir.display()
            );
            eprintln!("SKIPPED: no seeds at {}; quotes not checked", dir.display());
            return;
        }
        let catalogue = next();
        let mut problems = Vec::new();
        let mut checked = 0;
        for (at, sources, text) in cited_texts(catalogue) {
            if sources.is_empty() {
                if !quotes(&text).is_empty() {
                    problems.push(format!("{at}: our own advice must not quote an article"));
                }
                continue;
            }
            let mut seeds = Vec::new();
            for source in &sources {
                let file = &catalogue.source(source).expect("known source").file;
                match std::fs::read_to_string(dir.join(file)) {
                    Ok(seed) => seeds.push(normalise(&seed)),
                    Err(e) => problems.push(format!("{at}: seed {file} unreadable: {e}")),
                }
            }
            for quote in quotes(&text) {
                checked += 1;
                if !seeds.iter().any(|seed| stands_in(quote, seed)) {
                    problems.push(format!("{at}: „{quote}“ is not in {}", sources.join(", ")));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(
            checked >= 40,
            "only {checked} quotes found: is the scan broken?"
        );
    }

    #[test]
    fn the_quote_check_can_fail() {
        let seed = normalise("Aber das ist nicht schlimm! Wirklich nicht!");
        assert!(stands_in("nicht schlimm", &seed));
        assert!(stands_in("Aber … Wirklich nicht!", &seed));
        assert!(!stands_in("gar nicht schlimm", &seed));
        assert!(!stands_in("Wirklich … Aber", &seed), "order matters");
        assert_eq!(quotes("a „b“ c „d … e“"), vec!["b", "d … e"]);
    }
}
