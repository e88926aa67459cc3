//! Users, logins and sessions: the accounts domain put to work on the store. Knows nothing of
//! HTTP; the web layer carries the session id in a cookie.
use crate::accounts::{self, Email, HashError, Role};
use crate::clock::Clock;
use crate::db::{DbError, Store, UserRecord};
use crate::survey::Text;
use crate::token::{self, RandomnessError, ResponseToken};

/// A session id: 256 random bits like a response token; only its SHA-256 is stored.
pub type SessionId = ResponseToken;

/// Sessions end after 30 minutes without a request, and 12 hours after login at the latest
/// (ASVS 7.3.1, 7.3.2).
pub const IDLE_TIMEOUT_MS: i64 = 30 * 60 * 1000;
pub const ABSOLUTE_TIMEOUT_MS: i64 = 12 * 60 * 60 * 1000;
/// A session's last-seen time is written at most once a minute, not on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid input")]
    Invalid { field: &'static str, message: Text },
    #[error("the e-mail address is taken")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    #[error("a blocking task failed: {0}")]
    Task(String),
}

/// The user behind a live session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// The session's CSRF token, checked on every state-changing form.
    pub csrf_token: String,
    /// An initial password from an admin is still in use: only the password form is open.
    pub must_change_password: bool,
}

#[derive(Debug)]
pub enum LoginOutcome {
    LoggedIn {
        session_id: SessionId,
        role: Role,
    },
    /// Unknown address, wrong password and disabled account alike.
    Refused,
}

/// Pure: whether a session has passed its idle or its absolute timeout.
pub fn session_expired(now: i64, created_at: i64, last_seen_at: i64) -> bool {
    now - last_seen_at > IDLE_TIMEOUT_MS || now - created_at > ABSOLUTE_TIMEOUT_MS
}

#[derive(Debug, Clone)]
pub struct Auth {
    store: Store,
    clock: Clock,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuthError::Task(e.to_string()))
}

/// The key of an account for throttling: a hash of the normalised address, so that the
/// counts in memory hold no e-mail addresses (and unknown addresses count like known ones).
pub fn account_key(email: &str) -> String {
    token::sha256_hex(email.trim().to_lowercase().as_bytes())
}

impl Auth {
    pub fn new(store: Store) -> Auth {
        Auth {
            store,
            clock: Clock::system(),
        }
    }

    /// The clock of sessions and accounts (the system's by default).
    pub fn with_clock(mut self, clock: Clock) -> Auth {
        self.clock = clock;
        self
    }

    /// Creates an account after checking the address and the password policy (`user add`: the
    /// operator chose the password for themselves).
    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        email: &str,
        role: Role,
        password: &str,
    ) -> Result<i64, AuthError> {
        self.create_user_with(email, role, password, false).await
    }

    /// The same; `initial` marks a password chosen for someone else, which they must change at
    /// their first login.
    #[tracing::instrument(skip_all)]
    pub async fn create_user_with(
        &self,
        email: &str,
        role: Role,
        password: &str,
        initial: bool,
    ) -> Result<i64, AuthError> {
        let email = Email::parse(email).map_err(|message| AuthError::Invalid {
            field: "email",
            message,
        })?;
        accounts::check_password(password, &email).map_err(|message| AuthError::Invalid {
            field: "password",
            message,
        })?;
        let password = password.to_owned();
        let hash = blocking(move || accounts::hash_password(&password)).await??;
        self.store
            .insert_user(
                email.as_str(),
                role.as_str(),
                &hash,
                self.clock.now_ms(),
                initial,
            )
            .await?
            .ok_or(AuthError::EmailTaken)
    }

    #[tracing::instrument(skip_all)]
    pub async fn users(&self) -> Result<Vec<UserRecord>, AuthError> {
        Ok(self.store.users().await?)
    }

    /// Disabling ends the user's sessions at once. False for an unknown id.
    #[tracing::instrument(skip_all)]
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<bool, AuthError> {
        Ok(self.store.set_user_disabled(user_id, disabled).await?)
    }

    /// Checks the credentials and opens a new session (a fresh id: no fixation, ASVS 7.2.4).
    /// Every refusal looks the same, and costs the same hash time, whether the address exists
    /// or not (ASVS 6.3.8). Throttling is per client and lives in the web layer
    /// (`limits::LoginThrottle`): a lock per account would let anyone lock its owner out.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginOutcome, AuthError> {
        let now = self.clock.now_ms();
        let normalised = email.trim().to_lowercase();
        let user = match Email::parse(&normalised) {
            Ok(e) => self.store.user_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let stored = user.as_ref().map_or_else(
            || accounts::dummy_hash().to_owned(),
            |u| u.password_hash.clone(),
        );
        let password = password.to_owned();
        let matches = blocking(move || accounts::verify_password(&password, &stored)).await?;
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            _ => return Ok(LoginOutcome::Refused),
        };
        let role = Role::parse(&user.role)
            .ok_or_else(|| DbError::Corrupt(format!("unknown role {:?}", user.role)))?;
        self.store
            .delete_expired_sessions(now - IDLE_TIMEOUT_MS, now - ABSOLUTE_TIMEOUT_MS)
            .await?;
        let session_id = SessionId::generate()?;
        let csrf = SessionId::generate()?.as_url_part();
        self.store
            .create_session(&session_id.hash(), user.id, &csrf, now)
            .await?;
        Ok(LoginOutcome::LoggedIn { session_id, role })
    }

    /// The user of a session id from a cookie, if the session is live. An expired session, or
    /// one of a disabled user, is removed on the server.
    #[tracing::instrument(skip_all)]
    pub async fn session(&self, raw_session_id: &str) -> Result<Option<CurrentUser>, AuthError> {
        let Some(id) = SessionId::parse(raw_session_id) else {
            return Ok(None);
        };
        let hash = id.hash();
        let Some(session) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now_ms();
        let expired = session_expired(now, session.created_at, session.last_seen_at);
        let role = Role::parse(&session.role);
        if expired || session.disabled || role.is_none() {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(role.map(|role| CurrentUser {
            user_id: session.user_id,
            email: session.email,
            role,
            csrf_token: session.csrf_token,
            must_change_password: session.must_change_password,
        }))
    }

    /// Changes a user's password after checking the current one; every other session of the
    /// user ends. `Ok(false)` when the current password is wrong.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        user: &CurrentUser,
        raw_session_id: &str,
        current: &str,
        new: &str,
    ) -> Result<bool, AuthError> {
        let Some(record) = self.store.user_by_id(user.user_id).await? else {
            return Ok(false);
        };
        let email = Email::parse(&record.email).map_err(|message| AuthError::Invalid {
            field: "email",
            message,
        })?;
        let (current, stored) = (current.to_owned(), record.password_hash.clone());
        if !blocking(move || accounts::verify_password(&current, &stored)).await? {
            return Ok(false);
        }
        accounts::check_password(new, &email).map_err(|message| AuthError::Invalid {
            field: "new_password",
            message,
        })?;
        let new = new.to_owned();
        let hash = blocking(move || accounts::hash_password(&new)).await??;
        let keep = SessionId::parse(raw_session_id)
            .map(|id| id.hash())
            .unwrap_or_default();
        self.store.set_password(user.user_id, &hash, &keep).await?;
        Ok(true)
    }

    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, raw_session_id: &str) -> Result<(), AuthError> {
        if let Some(id) = SessionId::parse(raw_session_id) {
            self.store.delete_session(&id.hash()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_old() {
        let minute = 60 * 1000;
        let login = 1_000_000_000;
        assert!(!session_expired(login + 29 * minute, login, login));
        assert!(session_expired(login + 31 * minute, login, login));
        // Active all the time, but past the absolute limit of 12 hours.
        let now = login + 12 * 60 * minute + 1;
        assert!(session_expired(now, login, now - minute));
        assert!(!session_expired(now - 2, login, now - minute));
    }
}
