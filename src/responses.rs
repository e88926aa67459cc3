//! The life of a response: start, save page by page, submit, read the result.
//! Connects the pure domain (survey, scoring) with persistence; knows nothing of HTTP.
use crate::benchmark::{BenchmarkError, Profile, ResponseSummary};
use crate::clock::Clock;
use crate::dashboard::DashboardError;
use crate::db::{
    CohortChange, CountedResponse, CreateOutcome, DbError, HeldBackGroup, IdempotencyRecord,
    NewResponse, ResponseRecord, ResponseStatus, SnapshotChange, Store, Submission, WriteOutcome,
};
use crate::scoring::{Assessment, assess};
use crate::screening::{self, HoldReason, Screening};
use crate::statistics::{self, Benchmark, FirmComparison, Statistics};
use crate::survey::{AnswerSet, Catalogue, FieldError, Lang, Page, RawAnswer, Stage, Text};
use crate::token::{self, RandomnessError, ResponseToken};

/// The database pools' use, as `/metrics` shows it (the web layer names no `db` type).
pub use crate::db::{PoolUse, ResultStamp};

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
    /// Stored JSON (a result, a publication) that does not read back as its type.
    #[error("the stored {what} cannot be read")]
    StoredJson {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A value of ours that does not serialise (it cannot, but the cause is kept).
    #[error("the {what} cannot be written as JSON")]
    WriteJson {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A stored profile or result that the benchmark's rules refuse.
    #[error("the {what} does not fit the benchmark")]
    Benchmark {
        what: &'static str,
        #[source]
        source: BenchmarkError,
    },
    #[error("the statistics cannot be read")]
    Statistics(#[source] statistics::StatisticsError),
    #[error("the campaign dashboard cannot be computed")]
    Dashboard(#[from] DashboardError),
    #[error("a stored time is out of range")]
    Time(#[from] time::error::ComponentRange),
    /// A computation on the blocking pool that did not finish (it panicked, or the service
    /// is stopping).
    #[error("a background computation failed")]
    Task(#[from] tokio::task::JoinError),
    /// Stored rows that contradict each other (a submitted response without its result).
    #[error("stored data is inconsistent: {0}")]
    Inconsistent(String),
}

impl From<statistics::StatisticsError> for ServiceError {
    /// Kept apart so that an unavailable database answers 503, not 500.
    fn from(e: statistics::StatisticsError) -> ServiceError {
        match e {
            statistics::StatisticsError::Db(db) => ServiceError::Db(db),
            other => ServiceError::Statistics(other),
        }
    }
}

pub(crate) fn stored_json(what: &'static str) -> impl FnOnce(serde_json::Error) -> ServiceError {
    move |source| ServiceError::StoredJson { what, source }
}

pub(crate) fn write_json(what: &'static str) -> impl FnOnce(serde_json::Error) -> ServiceError {
    move |source| ServiceError::WriteJson { what, source }
}

pub(crate) fn benchmark(what: &'static str) -> impl FnOnce(BenchmarkError) -> ServiceError {
    move |source| ServiceError::Benchmark { what, source }
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

/// A response's stored language (German if unreadable).
pub fn stored_lang(code: &str) -> Lang {
    Lang::parse(code).unwrap_or_default()
}

/// A response with its answers, as loaded by its token.
#[derive(Debug, Clone)]
pub struct LoadedResponse {
    pub record: ResponseRecord,
    pub answers: AnswerSet,
    /// The catalogue it was answered under (its stored version): a submitted 2026.1 response
    /// stays 2026.1; an unfinished one is moved to the served catalogue when loaded.
    pub catalogue: &'static Catalogue,
}

impl LoadedResponse {
    pub fn lang(&self) -> Lang {
        stored_lang(&self.record.lang)
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
                .map_err(stored_json("result")),
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
    screening: Screening,
    clock: Clock,
}

/// What a response changes in the statistics, owned: the cells it counts in (per scope) and
/// the encoded change (`statistics::encode_change`) the journal keeps until a merge applies it.
/// [`StatisticsChange::cohorts`] lends it to the store's transaction.
struct StatisticsChange {
    keys: Vec<String>,
    scopes: [String; 2],
    change: String,
}

impl StatisticsChange {
    fn cohorts(&self) -> CohortChange<'_> {
        CohortChange {
            scopes: &self.scopes,
            keys: &self.keys,
            change: &self.change,
        }
    }
}

/// The superseded responses' changes as the store takes them.
fn cohort_changes(removals: &[(i64, StatisticsChange)]) -> Vec<(i64, CohortChange<'_>)> {
    removals.iter().map(|(id, c)| (*id, c.cohorts())).collect()
}

/// How often a submit is retried when another instance changed the same cohort cells.
const CONFLICT_RETRIES: usize = 8;

/// The firm profile of checked answers (complete answers always have one).
pub fn profile_of(answers: &AnswerSet) -> Result<Profile, ServiceError> {
    Profile::parse(
        answers.single("industry").unwrap_or(""),
        answers.single("size").unwrap_or(""),
        answers.single("region").unwrap_or(""),
    )
    .map_err(benchmark("profile"))
}

/// Checks an optional firm name: NFC, trimmed, at most [`FIRM_NAME_MAX_CHARS`], no control
/// characters, not only invisible ones (see [`crate::text::optional_line`]).
pub fn parse_firm_name(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    use crate::text::LineProblem;
    let message = |de: String, en: String| FieldError {
        field: "firm_name".into(),
        message: Text { de, en },
    };
    crate::text::optional_line(raw, FIRM_NAME_MAX_CHARS).map_err(|problem| match problem {
        LineProblem::TooLong => message(
            format!("Der Firmenname darf höchstens {FIRM_NAME_MAX_CHARS} Zeichen lang sein."),
            format!("The firm name may be at most {FIRM_NAME_MAX_CHARS} characters long."),
        ),
        LineProblem::Control => message(
            "Der Firmenname enthält unzulässige Steuerzeichen.".into(),
            "The firm name contains control characters.".into(),
        ),
        LineProblem::Invisible => message(
            "Der Firmenname besteht nur aus unsichtbaren Zeichen.".into(),
            "The firm name consists of invisible characters only.".into(),
        ),
    })
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
            screening: Screening::default(),
            clock: Clock::system(),
        }
    }

    /// The clock of every timestamp the responses write (the system's by default).
    pub fn with_clock(mut self, clock: Clock) -> Responses {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The plausibility thresholds (the defaults otherwise).
    pub fn with_screening(mut self, screening: Screening) -> Responses {
        self.screening = screening;
        self
    }

    /// Whether a response about to be submitted counts at once or is held back (None: counts).
    /// `elapsed_ms` is the time since its start, for responses filled in through the forms.
    async fn screen(
        &self,
        answers: &AnswerSet,
        vector: &[String],
        elapsed_ms: Option<i64>,
    ) -> Result<Option<HoldReason>, ServiceError> {
        if let Some(elapsed) = elapsed_ms
            && self.screening.too_fast(answers.iter().count(), elapsed)
        {
            return Ok(Some(HoldReason::TooFast));
        }
        if self.screening.burst_size == 0 {
            return Ok(None);
        }
        let window = i64::try_from(self.screening.burst_window.as_millis()).unwrap_or(i64::MAX);
        let recent = self
            .store
            .recent_answer_vectors(
                answers.single("industry").unwrap_or(""),
                answers.single("size").unwrap_or(""),
                self.clock.now_ms().saturating_sub(window),
            )
            .await?;
        // A vector that cannot be read is simply not alike.
        let recent: Vec<Vec<String>> = recent
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        Ok(self
            .screening
            .is_burst(vector, &recent)
            .then_some(HoldReason::Burst))
    }

    /// How many submitted responses wait for an admin's decision (for the metrics).
    pub async fn held_back_count(&self) -> Result<i64, ServiceError> {
        Ok(self.store.held_back_count().await?)
    }

    pub async fn held_back_groups(&self) -> Result<Vec<HeldBackGroup>, ServiceError> {
        Ok(self.store.held_back_groups().await?)
    }

    /// Counts the held responses of a group as the admin saw it (ids up to `up_to_id`) in the
    /// statistics, each exactly as its submit would have. Returns how many were released.
    pub async fn release_held_back(
        &self,
        reason: HoldReason,
        industry: &str,
        size_class: &str,
        up_to_id: i64,
    ) -> Result<usize, ServiceError> {
        let held = self
            .store
            .held_back_in_group(reason.as_str(), industry, size_class, up_to_id)
            .await?;
        let mut released = 0;
        for response in &held {
            let change = self.statistics_removal_or_addition(response, false)?;
            let client = self
                .store
                .response_sharing(response.id)
                .await?
                .map(|s| s.client_id);
            let mut attempt = 0;
            loop {
                // As at submit: a re-assessment replaces the client's earlier counted response.
                let removals = self.superseded_removals(client, response.id).await?;
                match self
                    .store
                    .release_held_back(
                        response.id,
                        &change.cohorts(),
                        &cohort_changes(&removals),
                        self.clock.now_ms(),
                    )
                    .await
                {
                    Ok(true) => {
                        released += 1;
                        break;
                    }
                    // Released or discarded meanwhile by another admin.
                    Ok(false) => break,
                    Err(DbError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if released > 0 {
            self.merge_statistics().await;
        }
        Ok(released)
    }

    /// Discards the held responses of a group as the admin saw it: they stay stored and their
    /// owners keep their results, but they never count. Returns how many.
    pub async fn discard_held_back(
        &self,
        reason: HoldReason,
        industry: &str,
        size_class: &str,
        up_to_id: i64,
    ) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .discard_held_back(
                reason.as_str(),
                industry,
                size_class,
                up_to_id,
                self.clock.now_ms(),
            )
            .await?)
    }

    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// The database pools' use, for `/metrics`.
    pub fn pool_use(&self) -> Vec<PoolUse> {
        self.store.pool_use()
    }

    /// The SQLite writer's group-commit batches, for `/metrics` (None on PostgreSQL).
    pub fn batch_sizes(&self) -> Option<crate::db::BatchSizes> {
        self.store.batch_sizes()
    }

    /// What a submit changes in the statistics of both scopes: the cells it counts in, and the
    /// pure update of those cells.
    fn statistics_change(
        &self,
        answers: &AnswerSet,
        assessment: &Assessment,
    ) -> Result<StatisticsChange, ServiceError> {
        let profile: Profile = profile_of(answers)?;
        self.cell_change(profile, assessment, false)
    }

    /// Taking a counted response out of the statistics (erasure, re-assessment).
    fn statistics_removal(
        &self,
        counted: &CountedResponse,
    ) -> Result<StatisticsChange, ServiceError> {
        self.statistics_removal_or_addition(counted, true)
    }

    /// The change of a stored response's cells: taken out, or (on release) added.
    fn statistics_removal_or_addition(
        &self,
        counted: &CountedResponse,
        remove: bool,
    ) -> Result<StatisticsChange, ServiceError> {
        let profile = Profile::parse(&counted.industry, &counted.size_class, &counted.region)
            .map_err(benchmark("stored profile"))?;
        let assessment: Assessment =
            serde_json::from_str(&counted.result_json).map_err(stored_json("result"))?;
        self.cell_change(profile, &assessment, remove)
    }

    fn cell_change(
        &self,
        profile: Profile,
        assessment: &Assessment,
        remove: bool,
    ) -> Result<StatisticsChange, ServiceError> {
        let summary: ResponseSummary =
            statistics::summary_of(assessment).map_err(benchmark("result"))?;
        let keys = statistics::cell_keys(&profile);
        // The cells of the version the response was scored under: versions never mix.
        let scopes = statistics::scopes_of_a_real_response(&assessment.catalogue_version);
        let change = statistics::encode_change(&summary, remove).map_err(benchmark("change"))?;
        Ok(StatisticsChange {
            keys,
            scopes,
            change,
        })
    }

    /// The counted responses that a client's new one supersedes, each with its removal from
    /// the statistics: a re-assessment replaces the client's earlier response, so that each
    /// firm counts once. None without a client.
    async fn superseded_removals(
        &self,
        client: Option<i64>,
        response_id: i64,
    ) -> Result<Vec<(i64, StatisticsChange)>, ServiceError> {
        let Some(client_id) = client else {
            return Ok(Vec::new());
        };
        self.store
            .counted_responses_of_client(client_id, response_id)
            .await?
            .iter()
            .map(|c| self.statistics_removal(c).map(|r| (c.id, r)))
            .collect()
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
                now: self.clock.now_ms(),
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
        self.loaded(record).await
    }

    /// What decides whether a kept result page of the response behind `token` is still its
    /// page ([`ResultStamp`]), in one statement instead of loading the response.
    #[tracing::instrument(skip_all)]
    pub async fn result_stamp(&self, token: &ResponseToken) -> Result<ResultStamp, ServiceError> {
        self.store
            .result_stamp(&token.hash(), self.statistics.read_scope())
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Reads a response's answers with the catalogue of its version.
    ///
    /// An unfinished response of an older catalogue continues under the served one: it keeps
    /// the firm profile (the same questions in every version) and is asked the rest again,
    /// because the older questions and rules differ (README, "Catalogue versions"). A submitted
    /// response keeps its version and its frozen result.
    async fn loaded(&self, mut record: ResponseRecord) -> Result<LoadedResponse, ServiceError> {
        if record.status != ResponseStatus::Submitted
            && record.catalogue_version != self.catalogue.version
        {
            let keep: Vec<String> = self
                .catalogue
                .profile
                .iter()
                .map(|q| q.id.clone())
                .collect();
            self.store
                .move_draft_to_version(
                    record.id,
                    &self.catalogue.version,
                    &keep,
                    self.clock.now_ms(),
                )
                .await?;
            record = self
                .store
                .response_by_id(record.id)
                .await?
                .ok_or(ServiceError::NotFound)?;
        }
        let catalogue = if record.catalogue_version == self.catalogue.version {
            self.catalogue
        } else {
            crate::survey::by_version(&record.catalogue_version).unwrap_or(self.catalogue)
        };
        let rows = self.store.answers(record.id).await?;
        let mut answers = AnswerSet::from_storage(catalogue, rows);
        let stage = Stage::of(&answers);
        catalogue.fit_to_stage(&mut answers, stage, None);
        Ok(LoadedResponse {
            record,
            answers,
            catalogue,
        })
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
        let mut page_answers = match AnswerSet::parse(self.catalogue, raw) {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                AnswerSet::default()
            }
        };
        // The survey branches on the firm's stage (2027.1 on): the profile page sets it.
        let stage = match page {
            Page::Profile => Stage::of(&page_answers),
            Page::Dimension(_) => Stage::of(&response.answers),
        };
        errors.extend(self.catalogue.stage_contradictions(&page_answers, stage));
        self.catalogue
            .fit_to_stage(&mut page_answers, stage, Some(&page_questions));
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
                self.clock.now_ms(),
            )
            .await?;
        if outcome == WriteOutcome::AlreadySubmitted {
            return Err(ServiceError::AlreadySubmitted);
        }
        let mut merged = response.answers.clone();
        for q in &page_questions {
            merged.set(q, page_answers.get(q).cloned());
        }
        let stage = Stage::of(&merged);
        self.catalogue.fit_to_stage(&mut merged, stage, None);
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
        let result_json = serde_json::to_string(&assessment).map_err(write_json("result"))?;
        let (scores, flags) = summary_columns(&assessment);
        let vector = screening::answer_vector(self.catalogue, &response.answers);
        let vector_json = serde_json::to_string(&vector).map_err(write_json("answer vector"))?;
        let hold = self
            .screen(
                &response.answers,
                &vector,
                Some(
                    self.clock
                        .now_ms()
                        .saturating_sub(response.record.created_at),
                ),
            )
            .await?;
        let submission = Submission {
            answer_vector: &vector_json,
            hold_reason: hold.map(HoldReason::as_str),
            ..submission(
                &response.answers,
                &assessment,
                &result_json,
                &scores,
                &flags,
            )
        };
        let change = self.statistics_change(&response.answers, &assessment)?;
        let client = self
            .store
            .response_sharing(response.record.id)
            .await?
            .map(|s| s.client_id);
        let mut attempt = 0;
        let merged = loop {
            // A re-assessment of a consultant's client replaces the client's earlier response
            // in the statistics, so that each firm counts once (a held-back one only once it
            // is released).
            let removals = self
                .superseded_removals(client.filter(|_| hold.is_none()), response.record.id)
                .await?;
            match self
                .store
                .submit(
                    response.record.id,
                    &submission,
                    &change.cohorts(),
                    &cohort_changes(&removals),
                    self.clock.now_ms(),
                )
                .await
            {
                Ok((WriteOutcome::Done, merged)) => break merged,
                Ok((WriteOutcome::AlreadySubmitted, _)) => {
                    return Err(ServiceError::AlreadySubmitted);
                }
                Err(DbError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        // Merged in the write's own commit already (SQLite's batches): nothing left to wait for.
        if hold.is_none() && !merged {
            self.merge_statistics().await;
        }
        self.remember_peer_position(response.record.id, &response.answers, &assessment)
            .await;
        Ok(assessment)
    }

    /// A submitted response's comparison with its peers, in the statistics of its own catalogue
    /// version (a firm is compared only with firms scored by the same rules).
    pub async fn benchmark_for(
        &self,
        answers: &AnswerSet,
        assessment: &Assessment,
    ) -> Result<Benchmark, ServiceError> {
        Ok(self.benchmark_of_generation(answers, assessment).await?.0)
    }

    /// [`Responses::benchmark_for`] and the generation of the statistics it was compared with.
    pub async fn benchmark_of_generation(
        &self,
        answers: &AnswerSet,
        assessment: &Assessment,
    ) -> Result<(Benchmark, i64), ServiceError> {
        let snapshot = self
            .statistics
            .snapshot_for(&assessment.catalogue_version)
            .await?;
        let profile = profile_of(answers)?;
        let benchmark = self.statistics.compare(&snapshot, &profile, assessment);
        Ok((benchmark, snapshot.generation))
    }

    /// Keeps the firm's peer medians as they were at submit, so that a later re-assessment can
    /// show how the peer cohort moved meanwhile. Best effort: the result stands without it.
    async fn remember_peer_position(&self, id: i64, answers: &AnswerSet, assessment: &Assessment) {
        let benchmark = match self.benchmark_for(answers, assessment).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "no benchmark for the peer position");
                return;
            }
        };
        if let Benchmark::Compared(comparison) = benchmark {
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
        self.loaded(record).await
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
        let change = removal.as_ref().map(StatisticsChange::cohorts);
        match self
            .store
            .delete_response(
                response.record.id,
                change.as_ref(),
                snapshot,
                self.clock.now_ms(),
            )
            .await?
        {
            true => {
                if counted.is_some() {
                    self.merge_statistics().await;
                }
                Ok(())
            }
            false => Err(ServiceError::NotFound),
        }
    }

    /// Merges the statistics journal after a write that added to it, so that the change is in
    /// the published statistics when the write is answered (as when the cells were written in
    /// the write's own transaction). The write itself has committed: if merging fails now, the
    /// change waits in the journal for the next merge (`Statistics::merge_periodically`).
    async fn merge_statistics(&self) {
        self.merge_statistics_of(&[]).await;
    }

    /// [`Self::merge_statistics`] after a write whose journal entries got these ids (known on
    /// PostgreSQL: another instance's merge of them is seen, see `Statistics::merge_pending_of`).
    async fn merge_statistics_of(&self, journal_ids: &[i64]) {
        let now = self.clock.now_ms();
        if let Err(e) = self.statistics.merge_pending_of(now, journal_ids).await {
            tracing::error!(error = %e, "merging the statistics journal failed; the next merge retries");
        }
    }

    /// The JSON API's one-shot submit: profile and answers at once, all or nothing. Without an
    /// API key (`api_key`: the key's id) the response is stored but held back from the
    /// statistics; with one, it is screened for bursts.
    #[tracing::instrument(skip_all)]
    pub async fn create_submitted(
        &self,
        lang: Lang,
        firm_name: Option<&str>,
        raw: Vec<(String, RawAnswer)>,
        idempotency: Option<(&str, &[u8])>,
        api_key: Option<i64>,
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
        let mut answers = match AnswerSet::parse(self.catalogue, raw) {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                AnswerSet::default()
            }
        };
        let stage = Stage::of(&answers);
        errors.extend(self.catalogue.stage_contradictions(&answers, stage));
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        // A firm that is not active yet is not asked about practice it cannot have yet.
        self.catalogue.fit_to_stage(&mut answers, stage, None);
        let missing = answers.missing_required(self.catalogue);
        if !missing.is_empty() {
            return Err(ServiceError::Incomplete(missing));
        }

        let assessment = assess(self.catalogue, &answers);
        let result_json = serde_json::to_string(&assessment).map_err(write_json("result"))?;
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
        let change = self.statistics_change(&answers, &assessment)?;
        let vector = screening::answer_vector(self.catalogue, &answers);
        let vector_json = serde_json::to_string(&vector).map_err(write_json("answer vector"))?;
        let hold = match api_key {
            None => Some(HoldReason::Keyless),
            Some(_) => self.screen(&answers, &vector, None).await?,
        };
        let submission = Submission {
            answer_vector: &vector_json,
            hold_reason: hold.map(HoldReason::as_str),
            api_key_id: api_key,
            ..submission(&answers, &assessment, &result_json, &scores, &flags)
        };
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
                        now: self.clock.now_ms(),
                    },
                    &rows,
                    &submission,
                    &change.cohorts(),
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
            (CreateOutcome::Created(_), merged, journal_ids) => {
                if hold.is_none() && !merged {
                    self.merge_statistics_of(&journal_ids).await;
                }
                Ok(Created {
                    token,
                    assessment,
                    replayed: false,
                })
            }
            // A concurrent request with the same key won: answer as it did.
            (CreateOutcome::IdempotencyKeyTaken, _, _) => match (idempotency, &request_hash) {
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
        let token = ResponseToken::unseal(&stored.sealed_token, key).ok_or_else(|| {
            ServiceError::Inconsistent("a stored idempotency key's token does not unseal".into())
        })?;
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
        answer_vector: "",
        hold_reason: None,
        api_key_id: None,
    }
}
