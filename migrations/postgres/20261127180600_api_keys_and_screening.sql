-- API keys for integrations (issue 16): only the SHA-256 of a 256-bit random key is stored, with
-- a short prefix to recognise it in lists; the key itself is shown once.
CREATE TABLE api_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    key_hash   TEXT   NOT NULL UNIQUE,
    prefix     TEXT   NOT NULL,
    -- Its own limit, as RATE_LIMIT_* settings are written (e.g. 600/hour).
    rate       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Plausibility screening: a submitted response held back from the statistics waits for an admin
-- (held_back = 1) who releases it (counted then) or discards it (discarded_at set; never counted).
-- The owner keeps the result either way.
ALTER TABLE responses ADD COLUMN held_back BIGINT NOT NULL DEFAULT 0;
-- Why it was held: 'keyless' (API without a key), 'too_fast', 'burst'. Kept after the decision.
ALTER TABLE responses ADD COLUMN hold_reason TEXT;
ALTER TABLE responses ADD COLUMN discarded_at BIGINT;
-- The scored and importance answers in catalogue order (JSON array), compared for bursts.
ALTER TABLE responses ADD COLUMN answer_vector TEXT;
ALTER TABLE responses ADD COLUMN api_key_id BIGINT;
CREATE INDEX responses_held_back ON responses (held_back, hold_reason, industry, size_class);
CREATE INDEX responses_cohort_recent ON responses (industry, size_class, submitted_at);

-- Login throttling lives in memory per client and client × account now (src/limits.rs).
DROP TABLE login_failures;
