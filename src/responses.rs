//! The life of a response: start, save page by page, submit, read the result.
//! Connects the pure domain (survey, scoring) with persistence; knows nothing of HTTP.
use crate::benchmark::{Profile, ResponseSummary};
use crate::db::{
    CellRow, CohortChange, CountedResponse, CreateOutcome, DbError, IdempotencyRecord, NewResponse,
    ResponseRecord, ResponseStatus, ScopeUpdate, SnapshotChange, Store, Submission, WriteOutcome,
    now_ms,
};
use crate::scoring::{Assessment, assess};
use crate::statistics::{self, Benchmark, FirmComparison, SCOPES_OF_A_REAL_RESPONSE, Statistics};
use crate::survey::{AnswerSet, Catalogue, FieldError, Lang, Page, RawAnswer, Text};
use crate::token::{self, RandomnessError, ResponseToken};

/// Version of the consent text on the landing page; stored with every response started there.
pub const CONSENT_VERSION: &str = "2026-11-22";
/// Responses created through the JSON API: the integrating party obtains the owner's consent.
pub const API_CONSENT_VERSION: &str = "api-v1";
/// Longest firm name we store; longer is refused with a message, not cut silently.
pub const FIRM_NAME_MAX_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("required answers are missing")]
    Incomplete(Vec<FieldError>),
    #[error("no such response")]
    NotFound,
    #[error("the response was submitted already")]
    AlreadySubmitted,
    #[error("the response is not submitted yet")]
    NotSubmitted,
    #[error("the idempotency key was used for a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored result cannot be read: {0}")]
    Corrupt(String),
}

/// The peer medians a firm was compared with at submit (stored with the response).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerSnapshot {
    /// The comparison cohort's key, e.g. `industry_size:C:small`.
    pub cohort: String,
    pub n: u32,
    pub overall_median: u8,
    /// Per dimension, in catalogue order.
    pub medians: Vec<u8>,
    pub published_at: i64,
}

impl PeerSnapshot {
    pub fn of(comparison: &FirmComparison) -> PeerSnapshot {
        PeerSnapshot {
            cohort: comparison.cohort.to_string(),
            n: comparison.n,
            overall_median: comparison.overall.median,
            medians: comparison.dimensions.iter().map(|d| d.median).collect(),
            published_at: comparison.published_at,
        }
    }
}

/// A response with its answers, as loaded by its token.
#[derive(Debug, Clone)]
pub struct LoadedResponse {
    pub record: ResponseRecord,
    pub answers: AnswerSet,
}

impl LoadedResponse {
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.record.lang).unwrap_or_default()
    }

    pub fn is_submitted(&self) -> bool {
        self.record.status == ResponseStatus::Submitted
    }

    /// The frozen result of a submitted response.
    pub fn assessment(&self) -> Result<Option<Assessment>, ServiceError> {
        match &self.record.result_json {
            None => Ok(None),
            Some(json) => serde_json::from_str(json)
                .map(Some)
                .map_err(|e| ServiceError::Corrupt(e.to_string())),
        }
    }
}

/// The outcome of the one-shot submit of the JSON API.
#[derive(Debug)]
pub struct Created {
    pub token: ResponseToken,
    pub assessment: Assessment,
    /// True when an idempotency key replayed an earlier request.
    pub replayed: bool,
}

#[derive(Debug, Clone)]
pub struct Responses {
    store: Store,
    catalogue: &'static Catalogue,
    statistics: Statistics,
}

/// The pure update of a scope's cohort cells that a write carries into its transaction.
pub trait CellChange: Fn(&str, &[CellRow]) -> Result<ScopeUpdate, String> + Sync {}
impl<F: Fn(&str, &[CellRow]) -> Result<ScopeUpdate, String> + Sync> CellChange for F {}

/// How often a submit is retried when another instance changed the same cohort cells.
const CONFLICT_RETRIES: usize = 8;

/// The firm profile of checked answers (complete answers always have one).
pub fn profile_of(answers: &AnswerSet) -> Result<Profile, ServiceError> {
    Profile::parse(
        answers.single("industry").unwrap_or(""),
        answers.single("size").unwrap_or(""),
        answers.single("region").unwrap_or(""),
    )
    .map_err(|e| ServiceError::Corrupt(format!("profile: {e}")))
}

/// Checks an optional firm name: trimmed, at most [`FIRM_NAME_MAX_CHARS`], no control characters.
pub fn parse_firm_name(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(name) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > FIRM_NAME_MAX_CHARS {
        return Err(FieldError {
            field: "firm_name".into(),
            message: Text {
                de: format!(
                    "Der Firmenname darf höchstens {FIRM_NAME_MAX_CHARS} Zeichen lang sein."
                ),
                en: format!("The firm name may be at most {FIRM_NAME_MAX_CHARS} characters long."),
            },
        });
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError {
            field: "firm_name".into(),
            message: Text {
                de: "Der Firmenname enthält unzulässige Steuerzeichen.".into(),
                en: "The firm name contains control characters.".into(),
            },
        });
    }
    Ok(Some(name.to_owned()))
}

/// Whether an error, or any of its sources, is the database being unavailable (no connection in
/// time, connection lost, disk full): the answer is then 503 with `Retry-After`, not 500.
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        let db = e
            .downcast_ref::<DbError>()
            .or_else(|| match e.downcast_ref::<ServiceError>() {
                Some(ServiceError::Db(db)) => Some(db),
                _ => None,
            })
            .or_else(|| match e.downcast_ref::<crate::auth::AuthError>() {
                Some(crate::auth::AuthError::Db(db)) => Some(db),
                _ => None,
            });
        if db.is_some_and(DbError::is_unavailable) {
            return true;
        }
        next = e.source();
    }
    false
}

impl Responses {
    pub fn new(store: Store, catalogue: &'static Catalogue, statistics: Statistics) -> Responses {
        Responses {
            store,
            catalogue,
            statistics,
        }
    }

    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// What a submit changes in the statistics of both scopes: the cells it counts in, and the
    /// pure update of those cells.
    #[allow(clippy::type_complexity)]
    fn statistics_change(
        &self,
        answers: &AnswerSet,
        assessment: &Assessment,
    ) -> Result<(Vec<String>, impl CellChange + use<>), ServiceError> {
        let profile: Profile = profile_of(answers)?;
        self.cell_change(profile, assessment, false)
    }

    /// Taking a counted response out of the statistics (erasure, re-assessment).
    fn statistics_removal(
        &self,
        counted: &CountedResponse,
    ) -> Result<(Vec<String>, impl CellChange + use<>), ServiceError> {
        let profile = Profile::parse(&counted.industry, &counted.size_class, &counted.region)
            .map_err(|e| ServiceError::Corrupt(format!("profile: {e}")))?;
        let assessment: Assessment = serde_json::from_str(&counted.result_json)
            .map_err(|e| ServiceError::Corrupt(e.to_string()))?;
        self.cell_change(profile, &assessment, true)
    }

    fn cell_change(
        &self,
        profile: Profile,
        assessment: &Assessment,
        remove: bool,
    ) -> Result<(Vec<String>, impl CellChange + use<>), ServiceError> {
        let summary: ResponseSummary =
            statistics::summary_of(assessment).map_err(|e| ServiceError::Corrupt(e.to_string()))?;
        let policy = *self.statistics.policy();
        let dimension_count = self.statistics.dimension_count();
        let keys = statistics::cell_keys(&profile);
        let apply = move |_scope: &str, current: &[CellRow]| {
            statistics::update_cells(
                &policy,
                dimension_count,
                &profile,
                &summary,
                current,
                remove,
            )
        };
        Ok((keys, apply))
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }

    /// Whether the response was started from a consultant's invitation, and what was shared.
    #[tracing::instrument(skip_all)]
    pub async fn sharing(
        &self,
        response_id: i64,
    ) -> Result<Option<crate::db::ResponseSharing>, ServiceError> {
        Ok(self.store.response_sharing(response_id).await?)
    }

    /// The chamber campaign the response was started from, if any.
    #[tracing::instrument(skip_all)]
    pub async fn campaign_of(
        &self,
        response_id: i64,
    ) -> Result<Option<crate::db::ResponseCampaign>, ServiceError> {
        Ok(self.store.response_campaign(response_id).await?)
    }

    /// Readiness: stored data can be read and a write commits within `timeout`.
    #[tracing::instrument(skip_all)]
    pub async fn ready(&self, timeout: std::time::Duration) -> Result<(), ServiceError> {
        Ok(self.store.ready(timeout).await?)
    }

    /// Starts a response after the owner's consent; returns its private token.
    #[tracing::instrument(skip_all)]
    pub async fn start(&self, lang: Lang) -> Result<ResponseToken, ServiceError> {
        let token = ResponseToken::generate()?;
        let hash = token.hash();
        self.store
            .create_response(&NewResponse {
                token_hash: &hash,
                catalogue_version: &self.catalogue.version,
                lang: lang.code(),
                consent_version: CONSENT_VERSION,
                firm_name: None,
                is_demo: false,
                now: now_ms(),
            })
            .await?;
        Ok(token)
    }

    #[tracing::instrument(skip_all)]
    pub async fn load(&self, token: &ResponseToken) -> Result<LoadedResponse, ServiceError> {
        let record = self
            .store
            .response_by_token_hash(&token.hash())
            .await?
            .ok_or(ServiceError::NotFound)?;
        let rows = self.store.answers(record.id).await?;
        let answers = AnswerSet::from_storage(self.catalogue, rows);
        Ok(LoadedResponse { record, answers })
    }

    /// Saves one page. `raw` must only name questions of that page; nothing is stored unless all
    /// of it is valid. With `require_complete`, unanswered required questions are refused too.
    #[tracing::instrument(skip_all)]
    pub async fn save_page(
        &self,
        response: &LoadedResponse,
        page: Page<'_>,
        raw: Vec<(String, RawAnswer)>,
        firm_name: Option<&str>,
        require_complete: bool,
    ) -> Result<AnswerSet, ServiceError> {
        if response.is_submitted() {
            return Err(ServiceError::AlreadySubmitted);
        }
        let page_questions = self.catalogue.page_question_ids(page);
        let mut errors: Vec<FieldError> = raw
            .iter()
            .filter(|(q, _)| !page_questions.contains(q))
            .map(|(q, _)| FieldError {
                field: q.clone(),
                message: Text {
                    de: format!("„{q}“ gehört nicht zu dieser Seite."),
                    en: format!("“{q}” is not on this page."),
                },
            })
            .collect();
        let firm_name = match page {
            Page::Profile => match parse_firm_name(firm_name) {
                Ok(name) => Some(name),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            Page::Dimension(_) => None,
        };
        let page_answers = match AnswerSet::parse(self.catalogue, raw) {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                AnswerSet::default()
            }
        };
        if errors.is_empty() && require_complete {
            errors = missing_on_page(self.catalogue, page, &page_answers);
            if !errors.is_empty() {
                return Err(ServiceError::Incomplete(errors));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let rows: Vec<(String, String)> = page_answers
            .iter()
            .map(|(q, a)| (q.clone(), a.to_storage()))
            .collect();
        let outcome = self
            .store
            .save_page(
                response.record.id,
                &page_questions,
                &rows,
                firm_name.as_ref().map(|n| n.as_deref()),
                now_ms(),
            )
            .await?;
        if outcome == WriteOutcome::AlreadySubmitted {
            return Err(ServiceError::AlreadySubmitted);
        }
        let mut merged = response.answers.clone();
        for q in &page_questions {
            merged.set(q, page_answers.get(q).cloned());
        }
        Ok(merged)
    }

    /// Scores and freezes a response.
    #[tracing::instrument(skip_all)]
    pub async fn submit(&self, response: &LoadedResponse) -> Result<Assessment, ServiceError> {
        if response.is_submitted() {
            return Err(ServiceError::AlreadySubmitted);
        }
        let missing = response.answers.missing_required(self.catalogue);
        if !missing.is_empty() {
            return Err(ServiceError::Incomplete(missing));
        }
        let assessment = assess(self.catalogue, &response.answers);
        let result_json =
            serde_json::to_string(&assessment).map_err(|e| ServiceError::Corrupt(e.to_string()))?;
        let (scores, flags) = summary_columns(&assessment);
        let submission = submission(
            &response.answers,
            &assessment,
            &result_json,
            &scores,
            &flags,
        );
        let (keys, apply) = self.statistics_change(&response.answers, &assessment)?;
        let change = CohortChange {
            scopes: &SCOPES_OF_A_REAL_RESPONSE,
            keys: &keys,
            apply: &apply,
        };
        let client = self
            .store
            .response_sharing(response.record.id)
            .await?
            .map(|s| s.client_id);
        let mut attempt = 0;
        loop {
            // A re-assessment of a consultant's client replaces the client's earlier response
            // in the statistics, so that each firm counts once.
            let earlier = match client {
                Some(client_id) => {
                    self.store
                        .counted_responses_of_client(client_id, response.record.id)
                        .await?
                }
                None => Vec::new(),
            };
            let removals = earlier
                .iter()
                .map(|c| self.statistics_removal(c).map(|r| (c.id, r)))
                .collect::<Result<Vec<_>, _>>()?;
            let superseded: Vec<(i64, CohortChange<'_>)> = removals
                .iter()
                .map(|(id, (keys, apply))| {
                    (
                        *id,
                        CohortChange {
                            scopes: &SCOPES_OF_A_REAL_RESPONSE,
                            keys,
                            apply,
                        },
                    )
                })
                .collect();
            match self
                .store
                .submit(
                    response.record.id,
                    &submission,
                    &change,
                    &superseded,
                    now_ms(),
                )
                .await
            {
                Ok(WriteOutcome::Done) => break,
                Ok(WriteOutcome::AlreadySubmitted) => return Err(ServiceError::AlreadySubmitted),
                Err(DbError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
        self.remember_peer_position(response.record.id, &response.answers, &assessment)
            .await;
        Ok(assessment)
    }

    /// Keeps the firm's peer medians as they were at submit, so that a later re-assessment can
    /// show how the peer cohort moved meanwhile. Best effort: the result stands without it.
    async fn remember_peer_position(&self, id: i64, answers: &AnswerSet, assessment: &Assessment) {
        let snapshot = match self.statistics.snapshot().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "no statistics snapshot for the peer position");
                return;
            }
        };
        let Ok(profile) = profile_of(answers) else {
            return;
        };
        if let Benchmark::Compared(comparison) =
            self.statistics.compare(&snapshot, &profile, assessment)
        {
            let peers = PeerSnapshot::of(&comparison);
            match serde_json::to_string(&peers) {
                Ok(json) => {
                    if let Err(e) = self.store.set_benchmark_json(id, &json).await {
                        tracing::warn!(error = %e, "storing the peer position failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "serialising the peer position failed"),
            }
        }
    }

    /// Loads a response by id: for the consultant's views, after the right to see it was checked.
    #[tracing::instrument(skip_all)]
    pub async fn load_by_id(&self, id: i64) -> Result<LoadedResponse, ServiceError> {
        let record = self
            .store
            .response_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let rows = self.store.answers(record.id).await?;
        let answers = AnswerSet::from_storage(self.catalogue, rows);
        Ok(LoadedResponse { record, answers })
    }

    /// Erases a response at its owner's request (GDPR Art. 17): answers, result and keys go,
    /// the statistics lose it under the publication rule, a consultant sees "deleted".
    #[tracing::instrument(skip_all)]
    pub async fn delete(&self, response: &LoadedResponse) -> Result<(), ServiceError> {
        let mut attempt = 0;
        loop {
            match self.delete_once(response, None).await {
                Err(ServiceError::Db(DbError::Conflict)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1
                }
                other => return other,
            }
        }
    }

    /// One attempt at erasing a response, with its campaign snapshot's new state if it has one.
    /// `ServiceError::Db(DbError::Conflict)` when a concurrent write interfered: re-read, retry.
    #[tracing::instrument(skip_all)]
    pub async fn delete_once(
        &self,
        response: &LoadedResponse,
        snapshot: Option<&SnapshotChange<'_>>,
    ) -> Result<(), ServiceError> {
        let counted = self.store.counted_response(response.record.id).await?;
        let removal = counted
            .as_ref()
            .map(|c| self.statistics_removal(c))
            .transpose()?;
        let change = removal.as_ref().map(|(keys, apply)| CohortChange {
            scopes: &SCOPES_OF_A_REAL_RESPONSE,
            keys,
            apply,
        });
        match self
            .store
            .delete_response(response.record.id, change.as_ref(), snapshot, now_ms())
            .await?
        {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The JSON API's one-shot submit: profile and answers at once, all or nothing.
    #[tracing::instrument(skip_all)]
    pub async fn create_submitted(
        &self,
        lang: Lang,
        firm_name: Option<&str>,
        raw: Vec<(String, RawAnswer)>,
        idempotency: Option<(&str, &[u8])>,
    ) -> Result<Created, ServiceError> {
        let request_hash = idempotency.map(|(_, body)| token::sha256_hex(body));
        if let (Some((key, _)), Some(request_hash)) = (idempotency, &request_hash)
            && let Some(replayed) = self.replay(key, request_hash).await?
        {
            return Ok(replayed);
        }

        let mut errors = Vec::new();
        let firm_name = parse_firm_name(firm_name).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let answers = match AnswerSet::parse(self.catalogue, raw) {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                AnswerSet::default()
            }
        };
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let missing = answers.missing_required(self.catalogue);
        if !missing.is_empty() {
            return Err(ServiceError::Incomplete(missing));
        }

        let assessment = assess(self.catalogue, &answers);
        let result_json =
            serde_json::to_string(&assessment).map_err(|e| ServiceError::Corrupt(e.to_string()))?;
        let token = ResponseToken::generate()?;
        let token_hash = token.hash();
        let rows: Vec<(String, String)> = answers
            .iter()
            .map(|(q, a)| (q.clone(), a.to_storage()))
            .collect();
        let key_record = match (idempotency, &request_hash) {
            (Some((key, _)), Some(request_hash)) => Some((
                token::idempotency_key_hash(key),
                request_hash.clone(),
                token.seal(key),
            )),
            _ => None,
        };
        let (scores, flags) = summary_columns(&assessment);
        let (keys, apply) = self.statistics_change(&answers, &assessment)?;
        let change = CohortChange {
            scopes: &SCOPES_OF_A_REAL_RESPONSE,
            keys: &keys,
            apply: &apply,
        };
        let submission = submission(&answers, &assessment, &result_json, &scores, &flags);
        let mut attempt = 0;
        let outcome = loop {
            let result = self
                .store
                .create_submitted_response(
                    &NewResponse {
                        token_hash: &token_hash,
                        catalogue_version: &self.catalogue.version,
                        lang: lang.code(),
                        consent_version: API_CONSENT_VERSION,
                        firm_name: firm_name.as_deref(),
                        is_demo: false,
                        now: now_ms(),
                    },
                    &rows,
                    &submission,
                    &change,
                    key_record
                        .as_ref()
                        .map(|(key_hash, request_hash, sealed_token)| IdempotencyRecord {
                            key_hash,
                            request_hash,
                            sealed_token,
                        })
                        .as_ref(),
                )
                .await;
            match result {
                Err(DbError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                other => break other?,
            }
        };
        match outcome {
            CreateOutcome::Created(_) => Ok(Created {
                token,
                assessment,
                replayed: false,
            }),
            // A concurrent request with the same key won: answer as it did.
            CreateOutcome::IdempotencyKeyTaken => match (idempotency, &request_hash) {
                (Some((key, _)), Some(request_hash)) => self
                    .replay(key, request_hash)
                    .await?
                    .ok_or(ServiceError::IdempotencyConflict),
                _ => Err(ServiceError::IdempotencyConflict),
            },
        }
    }

    async fn replay(&self, key: &str, request_hash: &str) -> Result<Option<Created>, ServiceError> {
        let Some(stored) = self
            .store
            .idempotency_key(&token::idempotency_key_hash(key))
            .await?
        else {
            return Ok(None);
        };
        if stored.request_hash != request_hash {
            return Err(ServiceError::IdempotencyConflict);
        }
        let token = ResponseToken::unseal(&stored.sealed_token, key)
            .ok_or_else(|| ServiceError::Corrupt("sealed token".into()))?;
        let loaded = self.load(&token).await?;
        let assessment = loaded.assessment()?.ok_or(ServiceError::NotSubmitted)?;
        Ok(Some(Created {
            token,
            assessment,
            replayed: true,
        }))
    }
}

fn missing_on_page(catalogue: &Catalogue, page: Page<'_>, answers: &AnswerSet) -> Vec<FieldError> {
    let questions: Vec<&crate::survey::Question> = match page {
        Page::Profile => catalogue.profile.iter().collect(),
        Page::Dimension(d) => d.questions.iter().collect(),
    };
    questions
        .into_iter()
        .filter(|q| q.required && answers.get(&q.id).is_none())
        .map(|q| FieldError {
            field: q.id.clone(),
            message: Text {
                de: "Bitte wählen Sie eine Antwort.".into(),
                en: "Please choose an answer.".into(),
            },
        })
        .collect()
}

/// The compact columns of a submitted response: dimension scores and red flag ids.
fn summary_columns(assessment: &Assessment) -> (String, String) {
    let scores: Vec<String> = assessment
        .dimensions
        .iter()
        .map(|d| d.score.to_string())
        .collect();
    let flags: Vec<&str> = assessment.red_flags.iter().map(|f| f.id.as_str()).collect();
    (scores.join(","), flags.join(","))
}

fn submission<'a>(
    answers: &'a AnswerSet,
    assessment: &Assessment,
    result_json: &'a str,
    dimension_scores: &'a str,
    red_flags: &'a str,
) -> Submission<'a> {
    Submission {
        industry: answers.single("industry").unwrap_or(""),
        size_class: answers.single("size").unwrap_or(""),
        region: answers.single("region").unwrap_or(""),
        overall_score: i64::from(assessment.overall.score),
        overall_level: i64::from(assessment.overall.level),
        result_json,
        dimension_scores,
        red_flags,
    }
}
