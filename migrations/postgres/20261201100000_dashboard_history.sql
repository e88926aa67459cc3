-- Issue 14: the dashboard audit knows the history. Every set the audit kept (shown) at a state
-- of a chamber's publications, as its candidate (`set_key`, e.g. `industry:C`) and its released
-- part (`ends`: per campaign the publication, with its epoch, up to which members count). The
-- audit of every later state takes these as known. Recorded when a state is first audited,
-- before any of its figures is served; several instances may audit the same state, so a set is
-- recorded once (insert-or-ignore on the unique key). `epoch` is the state at which it was
-- first kept. No participant's data is stored: a row names a set by its rule and publications.
CREATE TABLE dashboard_history (
    chamber_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    set_key    TEXT   NOT NULL,
    ends       TEXT   NOT NULL,
    epoch      BIGINT NOT NULL,
    UNIQUE (chamber_id, set_key, ends)
);
