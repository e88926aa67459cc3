-- Issue 17: every index on `responses` is written by every submit. Three of them served few
-- rows or none:
-- * `responses_submitted` (status, submitted_at): no query reads by it (status is always asked
--   together with an id, a campaign, a hold or a cohort, each of which has its own index).
-- * `responses_campaign` (campaign_id): `responses_campaign_counted` begins with the same
--   column and answers the same look-ups; both indexed every response, also the many without
--   a campaign. The one kept now holds only responses of a campaign (every query by campaign
--   asks `campaign_id = ...`, which implies it).
-- * `responses_held_back`: only held responses are looked up by it (`held_back = 1` in every
--   query that uses it), so only those are indexed.
DROP INDEX responses_submitted;
DROP INDEX responses_campaign;
DROP INDEX responses_campaign_counted;
CREATE INDEX responses_campaign_counted
    ON responses (campaign_id, status, campaign_consent_version, held_back, discarded_at,
        submitted_at, id)
    WHERE campaign_id IS NOT NULL;
DROP INDEX responses_held_back;
CREATE INDEX responses_held_back ON responses (hold_reason, industry, size_class)
    WHERE held_back = 1;
