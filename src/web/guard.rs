//! Anti-automation for private links (ASVS 2.4.1, 6.3.1): a client (see `client`) that keeps
//! asking for tokens or codes that do not exist is slowed down with 429 and Retry-After. Counts live in memory only: no IP
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

    /// Records a look-up of a token or code that does not exist; the seconds to wait if this
    /// client has now missed more than its limit (answer 429 instead of 404). Only misses are
    /// counted and refused: a valid link always works.
    pub fn record_miss(&self, client: Option<IpAddr>) -> Option<u64> {
        let client = client?;
        let mut misses = self.misses.lock().unwrap_or_else(|e| e.into_inner());
        if misses.len() > 100_000 {
            // Bounded memory under a spray of addresses: forget expired windows.
            misses.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        let entry = misses.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let elapsed = entry.0.elapsed();
        (entry.1 > self.limit).then(|| WINDOW.saturating_sub(elapsed).as_secs().max(1))
    }
}
