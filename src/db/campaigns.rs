//! Chambers' campaigns, the responses started through them, and their published snapshots.
//! Queries that read a campaign for a chamber are scoped by the chamber's id.
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::responses::{INSERT_RESPONSE, NewResponse, bind_new_response};
use super::{DbError, Store};

/// Which responses count in a campaign's statistics: the one condition for reading them and for
/// fingerprinting them (see [`Store::campaign_state`]), so the two cannot drift apart.
macro_rules! counted_in_campaign {
    () => {
        concat!("campaign_id = $1 AND ", counted!())
    };
}

/// The part of [`counted_in_campaign`] about the response itself.
macro_rules! counted {
    () => {
        "status = 'submitted' AND campaign_consent_version IS NOT NULL AND held_back = 0 AND discarded_at IS NULL"
    };
}

/// Counts one removal for the campaign of response `$1` if it is counted there now: run in the
/// transaction that takes it out, before the write (see [`Store::chamber_removals`]).
pub(super) const COUNT_REMOVAL: &str = concat!(
    "UPDATE campaigns SET removals = removals + 1
     WHERE id IN (SELECT campaign_id FROM responses WHERE id = $1 AND ",
    counted!(),
    ")"
);

/// A stored publication as read: its binary form or its older JSON form, version, catalogue
/// version.
type StoredPublicationRow = (Option<Vec<u8>>, Option<String>, i64, String);

/// See [`Store::campaign_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignState {
    pub publication_version: Option<i64>,
    /// Count, sum of ids and latest submit of the live participants.
    pub live: (i64, i64, i64),
    /// How many counted participants stopped counting, ever (see [`Store::chamber_removals`]):
    /// it only grows, so the same count means no firm left since.
    pub removals: i64,
}

/// Per campaign of a chamber (by id, ascending), how many of its counted participants ever
/// stopped counting (see [`Store::chamber_removals`]).
pub type CampaignRemovals = Vec<(i64, i64)>;

/// A chamber's dashboard for one filter as kept across restarts (task prev): the filter (its
/// JSON), the campaign ids it was computed over in order (`1,2`), the removal counts read
/// before its publications (`1:0,2:3`), its older-version count, the sum of its publications'
/// stored versions (`age`: a later one is never replaced by an earlier one) and its kept form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptView {
    pub filter: String,
    pub campaigns: String,
    pub removals: String,
    pub older: i64,
    pub age: i64,
    pub dashboard: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: i64,
    pub chamber_id: i64,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub region: Option<String>,
    pub code: String,
    pub created_at: i64,
}

pub struct NewCampaign<'a> {
    pub chamber_id: i64,
    pub name: &'a str,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub region: Option<&'a str>,
    pub code: &'a str,
    pub now: i64,
}

/// A submitted, consented campaign response: what the dashboard counts.
#[derive(Debug, Clone)]
pub struct CampaignResponseRow {
    pub response_id: i64,
    pub campaign_id: i64,
    pub submitted_at: i64,
    pub industry: String,
    pub size_class: String,
    pub region: String,
    pub result_json: String,
}

/// The campaign a response came through, and the owner's consent to be counted.
#[derive(Debug, Clone)]
pub struct ResponseCampaign {
    pub campaign_id: i64,
    pub chamber_id: i64,
    pub name: String,
    pub consent_version: Option<String>,
    pub consent_at: Option<i64>,
}

macro_rules! campaign_columns {
    () => {
        "id, chamber_id, name, starts_on, ends_on, region, code, created_at"
    };
}

// Reads map rows with sqlx's `FromRow` (`query_as`; a tuple for a few columns, in the order
// selected): one decoding per row type, and every read maps its errors alike (`DbError::Sqlx`).
impl FromRow<'_, AnyRow> for CampaignRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(CampaignRecord {
            id: row.try_get("id")?,
            chamber_id: row.try_get("chamber_id")?,
            name: row.try_get("name")?,
            starts_on: row.try_get("starts_on")?,
            ends_on: row.try_get("ends_on")?,
            region: row.try_get("region")?,
            code: row.try_get("code")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for ResponseCampaign {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ResponseCampaign {
            campaign_id: row.try_get("id")?,
            chamber_id: row.try_get("chamber_id")?,
            name: row.try_get("name")?,
            consent_version: row.try_get("campaign_consent_version")?,
            consent_at: row.try_get("campaign_consent_at")?,
        })
    }
}

impl Store {
    pub async fn insert_campaign(&self, new: &NewCampaign<'_>) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO campaigns (chamber_id, name, starts_on, ends_on, region, code, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.chamber_id)
        .bind(new.name)
        .bind(new.starts_on)
        .bind(new.ends_on)
        .bind(new.region)
        .bind(new.code)
        .bind(new.now)
        .fetch_one(&self.writer)
        .await?)
    }

    pub async fn campaigns(&self, chamber_id: i64) -> Result<Vec<CampaignRecord>, DbError> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns WHERE chamber_id = $1 ORDER BY starts_on DESC, id DESC"
        ))
        .bind(chamber_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Every chamber with a stored publication of one of its campaigns (so it has looked at
    /// its dashboard before, on some instance), ascending.
    pub async fn chambers_with_publications(&self) -> Result<Vec<i64>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT c.chamber_id FROM campaigns c
             JOIN campaign_publications p ON p.campaign_id = c.id
             ORDER BY c.chamber_id",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// Every chamber with counted participants in a campaign of which no campaign has a stored
    /// publication (it never looked at its dashboard, on any instance), ascending: their first
    /// views are prepared at start (task first17, `Campaigns::warm_at_start`).
    pub async fn chambers_never_looked(&self) -> Result<Vec<i64>, DbError> {
        let rows = sqlx::query(concat!(
            "SELECT DISTINCT c.chamber_id FROM campaigns c
             WHERE EXISTS (SELECT 1 FROM responses WHERE campaign_id = c.id AND ",
            counted!(),
            ")
             AND NOT EXISTS (SELECT 1 FROM campaign_publications p
                             JOIN campaigns o ON o.id = p.campaign_id
                             WHERE o.chamber_id = c.chamber_id)
             ORDER BY c.chamber_id"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// The chamber's publication counter: the epoch its last saved publication drew (0: none
    /// yet; see [`Store::save_campaign_publication`]). A first view prepared ahead of time
    /// (task first17) foresees from it the epochs its saves will draw.
    pub async fn chamber_publication_epoch(&self, chamber_id: i64) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT epoch FROM chamber_publication_epochs WHERE chamber_id = $1")
            .bind(chamber_id)
            .fetch_optional(&self.writer)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    pub async fn campaign(
        &self,
        chamber_id: i64,
        campaign_id: i64,
    ) -> Result<Option<CampaignRecord>, DbError> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            campaign_columns!(),
            " FROM campaigns WHERE id = $1 AND chamber_id = $2"
        ))
        .bind(campaign_id)
        .bind(chamber_id)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// A campaign by its public code, if its chamber's account is active.
    pub async fn campaign_by_code(&self, code: &str) -> Result<Option<CampaignRecord>, DbError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.chamber_id, c.name, c.starts_on, c.ends_on, c.region, c.code,
                    c.created_at
             FROM campaigns c JOIN users u ON u.id = c.chamber_id
             WHERE c.code = $1 AND u.disabled = 0",
        )
        .bind(code)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Starts a response through a campaign link; `consent` is the version of the consent to be
    /// counted in the chamber's statistics, or None.
    pub async fn start_campaign_response(
        &self,
        campaign_id: i64,
        new: &NewResponse<'_>,
        consent: Option<&str>,
    ) -> Result<i64, DbError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = bind_new_response(sqlx::query(INSERT_RESPONSE), new)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        sqlx::query(
            "UPDATE responses SET campaign_id = $2, campaign_consent_version = $3,
                 campaign_consent_at = $4
             WHERE id = $1",
        )
        .bind(id)
        .bind(campaign_id)
        .bind(consent)
        .bind(consent.map(|_| new.now))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// The submitted responses of a campaign whose owners agreed to be counted.
    pub async fn campaign_responses(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<CampaignResponseRow>, DbError> {
        let mut rows = Vec::new();
        self.each_campaign_response(campaign_id, |row| {
            rows.push(row);
            Ok::<_, DbError>(())
        })
        .await?;
        Ok(rows)
    }

    /// Hands each counted response of a campaign to `each`, one at a time, as the rows arrive:
    /// a caller that keeps only a small summary of each never holds every stored result at
    /// once (issue 17: 50,000 result documents read with `fetch_all` were most of a
    /// dashboard's peak memory).
    pub async fn each_campaign_response<E: From<DbError>>(
        &self,
        campaign_id: i64,
        mut each: impl FnMut(CampaignResponseRow) -> Result<(), E>,
    ) -> Result<(), E> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(concat!(
            "SELECT id, campaign_id, submitted_at, industry, size_class, region, result_json
             FROM responses WHERE ",
            counted_in_campaign!(),
            " ORDER BY id"
        ))
        .bind(campaign_id)
        .fetch(&self.reader);
        while let Some(r) = rows.try_next().await.map_err(DbError::from)? {
            each(campaign_response_row(&r)?)?;
        }
        Ok(())
    }

    /// Per campaign of a chamber (by id, ascending), how many counted participants stopped
    /// counting since the campaign began. Every write that can take a counted participant out
    /// (today only the erasure, [`Store::delete_response`]; `writes_to_what_a_campaign_counts_
    /// are_reviewed` lists every write to what a campaign counts) bumps it in its own
    /// transaction ([`COUNT_REMOVAL`]). The count only grows: a dashboard computed from
    /// publications read after a count was read holds no firm that stopped counting while the
    /// count stays the same (issue 17; it replaces reading every participant id per view).
    /// Every save of a publication compares it too (task erase,
    /// [`Store::save_campaign_publication`]).
    pub async fn chamber_removals(&self, chamber_id: i64) -> Result<CampaignRemovals, DbError> {
        Ok(
            sqlx::query_as("SELECT id, removals FROM campaigns WHERE chamber_id = $1 ORDER BY id")
                .bind(chamber_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// What a campaign's dashboard depends on, read without reading its participants: the
    /// stored publication's version and a fingerprint of the live participants (how many, the
    /// sum of their ids, the latest submit) with the count of participants that stopped
    /// counting. A submit, an erasure or a withdrawn consent changes it; while it stays the
    /// same, the publication needs no refresh (issue 17).
    pub async fn campaign_state(&self, campaign_id: i64) -> Result<CampaignState, DbError> {
        let (publication_version, count, sum, latest, removals) = sqlx::query_as(concat!(
            "SELECT (SELECT version FROM campaign_publications WHERE campaign_id = $1),
                    CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(id), 0) AS BIGINT),
                    CAST(COALESCE(MAX(submitted_at), 0) AS BIGINT),
                    CAST(COALESCE((SELECT removals FROM campaigns WHERE id = $1), 0) AS BIGINT)
             FROM responses WHERE ",
            counted_in_campaign!()
        ))
        .bind(campaign_id)
        .fetch_one(&self.reader)
        .await?;
        Ok(CampaignState {
            publication_version,
            live: (count, sum, latest),
            removals,
        })
    }

    /// The stored publication of a campaign with its version.
    pub async fn campaign_publication(
        &self,
        campaign_id: i64,
    ) -> Result<Option<(Vec<u8>, i64)>, DbError> {
        Ok(self
            .campaign_publication_of_version(campaign_id)
            .await?
            .map(|(stored, version, _)| (stored, version)))
    }

    /// The stored publication of a campaign (its stored form, see
    /// `dashboard::CampaignPublication::decode`), its version and the catalogue version whose
    /// responses it counts.
    // On the reader: the publication is written back only if its version is still the one read
    // (`save_campaign_publication`, `SnapshotChange::expected_version`), so a read that is
    // overtaken ends in a conflict and a re-read, never in a lost update.
    pub async fn campaign_publication_of_version(
        &self,
        campaign_id: i64,
    ) -> Result<Option<(Vec<u8>, i64, String)>, DbError> {
        let row: Option<StoredPublicationRow> = sqlx::query_as(
            "SELECT publication, publication_json, version, catalogue_version
             FROM campaign_publications WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(binary, json, version, catalogue)| {
            (stored_publication(binary, json), version, catalogue)
        }))
    }

    /// The campaign's removal count (see [`Store::chamber_removals`]) with the version of its
    /// stored publication and the catalogue version it counts, without the publication itself:
    /// a caller that holds that version parsed already need not read (and parse) the whole
    /// snapshot again (issue 17). A refresh reads it before the participants and hands the
    /// count to [`Store::save_campaign_publication`] (task erase).
    // On the reader: see `campaign_publication_of_version`.
    pub async fn campaign_publication_version(
        &self,
        campaign_id: i64,
    ) -> Result<(i64, Option<(i64, String)>), DbError> {
        let row: Option<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT c.removals, p.version, p.catalogue_version FROM campaigns c
             LEFT JOIN campaign_publications p ON p.campaign_id = c.id WHERE c.id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(match row {
            Some((removals, Some(version), Some(catalogue))) => {
                (removals, Some((version, catalogue)))
            }
            Some((removals, ..)) => (removals, None),
            None => (0, None),
        })
    }

    /// Saves a new publication of a campaign if nobody else wrote one since `expected_version`
    /// was read (None: there was none); false when another instance was first (the caller
    /// re-reads). In the same transaction it draws the next epoch of the campaign's chamber and
    /// hands it to `publish`, which returns the publication in its stored form with that epoch.
    ///
    /// Why one transaction (issue 14): the dashboard's rule over time runs over the order of a
    /// chamber's publications. The counter row stays locked until the transaction ends
    /// (PostgreSQL row lock; SQLite has one writer), so two campaigns publishing at once get
    /// distinct epochs, an epoch is committed only with its publication, and a publication with
    /// a later epoch commits after every one with an earlier epoch: the order readers can see.
    ///
    /// `removals`: the campaign's removal count read *before* the participants the
    /// publication was made from (`campaign_state`, `campaign_publication_version`). The save
    /// is refused (false, the caller re-reads) when it moved, so an erasure is never lost
    /// (task erase): an erasure edits only a publication stored when it reads, and a refresh
    /// that read its participants before the erasure would otherwise store one that still
    /// holds the erased firm (a first publication, or one whose stored version the erasure
    /// left alone because the firm was not in it). The first statement locks the campaign's
    /// row and compares the count; the erasure bumps that row ([`COUNT_REMOVAL`]) and, in
    /// later statements, checks or rewrites the stored publication (`delete_response`). So:
    /// - PostgreSQL (READ COMMITTED). Save first: the erasure's bump waits for the row lock
    ///   until the save commits; its later statement then sees the saved publication (a new
    ///   version, or one where it read none): it conflicts and re-reads, and erases the firm
    ///   from the saved one. Erasure first: the save's `UPDATE` waits for the erasure to
    ///   commit, re-evaluates its `WHERE` on the bumped row, matches nothing: refused.
    /// - SQLite: one writer at a time, each write transaction on the latest data (WAL), so
    ///   whichever commits second sees the other's commit in full, with the same outcomes.
    ///
    /// Costs one statement more in the transaction (no extra transaction): SQLite cannot run a
    /// write inside the epoch statement, and a PostgreSQL read there would take no lock.
    /// Measured (task erase, `dashboard_bench.py --sizes 5000`, release, SQLite, 13 rounds
    /// alternating with the binary before, load 4.6–8.3): first page median 186 → 197 ms
    /// (spread 111–552 ms on both: the load's noise), first page after 10 joined 4 → 4 ms.
    pub async fn save_campaign_publication<E: From<DbError>>(
        &self,
        campaign_id: i64,
        catalogue_version: &str,
        expected_version: Option<i64>,
        removals: i64,
        publish: impl FnOnce(u64) -> Result<Vec<u8>, E>,
    ) -> Result<bool, E> {
        self.faults.publication_write()?;
        let mut tx = self.begin_write().await.map_err(DbError::from)?;
        // Before the epoch is drawn: the campaign row, then the counter, as every save.
        let unmoved =
            sqlx::query("UPDATE campaigns SET removals = removals WHERE id = $1 AND removals = $2")
                .bind(campaign_id)
                .bind(removals)
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?
                .rows_affected();
        if unmoved != 1 {
            self.rollback(tx).await?;
            return Ok(false);
        }
        let epoch: i64 = sqlx::query_scalar(
            "INSERT INTO chamber_publication_epochs (chamber_id, epoch)
             SELECT chamber_id, 1 FROM campaigns WHERE id = $1
             ON CONFLICT (chamber_id)
             DO UPDATE SET epoch = chamber_publication_epochs.epoch + 1
             RETURNING epoch",
        )
        .bind(campaign_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let epoch = u64::try_from(epoch)
            .map_err(|_| DbError::Corrupt(format!("publication epoch {epoch}")))?;
        let stored = match publish(epoch) {
            Ok(stored) => stored,
            Err(e) => {
                self.rollback(tx).await?;
                return Err(e);
            }
        };
        let written = match expected_version {
            Some(version) => sqlx::query(
                "UPDATE campaign_publications SET publication = $2, publication_json = NULL,
                     version = version + 1, catalogue_version = $4
                 WHERE campaign_id = $1 AND version = $3",
            )
            .bind(campaign_id)
            .bind(stored.as_slice())
            .bind(version)
            .bind(catalogue_version)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?
            .rows_affected(),
            None => sqlx::query(
                "INSERT INTO campaign_publications
                     (campaign_id, publication, version, catalogue_version)
                 VALUES ($1, $2, 1, $3) ON CONFLICT (campaign_id) DO NOTHING",
            )
            .bind(campaign_id)
            .bind(stored.as_slice())
            .bind(catalogue_version)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?
            .rows_affected(),
        };
        if written == 1 {
            self.commit(tx).await?;
            Ok(true)
        } else {
            // The epoch is not used: the counter goes back with the rollback.
            self.rollback(tx).await?;
            Ok(false)
        }
    }

    /// The stored version of every publication of a chamber's campaigns, read in one statement
    /// (so at one moment): the dashboard checks that the publications it computed from are
    /// still these, i.e. form a state readers could see (see `Campaigns::dashboard`).
    pub async fn chamber_publication_versions(
        &self,
        chamber_id: i64,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT p.campaign_id, p.version FROM campaign_publications p
             JOIN campaigns c ON c.id = p.campaign_id
             WHERE c.chamber_id = $1 ORDER BY p.campaign_id",
        )
        .bind(chamber_id)
        .fetch_all(&self.writer)
        .await?)
    }

    /// Every set the dashboard audit kept for a chamber so far (see `dashboard_history`): its
    /// candidate key and per-campaign ends, as recorded, with the chamber's history version.
    ///
    /// The version is read first, then the sets (task race14): a record committed between the
    /// two reads adds sets beyond that version, so the audit knows more than the version says
    /// and its own record is refused (the version moved), never the other way round (sets
    /// read before a version that already counts later ones).
    pub async fn dashboard_history(
        &self,
        chamber_id: i64,
    ) -> Result<(i64, Vec<(String, String)>), DbError> {
        let version = sqlx::query_scalar(
            "SELECT version FROM dashboard_history_versions WHERE chamber_id = $1",
        )
        .bind(chamber_id)
        .fetch_optional(&self.writer)
        .await?
        .unwrap_or(0);
        let sets = sqlx::query_as(
            "SELECT set_key, ends FROM dashboard_history WHERE chamber_id = $1
             ORDER BY set_key, ends",
        )
        .bind(chamber_id)
        .fetch_all(&self.writer)
        .await?;
        Ok((version, sets))
    }

    /// Records sets the dashboard audit kept at the state `epoch` of a chamber's publications,
    /// before any figure of that state is served; a set recorded already (by this or another
    /// instance) is left as it is. One transaction: all or nothing.
    ///
    /// `known_version`: the history version the audit read (`dashboard_history`). The record
    /// is accepted only if the chamber's version is still that one, and bumps it, in the same
    /// transaction (a compare-and-set: the PostgreSQL row lock makes a concurrent record wait
    /// and then find the version moved; SQLite has one writer): false when another instance
    /// recorded since the read, nothing written, and the caller audits again knowing it (see
    /// the `dashboard` notes, "Across instances"). `None` (the audit did not know the history):
    /// recorded and bumped unconditionally.
    pub async fn record_dashboard_history(
        &self,
        chamber_id: i64,
        known_version: Option<i64>,
        epoch: i64,
        sets: &[(String, String)],
    ) -> Result<bool, DbError> {
        if sets.is_empty() {
            return Ok(true);
        }
        let mut tx = self.begin_write().await?;
        let bump = match known_version {
            Some(0) => sqlx::query(
                "INSERT INTO dashboard_history_versions (chamber_id, version) VALUES ($1, 1)
                 ON CONFLICT (chamber_id) DO NOTHING",
            )
            .bind(chamber_id),
            Some(version) => sqlx::query(
                "UPDATE dashboard_history_versions SET version = version + 1
                 WHERE chamber_id = $1 AND version = $2",
            )
            .bind(chamber_id)
            .bind(version),
            None => sqlx::query(
                "INSERT INTO dashboard_history_versions (chamber_id, version) VALUES ($1, 1)
                 ON CONFLICT (chamber_id)
                 DO UPDATE SET version = dashboard_history_versions.version + 1",
            )
            .bind(chamber_id),
        };
        if bump.execute(&mut *tx).await?.rows_affected() != 1 {
            self.rollback(tx).await?;
            return Ok(false);
        }
        for (set_key, ends) in sets {
            sqlx::query(
                "INSERT INTO dashboard_history (chamber_id, set_key, ends, epoch, known_version)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chamber_id, set_key, ends) DO NOTHING",
            )
            .bind(chamber_id)
            .bind(set_key.as_str())
            .bind(ends.as_str())
            .bind(epoch)
            .bind(known_version)
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(true)
    }

    /// The chamber's prepared dashboard work kept by an earlier run if it was made from
    /// exactly `inputs` (task start, see `Campaigns::computed`); `None` otherwise.
    pub async fn kept_dashboard_work(
        &self,
        chamber_id: i64,
        inputs: &str,
    ) -> Result<Option<Vec<u8>>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT work FROM dashboard_kept_work WHERE chamber_id = $1 AND inputs = $2",
        )
        .bind(chamber_id)
        .bind(inputs)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Keeps the chamber's prepared dashboard work made from `inputs`, in place of what was
    /// kept (one row per chamber: the latest state is the one a restart meets). Instances
    /// may overwrite each other: each row is valid for its own inputs.
    pub async fn keep_dashboard_work(
        &self,
        chamber_id: i64,
        inputs: &str,
        work: &[u8],
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dashboard_kept_work (chamber_id, inputs, work) VALUES ($1, $2, $3)
             ON CONFLICT (chamber_id) DO UPDATE SET inputs = excluded.inputs, work = excluded.work",
        )
        .bind(chamber_id)
        .bind(inputs)
        .bind(work)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The state of a campaign for which an earlier run found its stored publication current,
    /// under exactly `inputs`, with its older-version counts as text (task start, see
    /// `Campaigns::checked_publication`).
    pub async fn checked_campaign_state(
        &self,
        campaign_id: i64,
        inputs: &str,
    ) -> Result<Option<(CampaignState, String)>, DbError> {
        let row: Option<(i64, i64, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT version, live_count, live_sum, live_latest, removals, older
             FROM campaign_checked_states WHERE campaign_id = $1 AND inputs = $2",
        )
        .bind(campaign_id)
        .bind(inputs)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(version, count, sum, latest, removals, older)| {
            (
                CampaignState {
                    publication_version: Some(version),
                    live: (count, sum, latest),
                    removals,
                },
                older,
            )
        }))
    }

    /// Keeps that the campaign's stored publication is current for `state` (whose
    /// publication version it must name), in place of the state kept before.
    pub async fn keep_checked_campaign_state(
        &self,
        campaign_id: i64,
        inputs: &str,
        state: &CampaignState,
        older: &str,
    ) -> Result<(), DbError> {
        let Some(version) = state.publication_version else {
            return Ok(());
        };
        let (count, sum, latest) = state.live;
        sqlx::query(
            "INSERT INTO campaign_checked_states
                 (campaign_id, inputs, version, live_count, live_sum, live_latest, removals, older)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (campaign_id) DO UPDATE SET inputs = excluded.inputs,
                 version = excluded.version, live_count = excluded.live_count,
                 live_sum = excluded.live_sum, live_latest = excluded.live_latest,
                 removals = excluded.removals, older = excluded.older",
        )
        .bind(campaign_id)
        .bind(inputs)
        .bind(version)
        .bind(count)
        .bind(sum)
        .bind(latest)
        .bind(state.removals)
        .bind(older)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The chamber's dashboards kept by an earlier run under exactly `inputs` (task prev, see
    /// `Campaigns::keep_view`), one per filter.
    pub async fn kept_dashboard_views(
        &self,
        chamber_id: i64,
        inputs: &str,
    ) -> Result<Vec<KeptView>, DbError> {
        let rows: Vec<(String, String, String, i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT filter, campaigns, removals, older, age, dashboard FROM dashboard_kept_views
             WHERE chamber_id = $1 AND inputs = $2",
        )
        .bind(chamber_id)
        .bind(inputs)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(filter, campaigns, removals, older, age, dashboard)| KeptView {
                    filter,
                    campaigns,
                    removals,
                    older,
                    age,
                    dashboard,
                },
            )
            .collect())
    }

    /// Keeps a chamber's dashboard for one filter, in place of the one kept before unless that
    /// one was made from newer publications (`age`) of the same campaigns (a deleted campaign
    /// lowers the sum); each row is valid for its own inputs, campaigns and removals.
    pub async fn keep_dashboard_view(
        &self,
        chamber_id: i64,
        inputs: &str,
        view: &KeptView,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dashboard_kept_views
                     (chamber_id, filter, inputs, campaigns, removals, older, age, dashboard)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (chamber_id, filter) DO UPDATE SET inputs = excluded.inputs,
                 campaigns = excluded.campaigns, removals = excluded.removals,
                 older = excluded.older, age = excluded.age, dashboard = excluded.dashboard
             WHERE dashboard_kept_views.age <= excluded.age
                 OR dashboard_kept_views.campaigns <> excluded.campaigns",
        )
        .bind(chamber_id)
        .bind(&view.filter)
        .bind(inputs)
        .bind(&view.campaigns)
        .bind(&view.removals)
        .bind(view.older)
        .bind(view.age)
        .bind(&view.dashboard)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The campaign a response belongs to and the consent to count it, for the owner's export.
    pub async fn response_campaign(
        &self,
        response_id: i64,
    ) -> Result<Option<ResponseCampaign>, DbError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.name, r.campaign_consent_version, r.campaign_consent_at, c.chamber_id
             FROM responses r JOIN campaigns c ON c.id = r.campaign_id WHERE r.id = $1",
        )
        .bind(response_id)
        .fetch_optional(&self.reader)
        .await?)
    }
}

/// A publication is in `publication` (binary), or still in `publication_json` if nothing was
/// written since the migration `binary_campaign_publications`; the JSON text is one more stored
/// form (its first byte `{` says so), so the domain reads either alike.
fn stored_publication(binary: Option<Vec<u8>>, json: Option<String>) -> Vec<u8> {
    binary.unwrap_or_else(|| json.map(String::into_bytes).unwrap_or_default())
}

fn campaign_response_row(r: &AnyRow) -> Result<CampaignResponseRow, DbError> {
    let text = |name: &str| -> Result<String, DbError> {
        r.try_get::<Option<String>, _>(name)?
            .ok_or_else(|| DbError::Corrupt(format!("a submitted response has no {name}")))
    };
    Ok(CampaignResponseRow {
        response_id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        submitted_at: r.try_get::<Option<i64>, _>("submitted_at")?.unwrap_or(0),
        industry: text("industry")?,
        size_class: text("size_class")?,
        region: text("region")?,
        result_json: text("result_json")?,
    })
}

#[cfg(test)]
mod tests {
    /// What a campaign counts of a response: a write to one of these (or a deletion) could
    /// take a counted participant out of a campaign's figures.
    const COUNTED_COLUMNS: [&str; 11] = [
        "campaign_id",
        "status",
        "campaign_consent_version",
        "held_back",
        "discarded_at",
        "submitted_at",
        "industry",
        "size_class",
        "region",
        "result_json",
        "catalogue_version",
    ];

    /// Every statement in `src/db` that deletes responses or writes what a campaign counts,
    /// (file, the statement's string literal, whitespace collapsed), with why it does or does not
    /// bump `campaigns.removals` ([`super::COUNT_REMOVAL`]).
    const REVIEWED: [(&str, &str, &str); 6] = [
        (
            "workspace.rs",
            "DELETE FROM responses WHERE id = $1",
            "the erasure: bumps (COUNT_REMOVAL in the same transaction, just before)",
        ),
        (
            "campaigns.rs",
            "UPDATE responses SET campaign_id = $2, campaign_consent_version = $3, campaign_consent_at = $4 WHERE id = $1",
            "a response just started: never counted yet",
        ),
        (
            "responses.rs",
            "UPDATE responses SET status = 'submitted', submitted_at = $2, updated_at = $2, industry = $3, size_class = $4, region = $5, overall_score = $6, overall_level = $7, result_json = $8, dimension_scores = $9, red_flags = $10, answer_vector = $11, hold_reason = $12, api_key_id = $13, held_back = $14, in_statistics = 1 - $14 WHERE id = $1 AND status = 'in_progress'",
            "the submit, only of a response in progress: adds, never removes",
        ),
        (
            "responses.rs",
            "UPDATE responses SET catalogue_version = $2, updated_at = $3 WHERE id = $1 AND status = 'in_progress' AND catalogue_version <> $2 RETURNING answers",
            "only a response in progress: not counted",
        ),
        (
            "screening.rs",
            "UPDATE responses SET held_back = 0, in_statistics = 1 WHERE id = $1 AND held_back = 1 AND status = 'submitted'",
            "a release of a held response: adds, never removes",
        ),
        (
            "screening.rs",
            "UPDATE responses SET held_back = 0, discarded_at = $5 WHERE",
            "a discard of held responses (`held_in_group!`: held_back = 1): not counted",
        ),
    ];

    /// Issue 17: a view during the warm-up trusts `campaigns.removals` to have moved whenever a
    /// counted firm left. So every write that could make one leave is reviewed here: a new
    /// one (or a changed one) fails until it bumps the count where it can remove a counted
    /// participant, and is listed with the reason.
    #[test]
    fn writes_to_what_a_campaign_counts_are_reviewed() {
        let sources = [
            ("accounts.rs", include_str!("accounts.rs")),
            ("benchmarks.rs", include_str!("benchmarks.rs")),
            ("brand.rs", include_str!("brand.rs")),
            ("campaigns.rs", include_str!("campaigns.rs")),
            ("demo.rs", include_str!("demo.rs")),
            ("group_commit.rs", include_str!("group_commit.rs")),
            ("mod.rs", include_str!("mod.rs")),
            ("profiles.rs", include_str!("profiles.rs")),
            ("responses.rs", include_str!("responses.rs")),
            ("screening.rs", include_str!("screening.rs")),
            ("workspace.rs", include_str!("workspace.rs")),
        ];
        let listed = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/db"))
            .expect("src/db")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "rs"))
            })
            .count();
        // Every file but `faults.rs` and `migrations.rs` (no statements on responses).
        assert_eq!(
            listed,
            sources.len() + 2,
            "a new file in src/db: add it to the sources"
        );
        let mut found = Vec::new();
        for (file, text) in sources {
            // The statements of the test's own list are not statements.
            let text = text.split("#[cfg(test)]").next().unwrap_or(text);
            for start in ["DELETE FROM responses", "UPDATE responses"] {
                for (at, _) in text.match_indices(start) {
                    let rest = &text[at..];
                    let end = rest.find('"').unwrap_or(rest.len());
                    let statement = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
                    let set = statement.split(" WHERE").next().unwrap_or_default();
                    let writes_counted = start.starts_with("DELETE")
                        || COUNTED_COLUMNS
                            .iter()
                            .any(|c| set.contains(&format!(" {c} =")));
                    if writes_counted {
                        found.push((file, statement));
                    }
                }
            }
        }
        let mut reviewed: Vec<(&str, String)> = REVIEWED
            .iter()
            .map(|(file, statement, _)| (*file, (*statement).to_owned()))
            .collect();
        found.sort();
        reviewed.sort();
        assert_eq!(
            found, reviewed,
            "a write to what a campaign counts is new or changed: if it can take a counted \
             participant out, run COUNT_REMOVAL in its transaction first; then list it in REVIEWED"
        );
    }
}
