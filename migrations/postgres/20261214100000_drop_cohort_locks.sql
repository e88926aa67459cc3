-- Issue 17: merges of the statistics journal run one at a time under an advisory lock taken
-- with their BEGIN (PostgreSQL; SQLite has one writer), and submits take no lock row: nothing
-- has written or read the lock rows since, so the table goes.
DROP TABLE IF EXISTS cohort_locks;
