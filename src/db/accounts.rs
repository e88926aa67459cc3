//! Users, sessions and failed logins.
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{DbError, Store};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
    /// Set when an admin chose the password; cleared when the user sets their own.
    pub must_change_password: bool,
}

/// A live session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

fn user(row: &AnyRow) -> Result<UserRecord, DbError> {
    Ok(UserRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    })
}

/// The columns of [`UserRecord`], pasted into queries at compile time (sqlx takes only static SQL).
macro_rules! user_columns {
    () => {
        "id, email, role, password_hash, disabled, created_at, must_change_password"
    };
}

impl Store {
    /// Creates a user; `None` when the e-mail address is taken. `must_change_password` for an
    /// initial password chosen by someone else.
    pub async fn insert_user(
        &self,
        email: &str,
        role: &str,
        password_hash: &str,
        now: i64,
        must_change_password: bool,
    ) -> Result<Option<i64>, DbError> {
        let row = sqlx::query(
            "INSERT INTO users (email, role, password_hash, disabled, created_at, must_change_password)
             VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(role)
        .bind(password_hash)
        .bind(now)
        .bind(i64::from(must_change_password))
        .fetch_optional(&self.writer)
        .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    // On the reader: a user is added, disabled or changed in a request of its own, committed
    // before that request is answered, so a later login sees it (a WAL reader reads the last
    // commit).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user).transpose()
    }

    // On the reader: the password change that reads it writes with `set_password`, which does not
    // depend on the row read (a concurrent change would race the same way on the writer).
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user).transpose()
    }

    /// Sets a new password hash and ends every other session of the user, in one transaction.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session_hash: &str,
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $2, must_change_password = 0 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session_hash)
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, DbError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY role, email"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(user).collect()
    }

    /// Disables (or enables) a user; disabling ends all their sessions in the same transaction.
    /// Returns false for an unknown id.
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
            .bind(user_id)
            .bind(i64::from(disabled))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(changed == 1)
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    // On the reader: every signed-in request reads it. A session is created by the login request
    // and only used by later ones (the cookie is sent after the commit); its deletion and its
    // user's disabling are committed before they are answered, so no ended session is read back.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, DbError> {
        let row = sqlx::query(
            "SELECT s.user_id, u.email, u.role, u.disabled, s.csrf_token, s.created_at, s.last_seen_at,
                    u.must_change_password
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                user_id: r.try_get(0)?,
                email: r.try_get(1)?,
                role: r.try_get(2)?,
                disabled: r.try_get::<i64, _>(3)? != 0,
                csrf_token: r.try_get(4)?,
                created_at: r.try_get(5)?,
                last_seen_at: r.try_get(6)?,
                must_change_password: r.try_get::<i64, _>(7)? != 0,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Removes sessions past their idle or absolute timeout.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
