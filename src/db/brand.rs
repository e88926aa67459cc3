//! Brands (accent colour, logo) of consultants and chambers, and consultants' cover notes.
use sqlx::Row;

use super::{DbError, Store};

/// A brand as stored; the logo base64-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrandRecord {
    pub accent: Option<String>,
    pub logo: Option<LogoRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoRecord {
    /// Base64 of the stored (rebuilt) file.
    pub data: String,
    pub mime: String,
    pub width: i64,
    pub height: i64,
    /// Hex SHA-256 of the file.
    pub hash: String,
}

fn logo_of(row: &sqlx::any::AnyRow) -> Result<Option<LogoRecord>, DbError> {
    let data: Option<String> = row.try_get("logo")?;
    let Some(data) = data else {
        return Ok(None);
    };
    Ok(Some(LogoRecord {
        data,
        mime: row
            .try_get::<Option<String>, _>("logo_type")?
            .unwrap_or_default(),
        width: row.try_get::<Option<i64>, _>("logo_width")?.unwrap_or(0),
        height: row.try_get::<Option<i64>, _>("logo_height")?.unwrap_or(0),
        hash: row
            .try_get::<Option<String>, _>("logo_hash")?
            .unwrap_or_default(),
    }))
}

impl Store {
    pub async fn brand(&self, user_id: i64) -> Result<Option<BrandRecord>, DbError> {
        let row = sqlx::query(
            "SELECT accent, logo, logo_type, logo_width, logo_height, logo_hash
             FROM brands WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(BrandRecord {
                accent: r.try_get("accent")?,
                logo: logo_of(&r)?,
            })
        })
        .transpose()
    }

    /// The logo whose hash is `hash`, whoever's it is (its URL names it by its content).
    pub async fn logo_by_hash(&self, hash: &str) -> Result<Option<LogoRecord>, DbError> {
        let row = sqlx::query(
            "SELECT logo, logo_type, logo_width, logo_height, logo_hash
             FROM brands WHERE logo_hash = $1 AND logo IS NOT NULL LIMIT 1",
        )
        .bind(hash)
        .fetch_optional(&self.reader)
        .await?;
        Ok(match row {
            Some(r) => logo_of(&r)?,
            None => None,
        })
    }

    /// Replaces the account's brand (accent and logo together).
    pub async fn save_brand(
        &self,
        user_id: i64,
        brand: &BrandRecord,
        now: i64,
    ) -> Result<(), DbError> {
        let logo = brand.logo.as_ref();
        sqlx::query(
            "INSERT INTO brands (user_id, accent, logo, logo_type, logo_width, logo_height,
               logo_hash, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (user_id) DO UPDATE SET accent = excluded.accent, logo = excluded.logo,
               logo_type = excluded.logo_type, logo_width = excluded.logo_width,
               logo_height = excluded.logo_height, logo_hash = excluded.logo_hash,
               updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(brand.accent.as_deref())
        .bind(logo.map(|l| l.data.as_str()))
        .bind(logo.map(|l| l.mime.as_str()))
        .bind(logo.map(|l| l.width))
        .bind(logo.map(|l| l.height))
        .bind(logo.map(|l| l.hash.as_str()))
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The cover note of a client of this consultant.
    pub async fn cover_note(
        &self,
        consultant_id: i64,
        client_id: i64,
    ) -> Result<Option<String>, DbError> {
        let row = sqlx::query(
            "SELECT n.note FROM cover_notes n JOIN clients c ON c.id = n.client_id
             WHERE n.client_id = $1 AND c.consultant_id = $2",
        )
        .bind(client_id)
        .bind(consultant_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(DbError::from)
    }

    /// Writes (or with `None` removes) the cover note of a client of this consultant; false
    /// when the client is not this consultant's.
    pub async fn save_cover_note(
        &self,
        consultant_id: i64,
        client_id: i64,
        note: Option<&str>,
        now: i64,
    ) -> Result<bool, DbError> {
        let owned = sqlx::query("SELECT 1 FROM clients WHERE id = $1 AND consultant_id = $2")
            .bind(client_id)
            .bind(consultant_id)
            .fetch_optional(&self.reader)
            .await?
            .is_some();
        if !owned {
            return Ok(false);
        }
        match note {
            Some(note) => {
                sqlx::query(
                    "INSERT INTO cover_notes (client_id, note, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (client_id) DO UPDATE SET note = excluded.note,
                       updated_at = excluded.updated_at",
                )
                .bind(client_id)
                .bind(note)
                .bind(now)
                .execute(&self.writer)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM cover_notes WHERE client_id = $1")
                    .bind(client_id)
                    .execute(&self.writer)
                    .await?;
            }
        }
        Ok(true)
    }
}
