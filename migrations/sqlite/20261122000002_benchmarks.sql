-- Compact summary of every submitted response, so it can be taken out of the statistics again
-- (erasure, re-assessment) and so demo responses need no answer rows.
ALTER TABLE responses ADD COLUMN dimension_scores TEXT;
ALTER TABLE responses ADD COLUMN red_flags TEXT;

-- One row per cohort cell: its live aggregate, its last published aggregate and the changes
-- pending since (see benchmark::PublishedCell). `scope` separates the statistics of real
-- responses ('real') from those that include demo data ('with_demo').
-- `version` guards the read-modify-write of concurrent submits on several app instances.
CREATE TABLE cohort_cells (
    scope      TEXT   NOT NULL,
    cohort_key TEXT   NOT NULL,
    cell_json  TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (scope, cohort_key)
);

-- Bumped whenever any cell of a scope republishes: app instances cache the disclosed statistics
-- and recompute them only when this changes.
CREATE TABLE benchmark_generations (
    scope        TEXT   PRIMARY KEY,
    generation   BIGINT NOT NULL,
    published_at BIGINT NOT NULL
);
