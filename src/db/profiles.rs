//! What consultants and chambers show of themselves (name, firm, contact).
use sqlx::Row;

use super::{DbError, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub name: String,
    pub firm: Option<String>,
    pub contact: Option<String>,
}

impl Store {
    pub async fn profile(&self, user_id: i64) -> Result<Option<ProfileRecord>, DbError> {
        let row = sqlx::query("SELECT name, firm, contact FROM profiles WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(ProfileRecord {
                name: r.try_get(0)?,
                firm: r.try_get(1)?,
                contact: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Writes the account's profile, replacing the one it had.
    pub async fn save_profile(
        &self,
        user_id: i64,
        profile: &ProfileRecord,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO profiles (user_id, name, firm, contact, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, firm = excluded.firm,
               contact = excluded.contact, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(&profile.name)
        .bind(profile.firm.as_deref())
        .bind(profile.contact.as_deref())
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
