//! Group commit on SQLite's single writer (issue 17).
//!
//! Why: with `synchronous=FULL` every commit waits for an fsync of the WAL, and one commit per
//! submit caps the service at the disk's synced writes per second, with the writer idle while
//! it waits. Here the submits that queue for the writer while a batch is open join that batch:
//! each runs its statements in a SAVEPOINT of the batch's one transaction (a failing submit
//! rolls back only its own savepoint), and the batch commits once. Nobody is answered before the
//! COMMIT that holds their write has returned, so durability is exactly that of one commit per
//! submit; a failed COMMIT fails every member of the batch.
//!
//! Cancellation: a request may be dropped at any await (the client went away). The batch is
//! never left waiting for one: whoever opens a batch also spawns a flusher task that owns
//! nothing but the shared state, queues on the same fair mutex behind everyone already waiting,
//! and commits the batch if it is still open when its turn comes. A member dropped in the middle
//! of its statements drops its savepoint, which sqlx rolls back before the connection's next use.
//!
//! Statements run together: a member that is one statement with its own arguments (the JSON
//! API's one-shot submit without an idempotency key) does not run it on the connection itself.
//! It queues the statement ([`GroupCommit::run_statement`]); whoever holds the writer next (a
//! member of that kind) takes every queued statement and sends them to SQLite's worker thread
//! in a few commands of several statements each. One statement per member meant a hand-off to
//! the worker and back per member, each with its wake-ups, while the writer stood idle between
//! them (issue 17). The leader's batch is failed if the leader is dropped while running them
//! (its members would otherwise be told of an error for writes that commit).
//!
//! Merging in the batch: when members appended to the statistics journal, the batch merges the
//! journal into the cells just before its COMMIT (in a savepoint of its own), so the submits and
//! their merge share one COMMIT and one fsync, and the members need no merge round of their own
//! after it (which was a second batch and a second fsync per round). A merge that fails leaves
//! the journal to the next round; the members' writes commit either way.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Arguments, Connection, Transaction};
use tokio::sync::{Mutex, MutexGuard, oneshot, watch};

use super::benchmarks::{MERGE_BATCH_IN_COMMIT, MergeFn, merge_in};
use super::{DbError, Store};

/// A batch commits at this many members even if more are waiting, so that one batch does not
/// hold the writer (and the answers of its first members) for too long.
const MAX_BATCH: usize = 64;

/// Queued statements are sent in commands of at most this many members' statements (and of
/// a power of two: a few statement texts, each prepared once and kept in sqlx's cache). Eight
/// one-shot submits are 40 results, within sqlx's row channel (50), so SQLite's worker does not
/// wait for the reader in the middle of a command.
const MAX_STATEMENTS_PER_COMMAND: usize = 8;

/// What a member learns about its batch's COMMIT: `None` while it is open; on success, whether
/// the batch merged the whole journal before committing.
type Outcome = Option<Result<bool, CommitFailure>>;

/// The statistics' pure merge, installed by the service that owns the policy.
pub type BatchMerge = Arc<
    dyn Fn(&str, &[super::JournalEntry], &[super::CellRow]) -> Result<super::ScopeUpdate, String>
        + Send
        + Sync,
>;

#[derive(Debug, Clone)]
struct CommitFailure {
    message: String,
    unavailable: bool,
}

struct Batch {
    id: u64,
    tx: Transaction<'static, Any>,
    members: usize,
    /// When a member appended to the journal: the time its merge is stamped with.
    merge_at: Option<i64>,
    done: watch::Sender<Outcome>,
    /// Set while a leader runs queued statements in this batch: if it is still set when the
    /// batch ends, the leader was dropped in the middle, and the batch fails (see the module).
    running: bool,
}

/// A queued statement (see [`GroupCommit::run_statement`]).
struct Job {
    sql: String,
    arguments: AnyArguments,
    merge_at: Option<i64>,
    reply: oneshot::Sender<Result<(AnyRow, watch::Receiver<Outcome>), DbError>>,
}

#[derive(Default)]
struct State {
    open: Mutex<Option<Batch>>,
    /// Statements waiting for a leader (see [`GroupCommit::run_statement`]).
    jobs: std::sync::Mutex<Vec<Job>>,
    /// Requests queued on `open` (a hint: the last of a burst commits without a task hop).
    waiting: AtomicUsize,
    next_id: AtomicU64,
    /// Committed batches per size bucket ([`BATCH_SIZE_BOUNDS`]), and their members in all.
    sizes: [AtomicU64; BATCH_SIZE_BOUNDS.len()],
    members: AtomicU64,
    failed: AtomicU64,
    merge: OnceLock<BatchMerge>,
    merges: MergeCounts,
}

/// Merges run inside batches (for `/metrics`, added to the statistics' own rounds).
#[derive(Default)]
struct MergeCounts {
    ok: AtomicU64,
    failed: AtomicU64,
    micros: AtomicU64,
    merged: AtomicU64,
}

/// Merges run inside batches since start: (succeeded, failed, microseconds, entries read).
pub type BatchMergeUse = (u64, u64, u64, u64);

/// How a member runs in its batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    /// In a savepoint of its own, so that its own failure or `Keep::RollBack` undoes only its
    /// writes. Without one (a member of a single statement that never asks to roll back), any
    /// failure ends the batch, as a database error does anyway: two round trips fewer.
    pub savepoint: bool,
    /// The member appended to the statistics journal at this time: the batch merges before
    /// it commits.
    pub merge_at: Option<i64>,
}

impl Member {
    pub(super) const PLAIN: Member = Member {
        savepoint: true,
        merge_at: None,
    };
}

/// Upper bounds of the batch-size buckets of [`BatchSizes`] (the last is [`MAX_BATCH`]).
pub const BATCH_SIZE_BOUNDS: [usize; 7] = [1, 2, 4, 8, 16, 32, MAX_BATCH];

/// How the writer's batches went since start (for `/metrics`): how many members (submits,
/// merges, erasures) each committed batch held, and how many batches failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSizes {
    /// Committed batches per bucket of [`BATCH_SIZE_BOUNDS`] (not cumulative).
    pub buckets: [u64; BATCH_SIZE_BOUNDS.len()],
    /// Members of all committed batches.
    pub members: u64,
    /// Batches rolled back or whose COMMIT failed.
    pub failed: u64,
}

#[derive(Clone, Default)]
pub(super) struct GroupCommit {
    state: Arc<State>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

/// Decrements `waiting` however the wait for the mutex ends (acquired or cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a member's savepoint is kept (released into the batch) or rolled back.
pub(super) enum Keep<T> {
    Commit(T),
    RollBack(T),
}

impl GroupCommit {
    pub(super) fn sizes(&self) -> BatchSizes {
        let state = &self.state;
        BatchSizes {
            buckets: std::array::from_fn(|i| state.sizes[i].load(Ordering::Relaxed)),
            members: state.members.load(Ordering::Relaxed),
            failed: state.failed.load(Ordering::Relaxed),
        }
    }

    /// Installs the statistics' merge that batches run before they commit (see the module).
    /// The first one stays: it is the serving instance's (a later one, such as a test's second
    /// service on the same store, merges in rounds of its own as before).
    pub(super) fn set_merge(&self, merge: BatchMerge) {
        self.state.merge.get_or_init(|| merge);
    }

    pub(super) fn merge_use(&self) -> BatchMergeUse {
        let m = &self.state.merges;
        (
            m.ok.load(Ordering::Relaxed),
            m.failed.load(Ordering::Relaxed),
            m.micros.load(Ordering::Relaxed),
            m.merged.load(Ordering::Relaxed),
        )
    }

    /// Runs `work` in a savepoint of the open batch (opening one if needed) and returns its
    /// value once the batch has committed. `work` errors roll its savepoint back and are
    /// returned after the commit too, so what a failed member reads later is committed.
    pub(super) async fn run<T, F>(&self, store: &Store, work: F) -> Result<T, DbError>
    where
        F: AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
    {
        self.run_as(store, Member::PLAIN, work)
            .await
            .map(|(value, _)| value)
    }

    /// Runs one statement in the open batch, with its `arguments` (numbered from `$1` in
    /// `sql`), and returns the one row it must return, once the batch has committed; also
    /// whether the batch merged the whole statistics journal, as [`GroupCommit::run_as`] does.
    /// The statement runs with other members' statements in one command (see the module); any
    /// failure of it fails the batch, as a member without a savepoint's does. `merge_at`: the
    /// statement appends to the statistics journal at this time.
    pub(super) async fn run_statement(
        &self,
        store: &Store,
        sql: String,
        arguments: AnyArguments,
        merge_at: Option<i64>,
    ) -> Result<(AnyRow, bool), DbError> {
        let (reply, mut answer) = oneshot::channel();
        self.jobs().push(Job {
            sql,
            arguments,
            merge_at,
            reply,
        });
        // Either a leader runs the statement meanwhile, or this request gets the writer and
        // leads. Not counted in `waiting`: the leader takes every queued statement, and the
        // queue tells whether more are coming.
        let answered = {
            let lock = self.state.open.lock();
            tokio::pin!(lock);
            tokio::select! {
                biased;
                answered = &mut answer => answered,
                mut guard = &mut lock => {
                    self.lead(&mut guard, store).await;
                    drop(guard);
                    (&mut answer).await
                }
            }
        };
        let (row, mut receiver) = answered
            // The leader that took it went away: its batch is rolled back (see `commit_open`).
            .map_err(|_| DbError::CommitFailed {
                message: "the batch's leader went away; nothing of this request was stored".into(),
                unavailable: true,
            })??;
        let merged = committed(&mut receiver).await?;
        Ok((row, merged))
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        // The queue holds plain data, consistent after any panic.
        self.state.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the queued statements in the open batch (opening one if needed) and answers their
    /// members; commits the batch when it is full or nobody else is waiting for the writer.
    async fn lead(&self, guard: &mut MutexGuard<'_, Option<Batch>>, store: &Store) {
        loop {
            let room = guard
                .as_ref()
                .map_or(MAX_BATCH, |b| MAX_BATCH.saturating_sub(b.members));
            if room == 0 {
                commit_open(&self.state, guard, store).await;
                continue;
            }
            let jobs: Vec<Job> = {
                let mut queue = self.jobs();
                let take = room.min(queue.len());
                queue.drain(..take).collect()
            };
            // A member that went away is not run (nobody learns its outcome).
            let jobs: Vec<Job> = jobs.into_iter().filter(|j| !j.reply.is_closed()).collect();
            if jobs.is_empty() {
                break;
            }
            let batch = match self.open_batch(guard, store).await {
                Ok(batch) => batch,
                Err(e) => {
                    let failure = CommitFailure {
                        message: e.to_string(),
                        unavailable: e.is_unavailable(),
                    };
                    fail_jobs(jobs, &failure);
                    return;
                }
            };
            batch.running = true;
            let mut jobs = jobs.into_iter().peekable();
            while jobs.peek().is_some() {
                let left = jobs.len();
                // The largest power of two that fits (see MAX_STATEMENTS_PER_COMMAND).
                let size = MAX_STATEMENTS_PER_COMMAND.min(1 << left.ilog2());
                let chunk: Vec<Job> = jobs.by_ref().take(size).collect();
                match run_chunk(&mut batch.tx, chunk).await {
                    Ok(ran) => {
                        for (job, row) in ran {
                            batch.members += 1;
                            if let Some(at) = job.merge_at {
                                batch.merge_at =
                                    Some(batch.merge_at.map_or(at, |earlier| earlier.max(at)));
                            }
                            // A member gone meanwhile: its write commits with the batch.
                            let _ = job.reply.send(Ok((row, batch.done.subscribe())));
                        }
                    }
                    Err((e, chunk)) => {
                        let failure = CommitFailure {
                            message: e.to_string(),
                            unavailable: e.is_unavailable(),
                        };
                        fail_jobs(chunk.into_iter().chain(jobs), &failure);
                        batch.running = false;
                        abort_open(&self.state, guard, store, &e).await;
                        return;
                    }
                }
            }
            batch.running = false;
            if batch.members >= MAX_BATCH {
                commit_open(&self.state, guard, store).await;
            }
        }
        if guard.is_some()
            && self.state.waiting.load(Ordering::SeqCst) == 0
            && self.jobs().is_empty()
        {
            commit_open(&self.state, guard, store).await;
        }
    }

    /// The open batch, opened (with its flusher) if there is none.
    async fn open_batch<'g>(
        &self,
        guard: &'g mut MutexGuard<'_, Option<Batch>>,
        store: &Store,
    ) -> Result<&'g mut Batch, DbError> {
        if guard.is_none() {
            let tx = store.begin_write().await?;
            let (done, _) = watch::channel(None);
            let id = self.state.next_id.fetch_add(1, Ordering::SeqCst);
            **guard = Some(Batch {
                id,
                tx,
                members: 0,
                merge_at: None,
                done,
                running: false,
            });
            tokio::spawn(flush(self.state.clone(), store.clone(), id));
        }
        guard
            .as_mut()
            .ok_or_else(|| DbError::Corrupt("group commit lost its batch".into()))
    }

    /// [`GroupCommit::run`] as `how` says; also returns whether the batch merged the whole
    /// statistics journal (this member's changes included) before it committed.
    pub(super) async fn run_as<T, F>(
        &self,
        store: &Store,
        how: Member,
        work: F,
    ) -> Result<(T, bool), DbError>
    where
        F: AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
    {
        let mut guard = {
            self.state.waiting.fetch_add(1, Ordering::SeqCst);
            let _waiting = Waiting(&self.state.waiting);
            self.state.open.lock().await
        };
        let batch = self.open_batch(&mut guard, store).await?;
        let mut receiver = batch.done.subscribe();
        let ran = if how.savepoint {
            member(&mut batch.tx, work).await
        } else {
            plain_member(&mut batch.tx, work).await
        };
        let result = match ran {
            Ok(result) => result,
            Err(e) => {
                // The database refused a statement or a savepoint: SQLite may have rolled the
                // whole transaction back by itself (a full disk does), and what follows would
                // run outside any transaction. The batch ends here, and all its members fail.
                abort_open(&self.state, &mut guard, store, &e).await;
                return Err(e);
            }
        };
        batch.members += 1;
        if result.is_ok()
            && let Some(at) = how.merge_at
        {
            batch.merge_at = Some(batch.merge_at.map_or(at, |earlier| earlier.max(at)));
        }
        if batch.members >= MAX_BATCH
            || (self.state.waiting.load(Ordering::SeqCst) == 0 && self.jobs().is_empty())
        {
            commit_open(&self.state, &mut guard, store).await;
        }
        drop(guard);
        let merged = committed(&mut receiver).await?;
        result.map(|value| (value, merged))
    }
}

/// Waits for the COMMIT of the batch a member joined: whether the batch merged the whole
/// journal, or the commit's failure (which fails every member, whatever its own result).
async fn committed(receiver: &mut watch::Receiver<Outcome>) -> Result<bool, DbError> {
    let outcome = receiver
        .wait_for(Option::is_some)
        .await
        .map(|o| o.clone())
        .map_err(|_| DbError::Corrupt("group commit ended without an outcome".into()))?;
    match outcome {
        Some(Ok(merged)) => Ok(merged),
        None => Ok(false),
        Some(Err(failure)) => Err(DbError::CommitFailed {
            message: failure.message,
            unavailable: failure.unavailable,
        }),
    }
}

/// Runs `chunk`'s statements as one command: returns each job with its row, or the error with
/// the jobs (the batch cannot be trusted any more, as after any failed statement).
async fn run_chunk(
    tx: &mut Transaction<'static, Any>,
    chunk: Vec<Job>,
) -> Result<Vec<(Job, AnyRow)>, (DbError, Vec<Job>)> {
    let mut sql = String::with_capacity(chunk.iter().map(|j| j.sql.len() + 16).sum());
    let mut arguments = AnyArguments::default();
    arguments.reserve(chunk.iter().map(|j| j.arguments.len()).sum(), 0);
    let mut jobs = Vec::with_capacity(chunk.len());
    for mut job in chunk {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        renumber(&job.sql, arguments.len(), &mut sql);
        // The values move over as they are; binding them again would copy every string.
        arguments
            .values
            .0
            .append(&mut std::mem::take(&mut job.arguments).values.0);
        jobs.push(job);
    }
    let rows = match sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
        .fetch_all(&mut **tx)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return Err((e.into(), jobs)),
    };
    if rows.len() != jobs.len() {
        let e = DbError::Corrupt(format!(
            "{} queued statements returned {} rows",
            jobs.len(),
            rows.len()
        ));
        return Err((e, jobs));
    }
    Ok(jobs.into_iter().zip(rows).collect())
}

/// Appends `sql` with every parameter `$n` as `$(n + offset)`. Only for our own statements:
/// they have no `$` in string literals or names.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // A `$` without a number stays as it is.
        if let Ok(n) = rest[..digits].parse::<usize>() {
            out.push_str(&(n + offset).to_string());
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
}

/// Tells queued members their statements will not run.
fn fail_jobs(jobs: impl IntoIterator<Item = Job>, failure: &CommitFailure) {
    for job in jobs {
        let _ = job.reply.send(Err(DbError::CommitFailed {
            message: failure.message.clone(),
            unavailable: failure.unavailable,
        }));
    }
}

/// One member's savepoint: `Ok(Err(..))` is the member's own failure (its savepoint rolled
/// back, the batch goes on), `Err(..)` a database failure that ends the batch.
async fn member<T, F>(
    tx: &mut Transaction<'static, Any>,
    work: F,
) -> Result<Result<T, DbError>, DbError>
where
    F: AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
{
    let mut savepoint = tx.begin().await?;
    match work(&mut *savepoint).await {
        Ok(Keep::Commit(value)) => {
            savepoint.commit().await?;
            Ok(Ok(value))
        }
        Ok(Keep::RollBack(value)) => {
            savepoint.rollback().await?;
            Ok(Ok(value))
        }
        // Failures found by our own checks (a concurrent change, a statistics error) leave the
        // transaction intact: only this member's savepoint goes.
        Err(e @ (DbError::Conflict | DbError::Benchmark(_) | DbError::Corrupt(_))) => {
            savepoint.rollback().await?;
            Ok(Err(e))
        }
        Err(e) => {
            // Dropping the savepoint queues its rollback; the batch is rolled back anyway.
            drop(savepoint);
            Err(e)
        }
    }
}

/// A member without a savepoint: whatever it cannot keep ends the batch (see [`Member`]).
async fn plain_member<T, F>(
    tx: &mut Transaction<'static, Any>,
    work: F,
) -> Result<Result<T, DbError>, DbError>
where
    F: AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
{
    match work(&mut **tx).await? {
        Keep::Commit(value) => Ok(Ok(value)),
        Keep::RollBack(_) => Err(DbError::Corrupt(
            "a group-commit member without a savepoint asked to roll back".into(),
        )),
    }
}

/// Merges the journal inside the batch, in a savepoint: `Ok(true)` when it read all of it.
/// A failed merge is rolled back to its savepoint and leaves the journal to the next round;
/// `Err` only when even that failed (the transaction cannot be trusted any more).
async fn merge_in_batch(
    state: &State,
    tx: &mut Transaction<'static, Any>,
    apply: &MergeFn<'static>,
    now: i64,
) -> Result<bool, DbError> {
    let began = std::time::Instant::now();
    let mut savepoint = tx.begin().await?;
    let counts = &state.merges;
    let merged = match merge_in(&mut savepoint, MERGE_BATCH_IN_COMMIT, apply, now).await {
        Ok(read) => {
            savepoint.commit().await?;
            counts.ok.fetch_add(1, Ordering::Relaxed);
            counts.merged.fetch_add(read as u64, Ordering::Relaxed);
            read < MERGE_BATCH_IN_COMMIT
        }
        Err(e) => {
            tracing::warn!(error = %e, "merging in the batch failed; the next merge round retries");
            savepoint.rollback().await?;
            counts.failed.fetch_add(1, Ordering::Relaxed);
            false
        }
    };
    let micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
    counts.micros.fetch_add(micros, Ordering::Relaxed);
    Ok(merged)
}

/// Rolls the open batch back and fails its members with `cause`.
async fn abort_open(
    state: &State,
    guard: &mut MutexGuard<'_, Option<Batch>>,
    store: &Store,
    cause: &DbError,
) {
    let Some(batch) = guard.take() else {
        return;
    };
    state.failed.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = store.rollback(batch.tx).await {
        tracing::error!(error = %e, "rolling back a failed batch failed");
    }
    batch.done.send_replace(Some(Err(CommitFailure {
        message: cause.to_string(),
        unavailable: cause.is_unavailable(),
    })));
}

/// Commits the open batch (if any) and tells its members.
async fn commit_open(state: &State, guard: &mut MutexGuard<'_, Option<Batch>>, store: &Store) {
    // The merge runs while the batch is still in `guard`: should this future be dropped
    // meanwhile, the batch stays open (its merge savepoint rolled back) for its flusher.
    let merge = guard
        .as_ref()
        .and_then(|batch| batch.merge_at)
        .and_then(|now| state.merge.get().map(|apply| (apply, now)));
    let mut merged = false;
    if let Some((apply, now)) = merge
        && let Some(batch) = guard.as_mut()
    {
        match merge_in_batch(state, &mut batch.tx, &**apply, now).await {
            Ok(all) => merged = all,
            Err(e) => {
                abort_open(state, guard, store, &e).await;
                return;
            }
        }
    }
    if guard.as_ref().is_some_and(|b| b.running) {
        // A leader was dropped while its statements ran: some ran, and their members were not
        // told; none of them may commit unseen.
        let cause = DbError::Corrupt("a batch's leader went away while it ran".into());
        abort_open(state, guard, store, &cause).await;
        return;
    }
    let Some(batch) = guard.take() else {
        return;
    };
    let outcome = match store.commit(batch.tx).await {
        Ok(()) => {
            let bucket = BATCH_SIZE_BOUNDS
                .iter()
                .position(|&bound| batch.members <= bound)
                .unwrap_or(BATCH_SIZE_BOUNDS.len() - 1);
            state.sizes[bucket].fetch_add(1, Ordering::Relaxed);
            state
                .members
                .fetch_add(batch.members as u64, Ordering::Relaxed);
            Ok(merged)
        }
        Err(e) => {
            state.failed.fetch_add(1, Ordering::Relaxed);
            Err(CommitFailure {
                unavailable: e.is_unavailable(),
                message: e.to_string(),
            })
        }
    };
    batch.done.send_replace(Some(outcome));
}

/// The batch `id`'s safety net: commits it if it is still open when this task's turn comes.
async fn flush(state: Arc<State>, store: Store, id: u64) {
    let mut guard = state.open.lock().await;
    if guard.as_ref().is_some_and(|b| b.id == id) {
        commit_open(&state, &mut guard, &store).await;
    }
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn renumbering_moves_every_parameter_by_the_offset() {
        let mut out = String::from("SELECT $1;\n");
        renumber(
            "INSERT INTO t VALUES ($1, $2, $10); SELECT $2, '$'",
            20,
            &mut out,
        );
        assert_eq!(
            out,
            "SELECT $1;\nINSERT INTO t VALUES ($21, $22, $30); SELECT $22, '$'"
        );
        let mut same = String::new();
        renumber("VALUES ($3)", 0, &mut same);
        assert_eq!(same, "VALUES ($3)");
    }
}
