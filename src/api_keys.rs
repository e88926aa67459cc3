//! API keys for integrations: issued and revoked by an admin, stored hashed, each with its own
//! rate limit. A key is 256 random bits, so a plain SHA-256 of it is as good as a slow password
//! hash and keeps the lookup per request cheap. Knows nothing of HTTP.
//!
//! On PostgreSQL, authenticated keys are kept in memory for [`KEY_KEPT_FOR`] (1 s) after their
//! read (not on SQLite, see [`ApiKeys::new`]): the read was a round trip of its own per API
//! request, with a pool checkout, the pool's ping on return, and a transaction of PostgreSQL's
//! (task pg: 2.25 transactions per submit on two instances, 1.19 without it). A revocation
//! through this instance empties the memory when it has committed, so it holds at once here, as
//! before; one through another instance or the command line holds here at the latest 1 s after
//! it committed. Only keys that were found are kept (a wrong key is read every time, and cannot
//! fill the memory).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::db::ApiKeyRef;
use crate::db::{ApiKeyRecord, Backend, NewApiKey, Store, now_ms};
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

/// How long an authenticated key is believed without reading it again: the longest a
/// revocation through another instance (or the command line) takes to hold here.
pub const KEY_KEPT_FOR: Duration = Duration::from_secs(1);
/// Keys kept at most (they are issued by admins, so few; beyond this the memory starts anew).
const KEPT_KEYS_MAX: usize = 1_000;

/// Per key id, its rate and limiter.
type KeyLimiters = HashMap<i64, (Rate, RateLimiter<i64>)>;

/// Keys found recently, by the hash of their text, with when they were read.
#[derive(Debug, Default)]
struct KeptKeys {
    keys: HashMap<String, (ApiKeyRecord, Instant)>,
    /// Moves on with every revocation through this instance: a read that began before one is
    /// not kept (it may have seen the key still active).
    revocations: u64,
}

#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: Store,
    /// Per key id, its limiter (built from the key's rate on first use, per instance).
    limiters: Arc<Mutex<KeyLimiters>>,
    kept: Arc<Mutex<KeptKeys>>,
    kept_for: Duration,
}

impl ApiKeys {
    /// Keys are kept on PostgreSQL only. On SQLite the read is cheap (a reader thread in the
    /// process), and without it the API submits reached the writer's group commit in step: its
    /// batches filled with all 32 clients of the load test and committed every 26 ms instead of
    /// 10 ms, 2.0k instead of 2.5k submits/s (task pg; why is not understood yet).
    pub fn new(store: Store) -> ApiKeys {
        let kept_for = match store.backend() {
            Backend::Postgres => KEY_KEPT_FOR,
            Backend::Sqlite => Duration::ZERO,
        };
        ApiKeys::keeping_keys_for(store, kept_for)
    }

    /// With authenticated keys kept for `kept_for` (tests shorten it).
    pub fn keeping_keys_for(store: Store, kept_for: Duration) -> ApiKeys {
        ApiKeys {
            store,
            limiters: Arc::default(),
            kept: Arc::default(),
            kept_for,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, KeptKeys> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
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
        let revoked = self.store.revoke_api_key(key, now_ms()).await;
        // After the commit (a read that saw the key active is not kept from here on), and
        // whatever the outcome: an error may follow a commit.
        let mut kept = self.kept();
        kept.keys.clear();
        kept.revocations += 1;
        drop(kept);
        match revoked? {
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
        let hash = sha256_hex(presented.as_bytes());
        let revocations = {
            let kept = self.kept();
            if let Some((key, read_at)) = kept.keys.get(&hash)
                && read_at.elapsed() < self.kept_for
            {
                return Ok(Some(key.clone()));
            }
            kept.revocations
        };
        let read_at = Instant::now();
        let found = self.store.active_api_key(&hash).await?;
        if let Some(key) = &found
            && !self.kept_for.is_zero()
        {
            let mut kept = self.kept();
            if kept.revocations == revocations {
                if kept.keys.len() >= KEPT_KEYS_MAX {
                    kept.keys.clear();
                }
                kept.keys.insert(hash, (key.clone(), read_at));
            }
        }
        Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A migrated SQLite store in a file of its own, and that file.
    async fn store() -> (Store, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "api-keys-{}-{}.db",
            std::process::id(),
            ResponseToken::generate().expect("token").as_url_part()
        ));
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("store");
        store.migrate().await.expect("migrated");
        (store, path)
    }

    /// A key once read is believed for `kept_for` (no read per request), a revocation through
    /// another instance holds once that has passed, and one through this instance at once.
    #[tokio::test]
    async fn keys_are_kept_briefly_and_revocations_hold() {
        let (store, path) = store().await;
        let kept_for = Duration::from_millis(300);
        let here = ApiKeys::keeping_keys_for(store.clone(), kept_for);
        let elsewhere = ApiKeys::new(store.clone());
        let issued = here
            .issue("integration", "100/second")
            .await
            .expect("issued");
        let found = here.authenticate(&issued.key).await.expect("read");
        assert_eq!(found.map(|k| k.id), Some(issued.id));

        elsewhere
            .revoke(ApiKeyRef::Id(issued.id))
            .await
            .expect("revoked");
        let revoked_at = Instant::now();
        let kept = here.authenticate(&issued.key).await.expect("kept");
        if revoked_at.elapsed() < kept_for / 2 {
            assert!(kept.is_some(), "believed without a read within its time");
        }
        tokio::time::sleep(kept_for).await;
        assert_eq!(
            here.authenticate(&issued.key).await.expect("read"),
            None,
            "a revocation elsewhere holds here once the key's time has passed"
        );

        let second = here.issue("second", "100/second").await.expect("issued");
        assert!(
            here.authenticate(&second.key)
                .await
                .expect("read")
                .is_some()
        );
        here.revoke(ApiKeyRef::Id(second.id))
            .await
            .expect("revoked");
        assert_eq!(
            here.authenticate(&second.key).await.expect("read"),
            None,
            "a revocation through this instance holds at once"
        );
        assert_eq!(
            here.authenticate("srk_not-a-key").await.expect("read"),
            None
        );
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
