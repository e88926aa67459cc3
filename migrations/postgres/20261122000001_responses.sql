-- A response: one firm's pass through the questionnaire. Identified to its owner only by a
-- private token, of which we keep just the SHA-256.
CREATE TABLE responses (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash        TEXT    NOT NULL UNIQUE,
    catalogue_version TEXT    NOT NULL,
    lang              TEXT    NOT NULL CHECK (lang IN ('de', 'en')),
    status            TEXT    NOT NULL CHECK (status IN ('in_progress', 'submitted')),
    firm_name         TEXT,
    consent_version   TEXT    NOT NULL,
    consent_at        BIGINT  NOT NULL,
    is_demo           BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    submitted_at      BIGINT,
    -- Copied from the profile at submit: the cohort keys of the benchmark.
    industry          TEXT,
    size_class        TEXT,
    region            TEXT,
    overall_score     BIGINT ,
    overall_level     BIGINT ,
    -- The frozen assessment (scores, levels, red flags, actions) as JSON.
    result_json       TEXT
);
CREATE INDEX responses_submitted ON responses (status, submitted_at);

-- One answer per question; option ids joined by commas (ids are [A-Za-z0-9_-]).
CREATE TABLE answers (
    response_id BIGINT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT   NOT NULL,
    option_ids  TEXT   NOT NULL,
    PRIMARY KEY (response_id, question_id)
);

-- Idempotency keys of the JSON API (as Stripe does): a repeat returns the first result.
-- The key itself is not stored, only a hash for look-up; the token is stored XOR a pad derived
-- from the key, so only the client that knows the key can recover it.
CREATE TABLE idempotency_keys (
    key_hash     TEXT   PRIMARY KEY,
    request_hash TEXT   NOT NULL,
    response_id  BIGINT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    sealed_token TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
