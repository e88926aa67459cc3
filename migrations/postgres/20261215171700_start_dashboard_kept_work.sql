-- Task start (issue 17): a chamber's prepared dashboard work (the audit of its publications),
-- kept across restarts with the inputs it was made from (`inputs`: the publications' versions,
-- the history version read, the catalogue, the policy, the code's fingerprint). A start whose
-- inputs are exactly these uses it instead of auditing again; anything else is recomputed.
CREATE TABLE dashboard_kept_work (
    chamber_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    inputs     TEXT   NOT NULL,
    work       BYTEA  NOT NULL
);

-- Per campaign: the state (stored version, count, sum of ids and latest submit of the live
-- participants, removals) at which a run found the stored publication current, with its
-- older-version counts, under `inputs` (catalogue, policy, code). A start whose campaign is in
-- exactly this state takes the publication as current without reading the participants.
CREATE TABLE campaign_checked_states (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    inputs      TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    live_count  BIGINT NOT NULL,
    live_sum    BIGINT NOT NULL,
    live_latest BIGINT NOT NULL,
    removals    BIGINT NOT NULL,
    older       TEXT   NOT NULL
);
