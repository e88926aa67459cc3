-- Issue 17: cohort cells are stored in a compact binary form (benchmark::encode_cell) instead of
-- a JSON document: reading and writing the JSON was about a fifth of a submit's CPU. Every
-- stored form starts with a format byte, '{' being JSON, so a cell still held in `cell_json`
-- (written before this migration) reads as it is; a merge that changes it writes `cell` and
-- clears `cell_json`; exactly one of the two is set. The table is rebuilt because SQLite cannot
-- drop the NOT NULL of `cell_json`.
CREATE TABLE cohort_cells_binary (
    scope      TEXT   NOT NULL,
    cohort_key TEXT   NOT NULL,
    cell       BLOB,
    cell_json  TEXT,
    version    BIGINT NOT NULL,
    PRIMARY KEY (scope, cohort_key),
    CHECK ((cell IS NULL) <> (cell_json IS NULL))
);
INSERT INTO cohort_cells_binary (scope, cohort_key, cell_json, version)
    SELECT scope, cohort_key, cell_json, version FROM cohort_cells;
DROP TABLE cohort_cells;
ALTER TABLE cohort_cells_binary RENAME TO cohort_cells;
