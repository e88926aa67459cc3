-- One row per statistics scope, written first in every transaction that changes its cells: on
-- PostgreSQL the row lock queues concurrent submits of several app instances, so each reads
-- the cells as the previous one left them (SQLite has one writer anyway).
CREATE TABLE cohort_locks (
    scope  TEXT   PRIMARY KEY,
    writes BIGINT NOT NULL
);
