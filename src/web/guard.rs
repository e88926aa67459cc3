//! Anti-automation for private links (ASVS 2.4.1, 6.3.1): a client that keeps asking for tokens
//! that do not exist is slowed down with 429 and Retry-After. Counts live in memory only: no IP
//! address is ever stored with a response.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Unknown tokens one client may try per window before it has to wait (the default).
pub const MISSES_PER_WINDOW: u32 = 60;
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct TokenGuard {
    misses: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
    limit: u32,
}

impl Default for TokenGuard {
    fn default() -> Self {
        TokenGuard::new(MISSES_PER_WINDOW)
    }
}

impl TokenGuard {
    pub fn new(limit: u32) -> TokenGuard {
        TokenGuard {
            misses: Arc::default(),
            limit: limit.max(1),
        }
    }

    /// Seconds to wait, if this client is over its limit.
    pub fn retry_after(&self, client: Option<IpAddr>) -> Option<u64> {
        let client = client?;
        let misses = self.misses.lock().ok()?;
        let (since, count) = misses.get(&client)?;
        let elapsed = since.elapsed();
        (*count >= self.limit && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs().max(1))
    }

    /// Records a look-up of a token that does not exist.
    pub fn record_miss(&self, client: Option<IpAddr>) {
        let Some(client) = client else { return };
        let Ok(mut misses) = self.misses.lock() else {
            return;
        };
        if misses.len() > 100_000 {
            // Bounded memory under a spray of addresses: forget expired windows.
            misses.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        let entry = misses.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}
