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

/// The current catalogue, validated once. Startup calls [`check_current`] so that an invalid
/// catalogue stops the service before it serves anything.
pub fn current() -> &'static Catalogue {
    match &*CURRENT {
        Ok(catalogue) => catalogue,
        Err(e) => panic!("invalid questionnaire catalogue (checked at start): {e}"),
    }
}

/// Validates the embedded catalogue; called at start.
pub fn check_current() -> Result<&'static Catalogue, String> {
    CURRENT.as_ref().map_err(Clone::clone)
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
        let catalogue = check_current().expect("catalogue.json must validate");
        assert_eq!(catalogue.dimensions.len(), NUMBER_OF_DIMENSIONS);
        assert_eq!(catalogue.page_count(), 10);
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
