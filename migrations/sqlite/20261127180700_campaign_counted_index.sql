-- What a chamber's dashboard asks on every request (issue 17): whether a campaign's counted
-- participants changed (count, sum of ids, latest submit). With this index the answer is read
-- from the index alone, not from the responses' rows with their stored results.
CREATE INDEX responses_campaign_counted
    ON responses (campaign_id, status, campaign_consent_version, held_back, discarded_at,
        submitted_at, id);
