-- Issue 17: submits no longer read and rewrite the cohort cells (one JSON document each) under a
-- lock row per scope, which on PostgreSQL made every submit of a catalogue version wait for the
-- one before. A submit (erasure, release) only appends its change here, in its own transaction;
-- a merge step then applies the waiting changes in id order to the cells, many at once, under
-- the merge's own lock (statistics::Statistics::merge_pending). The cells keep their form, so
-- existing cells need no conversion. Ids only grow while entries wait (on SQLite a new row gets
-- the highest id + 1), which is all the merge's order needs.
CREATE TABLE cohort_journal (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope       TEXT   NOT NULL,
    -- The cells the change counts in, comma-separated (e.g. 'all,industry:C,...').
    cohort_keys TEXT   NOT NULL,
    -- The change: benchmark::PendingChange (one response's summary added or removed).
    change_json TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    -- Why the merge refused the change (it then stays here, out of the statistics, for an
    -- operator to look at); NULL while it waits.
    failed      TEXT
);
