-- Issue 17: per campaign, how many counted participants ever stopped counting (erased, or any
-- later write that takes one out of the campaign's figures), bumped in the transaction of
-- that write (`Store::delete_response`; the test `writes_to_what_a_campaign_counts_are_reviewed`
-- lists every write that could). It only grows: while the background warm-up runs, a dashboard
-- view may get the dashboard computed before only if these counts are still the ones read
-- before its publications, instead of reading every participant id (50,000) per view.
ALTER TABLE campaigns ADD COLUMN removals BIGINT NOT NULL DEFAULT 0;
