-- An initial password set by an admin must be replaced by the user's own at the first login:
-- until then every account page leads to the password form.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
