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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sqlx::{Any, AnyConnection, Connection, Transaction};
use tokio::sync::{Mutex, MutexGuard, watch};

use super::{DbError, Store};

/// A batch commits at this many members even if more are waiting, so that one batch does not
/// hold the writer (and the answers of its first members) for too long.
const MAX_BATCH: usize = 64;

/// What a member learns about its batch's COMMIT: `None` while it is open.
type Outcome = Option<Result<(), CommitFailure>>;

#[derive(Debug, Clone)]
struct CommitFailure {
    message: String,
    unavailable: bool,
}

struct Batch {
    id: u64,
    tx: Transaction<'static, Any>,
    members: usize,
    done: watch::Sender<Outcome>,
}

#[derive(Default)]
struct State {
    open: Mutex<Option<Batch>>,
    /// Requests queued on `open` (a hint: the last of a burst commits without a task hop).
    waiting: AtomicUsize,
    next_id: AtomicU64,
    /// Committed batches per size bucket ([`BATCH_SIZE_BOUNDS`]), and their members in all.
    sizes: [AtomicU64; BATCH_SIZE_BOUNDS.len()],
    members: AtomicU64,
    failed: AtomicU64,
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

    /// Runs `work` in a savepoint of the open batch (opening one if needed) and returns its
    /// value once the batch has committed. `work` errors roll its savepoint back and are
    /// returned after the commit too, so what a failed member reads later is committed.
    pub(super) async fn run<T, F>(&self, store: &Store, work: F) -> Result<T, DbError>
    where
        F: AsyncFnOnce(&mut AnyConnection) -> Result<Keep<T>, DbError>,
    {
        let mut guard = {
            self.state.waiting.fetch_add(1, Ordering::SeqCst);
            let _waiting = Waiting(&self.state.waiting);
            self.state.open.lock().await
        };
        if guard.is_none() {
            let tx = store.writer.begin().await?;
            let (done, _) = watch::channel(None);
            let id = self.state.next_id.fetch_add(1, Ordering::SeqCst);
            *guard = Some(Batch {
                id,
                tx,
                members: 0,
                done,
            });
            tokio::spawn(flush(self.state.clone(), store.clone(), id));
        }
        let Some(batch) = guard.as_mut() else {
            return Err(DbError::Corrupt("group commit lost its batch".into()));
        };
        let mut receiver = batch.done.subscribe();
        let result = match member(&mut batch.tx, work).await {
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
        if batch.members >= MAX_BATCH || self.state.waiting.load(Ordering::SeqCst) == 0 {
            commit_open(&self.state, &mut guard, store).await;
        }
        drop(guard);
        let outcome = receiver
            .wait_for(Option::is_some)
            .await
            .map(|o| o.clone())
            .map_err(|_| DbError::Corrupt("group commit ended without an outcome".into()))?;
        match outcome {
            Some(Ok(())) | None => result,
            Some(Err(failure)) => Err(DbError::CommitFailed {
                message: failure.message,
                unavailable: failure.unavailable,
            }),
        }
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
            Ok(())
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
