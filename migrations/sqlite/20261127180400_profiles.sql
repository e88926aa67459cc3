-- What a consultant or chamber shows of itself to the firms it invites: a name, the
-- consultant's firm and a contact. Shown on invitations, campaign pages and the account's pages
-- instead of the bare login address. One row per account, written by its owner.
CREATE TABLE profiles (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    firm       TEXT,
    contact    TEXT,
    updated_at BIGINT NOT NULL
);

-- The owner may withdraw the sharing with the consultant later without deleting the check: the
-- consultant then sees "geteilt, zurückgezogen" and no longer the result or its report.
ALTER TABLE invitations ADD COLUMN share_withdrawn_at BIGINT;
