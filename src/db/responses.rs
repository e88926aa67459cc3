//! Responses and their answers.
use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Execute, Row};

use super::benchmarks::{CohortChange, journal_change};
use super::group_commit::{Keep, Member};
use super::{Backend, DbError, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    InProgress,
    Submitted,
}

impl ResponseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::InProgress => "in_progress",
            ResponseStatus::Submitted => "submitted",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ResponseRecord {
    pub id: i64,
    pub catalogue_version: String,
    pub lang: String,
    pub status: ResponseStatus,
    pub firm_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub result_json: Option<String>,
    pub consent_version: String,
    pub consent_at: i64,
    pub benchmark_json: Option<String>,
    /// Whether the response was started from a consultant's invitation. The invitation is
    /// linked in the transaction that creates the response and never later, so without one
    /// there is no sharing to look up (the result page skips that query).
    pub invited: bool,
}

/// What a result page shows that can change, besides the process's own settings: the
/// response's row as far as a submit can change it, whether it was invited, and the
/// publication generation of the statistics it is compared with. A submitted response's
/// answers, result and firm name are frozen (every write to them requires `in_progress`), and
/// its invitation is linked when it is created, never later; so for a submitted response
/// without invitation, an equal stamp means an equal page (`web::result_pages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultStamp {
    pub id: i64,
    pub status: ResponseStatus,
    pub lang: String,
    pub catalogue_version: String,
    pub updated_at: i64,
    pub invited: bool,
    /// The generation of the response's statistics scope (0 before any publication).
    pub generation: i64,
}

impl ResultStamp {
    /// The stamp of a loaded record compared with the statistics of `generation`.
    pub fn of(record: &ResponseRecord, generation: i64) -> ResultStamp {
        ResultStamp {
            id: record.id,
            status: record.status,
            lang: record.lang.clone(),
            catalogue_version: record.catalogue_version.clone(),
            updated_at: record.updated_at,
            invited: record.invited,
            generation,
        }
    }
}

pub struct NewResponse<'a> {
    pub token_hash: &'a str,
    pub catalogue_version: &'a str,
    pub lang: &'a str,
    pub consent_version: &'a str,
    pub firm_name: Option<&'a str>,
    pub is_demo: bool,
    pub now: i64,
}

/// What a submit freezes.
pub struct Submission<'a> {
    pub industry: &'a str,
    pub size_class: &'a str,
    pub region: &'a str,
    pub overall_score: i64,
    pub overall_level: i64,
    pub result_json: &'a str,
    /// Dimension scores in catalogue order, comma-joined.
    pub dimension_scores: &'a str,
    /// Red flag ids, comma-joined.
    pub red_flags: &'a str,
    /// The scored answers in catalogue order (JSON), compared by the burst screening.
    pub answer_vector: &'a str,
    /// Why the screening holds it back from the statistics; None: it counts at once.
    pub hold_reason: Option<&'a str>,
    /// The API key it came with.
    pub api_key_id: Option<i64>,
}

/// An idempotency key's record (hashes only; see the migration).
pub struct IdempotencyRecord<'a> {
    pub key_hash: &'a str,
    pub request_hash: &'a str,
    pub sealed_token: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIdempotency {
    pub request_hash: String,
    pub sealed_token: String,
    pub response_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Done,
    /// The response was submitted already: it is frozen.
    AlreadySubmitted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(i64),
    /// Another request with the same idempotency key won the race.
    IdempotencyKeyTaken,
}

/// Row counts, for operators and for tests that check bad input changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCounts {
    pub responses: i64,
    pub answers: i64,
    pub idempotency_keys: i64,
}

fn status(row: &AnyRow) -> Result<ResponseStatus, DbError> {
    let status: String = row.try_get("status")?;
    match status.as_str() {
        "in_progress" => Ok(ResponseStatus::InProgress),
        "submitted" => Ok(ResponseStatus::Submitted),
        other => Err(DbError::Corrupt(format!(
            "unknown response status {other:?}"
        ))),
    }
}

fn record(row: &AnyRow) -> Result<ResponseRecord, DbError> {
    let status = status(row)?;
    Ok(ResponseRecord {
        id: row.try_get("id")?,
        catalogue_version: row.try_get("catalogue_version")?,
        lang: row.try_get("lang")?,
        status,
        firm_name: row.try_get("firm_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        submitted_at: row.try_get("submitted_at")?,
        result_json: row.try_get("result_json")?,
        consent_version: row.try_get("consent_version")?,
        consent_at: row.try_get("consent_at")?,
        benchmark_json: row.try_get("benchmark_json")?,
        invited: row.try_get::<i64, _>("invitations")? > 0,
    })
}

/// The columns of [`ResponseRecord`], pasted into queries at compile time.
macro_rules! record_columns {
    () => {
        "id, catalogue_version, lang, status, firm_name, created_at, updated_at, submitted_at,
         result_json, consent_version, consent_at, benchmark_json,
         CAST((SELECT COUNT(*) FROM invitations i WHERE i.response_id = responses.id) AS BIGINT)
            AS invitations"
    };
}

pub(super) const INSERT_RESPONSE: &str = "INSERT INTO responses
    (token_hash, catalogue_version, lang, status, firm_name, consent_version, consent_at, is_demo,
     created_at, updated_at)
    VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7, $6, $6)
    RETURNING id";

/// Whether a submit's work is one statement that never asks to roll back (PostgreSQL then runs
/// it without a transaction around it; on SQLite it is a member of a group commit either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atomic {
    OneStatement,
    NeedsTransaction,
}

/// A response's answers as stored in its row (`responses.answers`): a JSON object of question
/// id to comma-joined option ids; None (NULL) when there are none. One value instead of a row
/// per answer: 55 rows, their primary key entries and foreign key checks were about a fifth of
/// PostgreSQL's CPU per submit (issue 17).
fn encode_answers<'a>(
    answers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Option<String>, DbError> {
    let mut answers = answers.into_iter().peekable();
    if answers.peek().is_none() {
        return Ok(None);
    }
    let mut map = serde_json::Map::new();
    for (question, options) in answers {
        map.insert(question.to_owned(), serde_json::Value::from(options));
    }
    serde_json::to_string(&map)
        .map(Some)
        .map_err(|e| DbError::Corrupt(format!("answers do not serialise: {e}")))
}

/// The answers of a row's `answers` column, by question id.
fn decode_answers(stored: Option<&str>) -> Result<BTreeMap<String, String>, DbError> {
    match stored {
        None => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| DbError::Corrupt(format!("stored answers are not readable: {e}"))),
    }
}

/// The columns of a response inserted already submitted (the JSON API's one-shot submit):
/// `$1..$7` as in [`INSERT_RESPONSE`], `$8..$19` bound by [`bind_submission`], `$20` the
/// answers (see [`encode_answers`]).
const SUBMITTED_COLUMNS: &str = "(token_hash, catalogue_version, lang, firm_name, consent_version,
     consent_at, is_demo, created_at, updated_at, submitted_at, status,
     industry, size_class, region, overall_score, overall_level, result_json, dimension_scores,
     red_flags, answer_vector, hold_reason, api_key_id, held_back, in_statistics, answers)";
const SUBMITTED_VALUES: &str = "($1, $2, $3, $4, $5, $6, $7, $6, $6, $6, 'submitted',
     $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1 - $19, $20)";

/// The JSON API's one-shot submit as one statement (issue 17: each statement is a round trip,
/// on SQLite a hand-off to sqlx's worker thread): the response, already submitted with its
/// answers, its journaled statistics change (`journal_scopes` rows; 0: it does not count) and
/// its idempotency key. The key finds the response by its token hash (unique).
/// It returns one row: the response's id and whether the idempotency key was inserted (1) or
/// taken already (0; 1 without a key).
///
/// Parameters after `$20`: the journal's cohort keys and change, then its scopes; then the key's
/// hash, request hash and sealed token.
/// SQLite runs the statements of one string in order, binding `$n` from the same arguments;
/// PostgreSQL takes one statement per query with parameters, so there the inserts are data-
/// modifying CTEs (all run once, to completion, whether read or not).
fn one_shot_submit_sql(backend: Backend, journal_scopes: usize, idempotency: bool) -> String {
    let mut next = 20;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    let journal = (journal_scopes > 0).then(|| {
        let (keys, change) = (param(), param());
        (0..journal_scopes)
            .map(|_| format!("({}, {keys}, {change}, $6)", param()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let key = idempotency.then(|| (param(), param(), param()));
    let mut parts: Vec<String> = Vec::new();
    match backend {
        Backend::Sqlite => {
            parts.push(format!(
                "INSERT INTO responses {SUBMITTED_COLUMNS} VALUES {SUBMITTED_VALUES}"
            ));
            if let Some(rows) = &journal {
                parts.push(format!(
                    "INSERT INTO cohort_journal (scope, cohort_keys, change_json, created_at)
                     VALUES {rows}"
                ));
            }
            let inserted = match &key {
                Some((hash, request, sealed)) => {
                    parts.push(format!(
                        "INSERT INTO idempotency_keys
                             (key_hash, request_hash, response_id, sealed_token, created_at)
                         SELECT {hash}, {request}, r.id, {sealed}, $6 FROM responses r
                         WHERE r.token_hash = $1 ON CONFLICT (key_hash) DO NOTHING"
                    ));
                    // Rows the statement just before changed: the key's insert.
                    "changes()"
                }
                None => "1",
            };
            parts.push(format!(
                "SELECT id, CAST({inserted} AS BIGINT) FROM responses WHERE token_hash = $1"
            ));
            parts.join(";\n")
        }
        Backend::Postgres => {
            parts.push(format!(
                "r AS (INSERT INTO responses {SUBMITTED_COLUMNS} VALUES {SUBMITTED_VALUES}
                       RETURNING id)"
            ));
            if let Some(rows) = &journal {
                parts.push(format!(
                    "j AS (INSERT INTO cohort_journal (scope, cohort_keys, change_json, created_at)
                           VALUES {rows} RETURNING id)"
                ));
            }
            let inserted = match &key {
                Some((hash, request, sealed)) => {
                    parts.push(format!(
                        "k AS (INSERT INTO idempotency_keys
                                   (key_hash, request_hash, response_id, sealed_token, created_at)
                               SELECT {hash}, {request}, r.id, {sealed}, $6 FROM r
                               ON CONFLICT (key_hash) DO NOTHING RETURNING 1)"
                    ));
                    "(SELECT COUNT(*) FROM k)"
                }
                None => "1",
            };
            // The journal entries' ids, comma-joined: the merge rounds tell by them whether
            // another instance's merge took the entries (see `Statistics::merge_pending_of`).
            let journal_ids = match &journal {
                Some(_) => "(SELECT string_agg(CAST(id AS TEXT), ',') FROM j)",
                None => "CAST(NULL AS TEXT)",
            };
            format!(
                "WITH {} SELECT id, CAST({inserted} AS BIGINT), {journal_ids} FROM r",
                parts.join(",\n")
            )
        }
    }
}

/// Ids comma-joined by PostgreSQL's `string_agg`.
fn parse_ids(joined: Option<&str>) -> Result<Vec<i64>, DbError> {
    joined
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map_err(|_| DbError::Corrupt(format!("a journal id that is no number: {id:?}")))
        })
        .collect()
}

const SUBMIT: &str =
    "UPDATE responses SET status = 'submitted', submitted_at = $2, updated_at = $2,
        industry = $3, size_class = $4, region = $5, overall_score = $6, overall_level = $7,
        result_json = $8, dimension_scores = $9, red_flags = $10, answer_vector = $11,
        hold_reason = $12, api_key_id = $13, held_back = $14, in_statistics = 1 - $14
    WHERE id = $1 AND status = 'in_progress'";

impl Store {
    pub async fn create_response(&self, new: &NewResponse<'_>) -> Result<i64, DbError> {
        let row = bind_new_response(sqlx::query(INSERT_RESPONSE), new)
            .fetch_one(&self.writer)
            .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn response_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ResponseRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            record_columns!(),
            " FROM responses WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// The [`ResultStamp`] of the response with `token_hash`, in one statement: the generation
    /// is the one of scope `{scope}@{catalogue_version}` (`statistics::versioned_scope`), the
    /// response's own catalogue version read in the same statement.
    pub async fn result_stamp(
        &self,
        token_hash: &str,
        scope: &str,
    ) -> Result<Option<ResultStamp>, DbError> {
        let row = sqlx::query(
            "SELECT r.id, r.status, r.lang, r.catalogue_version, r.updated_at,
                 CAST((SELECT COUNT(*) FROM invitations i WHERE i.response_id = r.id) AS BIGINT)
                    AS invitations,
                 CAST(COALESCE((SELECT g.generation FROM benchmark_generations g
                     WHERE g.scope = $2 || '@' || r.catalogue_version), 0) AS BIGINT)
                    AS generation
             FROM responses r WHERE r.token_hash = $1",
        )
        .bind(token_hash)
        .bind(scope)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(ResultStamp {
            id: row.try_get("id")?,
            status: status(&row)?,
            lang: row.try_get("lang")?,
            catalogue_version: row.try_get("catalogue_version")?,
            updated_at: row.try_get("updated_at")?,
            invited: row.try_get::<i64, _>("invitations")? > 0,
            generation: row.try_get("generation")?,
        }))
    }

    /// A response by its id: only for callers that checked the right to see it.
    pub async fn response_by_id(&self, id: i64) -> Result<Option<ResponseRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            record_columns!(),
            " FROM responses WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// A response's answers as (question id, comma-joined option ids), ordered by question id.
    pub async fn answers(&self, response_id: i64) -> Result<Vec<(String, String)>, DbError> {
        let row = sqlx::query("SELECT answers FROM responses WHERE id = $1")
            .bind(response_id)
            .fetch_optional(&self.reader)
            .await?;
        let stored: Option<String> = row.map(|r| r.try_get(0)).transpose()?.flatten();
        Ok(decode_answers(stored.as_deref())?.into_iter().collect())
    }

    /// Moves an unfinished response to another catalogue version: its answers except `keep`
    /// (the firm profile, asked alike in every version) are dropped, because a question of the
    /// older version may mean something else now. Nothing happens to a submitted response or one
    /// already of that version; returns whether it moved.
    pub async fn move_draft_to_version(
        &self,
        response_id: i64,
        catalogue_version: &str,
        keep: &[String],
        now: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        // The update locks the row (PostgreSQL) or holds the writer (SQLite) before its answers
        // are read and rewritten: no concurrent save is lost.
        let moved = sqlx::query(
            "UPDATE responses SET catalogue_version = $2, updated_at = $3
             WHERE id = $1 AND status = 'in_progress' AND catalogue_version <> $2
             RETURNING answers",
        )
        .bind(response_id)
        .bind(catalogue_version)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(moved) = moved else {
            self.rollback(tx).await?;
            return Ok(false);
        };
        let stored: Option<String> = moved.try_get(0)?;
        let mut answers = decode_answers(stored.as_deref())?;
        let before = answers.len();
        answers.retain(|question, _| keep.contains(question));
        if answers.len() != before {
            let stored = encode_answers(answers.iter().map(|(q, o)| (q.as_str(), o.as_str())))?;
            sqlx::query("UPDATE responses SET answers = $2 WHERE id = $1")
                .bind(response_id)
                .bind(stored)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(true)
    }

    /// Saves one page: the answers to `page_questions` become exactly `answers` (a question left
    /// open is cleared), all in one transaction, and only while the response is in progress.
    pub async fn save_page(
        &self,
        response_id: i64,
        page_questions: &[String],
        answers: &[(String, String)],
        firm_name: Option<Option<&str>>,
        now: i64,
    ) -> Result<WriteOutcome, DbError> {
        let mut tx = self.begin_write().await?;
        // Locks the row (PostgreSQL) or holds the writer (SQLite) before the answers are read
        // and rewritten: no concurrent save is lost.
        let touched = sqlx::query(
            "UPDATE responses SET updated_at = $2 WHERE id = $1 AND status = 'in_progress'
             RETURNING answers",
        )
        .bind(response_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(touched) = touched else {
            self.rollback(tx).await?;
            return Ok(WriteOutcome::AlreadySubmitted);
        };
        let stored: Option<String> = touched.try_get(0)?;
        let mut stored = decode_answers(stored.as_deref())?;
        for question in page_questions {
            stored.remove(question);
        }
        for (question, options) in answers {
            stored.insert(question.clone(), options.clone());
        }
        let stored = encode_answers(stored.iter().map(|(q, o)| (q.as_str(), o.as_str())))?;
        let query = match firm_name {
            Some(name) => {
                sqlx::query("UPDATE responses SET answers = $2, firm_name = $3 WHERE id = $1")
                    .bind(response_id)
                    .bind(stored)
                    .bind(name)
            }
            None => sqlx::query("UPDATE responses SET answers = $2 WHERE id = $1")
                .bind(response_id)
                .bind(stored),
        };
        query.execute(&mut *tx).await?;
        self.commit(tx).await?;
        Ok(WriteOutcome::Done)
    }

    /// Freezes a response with its result. Only the first submit wins. Also returns whether the
    /// statistics journal, with this change, was merged before the write committed (see
    /// [`Store::merge_in_batches`]); if not, the caller merges.
    pub async fn submit(
        &self,
        response_id: i64,
        submission: &Submission<'_>,
        cohorts: &CohortChange<'_>,
        superseded: &[(i64, CohortChange<'_>)],
        now: i64,
    ) -> Result<(WriteOutcome, bool), DbError> {
        let journals = submission.hold_reason.is_none();
        self.write_submit(journals.then_some(now), async |conn: &mut AnyConnection| {
            let done = bind_submission(sqlx::query(SUBMIT).bind(response_id).bind(now), submission)
                .execute(&mut *conn)
                .await?;
            if done.rows_affected() != 1 {
                return Ok(Keep::RollBack(WriteOutcome::AlreadySubmitted));
            }
            // A held-back response changes no statistics until an admin releases it.
            let counts = submission.hold_reason.is_none();
            // The statistics change is journaled in the same transaction; the service merges
            // it before answering, so the k-th response of a cohort is published as soon as its
            // submit returns.
            if counts {
                journal_change(conn, cohorts, now).await?;
            }
            // A re-assessment replaces the client's earlier response in the statistics: a firm
            // counts once.
            for (old_id, removal) in superseded.iter().filter(|_| counts) {
                let updated = sqlx::query(
                    "UPDATE responses SET in_statistics = 0 WHERE id = $1 AND in_statistics = 1",
                )
                .bind(*old_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if updated != 1 {
                    // Taken out meanwhile (erased, or superseded by a concurrent submit): retry.
                    return Err(DbError::Conflict);
                }
                journal_change(conn, removal, now).await?;
            }
            Ok(Keep::Commit(WriteOutcome::Done))
        })
        .await
    }

    /// Creates, answers and submits a response in one transaction (the JSON API's one-shot
    /// submit), with its idempotency key if one was given. Also returns whether the statistics
    /// journal was merged before the write committed, as [`Store::submit`] does, and the ids
    /// of the journal entries it wrote (PostgreSQL; none on SQLite).
    pub async fn create_submitted_response<'q>(
        &self,
        new: &'q NewResponse<'q>,
        answers: &[(String, String)],
        submission: &'q Submission<'q>,
        cohorts: &CohortChange<'_>,
        idempotency: Option<&IdempotencyRecord<'_>>,
    ) -> Result<(CreateOutcome, bool, Vec<i64>), DbError> {
        let counts = submission.hold_reason.is_none()
            && !cohorts.keys.is_empty()
            && !cohorts.scopes.is_empty();
        let journal_scopes = if counts { cohorts.scopes.len() } else { 0 };
        let sql = one_shot_submit_sql(self.backend, journal_scopes, idempotency.is_some());
        let keys = cohorts.keys.join(",");
        let stored_answers = encode_answers(answers.iter().map(|(q, o)| (q.as_str(), o.as_str())))?;
        // Without an idempotency key nothing can ask to roll the one statement back.
        let atomic = if idempotency.is_some() {
            Atomic::NeedsTransaction
        } else {
            Atomic::OneStatement
        };
        let merge_at = counts.then_some(new.now);
        let bind_all = |query: AnyQuery<'q>| {
            let mut query = bind_submission(bind_new_response(query, new), submission)
                .bind(stored_answers.as_deref());
            if counts {
                query = query.bind(keys.as_str()).bind(cohorts.change);
                for scope in cohorts.scopes {
                    query = query.bind(scope.as_str());
                }
            }
            if let Some(key) = idempotency {
                query = query
                    .bind(key.key_hash)
                    .bind(key.request_hash)
                    .bind(key.sealed_token);
            }
            query
        };
        if self.backend == Backend::Sqlite && atomic == Atomic::OneStatement {
            // Queued for the writer and run with the other members' statements (see
            // `group_commit`): its values are encoded here, the statement runs there.
            let arguments = bind_all(sqlx::query(""))
                .take_arguments()
                .map_err(|e| DbError::Sqlx(sqlx::Error::Encode(e)))?
                .unwrap_or_default();
            let (row, merged) = self
                .group
                .run_statement(self, sql, arguments, merge_at)
                .await?;
            return Ok((CreateOutcome::Created(row.try_get(0)?), merged, Vec::new()));
        }
        let mut journal_ids = Vec::new();
        let (outcome, merged) = self
            .write_submit_as(atomic, merge_at, async |conn: &mut AnyConnection| {
                let query = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())));
                // All rows, not the first item: on SQLite the first is the first insert's count.
                let rows = query.fetch_all(&mut *conn).await?;
                let row = rows.last().ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))?;
                let (id, key_inserted): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                if key_inserted != 1 {
                    return Ok(Keep::RollBack(CreateOutcome::IdempotencyKeyTaken));
                }
                if self.backend == Backend::Postgres && counts {
                    journal_ids = parse_ids(row.try_get::<Option<String>, _>(2)?.as_deref())?;
                }
                Ok(Keep::Commit(CreateOutcome::Created(id)))
            })
            .await?;
        Ok((outcome, merged, journal_ids))
    }

    /// Runs a submit's statements: on SQLite as a member of the writer's group commit (see
    /// `group_commit`), on PostgreSQL in a transaction of its own (many connections commit in
    /// parallel there, and PostgreSQL groups their WAL flushes itself). `journaled_at`: the
    /// work appends to the statistics journal at this time. The flag returned says whether the
    /// journal was merged before the commit (SQLite's batches do; see `group_commit`).
    async fn write_submit<T>(
        &self,
        journaled_at: Option<i64>,
        work: impl AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
    ) -> Result<(T, bool), DbError> {
        self.write_submit_as(Atomic::NeedsTransaction, journaled_at, work)
            .await
    }

    async fn write_submit_as<T>(
        &self,
        atomic: Atomic,
        journaled_at: Option<i64>,
        work: impl AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
    ) -> Result<(T, bool), DbError> {
        match self.backend {
            // One statement that never asks to roll back needs no savepoint: if it fails, the
            // batch ends, as on any database error (two round trips fewer per submit).
            Backend::Sqlite => {
                let how = Member {
                    savepoint: atomic == Atomic::NeedsTransaction,
                    merge_at: journaled_at,
                };
                self.group.run_as(self, how, work).await
            }
            // One statement commits atomically on its own: no BEGIN and COMMIT round trips.
            Backend::Postgres if atomic == Atomic::OneStatement => {
                let mut conn = self.writer.acquire().await?;
                match work(&mut conn).await? {
                    Keep::Commit(value) => Ok((value, false)),
                    Keep::RollBack(_) => Err(DbError::Corrupt(
                        "a write of one statement asked to roll back".into(),
                    )),
                }
            }
            Backend::Postgres => {
                let mut tx = self.begin_write().await?;
                match work(&mut *tx).await? {
                    Keep::Commit(value) => {
                        self.commit(tx).await?;
                        Ok((value, false))
                    }
                    Keep::RollBack(value) => {
                        self.rollback(tx).await?;
                        Ok((value, false))
                    }
                }
            }
        }
    }

    pub async fn idempotency_key(
        &self,
        key_hash: &str,
    ) -> Result<Option<StoredIdempotency>, DbError> {
        let row = sqlx::query(
            "SELECT request_hash, sealed_token, response_id FROM idempotency_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        // A key taken by a concurrent submit is read after that submit's batch committed (the
        // loser is answered only then), so a reader sees it; see `active_api_key`.
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(StoredIdempotency {
                request_hash: r.try_get(0)?,
                sealed_token: r.try_get(1)?,
                response_id: r.try_get(2)?,
            })
        })
        .transpose()
    }

    pub async fn table_counts(&self) -> Result<TableCounts, DbError> {
        // Answers are counted one per question, as they were when each was a row.
        let answers = match self.backend {
            Backend::Sqlite => {
                "SELECT CAST(COUNT(*) AS BIGINT) FROM responses r, json_each(r.answers) a"
            }
            Backend::Postgres => {
                "SELECT CAST(COUNT(*) AS BIGINT) FROM responses r,
                     json_each_text(CAST(r.answers AS JSON)) a"
            }
        };
        let count = |table: &'static str| async move {
            let sql = match table {
                "responses" => "SELECT CAST(COUNT(*) AS BIGINT) FROM responses",
                "answers" => answers,
                _ => "SELECT CAST(COUNT(*) AS BIGINT) FROM idempotency_keys",
            };
            let n: i64 = sqlx::query(sql).fetch_one(&self.writer).await?.try_get(0)?;
            Ok::<i64, DbError>(n)
        };
        Ok(TableCounts {
            responses: count("responses").await?,
            answers: count("answers").await?,
            idempotency_keys: count("idempotency_keys").await?,
        })
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

pub(super) fn bind_new_response<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    new: &'q NewResponse<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(new.token_hash)
        .bind(new.catalogue_version)
        .bind(new.lang)
        .bind(new.firm_name)
        .bind(new.consent_version)
        .bind(new.now)
        .bind(i64::from(new.is_demo))
}

fn bind_submission<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    s: &'q Submission<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(s.industry)
        .bind(s.size_class)
        .bind(s.region)
        .bind(s.overall_score)
        .bind(s.overall_level)
        .bind(s.result_json)
        .bind(s.dimension_scores)
        .bind(s.red_flags)
        .bind(s.answer_vector)
        .bind(s.hold_reason)
        .bind(s.api_key_id)
        .bind(i64::from(s.hold_reason.is_some()))
}
