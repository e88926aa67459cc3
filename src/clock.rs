//! The time of the service, in one place outside the database layer (web, services and views
//! ask here; `db` re-exports it for its own timestamps).

/// Milliseconds since the Unix epoch: the portable timestamp of both databases.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The clock the services read: the system's by default, a fixed one in tests, so that what
/// depends on the date (campaign months, the dashboard's periods, "as of" dates) does not
/// depend on the day the tests run.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// None: the system clock; otherwise the fixed time in ms, shared by the clones.
    fixed: Option<std::sync::Arc<std::sync::atomic::AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing still at `ms` until [`Clock::set`] moves it (for tests).
    pub fn fixed(ms: i64) -> Clock {
        Clock {
            fixed: Some(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(ms))),
        }
    }

    /// Moves a fixed clock (and every clone of it) to `ms`; the system clock stays as it is.
    pub fn set(&self, ms: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.store(ms, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.fixed {
            Some(fixed) => fixed.load(std::sync::atomic::Ordering::Relaxed),
            None => now_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_and_moves_with_its_clones() {
        let clock = Clock::fixed(1_000);
        let clone = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        clone.set(2_000);
        assert_eq!(clock.now_ms(), 2_000);
    }

    #[test]
    fn the_system_clock_follows_the_time() {
        let clock = Clock::system();
        clock.set(0);
        assert!(clock.now_ms() > 1_700_000_000_000);
    }
}
