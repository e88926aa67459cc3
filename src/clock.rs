//! The time of the service, in one place outside the database layer (web, services and views
//! ask here; `db` re-exports it for its own timestamps).

/// Milliseconds since the Unix epoch: the portable timestamp of both databases.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
