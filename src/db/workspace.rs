//! A consultant's clients and their invitations. Every query that reads a client is scoped by
//! the consultant's id, so another tenant's id simply finds nothing.
use sqlx::Row;
use sqlx::any::AnyRow;

use super::benchmarks::{CohortChange, journal_change};
use super::responses::{INSERT_RESPONSE, NewResponse, bind_new_response};
use super::{DbError, Store};

#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub id: i64,
    pub firm_name: String,
    pub contact: Option<String>,
    pub created_at: i64,
}

/// An invitation with what its response may show (the service decides what to reveal).
#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: i64,
    pub client_id: i64,
    pub code: String,
    pub status: String,
    pub created_at: i64,
    pub changed_at: i64,
    pub share_consent_version: Option<String>,
    pub share_consent_at: Option<i64>,
    /// When the owner withdrew the sharing (the result stays theirs).
    pub share_withdrawn_at: Option<i64>,
    pub response: Option<InvitedResponse>,
}

#[derive(Debug, Clone)]
pub struct InvitedResponse {
    pub id: i64,
    pub submitted: bool,
    pub submitted_at: Option<i64>,
    pub overall_score: Option<i64>,
    pub overall_level: Option<i64>,
    pub red_flags: Option<String>,
    pub result_json: Option<String>,
    pub benchmark_json: Option<String>,
}

/// What the landing page of an invitation link shows.
#[derive(Debug, Clone)]
pub struct InvitationLanding {
    pub id: i64,
    pub status: String,
    pub firm_name: String,
    pub consultant_email: String,
    /// The consultant's profile, when they wrote one.
    pub consultant_profile: Option<super::ProfileRecord>,
    /// The consultant's account (for their brand).
    pub consultant_id: i64,
}

/// The invitation a response was started through, as its owner sees it.
#[derive(Debug, Clone)]
pub struct ResponseSharing {
    pub consultant_email: String,
    /// The consultant's profile, when they wrote one.
    pub consultant_profile: Option<super::ProfileRecord>,
    pub client_firm_name: String,
    pub status: String,
    pub share_consent_version: Option<String>,
    pub share_consent_at: Option<i64>,
    pub client_id: i64,
    pub share_withdrawn_at: Option<i64>,
    /// The consultant's account (for their brand).
    pub consultant_id: i64,
}

/// A profile joined at columns `at`, `at + 1`, `at + 2` (name, firm, contact); none without a name.
fn profile_at(row: &AnyRow, at: usize) -> Result<Option<super::ProfileRecord>, DbError> {
    let name: Option<String> = row.try_get(at)?;
    Ok(match name {
        Some(name) => Some(super::ProfileRecord {
            name,
            firm: row.try_get(at + 1)?,
            contact: row.try_get(at + 2)?,
        }),
        None => None,
    })
}

fn client(row: &AnyRow) -> Result<ClientRecord, DbError> {
    Ok(ClientRecord {
        id: row.try_get("id")?,
        firm_name: row.try_get("firm_name")?,
        contact: row.try_get("contact")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The select of [`InvitationRecord`], pasted into queries at compile time.
macro_rules! invitation_select {
    () => {
        "SELECT i.id, i.client_id, i.code, i.status, i.created_at,
        i.changed_at, i.share_consent_version, i.share_consent_at, i.share_withdrawn_at,
        r.id AS r_id, r.status AS r_status, r.submitted_at, r.overall_score, r.overall_level,
        r.red_flags, r.result_json, r.benchmark_json
    FROM invitations i
    JOIN clients c ON c.id = i.client_id
    LEFT JOIN responses r ON r.id = i.response_id"
    };
}

fn invitation(row: &AnyRow) -> Result<InvitationRecord, DbError> {
    let response_id: Option<i64> = row.try_get("r_id")?;
    let response = match response_id {
        None => None,
        Some(id) => Some(InvitedResponse {
            id,
            submitted: row.try_get::<Option<String>, _>("r_status")?.as_deref()
                == Some("submitted"),
            submitted_at: row.try_get("submitted_at")?,
            overall_score: row.try_get("overall_score")?,
            overall_level: row.try_get("overall_level")?,
            red_flags: row.try_get("red_flags")?,
            result_json: row.try_get("result_json")?,
            benchmark_json: row.try_get("benchmark_json")?,
        }),
    };
    Ok(InvitationRecord {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        code: row.try_get("code")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        changed_at: row.try_get("changed_at")?,
        share_consent_version: row.try_get("share_consent_version")?,
        share_consent_at: row.try_get("share_consent_at")?,
        share_withdrawn_at: row.try_get("share_withdrawn_at")?,
        response,
    })
}

impl Store {
    /// Creates a client with its first invitation, in one transaction.
    pub async fn insert_client(
        &self,
        consultant_id: i64,
        firm_name: &str,
        contact: Option<&str>,
        invitation_code: &str,
        now: i64,
    ) -> Result<i64, DbError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO clients (consultant_id, firm_name, contact, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(consultant_id)
        .bind(firm_name)
        .bind(contact)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO invitations (client_id, code, status, created_at, changed_at)
             VALUES ($1, $2, 'invited', $3, $3)",
        )
        .bind(id)
        .bind(invitation_code)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// A new invitation (a re-assessment) for a client of this consultant; false if the client
    /// is not theirs.
    pub async fn insert_invitation(
        &self,
        consultant_id: i64,
        client_id: i64,
        code: &str,
        now: i64,
    ) -> Result<bool, DbError> {
        let inserted = sqlx::query(
            "INSERT INTO invitations (client_id, code, status, created_at, changed_at)
             SELECT id, $3, 'invited', $4, $4 FROM clients WHERE id = $1 AND consultant_id = $2",
        )
        .bind(client_id)
        .bind(consultant_id)
        .bind(code)
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn clients(&self, consultant_id: i64) -> Result<Vec<ClientRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT id, firm_name, contact, created_at FROM clients WHERE consultant_id = $1
             ORDER BY created_at, id",
        )
        .bind(consultant_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(client).collect()
    }

    pub async fn client(
        &self,
        consultant_id: i64,
        client_id: i64,
    ) -> Result<Option<ClientRecord>, DbError> {
        let row = sqlx::query(
            "SELECT id, firm_name, contact, created_at FROM clients
             WHERE id = $1 AND consultant_id = $2",
        )
        .bind(client_id)
        .bind(consultant_id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(client).transpose()
    }

    /// All invitations of a consultant's clients (of one client if given), oldest first.
    pub async fn invitations(
        &self,
        consultant_id: i64,
        client_id: Option<i64>,
    ) -> Result<Vec<InvitationRecord>, DbError> {
        let rows = match client_id {
            Some(client_id) => {
                sqlx::query(concat!(
                    invitation_select!(),
                    " WHERE c.consultant_id = $1 AND c.id = $2 ORDER BY i.created_at, i.id"
                ))
                .bind(consultant_id)
                .bind(client_id)
                .fetch_all(&self.reader)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    invitation_select!(),
                    " WHERE c.consultant_id = $1 ORDER BY i.created_at, i.id"
                ))
                .bind(consultant_id)
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter().map(invitation).collect()
    }

    pub async fn invitation_landing(
        &self,
        code: &str,
    ) -> Result<Option<InvitationLanding>, DbError> {
        let row = sqlx::query(
            "SELECT i.id, i.status, c.firm_name, u.email, p.name, p.firm, p.contact, u.id
             FROM invitations i
             JOIN clients c ON c.id = i.client_id JOIN users u ON u.id = c.consultant_id
             LEFT JOIN profiles p ON p.user_id = u.id
             WHERE i.code = $1 AND u.disabled = 0",
        )
        .bind(code)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(InvitationLanding {
                id: r.try_get(0)?,
                status: r.try_get(1)?,
                firm_name: r.try_get(2)?,
                consultant_email: r.try_get(3)?,
                consultant_profile: profile_at(&r, 4)?,
                consultant_id: r.try_get(7)?,
            })
        })
        .transpose()
    }

    /// Starts the response of an invitation that is still open, and records whether its owner
    /// shares the result (`share`: consent version, or None to decline). `None` if the
    /// invitation was used meanwhile.
    pub async fn start_invited_response(
        &self,
        invitation_id: i64,
        new: &NewResponse<'_>,
        share: Option<&str>,
    ) -> Result<Option<i64>, DbError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = bind_new_response(sqlx::query(INSERT_RESPONSE), new)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let status = if share.is_some() {
            "started"
        } else {
            "declined"
        };
        let updated = sqlx::query(
            "UPDATE invitations SET status = $2, response_id = $3, share_consent_version = $4,
                 share_consent_at = $5, changed_at = $6
             WHERE id = $1 AND status = 'invited'",
        )
        .bind(invitation_id)
        .bind(status)
        .bind(id)
        .bind(share)
        .bind(share.map(|_| new.now))
        .bind(new.now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            self.rollback(tx).await?;
            return Ok(None);
        }
        self.commit(tx).await?;
        Ok(Some(id))
    }

    /// The owner declines an open invitation; false if it was not open.
    pub async fn decline_invitation(&self, invitation_id: i64, now: i64) -> Result<bool, DbError> {
        let updated = sqlx::query(
            "UPDATE invitations SET status = 'declined', changed_at = $2
             WHERE id = $1 AND status = 'invited'",
        )
        .bind(invitation_id)
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The owner withdraws the sharing of a response with its consultant; false if it was not
    /// shared (or withdrawn already).
    pub async fn withdraw_sharing(&self, response_id: i64, now: i64) -> Result<bool, DbError> {
        let updated = sqlx::query(
            "UPDATE invitations SET share_withdrawn_at = $2, changed_at = $2
             WHERE response_id = $1 AND status = 'started'
               AND share_consent_version IS NOT NULL AND share_withdrawn_at IS NULL",
        )
        .bind(response_id)
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The invitation a response came through, if any.
    pub async fn response_sharing(
        &self,
        response_id: i64,
    ) -> Result<Option<ResponseSharing>, DbError> {
        let row = sqlx::query(
            "SELECT u.email, c.firm_name, i.status, i.share_consent_version, i.share_consent_at,
                    c.id, p.name, p.firm, p.contact, i.share_withdrawn_at, u.id
             FROM invitations i JOIN clients c ON c.id = i.client_id
             JOIN users u ON u.id = c.consultant_id
             LEFT JOIN profiles p ON p.user_id = u.id WHERE i.response_id = $1",
        )
        .bind(response_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(ResponseSharing {
                consultant_email: r.try_get(0)?,
                client_firm_name: r.try_get(1)?,
                status: r.try_get(2)?,
                share_consent_version: r.try_get(3)?,
                share_consent_at: r.try_get(4)?,
                client_id: r.try_get(5)?,
                consultant_profile: profile_at(&r, 6)?,
                share_withdrawn_at: r.try_get(9)?,
                consultant_id: r.try_get(10)?,
            })
        })
        .transpose()
    }

    /// Earlier responses of the same client that still count in the statistics (a
    /// re-assessment replaces them there), as (id, industry, size, region, result JSON).
    pub async fn counted_responses_of_client(
        &self,
        client_id: i64,
        except_response_id: i64,
    ) -> Result<Vec<CountedResponse>, DbError> {
        let rows = sqlx::query(
            "SELECT r.id, r.industry, r.size_class, r.region, r.result_json
             FROM invitations i JOIN responses r ON r.id = i.response_id
             WHERE i.client_id = $1 AND r.id <> $2 AND r.in_statistics = 1",
        )
        .bind(client_id)
        .bind(except_response_id)
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(counted).collect()
    }

    /// Erases a response (answers and idempotency keys go with it), takes it out of the
    /// statistics if it counted there, marks its invitation "deleted", and writes its campaign's
    /// snapshot without it: all or nothing. `Conflict` when the snapshot changed since it was
    /// read, or (the response counted) one was stored since (the caller re-reads and retries).
    pub async fn delete_response(
        &self,
        response_id: i64,
        statistics: Option<&CohortChange<'_>>,
        snapshot: Option<&SnapshotChange<'_>>,
        now: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        if let Some(change) = statistics {
            journal_change(&mut tx, change, now).await?;
        }
        sqlx::query(
            "UPDATE invitations SET status = 'deleted', changed_at = $2 WHERE response_id = $1",
        )
        .bind(response_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Before the row goes: the campaign it counted in learns that a firm left.
        let counted = sqlx::query(super::campaigns::COUNT_REMOVAL)
            .bind(response_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        let deleted = sqlx::query("DELETE FROM responses WHERE id = $1")
            .bind(response_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted != 1 {
            self.rollback(tx).await?;
            return Ok(false);
        }
        // After the bump (task erase): a publication saved since the read is seen here, as the
        // save's first statement locks the row the bump wrote (see
        // `save_campaign_publication` for both orders on both databases).
        if let Some(snapshot) = snapshot {
            match snapshot.stored {
                Some(stored) => {
                    self.faults.publication_write()?;
                    let written = sqlx::query(
                        "UPDATE campaign_publications SET publication = $2,
                             publication_json = NULL, version = version + 1
                         WHERE campaign_id = $1 AND version = $3",
                    )
                    .bind(snapshot.campaign_id)
                    .bind(stored)
                    .bind(snapshot.expected_version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if written != 1 {
                        // Dropping the transaction rolls it back.
                        return Err(DbError::Conflict);
                    }
                }
                None if counted => {
                    let stored: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM campaign_publications WHERE campaign_id = $1",
                    )
                    .bind(snapshot.campaign_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if stored != snapshot.expected_version {
                        // Saved since the read, maybe with the firm: re-read, erase it there.
                        return Err(DbError::Conflict);
                    }
                }
                None => {}
            }
        }
        self.commit(tx).await?;
        Ok(true)
    }

    /// Whether a response counts in the statistics, with what its removal needs.
    pub async fn counted_response(
        &self,
        response_id: i64,
    ) -> Result<Option<CountedResponse>, DbError> {
        let row = sqlx::query(
            "SELECT id, industry, size_class, region, result_json FROM responses
             WHERE id = $1 AND in_statistics = 1",
        )
        .bind(response_id)
        .fetch_optional(&self.writer)
        .await?;
        row.as_ref().map(counted).transpose()
    }

    pub async fn set_benchmark_json(&self, response_id: i64, json: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE responses SET benchmark_json = $2 WHERE id = $1")
            .bind(response_id)
            .bind(json)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// The campaign of an erased response and its snapshot as the erasure read it: written
/// without the response with the erasure, or checked to be still the one read.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotChange<'a> {
    pub campaign_id: i64,
    /// The publication without the response in its stored form
    /// (`dashboard::CampaignPublication::encode`); None when the response is not in the one
    /// read (or none was stored): then the stored one must still be the one read.
    pub stored: Option<&'a [u8]>,
    /// The version the snapshot had when it was read (None: none was stored).
    pub expected_version: Option<i64>,
}

/// A submitted response that counts in the statistics.
#[derive(Debug, Clone)]
pub struct CountedResponse {
    pub id: i64,
    pub industry: String,
    pub size_class: String,
    pub region: String,
    pub result_json: String,
}

pub(super) fn counted(row: &AnyRow) -> Result<CountedResponse, DbError> {
    let text = |name: &str| -> Result<String, DbError> {
        row.try_get::<Option<String>, _>(name)?
            .ok_or_else(|| DbError::Corrupt(format!("a counted response has no {name}")))
    };
    Ok(CountedResponse {
        id: row.try_get("id")?,
        industry: text("industry")?,
        size_class: text("size_class")?,
        region: text("region")?,
        result_json: text("result_json")?,
    })
}
