//! API keys for integrations: issued and revoked by an admin, stored hashed, each with its own
//! rate limit. A key is 256 random bits, so a plain SHA-256 of it is as good as a slow password
//! hash and keeps the lookup per request cheap. Knows nothing of HTTP.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::db::ApiKeyRef;
use crate::db::{ApiKeyRecord, NewApiKey, Store, now_ms};
use crate::limits::{Rate, RateLimiter};
use crate::responses::ServiceError;
use crate::survey::FieldError;
use crate::token::{ResponseToken, sha256_hex};

/// Every key starts so, which tells it apart from a response token in logs and tickets.
pub const KEY_PREFIX: &str = "srk_";
/// What lists show of a key: enough to recognise it, far too little to use it.
pub const SHOWN_CHARS: usize = 12;
const NAME_MAX_CHARS: usize = 100;

/// A key just issued: the only moment its full text exists outside the integrator's hands.
#[derive(Debug)]
pub struct IssuedKey {
    pub id: i64,
    pub key: String,
    pub prefix: String,
}

/// Per key id, its rate and limiter.
type KeyLimiters = HashMap<i64, (Rate, RateLimiter<i64>)>;

#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: Store,
    /// Per key id, its limiter (built from the key's rate on first use, per instance).
    limiters: Arc<Mutex<KeyLimiters>>,
}

impl ApiKeys {
    pub fn new(store: Store) -> ApiKeys {
        ApiKeys {
            store,
            limiters: Arc::default(),
        }
    }

    /// Issues a key named `name` with its own `rate` (e.g. `600/hour`).
    pub async fn issue(&self, name: &str, rate: &str) -> Result<IssuedKey, ServiceError> {
        let name = name.trim();
        let mut errors = Vec::new();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "name",
                "Bitte geben Sie einen Namen mit 1 bis 100 Zeichen an (z. B. die Integration).",
                "Please give a name of 1 to 100 characters (e.g. the integration).",
            ));
        }
        let rate = rate.trim();
        if Rate::parse(rate).is_err() {
            errors.push(FieldError::new(
                "rate",
                "Das Limit muss die Form Anzahl/Zeitraum haben, z. B. 600/hour (second, minute, hour, day).",
                "The limit must read count/period, e.g. 600/hour (second, minute, hour, day).",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let key = format!("{KEY_PREFIX}{}", ResponseToken::generate()?.as_url_part());
        let prefix: String = key.chars().take(SHOWN_CHARS).collect();
        let id = self
            .store
            .create_api_key(&NewApiKey {
                name,
                key_hash: &sha256_hex(key.as_bytes()),
                prefix: &prefix,
                rate,
                now: now_ms(),
            })
            .await?;
        Ok(IssuedKey { id, key, prefix })
    }

    pub async fn list(&self) -> Result<Vec<ApiKeyRecord>, ServiceError> {
        Ok(self.store.api_keys().await?)
    }

    /// Revokes a key; `NotFound` if there is no such active key.
    pub async fn revoke(&self, key: ApiKeyRef<'_>) -> Result<(), ServiceError> {
        match self.store.revoke_api_key(key, now_ms()).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The active key with this text, if any.
    pub async fn authenticate(
        &self,
        presented: &str,
    ) -> Result<Option<ApiKeyRecord>, ServiceError> {
        if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
            return Ok(None);
        }
        Ok(self
            .store
            .active_api_key(&sha256_hex(presented.as_bytes()))
            .await?)
    }

    /// Counts one request against the key's own limit; `Err(wait)` when it is used up.
    pub fn check_limit(&self, key: &ApiKeyRecord) -> Result<(), Duration> {
        // A stored rate was checked when the key was issued; should it not parse, the strictest
        // limit applies rather than none.
        let rate = Rate::parse(&key.rate).unwrap_or(Rate {
            count: 1,
            period: Duration::from_secs(3600),
        });
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        let entry = limiters
            .entry(key.id)
            .or_insert_with(|| (rate, RateLimiter::new(rate)));
        if entry.0 != rate {
            *entry = (rate, RateLimiter::new(rate));
        }
        entry.1.check(&key.id)
    }
}
