//! The allocator's two settings that keep the service's memory bounded (issue 17, item 6).
//!
//! glibc's malloc gives threads separate arenas (up to eight per core) and keeps what is freed
//! in each for reuse. A dashboard of 50,000 participants builds some tens of MB on an async
//! worker (the publication's refresh) and on the dashboard thread (the audit), freed at the
//! end: with an arena per thread the service stayed near 160 MB after a few views. Two arenas
//! per core bound that, and handing back the freed pages after a large computation keeps the
//! resident size near what is live. Measured on 2 cores (release, 50,000 participants,
//! `scripts/dashboard_bench.py`; API reads `scripts/pages_bench.py --scenarios apiget`, 32
//! connections): no limit 123–127 MB after the views and 2,200 reads/s; one arena per core
//! (2) 62 MB but 1,600–2,000 reads/s (the async workers and the database threads wait on each
//! other's arena lock); two per core (4) 79–82 MB and 2,040–2,150 reads/s. Both are plain glibc
//! calls (`mallopt(3)`, `malloc_trim(3)`); elsewhere they do nothing.
//!
//! The kept result pages and chart SVGs (`web::result_pages`, `charts::cache`) are long-lived
//! blocks among each request's short-lived ones; the ones they drop leave holes that the arenas
//! keep resident. Measured (release, `scripts/load_test.py` form flow at 64 connections,
//! SQLite, every new response's page kept): the RSS was 60–62 MB, of which `malloc_trim` gave
//! back 9 MB at once. So after every [`TRIM_AFTER`] bytes the caches dropped, the freed pages
//! are given back ([`dropped_from_cache`]).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::os::raw::c_int;

    /// `M_ARENA_MAX` of glibc's `<malloc.h>`.
    const M_ARENA_MAX: c_int = -8;

    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
        fn malloc_trim(pad: usize) -> c_int;
    }

    pub fn limit_arenas(arenas: c_int) {
        // SAFETY: mallopt only sets a parameter of the allocator, under its own lock; it
        // takes no pointers and may be called at any time.
        unsafe {
            mallopt(M_ARENA_MAX, arenas);
        }
    }

    pub fn trim() {
        // SAFETY: malloc_trim releases free memory of every arena, under each arena's lock;
        // it takes no pointers and touches no allocated block.
        unsafe {
            malloc_trim(0);
        }
    }
}

use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes the caches drop between two trims: some 30 result pages (a trim takes about a
/// millisecond, so at the form flow's 60 new pages a second this is two trims a second).
const TRIM_AFTER: usize = 2 << 20;

/// Bytes dropped by the caches since the last trim.
static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// At most two malloc arenas per core for the whole process (glibc's default is eight);
/// called first thing at start-up, before the runtime's threads allocate (a thread takes its
/// arena at its first allocation).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        glibc::limit_arenas(std::os::raw::c_int::try_from(2 * cores).unwrap_or(16));
    }
}

/// Gives the freed pages of every arena back to the system: after a large computation whose
/// memory is freed (a dashboard, a campaign's publication), so that its peak does not stay
/// resident. Takes about a millisecond; not for every request.
pub fn return_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::trim();
}

/// Counts `bytes` a cache has just dropped, and gives the freed pages back (see
/// [`return_freed`]) each time they add up to [`TRIM_AFTER`]. Call it without holding the
/// cache's lock: the trim takes the allocator's locks for about a millisecond.
pub fn dropped_from_cache(bytes: usize) {
    if bytes == 0 {
        return;
    }
    let before = DROPPED.fetch_add(bytes, Ordering::Relaxed);
    if before + bytes >= TRIM_AFTER && before < TRIM_AFTER {
        // The one call that crossed the mark trims and starts the count again.
        DROPPED.fetch_sub(before + bytes, Ordering::Relaxed);
        return_freed();
    }
}
