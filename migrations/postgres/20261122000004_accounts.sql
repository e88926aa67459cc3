-- Accounts of consultants, chambers and admins. Passwords only as argon2id PHC strings.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    role          TEXT   NOT NULL CHECK (role IN ('admin', 'consultant', 'chamber')),
    password_hash TEXT   NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

-- Server-side sessions, so that logout and disabling end them on every app instance.
-- Only the SHA-256 of the session id is kept; the CSRF token is per session.
CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per e-mail address (hashed, known or not, so both answer alike).
CREATE TABLE login_failures (
    email_hash   TEXT   PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);

-- A consultant's client firms. Confidential: only their consultant ever sees them.
CREATE TABLE clients (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultant_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    firm_name     TEXT   NOT NULL,
    contact       TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX clients_consultant ON clients (consultant_id);

-- One invitation per assessment of a client. The code is a capability to start (not to read) a
-- response for this client, kept so the consultant can send the link again.
-- status: invited (not started), started (sharing consented), declined (declined or started
-- without sharing), deleted (the owner erased the response).
CREATE TABLE invitations (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id             BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    code                  TEXT   NOT NULL UNIQUE,
    status                TEXT   NOT NULL CHECK (status IN ('invited', 'started', 'declined', 'deleted')),
    response_id           BIGINT REFERENCES responses (id) ON DELETE SET NULL,
    share_consent_version TEXT,
    share_consent_at      BIGINT,
    created_at            BIGINT NOT NULL,
    changed_at            BIGINT NOT NULL
);
CREATE INDEX invitations_client ON invitations (client_id);
CREATE INDEX invitations_response ON invitations (response_id);

-- Whether a submitted response counts in the statistics: a re-assessment of the same client
-- replaces the earlier one there (each firm counts once), an erasure takes it out.
ALTER TABLE responses ADD COLUMN in_statistics BIGINT NOT NULL DEFAULT 0;
UPDATE responses SET in_statistics = 1 WHERE status = 'submitted';
-- The firm's peer comparison as it was at submit, so a re-assessment can show how the peer
-- cohort moved in the same period.
ALTER TABLE responses ADD COLUMN benchmark_json TEXT;
