-- Issue 17: a campaign's publication is stored in a compact binary form
-- (dashboard::CampaignPublication::encode) instead of a JSON document: at 50,000 participants
-- the JSON text, held three times while it was written, made the service's peak 146 MB. Every
-- stored form starts with a format byte, '{' being JSON, so a publication still held in
-- `publication_json` (written before this migration) reads as it is; the next refresh or
-- erasure writes `publication` and clears `publication_json`; exactly one of the two is set.
-- The table is rebuilt because SQLite cannot drop the NOT NULL of `publication_json`.
CREATE TABLE campaign_publications_binary (
    campaign_id       BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    publication       BYTEA,
    publication_json  TEXT,
    version           BIGINT NOT NULL,
    catalogue_version TEXT   NOT NULL DEFAULT '2026.1',
    CHECK ((publication IS NULL) <> (publication_json IS NULL))
);
INSERT INTO campaign_publications_binary (campaign_id, publication_json, version, catalogue_version)
    SELECT campaign_id, publication_json, version, catalogue_version FROM campaign_publications;
DROP TABLE campaign_publications;
ALTER TABLE campaign_publications_binary RENAME TO campaign_publications;
