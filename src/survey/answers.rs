//! An owner's answers, parsed and checked against the catalogue. Anything that reaches
//! [`AnswerSet`] names known questions and options in the right shape.
use std::collections::BTreeMap;

use super::catalogue::{Catalogue, QuestionKind, QuestionRef, Text};

/// An answer as it arrives (from a form or JSON), before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawAnswer {
    One(String),
    Many(Vec<String>),
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Single(String),
    Multi(Vec<String>),
}

impl Answer {
    pub fn option_ids(&self) -> Vec<&str> {
        match self {
            Answer::Single(id) => vec![id.as_str()],
            Answer::Multi(ids) => ids.iter().map(String::as_str).collect(),
        }
    }

    /// The compact storage form: option ids joined by commas (ids never contain commas).
    pub fn to_storage(&self) -> String {
        self.option_ids().join(",")
    }
}

/// A problem with one field, in words an owner understands, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Text,
}

impl FieldError {
    /// A message about `field` in both languages.
    pub fn new(field: &str, de: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: Text {
                de: de.into(),
                en: en.into(),
            },
        }
    }
}

/// Checked answers by question id (profile, scored and importance questions alike).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerSet {
    answers: BTreeMap<String, Answer>,
}

impl AnswerSet {
    pub fn get(&self, question_id: &str) -> Option<&Answer> {
        self.answers.get(question_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Answer)> {
        self.answers.iter()
    }

    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// Replaces (or, with `None`, removes) the answer to one question.
    pub fn set(&mut self, question_id: &str, answer: Option<Answer>) {
        match answer {
            Some(a) => self.answers.insert(question_id.to_owned(), a),
            None => self.answers.remove(question_id),
        };
    }

    /// The single option chosen for a question, if any.
    pub fn single(&self, question_id: &str) -> Option<&str> {
        match self.answers.get(question_id) {
            Some(Answer::Single(id)) => Some(id),
            _ => None,
        }
    }

    /// Checks raw answers against the catalogue. Every problem is reported, not just the first.
    pub fn parse(
        catalogue: &Catalogue,
        raw: impl IntoIterator<Item = (String, RawAnswer)>,
    ) -> Result<AnswerSet, Vec<FieldError>> {
        let mut answers = BTreeMap::new();
        let mut errors = Vec::new();
        for (question_id, raw_answer) in raw {
            match parse_answer(catalogue, &question_id, raw_answer) {
                Ok(Some(answer)) => {
                    answers.insert(question_id, answer);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(AnswerSet { answers })
        } else {
            Err(errors)
        }
    }

    /// Rebuilds answers from storage (`question id`, comma-joined option ids), skipping what the
    /// catalogue no longer knows rather than failing a whole response.
    pub fn from_storage(
        catalogue: &Catalogue,
        rows: impl IntoIterator<Item = (String, String)>,
    ) -> AnswerSet {
        let raw = rows.into_iter().map(|(question_id, stored)| {
            let ids: Vec<String> = stored
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            (question_id, RawAnswer::Many(ids))
        });
        let mut answers = BTreeMap::new();
        for (question_id, raw_answer) in raw {
            let raw_answer = match (catalogue.question(&question_id).map(kind_of), raw_answer) {
                (Some(QuestionKind::Single), RawAnswer::Many(mut ids)) if ids.len() == 1 => {
                    RawAnswer::One(ids.remove(0))
                }
                (_, other) => other,
            };
            if let Ok(Some(answer)) = parse_answer(catalogue, &question_id, raw_answer) {
                answers.insert(question_id, answer);
            }
        }
        AnswerSet { answers }
    }

    /// Required questions still unanswered, for the submit.
    pub fn missing_required(&self, catalogue: &Catalogue) -> Vec<FieldError> {
        let profile = catalogue.profile.iter();
        let scored = catalogue.dimensions.iter().flat_map(|d| d.questions.iter());
        profile
            .chain(scored)
            .filter(|q| q.required && !self.answers.contains_key(&q.id))
            .map(|q| {
                FieldError::new(
                    &q.id,
                    format!("Bitte beantworten Sie: „{}“", q.text.de),
                    format!("Please answer: “{}”", q.text.en),
                )
            })
            .collect()
    }
}

fn kind_of(question: QuestionRef<'_>) -> QuestionKind {
    match question {
        QuestionRef::Profile(q) | QuestionRef::Scored(_, q) => q.kind,
        QuestionRef::Importance(_) => QuestionKind::Single,
    }
}

/// Checks one answer. An empty multi-choice answer means "not answered" (`Ok(None)`).
fn parse_answer(
    catalogue: &Catalogue,
    question_id: &str,
    raw: RawAnswer,
) -> Result<Option<Answer>, FieldError> {
    let Some(question) = catalogue.question(question_id) else {
        return Err(FieldError::new(
            question_id,
            format!("Die Frage „{question_id}“ gibt es nicht."),
            format!("There is no question “{question_id}”."),
        ));
    };
    let (kind, option_ids): (QuestionKind, Vec<(&str, bool)>) = match question {
        QuestionRef::Profile(q) | QuestionRef::Scored(_, q) => (
            q.kind,
            q.options
                .iter()
                .map(|o| (o.id.as_str(), o.exclusive))
                .collect(),
        ),
        QuestionRef::Importance(_) => (
            QuestionKind::Single,
            catalogue
                .importance
                .options
                .iter()
                .map(|o| (o.id.as_str(), false))
                .collect(),
        ),
    };
    let unknown = |option: &str| {
        FieldError::new(
            question_id,
            format!("„{option}“ ist keine Antwortmöglichkeit dieser Frage."),
            format!("“{option}” is not an option of this question."),
        )
    };
    let known = |option: &str| option_ids.iter().find(|(id, _)| *id == option);
    match (kind, raw) {
        (QuestionKind::Single, RawAnswer::One(option)) => match known(&option) {
            Some(_) => Ok(Some(Answer::Single(option))),
            None => Err(unknown(&option)),
        },
        (QuestionKind::Single, RawAnswer::Many(options)) => match options.as_slice() {
            [] => Ok(None),
            [one] => match known(one) {
                Some(_) => Ok(Some(Answer::Single(one.clone()))),
                None => Err(unknown(one)),
            },
            _ => Err(FieldError::new(
                question_id,
                "Bei dieser Frage ist nur eine Antwort möglich.",
                "This question takes only one answer.",
            )),
        },
        (QuestionKind::Multi, raw) => {
            let options = match raw {
                RawAnswer::One(option) => vec![option],
                RawAnswer::Many(options) => options,
            };
            let mut chosen: Vec<String> = Vec::with_capacity(options.len());
            for option in options {
                if known(&option).is_none() {
                    return Err(unknown(&option));
                }
                if chosen.contains(&option) {
                    return Err(FieldError::new(
                        question_id,
                        format!("„{option}“ wurde doppelt gewählt."),
                        format!("“{option}” was chosen twice."),
                    ));
                }
                chosen.push(option);
            }
            let exclusive_chosen = chosen
                .iter()
                .any(|c| known(c).is_some_and(|(_, exclusive)| *exclusive));
            if exclusive_chosen && chosen.len() > 1 {
                return Err(FieldError::new(
                    question_id,
                    "„Nichts davon“ lässt sich nicht mit anderen Antworten kombinieren.",
                    "“None of these” cannot be combined with other answers.",
                ));
            }
            if chosen.is_empty() {
                Ok(None)
            } else {
                // Keep the catalogue's order so that equal answers store equally.
                chosen.sort_by_key(|c| option_ids.iter().position(|(id, _)| id == c));
                Ok(Some(Answer::Multi(chosen)))
            }
        }
    }
}
