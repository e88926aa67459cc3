-- Issue 14 (task race14): one history per chamber across app instances. Several instances on one
-- database audit the chamber's states; each audit reads the chamber's recorded sets and records
-- what it kept. A record is accepted only if nobody recorded since the audit read the history
-- (compare-and-set on `version`, bumped in the transaction that inserts the sets), so the
-- recorded batches form one chain: each was audited knowing every set recorded before it, and
-- every figure any instance serves lies in the span of the whole record, audited as one by the
-- last batch (see the `dashboard` notes, "Across instances").
CREATE TABLE dashboard_history_versions (
    chamber_id BIGINT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL
);
-- The history version the audit that kept the set had read (the sets of every version before it
-- were known to it); NULL for sets recorded before this column or by an audit that did not know
-- the history (DASHBOARD_AUDIT_HISTORY off). With the history on, the batches have 0, 1, 2, ….
ALTER TABLE dashboard_history ADD COLUMN known_version BIGINT;
