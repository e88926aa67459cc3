-- A chamber's campaign among its member firms: a public link (the code) that starts responses
-- belonging to the campaign. Months as 'YYYY-MM'.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    chamber_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    starts_on   TEXT   NOT NULL,
    ends_on     TEXT   NOT NULL,
    region      TEXT,
    code        TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX campaigns_chamber ON campaigns (chamber_id);

-- A response started through a campaign link; it counts in the chamber's statistics only with
-- the owner's separate consent (version and time of the consent text).
ALTER TABLE responses ADD COLUMN campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL;
ALTER TABLE responses ADD COLUMN campaign_consent_version TEXT;
ALTER TABLE responses ADD COLUMN campaign_consent_at BIGINT;
CREATE INDEX responses_campaign ON responses (campaign_id);

-- The published snapshot of each campaign's statistics (dashboard::CampaignPublication as
-- JSON): it moves only in steps of at least k participants. `version` guards concurrent
-- refreshes by several app instances.
CREATE TABLE campaign_publications (
    campaign_id      BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    publication_json TEXT   NOT NULL,
    version          BIGINT NOT NULL
);
