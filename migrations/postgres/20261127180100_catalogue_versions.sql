-- Catalogue versions never mix in published statistics (README, "Catalogue versions").
-- Cohort cells, their publication generations and locks get one scope per catalogue version
-- ('real@2026.1', 'with_demo@2027.1'): every cell until now counted 2026.1 responses only.
UPDATE cohort_cells SET scope = scope || '@2026.1' WHERE scope NOT LIKE '%@%';
UPDATE benchmark_generations SET scope = scope || '@2026.1' WHERE scope NOT LIKE '%@%';
UPDATE cohort_locks SET scope = scope || '@2026.1' WHERE scope NOT LIKE '%@%';

-- A campaign's published snapshot counts the responses of one catalogue version; a snapshot
-- of another version than the served one is replaced, never merged.
ALTER TABLE campaign_publications ADD COLUMN catalogue_version TEXT NOT NULL DEFAULT '2026.1';
