-- A consultant's or chamber's brand: an accent colour (checked for 4.5:1 against white) and a
-- logo, stored as the service rebuilt it (a re-encoded PNG or a JPEG without metadata), base64
-- in text so that both databases store it alike. logo_hash (SHA-256 of the stored bytes) names
-- the logo in its URL, so that it can be cached for ever. One row per account, its owner's.
CREATE TABLE brands (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    accent      TEXT,
    logo        TEXT,
    logo_type   TEXT,
    logo_width  BIGINT,
    logo_height BIGINT,
    logo_hash   TEXT,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX brands_logo_hash ON brands (logo_hash);

-- A consultant's note to one client, shown on the cover of that client's report.
CREATE TABLE cover_notes (
    client_id  BIGINT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    note       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
