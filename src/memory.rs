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
