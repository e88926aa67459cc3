-- One row the readiness check (/ready) writes, so it proves a write transaction commits.
CREATE TABLE service_checks (
    id BIGINT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
